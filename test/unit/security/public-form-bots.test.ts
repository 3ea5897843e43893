import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../../../local/delivery-ledger/embedded-dynamodb';
import { createDynamoDbClientLimiter } from '../../../shared/aws/dynamodb-client-limit';
import type { CaptchaVerifier } from '../../../shared/captcha/verify-captcha';
import { loadIngestConfig } from '../../../shared/config/ingest-config';
import { parseStackConfig } from '../../../shared/deployment/stack-config';
import { clientOf } from '../../../shared/ingest/client-limit';
import { parseIngestSources, parseSourceSecrets } from '../../../shared/ingest/ingest-sources';
import type { SourceConfigInput } from '../../../shared/sources/source-config';
import {
  anHttpEvent,
  anIngestHandler,
  ERROR_URL,
  FORM_ORIGIN,
  fakeQueue,
  publicUrlOf,
  SECRETS,
  SOURCES,
  senderHeaders,
  sourcesSecretJson,
  THANK_YOU_URL,
} from '../../helpers/ingest';
import { DELIVERIES } from '../../helpers/ingest-deliveries';

/**
 * docs/security.md, "Bots farming a public form". The attack as a review reproduced it on main: twenty
 * curl posts to an html-form source with a made-up Origin (the allowed one, typed by hand) and
 * `newsletter=on`, each a different address, all from one client: twenty thank-you redirects and twenty
 * queued signups with marketing consent. Now the form has a CAPTCHA unless it says `captcha: false` with
 * a reason, and either way one client gets at most `clientLimit.max` posts per window: the limiter is the
 * production adapter (shared/aws/dynamodb-client-limit.ts) on a real DynamoDB API (dynalite).
 */

jest.setTimeout(30_000);

const FORM = {
  id: 'newsletter',
  kind: 'html-form',
  allowedOrigins: [FORM_ORIGIN],
  thankYouUrl: THANK_YOU_URL,
  errorUrl: ERROR_URL,
  fieldMap: { newsletter: 'consent.marketing' },
} as const satisfies SourceConfigInput;
const NO_CAPTCHA = { captcha: false, captchaReason: 'a test form; the per-client limit is what is under test' } as const;
const BOT_IP = '203.0.113.66';

let store: EmbeddedDynamoDb;
beforeAll(async () => {
  store = await startEmbeddedDynamoDb();
});
afterAll(async () => {
  await store.close();
});

function aForm(source: SourceConfigInput, options: { captcha?: CaptchaVerifier; secretJson?: string } = {}) {
  const sources = parseIngestSources([source]);
  const { queue, messages } = fakeQueue();
  const ingest = anIngestHandler({
    queue,
    sources,
    clientLimiter: createDynamoDbClientLimiter(store.client, store.tableName),
    ...(options.captcha ? { captcha: options.captcha } : {}),
    ...(options.secretJson ? { secretJson: options.secretJson } : {}),
  });
  /** A bot's post, as curl sends it: form-encoded, the allowed Origin written by hand, consent ticked. */
  const botPost = (n: number, { sourceIp = BOT_IP, json = false, path = '/sources/newsletter', token = '' } = {}) =>
    ingest(
      anHttpEvent(path, {
        sourceIp,
        body: `email=victim${n}%40example.com&first_name=Ada&last_name=Lovelace&newsletter=on${token ? `&cf-turnstile-response=${token}` : ''}`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: FORM_ORIGIN, ...(json ? { accept: 'application/json' } : {}) },
      }),
    );
  return { ingest, messages, botPost };
}

describe('twenty bot posts to a public form from one client', () => {
  it('queue at most clientLimit.max (10 per 10 minutes by default); the rest go to the error page with Retry-After', async () => {
    // Arrange: a form that opted out of CAPTCHA (with its reason), so only the per-client limit stands
    const { botPost, messages } = aForm({ ...FORM, id: 'newsletter', ...NO_CAPTCHA });

    // Act
    const answers = [];
    for (let n = 0; n < 20; n += 1) answers.push(await botPost(n));

    // Assert
    const thanked = answers.filter((answer) => answer.headers.location === THANK_YOU_URL);
    const refused = answers.filter((answer) => answer.headers.location === ERROR_URL);
    expect(thanked).toHaveLength(10);
    expect(refused).toHaveLength(10);
    expect(messages).toHaveLength(10);
    const retryAfter = Number(refused[0]!.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(600);
  });

  it('answers a fetch caller 429 with Retry-After once over the limit, and counts every client on its own', async () => {
    // Arrange: a tight limit, to keep the test short
    const { botPost, messages } = aForm({ ...FORM, id: 'tight-form', ...NO_CAPTCHA, clientLimit: { max: 3, windowSeconds: 60 } });

    // Act
    const fromBot = [];
    for (let n = 0; n < 5; n += 1) fromBot.push(await botPost(n, { json: true, path: '/sources/tight-form' }));
    const fromAPerson = await botPost(99, { json: true, path: '/sources/tight-form', sourceIp: '198.51.100.7' });

    // Assert
    expect(fromBot.map((answer) => answer.statusCode)).toEqual([202, 202, 202, 429, 429]);
    expect(JSON.parse(fromBot[3]!.body)).toEqual({ ok: false, error: 'Too many signups from your network in a short time; please try again later.' });
    expect(Number(fromBot[3]!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(fromAPerson.statusCode).toBe(202);
    expect(messages).toHaveLength(4);
  });

  it('counts an IPv6 client by its /64, so a bot cannot step through its own addresses', async () => {
    // Arrange
    const { botPost, messages } = aForm({ ...FORM, id: 'v6-form', ...NO_CAPTCHA, clientLimit: { max: 2, windowSeconds: 60 } });

    // Act: three addresses of one /64, one of another
    const a = await botPost(1, { path: '/sources/v6-form', sourceIp: '2001:db8:1:2::1' });
    const b = await botPost(2, { path: '/sources/v6-form', sourceIp: '2001:db8:1:2:ffff::9' });
    const c = await botPost(3, { path: '/sources/v6-form', sourceIp: '2001:0db8:0001:0002:0000:0000:0000:0042' });
    const other = await botPost(4, { path: '/sources/v6-form', sourceIp: '2001:db8:1:3::1' });

    // Assert
    expect([a, b, c, other].map((answer) => answer.headers.location)).toEqual([THANK_YOU_URL, THANK_YOU_URL, ERROR_URL, THANK_YOU_URL]);
    expect(messages).toHaveLength(3);
    expect(clientOf('::ffff:192.0.2.1')).toBe('192.0.2.1');
  });

  it('counts a post while the sources secret loads (one wait on a cold start), and refuses it once the secret is read', async () => {
    // Arrange: a secret read that waits until released, a limiter that notes when it counts
    const sources = parseIngestSources([{ ...FORM, id: 'overlap-form', ...NO_CAPTCHA, clientLimit: { max: 1, windowSeconds: 60 } }]);
    const order: string[] = [];
    let release = () => {};
    const counter = createDynamoDbClientLimiter(store.client, store.tableName);
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({
      queue,
      sources,
      sourceSecrets: () => {
        order.push('secret requested');
        return new Promise((resolve) => {
          release = () => {
            order.push('secret read');
            resolve(parseSourceSecrets(sourcesSecretJson(sources), sources));
          };
        });
      },
      clientLimiter: {
        take: async (request) => {
          order.push('counted');
          const allowed = await counter.take(request);
          release();
          return allowed;
        },
      },
    });
    const post = (n: number) =>
      ingest(
        anHttpEvent('/sources/overlap-form', {
          sourceIp: BOT_IP,
          body: `email=overlap${n}%40example.com&first_name=Ada&last_name=Lovelace`,
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: FORM_ORIGIN },
        }),
      );

    // Act
    const first = await post(1);
    const second = await post(2);

    // Assert: the count started before the secret was read; the second post is over the limit of 1
    expect(order.slice(0, 3)).toEqual(['secret requested', 'counted', 'secret read']);
    expect(first.headers.location).toBe(THANK_YOU_URL);
    expect(second.headers.location).toBe(ERROR_URL);
    expect(messages).toHaveLength(1);
  });

  it('queue nothing from a form with a CAPTCHA: a bot has no token the provider passes', async () => {
    // Arrange: the provider refuses what a bot posts (a missing or made-up token)
    let checks = 0;
    const refusing: CaptchaVerifier = {
      siteverify: async () => {
        checks += 1;
        return { success: false, errorCodes: ['invalid-input-response'] };
      },
    };
    const { botPost, messages } = aForm(
      { ...FORM, id: 'captcha-form', captcha: { provider: 'turnstile' } },
      { captcha: refusing, secretJson: JSON.stringify({ api: SECRETS.api, 'captcha-form': { captchaSecret: 'a-turnstile-secret-key-0000' } }) },
    );

    // Act: ten posts without a token, ten with a made-up one
    const answers = [];
    for (let n = 0; n < 10; n += 1) answers.push(await botPost(n, { path: '/sources/captcha-form' }));
    const clientB = '198.51.100.23';
    for (let n = 10; n < 20; n += 1) answers.push(await botPost(n, { path: '/sources/captcha-form', sourceIp: clientB, token: `made-up-${n}` }));
    const overLimit = await botPost(20, { path: '/sources/captcha-form', sourceIp: clientB, token: 'made-up-20' });

    // Assert: no token is refused without asking the provider; a made-up one is refused by it; past the
    // per-client limit the provider is not asked at all
    expect([...answers, overLimit].every((answer) => answer.headers.location === ERROR_URL)).toBe(true);
    expect(messages).toHaveLength(0);
    expect(checks).toBe(10);
    expect(overLimit.headers['retry-after']).toBeDefined();
  });

  it('never limits a webhook: twenty signed deliveries from one address are all queued', async () => {
    // Arrange: a Typeform source beside the form, the same client address for every delivery
    const sources = SOURCES.filter((source) => source.kind === 'typeform');
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue, sources, clientLimiter: createDynamoDbClientLimiter(store.client, store.tableName) });
    const delivery = DELIVERIES.typeform;
    const path = '/sources/typeform-src';

    // Act
    const statuses = [];
    for (let n = 0; n < 20; n += 1) {
      const response = await ingest(
        anHttpEvent(path, {
          sourceIp: BOT_IP,
          body: delivery.body,
          headers: { 'content-type': delivery.contentType, ...senderHeaders('typeform', delivery.body, publicUrlOf(path)) },
        }),
      );
      statuses.push(response.statusCode);
    }

    // Assert
    expect(statuses.every((status) => status === 202)).toBe(true);
    expect(messages).toHaveLength(20);
  });
});

describe('a public form must decide on a CAPTCHA', () => {
  const withForm = (form: Record<string, unknown>) => ({ storeHash: 'abc', sources: [form] });

  it('refuses at synth and at cold start an html-form source with no captcha setting, saying how to fix it', () => {
    expect(() => parseStackConfig(withForm(FORM))).toThrow(
      /signupSync\.sources\[0\]\.captcha: a public form must say how bots are kept out: "captcha": \{"provider": .*"captcha": false with "captchaReason"/,
    );
    expect(() =>
      loadIngestConfig({
        SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
        SOURCES_SECRET: 'sources',
        DELIVERY_LEDGER_TABLE: 'deliveries',
        SOURCES_CONFIG: JSON.stringify([FORM]),
      }),
    ).toThrow(/SOURCES_CONFIG: sources\[0\]\.captcha: a public form must say how bots are kept out/);
  });

  it('accepts captcha: false with a reason, refuses it without one, and still refuses a welcome email from such a form', () => {
    expect(() => parseStackConfig(withForm({ ...FORM, ...NO_CAPTCHA }))).not.toThrow();
    expect(() => parseStackConfig(withForm({ ...FORM, captcha: false }))).toThrow(/sources\[0\]\.captchaReason: captcha: false needs captchaReason/);
    expect(() => parseStackConfig(withForm({ ...FORM, captcha: false, captchaReason: 'because' }))).toThrow(/captchaReason: must say why/);
    expect(() => parseStackConfig(withForm({ ...FORM, captcha: { provider: 'turnstile' }, captchaReason: 'not needed here at all' }))).toThrow(
      /captchaReason goes with captcha: false only/,
    );
    expect(() => parseStackConfig({ ...withForm({ ...FORM, ...NO_CAPTCHA }), sendWelcomeEmail: true })).toThrow(/sends a welcome email/);
  });
});
