import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createSqsSignupQueue } from '../../shared/aws/sqs-signup-queue';
import { createLogger } from '../../shared/logger';
import { anApiEvent, aSignup } from '../helpers/events';
import { anIngestHandler, NOW, SECRETS, standardWebhookHeaders } from '../helpers/ingest';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/signups';
const sqsMock = mockClient(SQSClient);

type EventOptions = NonNullable<Parameters<typeof anApiEvent>[1]> & { unsigned?: boolean };

/** POST /signups through the real handler and SQS client (mocked), signed with the `api` secret unless `unsigned`. */
function ingest(options: Partial<Parameters<typeof anIngestHandler>[0]> = {}) {
  const handler = anIngestHandler({ queue: createSqsSignupQueue(new SQSClient({ region: 'us-east-1' }), QUEUE_URL), ...options });
  return async (body: string | undefined, { unsigned = false, headers = {}, ...rest }: EventOptions = {}) =>
    (await handler(
      anApiEvent(body, { ...rest, headers: { ...(unsigned ? {} : standardWebhookHeaders(body ?? '')), ...headers } }),
    )) as APIGatewayProxyStructuredResultV2 & {
      body: string;
    };
}

function acceptEverything() {
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}`, MD5OfMessageBody: 'x' })),
    Failed: [],
  }));
}

beforeEach(() => sqsMock.reset());

describe('POST /signups', () => {
  it('answers 202 with the ids only after SQS accepted every message, 10 per SendMessageBatch', async () => {
    // Arrange
    acceptEverything();
    const signups = Array.from({ length: 25 }, () => aSignup());
    // Act
    const response = await ingest()(JSON.stringify(signups));
    // Assert
    expect(response.statusCode).toBe(202);
    const body = JSON.parse(response.body) as { accepted: number; ids: string[] };
    expect(body.accepted).toBe(25);
    expect(new Set(body.ids).size).toBe(25);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls.map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 5]);
    const sentIds = calls.flatMap((call) => call.args[0].input.Entries!.map((entry) => entry.Id));
    expect(sentIds).toEqual(body.ids);
  });

  it('enqueues a normalised message with schema version, source, receive time, idempotency key and attributes', async () => {
    acceptEverything();
    const response = await ingest()(
      JSON.stringify(
        aSignup({ email: '  Grace@Example.COM ', event_id: 'evt-1', address: { address1: '1 Main St', city: 'Springfield', country_code: 'us' } }),
      ),
    );
    expect(response.statusCode).toBe(202);
    const entry = sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!;
    const message = JSON.parse(entry.MessageBody!);
    expect(message).toMatchObject({
      schema_version: 4,
      idempotency_key: 'api:evt-1',
      source: { id: 'api', kind: 'canonical' },
      signup: { email: 'grace@example.com', address: { country_code: 'US', first_name: 'Ada', last_name: 'Lovelace' } },
    });
    expect(Date.parse(message.received_at)).not.toBeNaN();
    expect(entry.MessageAttributes).toEqual({
      SchemaVersion: { DataType: 'Number', StringValue: '4' },
      SourceId: { DataType: 'String', StringValue: 'api' },
      SourceKind: { DataType: 'String', StringValue: 'canonical' },
      IdempotencyKey: { DataType: 'String', StringValue: 'api:evt-1' },
    });
  });

  it('decodes base64-encoded bodies', async () => {
    acceptEverything();
    const response = await ingest()(JSON.stringify(aSignup()), { base64: true });
    expect(response.statusCode).toBe(202);
  });

  it('re-sends only the entries SQS reports as failed', async () => {
    // First answer: the first entry failed (not the sender's fault), the others were sent.
    let call = 0;
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => {
      call += 1;
      const [first, ...rest] = input.Entries;
      return call === 1
        ? {
            Successful: rest.map((entry) => ({ Id: entry.Id, MessageId: 'm', MD5OfMessageBody: 'x' })),
            Failed: [{ Id: first!.Id, SenderFault: false, Code: 'InternalError' }],
          }
        : { Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: 'm', MD5OfMessageBody: 'x' })), Failed: [] };
    });
    const response = await ingest()(JSON.stringify([aSignup(), aSignup(), aSignup()]));
    expect(response.statusCode).toBe(202);
    const calls = sqsMock.commandCalls(SendMessageBatchCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.args[0].input.Entries!.map((entry) => entry.Id)).toEqual([calls[0]!.args[0].input.Entries![0]!.Id]);
  });

  it('answers 503 with Retry-After when SQS keeps failing, and never 2xx', async () => {
    sqsMock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const response = await ingest()(JSON.stringify(aSignup()));
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toMatch(/^\d+$/);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(response.body).not.toContain('throttled');
  });

  it('answers 503 when some entries still fail after the retries', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: [],
      Failed: input.Entries.map((entry) => ({ Id: entry.Id, SenderFault: false, Code: 'ServiceUnavailable' })),
    }));
    const response = await ingest()(JSON.stringify(aSignup()));
    expect(response.statusCode).toBe(503);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });

  it('answers a generic 500 without internals when SQS rejects an entry as the sender fault', async () => {
    sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: [],
      Failed: input.Entries.map((entry) => ({ Id: entry.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: 'secret internals' })),
    }));
    const response = await ingest()(JSON.stringify(aSignup()));
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('internals');
    expect(response.body).not.toContain('InvalidParameterValue');
  });

  it('answers 400 to malformed JSON without quoting it', async () => {
    const response = await ingest()('{"email": "bob@example.com",');
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(response.body).not.toContain('bob@example.com');
    expect(sqsMock.calls()).toHaveLength(0);
  });

  it('answers 400 to a body that is not UTF-8, and to an empty body', async () => {
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const handler = anIngestHandler({ queue: { enqueue: jest.fn() } });
    const bad = anApiEvent(undefined, { headers: standardWebhookHeaders(bytes) });
    const response = await handler({ ...bad, body: bytes.toString('base64'), isBase64Encoded: true });
    expect(response.statusCode).toBe(400);
    expect((await ingest()('')).statusCode).toBe(400);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], [null]])('answers 415 to content type %p', async (contentType) => {
    const response = await ingest()(JSON.stringify(aSignup()), { contentType });
    expect(response.statusCode).toBe(415);
    expect(sqsMock.calls()).toHaveLength(0);
  });

  it('accepts application/json with a charset', async () => {
    acceptEverything();
    expect((await ingest()(JSON.stringify(aSignup()), { contentType: 'application/json; charset=utf-8' })).statusCode).toBe(202);
  });

  it('answers 413 to more than 100 signups and to a body over 256 KiB', async () => {
    const tooMany = await ingest()(JSON.stringify(Array.from({ length: 101 }, () => aSignup())));
    const tooBig = await ingest()(JSON.stringify(aSignup({ notes: 'x'.repeat(256 * 1024) })));
    expect(tooMany.statusCode).toBe(413);
    expect(tooBig.statusCode).toBe(413);
    expect(sqsMock.calls()).toHaveLength(0);
  });

  it('answers 422 listing every failing field as a JSON Pointer, without echoing personal data', async () => {
    const response = await ingest()(
      JSON.stringify([
        aSignup(),
        { email: 'not-an-email', first_name: '', last_name: 'Hopper-secret-name'.repeat(10), lastName: 'x', address: { city: 'Paris', country_code: 'FRA' } },
      ]),
    );
    expect(response.statusCode).toBe(422);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(response.body) as { status: number; errors: { path: string; message: string }[] };
    expect(problem.status).toBe(422);
    expect(problem.errors.map((error) => error.path).sort()).toEqual(
      ['/1', '/1/address/address1', '/1/address/country_code', '/1/email', '/1/first_name', '/1/last_name'].sort(),
    );
    expect(response.body).not.toContain('not-an-email');
    expect(response.body).not.toContain('Hopper-secret-name');
    expect(sqsMock.calls()).toHaveLength(0);
  });

  it('answers 422 to an empty array and to a non-object', async () => {
    expect((await ingest()('[]')).statusCode).toBe(422);
    expect((await ingest()('"hello"')).statusCode).toBe(422);
  });

  it('answers 404 problem for another route', async () => {
    const response = await ingest()(JSON.stringify(aSignup()), { routeKey: 'GET /nowhere' });
    expect(response.statusCode).toBe(404);
  });
});

describe('POST /signups authentication (the "api" entry of the sources secret)', () => {
  const body = JSON.stringify(aSignup());

  it('accepts a Standard Webhooks signature or the secret as a bearer token', async () => {
    // Arrange
    acceptEverything();

    // Act
    const signed = await ingest()(body);
    const bearer = await ingest()(body, { unsigned: true, headers: { authorization: `Bearer ${SECRETS.api}` } });

    // Assert
    expect([signed.statusCode, bearer.statusCode]).toEqual([202, 202]);
  });

  it('answers the same 401 problem to a missing, wrong or stale credential, and enqueues nothing', async () => {
    // Arrange
    const stale = new Date(NOW.getTime() - 6 * 60 * 1000);
    const attempts: EventOptions[] = [
      { unsigned: true },
      { unsigned: true, headers: standardWebhookHeaders(body, { secret: `whsec_${Buffer.alloc(32, 9).toString('base64')}` }) },
      { unsigned: true, headers: standardWebhookHeaders(`${body} `) },
      { unsigned: true, headers: standardWebhookHeaders(body, { at: stale }) },
      { unsigned: true, headers: { authorization: 'Bearer not-the-secret' } },
      { unsigned: true, headers: { authorization: `Basic ${SECRETS.api}` } },
    ];

    // Act
    const responses = await Promise.all(attempts.map((options) => ingest()(body, options)));

    // Assert
    expect(responses.map((response) => response.statusCode)).toEqual(attempts.map(() => 401));
    expect(new Set(responses.map((response) => response.body)).size).toBe(1);
    expect(responses[0]!.headers?.['content-type']).toBe('application/problem+json');
    expect(sqsMock.calls()).toHaveLength(0);
  });

  it('checks the signature before reading the body: a bad signature on malformed JSON is 401, not 400', async () => {
    const response = await ingest()('{"email":', { unsigned: true, headers: standardWebhookHeaders('{"email": 1}') });
    expect(response.statusCode).toBe(401);
  });

  it('uses the webhook-id as the event id (idempotency key) of signups that carry none', async () => {
    // Arrange
    acceptEverything();
    const batch = JSON.stringify([aSignup(), aSignup({ event_id: 'own-id' }), aSignup()]);

    // Act
    const single = await ingest()(body, { headers: standardWebhookHeaders(body, { id: 'msg_single' }) });
    const many = await ingest()(batch, { headers: standardWebhookHeaders(batch, { id: 'msg_batch' }) });

    // Assert
    expect([single.statusCode, many.statusCode]).toEqual([202, 202]);
    const keys = sqsMock
      .commandCalls(SendMessageBatchCommand)
      .flatMap((call) => call.args[0].input.Entries!.map((entry) => JSON.parse(entry.MessageBody!).idempotency_key));
    expect(keys).toEqual(['api:msg_single', 'api:msg_batch:0', 'api:own-id', 'api:msg_batch:2']);
  });

  it('carries consent flags and the event time', async () => {
    acceptEverything();
    const withConsent = JSON.stringify(aSignup({ consent: { marketing: true }, occurred_at: '2026-07-29T16:30:00+02:00' }));
    const response = await ingest()(withConsent);
    expect(response.statusCode).toBe(202);
    const message = JSON.parse(sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!.MessageBody!);
    expect(message.signup).toMatchObject({ consent: { marketing: true }, occurred_at: '2026-07-29T16:30:00+02:00' });
    expect((await ingest()(JSON.stringify(aSignup({ consent: { marketing: 'yes' } as never })))).statusCode).toBe(422);
  });

  it('answers a generic 500 (and logs the source id, not the value) when the secret has no usable "api" entry', async () => {
    // Arrange
    const lines: string[] = [];
    const logger = createLogger('test', { write: (line) => lines.push(line) });

    // Act
    const missing = await ingest({ secretJson: '{}', logger })(body);
    const unusable = await ingest({ secretJson: JSON.stringify({ api: 'short' }), logger })(body);

    // Assert
    expect([missing.statusCode, unusable.statusCode]).toEqual([500, 500]);
    expect(missing.body).not.toMatch(/secret|api/i);
    expect(lines.join('\n')).toMatch(/api: no secret/);
    expect(lines.join('\n')).not.toContain('short');
    expect(sqsMock.calls()).toHaveLength(0);
  });

  it('answers 503 with Retry-After when the sources secret cannot be read', async () => {
    const response = await ingest({ sourceSecrets: () => Promise.reject(Object.assign(new Error('throttled'), { name: 'ThrottlingException' })) })(body);
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toMatch(/^\d+$/);
    expect(response.body).not.toContain('throttled');
  });
});
