import { captchaSecretProblems, captchaSecretsResult, looksLikeCaptchaSecret } from '../../../ops/doctor/captcha-secret-check';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';

/**
 * The CAPTCHA-secret shape rules of `signup-sync doctor` (ops/doctor/captcha-secret-check.ts). The
 * check over Secrets Manager is in test/integration/doctor.test.ts, over local mode in test/local/doctor.test.ts.
 */

const form = (id: string, captcha?: Record<string, unknown>) => ({
  id,
  kind: 'html-form',
  allowedOrigins: ['https://www.example.com'],
  thankYouUrl: 'https://www.example.com/thanks',
  errorUrl: 'https://www.example.com/oops',
  ...(captcha ? { captcha } : {}),
});
const SOURCES = parseIngestSources([
  form('newsletter', { provider: 'turnstile' }),
  form('contact', { provider: 'hcaptcha', sitekey: '10000000-ffff-ffff-ffff-000000000001' }),
  form('plain'),
  { id: 'partner', kind: 'standard-webhooks' },
]);
// Shaped like a Turnstile, an hCaptcha and a reCAPTCHA secret key.
const TURNSTILE = '0x4AAAAAAAQm7kT2vX9pL3rW8yZb5NcE1dFg';
const HCAPTCHA = '0x8f3e1d6c9b2a7f4e0d5c8b1a6f3e9d2c7b4a0f5e';
const RECAPTCHA = '6Lc8x2QqAAAAAN4vR7tY1uI9oP3aS5dF8gH0jK2l';

describe('CAPTCHA secrets', () => {
  it('accepts key-shaped values and refuses placeholders, spaces and short strings', () => {
    for (const value of [TURNSTILE, HCAPTCHA, RECAPTCHA]) expect(looksLikeCaptchaSecret(value)).toBe(true);
    for (const value of ['<secret key>', 'paste the secret key here', 'changeme', '', 'x'.repeat(201)]) expect(looksLikeCaptchaSecret(value)).toBe(false);
  });

  it('finds nothing wrong when every CAPTCHA source has a key-shaped captchaSecret; other sources are not looked at', () => {
    const secret = JSON.stringify({ newsletter: { captchaSecret: TURNSTILE }, contact: { secret: 'form-token-1234', captchaSecret: HCAPTCHA } });
    expect(captchaSecretProblems(SOURCES, secret)).toEqual([]);
  });

  it('names each CAPTCHA source whose entry is missing, plain, without or with an unusable captchaSecret', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{}, 'newsletter: no entry (it needs {"captchaSecret": ...})'],
      [{ newsletter: TURNSTILE }, 'newsletter: the entry is a plain secret, with no captchaSecret (write it as {"secret": ..., "captchaSecret": ...})'],
      [{ newsletter: { secret: 'form-token-1234' } }, 'newsletter: no captchaSecret for its turnstile CAPTCHA'],
      [{ newsletter: { captchaSecret: 42 } }, 'newsletter: captchaSecret is not a non-empty string'],
      [
        { newsletter: { captchaSecret: '<secret key>' } },
        'newsletter: captchaSecret is not shaped like a turnstile secret key (a placeholder, spaces, or too short; 12 characters)',
      ],
      [
        { newsletter: { secret: ['new-token', TURNSTILE], captchaSecret: TURNSTILE } },
        'newsletter: captchaSecret equals the form token, which the page shows to every visitor',
      ],
    ];
    for (const [newsletter, problem] of cases) {
      expect(captchaSecretProblems(SOURCES, JSON.stringify({ ...newsletter, contact: { captchaSecret: HCAPTCHA } }))).toEqual([problem]);
    }
    expect(captchaSecretProblems(SOURCES, 'not json')).toEqual([
      'newsletter: the sources secret is not a JSON object of source id -> secret',
      'contact: the sources secret is not a JSON object of source id -> secret',
    ]);
  });

  it('fails with a fix naming only the failing sources, passes, or skips when no source has a CAPTCHA', () => {
    const failed = captchaSecretsResult(['contact: no captchaSecret for its hcaptcha CAPTCHA'], ['newsletter', 'contact'], {
      sourcesSecretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:s',
    });
    expect(failed).toMatchObject({ status: 'fail', summary: 'Unusable CAPTCHA secret(s): contact: no captchaSecret for its hcaptcha CAPTCHA' });
    expect(failed.fix).toContain('for contact and set "contact": {"captchaSecret"');
    expect(failed.fix).not.toContain('newsletter');
    expect(failed.fix).toContain('--secret-id arn:aws:secretsmanager:us-east-1:1:secret:s');
    expect(captchaSecretsResult(['newsletter: no entry'], ['newsletter'], { local: true }).fix).toContain('LOCAL_SOURCES_SECRET');
    expect(captchaSecretsResult([], ['newsletter', 'contact'])).toMatchObject({
      status: 'pass',
      summary: 'Source(s) newsletter, contact have a key-shaped captchaSecret (not shown)',
    });
    expect(captchaSecretsResult([], [])).toMatchObject({ status: 'skipped', summary: 'No source configures a CAPTCHA' });
  });
});
