import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { signConfirmationToken } from '../../../shared/consent/confirmation-token';
import { deriveConsentKeys } from '../../../shared/consent/consent-keys';
import { type ConsentStore, ConsentStoreError, type PendingConfirmation } from '../../../shared/consent/consent-store';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import { confirmationMessageSchema } from '../../../shared/signup/signup-schema';
import { anApiEvent, aSignupMessage } from '../../helpers/events';
import { anIngestHandler, fakeQueue, NOW } from '../../helpers/ingest';

/**
 * `GET|POST /confirm/{token}` (docs/subscribers.md, "Double opt-in"), through the real ingest handler:
 * GET shows the Confirm page and confirms nothing (mail scanners open links); POST enqueues a
 * confirmation message that holds no email; every link that confirms nothing gets a page that says why.
 */

const HASH_KEY = 'confirm-route-test-hash-key-0123456789';
const keys = deriveConsentKeys(HASH_KEY);
const SOURCES = parseIngestSources([
  {
    id: 'news',
    kind: 'html-form',
    allowedOrigins: ['https://shop.example'],
    thankYouUrl: 'https://shop.example/thanks',
    errorUrl: 'https://shop.example/oops',
    captcha: false,
    captchaReason: 'the confirm route is under test',
    intent: 'newsletter',
    consentVersion: 'v1',
    recordClientIp: true,
    doubleOptIn: { from: 'news@shop.example', subject: 'Confirm' },
  },
  {
    id: 'redirects',
    kind: 'html-form',
    allowedOrigins: ['https://shop.example'],
    thankYouUrl: 'https://shop.example/thanks',
    errorUrl: 'https://shop.example/oops',
    captcha: false,
    captchaReason: 'the confirm route is under test',
    consentVersion: 'v1',
    doubleOptIn: { from: 'news@shop.example', subject: 'Confirm', confirmedUrl: 'https://shop.example/welcome' },
  },
]);

const person = keys.personOf('ada@example.com');
const expiresAt = Math.floor(NOW.getTime() / 1000) + 3600;
const tokenFor = (overrides: Partial<{ person: string; sourceId: string; nonce: string; expiresAt: number }> = {}, key = keys.tokenKey) =>
  signConfirmationToken({ person, sourceId: 'news', nonce: 'nonce-1', expiresAt, ...overrides }, key);

function pending(overrides: Partial<PendingConfirmation> = {}): PendingConfirmation {
  return {
    person,
    sourceId: 'news',
    email: 'ada@example.com',
    expiresAtMs: expiresAt * 1000,
    mails: 1,
    sentBy: ['m1'],
    nonces: ['nonce-1'],
    version: 1,
    message: aSignupMessage({ email: 'ada@example.com' }),
    customerWritten: false,
    ...overrides,
  };
}

/** `null`: no pending request (erased, expired, never mailed). */
function setup(found: PendingConfirmation | null | Error = pending()) {
  const { queue, messages, state } = fakeQueue();
  const reads: unknown[] = [];
  const store: Pick<ConsentStore, 'readPending'> = {
    readPending: async (key) => {
      reads.push(key);
      if (found instanceof Error) throw found;
      return found ?? undefined;
    },
  };
  const handler = anIngestHandler({ queue, sources: SOURCES, confirmationsHashKey: HASH_KEY, consentStore: store });
  const call = (method: 'GET' | 'POST', token: string) => {
    const event: APIGatewayProxyEventV2 = {
      ...anApiEvent(undefined, { routeKey: `${method} /confirm/{token}`, contentType: null }),
      rawPath: `/confirm/${token}`,
      pathParameters: { token },
    };
    return handler(event);
  };
  return { call, messages, reads, state };
}

const titleOf = (body: string) => /<h1>(.*?)<\/h1>/.exec(body)?.[1];

describe('GET /confirm/{token}', () => {
  it('shows a page with a Confirm button and confirms nothing', async () => {
    const { call, messages, reads } = setup();
    const answer = await call('GET', tokenFor());
    expect(answer.statusCode).toBe(200);
    expect(titleOf(answer.body)).toBe('Confirm your subscription');
    expect(answer.body).toContain('<form method="post"><button type="submit" id="confirm">');
    expect(answer.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' });
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
    expect(messages).toEqual([]);
    expect(reads).toEqual([{ person, sourceId: 'news' }]);
  });

  it('says an expired link expired (410), and that a changed or foreign one is not valid (404), without reading the table', async () => {
    const { call, reads } = setup();
    const expired = await call('GET', tokenFor({ expiresAt: Math.floor(NOW.getTime() / 1000) - 1 }));
    expect([expired.statusCode, titleOf(expired.body)]).toEqual([410, 'This link has expired']);
    const [payload, mac] = tokenFor().split('.') as [string, string];
    const otherPerson = Buffer.from(JSON.stringify({ p: keys.personOf('eve@example.com'), s: 'news', n: 'nonce-1', e: expiresAt })).toString('base64url');
    for (const token of [
      `${otherPerson}.${mac}`,
      `${payload}.${mac.slice(0, -2)}AA`,
      tokenFor({}, deriveConsentKeys('another-stack-hash-key-0123456789').tokenKey),
      'x',
      'a.b.c',
      'A'.repeat(500),
    ]) {
      const answer = await call('GET', token);
      expect([answer.statusCode, titleOf(answer.body)]).toEqual([404, 'This link is not valid']);
    }
    expect(reads).toEqual([]);
  });

  it('says a link confirms nothing any more (410) when its request is gone (erased, expired) or was mailed again under another nonce', async () => {
    expect(titleOf((await setup(null).call('GET', tokenFor())).body)).toBe('This link is no longer valid');
    const superseded = await setup(pending({ nonces: ['nonce-2'] })).call('GET', tokenFor());
    expect([superseded.statusCode, titleOf(superseded.body)]).toEqual([410, 'This link is no longer valid']);
  });

  it('says so when the request was confirmed already', async () => {
    const answer = await setup(pending({ confirmedAt: '2026-07-29T14:00:00.000Z' })).call('POST', tokenFor());
    expect([answer.statusCode, titleOf(answer.body)]).toEqual([200, 'Already confirmed']);
  });

  it('answers a page with Retry-After when the consent table cannot be read (503)', async () => {
    const answer = await setup(new ConsentStoreError('consent lookup failed: ThrottlingException')).call('GET', tokenFor());
    expect([answer.statusCode, answer.headers['retry-after'], titleOf(answer.body)]).toEqual([503, '5', 'Please try again in a minute']);
  });
});

describe('POST /confirm/{token}', () => {
  it('enqueues one confirmation message with the person key, the nonce and (recordClientIp) the IP: no email, no name', async () => {
    const { call, messages } = setup();
    const answer = await call('POST', tokenFor());
    expect([answer.statusCode, titleOf(answer.body)]).toEqual([200, 'Subscription confirmed']);
    expect(messages).toHaveLength(1);
    const message = confirmationMessageSchema.parse(messages[0]);
    expect(message).toMatchObject({
      schema_version: 4,
      kind: 'confirmation',
      received_at: NOW.toISOString(),
      source: { id: 'news', kind: 'html-form' },
      confirmation: { person, nonce: 'nonce-1', ip: '192.0.2.1' },
    });
    expect(JSON.stringify(message)).not.toContain('ada@example.com');
  });

  it("sends the person to the source's confirmedUrl when it has one", async () => {
    const { call } = setup(pending({ sourceId: 'redirects' }));
    const answer = await call('POST', tokenFor({ sourceId: 'redirects' }));
    expect(answer.statusCode).toBe(303);
    expect(answer.headers['location']).toBe('https://shop.example/welcome');
  });

  it('answers 503 with a page when the queue refuses, and enqueues nothing', async () => {
    const { call, messages, state } = setup();
    state.fail = true;
    const answer = await call('POST', tokenFor());
    expect(answer.statusCode).toBe(503);
    expect(titleOf(answer.body)).toBe('Please try again in a minute');
    expect(messages).toEqual([]);
  });

  it('answers 404 (no links here) when no source has double opt-in', async () => {
    const { queue } = fakeQueue();
    const handler = anIngestHandler({ queue });
    const token = tokenFor();
    const answer = await handler({ ...anApiEvent(undefined, { routeKey: 'POST /confirm/{token}', contentType: null }), pathParameters: { token } });
    expect([answer.statusCode, titleOf(answer.body)]).toEqual([404, 'Nothing to confirm here']);
  });
});
