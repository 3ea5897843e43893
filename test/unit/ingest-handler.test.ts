import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { makeIngestHandler } from '../../functions/ingest/make-handler';
import { silentLogger } from '../../shared/logger';
import { createSqsSignupQueue } from '../../shared/queue/signup-queue';
import { aLambdaContext, anApiEvent, aSignup } from '../helpers/events';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/signups';
const sqsMock = mockClient(SQSClient);

function ingest() {
  const handler = makeIngestHandler({ queue: createSqsSignupQueue(new SQSClient({ region: 'us-east-1' }), QUEUE_URL), logger: silentLogger });
  return async (...args: Parameters<typeof anApiEvent>) =>
    (await handler(anApiEvent(...args), aLambdaContext() as Context)) as APIGatewayProxyStructuredResultV2 & { body: string };
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
    const response = await ingest()(JSON.stringify(aSignup({ email: '  Grace@Example.COM ', event_id: 'evt-1', address: { address1: '1 Main St', city: 'Springfield', country_code: 'us' } })));
    expect(response.statusCode).toBe(202);
    const entry = sqsMock.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!;
    const message = JSON.parse(entry.MessageBody!);
    expect(message).toMatchObject({
      schema_version: 1,
      idempotency_key: 'api:evt-1',
      source: { id: 'api', kind: 'canonical' },
      signup: { email: 'grace@example.com', address: { country_code: 'US', first_name: 'Ada', last_name: 'Lovelace' } },
    });
    expect(Date.parse(message.received_at)).not.toBeNaN();
    expect(entry.MessageAttributes).toEqual({
      SchemaVersion: { DataType: 'Number', StringValue: '1' },
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
        ? { Successful: rest.map((entry) => ({ Id: entry.Id, MessageId: 'm', MD5OfMessageBody: 'x' })), Failed: [{ Id: first!.Id, SenderFault: false, Code: 'InternalError' }] }
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
    const invalidUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64');
    const handler = makeIngestHandler({ queue: { enqueue: jest.fn() }, logger: silentLogger });
    const bad = anApiEvent(undefined);
    const response = (await handler({ ...bad, body: invalidUtf8, isBase64Encoded: true }, aLambdaContext())) as APIGatewayProxyStructuredResultV2;
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
      JSON.stringify([aSignup(), { email: 'not-an-email', first_name: '', last_name: 'Hopper-secret-name'.repeat(10), lastName: 'x', address: { city: 'Paris', country_code: 'FRA' } }]),
    );
    expect(response.statusCode).toBe(422);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    const problem = JSON.parse(response.body) as { status: number; errors: { path: string; message: string }[] };
    expect(problem.status).toBe(422);
    expect(problem.errors.map((error) => error.path).sort()).toEqual(['/1', '/1/address/address1', '/1/address/country_code', '/1/email', '/1/first_name', '/1/last_name'].sort());
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
