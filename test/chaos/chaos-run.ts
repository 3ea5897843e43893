import { createWriteStream, type WriteStream } from 'node:fs';
import type { SandboxStats } from '../../local/bigcommerce-sandbox';
import { createPrng } from '../../local/bigcommerce-sandbox/prng';
import { type LocalMode, type StatusSnapshot, startLocalMode } from '../../local/local-mode';
import { readStackConfig } from '../../local/local-settings';
import { listDeadLetters } from '../../ops/dead-letters';
import { type QueueDepth, queueDepth } from '../../ops/queue-ops';
import { createSqsDeadLetterQueue } from '../../shared/aws/sqs-dead-letter-queue';
import { toSignupMessages } from '../../shared/ingest/signup-batch';
import { VISIBILITY_TIMEOUT_FACTOR } from '../../shared/queue/queue-settings';
import { signupSchema } from '../../shared/signup/signup-schema';
import { DEFERRAL_BACKOFF_SECONDS } from '../../shared/sync/redelivery-delay';
import { DOI_SOURCES, type DoubleOptIn, makePlan, type Plan, type PlannedRequest, REJECT_EMAIL_PATTERN } from './plan';
import { type Reconciliation, reconcile } from './reconcile';
import { type ChaosControls, healAll, type ScheduleState, STEPS } from './schedule';
import { createSender, type SenderStats } from './sender';

/**
 * One chaos run against local mode: the real ingest over loopback HTTP, the embedded SQS, the event
 * source mapping with 2 concurrent pollers invoking the real sync handler, and the BigCommerce sandbox.
 * Senders spread N signups over the traffic phase while the schedule (schedule.ts) breaks things; then
 * the run heals everything, waits until nothing is queued or in flight, and reconciles.
 */

export type ChaosOptions = Readonly<{
  signups: number;
  seed: number;
  /** The traffic phase (ms): signups are spread evenly over it, and the schedule is laid over it. */
  durationMs: number;
  /** BigCommerce's 30 s quota window is multiplied by this (the quota stays 150). */
  timeScale: number;
  /** Deliveries before a message goes to the DLQ (the stack's default is 5). */
  maxReceiveCount: number;
  /** Most requests in flight at once (senders waiting for an answer or a retry). */
  maxInFlight: number;
  /** Give up waiting for the queue to settle after this long (ms). */
  settleTimeoutMs: number;
  /** Sync timings, shortened from the deployed 30 s / 180 s / 5 s / 10 s so redeliveries fit in the run. */
  syncTimeoutMs: number;
  visibilityTimeoutSeconds: number;
  batchingWindowMs: number;
  requestTimeoutMs: number;
  maxConcurrency: number;
  /** Where local mode's log lines go (warn and above); default: counted, not kept. */
  logFile?: string;
  /** Progress lines (stderr). */
  progress?: (line: string) => void;
  /** Checks the checker: damage the result on purpose after settling ('lose' | 'duplicate' | 'reject'). */
  sabotage?: 'lose' | 'duplicate' | 'reject';
}>;

/** The deployed deferral backoff (1 min … 12 h), shortened in proportion to the visibility timeout. */
export function chaosDeferralBackoff(visibilityTimeoutSeconds: number): number[] {
  // The deployed visibility timeout: VISIBILITY_TIMEOUT_FACTOR x cdk.json's sync timeout (shared/queue/queue-settings.ts).
  const deployedVisibilitySeconds = readStackConfig().syncTimeoutSeconds * VISIBILITY_TIMEOUT_FACTOR;
  return DEFERRAL_BACKOFF_SECONDS.map((seconds) => Math.max(1, Math.round((seconds * visibilityTimeoutSeconds) / deployedVisibilitySeconds)));
}

export type ChaosReport = Readonly<{
  options: Omit<ChaosOptions, 'progress'>;
  elapsedMs: number;
  /** The traffic phase: every request answered (opt-outs included) and the schedule over. */
  trafficMs: number;
  /**
   * Within it: when the last signup request (second copies included) had its answer, and when the last
   * opt-out did; an opt-out is sent only once its subscription is in the store, so it waits for the sync.
   */
  signupsAnsweredMs: number;
  optOutsAnsweredMs: number;
  settleMs: number;
  settled: boolean;
  reconciliation: Reconciliation;
  sender: SenderStats;
  bigCommerce: Readonly<{
    /** The sync's requests (another app's excluded). */
    requests: number;
    requestsPerCustomer: number;
    /** 429 answers the sync got (real and injected). */
    rateLimited: number;
    byStatus: Readonly<Record<string, number>>;
    faultsInjected: Readonly<Record<string, number>>;
    customersCreated: number;
    otherApp: Readonly<{ requests: number; ok: number; rateLimited: number }>;
  }>;
  queue: Readonly<{ finalDepth?: QueueDepth; finalDeadLetters?: QueueDepth }>;
  /** The ingest's answers by HTTP status, as local mode's API gave them (sender retries included). */
  ingestAnswers: Readonly<Record<string, number>>;
  sync: Readonly<{
    outcomes: StatusSnapshot['outcomes'];
    poller: StatusSnapshot['poller'];
    /** Distinct SQS messages the pollers delivered, and the most deliveries of one. */
    messagesDelivered: number;
    maxDeliveries: number;
    deliveriesHistogram: Readonly<Record<string, number>>;
  }>;
  logs: Readonly<{ warnOrError: number; byMessage: Readonly<Record<string, number>>; deferredByReason: Readonly<Record<string, number>> }>;
  steps: readonly Readonly<{ atMs: number; name: string }>[];
  /** Whether each scenario actually happened; a `required` one that did not fails the run. */
  exercised: readonly Exercised[];
}>;

export type Exercised = Readonly<{ what: string; count: number; required: boolean }>;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Log lines counted by message (warn and above), and optionally kept in a file. */
function logSink(file: string | undefined) {
  const byMessage: Record<string, number> = {};
  const deferrals: Record<string, number> = {};
  let count = 0;
  const stream: WriteStream | undefined = file ? createWriteStream(file) : undefined;
  return {
    write(line: string) {
      count += 1;
      const message = /"message":"([^"]{1,120})"/.exec(line)?.[1] ?? '(unparsed)';
      byMessage[message] = (byMessage[message] ?? 0) + 1;
      if (message === 'batch deferred') {
        // The engine's own reason and how many messages it deferred (see SyncRun.execute).
        const reason = /"reason":"([^"]+)"/.exec(line)?.[1] ?? '?';
        deferrals[reason] = (deferrals[reason] ?? 0) + Number(/"deferred":(\d+)/.exec(line)?.[1] ?? 0);
      }
      stream?.write(`${line}\n`);
    },
    summary: () => ({ warnOrError: count, byMessage: { ...byMessage }, deferredByReason: { ...deferrals } }),
    close: () => new Promise<void>((resolve) => (stream ? stream.end(() => resolve()) : resolve())),
  };
}

async function settle(mode: LocalMode, timeoutMs: number, progress: (line: string) => void): Promise<{ settled: boolean; depth?: QueueDepth }> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  let lastReport = 0;
  let depth: QueueDepth | undefined;
  while (Date.now() < deadline) {
    try {
      depth = await queueDepth(mode.sqsClient, mode.signupQueueUrl, { inFlightCountedAsVisible: true });
      // A message is in flight from its receive until its delete (after the invocation, DLQ sends included).
      const idle = depth.visible + depth.inFlight + depth.delayed === 0 && (await mode.status()).poller.running === 0;
      quiet = idle ? quiet + 1 : 0;
      // Four quiet looks 250 ms apart: a batch being gathered is in flight, so it would show.
      if (quiet >= 4) return { settled: true, depth };
    } catch {
      quiet = 0;
    }
    if (Date.now() - lastReport > 5_000 && depth) {
      lastReport = Date.now();
      progress(`settling: ${depth.visible} waiting, ${depth.inFlight} in flight, ${depth.delayed} delayed`);
    }
    await sleep(250);
  }
  return { settled: false, ...(depth ? { depth } : {}) };
}

/** The run's double opt-in sources: signed senders that may also use the bearer token (the chaos senders do). */
const DOI_ROUTE_TOKEN = 'chaosdoubleoptinroute';
const doiSecret = (kind: DoubleOptIn) => `whsec_${Buffer.from(`chaos double opt-in ${kind} source, not secret`).toString('base64')}`;
const DOI_SOURCE_CONFIG = (Object.keys(DOI_SOURCES) as DoubleOptIn[]).map((kind) => ({
  id: DOI_SOURCES[kind],
  kind: 'standard-webhooks' as const,
  routeToken: DOI_ROUTE_TOKEN,
  acceptBearerToken: true,
  // The box is the opt-in itself; the form asks with a newsletter box (its signups carry the consent).
  intent: kind === 'box' ? ('newsletter' as const) : ('signup' as const),
  consentVersion: `chaos-${kind}-1`,
  doubleOptIn: { from: 'Chaos shop <news@chaos.example>', subject: 'Please confirm your subscription' },
}));

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const progress = options.progress ?? (() => undefined);
  const plan: Plan = makePlan(options.signups, options.seed);
  const random = createPrng(options.seed ^ 0x9e3779b9);
  const logs = logSink(options.logFile);
  const deliveries = new Map<string, number>();

  const mode = await startLocalMode({
    // dynalite in a process of its own: in this one, the senders, the ingest, the embedded SQS, the sync and the
    // sandbox already share a core, and dynalite alone was a tenth of its CPU at 110 requests a second (docs/chaos.md).
    ledgerProcess: 'child',
    sandbox: {
      seed: options.seed,
      rateLimit: { quota: 150, windowMs: 30_000 },
      timeScale: options.timeScale,
      batch422: 'atomic',
      shuffleResponses: true,
      rejectEmails: REJECT_EMAIL_PATTERN,
    },
    bigCommerceRequestTimeoutMs: options.requestTimeoutMs,
    deferralBackoffSeconds: chaosDeferralBackoff(options.visibilityTimeoutSeconds),
    timings: {
      syncTimeoutMs: options.syncTimeoutMs,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
      batchingWindowMs: options.batchingWindowMs,
      maxConcurrency: options.maxConcurrency,
      maxReceiveCount: options.maxReceiveCount,
    },
    log: { format: 'json', level: options.logFile ? 'info' : 'warn', write: logs.write },
    sources: DOI_SOURCE_CONFIG,
    sourceSecrets: Object.fromEntries((Object.keys(DOI_SOURCES) as DoubleOptIn[]).map((kind) => [DOI_SOURCES[kind], doiSecret(kind)])),
    onInvocation: (report) => {
      for (const record of report.records) deliveries.set(record.messageId, (deliveries.get(record.messageId) ?? 0) + 1);
    },
  });
  const sandbox = mode.sandbox!;
  const started = Date.now();
  const steps: { atMs: number; name: string }[] = [];
  const state: ScheduleState = { hogStats: { requests: 0, ok: 0, rateLimited: 0, other: 0 } };
  const controls: ChaosControls = {
    sandbox,
    setQueueOutage: (outage) => mode.setQueueOutage(outage),
    setSyncToken: (token) => mode.setBigCommerceToken(token),
    quota: 150,
    realWindowMs: 30_000 * options.timeScale,
    apiBase: `${sandbox.url}/stores/${sandbox.storeHash}/v3`,
  };

  try {
    // Senders: each request starts at its place in the traffic phase, at most maxInFlight requests at once.
    const acceptedCopies = new Map<string, number>();
    const acceptedOptOuts = new Set<string>();
    const confirmed = new Set<string>();
    const sender = createSender({
      apiUrl: mode.apiUrl,
      apiSecret: mode.apiSecret,
      doubleOptIn: {
        form: { path: `/sources/${DOI_SOURCES.form}-${DOI_ROUTE_TOKEN}`, secret: doiSecret('form') },
        box: { path: `/sources/${DOI_SOURCES.box}-${DOI_ROUTE_TOKEN}`, secret: doiSecret('box') },
      },
      sqs: mode.sqsClient,
      signupQueueUrl: mode.signupQueueUrl,
      random,
      onAccepted: (request: PlannedRequest) => {
        if (request.optOut) for (const signup of request.signups) acceptedOptOuts.add(signup.email);
        else for (const signup of request.signups) acceptedCopies.set(signup.email, (acceptedCopies.get(signup.email) ?? 0) + 1);
      },
      onGaveUp: (request, copy, why) => progress(`a sender gave up on ${request.signups.length} signup(s) (copy ${copy}): ${why}`),
    });

    // One step at a time, in order (stopping the other app awaits its requests in flight).
    let nextStep = 0;
    let stepping: Promise<void> = Promise.resolve();
    const runDueSteps = () =>
      (stepping = stepping.then(async () => {
        while (nextStep < STEPS.length && STEPS[nextStep]!.at <= (Date.now() - started) / options.durationMs) {
          const step = STEPS[nextStep++]!;
          steps.push({ atMs: Date.now() - started, name: step.name });
          progress(`${((Date.now() - started) / 1000).toFixed(1)} s: ${step.name}`);
          await step.run(controls, state);
        }
      }));
    // A step that throws stops the schedule; the error surfaces at the end of the traffic phase.
    const scheduler = setInterval(() => runDueSteps().catch(() => undefined), 50);

    let lastReport = Date.now();
    const report = async () => {
      if (Date.now() - lastReport < 5_000) return;
      lastReport = Date.now();
      const depth = await queueDepth(mode.sqsClient, mode.signupQueueUrl, { inFlightCountedAsVisible: true }).catch(() => undefined);
      progress(
        `${((Date.now() - started) / 1000).toFixed(0)} s: ${acceptedCopies.size}/${plan.signups.length} accepted, ${sandbox.customerCount()} customers` +
          (depth ? `, queue ${depth.visible} waiting / ${depth.inFlight} in flight` : ''),
      );
    };

    const inFlight = new Set<Promise<void>>();
    const later: Promise<unknown>[] = [];
    // A person unsubscribes once their subscription took effect (docs/subscribers.md: opt-outs win).
    const optOutTasks: Promise<unknown>[] = [];
    // One look at the store's subscribers serves every waiting opt-out for 250 ms: each look copies them all,
    // and hundreds of opt-outs wait at once (a look per opt-out took most of the process's CPU at 10,000 signups).
    let subscribed: { at: number; emails: ReadonlySet<string> } | undefined;
    const subscribedNow = (email: string) => {
      if (!subscribed || Date.now() - subscribed.at >= 250) {
        const emails = sandbox.subscribers().flatMap((subscriber) => (subscriber.consents.includes('marketing_newsletter') ? [subscriber.email] : []));
        subscribed = { at: Date.now(), emails: new Set(emails) };
      }
      return subscribed.emails.has(email);
    };
    const unsubscribeLater = async (request: PlannedRequest) => {
      for (const signup of request.signups.filter((candidate) => candidate.optOut && acceptedCopies.has(candidate.email))) {
        const deadline = Date.now() + options.settleTimeoutMs;
        while (!subscribedNow(signup.email) && Date.now() < deadline) await sleep(250);
        await sender.send({ route: 'api', signups: [signup], copies: 1, secondCopyDelayMs: 0, optOut: true }, later);
      }
    };
    // A person who confirms opens the mail once it arrived (local mode's outbox) and presses Confirm.
    const confirmTasks: Promise<unknown>[] = [];
    const confirmLater = async (request: PlannedRequest) => {
      for (const signup of request.signups.filter((candidate) => candidate.confirms && acceptedCopies.has(candidate.email))) {
        const deadline = Date.now() + options.settleTimeoutMs;
        let mail = mode.outbox.mails().find((candidate) => candidate.to === signup.email);
        while (!mail && Date.now() < deadline) {
          await sleep(250);
          mail = mode.outbox.mails().find((candidate) => candidate.to === signup.email);
        }
        if (!mail) {
          progress(`no confirmation mail reached ${signup.email}`);
          continue;
        }
        if (await sender.confirm(mail.link)) confirmed.add(signup.email);
      }
    };
    let sentSignups = 0;
    // --sabotage lose: the first single valid API signup is "accepted" without being sent.
    const phantom =
      options.sabotage === 'lose'
        ? plan.requests.find((request) => request.route === 'api' && request.copies === 1 && request.signups.length === 1 && request.signups[0]!.valid)
        : undefined;
    for (const request of plan.requests) {
      const dueAt = started + (sentSignups / plan.signups.length) * options.durationMs;
      sentSignups += request.signups.length;
      while (Date.now() < dueAt || inFlight.size >= options.maxInFlight) {
        await Promise.race([sleep(Math.max(1, Math.min(20, dueAt - Date.now()))), ...(inFlight.size >= options.maxInFlight ? [Promise.race(inFlight)] : [])]);
        await report();
      }
      if (request === phantom) {
        acceptedCopies.set(request.signups[0]!.email, 1);
        continue;
      }
      const task: Promise<void> = sender.send(request, later).finally(() => inFlight.delete(task));
      inFlight.add(task);
      if (request.signups.some((signup) => signup.optOut)) optOutTasks.push(task.then(() => unsubscribeLater(request)));
      if (request.signups.some((signup) => signup.confirms)) confirmTasks.push(task.then(() => confirmLater(request)));
    }
    await Promise.all(inFlight);
    await Promise.all(later);
    const signupsAnsweredMs = Date.now() - started;
    await Promise.all(optOutTasks);
    await Promise.all(confirmTasks);
    await Promise.all(later);
    const optOutsAnsweredMs = Date.now() - started;
    // The schedule runs to its end even when the senders finish early.
    while (Date.now() - started < options.durationMs) {
      await sleep(50);
      await report();
    }
    clearInterval(scheduler);
    await runDueSteps();
    await healAll(controls, state);
    const trafficMs = Date.now() - started;
    progress(
      `${(trafficMs / 1000).toFixed(1)} s: traffic phase over (${acceptedCopies.size} signups accepted); faults healed, waiting for the queue to settle`,
    );

    const settleStarted = Date.now();
    const { settled, depth } = await settle(mode, options.settleTimeoutMs, progress);
    const settleMs = Date.now() - settleStarted;

    const customers = sandbox.customers();
    const customerEmails = customers.map((customer) => customer.email);
    if (options.sabotage && options.sabotage !== 'lose') await sabotageAfterSettling(options.sabotage, mode, plan, customerEmails);
    const letters = await listDeadLetters(mode.sqsClient, mode.deadLetterQueueUrl, { showPii: true, max: 1_000_000, peekSeconds: 120 });
    const reconciliation = reconcile({
      signups: plan.signups,
      acceptedCopies,
      customerEmails,
      subscribers: sandbox.subscribers().map((subscriber) => ({ email: subscriber.email, consents: subscriber.consents })),
      acceptedOptOuts,
      doubleOptIn: {
        confirmed,
        mails: mode.outbox.mails().reduce((counts, mail) => counts.set(mail.to, (counts.get(mail.to) ?? 0) + 1), new Map<string, number>()),
      },
      deadLetters: letters.map((letter) => ({
        messageId: letter.messageId,
        reason: letter.reason,
        ...(letter.email ? { email: letter.email } : {}),
        ...(letter.originalMessageId ? { originalMessageId: letter.originalMessageId } : {}),
      })),
    });

    const stats: SandboxStats = sandbox.stats();
    const status = await mode.status();
    const deadLetterDepth = await queueDepth(mode.sqsClient, mode.deadLetterQueueUrl, { inFlightCountedAsVisible: true }).catch(() => undefined);
    const otherApp = state.hogStats;
    const byStatus = { ...stats.requests };
    // The other app's GETs are not the sync's: take them out of the sync's figures.
    byStatus['GET 200'] = (byStatus['GET 200'] ?? 0) - otherApp.ok;
    byStatus['GET 429'] = (byStatus['GET 429'] ?? 0) - otherApp.rateLimited;
    for (const key of Object.keys(byStatus)) if (byStatus[key] === 0) delete byStatus[key];
    const syncRequests = stats.apiRequests - otherApp.requests;
    const histogram: Record<string, number> = {};
    for (const count of deliveries.values()) histogram[String(count)] = (histogram[String(count)] ?? 0) + 1;
    // 422s before and after the switch to partial writes (the sandbox's request log has the times).
    const partialSince = started + (steps.find((step) => step.name.startsWith('422 partial'))?.atMs ?? Number.POSITIVE_INFINITY);
    const refusals = stats.log.filter((entry) => entry.status === 422 && entry.method === 'POST');
    const fault = (kind: string) => stats.faults[kind] ?? 0;
    const answered = (key: string) => byStatus[key] ?? 0;
    const exercised: Exercised[] = [
      { what: 'BigCommerce 5xx', count: fault('500') + fault('502') + fault('503') + fault('504'), required: true },
      { what: 'BigCommerce 429 (injected or real)', count: stats.rateLimited - otherApp.rateLimited, required: true },
      { what: 'another app exhausting the quota', count: otherApp.rateLimited, required: false },
      { what: 'timeouts (hang)', count: fault('hang'), required: false },
      { what: 'connection resets', count: fault('reset'), required: false },
      { what: 'created, then answered 500', count: fault('created-then-500'), required: false },
      { what: 'one-off 401', count: fault('revoked-401'), required: false },
      { what: '401 after the token was revoked', count: answered('POST 401') + answered('GET 401') - fault('revoked-401'), required: true },
      { what: '422 with atomic batches', count: refusals.filter((entry) => entry.at < partialSince).length, required: true },
      { what: '422 with partial batches', count: refusals.filter((entry) => entry.at >= partialSince).length, required: true },
      { what: 'ingest 503 (queue unavailable)', count: sender.stats.answers['503'] ?? 0, required: true },
      { what: 'poller receive errors (queue outage)', count: status.poller.receiveErrors, required: false },
      { what: 'duplicate deliveries', count: reconciliation.extraAcceptedCopies, required: true },
      { what: 'newsletter subscriptions (consent, email-only)', count: reconciliation.subscribers, required: true },
      { what: 'opt-outs', count: reconciliation.optOuts, required: true },
      { what: 'double opt-in confirmations', count: reconciliation.doubleOptIn.confirmed, required: true },
      { what: 'double opt-in signups never confirmed', count: reconciliation.doubleOptIn.unconfirmed, required: true },
      { what: 'double opt-in repeats mailed nothing more', count: status.outcomes['awaiting-confirmation'] ?? 0, required: false },
      { what: 'records BigCommerce refuses, dead-lettered', count: reconciliation.deadLettersByReason['bigcommerce-rejected'] ?? 0, required: true },
    ];

    return {
      options: { ...options, progress: undefined } as Omit<ChaosOptions, 'progress'>,
      elapsedMs: Date.now() - started,
      trafficMs,
      signupsAnsweredMs,
      optOutsAnsweredMs,
      settleMs,
      settled,
      reconciliation,
      sender: sender.stats,
      bigCommerce: {
        requests: syncRequests,
        requestsPerCustomer: customers.length > 0 ? syncRequests / customers.length : 0,
        rateLimited: stats.rateLimited - otherApp.rateLimited,
        byStatus,
        faultsInjected: stats.faults,
        customersCreated: stats.customersCreated,
        otherApp: { requests: otherApp.requests, ok: otherApp.ok, rateLimited: otherApp.rateLimited },
      },
      queue: { ...(depth ? { finalDepth: depth } : {}), ...(deadLetterDepth ? { finalDeadLetters: deadLetterDepth } : {}) },
      ingestAnswers: status.apiAnswers,
      sync: {
        outcomes: status.outcomes,
        poller: status.poller,
        messagesDelivered: deliveries.size,
        maxDeliveries: Math.max(0, ...deliveries.values()),
        deliveriesHistogram: histogram,
      },
      logs: logs.summary(),
      steps,
      exercised,
    };
  } finally {
    await healAll(controls, state).catch(() => undefined);
    await mode.stop();
    await logs.close();
  }
}

/**
 * Damages the result on purpose, to show the reconciliation notices (`--sabotage`):
 * - lose: one valid signup is counted as accepted but never sent (an ingest that answers 202 and drops it);
 * - reject: one created signup's message is also put in the DLQ (a sync that dead-letters a good record);
 * - duplicate: one customer is listed twice to the reconciliation (the sandbox, like BigCommerce, refuses
 *   a second customer with the same email, so a duplicate cannot be made in the store itself).
 */
async function sabotageAfterSettling(kind: NonNullable<ChaosOptions['sabotage']>, mode: LocalMode, plan: Plan, customerEmails: string[]): Promise<void> {
  const victim = plan.signups.find((signup) => signup.valid && customerEmails.includes(signup.email));
  if (!victim) return;
  if (kind === 'duplicate') customerEmails.push(victim.email);
  if (kind === 'reject') {
    const [message] = toSignupMessages([signupSchema.parse(victim.body)], { source: { id: 'api', kind: 'canonical' }, receivedAt: new Date() });
    await createSqsDeadLetterQueue(mode.sqsClient, mode.deadLetterQueueUrl).send([
      {
        messageId: 'sabotage',
        body: JSON.stringify(message),
        attributes: {},
        rejection: { code: 'bigcommerce-rejected', httpStatus: 422, detail: 'sabotage' },
      },
    ]);
  }
}
