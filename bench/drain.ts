import type { SQSEvent } from 'aws-lambda';
import { buildSyncHandler } from '../functions/sync/build-handler';
import type { BigCommerceSandbox, FaultConfig } from '../local/bigcommerce-sandbox';
import { readStackConfig } from '../local/local-settings';
import { BigCommerceClient, type ResponseObserver, type TokenProvider } from '../shared/bigcommerce/client';
import { DEFAULT_BIGCOMMERCE_REQUEST_TIMEOUT_MS, loadSyncConfig } from '../shared/config/sync-config';
import { silentLogger } from '../shared/logger';
import { noMetrics } from '../shared/observability/metric-names';
import { VISIBILITY_TIMEOUT_FACTOR } from '../shared/queue/queue-settings';
import type { DeadLetterQueue, VisibilityControl } from '../shared/sync/dead-letters';
import { createExistingShare, type ExistingShare } from '../shared/sync/existing-share';
import type { SyncOutcome } from '../shared/sync/outcome';
import { createQuotaPacer, type QuotaPacer, type QuotaPacerOptions } from '../shared/sync/quota-pacer';
import { DEFERRAL_BACKOFF_SECONDS } from '../shared/sync/redelivery-delay';
import { MAX_CUSTOMERS_PER_REQUEST, SYNC_ENGINE_DEFAULTS } from '../shared/sync/sync-engine';
import { drainThroughEventSource, type EventSourceStats, type SqsHandler } from './lib/event-source';
import { MemoryQueue } from './lib/memory-queue';
import { makePerEventHandler } from './lib/per-event-handler';
import { makeSignupMessages, seededRandom } from './lib/signups';
import { percentile } from './lib/stats';

const stack = readStackConfig();

/**
 * The deployed settings, in production ms, read from where the deployment takes them: cdk.json (through
 * shared/deployment/stack-config.ts), the queue construct, shared/config/sync-config.ts and the engine's defaults. The quota is
 * BigCommerce's Standard plan.
 */
export const DEPLOYED = {
  quota: 150,
  windowMs: 30_000,
  functionTimeoutMs: stack.syncTimeoutSeconds * 1000,
  visibilityTimeoutMs: stack.syncTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR * 1000,
  batchingWindowMs: stack.batchingWindowSeconds * 1000,
  maxReceiveCount: stack.maxReceiveCount,
  maxConcurrency: stack.maxConcurrency,
  batchSize: MAX_CUSTOMERS_PER_REQUEST,
  requestTimeoutMs: DEFAULT_BIGCOMMERCE_REQUEST_TIMEOUT_MS,
  reserveMs: SYNC_ENGINE_DEFAULTS.reserveMs,
  minRequestMs: SYNC_ENGINE_DEFAULTS.minRequestMs,
  baseBackoffMs: SYNC_ENGINE_DEFAULTS.baseBackoffMs,
} as const;

export type Scenario = Readonly<{
  key: string;
  label: string;
  faults?: FaultConfig;
  /** Fraction of the signups whose email is already a customer (seeded before the run). */
  preexisting?: number;
  /** BigCommerce response latency in production ms (scaled by the time scale like every other time). */
  latencyMs?: number;
}>;

export type DrainMode = 'batched' | 'per-event';

export type DrainSettings = Readonly<{
  signups: number;
  timeScale: number;
  mode: DrainMode;
  scenario: Scenario;
  seed: number;
  /**
   * maxConcurrency of the event source mapping; default the deployed 2. Also what each environment's
   * pacer is told (SYNC_MAX_CONCURRENCY), as functions/sync/build-handler.ts builds it: tail reserve = c - 1.
   */
  concurrency?: number;
  /**
   * Signups per second (production time) sent one by one at that steady rate while the pollers run, instead
   * of the whole backlog at once: how full batches get at a given traffic (bench/batching-window.ts).
   */
  arrivalsPerSecond?: number;
  /** The batching window (production ms) instead of the deployed one. */
  batchingWindowMs?: number;
}>;

type Observation = { at: number; status: number | undefined; left?: number; quota?: number; resetMs?: number; windowMs?: number; durationMs: number };

export type WindowUse = { start: number; used: number };

export type DrainResult = Readonly<{
  scenario: Scenario;
  mode: DrainMode;
  signups: number;
  timeScale: number;
  realWindowMs: number;
  /** Messages that ended as a customer (created, existed or updated). */
  customers: number;
  statuses: Record<string, number>;
  apiRequests: number;
  requestsByOutcome: Record<string, number>;
  rateLimited: number;
  faultsInjected: number;
  requestsPerCustomer: number;
  /** Requests that spent quota (429s do not) per customer. */
  quotaRequestsPerCustomer: number;
  drainMs: number;
  customersPerSecond: number;
  quotaBoundPerSecond: number;
  /** customers/s over the whole drain (first receive -> last customer) / quota-bound rate. */
  wholeDrainFraction: number;
  /** The same over complete quota windows only (first window start -> last window start). */
  completeWindowFraction: number | undefined;
  windows: WindowUse[];
  /** Quota units left unused in complete windows, and time between a window's end and the next one's start. */
  unusedInCompleteWindows: number;
  gapMsTotal: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  lost: number;
  duplicated: number;
  /** Messages that were reported done more than once (SQS redelivery of a settled message). */
  settledTwice: number;
  deadLetters: { count: number; reasons: Record<string, number> };
  eventSource: EventSourceStats;
  /** Pacer waits summed over environments, and the longest single one (real ms). */
  pacing: Pacing;
  /** Batches (engine runs) that looked their emails up before the POST, of all batches (existingShare). */
  lookupFirst: { batches: number; of: number };
}>;

type Pacing = { waits: number; waitedMs: number; longestMs: number };

const staticTokens = (token: string): TokenProvider => ({ get: async () => token, refresh: async () => token });

/**
 * Builds the pacer with the settings functions/sync/build-handler.ts gives it (tailReserve =
 * maxConcurrency - 1), counting how often and how long it asks to wait.
 */
const countingPacer =
  (counter: Pacing) =>
  (settings: QuotaPacerOptions): QuotaPacer => {
    const pacer = createQuotaPacer(settings);
    return {
      observe: (state) => pacer.observe(state),
      delayMs: () => {
        const delay = pacer.delayMs();
        if (delay > 0) {
          counter.waits += 1;
          counter.waitedMs += delay;
          counter.longestMs = Math.max(counter.longestMs, delay);
        }
        return delay;
      },
    };
  };

/** The existingShare functions/sync/build-handler.ts builds (`createExistingShare()`), counting its decisions. */
function countingExistingShare(counter: { batches: number; of: number }): ExistingShare {
  const share = createExistingShare();
  return {
    observe: (existing, total) => share.observe(existing, total),
    lookupFirst: () => {
      const first = share.lookupFirst();
      counter.of += 1;
      if (first) counter.batches += 1;
      return first;
    },
    estimate: () => share.estimate(),
  };
}

/**
 * Drains `signups` queue messages through the event source model into the sandbox, with the real sync
 * handler (batched) or the per-event baseline, and reconciles the store against the messages.
 */
export async function runDrain(sandbox: BigCommerceSandbox, settings: DrainSettings): Promise<DrainResult> {
  const { timeScale: scale, scenario, mode } = settings;
  const scaled = (ms: number) => ms * scale;

  // Fresh store, stats and quota window; then seed, then faults (reset clears them).
  sandbox.reset();
  sandbox.setOptions({ rateLimit: { quota: DEPLOYED.quota, windowMs: DEPLOYED.windowMs }, timeScale: scale });
  const messages = makeSignupMessages(settings.signups, `${scenario.key}-${mode}`, settings.seed);
  if (scenario.preexisting) {
    const random = seededRandom(settings.seed + 1);
    const existing = messages.filter(() => random() < scenario.preexisting!);
    sandbox.seedCustomers(existing.map((message) => ({ email: message.email, first_name: 'Existing', last_name: 'Customer' })));
  }
  sandbox.setFaults({ ...(scenario.faults ?? {}), ...(scenario.latencyMs ? { latencyMs: scaled(scenario.latencyMs) } : {}) });

  const queue = new MemoryQueue({ visibilityTimeoutMs: scaled(DEPLOYED.visibilityTimeoutMs), maxReceiveCount: DEPLOYED.maxReceiveCount });
  const enqueuedAt = new Map<string, number>();
  const send = (message: (typeof messages)[number]) => {
    queue.send(message.messageId, message.body, message.attributes);
    enqueuedAt.set(message.messageId, performance.now());
  };
  let sending: Promise<void> = Promise.resolve();
  let sent = 0;
  if (settings.arrivalsPerSecond === undefined) {
    for (const message of messages) send(message);
    sent = messages.length;
  } else {
    // One message every 1/rate (scaled), each at its due time from the start, so timer drift does not accumulate.
    const intervalMs = scaled(1000 / settings.arrivalsPerSecond);
    const first = performance.now();
    sending = (async () => {
      for (const message of messages) {
        const due = first + sent * intervalMs;
        if (due > performance.now()) await new Promise((resolve) => setTimeout(resolve, due - performance.now()));
        send(message);
        sent += 1;
      }
    })();
  }

  const settledAt = new Map<string, number>();
  const statuses: Record<string, number> = {};
  let settledTwice = 0;
  const onOutcome = (id: string, outcome: SyncOutcome) => {
    statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
    if (outcome.status === 'deferred') return;
    if (settledAt.has(id)) settledTwice += 1;
    else settledAt.set(id, performance.now());
  };
  const rejected: { messageId: string; reason: string }[] = [];
  const deadLetters: DeadLetterQueue = {
    send: async (records) => {
      for (const record of records) rejected.push({ messageId: record.messageId, reason: record.rejection.code });
    },
  };
  const visibility: VisibilityControl = {
    delay: async (entries) => {
      for (const entry of entries) queue.changeVisibility(entry.receiptHandle, entry.seconds * 1000);
    },
  };
  const observations: Observation[] = [];
  const onResponse: ResponseObserver = (info) =>
    observations.push({ at: performance.now(), status: info.status, durationMs: info.durationMs, ...info.rateLimit });
  const pacing: Pacing = { waits: 0, waitedMs: 0, longestMs: 0 };
  const lookupFirst = { batches: 0, of: 0 };
  const concurrency = settings.concurrency ?? DEPLOYED.maxConcurrency;

  const environment = (): SqsHandler => {
    if (mode === 'per-event') {
      const api = new BigCommerceClient({
        apiUrl: sandbox.url,
        storeHash: sandbox.storeHash,
        timeoutMs: scaled(DEPLOYED.requestTimeoutMs),
        tokens: staticTokens(sandbox.token),
        onResponse,
      });
      return makePerEventHandler({ api, deadLetters, visibility, onOutcome, baseBackoffMs: scaled(DEPLOYED.baseBackoffMs) });
    }
    // Module-scope state of one Lambda environment, built by the deployed wiring with the deployed settings
    // and the times scaled; the queues are the bench's memory queue.
    const config = loadSyncConfig({
      SIGNUP_QUEUE_URL: 'https://sqs.bench/signups',
      DEAD_LETTER_QUEUE_URL: 'https://sqs.bench/dlq',
      BIGCOMMERCE_STORE_HASH: sandbox.storeHash,
      BIGCOMMERCE_TOKEN_SECRET: 'bench',
      BIGCOMMERCE_API_URL: sandbox.url,
      BIGCOMMERCE_REQUEST_TIMEOUT_MS: String(Math.max(1, Math.round(scaled(DEPLOYED.requestTimeoutMs)))),
      SYNC_MAX_CONCURRENCY: String(concurrency),
      // Customer throughput only: the newsletter part (one request per subscriber) is bench/subscribers.ts's run.
      SYNC_SUBSCRIBERS: 'false',
    });
    const handler = buildSyncHandler(config, {
      tokens: staticTokens(sandbox.token),
      createPacer: countingPacer(pacing),
      existingShare: countingExistingShare(lookupFirst),
      deadLetters,
      visibility,
      logger: silentLogger,
      metrics: noMetrics,
      onResponse,
      options: {
        requestTimeoutMs: scaled(DEPLOYED.requestTimeoutMs),
        reserveMs: scaled(DEPLOYED.reserveMs),
        minRequestMs: scaled(DEPLOYED.minRequestMs),
        baseBackoffMs: scaled(DEPLOYED.baseBackoffMs),
        deferralBackoffSeconds: DEFERRAL_BACKOFF_SECONDS.map((seconds) => scaled(seconds * 1000) / 1000),
      },
      onOutcomes: (outcomes) => {
        for (const [id, outcome] of outcomes) onOutcome(id, outcome);
      },
    });
    return (event: SQSEvent, context) => handler(event, context);
  };

  const started = performance.now();
  const [eventSource] = await Promise.all([
    drainThroughEventSource({
      queue,
      environments: Array.from({ length: concurrency }, environment),
      batchSize: DEPLOYED.batchSize,
      batchingWindowMs: scaled(settings.batchingWindowMs ?? DEPLOYED.batchingWindowMs),
      functionTimeoutMs: scaled(DEPLOYED.functionTimeoutMs),
      moreComing: () => sent < messages.length,
    }),
    sending,
  ]);

  // Reconcile: every message must be exactly one customer (its email) or a dead letter with a reason.
  const stats = sandbox.stats({ logLimit: 0 });
  const customersByEmail = new Map<string, number>();
  for (const customer of sandbox.customers()) customersByEmail.set(customer.email.toLowerCase(), (customersByEmail.get(customer.email.toLowerCase()) ?? 0) + 1);
  const dead = new Set([...rejected.map((entry) => entry.messageId), ...queue.deadLetters.map((entry) => entry.messageId)]);
  let lost = 0;
  let duplicated = 0;
  for (const message of messages) {
    const count = customersByEmail.get(message.email) ?? 0;
    if (count === 0 && !dead.has(message.messageId)) lost += 1;
    duplicated += Math.max(0, count - 1);
  }
  const reasons: Record<string, number> = {};
  for (const entry of [...rejected, ...queue.deadLetters]) reasons[entry.reason] = (reasons[entry.reason] ?? 0) + 1;

  const customerIds = messages.filter((message) => (customersByEmail.get(message.email) ?? 0) > 0 && settledAt.has(message.messageId));
  const customers = customerIds.length;
  const lastSettled = Math.max(...customerIds.map((message) => settledAt.get(message.messageId)!));
  const drainMs = lastSettled - started;
  const realWindowMs = scaled(DEPLOYED.windowMs);
  const quotaBoundPerSecond = (DEPLOYED.batchSize * DEPLOYED.quota) / (realWindowMs / 1000);
  const customersPerSecond = customers / (drainMs / 1000);

  // Quota windows as the responses report them: a window opens with the first admitted request after
  // the previous one expired (Requests-Left = quota - 1); its start is the admission time + Reset-Ms - window.
  const admitted = observations.filter(
    (entry) => entry.status !== undefined && entry.status !== 429 && entry.left !== undefined && entry.resetMs !== undefined,
  );
  // Windows are >= one window length apart, so estimates within half a window belong to the same one.
  const windows: (WindowUse & { firstLeft: number })[] = [];
  for (const entry of admitted) {
    const start = entry.at - entry.durationMs / 2 + entry.resetMs! - realWindowMs;
    const current = windows.at(-1);
    if (!current || start >= current.start + realWindowMs / 2) windows.push({ start, used: 1, firstLeft: entry.left! });
    else {
      current.used += 1;
      // The window's first admission (most units left) gives the best estimate of its start.
      if (entry.left! > current.firstLeft) Object.assign(current, { start, firstLeft: entry.left! });
    }
  }
  let completeWindowFraction: number | undefined;
  let unusedInCompleteWindows = 0;
  let gapMsTotal = 0;
  if (windows.length >= 2) {
    const first = windows[0]!.start;
    const last = windows.at(-1)!.start;
    const inComplete = customerIds.filter((message) => {
      const at = settledAt.get(message.messageId)!;
      return at >= first && at < last;
    }).length;
    completeWindowFraction = inComplete / ((last - first) / 1000) / quotaBoundPerSecond;
    for (let index = 0; index < windows.length - 1; index += 1) {
      unusedInCompleteWindows += Math.max(0, DEPLOYED.quota - windows[index]!.used);
      gapMsTotal += windows[index + 1]!.start - (windows[index]!.start + realWindowMs);
    }
  }

  const latencies = customerIds.map((message) => settledAt.get(message.messageId)! - enqueuedAt.get(message.messageId)!);
  const requestsByOutcome = stats.requests;
  return {
    scenario,
    mode,
    signups: settings.signups,
    timeScale: scale,
    realWindowMs,
    customers,
    statuses,
    apiRequests: stats.apiRequests,
    requestsByOutcome,
    rateLimited: stats.rateLimited,
    faultsInjected: Object.values(stats.faults).reduce((sum, value) => sum + value, 0),
    requestsPerCustomer: stats.apiRequests / customers,
    quotaRequestsPerCustomer: (stats.apiRequests - stats.rateLimited) / customers,
    drainMs,
    customersPerSecond,
    quotaBoundPerSecond,
    wholeDrainFraction: customersPerSecond / quotaBoundPerSecond,
    completeWindowFraction,
    windows,
    unusedInCompleteWindows,
    gapMsTotal,
    latencyP50Ms: percentile(latencies, 0.5),
    latencyP99Ms: percentile(latencies, 0.99),
    lost,
    duplicated,
    settledTwice,
    deadLetters: { count: dead.size, reasons },
    eventSource,
    pacing,
    lookupFirst,
  };
}
