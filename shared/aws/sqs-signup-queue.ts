import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SignupQueue } from '../ingest/signup-queue';
import type { ConfirmationMessage, SignupMessage } from '../signup/signup-schema';
import { sendInBatches } from './sqs-send-batches';

/** Attributes let operators and the DLQ tools filter without parsing (or exposing) the body. */
export function signupMessageAttributes(message: SignupMessage | ConfirmationMessage) {
  return {
    SchemaVersion: { DataType: 'Number', StringValue: String(message.schema_version) },
    SourceId: { DataType: 'String', StringValue: message.source.id },
    SourceKind: { DataType: 'String', StringValue: message.source.kind },
    // A confirmation (no idempotency key of its own): the nonce of the link names it.
    IdempotencyKey: {
      DataType: 'String',
      StringValue: 'idempotency_key' in message ? message.idempotency_key : `confirmation:${message.confirmation.nonce}`,
    },
  } as const;
}

/** The SignupQueue port on SQS. */
export function createSqsSignupQueue(sqs: SQSClient, queueUrl: string): SignupQueue {
  return {
    async enqueue(messages) {
      await sendInBatches(
        messages.map((message) => ({
          id: message.id,
          body: JSON.stringify(message),
          attributes: signupMessageAttributes(message),
        })),
        { sqs, queueUrl },
      );
    },
  };
}
