import { parseIngestSources } from '../../shared/ingest/ingest-sources';
import { createLogger } from '../../shared/logger';
import type { SignupMessage } from '../../shared/signup/signup-schema';
import type { SourceKind } from '../../shared/sources/source-config';
import {
  anHttpEvent,
  anIngestHandler,
  ERROR_URL,
  FORM_ORIGIN,
  fakeQueue,
  type HttpEventOptions,
  publicUrlOf,
  SECRETS,
  senderHeaders,
  sourceIdOf,
  sourcesSecretJson,
  THANK_YOU_URL,
} from '../helpers/ingest';
import { DELIVERIES } from '../helpers/ingest-deliveries';
import { TYPEFORM_FORM_RESPONSE } from './sources/examples';

/** The ingest handler's /sources/{sourceId} routes, end to end in-process, with a fake queue. */

/** The idempotency key each example should get: `<sourceId>:<sender event id>`, or the message id. */
const EXPECTED_KEYS: Readonly<Record<SourceKind, RegExp>> = {
  'standard-webhooks': /^standard-webhooks-src:msg_2kX9$/,
  'html-form': /^[0-9a-f-]{36}$/,
  mailchimp: /^mailchimp-src:sha256:[0-9a-f]{64}$/,
  hubspot: /^[0-9a-f-]{36}$/,
  typeform: /^typeform-src:LtWXD3crgy$/,
  webflow: /^[0-9a-f-]{36}$/,
  tally: /^tally-src:a4cb511e-d513-4fa5-baee-b815d718dfd1$/,
  kit: /^kit-src:9c2e1f3a-6b7d-4e8f-a1b2-c3d4e5f60718$/,
  shopify: /^shopify-src:sha256:[0-9a-f]{64}$/,
  jotform: /^jotform-src:5812345678901234567$/,
  activecampaign: /^activecampaign-src:sha256:[0-9a-f]{64}$/,
};

function deliveryEvent(kind: SourceKind, overrides: HttpEventOptions = {}) {
  const delivery = DELIVERIES[kind];
  const path = `/sources/${sourceIdOf(kind)}`;
  const query = delivery.query ?? {};
  return anHttpEvent(path, {
    body: delivery.body,
    query,
    ...overrides,
    headers: {
      'content-type': delivery.contentType,
      ...senderHeaders(kind, delivery.body, publicUrlOf(path, query)),
      ...delivery.headers,
      ...overrides.headers,
    },
  });
}

const problemOf = (response: { body: string; headers: Record<string, string> }) => {
  expect(response.headers['content-type']).toBe('application/problem+json');
  return JSON.parse(response.body) as { status: number; title: string; detail?: string; errors?: { path: string; message: string }[] };
};

const KINDS = Object.keys(DELIVERIES) as SourceKind[];

describe('POST /sources/{sourceId}', () => {
  it.each(KINDS.filter((kind) => kind !== 'html-form'))(
    'accepts a signed %s delivery with 202 and enqueues it with its source and idempotency key',
    async (kind) => {
      // Arrange
      const { queue, messages } = fakeQueue();
      const ingest = anIngestHandler({ queue });

      // Act
      const response = await ingest(deliveryEvent(kind));

      // Assert
      expect(response.statusCode).toBe(202);
      const body = JSON.parse(response.body) as { accepted: number; ids: string[] };
      expect(body.accepted).toBe(messages.length);
      expect(messages.length).toBeGreaterThanOrEqual(1);
      for (const message of messages as SignupMessage[]) {
        expect(message.source).toMatchObject({ id: sourceIdOf(kind), kind });
        expect(message.idempotency_key).toMatch(EXPECTED_KEYS[kind]);
        expect(body.ids).toContain(message.id);
      }
    },
  );

  it('puts the source customer defaults and the sender event time in the message', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const body = JSON.stringify({
      type: 'contact.created',
      timestamp: '2026-07-29T14:30:00Z',
      data: { email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' },
    });

    // Act
    const response = await anIngestHandler({ queue })(deliveryEvent('standard-webhooks', { body, headers: senderHeaders('standard-webhooks', body) }));

    // Assert
    expect(response.statusCode).toBe(202);
    expect(messages).toEqual([
      expect.objectContaining({
        source: {
          id: 'standard-webhooks-src',
          kind: 'standard-webhooks',
          customer_defaults: { channel_ids: [2], customer_group_id: 4, send_welcome_email: true },
        },
        signup: expect.objectContaining({ email: 'ada@example.com', occurred_at: '2026-07-29T14:30:00.000Z', event_id: 'msg_2kX9' }),
      }),
    ]);
  });

  it('decodes base64 bodies (API Gateway sends forms and multipart that way)', async () => {
    const { queue, messages } = fakeQueue();
    const response = await anIngestHandler({ queue })(deliveryEvent('jotform', { base64: true }));
    expect(response.statusCode).toBe(202);
    expect(messages).toHaveLength(1);
  });

  it.each(KINDS.filter((kind) => !['html-form'].includes(kind)))(
    'answers 401 to a %s delivery with a bad or missing credential, and enqueues nothing',
    async (kind) => {
      // Arrange
      const { queue, messages } = fakeQueue();
      const ingest = anIngestHandler({ queue });
      const delivery = DELIVERIES[kind];
      const path = `/sources/${sourceIdOf(kind)}`;
      const tampered = `${delivery.body}\n`;
      const query: Record<string, string> = delivery.query ? { token: 'wrong-token-0123456789' } : {};

      // Act: a signature over other bytes (or a wrong URL token), then no credential at all.
      const wrong = await ingest(
        anHttpEvent(path, {
          body: tampered,
          query,
          headers: { 'content-type': delivery.contentType, ...senderHeaders(kind, delivery.body, publicUrlOf(path, query)) },
        }),
      );
      const missing = await ingest(anHttpEvent(path, { body: delivery.body, headers: { 'content-type': delivery.contentType } }));

      // Assert
      expect([wrong.statusCode, missing.statusCode]).toEqual([401, 401]);
      expect(problemOf(wrong)).toMatchObject({ status: 401, title: 'Unauthorized' });
      expect(messages).toHaveLength(0);
    },
  );

  it('answers an unknown source id exactly like a bad signature (401, never 404 or 410), on every method', async () => {
    // Arrange
    const ingest = anIngestHandler({ queue: fakeQueue().queue });
    const badSignature = await ingest(deliveryEvent('typeform', { headers: { 'typeform-signature': 'sha256=AAAA' } }));

    // Act
    const unknown = await Promise.all(
      (['POST', 'GET', 'OPTIONS'] as const).map((method) =>
        ingest(anHttpEvent('/sources/no-such-source', { method, body: DELIVERIES.typeform.body, headers: { 'content-type': 'application/json' } })),
      ),
    );
    const reserved = await ingest(anHttpEvent('/sources/api', { body: '{}', headers: { 'content-type': 'application/json' } }));

    // Assert
    for (const response of [...unknown, reserved]) {
      expect(response.statusCode).toBe(401);
      expect(response.body).toBe(badSignature.body);
    }
  });

  it('answers 200 to an authentic event that is not a signup, and enqueues nothing', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue });
    const unsubscribe = 'type=campaign&fired_at=2009-03-26+21%3A40%3A57&data%5Bemail%5D=api%40mailchimp.com';
    const partial = JSON.stringify({ ...TYPEFORM_FORM_RESPONSE, event_type: 'form_response_partial' });

    // Act
    const responses = [
      await ingest(deliveryEvent('mailchimp', { body: unsubscribe })),
      await ingest(deliveryEvent('typeform', { body: partial, headers: senderHeaders('typeform', partial) })),
      // Mailchimp's URL check may also be an empty POST.
      await ingest(deliveryEvent('mailchimp', { body: '' })),
    ];

    // Assert
    for (const response of responses) {
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toEqual({ accepted: 0, ids: [], ignored: true });
    }
    expect(messages).toHaveLength(0);
  });

  it('without a dead-letter queue, answers 422 listing the failing fields (never their values) when a signup is invalid, and enqueues nothing', async () => {
    // Arrange: Kit sends no last name; this source refuses nameless signups (test/unit/ingest/unmappable.test.ts: with a DLQ).
    const { queue, messages } = fakeQueue();
    const strict = [{ id: 'kit-strict', kind: 'kit' as const, eventTypes: ['subscriber.created'], nameless: 'reject' as const }];
    const sources = parseIngestSources(strict);
    const body = DELIVERIES.kit.body;

    // Act
    const response = await anIngestHandler({ queue, sources })(
      anHttpEvent('/sources/kit-strict', { body, headers: { 'content-type': 'application/json', ...senderHeaders('kit', body) } }),
    );

    // Assert
    expect(response.statusCode).toBe(422);
    const problem = problemOf(response);
    expect(problem.errors?.map((error) => error.path)).toEqual(['/last_name']);
    expect(response.body).not.toContain('ada@example.com');
    expect(messages).toHaveLength(0);
  });

  it('answers 503 with Retry-After when SQS does not take the messages (never 2xx)', async () => {
    // Arrange
    const { queue, state } = fakeQueue();
    state.fail = true;

    // Act
    const response = await anIngestHandler({ queue })(deliveryEvent('tally'));

    // Assert
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toMatch(/^\d+$/);
    expect(problemOf(response).status).toBe(503);
  });

  it('answers a generic 500 for a source whose secret is missing, while the other sources keep working', async () => {
    // Arrange
    const lines: string[] = [];
    const logger = createLogger('test', { write: (line) => lines.push(line) });
    const table = JSON.parse(sourcesSecretJson()) as Record<string, string>;
    delete table['typeform-src'];
    const ingest = anIngestHandler({ queue: fakeQueue().queue, secretJson: JSON.stringify(table), logger });

    // Act
    const typeform = await ingest(deliveryEvent('typeform'));
    const tally = await ingest(deliveryEvent('tally'));

    // Assert
    expect(typeform.statusCode).toBe(500);
    expect(problemOf(typeform).detail).not.toMatch(/typeform|secret/i);
    expect(tally.statusCode).toBe(202);
    expect(lines.join('\n')).toContain('typeform-src: no secret');
    expect(lines.join('\n')).not.toContain(SECRETS.signing);
  });

  it('answers 405 (a problem with Allow) to a method the source does not use', async () => {
    const response = await anIngestHandler({ queue: fakeQueue().queue })(deliveryEvent('typeform', { method: 'GET', body: undefined }));
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('POST');
    expect(problemOf(response).status).toBe(405);
  });

  it('never logs personal data or secrets', async () => {
    // Arrange
    const lines: string[] = [];
    const logger = createLogger('test', { write: (line) => lines.push(line) });
    const ingest = anIngestHandler({ queue: fakeQueue().queue, logger });

    // Act: every delivery, a refused signature, and authentic refusals built around sender-chosen values
    // (a content type and an event type carrying a name or an email) that a log line must not repeat
    for (const kind of KINDS) await ingest(deliveryEvent(kind));
    await ingest(deliveryEvent('kit', { headers: { 'x-kit-signature': 't=1,v1=00' } }));
    const refusals = await Promise.all([
      ingest(deliveryEvent('typeform', { headers: { 'content-type': 'lovelace/ada' } })),
      ingest(deliveryEvent('mailchimp', { headers: { 'content-type': 'lovelace/ada' } })),
      ingest(deliveryEvent('mailchimp', { body: DELIVERIES.mailchimp.body.toString().replace('type=subscribe', 'type=ada%40example.com') })),
    ]);

    // Assert
    expect(refusals.map((response) => response.statusCode)).toEqual([415, 415, 200]);
    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThan(KINDS.length);
    expect(log.toLowerCase()).not.toContain('lovelace');
    for (const secret of Object.values(SECRETS)) expect(log).not.toContain(secret);
    for (const personal of ['ada@example.com', 'Lovelace', 'api@mailchimp.com', 'laura@example.com', 'kin@example.com', 'Biller', 'Zaphod'])
      expect(log).not.toContain(personal);
  });
});

describe('GET /sources/{sourceId} (handshakes)', () => {
  it("answers Mailchimp's URL check with 200 without the token", async () => {
    const response = await anIngestHandler({ queue: fakeQueue().queue })(anHttpEvent('/sources/mailchimp-src', { method: 'GET' }));
    expect(response.statusCode).toBe(200);
  });
});

describe('html-form sources', () => {
  const form = (overrides: HttpEventOptions = {}) =>
    anHttpEvent('/sources/html-form-src', {
      body: DELIVERIES['html-form'].body,
      ...overrides,
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: FORM_ORIGIN, ...overrides.headers },
    });

  it('answers a native post with 303 to the thank-you page, and enqueues the signup with its consent', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();

    // Act
    const response = await anIngestHandler({ queue })(form());

    // Assert
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(THANK_YOU_URL);
    expect(messages).toEqual([
      expect.objectContaining({
        source: { id: 'html-form-src', kind: 'html-form' },
        signup: expect.objectContaining({ email: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper', consent: { marketing: true } }),
      }),
    ]);
  });

  it('redirects invalid data to the error page (303), and answers fetch posts with JSON 422', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue });
    const invalid = 'email=not-an-email&full_name=Grace+Hopper';

    // Act
    const native = await ingest(form({ body: invalid }));
    const fetched = await ingest(form({ body: invalid, headers: { accept: 'application/json' } }));

    // Assert
    expect(native.statusCode).toBe(303);
    expect(native.headers.location).toBe(`${ERROR_URL}?fields=email`);
    expect(fetched.statusCode).toBe(422);
    expect(fetched.headers['access-control-allow-origin']).toBe(FORM_ORIGIN);
    expect(JSON.parse(fetched.body)).toMatchObject({ ok: false, issues: [{ path: '/email' }] });
    expect(fetched.body).not.toContain('not-an-email');
    expect(messages).toHaveLength(0);
  });

  it('redirects a queue failure to the error page, and answers fetch posts 503 with Retry-After', async () => {
    // Arrange
    const { queue, state } = fakeQueue();
    state.fail = true;
    const ingest = anIngestHandler({ queue });

    // Act
    const native = await ingest(form());
    const fetched = await ingest(form({ headers: { accept: 'application/json' } }));

    // Assert
    expect([native.statusCode, native.headers.location]).toEqual([303, ERROR_URL]);
    expect(fetched.statusCode).toBe(503);
    expect(fetched.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('answers a filled honeypot exactly like a success, and enqueues nothing', async () => {
    const { queue, messages } = fakeQueue();
    const response = await anIngestHandler({ queue })(form({ body: 'email=bot%40example.com&full_name=Bot+Net&website=http%3A%2F%2Fspam' }));
    expect([response.statusCode, response.headers.location]).toEqual([303, THANK_YOU_URL]);
    expect(messages).toHaveLength(0);
  });

  it('refuses a post from another origin (redirected to the error page)', async () => {
    const { queue, messages } = fakeQueue();
    const response = await anIngestHandler({ queue })(form({ headers: { origin: 'https://evil.example.net' } }));
    expect([response.statusCode, response.headers.location]).toEqual([303, ERROR_URL]);
    expect(messages).toHaveLength(0);
  });
});

describe('OPTIONS /sources/{sourceId} (CORS preflight)', () => {
  it('allows fetch posts from an allow-listed origin, and refuses others', async () => {
    // Arrange
    const ingest = anIngestHandler({ queue: fakeQueue().queue });
    const preflight = (origin: string) =>
      anHttpEvent('/sources/html-form-src', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });

    // Act
    const allowed = await ingest(preflight(FORM_ORIGIN));
    const refused = await ingest(preflight('https://evil.example.net'));

    // Assert
    expect(allowed.statusCode).toBe(204);
    expect(allowed.headers).toMatchObject({ 'access-control-allow-origin': FORM_ORIGIN, 'access-control-allow-methods': 'POST, OPTIONS' });
    expect(refused.statusCode).toBe(403);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(problemOf(refused).status).toBe(403);
  });
});

describe('routing', () => {
  it('routes by method and path when API Gateway sends no route key of ours (local mode, $default)', async () => {
    const { queue, messages } = fakeQueue();
    const response = await anIngestHandler({ queue })(deliveryEvent('tally', { routeKey: '$default' }));
    expect(response.statusCode).toBe(202);
    expect(messages).toHaveLength(1);
  });
});
