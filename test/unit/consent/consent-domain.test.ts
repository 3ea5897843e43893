import { SESv2Client, SESv2ServiceException, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { createSesConfirmationMailer, formatSender } from '../../../shared/aws/ses-confirmation-mailer';
import { ConfirmationMailError, composeConfirmationMail, confirmationLink } from '../../../shared/consent/confirmation-mail';
import { MAX_TOKEN_LENGTH, signConfirmationToken, verifyConfirmationToken } from '../../../shared/consent/confirmation-token';
import { ConsentKeyError, deriveConsentKeys } from '../../../shared/consent/consent-keys';
import { confirmationMailSettingsSchema, decideMail, type MailState, parseSender } from '../../../shared/consent/double-opt-in';
import { createEmailHasher } from '../../../shared/observability/email-hash';

/** The consent domain's pure parts (shared/consent/) and the SES v2 adapter's error mapping. */

const KEY = 'consent-domain-test-key-0123456789abcdef';

describe('consent keys', () => {
  it('gives one person key per normalised email, 256 bits, unlike the log hash and unlike another stack key', () => {
    const keys = deriveConsentKeys(KEY);
    const person = keys.personOf(' Ada@Example.COM ');
    expect(person).toBe(keys.personOf('ada@example.com'));
    expect(person).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(person).not.toBe(keys.personOf('grace@example.com'));
    expect(person).not.toBe(deriveConsentKeys(`${KEY}x`).personOf('ada@example.com'));
    // The same stack key, another purpose: nothing in the logs matches a table key.
    expect(person).not.toContain(createEmailHasher(KEY)('ada@example.com'));
    expect(keys.tokenKey.equals(deriveConsentKeys(KEY).tokenKey)).toBe(true);
  });

  it('refuses a key too short to keep the hashes unguessable', () => {
    expect(() => deriveConsentKeys('short')).toThrow(ConsentKeyError);
  });
});

describe('confirmation tokens', () => {
  const { tokenKey } = deriveConsentKeys(KEY);
  const claims = { person: deriveConsentKeys(KEY).personOf('ada@example.com'), sourceId: 'news', nonce: 'abc123', expiresAt: 2_000_000_000 };

  it('verifies its own token until it expires, and carries no email', () => {
    const token = signConfirmationToken(claims, tokenKey);
    expect(token.length).toBeLessThan(MAX_TOKEN_LENGTH);
    expect(Buffer.from(token.split('.')[0]!, 'base64url').toString()).not.toContain('ada@');
    expect(verifyConfirmationToken(token, tokenKey, 1_999_999_999_000)).toEqual({ ok: true, claims });
    expect(verifyConfirmationToken(token, tokenKey, 2_000_000_000_000)).toEqual({ ok: false, reason: 'expired' });
  });

  it('refuses a token changed in any part, made with another key, or not one of ours', () => {
    const token = signConfirmationToken(claims, tokenKey);
    const [payload, mac] = token.split('.') as [string, string];
    const later = Buffer.from(JSON.stringify({ p: claims.person, s: 'news', n: 'abc123', e: 2_100_000_000 })).toString('base64url');
    expect(verifyConfirmationToken(`${later}.${mac}`, tokenKey, 0)).toEqual({ ok: false, reason: 'signature' });
    expect(verifyConfirmationToken(`${payload}.${mac.replace(/.$/, mac.endsWith('A') ? 'B' : 'A')}`, tokenKey, 0)).toEqual({ ok: false, reason: 'signature' });
    expect(verifyConfirmationToken(signConfirmationToken(claims, deriveConsentKeys(`${KEY}-other`).tokenKey), tokenKey, 0)).toMatchObject({
      reason: 'signature',
    });
    for (const junk of ['', 'abc', 'a.b.c', `${payload}.`, `${payload}.${mac}=`, 'é.é', 'x'.repeat(MAX_TOKEN_LENGTH + 1)]) {
      expect(verifyConfirmationToken(junk, tokenKey, 0)).toMatchObject({ ok: false });
    }
  });
});

describe('double opt-in mail decisions', () => {
  const settings = confirmationMailSettingsSchema.parse({ from: 'news@shop.example', subject: 'Confirm' });
  const now = 1_000_000_000_000;
  const state = (overrides: Partial<MailState> = {}): MailState => ({
    expiresAtMs: now + 3_600_000,
    mailedAtMs: now - 60_000,
    mailClaim: 'm1',
    mails: 1,
    sentBy: ['m1'],
    ...overrides,
  });

  it('has the documented defaults: links for 48 h, one mail per 15 minutes, 3 mails per request', () => {
    expect(settings).toMatchObject({ expiresHours: 48, resendAfterMinutes: 15, maxMails: 3 });
  });

  it('claims a new request, holds within the window and at the limit, and never mails a message twice', () => {
    expect(decideMail(undefined, ['m1'], settings, now)).toEqual({ action: 'claim', fresh: true });
    expect(decideMail(state(), ['m1'], settings, now)).toEqual({ action: 'sent-before' });
    expect(decideMail(state(), ['m2'], settings, now)).toEqual({ action: 'hold', reason: 'window' });
    expect(decideMail(state({ mailedAtMs: now - 16 * 60_000 }), ['m2'], settings, now)).toEqual({ action: 'claim', fresh: false });
    expect(decideMail(state({ mailedAtMs: now - 16 * 60_000, mails: 3 }), ['m2'], settings, now)).toEqual({ action: 'hold', reason: 'limit' });
    // Claimed by m2 on an attempt that never sent (SES failed): m2's retry sends it.
    expect(decideMail(state({ mailClaim: 'm2' }), ['m2'], settings, now)).toEqual({ action: 'resend', messageId: 'm2' });
    // Expired or confirmed requests count as none: a new signup starts a new request.
    expect(decideMail(state({ expiresAtMs: now }), ['m2'], settings, now)).toEqual({ action: 'claim', fresh: true });
    expect(decideMail(state({ confirmedAt: '2026-01-01T00:00:00Z', mailedAtMs: now - 16 * 60_000 }), ['m2'], settings, now)).toEqual({
      action: 'claim',
      fresh: true,
    });
    // Confirmed a moment ago: a repeat within the window mails nothing (a bot re-submitting a confirmed address).
    expect(decideMail(state({ confirmedAt: '2026-01-01T00:00:00Z' }), ['m2'], settings, now)).toEqual({ action: 'hold', reason: 'window' });
  });

  it('refuses a sender that is not an address, and settings out of range, naming the field', () => {
    expect(parseSender('Shop <News@Shop.example>')).toEqual({ address: 'news@shop.example', displayName: 'Shop' });
    expect(parseSender('news@shop.example')).toEqual({ address: 'news@shop.example' });
    expect(parseSender('not an address')).toBeUndefined();
    const result = confirmationMailSettingsSchema.safeParse({ from: 'nobody', subject: '', expiresHours: 500 });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.')).sort()).toEqual(['expiresHours', 'from', 'subject']);
  });

  it('writes the link into both parts, escapes the settings in HTML, and says ignoring it subscribes nobody', () => {
    const link = confirmationLink('https://signups.example.com/', 'abc.def');
    expect(link).toBe('https://signups.example.com/confirm/abc.def');
    const mail = composeConfirmationMail('ada@example.com', link, { ...settings, intro: 'Our <b>news</b> & more', expiresHours: 24 });
    expect(mail.text).toContain(link);
    expect(mail.html).toContain(`href="${link}"`);
    expect(mail.html).toContain('Our &lt;b&gt;news&lt;/b&gt; &amp; more');
    expect(mail.text).toMatch(/works for 1 day\. If you did not ask for this, ignore this email: you will not be subscribed\./);
  });
});

describe('the SES v2 mailer', () => {
  const ses = mockClient(SESv2Client);
  afterEach(() => ses.reset());
  const mail = composeConfirmationMail(
    'ada@example.com',
    'https://x.example/confirm/a.b',
    confirmationMailSettingsSchema.parse({ from: 'Café Ünïcode <news@shop.example>', subject: 'Bitte bestätigen', replyTo: 'help@shop.example' }),
  );

  it('sends a simple UTF-8 mail from the configured sender, its display name encoded', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    await createSesConfirmationMailer(new SESv2Client({ region: 'eu-west-1' })).send(mail);
    const input = ses.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      FromEmailAddress: `=?UTF-8?B?${Buffer.from('Café Ünïcode').toString('base64')}?= <news@shop.example>`,
      Destination: { ToAddresses: ['ada@example.com'] },
      ReplyToAddresses: ['help@shop.example'],
      Content: { Simple: { Subject: { Data: 'Bitte bestätigen', Charset: 'UTF-8' }, Body: { Text: { Charset: 'UTF-8' }, Html: { Charset: 'UTF-8' } } } },
    });
    // An ASCII name is quoted (a comma would otherwise split it into two addresses).
    expect(formatSender('Shop, Inc. <news@shop.example>')).toBe('"Shop, Inc." <news@shop.example>');
  });

  it('says a refused mail is not retryable and a throttled one is, naming only the error', async () => {
    const mailer = createSesConfirmationMailer(new SESv2Client({ region: 'eu-west-1' }));
    const failure = (name: string, message: string) => new SESv2ServiceException({ name, $fault: 'client', $metadata: {}, message });
    ses
      .on(SendEmailCommand)
      .rejectsOnce(failure('MessageRejected', 'Email address is not verified: ada@example.com'))
      .rejectsOnce(failure('TooManyRequestsException', 'slow down'));
    const refused = await mailer.send(mail).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConfirmationMailError);
    expect(refused).toMatchObject({ retryable: false, message: 'SES did not send the confirmation mail (MessageRejected)' });
    expect((refused as Error).message).not.toContain('ada@');
    await expect(mailer.send(mail)).rejects.toMatchObject({ retryable: true });
  });
});
