import type { SQSRecord } from 'aws-lambda';
import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { createOutbox } from '../../../local/consent/outbox';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../../../local/delivery-ledger/embedded-dynamodb';
import { createConsentAdmin } from '../../../shared/aws/dynamodb-consent-store';
import { verifyConfirmationToken } from '../../../shared/consent/confirmation-token';
import { deriveConsentKeys } from '../../../shared/consent/consent-keys';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import type { UnmappableLetter } from '../../../shared/ingest/unmappable';
import { createLogger } from '../../../shared/logger';
import { createEmailHasher } from '../../../shared/observability/email-hash';
import { CONFIRMATION_KIND, type ConfirmationMessage, type SignupInput, type SignupMessage } from '../../../shared/signup/signup-schema';
import type { SyncStatus } from '../../../shared/sync/outcome';
import { TRACE_EVENT_NAMES, TRACE_FIELD, type TraceEventName } from '../../../shared/trace/trace-events';
import { startTestLedger, type TestLedger } from '../../helpers/delivery-ledger';
import { anSqsRecord, aSignupMessage } from '../../helpers/events';
import { anHttpEvent, anIngestHandler, FORM_ORIGIN, fakeQueue, SECRETS, senderHeaders, sourcesSecretJson, standardWebhookHeaders } from '../../helpers/ingest';
import { DELIVERIES } from '../../helpers/ingest-deliveries';
import { captureWrite } from '../../helpers/log-capture';
import { syncHarness } from '../../helpers/sync-harness';
import { KIT_DELIVERY } from '../sources/examples';

/**
 * Every outcome the product can reach writes the line `signup-sync trace` reads (shared/trace/trace-events.ts):
 * a table of outcome kinds, each driven through the real handler (functions/ingest/build-handler.ts,
 * functions/sync/build-handler.ts against the BigCommerce sandbox), asserting its trace line and the ids
 * trace joins on. The table is typed by the event names and the sync statuses, so a new outcome without
 * a row does not compile, and a row whose line is missing fails.
 */

const HASH_KEY = 'trace-lines-test-key-0123456789';
const hash = createEmailHasher(HASH_KEY);

type Line = Readonly<Record<string, unknown>> & { trace?: string };

function capturingLogger() {
  const lines: Line[] = [];
  const logger = createLogger('test', {
    level: 'debug',
    write: (line) => {
      lines.push(JSON.parse(line) as Line);
      captureWrite(line);
    },
  });
  return { logger, lines };
}

const ofEvent = (lines: readonly Line[], event: TraceEventName) => lines.filter((line) => line[TRACE_FIELD] === event);
const signupsOf = (line: Line | undefined) => (line?.['signups'] ?? []) as Readonly<Record<string, unknown>>[];

// ---------------------------------------------------------------------------------------------- ingest

const SOURCE_INPUTS = [
  { id: 'kit-news', kind: 'kit', lastNamePolicy: { placeholder: '-' } },
  { id: 'survey', kind: 'typeform', incomplete: 'ignore' },
  { id: 'kit-strict', kind: 'kit', eventTypes: ['subscriber.created'] },
  { id: 'list', kind: 'mailchimp' },
  {
    id: 'form',
    kind: 'html-form',
    allowedOrigins: [FORM_ORIGIN],
    thankYouUrl: `${FORM_ORIGIN}/thanks`,
    errorUrl: `${FORM_ORIGIN}/oops`,
    honeypotField: 'website',
    lastNamePolicy: 'split-full-name',
  },
] as const;
const SOURCES = parseIngestSources(SOURCE_INPUTS);
const SECRET_JSON = sourcesSecretJson(SOURCES, { 'kit-news': SECRETS.signing, survey: SECRETS.signing, 'kit-strict': SECRETS.signing, list: SECRETS.token });

let ledgerStore: TestLedger;
beforeAll(async () => {
  ledgerStore = await startTestLedger();
});
afterAll(() => ledgerStore.close());

function ingest(options: { queueFails?: boolean; clientLimited?: boolean } = {}) {
  const { logger, lines } = capturingLogger();
  const queue = fakeQueue();
  if (options.queueFails) queue.state.fail = true;
  const letters: UnmappableLetter[] = [];
  const handler = anIngestHandler({
    queue: queue.queue,
    sources: SOURCES,
    secretJson: SECRET_JSON,
    logger,
    hashEmail: hash,
    ledger: ledgerStore.ledger(),
    unmappable: { send: async (batch) => void letters.push(...batch) },
    ...(options.clientLimited ? { clientLimiter: { take: async () => false } } : {}),
  });
  return { handler, lines, queue, letters };
}

let eventCounter = 0;
const nextEventId = (prefix: string) => `${prefix}-${Date.now()}-${++eventCounter}`;
const signup = (email: string, extra: Partial<SignupInput> = {}) => ({ email, first_name: 'Ada', last_name: 'Lovelace', ...extra });
const postSignups = (body: unknown, headers?: Record<string, string>) => {
  const text = JSON.stringify(body);
  return anHttpEvent('/signups', {
    body: text,
    headers: { 'content-type': 'application/json', ...(headers ?? standardWebhookHeaders(text, { id: nextEventId('wh') })) },
  });
};
const kitBody = (email: string | null, options: { type?: string; firstName?: string | null } = {}) =>
  JSON.stringify({
    ...KIT_DELIVERY,
    delivery_id: ++eventCounter,
    events: [
      {
        ...KIT_DELIVERY.events[0]!,
        id: nextEventId('kit'),
        type: options.type ?? 'subscriber.activated',
        data: {
          subscriber: {
            ...KIT_DELIVERY.events[0]!.data.subscriber,
            email_address: email,
            first_name: options.firstName === undefined ? 'Ada' : options.firstName,
          },
        },
      },
    ],
  });
const postKit = (sourceId: string, body: string) =>
  anHttpEvent(`/sources/${sourceId}`, { body, headers: { 'content-type': 'application/json', ...senderHeaders('kit', body) } });
const postForm = (body: string, headers: Record<string, string> = {}) =>
  anHttpEvent('/sources/form', { body, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: FORM_ORIGIN, ...headers } });

type IngestRow = Readonly<{
  what: string;
  /** Runs the requests; returns the response status of the last one, and what the line must carry. */
  run: (
    context: ReturnType<typeof ingest>,
  ) => Promise<{ status: number | undefined; expect: Readonly<Record<string, unknown>>; signup?: Readonly<Record<string, unknown>>; lines?: Line[] }>;
}>;

/** Every ingest outcome, by the trace event it writes (`synced`, `redriven`, `dead-lettered`: the sync's, below). */
const INGEST_ROWS: Readonly<Record<Exclude<TraceEventName, 'synced' | 'redriven' | 'dead-lettered'>, readonly IngestRow[]>> = {
  received: [
    {
      what: "every request, before anything is checked: a configured source's route names it",
      run: async ({ handler }) => {
        const response = await handler(anHttpEvent('/sources/kit-news', { body: '{}', headers: { 'content-type': 'application/json' } }));
        return { status: response.statusCode, expect: { sourceId: 'kit-news', method: 'POST' } };
      },
    },
    {
      what: 'a path of no configured source is not echoed',
      run: async ({ handler, lines }) => {
        const response = await handler(anHttpEvent('/sources/made-up', { body: '{}', headers: { 'content-type': 'application/json' } }));
        expect(ofEvent(lines, 'received').at(-1)).not.toHaveProperty('sourceId');
        return { status: response.statusCode, expect: { method: 'POST' } };
      },
    },
  ],
  queued: [
    {
      what: 'POST /signups accepted',
      run: async ({ handler }) => {
        const eventId = nextEventId('evt');
        const response = await handler(postSignups(signup('queued@example.com', { event_id: eventId })));
        const [id] = (JSON.parse(response.body) as { ids: string[] }).ids;
        return {
          status: response.statusCode,
          expect: { sourceId: 'api', ids: [id] },
          signup: { signupId: id, emailHash: hash('queued@example.com'), eventId },
        };
      },
    },
    {
      what: 'a source delivery accepted',
      run: async ({ handler }) => {
        const response = await handler(postKit('kit-news', kitBody('kit.queued@example.com')));
        const [id] = (JSON.parse(response.body) as { ids: string[] }).ids;
        return {
          status: response.statusCode,
          expect: { sourceId: 'kit-news', deliveryId: expect.any(String) },
          signup: { signupId: id, emailHash: hash('kit.queued@example.com') },
        };
      },
    },
  ],
  repeat: [
    {
      what: 'the same delivery twice: folded, answered as before',
      run: async ({ handler }) => {
        const body = kitBody('kit.repeat@example.com');
        const first = await handler(postKit('kit-news', body));
        const ids = (JSON.parse(first.body) as { ids: string[] }).ids;
        const second = await handler(postKit('kit-news', body));
        expect(JSON.parse(second.body)).toMatchObject({ ids });
        return {
          status: second.statusCode,
          expect: { sourceId: 'kit-news', ids, deliveryId: expect.any(String) },
          signup: { emailHash: hash('kit.repeat@example.com') },
        };
      },
    },
  ],
  refused: [
    {
      what: '401, a wrong signature: no email is known (found by its request id)',
      run: async ({ handler }) => {
        const response = await handler(
          postSignups(signup('unsigned@example.com'), { 'webhook-id': 'x', 'webhook-timestamp': '1', 'webhook-signature': 'v1,AAAA' }),
        );
        return { status: response.statusCode, expect: { status: 401, sourceId: 'api', reason: 'Unauthorized' } };
      },
    },
    {
      what: '422, an invalid signup: its email hash and the failing fields',
      run: async ({ handler }) => {
        const response = await handler(postSignups({ email: 'nameless@example.com' }));
        return {
          status: response.statusCode,
          expect: { status: 422, fields: ['/first_name', '/last_name'] },
          signup: { emailHash: hash('nameless@example.com') },
        };
      },
    },
    {
      what: '409, an event id reused for another signup',
      run: async ({ handler }) => {
        const eventId = nextEventId('reused');
        // A bearer token: the delivery is keyed by the signup's event_id (a signed request's by its webhook-id).
        const bearer = { authorization: `Bearer ${SECRETS.api}` };
        expect((await handler(postSignups(signup('first@example.com', { event_id: eventId }), bearer))).statusCode).toBe(202);
        const response = await handler(postSignups(signup('second@example.com', { event_id: eventId }), bearer));
        return { status: response.statusCode, expect: { status: 409 }, signup: { emailHash: hash('second@example.com'), eventId } };
      },
    },
    {
      what: '415, a body of another type',
      run: async ({ handler }) => {
        const response = await handler(
          anHttpEvent('/signups', { body: 'hello', headers: { 'content-type': 'text/plain', authorization: `Bearer ${SECRETS.api}` } }),
        );
        return { status: response.statusCode, expect: { status: 415 } };
      },
    },
    {
      what: '405, a method the source does not take (its adapter answers)',
      run: async ({ handler }) => {
        const response = await handler(anHttpEvent('/sources/kit-news', { method: 'GET' }));
        return { status: response.statusCode, expect: { status: 405, sourceId: 'kit-news', purpose: 'method-not-allowed' } };
      },
    },
    {
      what: '303 to the error page, an html-form post from another origin (403)',
      run: async ({ handler }) => {
        const response = await handler(postForm(DELIVERIES['html-form'].body, { origin: 'https://evil.example.net' }));
        return { status: response.statusCode, expect: { status: 403, sourceId: 'form' } };
      },
    },
    {
      what: '429, a client over its public form limit (rate-limited)',
      run: async () => {
        const { handler, lines } = ingest({ clientLimited: true });
        const response = await handler(postForm(DELIVERIES['html-form'].body, { accept: 'application/json' }));
        return { status: response.statusCode, expect: { status: 429, sourceId: 'form' }, lines };
      },
    },
    {
      what: '503, SQS did not take the signups',
      run: async () => {
        const { handler, lines } = ingest({ queueFails: true });
        const response = await handler(postSignups(signup('outage@example.com')));
        return { status: response.statusCode, expect: { status: 503 }, lines };
      },
    },
  ],
  replied: [
    {
      what: "a Mailchimp webhook's URL check (GET)",
      run: async ({ handler }) => {
        const response = await handler(anHttpEvent('/sources/list', { method: 'GET', query: { token: SECRETS.token } }));
        return { status: response.statusCode, expect: { status: 200, purpose: 'handshake', sourceId: 'list' } };
      },
    },
    {
      what: 'a CORS preflight of an html form',
      run: async ({ handler }) => {
        const response = await handler(
          anHttpEvent('/sources/form', { method: 'OPTIONS', headers: { origin: FORM_ORIGIN, 'access-control-request-method': 'POST' } }),
        );
        return { status: response.statusCode, expect: { status: 204, purpose: 'preflight', sourceId: 'form' } };
      },
    },
  ],
  honeypot: [
    {
      what: 'a filled honeypot: answered as a success, nothing kept',
      run: async ({ handler, queue }) => {
        const response = await handler(postForm('email=bot%40example.com&full_name=Bot+Net&website=http%3A%2F%2Fspam'));
        expect(queue.messages).toHaveLength(0);
        return { status: response.statusCode, expect: { sourceId: 'form' } };
      },
    },
  ],
  ignored: [
    {
      what: 'an authentic event that is not a signup',
      run: async ({ handler }) => {
        const response = await handler(postKit('kit-strict', kitBody('other@example.com')));
        return { status: response.statusCode, expect: { sourceId: 'kit-strict', events: 1, reason: expect.any(String) } };
      },
    },
  ],
  incomplete: [
    {
      what: 'a survey answer without names or consent, from a source that ignores incomplete submissions',
      run: async ({ handler }) => {
        // Typeform's form_response shape: an email and a first name, no opt-in.
        const body = JSON.stringify({
          event_id: nextEventId('tf'),
          event_type: 'form_response',
          form_response: {
            form_id: 'lT4Z3j',
            submitted_at: '2026-07-29T14:30:00Z',
            answers: [
              { type: 'email', email: 'survey@example.com', field: { id: 'SMEUb7VJz92Q', type: 'email' } },
              { type: 'text', text: 'Laura', field: { id: 'JwWggjAKtOkA', type: 'short_text' } },
            ],
          },
        });
        const response = await handler(
          anHttpEvent('/sources/survey', { body, headers: { 'content-type': 'application/json', ...senderHeaders('typeform', body) } }),
        );
        return {
          status: response.statusCode,
          expect: { sourceId: 'survey' },
          signup: { emailHash: hash('survey@example.com'), fields: ['/first_name', '/last_name'] },
        };
      },
    },
  ],
  unmappable: [
    {
      what: 'a webhook signup that cannot be mapped: dead-lettered, answered 2xx',
      run: async ({ handler, letters }) => {
        const response = await handler(postKit('kit-news', kitBody('not-an-email')));
        expect(letters).toHaveLength(1);
        return { status: response.statusCode, expect: { sourceId: 'kit-news' }, signup: { emailHash: hash('not-an-email'), fields: ['/email'] } };
      },
    },
  ],
};

describe('every ingest outcome writes its trace line', () => {
  const rows = Object.entries(INGEST_ROWS).flatMap(([event, list]) => list.map((row) => [event as TraceEventName, row.what, row] as const));

  it.each(rows)('%s: %s', async (event, _what, row) => {
    // Arrange
    const context = ingest();

    // Act
    const result = await row.run(context);

    // Assert: the event's line, with the request id (every ingest line) and the ids of the row.
    const lines = result.lines ?? context.lines;
    const [line, ...more] = ofEvent(lines, event).slice(-1);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ requestId: expect.stringMatching(/^req-/), ...result.expect });
    if (result.signup) expect(signupsOf(line)).toContainEqual(expect.objectContaining(result.signup));
    // Every request wrote its `received` line first, under the same request id.
    const received = ofEvent(lines, 'received').find((candidate) => candidate['requestId'] === line!['requestId']);
    expect(received).toBeDefined();
    expect(lines.indexOf(received!)).toBeLessThanOrEqual(lines.indexOf(line!));
    // No address in any line.
    expect(JSON.stringify(lines)).not.toMatch(/@example\.com/);
    expect(result.status).toEqual(expect.any(Number));
  });
});

// ---------------------------------------------------------------------------------------------- sync

let sandbox: BigCommerceSandbox;
// The consent table (erasures, pending double opt-in) of the double opt-in and erasure outcomes.
let dynamo: EmbeddedDynamoDb;
beforeAll(async () => {
  dynamo = await startEmbeddedDynamoDb();
});
afterAll(() => dynamo.close());
beforeAll(async () => {
  sandbox = await startBigCommerceSandbox({ seed: 21, timeScale: 0.001 });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

let messageCounter = 0;
function message(signupInput: Partial<SignupInput> & { email: string }): SignupMessage {
  messageCounter += 1;
  const base = aSignupMessage(signupInput, { received_at: new Date(Date.now() + messageCounter * 1000).toISOString() });
  const input = Object.fromEntries(Object.entries({ ...base.signup, ...signupInput }).filter(([, value]) => value !== undefined));
  return { ...base, schema_version: 2, signup: input as SignupMessage['signup'] };
}
const nameless = { first_name: undefined, last_name: undefined };

type SyncHarness = ReturnType<typeof syncHarness>;
type SyncRow = Readonly<{
  what: string;
  /** Seeds the store (and the consent table, through earlier deliveries); returns the records to deliver. */
  arrange: (harness: SyncHarness) => SQSRecord[] | Promise<SQSRecord[]>;
  expect: Readonly<Record<string, unknown>>;
  remainingMs?: number;
  /** Runs with the consent table and double opt-in, as deployed. */
  consent?: boolean;
  /** The message is a double opt-in confirmation: no signup, so its line names the message and its source only. */
  confirmation?: boolean;
}>;

const DOUBLE_OPT_IN = { news: { from: 'Shop <news@shop.example>', subject: 'Please confirm' } };
const consentKeys = deriveConsentKeys(HASH_KEY);
let outbox = createOutbox();
/** A signup to the double opt-in newsletter box `news` (message schema version 4). */
const doubleOptInMessage = (email: string): SignupMessage => ({
  ...message({ email, ...nameless, consent: { marketing: true } }),
  schema_version: 4,
  source: { id: 'news', kind: 'html-form', consent_version: 'v1 footer', double_opt_in: 'everything' },
});
/** The confirmation the link of the last mail to `email` sends (as the confirm route queues it). */
function confirmationFor(email: string): ConfirmationMessage {
  const link = outbox
    .mails()
    .filter((mail) => mail.to === email)
    .at(-1)!.link;
  const check = verifyConfirmationToken(link.slice(link.lastIndexOf('/') + 1), consentKeys.tokenKey, Date.now());
  if (!check.ok) throw new Error(`the link does not verify: ${check.reason}`);
  return {
    schema_version: 4,
    kind: CONFIRMATION_KIND,
    id: `confirm-${++messageCounter}`,
    received_at: new Date().toISOString(),
    source: { id: check.claims.sourceId, kind: 'html-form' },
    confirmation: { person: check.claims.person, nonce: check.claims.nonce },
  };
}

const record = (body: SignupMessage | ConfirmationMessage, attributes: Record<string, string> = {}, receiveCount = 1): SQSRecord => {
  // A confirmation carries no signup attributes (as the confirm route queues it).
  const base = anSqsRecord('kind' in body ? JSON.stringify(body) : body);
  return {
    ...base,
    attributes: { ...base.attributes, ApproximateReceiveCount: String(receiveCount) },
    messageAttributes: {
      ...base.messageAttributes,
      ...Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, { dataType: 'String', stringValue: value }])),
    },
  };
};

/** Every status a message can end a sync attempt with. */
const SYNC_ROWS: Readonly<Record<SyncStatus, SyncRow>> = {
  created: { what: 'a new customer', arrange: () => [record(message({ email: 'created@example.com' }))], expect: { customerId: expect.any(Number) } },
  existed: {
    what: 'a customer that already exists (conflict policy skip)',
    arrange: () => {
      sandbox.seedCustomers([{ email: 'existed@example.com', first_name: 'Ada', last_name: 'Lovelace' }]);
      return [record(message({ email: 'existed@example.com' }))];
    },
    expect: { customerId: expect.any(Number) },
  },
  updated: {
    what: 'an existing customer updated (conflict policy update)',
    arrange: () => {
      sandbox.seedCustomers([{ email: 'updated@example.com', first_name: 'Old', last_name: 'Name', date_modified: '2020-01-01T00:00:00Z' }]);
      return [record(message({ email: 'updated@example.com', first_name: 'New' }))];
    },
    expect: { customerId: expect.any(Number) },
  },
  subscribed: {
    what: 'a nameless newsletter signup',
    arrange: () => [record(message({ email: 'subscribed@example.com', ...nameless, consent: { marketing: true } }))],
    expect: { subscriberId: expect.any(Number) },
  },
  resubscribed: {
    what: 'a subscriber without the consent given it again',
    arrange: () => {
      sandbox.seedSubscribers([{ email: 'resubscribed@example.com', consents: ['abandoned_cart'] }]);
      return [record(message({ email: 'resubscribed@example.com', ...nameless, consent: { marketing: true } }))];
    },
    expect: { subscriberId: expect.any(Number) },
  },
  unsubscribed: {
    what: 'an opt-out of a subscriber',
    arrange: () => {
      sandbox.seedSubscribers([{ email: 'unsubscribed@example.com', consents: ['marketing_newsletter'] }]);
      return [record(message({ email: 'unsubscribed@example.com', ...nameless, opt_out: true }))];
    },
    expect: { subscriberId: expect.any(Number) },
  },
  'not-subscribed': {
    what: 'an opt-out for an email with no subscriber',
    arrange: () => [record(message({ email: 'stranger@example.com', ...nameless, opt_out: true }))],
    expect: {},
  },
  superseded: {
    what: 'a subscribe older than the opt-out that withdrew the consent',
    arrange: () => {
      sandbox.seedSubscribers([{ email: 'superseded@example.com', consents: [] }]);
      return [
        record(
          message({ email: 'superseded@example.com', ...nameless, consent: { marketing: true }, occurred_at: new Date(Date.now() - 3_600_000).toISOString() }),
        ),
      ];
    },
    expect: { subscriberId: expect.any(Number) },
  },
  deferred: {
    what: 'no time left for a request: back to the queue',
    arrange: () => [record(message({ email: 'deferred@example.com' }), {}, 3)],
    remainingMs: 250,
    expect: { reason: 'out-of-time', attempt: 3 },
  },
  rejected: {
    what: 'BigCommerce refused it: dead-lettered',
    arrange: () => {
      sandbox.setOptions({ rejectEmails: /^rejected/ });
      return [record(message({ email: 'rejected@example.com' }))];
    },
    expect: { reason: 'bigcommerce-rejected', httpStatus: 422, deadLettered: true },
  },
  'confirmation-sent': {
    what: 'a double opt-in signup: the confirmation mail sent, nothing written yet',
    consent: true,
    arrange: () => [record(doubleOptInMessage('mailed@example.com'))],
    expect: {},
  },
  'awaiting-confirmation': {
    what: 'a double opt-in signup repeated before the confirmation: nothing mailed again',
    consent: true,
    arrange: async (harness) => {
      await harness.invoke([record(doubleOptInMessage('waiting@example.com'))]);
      return [record(doubleOptInMessage('waiting@example.com'))];
    },
    expect: {},
  },
  erased: {
    what: 'a signup received before its person was forgotten: dropped',
    consent: true,
    arrange: async () => {
      const before = { ...message({ email: 'forgotten@example.com' }), received_at: new Date(Date.now() - 60_000).toISOString() };
      await createConsentAdmin(dynamo.client, dynamo.consentTableName).erase(consentKeys.personOf('forgotten@example.com'), new Date());
      return [record(before)];
    },
    expect: {},
  },
  'confirmation-void': {
    what: 'a confirmation whose request no longer holds (the person was forgotten since)',
    consent: true,
    confirmation: true,
    arrange: async (harness) => {
      await harness.invoke([record(doubleOptInMessage('void@example.com'))]);
      const confirmation = confirmationFor('void@example.com');
      await createConsentAdmin(dynamo.client, dynamo.consentTableName).erase(consentKeys.personOf('void@example.com'), new Date());
      return [record({ ...confirmation, received_at: new Date(Date.now() + 1000).toISOString() })];
    },
    expect: {},
  },
};

describe('every sync outcome writes its trace line', () => {
  it.each(Object.entries(SYNC_ROWS).map(([status, row]) => [status, row.what, row] as const))('synced %s: %s', async (status, _what, row) => {
    // Arrange
    const { logger, lines: allLines } = capturingLogger();
    outbox = createOutbox();
    const consent = { dynamoDb: dynamo.client, tableName: dynamo.consentTableName, hashKey: HASH_KEY, doubleOptIn: DOUBLE_OPT_IN, mailer: outbox.mailer };
    const harness = syncHarness(sandbox, {
      logger,
      logHashKey: HASH_KEY,
      conflictPolicy: status === 'updated' ? 'update' : 'skip',
      ...(row.consent ? { consent } : {}),
    });
    let records: SQSRecord[] = [];
    let lines: typeof allLines = [];
    try {
      records = await row.arrange(harness);
      const before = allLines.length;

      // Act
      await harness.invoke(records, row.remainingMs);
      lines = allLines.slice(before);
    } finally {
      harness.restore();
      sandbox.setOptions({ rejectEmails: undefined });
    }
    const sent = JSON.parse(records[0]!.body) as SignupMessage;

    // Assert: the `synced` line names the message every way trace looks it up (a confirmation has no signup of its own).
    const [line] = ofEvent(lines, 'synced');
    const outcome = line?.['outcome'] === status || line?.['subscriber'] === status;
    expect(outcome).toBe(true);
    expect(line).toMatchObject({
      messageId: records[0]!.messageId,
      attempt: expect.any(Number),
      ...(row.confirmation ? {} : { signupId: sent.id, emailHash: hash(sent.signup.email), sourceId: sent.source.id }),
      ...row.expect,
    });
    if (status === 'rejected') {
      expect(ofEvent(lines, 'dead-lettered')).toEqual([
        expect.objectContaining({ signupId: sent.id, emailHash: hash(sent.signup.email), reason: 'bigcommerce-rejected' }),
      ]);
      expect(harness.deadLetters).toHaveLength(1);
    } else expect(ofEvent(lines, 'dead-lettered')).toEqual([]);
    expect(JSON.stringify(lines)).not.toMatch(/@example\.com/);
  });

  it("redriven: a message that carries a dead letter's attributes says it came back from the DLQ", async () => {
    // Arrange: as `dlq redrive` copies it back (attributes kept, RedrivenAt added).
    const { logger, lines } = capturingLogger();
    const harness = syncHarness(sandbox, { logger, logHashKey: HASH_KEY });
    const sent = message({ email: 'redriven@example.com' });
    const attributes = {
      RejectionCode: 'bigcommerce-rejected',
      RejectedAt: '2026-11-01T10:00:00.000Z',
      OriginalMessageId: 'sqs-original',
      RedrivenAt: '2026-11-02T09:00:00.000Z',
    };

    // Act
    try {
      await harness.invoke([record(sent, attributes)]);
    } finally {
      harness.restore();
    }

    // Assert
    const [redriven] = ofEvent(lines, 'redriven');
    expect(redriven).toMatchObject({
      signupId: sent.id,
      emailHash: hash(sent.signup.email),
      originalMessageId: 'sqs-original',
      rejectionCode: 'bigcommerce-rejected',
      rejectedAt: attributes.RejectedAt,
      redrivenAt: attributes.RedrivenAt,
    });
    expect(lines.indexOf(redriven!)).toBeLessThan(lines.indexOf(ofEvent(lines, 'synced')[0]!));
    expect(ofEvent(lines, 'synced')[0]).toMatchObject({ outcome: 'created', signupId: sent.id });
  });

  it('an undecodable message is rejected and dead-lettered with its message id (no email to hash)', async () => {
    const { logger, lines } = capturingLogger();
    const harness = syncHarness(sandbox, { logger, logHashKey: HASH_KEY });
    const broken = anSqsRecord('{not json');
    try {
      await harness.invoke([broken]);
    } finally {
      harness.restore();
    }
    expect(ofEvent(lines, 'synced')).toEqual([expect.objectContaining({ messageId: broken.messageId, outcome: 'rejected', reason: 'undecodable' })]);
    expect(ofEvent(lines, 'dead-lettered')).toEqual([expect.objectContaining({ messageId: broken.messageId, reason: 'undecodable' })]);
  });
});

describe('what a trace line never holds', () => {
  it("leaves out a sender's event id that holds an address: the signup is traced by its email hash and ingest id", async () => {
    // Arrange: a sender that builds its event ids from the address (seen in the wild: `signup-<email>`).
    const { handler, lines } = ingest();

    // Act
    const response = await handler(postSignups(signup('ada.events@example.com', { event_id: `signup-ada.events@example.com-${Date.now()}` })));

    // Assert
    expect(response.statusCode).toBe(202);
    const [queued] = ofEvent(lines, 'queued');
    expect(queued?.['signups']).toEqual([{ signupId: expect.any(String), emailHash: hash('ada.events@example.com') }]);
    expect(JSON.stringify(lines)).not.toMatch(/@example\.com/);
  });
});

describe('the table', () => {
  it('covers every trace event', () => {
    const covered = new Set<string>([...Object.keys(INGEST_ROWS), 'synced', 'dead-lettered', 'redriven']);
    expect(TRACE_EVENT_NAMES.filter((name) => !covered.has(name))).toEqual([]);
  });
});
