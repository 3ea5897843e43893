import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { type CliIo, runCli } from '../../../ops/main';
import { createSqsSignupQueue } from '../../../shared/aws/sqs-signup-queue';
import { createSqsUnmappableDeadLetters } from '../../../shared/aws/sqs-unmappable-dead-letters';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import type { SourceConfigInput } from '../../../shared/sources/source-config';
import { anSqsRecord } from '../../helpers/events';
import { anHttpEvent, anIngestHandler, SECRETS, senderHeaders, standardWebhookHeaders } from '../../helpers/ingest';
import { syncHarness } from '../../helpers/sync-harness';
import { fakeQueues } from './fake-queues';

/**
 * Forged and re-dated `unmappable` dead letters (docs/security.md, "Forged or re-dated dead letters"),
 * each written as the attacker would do it: a principal that may send to the DLQ puts a letter there (a
 * genuine one altered, or one made from scratch in the format the ingest writes), or the operator
 * changes a source's kind; then the operator runs `signup-sync dlq redrive` against the deployed stack.
 * The CLI reads the ingest's configuration (lambda:GetFunctionConfiguration) and the dead-letter keys
 * of its sources secret (secretsmanager:GetSecretValue), both mocked here; SQS is in memory
 * (./fake-queues.ts). The last test follows a re-run subscribe through the real sync into the sandbox.
 */

jest.setTimeout(30_000);

const REGION = 'eu-west-1';
const SIGNUP_QUEUE_URL = `https://sqs.${REGION}.amazonaws.com/123456789012/SignupSync-signups`;
const DLQ_URL = `https://sqs.${REGION}.amazonaws.com/123456789012/SignupSync-dlq`;
const SOURCES_SECRET_ARN = `arn:aws:secretsmanager:${REGION}:123456789012:secret:SignupSync-sources-AbCdEf`;
const FUNCTION_NAME = 'SignupSync-IngestFunction-abc123';
const HUBSPOT_KEY = 'hubspot-api-key-0123456789abcdef';

/** The sources secret as deployed: the generated `api` entry and one entry per source. */
const SOURCES_SECRET = { api: SECRETS.api, news: SECRETS.signing, crm: SECRETS.standardWebhooks };

/** Each webhook source's route token, as `signup-sync route-tokens` writes them into cdk.json: its URL is /sources/<id>-<token>. */
const NEWS_ROUTE = 'newsroute0token0abc12';
const CRM_ROUTE = 'crmroute0token0xyz789';

const kitSource = (fieldMap?: Record<string, string>): SourceConfigInput => ({
  id: 'news',
  kind: 'kit',
  routeToken: NEWS_ROUTE,
  ...(fieldMap ? { fieldMap } : {}),
});

let queues: ReturnType<typeof fakeQueues>;
let sqs: SQSClient;
beforeEach(() => {
  queues = fakeQueues([SIGNUP_QUEUE_URL, DLQ_URL]);
  sqs = new SQSClient({ region: REGION });
});
afterEach(() => queues.restore());

/** The real ingest on the in-memory queues, as deployed (unmappable signups to the DLQ). */
function ingest(sources: readonly SourceConfigInput[], secrets: Record<string, string> = SOURCES_SECRET, now?: Date) {
  return anIngestHandler({
    queue: createSqsSignupQueue(sqs, SIGNUP_QUEUE_URL),
    unmappable: createSqsUnmappableDeadLetters(sqs, DLQ_URL),
    sources: parseIngestSources(sources),
    secretJson: JSON.stringify(secrets),
    ...(now ? { now: () => now } : {}),
  });
}

/** A Kit delivery whose subscriber's address is in a custom field the source does not map yet. */
async function deliverUnmappableKitSubscriber(email: string): Promise<void> {
  const body = JSON.stringify({
    delivery_id: 1,
    events: [
      {
        id: `e-${email}`,
        type: 'subscriber.activated',
        created: '2026-07-29T14:30:00Z',
        data: { subscriber: { id: 1, state: 'active', first_name: 'Bob', email_address: null, fields: { work_email: email } } },
      },
    ],
  });
  const response = await ingest([kitSource()])(
    anHttpEvent(`/sources/news-${NEWS_ROUTE}`, { body, headers: { 'content-type': 'application/json', ...senderHeaders('kit', body) } }),
  );
  expect(response.statusCode).toBe(202);
}

/** `signup-sync dlq redrive --stack SignupSync` with the ingest function configured with `sources` now. */
async function redrive(sources: readonly SourceConfigInput[], secrets: Record<string, string> = SOURCES_SECRET) {
  const lambda = mockClient(LambdaClient);
  const secretsManager = mockClient(SecretsManagerClient);
  lambda.on(GetFunctionConfigurationCommand, { FunctionName: FUNCTION_NAME }).resolves({
    Environment: {
      Variables: {
        SIGNUP_QUEUE_URL,
        DEAD_LETTER_QUEUE_URL: DLQ_URL,
        SOURCES_SECRET: SOURCES_SECRET_ARN,
        SOURCES_CONFIG: JSON.stringify(sources),
        DELIVERY_LEDGER_TABLE: 'SignupSync-ledger',
      },
    },
  });
  secretsManager.on(GetSecretValueCommand, { SecretId: SOURCES_SECRET_ARN }).resolves({ SecretString: JSON.stringify(secrets) });
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    progress: { isTTY: false, write: () => undefined },
    interactive: false,
    ask: async () => '',
    env: {},
    stackOutputs: async () => ({ SignupQueueUrl: SIGNUP_QUEUE_URL, DeadLetterQueueUrl: DLQ_URL, IngestFunctionName: FUNCTION_NAME }),
  };
  try {
    const status = await runCli(['--stack', 'SignupSync', '--region', REGION, 'dlq', 'redrive', '--method', 'copy'], io);
    return { status, out: out.join('\n'), err: err.join('\n') };
  } finally {
    lambda.restore();
    secretsManager.restore();
  }
}

const queuedEmails = () => queues.messages(SIGNUP_QUEUE_URL).map((message) => (JSON.parse(message.body) as { signup: { email: string } }).signup.email);

describe('a dead letter forged by a principal that may send to the DLQ', () => {
  it('is refused when it is a genuine letter altered to queue another address, while the genuine one is recovered', async () => {
    // Arrange: the ingest dead-letters Bob; the attacker reads the letter, puts Mallory's address in it, sends the copy.
    await deliverUnmappableKitSubscriber('bob@example.com');
    const [genuine] = queues.messages(DLQ_URL);
    const forged = genuine!.body.replaceAll('bob@example.com', 'mallory@example.net');
    const letter = JSON.parse(forged) as { request: { body_base64: string } };
    letter.request.body_base64 = Buffer.from(
      Buffer.from(letter.request.body_base64, 'base64').toString().replaceAll('bob@example.com', 'mallory@example.net'),
    ).toString('base64');
    queues.send(DLQ_URL, JSON.stringify(letter), genuine!.attributes);

    // Act: the operator maps the field and redrives.
    const result = await redrive([kitSource({ 'fields.work_email': 'email' })]);

    // Assert
    expect(queuedEmails()).toEqual(['bob@example.com']);
    expect(result.status).toBe(1);
    expect(result.err).toMatch(/refused: message msg-\d+: its signature matches no dead-letter key/);
    expect(`${result.out}\n${result.err}`).not.toContain('mallory');
    expect(queues.messages(DLQ_URL)).toHaveLength(1);
  });

  it('is refused when it is made from scratch in the format the ingest wrote before letters were signed', async () => {
    // Arrange: a letter as version 1 wrote them (no hmac), claiming an authenticated Kit delivery for Mallory.
    await deliverUnmappableKitSubscriber('bob@example.com');
    const [genuine] = queues.messages(DLQ_URL);
    const { hmac: _dropped, ...unsigned } = JSON.parse(genuine!.body.replaceAll('bob@example.com', 'mallory@example.net')) as Record<string, unknown>;
    const request = unsigned['request'] as { body_base64: string };
    request.body_base64 = Buffer.from(Buffer.from(request.body_base64, 'base64').toString().replaceAll('bob@example.com', 'mallory@example.net')).toString(
      'base64',
    );
    queues.send(DLQ_URL, JSON.stringify({ ...unsigned, version: 1 }), genuine!.attributes);

    // Act
    const result = await redrive([kitSource({ 'fields.work_email': 'email' })]);

    // Assert
    expect(queuedEmails()).toEqual(['bob@example.com']);
    expect(result.err).toMatch(/refused: .*unsigned/);
  });

  it('is refused when the sources secret it was signed with is not the one the redrive reads (another stack, a removed key)', async () => {
    await deliverUnmappableKitSubscriber('bob@example.com');

    const result = await redrive([kitSource({ 'fields.work_email': 'email' })], { ...SOURCES_SECRET, deadLetters: 'k'.repeat(40) });

    expect(queuedEmails()).toEqual([]);
    expect(result.err).toMatch(/signature matches no dead-letter key/);
  });
});

describe("a letter whose source's kind changed", () => {
  it('is refused instead of being read by an adapter it was never authenticated under', async () => {
    // Arrange: a signed Standard Webhooks delivery whose body holds no top-level email: unmappable.
    const body = JSON.stringify({ properties: { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace' } });
    const crm: SourceConfigInput = { id: 'crm', kind: 'standard-webhooks', routeToken: CRM_ROUTE };
    const response = await ingest([crm])(
      anHttpEvent(`/sources/crm-${CRM_ROUTE}`, {
        body,
        headers: { 'content-type': 'application/json', ...standardWebhookHeaders(body, { secret: SECRETS.standardWebhooks }) },
      }),
    );
    expect(response.statusCode).toBe(202);
    expect(queues.messages(DLQ_URL)).toHaveLength(1);

    // Act: the operator re-creates `crm` as a HubSpot source (an api-key webhook), whose adapter would read that body.
    const result = await redrive([{ id: 'crm', kind: 'hubspot', routeToken: CRM_ROUTE, auth: { type: 'api-key', header: 'x-api-key' } }], {
      ...SOURCES_SECRET,
      crm: HUBSPOT_KEY,
    });

    // Assert
    expect(queuedEmails()).toEqual([]);
    expect(result.status).toBe(1);
    expect(result.err).toContain('source crm is now of kind hubspot, but the delivery came from a standard-webhooks sender');
    expect(queues.messages(DLQ_URL)).toHaveLength(1);
  });
});

describe('a redriven letter', () => {
  let sandbox: BigCommerceSandbox;
  beforeAll(async () => {
    sandbox = await startBigCommerceSandbox({ seed: 20, rateLimit: false });
  });
  afterAll(() => sandbox.close());

  it('keeps the time its delivery was received, so an opt-out that came after it still wins', async () => {
    // Arrange: Ada has been a subscriber for a while.
    sandbox.reset();
    sandbox.seedSubscribers([{ email: 'ada@example.com', consents: ['marketing_newsletter'] }]);
    const day = 86_400_000;
    const hubspot = (fieldMap: Record<string, string>): SourceConfigInput => ({
      id: 'crm',
      kind: 'hubspot',
      routeToken: CRM_ROUTE,
      auth: { type: 'api-key', header: 'x-api-key' },
      fieldMap: { 'properties.newsletter': 'consent.marketing', ...fieldMap },
    });
    const secrets = { ...SOURCES_SECRET, crm: HUBSPOT_KEY };
    // Three days ago a HubSpot workflow (no event time in its payload) sent her subscribe with the address
    // in a property the source did not map: dead-lettered.
    const subscribe = JSON.stringify({ properties: { work_email: 'ada@example.com', newsletter: 'true' } });
    const threeDaysAgo = new Date(Date.now() - 3 * day);
    const dead = await ingest(
      [hubspot({})],
      secrets,
      threeDaysAgo,
    )(anHttpEvent(`/sources/crm-${CRM_ROUTE}`, { body: subscribe, headers: { 'content-type': 'application/json', 'x-api-key': HUBSPOT_KEY } }));
    expect(dead.statusCode).toBe(202);
    // A day ago she opted out through POST /signups, and the sync removed her consent.
    const optOut = JSON.stringify({ email: 'ada@example.com', opt_out: true });
    const dayAgo = new Date(Date.now() - day);
    await ingest(
      [hubspot({})],
      secrets,
      dayAgo,
    )(anHttpEvent('/signups', { body: optOut, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(optOut, { at: dayAgo }) } }));
    const [optOutMessage] = queues.messages(SIGNUP_QUEUE_URL);
    const deadLetters = queues.messages(DLQ_URL);
    expect(deadLetters).toHaveLength(1);
    queues.restore();
    const first = syncHarness(sandbox);
    try {
      expect(await first.invoke([anSqsRecord(optOutMessage!.body)])).toEqual([]);
    } finally {
      first.restore();
    }
    expect(sandbox.subscribers().find((subscriber) => subscriber.email === 'ada@example.com')?.consents).toEqual([]);

    // Act: today the operator maps the property and redrives; the re-run subscribe goes through the sync.
    queues = fakeQueues([SIGNUP_QUEUE_URL, DLQ_URL]);
    for (const letter of deadLetters) queues.send(DLQ_URL, letter.body, letter.attributes);
    const result = await redrive([hubspot({ 'properties.work_email': 'email' })], secrets);
    const [rerun] = queues.messages(SIGNUP_QUEUE_URL);
    queues.restore();
    const second = syncHarness(sandbox);
    let unsettled: string[];
    try {
      unsettled = await second.invoke([anSqsRecord(rerun!.body)]);
    } finally {
      second.restore();
    }

    // Assert: re-run as received three days ago, so her later opt-out stands; no PUT gives the consent back.
    expect(result).toMatchObject({ status: 0 });
    expect(result.out).toContain('1 recovered (queued)');
    expect(JSON.parse(rerun!.body)).toMatchObject({
      received_at: threeDaysAgo.toISOString(),
      signup: { email: 'ada@example.com', consent: { marketing: true } },
    });
    expect(unsettled).toEqual([]);
    expect(sandbox.subscribers().find((subscriber) => subscriber.email === 'ada@example.com')?.consents).toEqual([]);
  });
});
