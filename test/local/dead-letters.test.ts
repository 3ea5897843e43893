import { CreateQueueCommand, type MessageAttributeValue, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { deadLetterQueueAttributes, signupQueueAttributes } from '../../local/local-settings';
import { type EmbeddedSqs, startEmbeddedSqs } from '../../local/sqs/embedded-sqs';
import { deleteDeadLetters, listDeadLetters, purgeDeadLetters, redriveDeadLetters, showDeadLetters } from '../../ops/dead-letters';
import { createSqsClient, queueArn, queueDepth, receiveMessages } from '../../ops/queue-ops';
import { signupMessageAttributes } from '../../shared/aws/sqs-signup-queue';
import type { SignupMessage } from '../../shared/signup/signup-schema';
import { aSignupMessage } from '../helpers/events';

jest.setTimeout(30_000);

/** The DLQ tools (CLI and status page) against the embedded SQS, with letters as the sync writes them. */

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

type Letter = Readonly<{ message: SignupMessage; reason?: string; httpStatus?: number; rejectedAt?: Date; sourceId?: string }>;

/** A dead letter as the sync writes it (shared/aws/sqs-dead-letter-queue.ts): the message body and its attributes plus Rejection*. */
function letterEntry(letter: Letter, index: number) {
  const attributes: Record<string, MessageAttributeValue> = {
    ...signupMessageAttributes(letter.message),
    ...(letter.sourceId ? { SourceId: { DataType: 'String', StringValue: letter.sourceId } } : {}),
    OriginalMessageId: { DataType: 'String', StringValue: `sqs-${letter.message.id}` },
  };
  if (letter.reason) {
    attributes['RejectionCode'] = { DataType: 'String', StringValue: letter.reason };
    attributes['RejectionDetail'] = { DataType: 'String', StringValue: `0.email: error.email.rejected (${letter.message.signup.email})` };
    attributes['RejectionHttpStatus'] = { DataType: 'Number', StringValue: String(letter.httpStatus ?? 422) };
    attributes['RejectedAt'] = { DataType: 'String', StringValue: (letter.rejectedAt ?? new Date(Date.now() - 60_000)).toISOString() };
  }
  return { Id: String(index), MessageBody: JSON.stringify(letter.message), MessageAttributes: attributes };
}

async function queuesWith(letters: readonly Letter[]) {
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
  for (let start = 0; start < letters.length; start += 10) {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: dlq, Entries: letters.slice(start, start + 10).map((letter, i) => letterEntry(letter, i)) }));
  }
  return { queue, dlq };
}

const rejected = (count: number, prefix = 'dead'): Letter[] =>
  Array.from({ length: count }, (_, i) => ({
    message: aSignupMessage({ email: `${prefix}${i}@example.com` }),
    reason: 'bigcommerce-rejected',
    sourceId: 'newsletter',
  }));

const total = async (url: string) => {
  const depth = await queueDepth(sqs, url, { inFlightCountedAsVisible: true });
  return depth.visible + depth.inFlight;
};

/** The ingest's configuration as `dlq redrive` reads it: here, signups without names are refused. */
const REJECT_NAMELESS = async () => ({ sources: [], namelessPolicy: { nameless: 'reject' } });

describe('dead-letter tools', () => {
  it('lists every dead letter with its ingest id and without personal data, and leaves them in the queue, visible', async () => {
    // Arrange
    const letters = rejected(25);
    const { dlq } = await queuesWith(letters);

    // Act
    const listed = await listDeadLetters(sqs, dlq);

    // Assert
    expect(listed).toHaveLength(25);
    expect(listed[0]).toMatchObject({
      kind: 'signup',
      reason: 'bigcommerce-rejected',
      httpStatus: 422,
      sourceId: 'newsletter',
      detail: '0.email: error.email.rejected (<email>)',
    });
    expect(listed.map((letter) => letter.ingestId).sort()).toEqual(letters.map((letter) => letter.message.id).sort());
    expect(listed[0]!.ageSeconds).toBeGreaterThanOrEqual(59);
    expect(JSON.stringify(listed)).not.toContain('@example.com');
    expect(await queueDepth(sqs, dlq, { inFlightCountedAsVisible: true })).toMatchObject({ visible: 25, inFlight: 0 });
  });

  it('filters by reason, source and time, and leaves the others visible', async () => {
    // Arrange
    const old = new Date(Date.now() - 3 * 86_400_000);
    const { dlq } = await queuesWith([
      ...rejected(2),
      { message: aSignupMessage(), reason: 'subscriber-rejected', sourceId: 'shop' },
      { message: aSignupMessage(), reason: 'bigcommerce-rejected', sourceId: 'shop', rejectedAt: old },
      { message: aSignupMessage() },
    ]);

    // Act
    const byReason = await listDeadLetters(sqs, dlq, { filter: { reasons: ['subscriber-rejected', 'max-receives'] } });
    const bySource = await listDeadLetters(sqs, dlq, { filter: { sourceIds: ['shop'], reasons: ['bigcommerce-rejected'] } });
    const recent = await listDeadLetters(sqs, dlq, { filter: { since: new Date(Date.now() - 86_400_000) } });

    // Assert
    expect(byReason.map((letter) => letter.reason).sort()).toEqual(['max-receives', 'subscriber-rejected']);
    expect(bySource).toEqual([expect.objectContaining({ sourceId: 'shop', since: old.toISOString() })]);
    expect(recent).toHaveLength(4);
    expect(await total(dlq)).toBe(5);
  });

  it('shows one letter by its ingest id or its own id: field names and consents, values only when asked', async () => {
    // Arrange
    const message = aSignupMessage({ email: 'shown@example.com', consent: { marketing: true } });
    const { dlq } = await queuesWith([{ message, reason: 'bigcommerce-rejected' }, ...rejected(3)]);
    const [listed] = await listDeadLetters(sqs, dlq, { filter: { ids: [message.id] } });

    // Act
    const byIngestId = await showDeadLetters(sqs, dlq, [message.id]);
    const byOwnId = await showDeadLetters(sqs, dlq, [listed!.messageId, 'no-such-letter'], { showPii: true });

    // Assert
    expect(byIngestId.letters).toEqual([
      expect.objectContaining({
        ingestId: message.id,
        messageId: listed!.messageId,
        signup: expect.objectContaining({ fields: expect.arrayContaining(['consent', 'email', 'first_name']), marketingConsent: true }),
        attributes: expect.objectContaining({ RejectionCode: 'bigcommerce-rejected' }),
      }),
    ]);
    expect(JSON.stringify(byIngestId)).not.toContain('@example.com');
    expect(byOwnId.letters[0]).toMatchObject({ email: 'shown@example.com', body: { signup: { email: 'shown@example.com' } } });
    expect(byOwnId.notFound).toEqual(['no-such-letter']);
    expect(await queueDepth(sqs, dlq, { inFlightCountedAsVisible: true })).toMatchObject({ visible: 4, inFlight: 0 });
  });

  it('deletes the letters named, and only those', async () => {
    // Arrange
    const letters = rejected(12);
    const { dlq } = await queuesWith(letters);
    const [first] = await listDeadLetters(sqs, dlq, { filter: { ids: [letters[0]!.message.id] } });

    // Act: one by its ingest id, one by its own id, one that is not there
    const result = await deleteDeadLetters(sqs, dlq, { ids: [letters[5]!.message.id, first!.messageId, 'gone-already'] });

    // Assert
    expect(result.deleted.map((letter) => letter.ingestId).sort()).toEqual([letters[0]!.message.id, letters[5]!.message.id].sort());
    expect(result.notFound).toEqual(['gone-already']);
    const left = await listDeadLetters(sqs, dlq);
    expect(left).toHaveLength(10);
    expect(left.map((letter) => letter.ingestId)).not.toContain(letters[5]!.message.id);
    await expect(deleteDeadLetters(sqs, dlq, {})).rejects.toThrow(/purge/);
  });

  it('redrives by receive -> send -> delete at the given rate, keeping bodies and attributes and marking RedrivenAt', async () => {
    // Arrange
    const { queue, dlq } = await queuesWith(rejected(12));
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
    expect(result).toMatchObject({ method: 'copy', moved: 12, status: 'COMPLETED', counts: { redriven: 12, stayed: 0 } });
    expect(elapsed).toBeGreaterThanOrEqual(900); // 12 messages at 10/s: the second batch waits about a second
    expect(progress.at(-1)).toBe(12);
    expect(await total(dlq)).toBe(0);
    const moved = [...(await receiveMessages(sqs, queue, { max: 10 })), ...(await receiveMessages(sqs, queue, { max: 10 }))];
    expect(moved).toHaveLength(12);
    expect(moved[0]!.MessageAttributes).toMatchObject({
      SourceId: { StringValue: 'newsletter' },
      RejectionCode: { StringValue: 'bigcommerce-rejected' },
      RedrivenAt: { StringValue: expect.stringMatching(/^\d{4}-/) },
    });
    expect(moved.map((message) => JSON.parse(message.Body!).signup.email).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `dead${i}@example.com`).sort());
  });

  it('redrives with SQS StartMessageMoveTask (the AWS method), which the emulator also runs, when every letter goes back as it is', async () => {
    // Arrange
    const { queue, dlq } = await queuesWith(rejected(7));

    // Act
    const result = await redriveDeadLetters(sqs, { deadLetterQueueUrl: dlq, signupQueueUrl: queue, method: 'move-task', rate: 50, pollMs: 300 });

    // Assert
    expect(result).toMatchObject({ method: 'move-task', moved: 7, status: 'COMPLETED' });
    expect(await total(dlq)).toBe(0);
    expect(await total(queue)).toBe(7);
  });

  it('redrives only the letters named or filtered, copying rather than moving the whole queue', async () => {
    // Arrange
    const letters = rejected(6);
    const { queue, dlq } = await queuesWith([...letters, { message: aSignupMessage(), reason: 'subscriber-rejected', sourceId: 'shop' }]);

    // Act
    const one = await redriveDeadLetters(sqs, {
      deadLetterQueueUrl: dlq,
      signupQueueUrl: queue,
      method: 'move-task',
      filter: { ids: [letters[2]!.message.id] },
    });
    const byReason = await redriveDeadLetters(sqs, { deadLetterQueueUrl: dlq, signupQueueUrl: queue, filter: { reasons: ['subscriber-rejected'] } });

    // Assert
    expect(one).toMatchObject({ method: 'copy', moved: 1, moveTaskAvoided: expect.stringContaining('only some letters') });
    expect(one.letters).toEqual([expect.objectContaining({ ingestId: letters[2]!.message.id, outcome: 'redriven' })]);
    expect(byReason.letters).toEqual([expect.objectContaining({ reason: 'subscriber-rejected', outcome: 'redriven' })]);
    expect(await total(dlq)).toBe(5);
    expect(await total(queue)).toBe(2);
  });

  it('a dry run says what each letter would become and changes nothing; a letter the configuration would refuse again stays', async () => {
    // Arrange: a nameless newsletter signup, while the ingest now refuses signups without names
    const nameless = aSignupMessage({ first_name: undefined, last_name: undefined, consent: { marketing: true } }, { schema_version: 2 });
    const named = rejected(2);
    const { queue, dlq } = await queuesWith([...named, { message: nameless, reason: 'subscriber-rejected' }]);

    // Act
    const dryRun = await redriveDeadLetters(sqs, { deadLetterQueueUrl: dlq, signupQueueUrl: queue, dryRun: true, ingestSetup: REJECT_NAMELESS });
    const real = await redriveDeadLetters(sqs, { deadLetterQueueUrl: dlq, signupQueueUrl: queue, ingestSetup: REJECT_NAMELESS });

    // Assert: the dry run moved nothing
    expect(dryRun).toMatchObject({ dryRun: true, moved: 0, checked: true });
    expect(dryRun.letters.map((letter) => [letter.ingestId, letter.outcome])).toEqual(
      expect.arrayContaining([
        [named[0]!.message.id, 'would-redrive'],
        [named[1]!.message.id, 'would-redrive'],
        [nameless.id, 'would-stay'],
      ]),
    );
    // The real one moved the two and left the nameless one, saying why.
    expect(real.counts).toMatchObject({ redriven: 2, stayed: 1 });
    expect(real.letters.find((letter) => letter.ingestId === nameless.id)).toMatchObject({
      outcome: 'stayed',
      forcible: true,
      why: expect.stringMatching(/^the ingest would refuse it now: \/(first|last)_name: /),
    });
    expect(await total(dlq)).toBe(1);
    expect(await total(queue)).toBe(2);

    // Act 2: forced
    const forced = await redriveDeadLetters(sqs, { deadLetterQueueUrl: dlq, signupQueueUrl: queue, force: true, ingestSetup: REJECT_NAMELESS });
    expect(forced.letters).toEqual([expect.objectContaining({ ingestId: nameless.id, outcome: 'redriven', why: expect.stringMatching(/^forced: /) })]);
    expect(await total(dlq)).toBe(0);
  });

  it('leaves a letter the sync cannot read, with why', async () => {
    const { queue, dlq } = await queuesWith([]);
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: dlq, Entries: [{ Id: '0', MessageBody: '{"not":"a signup"}' }] }));
    const result = await redriveDeadLetters(sqs, { deadLetterQueueUrl: dlq, signupQueueUrl: queue });
    expect(result.letters).toEqual([
      expect.objectContaining({ kind: 'unreadable', outcome: 'stayed', why: expect.stringContaining('the sync cannot read it') }),
    ]);
    expect(await total(dlq)).toBe(1);
  });

  it('redrives at most --max letters, the oldest first', async () => {
    // Arrange
    const letters = rejected(5).map((letter, i) => ({ ...letter, rejectedAt: new Date(Date.now() - (10 - i) * 60_000) }));
    const { queue, dlq } = await queuesWith(letters);

    // Act
    const result = await redriveDeadLetters(sqs, { deadLetterQueueUrl: dlq, signupQueueUrl: queue, method: 'copy', max: 3 });

    // Assert
    expect(result.moved).toBe(3);
    expect(result.letters.filter((letter) => letter.outcome === 'redriven').map((letter) => letter.ingestId)).toEqual(
      letters.slice(0, 3).map((letter) => letter.message.id),
    );
    expect(await total(dlq)).toBe(2);
  });

  it('purges message by message on an emulator', async () => {
    // Arrange
    const { dlq } = await queuesWith(rejected(15));

    // Act
    const result = await purgeDeadLetters(sqs, dlq);

    // Assert
    expect(result).toEqual({ method: 'delete', deleted: 15 });
    expect(await total(dlq)).toBe(0);
  });
});
