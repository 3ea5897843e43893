import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { type ConfirmationMail, ConfirmationMailError, type ConfirmationMailer } from '../consent/confirmation-mail';
import { parseSender } from '../consent/double-opt-in';

/**
 * Double opt-in mails through Amazon SES v2 (`SendEmail`, simple content: subject, text and HTML in
 * UTF-8). The sync's role may send only from the configured sender identity (infra/constructs/consent-evidence.ts).
 * SES's answers, as errors that say whether a retry can help:
 * - `MessageRejected` and `BadRequestException`: this mail will not go (in the SES sandbox: the recipient
 *   is not verified): not retryable, the message goes to the dead-letter queue with the reason;
 * - throttling, the daily quota, a paused account, an identity not (yet) verified, a 5xx: retryable (the
 *   message comes back, and after maxReceiveCount it is dead-lettered, which alarms).
 * The error messages carry SES's error name only: SES's own text can quote the address.
 */

const NOT_RETRYABLE = new Set(['MessageRejected', 'BadRequestException']);

/** RFC 2047 encoded-word for a display name outside ASCII, else a quoted string (SES takes either). */
export function formatSender(from: string): string {
  const sender = parseSender(from);
  if (!sender) return from;
  if (sender.displayName === undefined) return sender.address;
  const name = sender.displayName;
  const quoted = /^[\x20-\x7e]*$/.test(name)
    ? `"${name.replace(/["\\]/g, (character) => `\\${character}`)}"`
    : `=?UTF-8?B?${Buffer.from(name, 'utf8').toString('base64')}?=`;
  return `${quoted} <${sender.address}>`;
}

export function createSesConfirmationMailer(client: SESv2Client): ConfirmationMailer {
  return {
    async send(mail: ConfirmationMail): Promise<void> {
      try {
        await client.send(
          new SendEmailCommand({
            FromEmailAddress: formatSender(mail.from),
            Destination: { ToAddresses: [mail.to] },
            ...(mail.replyTo ? { ReplyToAddresses: [mail.replyTo] } : {}),
            Content: {
              Simple: {
                Subject: { Data: mail.subject, Charset: 'UTF-8' },
                Body: { Text: { Data: mail.text, Charset: 'UTF-8' }, Html: { Data: mail.html, Charset: 'UTF-8' } },
              },
            },
            ...(mail.configurationSet ? { ConfigurationSetName: mail.configurationSet } : {}),
          }),
        );
      } catch (error) {
        const name = error instanceof Error ? error.name : 'UnknownError';
        throw new ConfirmationMailError(`SES did not send the confirmation mail (${name})`, !NOT_RETRYABLE.has(name), { cause: error });
      }
    },
  };
}
