import { CreateQueueCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createEventSourceMapping, type EventSourceMapping, type SqsHandler } from '../../local/event-source/event-source-mapping';
import { deadLetterQueueAttributes, signupQueueAttributes } from '../../local/local-settings';
import { type EmbeddedSqs, startEmbeddedSqs } from '../../local/sqs/embedded-sqs';
import { createSqsClient, queueArn, queueDepth, receiveMessages } from '../../ops/queue-ops';
import { silentLogger } from '../../shared/logger';
import { waitFor } from './support';

jest.setTimeout(30_000);

/** The event source mapping emulation against the embedded SQS (real HTTP, no mocks). */

let sqsServer: EmbeddedSqs;
let sqs: SQSClient;
let queueCounter = 0;
const mappings: EventSourceMapping[] = [];

beforeAll(async () => {
  sqsServer = await startEmbeddedSqs();
  sqs = createSqsClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', env: {} });
});

afterEach(async () => {
  await Promise.all(mappings.splice(0).map((mapping) => mapping.stop()));
});

afterAll(async () => {
  sqs.destroy();
  await sqsServer.close();
});

async function queues({ visibilityTimeoutSeconds = 1, maxReceiveCount = 5 } = {}) {
  queueCounter += 1;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `esm-${queueCounter}-dlq`, Attributes: deadLetterQueueAttributes() }));
  const dlqArn = await queueArn(sqs, dlq.QueueUrl!);
  const queue = await sqs.send(
    new CreateQueueCommand({ QueueName: `esm-${queueCounter}`, Attributes: signupQueueAttributes({ visibilityTimeoutSeconds, maxReceiveCount }, dlqArn) }),
  );
  return { queueUrl: queue.QueueUrl!, queueArn: await queueArn(sqs, queue.QueueUrl!), dlqUrl: dlq.QueueUrl! };
}

async function send(queueUrl: string, bodies: string[]) {
  for (let start = 0; start < bodies.length; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies.slice(start, start + 10).map((body, index) => ({
          Id: String(index),
          MessageBody: body,
          MessageAttributes: { SourceId: { DataType: 'String', StringValue: 'api' }, SchemaVersion: { DataType: 'Number', StringValue: '1' } },
        })),
      }),
    );
  }
}

type Seen = { event: SQSEvent; remainingAtStart: number; startedAt: number; endedAt: number };

function start(target: Awaited<ReturnType<typeof queues>>, handler: SqsHandler, overrides: Partial<Parameters<typeof createEventSourceMapping>[0]> = {}) {
  const mapping = createEventSourceMapping({
    sqs,
    queueUrl: target.queueUrl,
    queueArn: target.queueArn,
    region: 'us-east-1',
    handler,
    functionName: 'sync-test',
    functionTimeoutMs: 5_000,
    visibilityTimeoutSeconds: 1,
    batchingWindowMs: 200,
    maxConcurrency: 2,
    longPollSeconds: 0,
    idlePollMs: 20,
    logger: silentLogger,
    ...overrides,
  });
  mappings.push(mapping);
  mapping.start();
  return mapping;
}

function recording(respond: (event: SQSEvent, call: number) => SQSBatchResponse | Promise<SQSBatchResponse> = () => ({ batchItemFailures: [] }), delayMs = 0) {
  const seen: Seen[] = [];
  const handler: SqsHandler = async (event: SQSEvent, context: Context) => {
    const entry = { event, remainingAtStart: context.getRemainingTimeInMillis(), startedAt: Date.now(), endedAt: 0 };
    seen.push(entry);
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    entry.endedAt = Date.now();
    return respond(event, seen.length);
  };
  return { handler, seen, ids: () => seen.flatMap((s) => s.event.Records.map((r) => r.messageId)) };
}

/** A client on which ReceiveMessage answers carry no system attributes, like local-aws-sqs for MessageSystemAttributeNames. */
function withoutSystemAttributes(): SQSClient {
  const client = createSqsClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', env: {} });
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const output = result.output as { Messages?: { Attributes?: unknown }[] };
      for (const message of output.Messages ?? []) delete message.Attributes;
      return result;
    },
    { step: 'initialize', name: 'stripSystemAttributes' },
  );
  return client;
}

describe('event source mapping (embedded SQS)', () => {
  it('invokes with batches of at most ten, in Lambda record shape, with two pollers at once, and deletes what succeeded', async () => {
    // Arrange
    const target = await queues({ visibilityTimeoutSeconds: 10 });
    const { handler, seen } = recording(undefined, 300);
    await send(
      target.queueUrl,
      Array.from({ length: 25 }, (_, i) => `body-${i}`),
    );

    // Act
    start(target, handler, { visibilityTimeoutSeconds: 10 });
    await waitFor(() => seen.reduce((sum, s) => sum + s.event.Records.length, 0) === 25 && seen.every((s) => s.endedAt > 0), { what: '25 records' });
    const depth = await waitFor(async () => {
      const d = await queueDepth(sqs, target.queueUrl, { inFlightCountedAsVisible: true });
      return d.visible + d.inFlight === 0 ? d : undefined;
    });

    // Assert
    expect(depth).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(seen.every((s) => s.event.Records.length >= 1 && s.event.Records.length <= 10)).toBe(true);
    expect(new Set(seen.flatMap((s) => s.event.Records.map((r) => r.body))).size).toBe(25);
    const overlapping = seen.some((a) => seen.some((b) => a !== b && a.startedAt < b.endedAt && b.startedAt < a.endedAt));
    expect(overlapping).toBe(true);
    const record = seen[0]!.event.Records[0]!;
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: target.queueArn,
      awsRegion: 'us-east-1',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d+$/),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
      },
      messageAttributes: {
        SourceId: { dataType: 'String', stringValue: 'api', stringListValues: [], binaryListValues: [] },
        SchemaVersion: { dataType: 'Number', stringValue: '1', stringListValues: [], binaryListValues: [] },
      },
    });
    expect(record.md5OfBody).toMatch(/^[0-9a-f]{32}$/);
    expect(seen[0]!.remainingAtStart).toBeGreaterThan(4_000);
    expect(seen[0]!.remainingAtStart).toBeLessThanOrEqual(5_000);
  });

  it.each([
    ['reports receive counts', false],
    ['reports no receive counts (the poller counts them itself)', true],
  ])(
    'leaves batchItemFailures on the queue: they come back after the visibility timeout with a higher receive count; endpoint %s',
    async (_, stripAttributes) => {
      // Arrange
      const target = await queues({ visibilityTimeoutSeconds: 1 });
      const client = stripAttributes ? withoutSystemAttributes() : sqs;
      await send(target.queueUrl, ['ok-1', 'fails-twice', 'ok-2']);
      const failures = new Map<string, number>();
      const { handler, seen } = recording((event) => ({
        batchItemFailures: event.Records.filter(
          (r) => r.body === 'fails-twice' && (failures.set(r.messageId, (failures.get(r.messageId) ?? 0) + 1).get(r.messageId) ?? 0) <= 2,
        ).map((r) => ({ itemIdentifier: r.messageId })),
      }));

      // Act
      start(target, handler, { sqs: client });
      await waitFor(() => seen.flatMap((s) => s.event.Records).filter((r) => r.body === 'fails-twice').length === 3, {
        what: 'three deliveries',
        timeoutMs: 15_000,
      });
      await waitFor(async () => {
        const d = await queueDepth(sqs, target.queueUrl, { inFlightCountedAsVisible: true });
        return d.visible + d.inFlight === 0;
      });

      // Assert
      const deliveries = seen.flatMap((s) => s.event.Records);
      expect(deliveries.filter((r) => r.body === 'fails-twice').map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2', '3']);
      expect(deliveries.filter((r) => r.body.startsWith('ok-'))).toHaveLength(2);
      if (client !== sqs) client.destroy();
    },
  );

  it('lets the queue move a message to the DLQ after maxReceiveCount receives (redrive policy)', async () => {
    // Arrange
    const target = await queues({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
    await send(target.queueUrl, ['always-fails']);
    const { handler, seen } = recording((event) => ({ batchItemFailures: event.Records.map((r) => ({ itemIdentifier: r.messageId })) }));

    // Act
    start(target, handler);
    const moved = await waitFor(
      async () => {
        const messages = await receiveMessages(sqs, target.dlqUrl, { visibilityTimeoutSeconds: 0 });
        return messages.length > 0 ? messages : undefined;
      },
      { what: 'the message in the DLQ', timeoutMs: 15_000 },
    );

    // Assert
    expect(moved.map((m) => m.Body)).toEqual(['always-fails']);
    expect(seen.flatMap((s) => s.event.Records.map((r) => r.attributes.ApproximateReceiveCount))).toEqual(['1', '2']);
  });

  it('retries the whole batch when the function throws, times out, or names a message not in the batch', async () => {
    // Arrange
    const target = await queues({ visibilityTimeoutSeconds: 1 });
    await send(target.queueUrl, ['a', 'b']);
    const { handler, seen } = recording(async (_event, call) => {
      if (call === 1) throw new Error('boom');
      if (call === 2) await new Promise((resolve) => setTimeout(resolve, 1_500)); // past the 1 s timeout below
      if (call === 3) return { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] };
      return { batchItemFailures: [] };
    });

    // Act
    const mapping = start(target, handler, { functionTimeoutMs: 1_000, batchingWindowMs: 300, maxConcurrency: 2 });
    await waitFor(
      async () => {
        const d = await queueDepth(sqs, target.queueUrl, { inFlightCountedAsVisible: true });
        return seen.length >= 4 && d.visible + d.inFlight === 0;
      },
      { what: 'the fourth invocation to succeed', timeoutMs: 20_000 },
    );

    // Assert
    const stats = mapping.stats();
    expect(stats.failedInvocations).toBe(3);
    expect(stats.timeouts).toBe(1);
    expect(stats.deleted).toBe(2);
  });

  it('stop() lets the invocation in progress finish and delete its messages', async () => {
    // Arrange
    const target = await queues({ visibilityTimeoutSeconds: 30 });
    await send(target.queueUrl, ['slow']);
    const { handler, seen } = recording(undefined, 700);
    const mapping = start(target, handler, { visibilityTimeoutSeconds: 30, batchingWindowMs: 0 });
    await waitFor(() => seen.length === 1, { what: 'the invocation to start' });

    // Act
    await mapping.stop();

    // Assert
    expect(seen[0]!.endedAt).toBeGreaterThan(0);
    expect(mapping.stats()).toMatchObject({ deleted: 1, running: 0 });
    expect(await queueDepth(sqs, target.queueUrl, { inFlightCountedAsVisible: true })).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});
