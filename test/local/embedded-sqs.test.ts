import { ChangeMessageVisibilityCommand, CreateQueueCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { deadLetterQueueAttributes, signupQueueAttributes } from '../../local/local-settings';
import { type EmbeddedSqs, startEmbeddedSqs } from '../../local/sqs/embedded-sqs';
import { createSqsClient, queueArn, receiveMessages } from '../../ops/queue-ops';

jest.setTimeout(30_000);

/**
 * The embedded emulator's gap fixes (local/sqs/embedded-sqs.ts), against its real HTTP endpoint.
 * The receive-count fix reaches into local-aws-sqs's internals, so an emulator upgrade that moves them
 * must fail here rather than silently send deferred signups to the DLQ early.
 */

let sqsServer: EmbeddedSqs;
let sqs: SQSClient;
let counter = 0;

beforeAll(async () => {
  sqsServer = await startEmbeddedSqs();
  sqs = createSqsClient({ endpoint: sqsServer.endpoint, region: 'us-east-1', env: {} });
});

afterAll(async () => {
  sqs.destroy();
  await sqsServer.close();
});

async function queueWithDlq(maxReceiveCount: number) {
  counter += 1;
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: `gap-${counter}-dlq`, Attributes: deadLetterQueueAttributes() }))).QueueUrl!;
  const queue = (
    await sqs.send(
      new CreateQueueCommand({
        QueueName: `gap-${counter}`,
        Attributes: signupQueueAttributes({ visibilityTimeoutSeconds: 30, maxReceiveCount }, await queueArn(sqs, dlq)),
      }),
    )
  ).QueueUrl!;
  return { queue, dlq };
}

const receiveCountOf = (message: { Attributes?: Record<string, string> }) => message.Attributes?.['ApproximateReceiveCount'];

describe('embedded SQS', () => {
  it('counts receives, not visibility changes, towards maxReceiveCount (as AWS does)', async () => {
    // Arrange: a message the sync defers three times with a delay, on a queue that allows 3 receives
    const { queue, dlq } = await queueWithDlq(3);
    await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'deferred' }));

    // Act: receive, then change its visibility three times (as the sync's backoff does) and let it return
    const [first] = await receiveMessages(sqs, queue);
    for (const seconds of [10, 5, 0]) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue, ReceiptHandle: first!.ReceiptHandle!, VisibilityTimeout: seconds }));
    }
    const [second] = await receiveMessages(sqs, queue);

    // Assert: the second delivery is receive number 2, and the message is still on the queue, not in the DLQ
    expect(receiveCountOf(first!)).toBe('1');
    expect(second?.Body).toBe('deferred');
    expect(receiveCountOf(second!)).toBe('2');
    expect(await receiveMessages(sqs, dlq, { visibilityTimeoutSeconds: 0 })).toEqual([]);
  });

  it('still moves a message to the DLQ once its receives reach maxReceiveCount', async () => {
    // Arrange
    const { queue, dlq } = await queueWithDlq(2);
    await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'keeps failing' }));

    // Act: two deliveries, each released at once (visibility 0), then one more receive attempt
    for (let delivery = 0; delivery < 2; delivery += 1) {
      const [message] = await receiveMessages(sqs, queue);
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue, ReceiptHandle: message!.ReceiptHandle!, VisibilityTimeout: 0 }));
    }
    const third = await receiveMessages(sqs, queue);

    // Assert
    expect(third).toEqual([]);
    const moved = await receiveMessages(sqs, dlq, { visibilityTimeoutSeconds: 0 });
    expect(moved.map((message) => message.Body)).toEqual(['keeps failing']);
  });

  it('answers 503 ServiceUnavailable during an injected outage of the named actions only', async () => {
    // Arrange
    const { queue } = await queueWithDlq(5);
    const before = sqsServer.outageAnswers();
    sqsServer.setOutage({ actions: ['SendMessage'] });

    // Act
    const failed = await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'during the outage' })).then(
      () => undefined,
      (error: unknown) => error as { name?: string; $metadata?: { httpStatusCode?: number } },
    );
    const received = await receiveMessages(sqs, queue);
    sqsServer.setOutage(undefined);
    const after = await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: 'after the outage' }));

    // Assert: the SDK retried and gave up on SendMessage; ReceiveMessage was untouched; it recovers
    expect(failed).toMatchObject({ name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });
    expect(received).toEqual([]);
    expect(sqsServer.outageAnswers() - before).toBeGreaterThanOrEqual(1);
    expect(after.MessageId).toEqual(expect.any(String));
  });
});
