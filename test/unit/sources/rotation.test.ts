import { checkSourceSecrets, MAX_SECRETS_PER_SOURCE } from '../../../shared/sources/adapters';
import { withAnySecret } from '../../../shared/sources/auth';
import { SourceAuthError, SourceConfigError } from '../../../shared/sources/errors';
import { parseSourcesConfig, SOURCE_KINDS, type SourceKind } from '../../../shared/sources/source-config';
import {
  anHttpEvent,
  anIngestHandler,
  FORM_ORIGIN,
  fakeQueue,
  publicUrlOf,
  SECRETS,
  secretFor,
  senderHeaders,
  sourceIdOf,
  sourcesSecretJson,
  standardWebhookHeaders,
} from '../../helpers/ingest';
import { DELIVERIES } from '../../helpers/ingest-deliveries';

/**
 * Rotation without a gap (docs/sources.md, "Rotating a source secret"): a source's entry in the sources
 * secret may list several secrets, newest first, and a request that authenticates with any of them is
 * accepted, so the sender can keep using the old secret until it switches.
 */

const NEWER: Readonly<Record<'whsec' | 'plain', string>> = {
  whsec: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
  plain: 'brand-new-secret-after-rotation-0123',
};
const UNRELATED: Readonly<Record<'whsec' | 'plain', string>> = {
  whsec: `whsec_${Buffer.alloc(32, 11).toString('base64')}`,
  plain: 'some-other-secret-nobody-uses-0123',
};
const flavour = (kind: SourceKind) => (kind === 'standard-webhooks' ? 'whsec' : 'plain');

function deliveryEvent(kind: SourceKind) {
  const delivery = DELIVERIES[kind];
  const path = `/sources/${sourceIdOf(kind)}`;
  const query = delivery.query ?? {};
  return anHttpEvent(path, {
    body: delivery.body,
    query,
    headers: { 'content-type': delivery.contentType, ...senderHeaders(kind, delivery.body, publicUrlOf(path, query)), ...delivery.headers },
  });
}

const KEYED_KINDS = SOURCE_KINDS.filter((kind) => kind !== 'html-form');

describe('a source secret that lists several secrets (newest first)', () => {
  it.each(KEYED_KINDS)('%s: accepts a delivery signed with the older secret while the new one is listed first', async (kind) => {
    // Arrange: the sender still signs with the secret it had (secretFor); the operator already added the new one.
    const { queue, messages } = fakeQueue();
    const rotating = anIngestHandler({ queue, secretJson: sourcesSecretJson(undefined, { [sourceIdOf(kind)]: [NEWER[flavour(kind)], secretFor(kind)] }) });
    const retired = anIngestHandler({
      queue,
      secretJson: sourcesSecretJson(undefined, { [sourceIdOf(kind)]: [NEWER[flavour(kind)], UNRELATED[flavour(kind)]] }),
    });

    // Act
    const during = await rotating(deliveryEvent(kind));
    const after = await retired(deliveryEvent(kind));

    // Assert
    expect(during.statusCode).toBe(202);
    expect(after.statusCode).toBe(401);
    expect(messages.length).toBeGreaterThan(0);
  });

  it('accepts the POST /signups key being rotated (signature and bearer token), and refuses a key no longer listed', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const body = JSON.stringify({ email: 'rotate@example.com', first_name: 'Ro', last_name: 'Tate' });
    const rotating = anIngestHandler({ queue, secretJson: sourcesSecretJson(undefined, { api: [NEWER.whsec, SECRETS.api] }) });
    const retired = anIngestHandler({ queue, secretJson: sourcesSecretJson(undefined, { api: [NEWER.whsec] }) });

    // Act
    const signed = await rotating(
      anHttpEvent('/signups', { body, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(body, { id: 'msg_rot_1' }) } }),
    );
    const bearer = await rotating(anHttpEvent('/signups', { body, headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.api}` } }));
    const old = await retired(
      anHttpEvent('/signups', { body, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(body, { id: 'msg_rot_2' }) } }),
    );

    // Assert
    expect([signed.statusCode, bearer.statusCode, old.statusCode]).toEqual([202, 202, 401]);
    expect(messages).toHaveLength(2);
  });

  it('accepts either form token of an html-form source while the page is being republished', async () => {
    // Arrange
    const { queue } = fakeQueue();
    const ingest = anIngestHandler({
      queue,
      secretJson: sourcesSecretJson(undefined, { 'html-form-src': ['new-form-token-0123456789', 'old-form-token-0123456789'] }),
    });
    const post = (token: string) =>
      ingest(
        anHttpEvent('/sources/html-form-src', {
          body: `${DELIVERIES['html-form'].body}&form_token=${token}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: FORM_ORIGIN, accept: 'application/json' },
        }),
      );

    // Act
    const answers = await Promise.all(['old-form-token-0123456789', 'new-form-token-0123456789', 'guessed-form-token-0123'].map(post));

    // Assert
    expect(answers.map((answer) => answer.statusCode)).toEqual([202, 202, 401]);
  });
});

describe('withAnySecret', () => {
  it('tries every secret even after one matched (no early exit), and returns the first success', () => {
    // Arrange
    const tried: string[] = [];
    const attempt = (secret: string) => {
      tried.push(secret);
      if (secret === 'b' || secret === 'c') return `ok:${secret}`;
      throw new SourceAuthError('invalid', 'signature', 'no signature matched');
    };

    // Act
    const result = withAnySecret(['a', 'b', 'c', 'd'], attempt);

    // Assert
    expect(result).toBe('ok:b');
    expect(tried).toEqual(['a', 'b', 'c', 'd']);
  });

  it('throws the authentication refusal when none matches, and passes other errors through at once', () => {
    const refuse = () => {
      throw new SourceAuthError('invalid', 'token', 'token mismatch');
    };
    expect(() => withAnySecret(['a', 'b'], refuse)).toThrow(SourceAuthError);
    const broken = jest.fn(() => {
      throw new SourceConfigError('unusable secret');
    });
    expect(() => withAnySecret(['a', 'b'], broken)).toThrow(SourceConfigError);
    expect(broken).toHaveBeenCalledTimes(1);
  });
});

describe('checkSourceSecrets entries', () => {
  const sources = parseSourcesConfig([
    { id: 'tf', kind: 'typeform' },
    { id: 'mc', kind: 'mailchimp' },
    {
      id: 'form',
      kind: 'html-form',
      allowedOrigins: ['https://www.example.com'],
      thankYouUrl: 'https://www.example.com/t',
      errorUrl: 'https://www.example.com/e',
      captcha: { provider: 'turnstile' },
    },
  ]);

  it('reads a string, a list (newest first) and the object form with a CAPTCHA secret', () => {
    // Act
    const checked = checkSourceSecrets(sources, {
      tf: SECRETS.signing,
      mc: ['url-token-new-0123456789', SECRETS.token],
      form: { captchaSecret: 'turnstile-secret' },
    });

    // Assert
    expect(checked.get('tf')).toEqual({ values: [SECRETS.signing] });
    expect(checked.get('mc')).toEqual({ values: ['url-token-new-0123456789', SECRETS.token] });
    expect(checked.get('form')).toEqual({ values: [], captchaSecret: 'turnstile-secret' });
  });

  it('names the unusable secret of a list by its position, never its value, and limits the list', () => {
    // Arrange
    const table = {
      tf: [SECRETS.signing, ''],
      mc: [SECRETS.token, 'short'],
      form: { secret: 'form-token-0123456789' },
    };
    const tooMany = { ...table, mc: Array.from({ length: MAX_SECRETS_PER_SOURCE + 1 }, (_, i) => `url-token-${i}-0123456789`), tf: 42 };

    // Act
    const problems = (value: unknown) => {
      try {
        checkSourceSecrets(sources, value);
        return [];
      } catch (error) {
        return [...(error as SourceConfigError).issues];
      }
    };

    // Assert
    expect(problems(table)).toEqual([
      'mc: secret [1]: The secret of a mailchimp source must be at least 16 characters',
      "form: no captchaSecret (the source has captcha configured: put the provider's secret key there)",
    ]);
    expect(problems(tooMany)).toEqual([
      'tf: the secret must be a string, a list of strings (newest first), or { "secret": ..., "captchaSecret": "..." }',
      `mc: at most ${MAX_SECRETS_PER_SOURCE} secrets at once (remove the retired ones)`,
      "form: no captchaSecret (the source has captcha configured: put the provider's secret key there)",
    ]);
    expect(JSON.stringify(problems(table))).not.toContain('short');
  });
});
