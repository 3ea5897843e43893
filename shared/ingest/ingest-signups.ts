import { HttpProblemError } from '../http/problem';
import { parseJsonBody } from '../http/request-body';
import { QueueError } from '../queue/errors';
import type { SignupQueue } from '../queue/signup-queue';
import type { SignupMessage, SignupSource } from '../signup/signup-schema';
import { parseSignupBatch, toSignupMessages } from './signup-batch';

/** Seconds a sender should wait after a 503 before retrying (SQS throttling and outages are short). */
export const QUEUE_RETRY_AFTER_SECONDS = 5;

export const CANONICAL_SOURCE: SignupSource = { id: 'api', kind: 'canonical' };

export type IngestDeps = Readonly<{
  queue: SignupQueue;
  now?: () => Date;
  newId?: () => string;
}>;

export type IngestResult = Readonly<{ accepted: number; ids: string[] }>;

/** Enqueues messages, turning queue trouble into the answer the sender needs (503 = try again). */
export async function enqueueOrProblem(queue: SignupQueue, messages: readonly SignupMessage[]): Promise<void> {
  try {
    await queue.enqueue(messages);
  } catch (error) {
    if (error instanceof QueueError && error.retryable) {
      throw new HttpProblemError(
        { title: 'Service Unavailable', status: 503, detail: 'The signup queue is unavailable; retry later. Nothing was lost on our side.' },
        { cause: error, headers: { 'retry-after': String(QUEUE_RETRY_AFTER_SECONDS) } },
      );
    }
    throw error;
  }
}

/** POST /signups: canonical JSON, one signup or up to 100. */
export async function ingestCanonicalSignups(
  request: Readonly<{ body: Buffer; contentType: string | undefined }>,
  { queue, now = () => new Date(), newId }: IngestDeps,
): Promise<IngestResult> {
  const signups = parseSignupBatch(parseJsonBody(request.body, request.contentType));
  const messages = toSignupMessages(signups, { source: CANONICAL_SOURCE, receivedAt: now(), ...(newId ? { newId } : {}) });
  await enqueueOrProblem(queue, messages);
  return { accepted: messages.length, ids: messages.map((message) => message.id) };
}
