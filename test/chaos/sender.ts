import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Prng } from '../../local/bigcommerce-sandbox/prng';
import { createSqsSignupQueue } from '../../shared/aws/sqs-signup-queue';
import { toSignupMessages } from '../../shared/ingest/signup-batch';
import { QueueError } from '../../shared/queue/errors';
import { signupSchema } from '../../shared/signup/signup-schema';
import { type DoubleOptIn, optOutBody, type PlannedRequest } from './plan';

/**
 * The senders of the chaos run: a form backend or marketing platform that retries, as docs/sources.md asks,
 * on 5xx, 429 and network errors with exponential backoff (capped by Retry-After), and never on 4xx.
 * The 'queue' route stands for SQS's at-least-once delivery: one message body sent to the queue twice.
 */

export type SenderStats = {
  /** Answers by HTTP status ('network' = no answer). */
  answers: Record<string, number>;
  /** HTTP requests and direct queue sends, retries included. */
  attempts: number;
  retries: number;
  /** Requests (or copies) given up after `maxAttempts`, or refused with a 4xx. */
  gaveUp: number;
  /** Direct queue sends that failed and were retried. */
  queueSendFailures: number;
  /** Longest time one request took to be accepted, retries included (ms). */
  slowestAcceptMs: number;
};

export type SenderOptions = Readonly<{
  apiUrl: string;
  apiSecret: string;
  /** The double opt-in sources' paths and bearer secrets (route 'doi'). */
  doubleOptIn?: Readonly<Record<DoubleOptIn, Readonly<{ path: string; secret: string }>>>;
  sqs: SQSClient;
  signupQueueUrl: string;
  random: Prng;
  maxAttempts?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Called when a copy of a request is accepted (a 202, or SQS took the message). */
  onAccepted: (request: PlannedRequest, copy: number) => void;
  onGaveUp?: (request: PlannedRequest, copy: number, why: string) => void;
}>;

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSender(options: SenderOptions) {
  const maxAttempts = options.maxAttempts ?? 30;
  const baseBackoffMs = options.baseBackoffMs ?? 200;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  const queue = createSqsSignupQueue(options.sqs, options.signupQueueUrl);
  const stats: SenderStats = { answers: {}, attempts: 0, retries: 0, gaveUp: 0, queueSendFailures: 0, slowestAcceptMs: 0 };
  const count = (key: string) => (stats.answers[key] = (stats.answers[key] ?? 0) + 1);
  // A request sent straight to the queue: one message body, built once, for both copies.
  const queuedMessages = new WeakMap<PlannedRequest, ReturnType<typeof toSignupMessages>[number]>();

  const backoff = (attempt: number, retryAfterSeconds?: number) => {
    const cap = retryAfterSeconds !== undefined && retryAfterSeconds > 0 ? Math.min(maxBackoffMs, retryAfterSeconds * 1000) : maxBackoffMs;
    const exponential = Math.min(cap, baseBackoffMs * 2 ** Math.min(attempt - 1, 10));
    // Full jitter on the upper half, so the senders do not retry in lockstep.
    return exponential / 2 + options.random() * (exponential / 2);
  };

  // What a request says, stamped with when it happened at its first send; every copy and retry repeats it.
  const requestBodies = new WeakMap<PlannedRequest, Record<string, unknown>[]>();
  const bodiesOf = (request: PlannedRequest) => {
    let bodies = requestBodies.get(request);
    if (!bodies) {
      const occurred_at = new Date().toISOString();
      bodies = request.signups.map((signup) => ({ ...(request.optOut ? optOutBody(signup) : signup.body), occurred_at }));
      requestBodies.set(request, bodies);
    }
    return bodies;
  };

  async function post(request: PlannedRequest, copy = 1): Promise<string | undefined> {
    const bodies = bodiesOf(request);
    // A double opt-in source: its own path and secret; a second copy is another submission (another event id).
    const doi = request.route === 'doi' ? options.doubleOptIn?.[request.signups[0]!.doubleOptIn!] : undefined;
    if (request.route === 'doi' && !doi) return 'no double opt-in source configured';
    const sent = doi && copy > 1 ? bodies.map((item) => ({ ...item, event_id: `${String(item['event_id'])}-again` })) : bodies;
    const body = JSON.stringify(sent.length === 1 ? sent[0] : sent);
    const url = doi ? `${options.apiUrl}${doi.path}` : `${options.apiUrl}/signups`;
    const secret = doi ? doi.secret : options.apiSecret;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      stats.attempts += 1;
      if (attempt > 1) stats.retries += 1;
      let status: number | 'network';
      let retryAfter: number | undefined;
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
          body,
          signal: AbortSignal.timeout(15_000),
        });
        await response.arrayBuffer();
        status = response.status;
        const header = Number(response.headers.get('retry-after'));
        retryAfter = Number.isFinite(header) ? header : undefined;
      } catch {
        status = 'network';
      }
      count(String(status));
      if (status === 202) return undefined;
      if (status !== 'network' && !RETRYABLE.has(status)) return `answered ${status}`;
      await sleep(backoff(attempt, retryAfter));
    }
    return `no 202 after ${maxAttempts} attempts`;
  }

  async function enqueueDirectly(request: PlannedRequest): Promise<string | undefined> {
    const message = queuedMessages.get(request);
    if (!message) return 'no message';
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      stats.attempts += 1;
      if (attempt > 1) stats.retries += 1;
      try {
        await queue.enqueue([message]);
        count('queued');
        return undefined;
      } catch (error) {
        stats.queueSendFailures += 1;
        if (error instanceof QueueError && !error.retryable) return `queue refused it: ${error.message}`;
        await sleep(backoff(attempt));
      }
    }
    return `not queued after ${maxAttempts} attempts`;
  }

  async function sendCopy(request: PlannedRequest, copy: number): Promise<boolean> {
    const started = Date.now();
    const failure = request.route === 'queue' ? await enqueueDirectly(request) : await post(request, copy);
    if (failure !== undefined) {
      stats.gaveUp += 1;
      options.onGaveUp?.(request, copy, failure);
      return false;
    }
    stats.slowestAcceptMs = Math.max(stats.slowestAcceptMs, Date.now() - started);
    options.onAccepted(request, copy);
    return true;
  }

  /**
   * A person presses Confirm on the page their mail's link opens (POST to the link), retrying as a person
   * would when the page says to try again (503) or nothing answers; true once it says confirmed.
   */
  async function confirm(link: string): Promise<boolean> {
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      stats.attempts += 1;
      let status: number | 'network';
      try {
        const response = await fetch(link, { method: 'POST', signal: AbortSignal.timeout(15_000) });
        await response.arrayBuffer();
        status = response.status;
      } catch {
        status = 'network';
      }
      count(`confirm ${status}`);
      if (status === 200) return true;
      if (status !== 'network' && !RETRYABLE.has(status)) return false;
      stats.retries += 1;
      await sleep(backoff(attempt));
    }
    return false;
  }

  /** Sends every copy of a request; a delayed second copy is sent in the background (`pending`). */
  async function send(request: PlannedRequest, pending: Promise<unknown>[]): Promise<void> {
    if (request.route === 'queue') {
      const signup = signupSchema.parse(bodiesOf(request)[0]);
      const [message] = toSignupMessages([signup], { source: { id: 'chaos-import', kind: 'csv-import' }, receivedAt: new Date() });
      queuedMessages.set(request, message!);
    }
    if (request.copies === 1) {
      await sendCopy(request, 1);
      return;
    }
    if (request.secondCopyDelayMs === 0) {
      await Promise.all([sendCopy(request, 1), sendCopy(request, 2)]);
      return;
    }
    const accepted = await sendCopy(request, 1);
    if (accepted) pending.push(sleep(request.secondCopyDelayMs).then(() => sendCopy(request, 2)));
  }

  return { send, confirm, stats };
}
