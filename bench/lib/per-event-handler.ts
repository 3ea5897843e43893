import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { BigCommerceClient } from '../../shared/bigcommerce/client';
import { BigCommerceError } from '../../shared/bigcommerce/errors';
import { rateLimitWaitMs } from '../../shared/bigcommerce/rate-limit';
import { DEFAULT_CUSTOMER_OPTIONS, toCustomerCreate } from '../../shared/sync/customer-mapping';
import type { DeadLetterQueue, VisibilityControl } from '../../shared/sync/dead-letters';
import { decodeSignupMessage } from '../../shared/sync/decode-message';
import type { SyncOutcome } from '../../shared/sync/outcome';

export type PerEventDeps = Readonly<{
  api: Pick<BigCommerceClient, 'createCustomers'>;
  deadLetters: DeadLetterQueue;
  visibility: VisibilityControl;
  onOutcome: (messageId: string, outcome: SyncOutcome) => void;
  /** Backoff base after a 5xx (real ms). */
  baseBackoffMs: number;
  maxRetries?: number;
}>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const ALREADY_IN_USE = /already in use/i;

/**
 * The baseline: a per-event sync as SaaS connectors and per-record batch processors do it. Each message
 * is one POST /v3/customers with one customer, sent as soon as the message arrives; a 429 is retried after
 * the wait the headers give, a 5xx / timeout after a backoff (re-POSTing, the usual connector behaviour);
 * "already in use" counts as done.
 *
 * It is the charitable version: it always waits out a 429 (as a connector outside Lambda can), whatever
 * the invocation has left. A Lambda per-record processor that cannot wait (the function timeout equals
 * the 30 s window) hands the record back instead, and every batch it then receives costs another 429
 * until the window resets: tried here, that gave 12 to 187 429s per 1000 customers depending on how fast
 * the window was spent, which measures a timing accident rather than the per-event design.
 */
export function makePerEventHandler(deps: PerEventDeps) {
  const maxRetries = deps.maxRetries ?? 3;
  return async (event: SQSEvent, _context: Context): Promise<SQSBatchResponse> => {
    const failures: string[] = [];
    for (const record of event.Records) {
      const decoded = decodeSignupMessage(record.body);
      let outcome: SyncOutcome;
      if (!decoded.ok) {
        outcome = { status: 'rejected', rejection: decoded.rejection };
      } else {
        const customer = toCustomerCreate(decoded.message.signup, DEFAULT_CUSTOMER_OPTIONS, new Map(), decoded.message.source.customer_defaults);
        outcome = await createOne();
        async function createOne(): Promise<SyncOutcome> {
          for (let failures = 0; ; ) {
            try {
              const result = await deps.api.createCustomers([customer]);
              return { status: 'created', customerId: result.data[0]?.id ?? 0 };
            } catch (error) {
              if (!(error instanceof BigCommerceError)) throw error;
              if (error.kind === 'invalid' && ALREADY_IN_USE.test(JSON.stringify(error.problem ?? {}))) return { status: 'existed' };
              let wait: number;
              if (error.kind === 'rate-limited') wait = rateLimitWaitMs(error.rateLimit) ?? 1_000;
              else if (error.retryable && failures < maxRetries) {
                failures += 1;
                wait = deps.baseBackoffMs * 2 ** (failures - 1);
              } else if (error.retryable) return { status: 'deferred', reason: 'bigcommerce-unavailable' };
              else
                return {
                  status: 'rejected',
                  rejection: { code: 'bigcommerce-rejected', ...(error.status ? { httpStatus: error.status } : {}), detail: error.message },
                };
              await sleep(wait);
            }
          }
        }
      }
      deps.onOutcome(record.messageId, outcome);
      if (outcome.status === 'rejected') {
        await deps.deadLetters.send([{ messageId: record.messageId, body: record.body, attributes: {}, rejection: outcome.rejection }]);
      } else if (outcome.status === 'deferred') {
        failures.push(record.messageId);
        if (outcome.retryAfterMs !== undefined) {
          await deps.visibility.delay([{ messageId: record.messageId, receiptHandle: record.receiptHandle, seconds: outcome.retryAfterMs / 1000 }]);
        }
      }
    }
    return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
  };
}
