import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent, SQSMessageAttributes } from 'aws-lambda';
import { describeError, type Logger } from '../../shared/logger';
import { processSignupRecords, type ProcessRecordsDeps, type ProcessRecordsOptions, type QueueRecord } from '../../shared/sync/process-signup-records';
import type { SignupMessage } from '../../shared/signup/signup-schema';
import type { SyncOutcome } from '../../shared/sync/outcome';

export type SyncHandlerDeps = Omit<ProcessRecordsDeps, 'remainingTimeMs'> &
  Readonly<{
    logger: Logger;
    options: ProcessRecordsOptions;
    /** Sees every message's outcome (local mode's status page, benchmarks); metrics hook in here too. */
    onOutcomes?: (outcomes: ReadonlyMap<string, SyncOutcome>, records: readonly QueueRecord[], messages: ReadonlyMap<string, SignupMessage>) => void;
    /** Outermost middlewares (Powertools logger context, metrics flush, tracing): their `after` runs last. */
    edge?: readonly middy.MiddlewareObj<SQSEvent, SQSBatchResponse>[];
  }>;

/** Lambda's record attributes (camelCase) -> the SDK's shape, so a DLQ copy keeps them. */
function toSdkAttributes(attributes: SQSMessageAttributes | undefined): Record<string, MessageAttributeValue> {
  const converted: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value.stringValue !== undefined) converted[name] = { DataType: value.dataType, StringValue: value.stringValue };
  }
  return converted;
}

/** Adapts an SQS event (Lambda event source mapping) to the sync use case and back to a partial batch response. */
export function makeSyncHandler(deps: SyncHandlerDeps) {
  const { logger } = deps;
  return middy<SQSEvent, SQSBatchResponse>()
    .use([...(deps.edge ?? [])])
    .before(async () => logger.resetKeys())
    .onError(async (request) => {
      // Never lose a batch to a bug: report every record as failed so SQS delivers it again.
      logger.error('sync failed; the whole batch will be retried', describeError(request.error));
      request.response = { batchItemFailures: request.event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
    })
    .handler(async (event, context) => {
      logger.appendKeys({ awsRequestId: context.awsRequestId, batchSize: event.Records.length });
      const records: QueueRecord[] = event.Records.map((record) => ({
        messageId: record.messageId,
        receiptHandle: record.receiptHandle,
        body: record.body,
        attributes: toSdkAttributes(record.messageAttributes),
        receiveCount: Number(record.attributes.ApproximateReceiveCount) || undefined,
      }));
      const { retry, outcomes, messages } = await processSignupRecords(records, { ...deps, remainingTimeMs: () => context.getRemainingTimeInMillis() }, deps.options);
      deps.onOutcomes?.(outcomes, records, messages);
      return { batchItemFailures: retry.map((itemIdentifier) => ({ itemIdentifier })) };
    });
}
