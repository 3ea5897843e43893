import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type SiteverifyStandIn, startSiteverifyStandIn } from '../../../local/captcha/siteverify-stand-in';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../../../local/delivery-ledger/embedded-dynamodb';
import { createDeliveryLedger, dynamoDbPersistenceStore } from '../../../shared/aws/dynamodb-delivery-ledger';
import { CaptchaRefusedError, CaptchaUnavailableError } from '../../../shared/captcha/errors';
import { createSiteverifyClient } from '../../../shared/captcha/siteverify-client';
import { type CaptchaVerifier, type SiteverifyAnswer, verifyCaptcha } from '../../../shared/captcha/verify-captcha';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import { type CaptchaConfig, sourceConfigSchema } from '../../../shared/sources/source-config';
import { anHttpEvent, anIngestHandler, ERROR_URL, FORM_ORIGIN, fakeQueue, SECRETS, THANK_YOU_URL } from '../../helpers/ingest';
import { testLogger } from '../../helpers/log-capture';

/**
 * CAPTCHA on html-form sources (docs/trust.md, "Public forms"): the check's rules with a fake provider,
 * the siteverify client against a loopback stand-in, and the whole ingest handler failing closed.
 */

jest.setTimeout(20_000);

const configOf = (captcha: Record<string, unknown>): CaptchaConfig => {
  const source = sourceConfigSchema.parse({
    id: 'f',
    kind: 'html-form',
    allowedOrigins: [FORM_ORIGIN],
    thankYouUrl: THANK_YOU_URL,
    errorUrl: ERROR_URL,
    captcha,
  });
  if (source.kind !== 'html-form' || !source.captcha) throw new Error('no captcha');
  return source.captcha;
};
const answering = (answer: Partial<SiteverifyAnswer>): CaptchaVerifier & { calls: number } => {
  const verifier = {
    calls: 0,
    siteverify: async () => {
      verifier.calls += 1;
      return { success: true, errorCodes: [], hostname: 'www.example.com', ...answer };
    },
  };
  return verifier;
};
const check = (config: CaptchaConfig, token: string | undefined) => ({ config, secret: 's', token, hostnames: ['www.example.com'] });

describe('verifyCaptcha', () => {
  it('passes a successful answer for an expected hostname', async () => {
    await expect(verifyCaptcha(answering({}), check(configOf({ provider: 'turnstile' }), 'tok'))).resolves.toBeUndefined();
  });

  it.each([
    ['no token posted', {}, configOf({ provider: 'turnstile' }), undefined],
    ['an overlong Turnstile token', {}, configOf({ provider: 'turnstile' }), 'x'.repeat(2049)],
    ['a refusal', { success: false, errorCodes: ['timeout-or-duplicate'] }, configOf({ provider: 'turnstile' }), 'tok'],
    ['a token solved on another site', { hostname: 'evil.example.net' }, configOf({ provider: 'hcaptcha', sitekey: 'site-key-1' }), 'tok'],
    ['an answer that names no hostname', { hostname: undefined }, configOf({ provider: 'turnstile' }), 'tok'],
    ['another action', { action: 'login' }, configOf({ provider: 'turnstile', action: 'signup' }), 'tok'],
    ['a v3 score under the threshold', { score: 0.3 }, configOf({ provider: 'recaptcha-v3', minScore: 0.5 }), 'tok'],
    ['a reCAPTCHA answer without a score (a v2 token)', {}, configOf({ provider: 'recaptcha-v3' }), 'tok'],
  ] as const)('refuses %s (403)', async (_case, answer, config, token) => {
    await expect(verifyCaptcha(answering(answer), check(config, token))).rejects.toBeInstanceOf(CaptchaRefusedError);
  });

  it('accepts a v3 score at the threshold and the configured action', async () => {
    await expect(
      verifyCaptcha(answering({ score: 0.5, action: 'signup' }), check(configOf({ provider: 'recaptcha-v3', action: 'signup' }), 'tok')),
    ).resolves.toBeUndefined();
  });

  it('refuses an hCaptcha source configured with an action (hCaptcha reports none)', () => {
    expect(() => configOf({ provider: 'hcaptcha', sitekey: 'site-key-1', action: 'signup' })).toThrow(/hCaptcha reports no action/);
  });
});

describe('siteverify client (against the loopback stand-in)', () => {
  let standIn: SiteverifyStandIn;
  beforeAll(async () => {
    standIn = await startSiteverifyStandIn({ hostname: 'www.example.com' });
  });
  afterAll(async () => {
    await standIn.close();
  });
  const client = createSiteverifyClient();
  const call = (token: string, timeoutMs = 1_000) => client.siteverify({ url: standIn.url, secret: 'the-secret', token, timeoutMs });

  it('posts secret and token form-encoded and reads the answer; a token checked twice is refused', async () => {
    standIn.setAnswer('pass', { action: 'signup', score: 0.9 });
    expect(await call('token-1')).toEqual({ success: true, hostname: 'www.example.com', action: 'signup', score: 0.9, errorCodes: [] });
    expect(await call('token-1')).toEqual({ success: false, errorCodes: ['timeout-or-duplicate'] });
    expect(standIn.checks().at(-1)).toEqual({ secret: 'the-secret', token: 'token-1' });
  });

  it('turns an HTTP error, a refused connection and a timeout into CaptchaUnavailableError (fail closed)', async () => {
    standIn.setAnswer('error');
    await expect(call('token-2')).rejects.toBeInstanceOf(CaptchaUnavailableError);
    standIn.setAnswer('hang');
    await expect(call('token-3', 300)).rejects.toThrow(CaptchaUnavailableError);
    await expect(client.siteverify({ url: 'http://127.0.0.1:9/siteverify', secret: 's', token: 't', timeoutMs: 1_000 })).rejects.toBeInstanceOf(
      CaptchaUnavailableError,
    );
    standIn.setAnswer('pass');
  });

  it('does not follow a redirect, and refuses an answer that is not JSON or is far too large (fail closed)', async () => {
    // A provider answering something other than a siteverify answer.
    const answers: ((res: ServerResponse) => void)[] = [
      (res) => res.writeHead(302, { location: 'https://attacker.example/siteverify' }).end(),
      (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>'),
      (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ success: true, padding: 'x'.repeat(100_000) })),
    ];
    const server = createServer((_req, res) => answers.shift()!(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/siteverify`;
    try {
      const reasons: string[] = [];
      for (let index = 0; index < 3; index += 1) {
        const error = await client.siteverify({ url, secret: 's', token: 't', timeoutMs: 1_000 }).catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(CaptchaUnavailableError);
        reasons.push((error as CaptchaUnavailableError).reason);
      }
      expect(reasons).toEqual([
        'siteverify answered HTTP 302',
        'siteverify answered something other than JSON',
        'siteverify answered more than a siteverify answer',
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('an html-form source with Turnstile, through the ingest handler', () => {
  let standIn: SiteverifyStandIn;
  let store: EmbeddedDynamoDb;
  beforeAll(async () => {
    standIn = await startSiteverifyStandIn({ hostname: 'www.example.com' });
    store = await startEmbeddedDynamoDb();
  });
  afterAll(async () => {
    await standIn.close();
    await store.close();
  });

  function setUp() {
    const sources = parseIngestSources([
      {
        id: 'newsletter',
        kind: 'html-form',
        allowedOrigins: [FORM_ORIGIN],
        thankYouUrl: THANK_YOU_URL,
        errorUrl: ERROR_URL,
        captcha: { provider: 'turnstile', verifyUrl: standIn.url, timeoutMs: 300 },
      },
    ]);
    const { queue, messages } = fakeQueue();
    const ledger = createDeliveryLedger({
      persistenceStore: dynamoDbPersistenceStore(store.client, store.tableName),
      retentionSeconds: 3600,
      inProgressSeconds: 10,
      logger: testLogger,
    });
    const ingest = anIngestHandler({
      queue,
      sources,
      ledger,
      secretJson: JSON.stringify({ api: SECRETS.api, newsletter: { captchaSecret: 'turnstile-secret' } }),
    });
    const post = (token: string | undefined, options: { json?: boolean; email?: string } = {}) =>
      ingest(
        anHttpEvent('/sources/newsletter', {
          body: new URLSearchParams({
            email: options.email ?? 'ada@example.com',
            first_name: 'Ada',
            last_name: 'Lovelace',
            ...(token ? { 'cf-turnstile-response': token } : {}),
          }).toString(),
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: FORM_ORIGIN, ...(options.json ? { accept: 'application/json' } : {}) },
        }),
      );
    return { post, messages };
  }

  it('queues a post whose token passes (303 to the thank-you page), and folds a double click without checking the token again', async () => {
    const { post, messages } = setUp();
    standIn.setAnswer('pass');
    const before = standIn.checks().length;
    const first = await post('good-token-1', { email: 'double@example.com' });
    const again = await post('good-token-1', { email: 'double@example.com' });
    expect([first.statusCode, first.headers.location]).toEqual([303, THANK_YOU_URL]);
    expect([again.statusCode, again.headers.location]).toEqual([303, THANK_YOU_URL]);
    expect(messages).toHaveLength(1);
    expect(standIn.checks().length - before).toBe(1);
  });

  it('sends a failed, missing or spent token to the error page (403 for a JSON caller) with nothing queued', async () => {
    const { post, messages } = setUp();
    standIn.setAnswer('fail');
    const failed = await post('bad-token');
    const failedJson = await post('bad-token-2', { json: true });
    const missing = await post(undefined);
    standIn.setAnswer('pass');
    await post('spent-token', { email: 'first@example.com' });
    const spent = await post('spent-token', { email: 'second@example.com' });
    expect([failed.statusCode, failed.headers.location]).toEqual([303, ERROR_URL]);
    expect(failedJson.statusCode).toBe(403);
    expect(JSON.parse(failedJson.body)).toEqual({ ok: false, error: 'The CAPTCHA check failed; please try again.' });
    expect([missing.statusCode, missing.headers.location]).toEqual([303, ERROR_URL]);
    expect([spent.statusCode, spent.headers.location]).toEqual([303, ERROR_URL]);
    expect(messages).toHaveLength(1);
  });

  it('fails closed when siteverify errors or times out: the error page, or 503 for a JSON caller', async () => {
    const { post, messages } = setUp();
    standIn.setAnswer('error');
    const native = await post('token-a');
    const json = await post('token-b', { json: true });
    standIn.setAnswer('hang');
    const slow = await post('token-c', { json: true });
    standIn.setAnswer('pass');
    expect([native.statusCode, native.headers.location]).toEqual([303, ERROR_URL]);
    expect(json.statusCode).toBe(503);
    expect(slow.statusCode).toBe(503);
    expect(messages).toHaveLength(0);
  });
});
