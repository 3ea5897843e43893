import { type LocalMode, startLocalMode } from '../local/local-mode';
import { readStackConfig } from '../local/local-settings';
import { queueDepth } from '../ops/queue-ops';
import { percentile } from './lib/stats';

/**
 * How long one signup takes to become a customer (and a newsletter subscriber) in BigCommerce, from the
 * ingest's 202: what a merchant sees when they submit their own form and refresh the store's customer list.
 * Measured in local mode: the real ingest over loopback HTTP, the embedded SQS, local mode's event source
 * mapping (local/event-source/) with the deployed batching window and maxConcurrency, the real sync
 * handler, and the BigCommerce sandbox answering every request 300 ms late (an assumption: BigCommerce
 * publishes no latency). A signup "is in BigCommerce" when the sandbox's store holds it (checked every
 * few ms, in process).
 *
 * - Trickle (one signup a minute): each signup is sent once the previous one is a customer and subscriber,
 *   the queue is empty and no invocation runs, which is what a minute's gap gives. Nothing carries over from
 *   one signup to the next, so the gap is shortened to that point instead of waiting a real minute: this
 *   changes no time the signup itself waits (every one waits the whole batching window, as at one a minute).
 * - Burst: `burst` signups posted at once (concurrently); batches fill to 10, so they do not wait the window.
 *
 * Real time throughout: the window and the 300 ms are the deployed/assumed production times, so the figures
 * need no conversion. What is not production's: the embedded queue is short-polled (an empty poll takes the
 * emulator's 40 ms, then `IDLE_POLL_MS`), where AWS answers a long poll as soon as a message is there.
 */

/** Assumed BigCommerce answer time (the drain bench's "300 ms latency" run assumes the same). */
export const BIGCOMMERCE_LATENCY_MS = 300;
/** local mode's pause after an empty poll, shortened for this bench (local/local-settings.ts idlePollMs). */
export const IDLE_POLL_MS = 10;

/** Goals (issue 23) at a trickle: p50 within the window + 1 s, p99 within the window + 3 s. */
export const TRICKLE_GOAL_MS = { p50OverWindow: 1000, p99OverWindow: 3000 } as const;

export type LatencyRun = Readonly<{
  label: string;
  signups: number;
  /** From the 202 arriving at the sender to the customer in the store, ms, per signup. */
  customerMs: readonly number[];
  /** From the 202 to the subscriber (marketing_newsletter) in the store. */
  subscriberMs: readonly number[];
  /** The sync's BigCommerce requests (429s included) per signup. */
  requestsPerSignup: number;
  invocations: number;
}>;

export type TrickleResult = Readonly<{
  batchingWindowMs: number;
  maxConcurrency: number;
  latencyMs: number;
  idlePollMs: number;
  trickle: LatencyRun;
  burst: LatencyRun;
}>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const quantiles = (values: readonly number[]) => ({ p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: percentile(values, 1) });

/** Waits until every email is a customer and a subscriber in the sandbox; resolves their times (performance.now()). */
function watchStore(
  mode: LocalMode,
  emails: readonly string[],
  timeoutMs: number,
): Promise<{ customer: Map<string, number>; subscriber: Map<string, number> }> {
  const sandbox = mode.sandbox!;
  const customer = new Map<string, number>();
  const subscriber = new Map<string, number>();
  const wanted = new Set(emails);
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const look = () => {
      const now = performance.now();
      if (customer.size < wanted.size)
        for (const found of sandbox.customers()) if (wanted.has(found.email) && !customer.has(found.email)) customer.set(found.email, now);
      if (subscriber.size < wanted.size)
        for (const found of sandbox.subscribers())
          if (wanted.has(found.email) && !subscriber.has(found.email) && found.consents.includes('marketing_newsletter')) subscriber.set(found.email, now);
      if (customer.size === wanted.size && subscriber.size === wanted.size) return resolve({ customer, subscriber });
      if (now > deadline)
        return reject(
          new Error(`trickle bench: ${wanted.size - customer.size} customers and ${wanted.size - subscriber.size} subscribers missing after ${timeoutMs} ms`),
        );
      setTimeout(look, 2);
    };
    look();
  });
}

/** Posts one consenting signup to POST /signups; resolves when its 202 arrived (performance.now()). */
async function postSignup(mode: LocalMode, email: string): Promise<number> {
  const response = await fetch(`${mode.apiUrl}/signups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${mode.apiSecret}` },
    body: JSON.stringify({ email, first_name: 'Trickle', last_name: 'Bench', consent: { marketing: true } }),
  });
  await response.arrayBuffer();
  const at = performance.now();
  if (response.status !== 202) throw new Error(`trickle bench: POST /signups answered ${response.status}`);
  return at;
}

/** Until the queue holds nothing (waiting or in flight) and no invocation runs: where a minute's gap leaves it. */
async function idle(mode: LocalMode): Promise<void> {
  for (let quiet = 0; quiet < 3; ) {
    const depth = await queueDepth(mode.sqsClient, mode.signupQueueUrl, { inFlightCountedAsVisible: true });
    const running = (await mode.status()).poller.running;
    quiet = depth.visible + depth.inFlight + depth.delayed === 0 && running === 0 ? quiet + 1 : 0;
    await sleep(20);
  }
}

async function measure(mode: LocalMode, label: string, emails: readonly string[], concurrently: boolean): Promise<LatencyRun> {
  const before = (await mode.status()).bigCommerce.requests ?? 0;
  const invocationsBefore = (await mode.status()).poller.invocations;
  const customerMs: number[] = [];
  const subscriberMs: number[] = [];
  const record = (accepted: ReadonlyMap<string, number>, times: { customer: Map<string, number>; subscriber: Map<string, number> }) => {
    for (const [email, at] of accepted) {
      customerMs.push(times.customer.get(email)! - at);
      subscriberMs.push(times.subscriber.get(email)! - at);
    }
  };
  if (concurrently) {
    const watching = watchStore(mode, emails, 120_000);
    const accepted = new Map(await Promise.all(emails.map(async (email) => [email, await postSignup(mode, email)] as const)));
    record(accepted, await watching);
  } else {
    for (const email of emails) {
      await idle(mode);
      const watching = watchStore(mode, [email], 60_000);
      const accepted = new Map([[email, await postSignup(mode, email)]]);
      record(accepted, await watching);
    }
  }
  await idle(mode);
  const status = await mode.status();
  return {
    label,
    signups: emails.length,
    customerMs,
    subscriberMs,
    requestsPerSignup: ((status.bigCommerce.requests ?? 0) - before) / emails.length,
    invocations: status.poller.invocations - invocationsBefore,
  };
}

export async function runTrickle(
  options: Readonly<{ signups: number; burst: number; seed: number; progress: (line: string) => void }>,
): Promise<TrickleResult> {
  const stack = readStackConfig();
  const mode = await startLocalMode({
    sandbox: { seed: options.seed, rateLimit: { quota: 150, windowMs: 30_000 } },
    timings: { idlePollMs: IDLE_POLL_MS },
    sources: [],
    // Only errors: a run that logs one is worth reading, the rest is noise here.
    log: { level: 'error', write: (line) => process.stderr.write(`[trickle] ${line}\n`) },
    env: {},
  });
  try {
    mode.sandbox!.setFaults({ latencyMs: BIGCOMMERCE_LATENCY_MS });
    const email = (kind: string, index: number) => `${kind}.${options.seed}.${index}@trickle.example.com`;
    options.progress(
      `trickle: ${options.signups} signups one at a time (batching window ${stack.batchingWindowSeconds} s, BigCommerce ${BIGCOMMERCE_LATENCY_MS} ms)`,
    );
    const trickle = await measure(
      mode,
      'trickle (one a minute)',
      Array.from({ length: options.signups }, (_, index) => email('trickle', index)),
      false,
    );
    options.progress(`trickle: a burst of ${options.burst} signups at once`);
    const burst = await measure(
      mode,
      `burst (${options.burst} at once)`,
      Array.from({ length: options.burst }, (_, index) => email('burst', index)),
      true,
    );
    return {
      batchingWindowMs: mode.timings.batchingWindowMs,
      maxConcurrency: mode.timings.maxConcurrency,
      latencyMs: BIGCOMMERCE_LATENCY_MS,
      idlePollMs: IDLE_POLL_MS,
      trickle,
      burst,
    };
  } finally {
    await mode.stop();
  }
}
