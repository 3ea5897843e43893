import { type Message, type MessageAttributeValue, SendMessageCommand } from '@aws-sdk/client-sqs';
import { aSignup } from '../helpers/events';
import { receiveBatch } from './support/event-source-mapping';
import { redrivePolicyOf } from './support/stack-model';
import { useTestbed } from './support/testbed';

jest.setTimeout(60_000);

const bed = useTestbed();

beforeEach(() => bed().resetSandbox());

/** SQS allows at most 10 message attributes; moto does not enforce it, so the suite does. */
const SQS_MAX_MESSAGE_ATTRIBUTES = 10;

const emailOf = (message: Message) => (JSON.parse(message.Body ?? '{}') as { signup?: { email?: string } }).signup?.email;
const byEmail = (messages: readonly Message[], email: string) => messages.find((message) => emailOf(message) === email);

/** The attributes ingest put on a signup message, as SQS hands them back. */
function signupAttributes(message: Message): Record<string, MessageAttributeValue> {
  const { SchemaVersion, SourceId, SourceKind, IdempotencyKey } = message.MessageAttributes ?? {};
  return { SchemaVersion: SchemaVersion!, SourceId: SourceId!, SourceKind: SourceKind!, IdempotencyKey: IdempotencyKey! };
}

describe('SQS -> sync handler -> BigCommerce sandbox, with the event source mapping deleting what it reports done', () => {
  it('deletes created and merged messages, and moves a rejected one to the DLQ with the reason and the original body', async () => {
    // Arrange: two good signups, one BigCommerce refuses, and a duplicate of the first.
    const { sandbox } = bed();
    sandbox.setOptions({ rejectEmails: /^refused/ });
    const deployment = await bed().deploy();
    await bed().ingest(deployment, [
      aSignup({ email: 'ada@example.com' }),
      aSignup({ email: 'grace@example.com' }),
      aSignup({ email: 'refused@example.com' }),
      aSignup({ email: 'ada@example.com', company: 'Analytical Engines' }),
    ]);
    const sync = bed().loadSync(deployment);

    // Act
    const poll = await bed().poll(deployment, sync);
    const deadLetters = await bed().drain(deployment.deadLetterQueue.url);

    // Assert: one batch, nothing to retry, every message deleted.
    expect(poll.received).toHaveLength(4);
    expect(poll.response).toEqual({ batchItemFailures: [] });
    expect(poll.deleted).toHaveLength(4);
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 0 });
    // One customer per email (the duplicate merged), none for the refused one.
    expect(
      sandbox
        .customers()
        .map((customer) => customer.email)
        .sort(),
    ).toEqual(['ada@example.com', 'grace@example.com']);
    expect(sandbox.stats().customersCreated).toBe(2);
    // The refused signup is in the DLQ: original body untouched, original attributes kept, the reason beside them.
    const original = byEmail(poll.received, 'refused@example.com')!;
    expect(deadLetters).toHaveLength(1);
    const [dead] = deadLetters as [Message];
    expect(dead.Body).toBe(original.Body);
    expect(dead.MessageAttributes).toEqual({
      ...signupAttributes(original),
      RejectionCode: { DataType: 'String', StringValue: 'bigcommerce-rejected' },
      RejectionDetail: { DataType: 'String', StringValue: expect.stringContaining('email') },
      RejectionHttpStatus: { DataType: 'Number', StringValue: '422' },
      OriginalMessageId: { DataType: 'String', StringValue: original.MessageId },
      RejectedAt: { DataType: 'String', StringValue: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) },
    });
    expect(Object.keys(dead.MessageAttributes ?? {}).length).toBeLessThanOrEqual(SQS_MAX_MESSAGE_ATTRIBUTES);
    expect(dead.MessageAttributes?.RejectionDetail?.StringValue).not.toContain('refused@example.com');
  });

  it('rejects a message that is not a signup without calling BigCommerce', async () => {
    // Arrange: something else wrote to the queue.
    const { sandbox, sqs } = bed();
    const deployment = await bed().deploy();
    await sqs.send(new SendMessageCommand({ QueueUrl: deployment.signupQueue.url, MessageBody: 'not json' }));
    const sync = bed().loadSync(deployment);

    // Act
    const poll = await bed().poll(deployment, sync);
    const deadLetters = await bed().drain(deployment.deadLetterQueue.url);

    // Assert
    expect(poll.response).toEqual({ batchItemFailures: [] });
    expect(poll.deleted).toHaveLength(1);
    expect(sandbox.stats().apiRequests).toBe(0);
    expect(deadLetters.map((message) => message.Body)).toEqual(['not json']);
    expect(deadLetters[0]?.MessageAttributes).toEqual({
      RejectionCode: { DataType: 'String', StringValue: 'undecodable' },
      RejectionDetail: { DataType: 'String', StringValue: 'The message body is not valid JSON' },
      OriginalMessageId: { DataType: 'String', StringValue: poll.received[0]?.MessageId },
      RejectedAt: { DataType: 'String', StringValue: expect.any(String) },
    });
  });

  it('leaves deferred messages on the queue while BigCommerce answers 503, and creates them on redelivery', async () => {
    // Arrange: four 503s in a row exhaust the sync's retries within one invocation. The deferral backoff
    // (1 min on a first delivery when deployed) is shortened to 3 s so the redelivery comes within the test.
    const { sandbox } = bed();
    sandbox.setFaults({ script: [503, 503, 503, 503] });
    const deployment = await bed().deploy();
    await bed().ingest(deployment, [aSignup(), aSignup(), aSignup()]);
    const sync = bed().loadSync(deployment, { DEFERRAL_BACKOFF_SECONDS: '3,600' });

    // Act: the first delivery, received with a 60 s visibility timeout: only the sync's
    // ChangeMessageVisibilityBatch to the 3 s backoff can bring the messages back within the next poll ...
    const first = await bed().poll(deployment, sync, { visibilityTimeoutSeconds: 60 });
    const afterFirst = { depth: await bed().depth(deployment.signupQueue.url), customers: sandbox.customers().length };
    // ... and the redelivery once BigCommerce is back.
    const second = await bed().poll(deployment, sync, { waitTimeSeconds: 10 });

    // Assert
    expect(first.received).toHaveLength(3);
    expect(first.response).toEqual({ batchItemFailures: first.received.map((message) => ({ itemIdentifier: message.MessageId })) });
    expect(first.deleted).toEqual([]);
    // Still on the queue (in flight until the 3 s pass; visible after, on a slow machine).
    expect(afterFirst.depth.visible + afterFirst.depth.inFlight).toBe(3);
    expect(afterFirst.customers).toBe(0);
    expect(sandbox.stats().requests['POST 503']).toBe(4);
    expect(second.received.map((message) => message.MessageId).sort()).toEqual(first.received.map((message) => message.MessageId).sort());
    expect(second.received.map((message) => message.Attributes?.ApproximateReceiveCount)).toEqual(['2', '2', '2']);
    expect(second.response).toEqual({ batchItemFailures: [] });
    expect(sandbox.customers()).toHaveLength(3);
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 0 });
    expect(await bed().drain(deployment.deadLetterQueue.url)).toEqual([]);
  });

  it('hides a rate-limited message until the quota resets (ChangeMessageVisibilityBatch), not for the whole visibility timeout', async () => {
    // Arrange: a 2 s quota window, an injected 429, and an invocation too short to wait for the reset.
    const { model, sandbox } = bed();
    sandbox.setOptions({ rateLimit: { quota: 100, windowMs: 2_000 } });
    sandbox.setFaults({ script: [429] });
    const deployment = await bed().deploy();
    await bed().ingest(deployment, [aSignup()]);
    const sync = bed().loadSync(deployment);
    const queueVisibilitySeconds = Number(model.signupQueue.properties.VisibilityTimeout);

    // Act
    const deferred = await bed().poll(deployment, sync, { remainingMs: 3_500 });
    const deferredAt = Date.now();
    const immediately = await receiveBatch(bed().sqs, deployment.signupQueue.url);
    let redelivered = await bed().poll(deployment, sync, { waitTimeSeconds: 5 });
    if (redelivered.received.length === 0) redelivered = await bed().poll(deployment, sync, { waitTimeSeconds: 5 });
    const hiddenForMs = Date.now() - deferredAt;

    // Assert
    expect(deferred.response).toEqual({ batchItemFailures: [{ itemIdentifier: deferred.received[0]?.MessageId }] });
    expect(immediately).toEqual([]);
    expect(redelivered.received.map((message) => message.MessageId)).toEqual([deferred.received[0]?.MessageId]);
    expect(hiddenForMs).toBeLessThan(10_000);
    expect(queueVisibilitySeconds * 1000).toBeGreaterThan(10_000);
    expect(redelivered.response).toEqual({ batchItemFailures: [] });
    expect(sandbox.customers()).toHaveLength(1);
  });

  it('moves a message that keeps failing to the DLQ through the redrive policy after exactly maxReceiveCount receives', async () => {
    // Arrange: BigCommerce fails every write; the stack's redrive policy decides when SQS gives up.
    const { model, sandbox } = bed();
    const { maxReceiveCount } = redrivePolicyOf(model.signupQueue);
    sandbox.setFaults({ rate: 1, kinds: [503] });
    const deployment = await bed().deploy();
    await bed().ingest(deployment, [aSignup({ email: 'doomed@example.com' })]);

    // Act: poll like the event source mapping until the queue has nothing left to deliver. Each receive
    // hides the message for 1 s only (the deferral backoff too), and each invocation has 3.5 s (the sync
    // defers after one retry).
    const sync = bed().loadSync(deployment, { DEFERRAL_BACKOFF_SECONDS: '1' });
    const receiveCounts: string[] = [];
    let original: Message | undefined;
    for (let polls = 0; polls < maxReceiveCount + 3; polls += 1) {
      const poll = await bed().poll(deployment, sync, { visibilityTimeoutSeconds: 1, waitTimeSeconds: 3, remainingMs: 3_500 });
      if (poll.received.length === 0) break;
      original ??= poll.received[0];
      expect(poll.retried).toEqual([original?.MessageId]);
      receiveCounts.push(...poll.received.map((message) => message.Attributes?.ApproximateReceiveCount ?? '?'));
    }
    const deadLetters = await bed().drain(deployment.deadLetterQueue.url);

    // Assert: delivered exactly maxReceiveCount times, then moved by SQS as it was (no rejection attributes).
    expect(receiveCounts).toEqual(Array.from({ length: maxReceiveCount }, (_, i) => String(i + 1)));
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 0 });
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.MessageId).toBe(original?.MessageId);
    expect(deadLetters[0]?.Body).toBe(original?.Body);
    expect(deadLetters[0]?.MessageAttributes).toEqual(signupAttributes(original!));
    expect(sandbox.customers()).toEqual([]);
  });
});
