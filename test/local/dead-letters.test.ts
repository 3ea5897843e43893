import { CreateQueueCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { deadLetterQueueAttributes, signupQueueAttributes } from '../../local/local-settings';
import { type EmbeddedSqs, startEmbeddedSqs } from '../../local/sqs/embedded-sqs';
import { listDeadLetters, purgeDeadLetters, redriveDeadLetters } from '../../ops/dead-letters';
import { createSqsClient, queueArn, queueDepth, receiveMessages } from '../../ops/queue-ops';

jest.setTimeout(30_000);

/** The DLQ tools (CLI and status page) against the embedded SQS. */

let server: EmbeddedSqs;
let sqs: SQSClient;
let counter = 0;

beforeAll(async () => {
  server = await startEmbeddedSqs();
  sqs = createSqsClient({ endpoint: server.endpoint, region: 'us-east-1', env: {} });
});

afterAll(async () => {
  sqs.destroy();
  await server.close();
});

async function queuesWithDeadLetters(count: number) {
  counter += 1;
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `dl-${counter}-dlq`, Attributes: deadLetterQueueAttributes() }))).QueueUrl!;
  const queue = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `dl-${counter}`,
        Attributes: signupQueueAttributes({ visibilityTimeoutSeconds: 30, maxReceiveCount: 5 }, await queueArn(sqs, dlq)),
      }),
    )
  ).QueueUrl!;
  for (let start = 0; start < count; start += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: dlq,
        Entries: Array.from({ length: Math.min(10, count - start) }, (_, i) => ({
          Id: String(i),
          MessageBody: JSON.stringify({ signup: { email: `dead${start + i}@example.com` } }),
          MessageAttributes: {
            SourceId: { DataType: 'String', StringValue: 'newsletter' },
            RejectionCode: { DataType: 'String', StringValue: 'bigcommerce-rejected' },
            RejectionHttpStatus: { DataType: 'Number', StringValue: '422' },
            RejectionDetail: { DataType: 'String', StringValue: `0.email: error.email.rejected (dead${start + i}@example.com)` },
            RejectedAt: { DataType: 'String', StringValue: new Date(Date.now() - 60_000).toISOString() },
          },
        })),
      }),
    );
  }
  return { queue, dlq };
}

const total = async (url: string) => {
  const depth = await queueDepth(sqs, url, { inFlightCountedAsVisible: true });
  return depth.visible + depth.inFlight;
};

describe('dead-letter tools', () => {
  it('lists every dead letter without personal data and leaves them in the queue, visible', async () => {
    // Arrange
    const { dlq } = await queuesWithDeadLetters(25);

    // Act
    const letters = await listDeadLetters(sqs, dlq);

    // Assert
    expect(letters).toHaveLength(25);
    expect(letters[0]).toMatchObject({
      reason: 'bigcommerce-rejected',
      httpStatus: 422,
      sourceId: 'newsletter',
      detail: '0.email: error.email.rejected (<email>)',
    });
    expect(letters[0]!.ageSeconds).toBeGreaterThanOrEqual(59);
    expect(JSON.stringify(letters)).not.toContain('@example.com');
    expect(await queueDepth(sqs, dlq, { inFlightCountedAsVisible: true })).toMatchObject({ visible: 25, inFlight: 0 });
  });

  it('redrives by receive -> send -> delete at the given rate, keeping bodies and attributes', async () => {
    // Arrange
    const { queue, dlq } = await queuesWithDeadLetters(12);
    const progress: number[] = [];

    // Act
    const started = Date.now();
    const result = await redriveDeadLetters(sqs, {
      deadLetterQueueUrl: dlq,
      signupQueueUrl: queue,
      method: 'copy',
      rate: 10,
      onProgress: (moved) => progress.push(moved),
    });
    const elapsed = Date.now() - started;

    // Assert
    expect(result).toEqual({ method: 'copy', moved: 12, status: 'COMPLETED' });
    expect(elapsed).toBeGreaterThanOrEqual(900); // 12 messages at 10/s: the second batch waits about a second
    expect(progress.at(-1)).toBe(12);
    expect(await total(dlq)).toBe(0);
    const moved = [...(await receiveMessages(sqs, queue, { max: 10 })), ...(await receiveMessages(sqs, queue, { max: 10 }))];
    expect(moved).toHaveLength(12);
    expect(moved[0]!.MessageAttributes).toMatchObject({ SourceId: { StringValue: 'newsletter' }, RejectionCode: { StringValue: 'bigcommerce-rejected' } });
    expect(moved.map((message) => JSON.parse(message.Body!).signup.email).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `dead${i}@example.com`).sort());
  });

  it('redrives with SQS StartMessageMoveTask (the AWS method), which the emulator also runs', async () => {
    // Arrange
    const { queue, dlq } = await queuesWithDeadLetters(7);

    // Act
    const result = await redriveDeadLetters(sqs, { deadLetterQueueUrl: dlq, signupQueueUrl: queue, method: 'move-task', rate: 50, pollMs: 300 });

    // Assert
    expect(result).toEqual({ method: 'move-task', moved: 7, status: 'COMPLETED' });
    expect(await total(dlq)).toBe(0);
    expect(await total(queue)).toBe(7);
  });

  it('moves no more than the DLQ held when the redrive started', async () => {
    // Arrange
    const { queue, dlq } = await queuesWithDeadLetters(5);

    // Act
    const result = await redriveDeadLetters(sqs, { deadLetterQueueUrl: dlq, signupQueueUrl: queue, method: 'copy', max: 3 });

    // Assert
    expect(result.moved).toBe(3);
    expect(await total(dlq)).toBe(2);
  });

  it('purges message by message on an emulator', async () => {
    // Arrange
    const { dlq } = await queuesWithDeadLetters(15);

    // Act
    const result = await purgeDeadLetters(sqs, dlq);

    // Assert
    expect(result).toEqual({ method: 'delete', deleted: 15 });
    expect(await total(dlq)).toBe(0);
  });
});
