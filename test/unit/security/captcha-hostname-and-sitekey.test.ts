import { type SiteverifyStandIn, startSiteverifyStandIn } from '../../../local/captcha/siteverify-stand-in';
import { parseStackConfig } from '../../../shared/deployment/stack-config';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import type { SourceConfigInput } from '../../../shared/sources/source-config';
import { anHttpEvent, anIngestHandler, ERROR_URL, FORM_ORIGIN, fakeQueue, SECRETS, THANK_YOU_URL } from '../../helpers/ingest';

/**
 * docs/security.md, "CAPTCHA answers without a hostname, hCaptcha without its sitekey". As a review
 * reproduced it on main: a siteverify answer with `success: true` and no `hostname` passed the hostname
 * check (it only compared a hostname when there was one), so a token from anywhere the provider does
 * not name a hostname (an app, a key with the domain check off) was good for any form; and hCaptcha was
 * never sent the sitekey, so with its account-wide secret a token solved for any other sitekey of the
 * account passed. Each case goes through the ingest handler and the real siteverify client to the
 * loopback stand-in, which answers like the providers.
 */

jest.setTimeout(20_000);

const FORM = { kind: 'html-form' as const, allowedOrigins: [FORM_ORIGIN], thankYouUrl: THANK_YOU_URL, errorUrl: ERROR_URL };
const CAPTCHA_SECRET = '0x0000000000000000000000000000000000000000';
const SITEKEY = '10000000-ffff-ffff-ffff-000000000001';

let standIn: SiteverifyStandIn;
beforeAll(async () => {
  standIn = await startSiteverifyStandIn({ hostname: 'www.example.com' });
});
afterAll(async () => {
  await standIn.close();
});

function aForm(source: SourceConfigInput) {
  const { queue, messages } = fakeQueue();
  const ingest = anIngestHandler({
    queue,
    sources: parseIngestSources([source]),
    secretJson: JSON.stringify({ api: SECRETS.api, [source.id]: { captchaSecret: CAPTCHA_SECRET } }),
  });
  const post = (field: string, token: string) =>
    ingest(
      anHttpEvent(`/sources/${source.id}`, {
        body: new URLSearchParams({ email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', [field]: token }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: FORM_ORIGIN },
      }),
    );
  return { post, messages };
}

describe('a CAPTCHA answer without a hostname', () => {
  it('is refused: the error page, nothing queued', async () => {
    // Arrange: the provider says success but names no hostname
    const { post, messages } = aForm({ ...FORM, id: 'turnstile-form', captcha: { provider: 'turnstile', verifyUrl: standIn.url } });
    standIn.setAnswer('pass', { hostname: null });

    // Act
    const answer = await post('cf-turnstile-response', 'token-without-hostname');

    // Assert
    expect([answer.statusCode, answer.headers.location]).toEqual([303, ERROR_URL]);
    expect(messages).toHaveLength(0);
  });

  it('still passes with the form’s hostname', async () => {
    const { post, messages } = aForm({ ...FORM, id: 'turnstile-form-2', captcha: { provider: 'turnstile', verifyUrl: standIn.url } });
    standIn.setAnswer('pass');
    const answer = await post('cf-turnstile-response', 'token-with-hostname');
    expect([answer.statusCode, answer.headers.location]).toEqual([303, THANK_YOU_URL]);
    expect(messages).toHaveLength(1);
  });
});

describe('hCaptcha and its sitekey', () => {
  it('sends the configured sitekey to siteverify, which refuses a token solved for another sitekey of the account', async () => {
    // Arrange: the account's other site solved the token; siteverify checks it against the sitekey sent
    const { post, messages } = aForm({ ...FORM, id: 'hcaptcha-form', captcha: { provider: 'hcaptcha', sitekey: SITEKEY, verifyUrl: standIn.url } });
    standIn.setAnswer('pass', { sitekey: 'another-sitekey-of-the-same-account' });

    // Act
    const answer = await post('h-captcha-response', 'token-for-another-sitekey');

    // Assert
    expect(standIn.checks().at(-1)).toEqual({ secret: CAPTCHA_SECRET, token: 'token-for-another-sitekey', sitekey: SITEKEY });
    expect([answer.statusCode, answer.headers.location]).toEqual([303, ERROR_URL]);
    expect(messages).toHaveLength(0);
  });

  it('passes a token of the configured sitekey', async () => {
    const { post, messages } = aForm({ ...FORM, id: 'hcaptcha-form-2', captcha: { provider: 'hcaptcha', sitekey: SITEKEY, verifyUrl: standIn.url } });
    standIn.setAnswer('pass', { sitekey: SITEKEY });
    const answer = await post('h-captcha-response', 'token-for-this-sitekey');
    expect([answer.statusCode, answer.headers.location]).toEqual([303, THANK_YOU_URL]);
    expect(messages).toHaveLength(1);
  });

  it('refuses at synth an hcaptcha source without its sitekey, and a sitekey for another provider', () => {
    const config = (captcha: Record<string, unknown>) => ({ storeHash: 'abc', sources: [{ ...FORM, id: 'f', captcha }] });
    expect(() => parseStackConfig(config({ provider: 'hcaptcha' }))).toThrow(/sources\[0\]\.captcha\.sitekey: hCaptcha needs the widget's sitekey/);
    expect(() => parseStackConfig(config({ provider: 'turnstile', sitekey: SITEKEY }))).toThrow(/only hcaptcha takes a sitekey/);
    expect(() => parseStackConfig(config({ provider: 'hcaptcha', sitekey: SITEKEY }))).not.toThrow();
  });
});
