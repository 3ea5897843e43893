import { GetAccountCommand, GetEmailIdentityCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { parseSender, senderDomain } from '../../shared/consent/double-opt-in';
import type { SourceConfigInput } from '../../shared/sources/source-config';
import type { CheckResult } from './types';

/**
 * Double opt-in mail (docs/subscribers.md): each double opt-in source's sender must belong to an SES
 * identity verified for sending in the stack's region (the address itself, or its domain), and the
 * account must be out of the SES sandbox, where SES sends only to verified recipients (so a person's
 * confirmation mail would be refused). Read-only: GetEmailIdentity and GetAccount.
 */

const reason = (error: unknown): string => (error instanceof Error ? error.name : 'unknown error');

function senders(sources: readonly SourceConfigInput[]): Map<string, string[]> {
  const bySender = new Map<string, string[]>();
  for (const source of sources) {
    const from = (source as { doubleOptIn?: { from?: unknown } }).doubleOptIn?.from;
    const sender = typeof from === 'string' ? parseSender(from) : undefined;
    if (sender) bySender.set(sender.address, [...(bySender.get(sender.address) ?? []), source.id]);
  }
  return bySender;
}

/** Whether SES may send from `identity` (undefined: no such identity). */
async function verified(ses: SESv2Client, identity: string): Promise<boolean | undefined> {
  try {
    const answer = await ses.send(new GetEmailIdentityCommand({ EmailIdentity: identity }));
    return answer.VerifiedForSendingStatus === true;
  } catch (error) {
    if (error instanceof Error && error.name === 'NotFoundException') return undefined;
    throw error;
  }
}

export async function checkConfirmationMail(ses: SESv2Client, sources: readonly SourceConfigInput[]): Promise<CheckResult[]> {
  const bySender = senders(sources);
  if (bySender.size === 0) {
    return [
      { id: 'aws.ses-identity', status: 'skipped', summary: 'No source has doubleOptIn: nothing is mailed' },
      { id: 'aws.ses-sandbox', status: 'skipped', summary: 'No source has doubleOptIn: nothing is mailed' },
    ];
  }
  const problems: string[] = [];
  const details: string[] = [];
  let unreadable: string | undefined;
  for (const [address, sourceIds] of bySender) {
    const domain = senderDomain({ address });
    try {
      const byAddress = await verified(ses, address);
      const byDomain = byAddress === true ? undefined : await verified(ses, domain);
      const ok = byAddress === true || byDomain === true;
      details.push(`${address} (${sourceIds.join(', ')}): ${ok ? `verified (${byAddress === true ? 'address' : `domain ${domain}`})` : 'not verified'}`);
      if (!ok)
        problems.push(
          byAddress === undefined && byDomain === undefined
            ? `${address}: SES has no identity for it or for ${domain}`
            : `${address}: its identity is not verified for sending yet`,
        );
    } catch (error) {
      unreadable = reason(error);
    }
  }
  const identity: CheckResult = unreadable
    ? { id: 'aws.ses-identity', status: 'unconfirmed', summary: `SES identities could not be read (${unreadable})`, details }
    : problems.length > 0
      ? {
          id: 'aws.ses-identity',
          status: 'fail',
          summary: `Double opt-in senders SES cannot send from: ${problems.join('; ')}`,
          fix: "Verify the sender's domain (DKIM) or address in Amazon SES, in the stack's region, then run doctor again",
          details,
        }
      : { id: 'aws.ses-identity', status: 'pass', summary: `Every double opt-in sender is verified for sending (${bySender.size})`, details };
  let sandbox: CheckResult;
  try {
    const account = await ses.send(new GetAccountCommand({}));
    const quota = account.SendQuota ? ` (quota ${account.SendQuota.Max24HourSend ?? '?'} a day, ${account.SendQuota.MaxSendRate ?? '?'} a second)` : '';
    sandbox =
      account.ProductionAccessEnabled === true
        ? { id: 'aws.ses-sandbox', status: 'pass', summary: `The SES account has production access${quota}` }
        : {
            id: 'aws.ses-sandbox',
            status: 'fail',
            summary: `The SES account is in the sandbox${quota}: it mails verified addresses only, so people would get no confirmation mail`,
            fix: 'Request production access for Amazon SES in this region (SES console: Account dashboard), then run doctor again',
          };
    if (account.SendingEnabled === false)
      sandbox = {
        id: 'aws.ses-sandbox',
        status: 'fail',
        summary: 'Sending is paused for this SES account',
        fix: 'See the SES account dashboard for why, and resume sending',
      };
  } catch (error) {
    sandbox = { id: 'aws.ses-sandbox', status: 'unconfirmed', summary: `The SES account could not be read (${reason(error)})` };
  }
  return [identity, sandbox];
}
