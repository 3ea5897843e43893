import { createHmac } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { type EmbeddedSqs, startEmbeddedSqs } from '../../local/sqs/embedded-sqs';
import { listDeadLetters } from '../../ops/dead-letters';
import { runCli } from '../../ops/main';
import { queueDepth } from '../../ops/queue-ops';
import type { SourceConfigInput } from '../../shared/sources/source-config';
import { captureWrite } from '../helpers/log-capture';
import { recordingIo, waitFor } from './support';

jest.setTimeout(120_000);

/**
 * Newsletter signups in local mode, everything real on loopback (docs/subscribers.md): a Shopify
 * storefront newsletter signup (null names, consent subscribed) becomes a subscriber and no customer;
 * a Kit delivery with one unmappable subscriber is answered 2xx, the rest are created, the bad one is an
 * `unmappable` dead letter, and after a configuration change `signup-sync dlq redrive` recovers it.
 */

const SIGNING_SECRET = 'local-test-signing-secret-0123456789';
const SECRETS = { shop: SIGNING_SECRET, 'kit-news': SIGNING_SECRET };
/** The webhooks' route token: their URLs are /sources/<id>-<routeToken> (docs/sources.md). */
const ROUTE_TOKEN = 'subscribersroutetoken';
const kitSource = (fieldMap?: Record<string, string>): SourceConfigInput => ({
  id: 'kit-news',
  kind: 'kit',
  routeToken: ROUTE_TOKEN,
  lastNamePolicy: { placeholder: '-' },
  ...(fieldMap ? { fieldMap } : {}),
});
const SOURCES = (fieldMap?: Record<string, string>): SourceConfigInput[] => [{ id: 'shop', kind: 'shopify', routeToken: ROUTE_TOKEN }, kitSource(fieldMap)];

let sqs: EmbeddedSqs;
let mode: LocalMode | undefined;

const start = (fieldMap?: Record<string, string>) =>
  startLocalMode({
    sqsEndpoint: sqs.endpoint,
    queuePrefix: 'issue13-subscribers',
    sources: SOURCES(fieldMap),
    sourceSecrets: SECRETS,
    sandbox: { seed: 13 },
    timings: { batchingWindowMs: 200, visibilityTimeoutSeconds: 20, syncTimeoutMs: 15_000 },
    log: { write: (line) => captureWrite(line) },
  });

beforeAll(async () => {
  sqs = await startEmbeddedSqs();
  mode = await start();
});

afterAll(async () => {
  await mode?.stop();
  await sqs?.close();
});

const hmac = (encoding: 'base64' | 'hex', ...parts: string[]) => {
  const mac = createHmac('sha256', SIGNING_SECRET);
  for (const part of parts) mac.update(part);
  return mac.digest(encoding);
};

it('a Shopify customers/create with null names and consent "subscribed" -> 2xx, a subscriber and no customer', async () => {
  // Arrange
  const local = mode!;
  const body = JSON.stringify({
    id: 7,
    email: 'Newsletter@Example.com',
    first_name: null,
    last_name: null,
    email_marketing_consent: { state: 'subscribed', opt_in_level: 'single_opt_in' },
  });

  // Act
  const response = await fetch(`${local.apiUrl}/sources/shop-${ROUTE_TOKEN}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-shopify-topic': 'customers/create',
      'x-shopify-hmac-sha256': hmac('base64', body),
      'x-shopify-webhook-id': 'wh-1',
    },
    body,
  });

  // Assert
  expect(response.status).toBe(202);
  const subscriber = await waitFor(() => local.sandbox!.subscribers().find((candidate) => candidate.email === 'newsletter@example.com'), {
    what: 'the subscriber',
  });
  expect(subscriber.consents).toEqual(['marketing_newsletter']);
  expect(local.sandbox!.customers()).toEqual([]);
  await waitFor(async () => (await local.status()).outcomes.subscribed === 1, { what: 'the status page to count it' });
});

it('a Kit delivery with one unmappable subscriber -> 2xx, the rest created, one unmappable dead letter, recovered by a config change and dlq redrive', async () => {
  // Arrange: Bob's address is in a custom field this source does not map yet.
  const event = (id: string, subscriber: Record<string, unknown>) => ({
    id,
    type: 'subscriber.activated',
    created: new Date().toISOString(),
    data: { subscriber: { id: 1, state: 'active', fields: {}, ...subscriber } },
  });
  const body = JSON.stringify({
    delivery_id: 9,
    events: [
      event('k1', { first_name: 'Ada', email_address: 'ada@example.com' }),
      event('k2', { first_name: 'Bob', email_address: null, fields: { work_email: 'bob@example.com' } }),
      event('k3', { first_name: 'Cy', email_address: 'cy@example.com' }),
    ],
  });
  const t = String(Math.floor(Date.now() / 1000));

  // Act
  const response = await fetch(`${mode!.apiUrl}/sources/kit-news-${ROUTE_TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-kit-signature': `t=${t},v1=${hmac('hex', `${t}.`, body)}` },
    body,
  });

  // Assert: answered 2xx, the good ones are customers and subscribers, the bad one is a dead letter.
  expect(response.status).toBe(202);
  expect(await response.json()).toMatchObject({ accepted: 2 });
  const first = mode!;
  await waitFor(() => ['ada@example.com', 'cy@example.com'].every((email) => first.sandbox!.customers().some((customer) => customer.email === email)), {
    what: 'Ada and Cy',
  });
  await waitFor(() => ['ada@example.com', 'cy@example.com'].every((email) => first.sandbox!.subscribers().some((subscriber) => subscriber.email === email)), {
    what: 'their subscribers',
  });
  const letters = await listDeadLetters(first.sqsClient, first.deadLetterQueueUrl);
  expect(letters).toEqual([
    expect.objectContaining({ reason: 'unmappable', sourceId: 'kit-news', sourceKind: 'kit', detail: expect.stringContaining('/1/email') }),
  ]);
  // No personal data in the dead letter's attributes.
  expect(JSON.stringify(letters)).not.toMatch(/bob|example\.com/i);

  // Act 2: the operator maps the field and restarts (a deploy), then redrives with the CLI.
  await first.stop();
  mode = await start({ 'fields.work_email': 'email' });
  const second = mode;
  const io = recordingIo();
  const code = await runCli(['dlq', 'redrive', '--local', second.apiUrl], io);

  // Assert 2
  expect({ code, output: io.text() }).toMatchObject({
    code: 0,
    output: expect.stringContaining('0 redriven, 1 recovered (queued).'),
  });
  await waitFor(() => second.sandbox!.customers().some((customer) => customer.email === 'bob@example.com'), { what: 'Bob as a customer' });
  // The subscriber is its own request after the customer's: wait for it too, then check it is the only one.
  await waitFor(() => second.sandbox!.subscribers().length > 0, { what: 'a subscriber' });
  expect(second.sandbox!.subscribers().map((subscriber) => subscriber.email)).toEqual(['bob@example.com']);
  await waitFor(
    async () => {
      const dlq = await queueDepth(second.sqsClient, second.deadLetterQueueUrl, { inFlightCountedAsVisible: true });
      return dlq.visible + dlq.inFlight === 0;
    },
    { what: 'an empty DLQ' },
  );
});

it("the status page's redrive refuses a dead letter forged into local mode's DLQ, and re-runs nothing of it", async () => {
  // Arrange: a letter in the format the ingest writes, for the Kit source, with a signature made up by the sender.
  const local = mode!;
  const delivery = JSON.stringify({
    delivery_id: 10,
    events: [
      {
        id: 'k9',
        type: 'subscriber.activated',
        created: new Date().toISOString(),
        data: { subscriber: { id: 9, state: 'active', first_name: 'Mallory', email_address: 'mallory@example.net', fields: {} } },
      },
    ],
  });
  const letter = {
    kind: 'unmappable-delivery',
    version: 2,
    source: { id: 'kit-news', kind: 'kit' },
    received_at: new Date().toISOString(),
    signup_index: 0,
    signup_count: 1,
    problems: [{ path: '/email', message: 'Invalid email address' }],
    candidate: { first_name: 'Mallory' },
    request: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      query: {},
      public_url: `${local.apiUrl}/sources/kit-news`,
      body_base64: Buffer.from(delivery).toString('base64'),
    },
    hmac: createHmac('sha256', 'a guess').update(delivery).digest('base64url'),
  };
  await local.sqsClient.send(
    new SendMessageCommand({
      QueueUrl: local.deadLetterQueueUrl,
      MessageBody: JSON.stringify(letter),
      MessageAttributes: { RejectionCode: { DataType: 'String', StringValue: 'unmappable' }, SourceId: { DataType: 'String', StringValue: 'kit-news' } },
    }),
  );

  // Act: the status page's button.
  const response = await fetch(`${local.apiUrl}/_local/api/dead-letters/redrive`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });

  // Assert
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({
    counts: { recovered: 0, refused: 1 },
    letters: [expect.objectContaining({ kind: 'unmappable', outcome: 'refused', why: expect.stringContaining('signature matches no dead-letter key') })],
  });
  const dlq = await queueDepth(local.sqsClient, local.deadLetterQueueUrl, { inFlightCountedAsVisible: true });
  expect(dlq.visible + dlq.inFlight).toBe(1);
  expect(local.sandbox!.customers().some((customer) => customer.email === 'mallory@example.net')).toBe(false);
});
