import type { SQSClient } from '@aws-sdk/client-sqs';
import { describeProblems, UNMAPPABLE_CODE, type UnmappableDeadLetters, type UnmappableLetter } from '../ingest/unmappable';
import { sendInBatches } from './sqs-send-batches';

/** SQS caps an attribute at 256 KiB; the field paths and rules are what an operator needs. */
const MAX_DETAIL_CHARS = 1000;

/**
 * The ingest's UnmappableDeadLetters port on SQS: the letter (raw delivery, candidate: personal data)
 * is the body; the attributes hold only the code, the field paths with their rules, and the source,
 * the same attribute names the sync's dead letters use (shared/aws/sqs-dead-letter-queue.ts), so
 * `signup-sync dlq list` shows both alike.
 */
export function unmappableAttributes(letter: UnmappableLetter, rejectedAt: Date) {
  return {
    RejectionCode: { DataType: 'String', StringValue: UNMAPPABLE_CODE },
    RejectionDetail: { DataType: 'String', StringValue: describeProblems(letter.problems).slice(0, MAX_DETAIL_CHARS) || '-' },
    SourceId: { DataType: 'String', StringValue: letter.source.id },
    SourceKind: { DataType: 'String', StringValue: letter.source.kind },
    RejectedAt: { DataType: 'String', StringValue: rejectedAt.toISOString() },
  } as const;
}

export function createSqsUnmappableDeadLetters(sqs: SQSClient, queueUrl: string, now: () => Date = () => new Date()): UnmappableDeadLetters {
  return {
    async send(letters) {
      if (letters.length === 0) return;
      await sendInBatches(
        letters.map((letter, index) => ({ id: String(index), body: JSON.stringify(letter), attributes: unmappableAttributes(letter, now()) })),
        { sqs, queueUrl },
      );
    },
  };
}
