import { spawnSync } from 'node:child_process';
import { lambdaEnv, loadOnce } from './cold-start';
import {
  bestMemory,
  CONNECTOR,
  type CostInputs,
  type CostLine,
  connectorUsd,
  costLines,
  FREE_ALLOWANCES,
  type FunctionProfile,
  idleAfterFreeAllowances,
  idleMonthlyLines,
  idlePollersOf,
  invocationCostUsd,
  messagesPerSyncInvocation,
  PRICES,
  perEventInputs,
  STATED_MIX,
  totalUsd,
} from './cost-model';
import { type CpuQuotas, MB_PER_VCPU, PERIOD_US, quotaUs } from './cpu-quota';
import type { Deployment } from './deployment';
import type { HandlerCost as MeasuredHandlerCost } from './handler-cost';
import type { LedgerScenario } from './ledger-writes';
import { median } from './lib/stats';
import { fixed, ms, type Table } from './lib/table';

/**
 * The memory sweep (durations at 128–1024 MB under a CPU quota per size, or modelled when no cgroup is
 * writable) and the cost per million signups, for `npm run bench`.
 */

export const MEMORY_SIZES = [128, 256, 512, 768, 1024] as const;

/**
 * What the stubbed handlers do not wait for, assumed: the ingest's SendMessage to SQS and its delivery-ledger
 * writes to DynamoDB in the same region, and each BigCommerce request of the sync (BigCommerce publishes no
 * latency; the drain bench assumes the same 300 ms), one per batch plus one subscriber request per consenting
 * signup, one after another.
 */
export const ASSUMED_LATENCY_MS = { sqsSend: 15, ledgerWrite: 8, bigCommerce: 300 } as const;
const ledgerWritesPerNewDelivery = 2;
/** I/O wait of one invocation: the ingest for a new delivery, the sync for a batch of `messages` at the stated consent share. */
export const ioWaitMs = (kind: 'ingest' | 'sync', messages = 10) =>
  kind === 'ingest'
    ? ASSUMED_LATENCY_MS.sqsSend + ledgerWritesPerNewDelivery * ASSUMED_LATENCY_MS.ledgerWrite
    : ASSUMED_LATENCY_MS.bigCommerce * (1 + messages * STATED_MIX.consentShare);
/**
 * Lambda's START, END and REPORT lines (and the X-Ray segment id with active tracing), per invocation: assumed.
 * They are INFO-level platform events, so a function whose system log level is WARN writes none of them.
 */
export const PLATFORM_LOG_BYTES = 330;
const platformLogBytes = (fn: Deployment['ingest']) => (fn.logFormat === 'JSON' && fn.systemLogLevel === 'WARN' ? 0 : PLATFORM_LOG_BYTES);

/** Values API Gateway puts in an access log line, for its size (a 20-character request id, a 202 of 75 bytes). */
const ACCESS_LOG_SAMPLE: Readonly<Record<string, string>> = {
  requestId: 'AbCdEfGhIjKlMnOpQrS=',
  requestTime: '06/Dec/2026:15:21:39 +0000',
  routeKey: 'POST /signups',
  status: '202',
  responseLatency: '27',
  responseLength: '75',
  integrationErrorMessage: '-',
};

/** Bytes of one access log line of the stage's format (its `$context.*` variables filled with sample values). */
export function accessLogLineBytes(format: string | undefined): number {
  if (format === undefined) return 0;
  return Buffer.byteLength(`${format.replace(/\$context\.([A-Za-z.]+)/g, (_all, name: string) => ACCESS_LOG_SAMPLE[name] ?? 'x'.repeat(12))}\n`);
}

export type Kind = 'ingest' | 'sync';

/** handler-cost.ts's result; `logBytesPerInvocation` when it ran with the deployed Powertools Logger and Metrics. */
export type HandlerCost = MeasuredHandlerCost & Readonly<{ logBytesPerInvocation?: number }>;

export type SweepPoint = Readonly<{
  memoryMB: number;
  vcpu: number;
  coldMs: number;
  warmMs: number;
  billedMs: number;
  fits: boolean;
  costPerInvocationUsd: number;
}>;

export type Sweep = Readonly<{
  mode: CpuQuotas['mode'];
  reason?: string;
  points: Readonly<Record<Kind, readonly SweepPoint[]>>;
  best: Readonly<Record<Kind, number | undefined>>;
  /** Warm CPU-bound ms per invocation at each size, ms per message for the sync (cost model input). */
  warmMsAt: (kind: Kind, memoryMB: number) => number;
  runs: number;
}>;

function handlerCostUnder(script: string, kind: Kind, events: number, prefix: readonly string[]): HandlerCost {
  const command = [...prefix, process.execPath, script, kind, String(events)];
  const result = spawnSync(command[0]!, command.slice(1), { env: lambdaEnv({ enableSourceMaps: false }), encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`handler cost ${kind} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as HandlerCost;
}

const perInvocationMs = (cost: HandlerCost) => (cost.usPerEvent * (cost.events / cost.invocations)) / 1000;

export function runMemorySweep(
  options: Readonly<{
    quotas: CpuQuotas;
    deployment: Deployment;
    handlerCostScript: string;
    runs: number;
    events: number;
    unconstrained: Readonly<Record<Kind, HandlerCost>>;
    progress: (message: string) => void;
  }>,
): Sweep {
  const { quotas, deployment } = options;
  const points: Record<Kind, SweepPoint[]> = { ingest: [], sync: [] };
  const warm = new Map<string, number>();
  for (const kind of ['ingest', 'sync'] as const) {
    const fn = deployment[kind];
    const env = lambdaEnv({ enableSourceMaps: fn.nodeOptions?.includes('--enable-source-maps') ?? false });
    const unconstrainedCold = median(Array.from({ length: options.runs }, () => loadOnce({ key: kind, file: fn.asset, env }).cpuMs));
    for (const memoryMB of MEMORY_SIZES) {
      const vcpu = memoryMB / MB_PER_VCPU;
      let coldMs: number;
      let warmMs: number;
      if (quotas.mode === 'none') {
        // Modelled: CPU-bound time stretches by 1 / (share of a vCPU).
        coldMs = unconstrainedCold / vcpu;
        warmMs = perInvocationMs(options.unconstrained[kind]) / vcpu;
      } else {
        options.progress(`memory sweep: ${kind} at ${memoryMB} MB (CFS quota ${quotaUs(memoryMB)} µs per ${PERIOD_US} µs)`);
        const prefix = quotas.prefix(memoryMB);
        coldMs = median(Array.from({ length: options.runs }, () => loadOnce({ key: kind, file: fn.asset, env }, prefix).processMs));
        warmMs = perInvocationMs(handlerCostUnder(options.handlerCostScript, kind, options.events, prefix));
      }
      warm.set(`${kind}/${memoryMB}`, warmMs);
      const billedMs = Math.ceil(warmMs + ioWaitMs(kind));
      points[kind].push({
        memoryMB,
        vcpu,
        coldMs,
        warmMs,
        billedMs,
        fits: options.unconstrained[kind].maxRssMB <= memoryMB,
        costPerInvocationUsd: invocationCostUsd(memoryMB, billedMs),
      });
    }
  }
  const best = (kind: Kind) => bestMemory(points[kind].map((point) => ({ memoryMB: point.memoryMB, durationMs: point.billedMs, fits: point.fits })));
  return {
    mode: quotas.mode,
    ...(quotas.reason ? { reason: quotas.reason } : {}),
    points,
    best: { ingest: best('ingest'), sync: best('sync') },
    warmMsAt: (kind, memoryMB) => {
      const exact = warm.get(`${kind}/${memoryMB}`);
      if (exact !== undefined) return exact;
      // A configured size outside the sweep: scale the nearest measured one by CPU share.
      const nearest = [...MEMORY_SIZES].sort((a, b) => Math.abs(a - memoryMB) - Math.abs(b - memoryMB))[0]!;
      return warm.get(`${kind}/${nearest}`)! * (nearest / memoryMB);
    },
    runs: options.runs,
  };
}

export function sweepTable(sweep: Sweep, deployment: Deployment, unconstrained: Readonly<Record<Kind, HandlerCost>>): Table {
  const how =
    sweep.mode === 'none'
      ? `MODELLED (${sweep.reason}): CPU-bound times ÷ (memory ÷ ${MB_PER_VCPU} MB)`
      : `MEASURED under a CFS CPU quota per size (${sweep.mode}, quota = ${PERIOD_US / 1000} ms × memory ÷ ${MB_PER_VCPU} MB per ${PERIOD_US / 1000} ms)`;
  const rows = (['ingest', 'sync'] as const).flatMap((kind) =>
    sweep.points[kind].map((point) => [
      kind,
      `${point.memoryMB} MB${point.memoryMB === deployment[kind].memoryMB ? ' (deployed)' : ''}`,
      fixed(point.vcpu, 3),
      ms(point.coldMs),
      ms(point.warmMs),
      `${point.billedMs} ms`,
      `${fixed(point.costPerInvocationUsd * 1e6, 3)} µ$`,
      fixed(point.costPerInvocationUsd * 1e6 * point.billedMs, 1),
      point.fits ? 'yes' : `NO (peak RSS ${fixed(unconstrained[kind].maxRssMB, 0)} MB)`,
      sweep.best[kind] === point.memoryMB ? '← least cost × duration' : '',
    ]),
  );
  return {
    title: `Memory size vs cost × duration, arm64 (${sweep.mode === 'none' ? 'modelled' : 'measured under CPU quotas'})`,
    headers: [
      'function',
      'memory',
      'vCPU',
      'cold start (process, spawn → exit)',
      'warm invocation, CPU-bound part',
      'billed duration (+ assumed I/O)',
      'cost per invocation',
      'cost × duration (µ$·ms)',
      'fits peak RSS',
      '',
    ],
    rows,
    notes: [
      `${how}.`,
      `cold start = wall time of a fresh \`node -e "require(asset)"\` of the synthesized asset (median of ${sweep.runs}); warm = wall time per invocation of ${'`bench/handler-cost.ts`'} (ingest: 1 signed signup per request; sync: a batch of 10) run back to back under the quota, I/O stubbed, so it is the CPU-bound part at that share.`,
      `billed duration = warm + assumed I/O wait (ingest: SendMessage ${ASSUMED_LATENCY_MS.sqsSend} ms + ${ledgerWritesPerNewDelivery} ledger writes × ${ASSUMED_LATENCY_MS.ledgerWrite} ms = ${ioWaitMs('ingest')} ms; sync, batch of 10: ${ASSUMED_LATENCY_MS.bigCommerce} ms per BigCommerce request (the drain bench's assumed latency) × (1 POST + ${10 * STATED_MIX.consentShare} subscriber requests at ${STATED_MIX.consentShare * 100} % consent) = ${ioWaitMs('sync')} ms), rounded up to 1 ms; cost = $${fixed(PRICES.lambdaRequest.usd * 1e6, 2)} per million requests + GB-s at $${PRICES.lambdaArmGbSecond.usd}. Peak RSS from the unconstrained run (ingest ${fixed(unconstrained.ingest.maxRssMB, 0)} MB, sync ${fixed(unconstrained.sync.maxRssMB, 0)} MB).`,
      `least cost × duration: ingest ${sweep.best.ingest ?? '–'} MB, sync ${sweep.best.sync ?? '–'} MB (deployed: ${deployment.ingest.memoryMB} MB and ${deployment.sync.memoryMB} MB). An I/O-bound invocation is cheapest at the smallest size that fits; the cold start is what grows as memory shrinks.`,
    ],
  };
}

export type Bill = Readonly<{
  inputs: CostInputs;
  lines: CostLine[];
  perEvent: CostLine[];
  idle: CostLine[];
  /** The idle month after AWS's always-free allowances, if nothing else in the account used them. */
  idleAfterFree: number;
  logBytesMeasured: boolean;
  deployment: Deployment;
  /** The ledger's request units per kind of delivery, measured (bench/ledger-writes.ts), when it ran. */
  ledger: readonly LedgerScenario[] | undefined;
}>;

export function priceMillion(
  options: Readonly<{ deployment: Deployment; sweep?: Sweep; unconstrained: Readonly<Record<Kind, HandlerCost>>; ledger?: readonly LedgerScenario[] }>,
): Bill {
  const { deployment, sweep, unconstrained, ledger } = options;
  const ledgerUnits = (key: LedgerScenario['key'], fallback: number) => ledger?.find((scenario) => scenario.key === key)?.writeUnits ?? fallback;
  const monthSeconds = 30 * 24 * 3600;
  const base = { mix: STATED_MIX, monthSeconds, batchSize: deployment.batchSize, batchingWindowSeconds: deployment.batchingWindowSeconds };
  const perBatch = messagesPerSyncInvocation({ ...base, mix: { ...STATED_MIX, signups: STATED_MIX.signups * (1 - STATED_MIX.duplicateShare) } });
  // Warm CPU-bound time at the deployed memory: measured in the sweep, else the unconstrained run scaled by CPU share.
  const warmMs = (kind: Kind) =>
    sweep?.warmMsAt(kind, deployment[kind].memoryMB) ?? (perInvocationMs(unconstrained[kind]) * MB_PER_VCPU) / deployment[kind].memoryMB;
  const syncPerMessageMs = warmMs('sync') / (unconstrained.sync.events / unconstrained.sync.invocations);
  const logBytes = (kind: Kind) => unconstrained[kind].logBytesPerInvocation;
  const syncLogPerMessage = (logBytes('sync') ?? 0) / (unconstrained.sync.events / unconstrained.sync.invocations);
  // Repeats skip the SendMessage and one ledger write; new deliveries wait for both.
  const ingestIoMs = ioWaitMs('ingest') - STATED_MIX.duplicateShare * (ASSUMED_LATENCY_MS.sqsSend + ASSUMED_LATENCY_MS.ledgerWrite);
  const ingest: FunctionProfile = {
    memoryMB: deployment.ingest.memoryMB,
    durationMs: warmMs('ingest') + ingestIoMs,
    logBytesPerInvocation: logBytes('ingest') ?? 0,
  };
  const sync: FunctionProfile = {
    memoryMB: deployment.sync.memoryMB,
    durationMs: syncPerMessageMs * perBatch + ioWaitMs('sync', perBatch),
    logBytesPerInvocation: syncLogPerMessage * perBatch,
  };
  const inputs: CostInputs = {
    ...base,
    ingest,
    sync,
    platformLogBytesPerInvocation: platformLogBytes(deployment.ingest),
    idlePollers: idlePollersOf(deployment.maxConcurrency),
    longPollSeconds: 20,
    deferredShare: 0,
    ingestSecretTtlSeconds: 300,
    syncSecretTtlSeconds: 300,
    environmentsPerFunction: 1,
    xrayReservoirPerSecond: 1,
    xrayRate: 0.05,
    tracingEnabled: deployment.ingest.tracing === 'Active',
    // Measured by bench/ledger-writes.ts when it ran (one signup per delivery, as the mix says); else the design's count.
    ledgerWritesPerNewDelivery: ledgerUnits('new', ledgerWritesPerNewDelivery),
    ledgerWritesPerRepeat: ledgerUnits('repeat', 1),
    accessLogBytesPerRequest: accessLogLineBytes(deployment.accessLogFormat),
    logRetentionDays: deployment.logRetentionDays,
  };
  const perEvent = costLines(
    perEventInputs(inputs, { memoryMB: sync.memoryMB, durationMs: syncPerMessageMs + ioWaitMs('sync', 1), logBytesPerInvocation: syncLogPerMessage }),
  );
  return {
    inputs,
    lines: costLines(inputs),
    perEvent,
    idle: idleMonthlyLines(deployment.inventory, inputs),
    idleAfterFree: idleAfterFreeAllowances(deployment.inventory, inputs),
    logBytesMeasured: logBytes('ingest') !== undefined && logBytes('sync') !== undefined,
    deployment,
    ledger,
  };
}

const usd = (value: number) => (value >= 100 ? `$${value.toFixed(0)}` : value >= 1 ? `$${value.toFixed(2)}` : `$${value.toFixed(4)}`);
const quantity = (value: number) => (value >= 1000 ? Math.round(value).toLocaleString('en-US') : value >= 1 ? value.toFixed(2) : value.toFixed(4));

const syncBatchOf = (bill: Bill) =>
  messagesPerSyncInvocation({ ...bill.inputs, mix: { ...bill.inputs.mix, signups: bill.inputs.mix.signups * (1 - bill.inputs.mix.duplicateShare) } });
const ingestIoMsOf = (bill: Bill) => ioWaitMs('ingest') - bill.inputs.mix.duplicateShare * (ASSUMED_LATENCY_MS.sqsSend + ASSUMED_LATENCY_MS.ledgerWrite);

/** The delivery ledger's DynamoDB requests per kind of delivery, and what its writes buy. */
export function ledgerTable(ledger: readonly LedgerScenario[]): Table {
  const calls = (scenario: LedgerScenario) =>
    Object.entries(scenario.calls)
      .map(([command, count]) => `${command.replace(/Command$/, '')} × ${count}`)
      .join(', ') || 'none';
  return {
    title: 'Delivery ledger per delivery (measured: the ingest handler against the embedded DynamoDB)',
    headers: ['delivery', 'answer', 'DynamoDB calls', 'write units', 'what the writes buy'],
    rows: ledger.map((scenario) => [scenario.scenario, String(scenario.answer), calls(scenario), String(scenario.writeUnits), scenario.buys]),
    notes: [
      "bench/ledger-writes.ts: the real ingest handler (functions/ingest/build-handler.ts: Powertools Idempotency over DynamoDB, and the per-client limiter of public forms) against dynalite, each DynamoDB call counted by a client middleware; write units by DynamoDB's rule, ceil(item size / 1 KB), a failed conditional write billed on the larger of the stored and the new item.",
      "the GetItem after a failed conditional put is dynalite's: Powertools asks for the stored item with the failure (ReturnValuesOnConditionCheckFailure ALL_OLD), which DynamoDB returns and dynalite does not, so on AWS a repeat costs the one failed write and no read.",
      'two writes are the fewest for a new delivery that keep both guarantees: one write claiming the delivery as completed before SendMessage would answer a retry as a repeat after a crash between the two (a lost signup); one write claiming it in progress and never completed would let every retry after the in-progress window (10 s) be queued again (a second message, a BigCommerce request more).',
    ],
  };
}

/** The issue's cost goals (docs/benchmarks.md): an idle month and a million signups, each at most this. */
export const COST_TARGETS_USD = { idleMonth: 3, perMillion: 3 } as const;

/** What the template says, in one sentence (the idle table's and the per-million table's inputs). */
function templateFacts(bill: Bill): string {
  const { deployment, inputs } = bill;
  const { inventory } = deployment;
  return (
    `from the stack synthesized with cdk.json's context: ${inventory.alarms} alarms, ${inventory.dashboards} dashboards, ${inventory.customMetrics} custom metric-dimension pairs read by alarms or dashboards, ` +
    `${inventory.secrets} secrets, ${inventory.kmsKeys} KMS keys; event source maximum concurrency ${deployment.maxConcurrency ?? 'unset'} (so ${inputs.idlePollers} idle pollers); ` +
    `X-Ray tracing ${deployment.ingest.tracing === 'Active' ? 'active' : 'off'}; logs ${deployment.ingest.logFormat}, application level ${deployment.ingest.applicationLogLevel ?? '–'}, system level ${deployment.ingest.systemLogLevel ?? '–'}; ` +
    `log retention ${deployment.logRetentionDays} days`
  );
}

export function billTables(bill: Bill, generatedBy?: string): Table[] {
  const { mix } = bill.inputs;
  const total = totalUsd(bill.lines);
  const perEventTotal = totalUsd(bill.perEvent);
  const connector = connectorUsd(mix);
  const idle = totalUsd(bill.idle);
  const by = generatedBy ? [`generated by \`${generatedBy}\` (bench/run.ts), ${templateFacts(bill)}.`] : [`${templateFacts(bill)}.`];
  return [
    {
      title: `Cost targets (idle ≤ $${COST_TARGETS_USD.idleMonth.toFixed(2)} a month, ≤ $${COST_TARGETS_USD.perMillion.toFixed(2)} per million signups; us-east-1 list prices before free tiers)`,
      headers: ['target', 'measured', 'met'],
      rows: [
        [
          `an idle deployment ≤ $${COST_TARGETS_USD.idleMonth.toFixed(2)} a month`,
          `${usd(idle)} (${usd(bill.idleAfterFree)} after AWS's always-free allowances)`,
          idle <= COST_TARGETS_USD.idleMonth ? 'yes' : 'NO',
        ],
        [
          `${mix.signups.toLocaleString('en-US')} signups ≤ $${COST_TARGETS_USD.perMillion.toFixed(2)} in a month`,
          usd(total),
          total <= COST_TARGETS_USD.perMillion ? 'yes' : 'NO',
        ],
      ],
      notes: by,
    },
    {
      title: `What ${mix.signups.toLocaleString('en-US')} signups cost on AWS in a month (us-east-1 list prices before free tiers; ${mix.duplicateShare * 100} % duplicates, ${mix.consentShare * 100} % consenting subscribers, one signup per request)`,
      headers: ['service', 'item', 'quantity', 'unit', 'cost', 'basis'],
      rows: [
        ...bill.lines.map((line) => [line.service, line.item, quantity(line.quantity), line.unit, usd(line.usd), line.basis]),
        ['', 'total per million signups (this design)', '', '', usd(total), `$${((total / mix.signups) * 1000).toFixed(4)} per 1,000 signups`],
        [
          '',
          'per-event design on the same stack (one message per sync invocation)',
          '',
          '',
          usd(perEventTotal),
          `${(perEventTotal / total).toFixed(2)}× this design, AWS only`,
        ],
        [
          '',
          `per-task connector: ${CONNECTOR.name}`,
          quantity(mix.signups),
          'tasks',
          usd(connector),
          `${CONNECTOR.note}; list price read ${CONNECTOR.read} on ${CONNECTOR.page}`,
        ],
      ],
      notes: [
        `duplicates = repeated deliveries of a signup already accepted (a sender's retry): the delivery ledger answers them, so they cost an API request, an ingest invocation and a ledger write but no message; consent adds one BigCommerce subscriber request per consenting signup to the sync's wait (no AWS request).`,
        `ingest duration = warm CPU-bound part at ${bill.inputs.ingest.memoryMB} MB + ${fixed(ingestIoMsOf(bill), 1)} ms assumed I/O (SendMessage and ledger writes, less for repeats) = ${Math.ceil(bill.inputs.ingest.durationMs)} ms billed; sync = ${fixed(syncBatchOf(bill), 2)} messages × CPU per message + ${fixed(ioWaitMs('sync', syncBatchOf(bill)), 0)} ms assumed BigCommerce wait = ${Math.ceil(bill.inputs.sync.durationMs)} ms billed.`,
        bill.logBytesMeasured
          ? `log bytes per invocation measured from the handlers' own output with Powertools Logger and Metrics as deployed (JSON lines; EMF documents only for what an alarm reads, none in this traffic): ingest ${Math.round(bill.inputs.ingest.logBytesPerInvocation)} B, sync ${Math.round(bill.inputs.sync.logBytesPerInvocation)} B per invocation at the stated batch size; plus ${bill.inputs.platformLogBytesPerInvocation} B of Lambda platform lines (${bill.inputs.platformLogBytesPerInvocation === 0 ? 'none: the system log level WARN keeps START, END and REPORT out' : `assumed ${PLATFORM_LOG_BYTES} B of START, END and REPORT`}).`
          : `log bytes per invocation NOT measured in this run (bench/handler-cost.ts did not report them): the log lines count only the ${bill.inputs.platformLogBytesPerInvocation} B of platform lines.`,
        'signups arrive evenly over a 30-day month (a Poisson stream); bursts fill batches (fewer sync invocations) and exceed the X-Ray reservoir (fewer traces), so this is the expensive end for both.',
      ],
    },
    {
      title: 'An idle deployment per month (no signups)',
      headers: ['service', 'item', 'quantity', 'unit', 'cost', 'basis'],
      rows: [
        ...bill.idle.map((line) => [line.service, line.item, quantity(line.quantity), line.unit, usd(line.usd), line.basis]),
        ['', 'total per month', '', '', usd(idle), 'us-east-1 list prices before free tiers'],
        [
          '',
          "after AWS's always-free allowances",
          '',
          '',
          usd(bill.idleAfterFree),
          `if nothing else in the account uses them: ${FREE_ALLOWANCES.alarms.count} alarms, ${FREE_ALLOWANCES.customMetrics.count} custom metrics, ${FREE_ALLOWANCES.dashboards.count} dashboards of ≤ ${FREE_ALLOWANCES.dashboards.metricsEach} metrics, ${FREE_ALLOWANCES.sqsRequests.count.toLocaleString('en-US')} SQS requests a month (${FREE_ALLOWANCES.alarms.page}; ${FREE_ALLOWANCES.sqsRequests.page}; read ${FREE_ALLOWANCES.alarms.read})`,
        ],
      ],
      notes: [
        ...by,
        "idle polls: Lambda keeps long-polling the signups queue for the event source mapping, and those ReceiveMessage calls are billed as SQS requests; with a maximum concurrency set it keeps five pollers (it scales down to two only without one), each waiting at most 20 s (SQS's longest wait), so this is the fewest requests it can make.",
        "secrets: the BigCommerce token (read by the sync only) and the sources secret (read by the ingest only) stay apart, since merging them would give each function the other's credentials; the hash key keys both keyed hashes (emails in the logs, client addresses of public forms' counters) and is resolved into the functions' environments at deploy time (docs/configuration.md, \"Secrets\").",
      ],
    },
    ...(bill.ledger ? [ledgerTable(bill.ledger)] : []),
    {
      title: 'Prices used (bench/cost-model.ts PRICES; us-east-1, first tier, before free tiers)',
      headers: ['item', 'price', 'read', 'page'],
      rows: Object.values(PRICES).map((price) => [price.per, `$${price.usd < 0.001 ? price.usd.toExponential(4) : price.usd}`, price.read, price.page]),
    },
  ];
}

export function billFindings(bill: Bill, sweep: Sweep | undefined, deployment: Deployment): string[] {
  const total = totalUsd(bill.lines);
  const biggest = [...bill.lines].sort((a, b) => b.usd - a.usd).slice(0, 3);
  const idle = totalUsd(bill.idle);
  // The lines no setting of this design changes: one API request, one ingest invocation and its ledger
  // write per delivery, the queue's requests (sends, receives, deletes, idle polls) and the sync's invocations.
  const fixedLines = bill.lines.filter(
    (line) =>
      line.usd > 0 &&
      (line.service === 'API Gateway' ||
        line.service === 'SQS' ||
        line.service === 'DynamoDB' ||
        (line.service === 'Lambda' && line.item.endsWith('requests'))),
  );
  const floor = totalUsd(fixedLines);
  const out = [
    `**A million signups cost ${usd(total)} on AWS** at the stated mix (${usd(total / 1000)} per 1,000), against ${usd(totalUsd(bill.perEvent))} for a per-event sync on the same stack and ${usd(connectorUsd(bill.inputs.mix))} at a per-task connector's list price (${CONNECTOR.name}, read ${CONNECTOR.read}). ` +
      `Largest lines: ${biggest.map((line) => `${line.service} ${line.item} ${usd(line.usd)}`).join(', ')}. An idle deployment costs ${usd(idle)} a month (${usd(bill.idleAfterFree)} after AWS's always-free allowances, if nothing else in the account uses them).`,
  ];
  if (total > COST_TARGETS_USD.perMillion) {
    out.push(
      `**Per million signups, $${COST_TARGETS_USD.perMillion.toFixed(2)} is below this design's floor.** The lines no setting changes: ` +
        `${fixedLines.map((line) => `${line.service} ${line.item} ${usd(line.usd)}`).join(', ')}: ${usd(floor)} before any function duration, log byte or secret read. ` +
        `What the rest costs (${usd(total - floor)}) is durations at the deployed memory, the logs operations read and the secrets' reads; tracing is off. ` +
        'Reaching the goal would take away a part that carries a guarantee or a control: the HTTP API (its per-route throttles and its edge), or the ledger that answers a retry without a second message.',
    );
  }
  if (sweep) {
    out.push(
      `**Memory.** Least cost × duration: ingest ${sweep.best.ingest ?? '–'} MB, sync ${sweep.best.sync ?? '–'} MB (deployed ${deployment.ingest.memoryMB} MB and ${deployment.sync.memoryMB} MB; ${sweep.mode === 'none' ? 'modelled' : 'measured under CPU quotas'}). ` +
        'Both invocations are mostly waiting on I/O, so duration hardly falls with memory while the GB-s price rises with it; the cold start is what a smaller size makes slower (see the cold start column).',
    );
  }
  return out;
}
