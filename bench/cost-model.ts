/**
 * What a million signups cost on AWS (us-east-1, list prices before any free tier), line by line, from the
 * durations, memory sizes and log bytes the bench measures and the assumptions stated beside each line.
 * Pure arithmetic: bench/run.ts feeds it, test/unit/bench/cost-model.test.ts checks it against a hand-computed case.
 */

export type Price = Readonly<{ usd: number; per: string; page: string; read: string; note?: string }>;

/**
 * Every list price the model uses, in one table: us-east-1, first tier, before free tiers. `read` is the
 * day the figure was read on `page` (found through the search index; AWS's own page where it carried the
 * figure, else the secondary page that quoted it, named). Re-check them against the AWS pages before quoting.
 */
export const PRICES = {
  httpApiRequest: {
    usd: 1.0 / 1e6,
    per: 'HTTP API request (first 300 M/month, ≤ 512 kB each)',
    page: 'https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html (Table 4; aws.amazon.com/api-gateway/pricing/); https://awsforengineers.com/blog/aws-api-gateway-pricing-explained',
    read: '2026-12-06',
  },
  lambdaRequest: {
    usd: 0.2 / 1e6,
    per: 'Lambda request (arm64 and x86)',
    page: 'https://cloudchipr.com/blog/aws-lambda-pricing (quoting aws.amazon.com/lambda/pricing/)',
    read: '2026-12-06',
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'Lambda arm64 GB-second (first 7.5 billion GB-s/month)',
    page: 'https://cloudchipr.com/blog/aws-lambda-pricing (quoting aws.amazon.com/lambda/pricing/)',
    read: '2026-12-06',
  },
  sqsRequest: {
    usd: 0.4 / 1e6,
    per: "SQS standard request (each 64 kB chunk; a batch of ≤ 10 is one request; Lambda's event source polls count too)",
    page: 'https://cloudburn.io/blog/amazon-sqs-pricing (prices as of March 2026); https://aws.amazon.com/premiumsupport/knowledge-center/sqs-high-charges/ (a Lambda trigger long-polls an unused queue: billed empty receives)',
    read: '2026-12-06',
  },
  dynamoWriteRequestUnit: {
    usd: 0.625 / 1e6,
    per: 'DynamoDB on-demand write request unit (standard table class, item ≤ 1 kB)',
    page: 'https://airbyte.com/data-engineering-resources/dynamodb-pricing (after the November 2024 reduction)',
    read: '2026-12-06',
  },
  secretMonth: {
    usd: 0.4,
    per: 'Secrets Manager secret-month',
    page: 'https://hivebook.wiki/wiki/aws-secrets-manager-rotated-secrets-dynamic-db-credentials-kms',
    read: '2026-12-06',
  },
  secretsApiCall: {
    usd: 0.05 / 10_000,
    per: 'Secrets Manager API call',
    page: 'https://hivebook.wiki/wiki/aws-secrets-manager-rotated-secrets-dynamic-db-credentials-kms',
    read: '2026-12-06',
  },
  logsIngestedGb: {
    usd: 0.5,
    per: 'CloudWatch Logs standard ingestion per GB (Lambda logs, first 10 TB tier)',
    page: 'https://www.duckbillgroup.com/?p=9080 (Lambda log tiers from 1 May 2025; first tier = the old flat rate); https://c3x.dev/blog/cloudwatch-logs-cost-optimization (June 2026)',
    read: '2026-12-06',
  },
  logsStoredGbMonth: {
    usd: 0.03,
    per: 'CloudWatch Logs storage per GB-month (standard class)',
    page: 'https://c3x.dev/blog/cloudwatch-logs-cost-optimization (us-east-1, June 2026)',
    read: '2026-12-06',
  },
  customMetricMonth: {
    usd: 0.3,
    per: 'CloudWatch custom metric-month (first 10,000; each name + dimension values is one metric)',
    page: 'https://signoz.io/guides/cloudwatch-pricing (Feb 2026); https://c3x.dev/blog/aws-cloudwatch-metrics-cost/',
    read: '2026-12-06',
  },
  alarmMonth: {
    usd: 0.1,
    per: 'CloudWatch standard-resolution alarm metric-month',
    page: 'https://c3x.dev/blog/aws-cloudwatch-metrics-cost/',
    read: '2026-12-06',
  },
  dashboardMonth: {
    usd: 3.0,
    per: 'CloudWatch dashboard-month (beyond the free allowance)',
    page: 'https://c3x.dev/blog/aws-cloudwatch-metrics-cost/',
    read: '2026-12-06',
  },
  xrayTraceRecorded: { usd: 5.0 / 1e6, per: 'X-Ray trace recorded', page: 'https://aws.amazon.com/de/xray/pricing/', read: '2026-12-01' },
  kmsKeyMonth: {
    usd: 1.0,
    per: 'KMS customer managed key-month (+1 per rotated backing key)',
    page: 'https://aws.amazon.com/kms/pricing/',
    read: '2026-12-01',
  },
} as const satisfies Record<string, Price>;

/**
 * AWS's always-free monthly allowances that apply to an idle deployment. They are per account (and region
 * for CloudWatch), shared with everything else in it, so the tables price before them and show what is
 * left after them only beside, as the best case.
 */
export const FREE_ALLOWANCES = {
  customMetrics: { count: 10, page: 'https://aws.amazon.com/cloudwatch/pricing/ (free tier: 10 metrics)', read: '2026-12-06' },
  alarms: { count: 10, page: 'https://aws.amazon.com/cloudwatch/pricing/ (free tier: 10 alarm metrics, standard resolution)', read: '2026-12-06' },
  dashboards: {
    count: 3,
    metricsEach: 50,
    page: 'https://aws.amazon.com/cloudwatch/pricing/ (free tier: 3 dashboards for up to 50 metrics per month)',
    read: '2026-12-06',
  },
  sqsRequests: {
    count: 1_000_000,
    page: 'https://unanswered.io/guide/aws-sqs-pricing-and-cost-optimization (1 million requests a month, not limited to the first year)',
    read: '2026-12-06',
  },
} as const;

/** A per-task connector's published price, for comparison (not an AWS price). */
export const CONNECTOR = {
  name: 'Zapier Professional (5,000 tasks/month for $89/month; overage tasks at 1.25× the plan rate per task)',
  usdPerTask: 89 / 5000,
  page: "https://arment.com/ArmstrongIAppConnector/Documentation/FAQ.aspx (quoting Zapier's plan; zapier.com/pricing itself was not in the index)",
  read: '2026-12-01',
  note: 'one Zap with one action = one task per signup',
} as const;

export type Mix = Readonly<{
  /** Signups in the month (one signup per request). */
  signups: number;
  /**
   * Share of requests that repeat a delivery already accepted (a sender's retry): the delivery ledger answers
   * them from DynamoDB, so they cost a request, an ingest invocation and a ledger write, but no message.
   */
  duplicateShare: number;
  /** Share of signups consenting to marketing (the same requests; only the customer's fields differ). */
  consentShare: number;
}>;

export const STATED_MIX: Mix = { signups: 1_000_000, duplicateShare: 0.2, consentShare: 0.1 };

export type FunctionProfile = Readonly<{
  memoryMB: number;
  /** Billed duration of one warm invocation (ms; rounded up to whole ms by the model). */
  durationMs: number;
  /** Bytes the function's own code writes to its log per invocation (JSON lines and EMF metric documents). */
  logBytesPerInvocation: number;
}>;

export type CostInputs = Readonly<{
  mix: Mix;
  ingest: FunctionProfile;
  sync: FunctionProfile;
  /** Seconds in the month the signups arrive over (evenly, as a Poisson stream). */
  monthSeconds: number;
  /** The event source mapping: its batch size and batching window. */
  batchSize: number;
  batchingWindowSeconds: number;
  /** Lambda's own START/END/REPORT lines per invocation (bytes; not measurable here, an assumption). */
  platformLogBytesPerInvocation: number;
  /** Pollers Lambda keeps on a queue with few messages, and their long-poll wait (s); AWS documents neither exactly. */
  idlePollers: number;
  longPollSeconds: number;
  /** Share of messages deferred once (ChangeMessageVisibility + one more receive); 0 in the stated mix. */
  deferredShare: number;
  /** Secrets cached per environment for this long (s): sources secret (ingest) and token (sync). */
  ingestSecretTtlSeconds: number;
  syncSecretTtlSeconds: number;
  /** Warm environments per function that each refresh the cached secret. */
  environmentsPerFunction: number;
  /** X-Ray sampling as configured (Lambda active tracing, default rule): reservoir per second, then a rate. */
  xrayReservoirPerSecond: number;
  xrayRate: number;
  tracingEnabled: boolean;
  /** The delivery ledger (idempotency store): write request units for a new delivery and for a repeat. */
  ledgerWritesPerNewDelivery: number;
  ledgerWritesPerRepeat: number;
  /** Bytes of the API stage's access log line per request (0: no access log). */
  accessLogBytesPerRequest: number;
  /** How long the log groups keep what they ingest (days). */
  logRetentionDays: number;
}>;

export type CostLine = Readonly<{ service: string; item: string; quantity: number; unit: string; usd: number; basis: string }>;

const GiB = 1024 ** 3;

/** Messages per sync invocation: the first message opens the batching window, the rest arrive during it (capped at the batch size). */
export function messagesPerSyncInvocation(inputs: Pick<CostInputs, 'mix' | 'monthSeconds' | 'batchSize' | 'batchingWindowSeconds'>): number {
  const ratePerSecond = inputs.mix.signups / inputs.monthSeconds;
  return Math.min(inputs.batchSize, 1 + ratePerSecond * inputs.batchingWindowSeconds);
}

/** Traces the default sampling rule records from `invocations` spread evenly over `seconds`. */
export function sampledTraces(invocations: number, seconds: number, reservoirPerSecond: number, rate: number): number {
  const reserved = Math.min(invocations, reservoirPerSecond * seconds);
  return reserved + rate * (invocations - reserved);
}

const gbSeconds = (profile: FunctionProfile, invocations: number) => (profile.memoryMB / 1024) * (Math.ceil(profile.durationMs) / 1000) * invocations;

/** The month's cost of `mix.signups` signups, line by line (the idle polling of the month included). */
/** One priced line: quantity × unit price. */
function line(service: string, item: string, quantity: number, unit: string, price: Price, basis: string): CostLine {
  return { service, item, quantity, unit, usd: quantity * price.usd, basis };
}

export function costLines(inputs: CostInputs): CostLine[] {
  const { mix } = inputs;
  const requests = mix.signups; // one signup per request; duplicates are requests too
  const repeats = requests * mix.duplicateShare;
  const messages = requests - repeats;
  const perBatch = messagesPerSyncInvocation({ ...inputs, mix: { ...mix, signups: messages } });
  const deferred = messages * inputs.deferredShare;
  const syncInvocations = (messages + deferred) / perBatch;
  const idleReceives = inputs.idlePollers * (inputs.monthSeconds / inputs.longPollSeconds);
  const ingestLogBytes = requests * (inputs.ingest.logBytesPerInvocation + inputs.platformLogBytesPerInvocation);
  const syncLogBytes = syncInvocations * (inputs.sync.logBytesPerInvocation + inputs.platformLogBytesPerInvocation);
  const accessLogBytes = requests * inputs.accessLogBytesPerRequest;
  // Storage at the end of the month's retention window, uncompressed: an upper bound (CloudWatch stores gzip).
  const storedGb = ((ingestLogBytes + syncLogBytes + accessLogBytes) / GiB) * Math.min(1, inputs.logRetentionDays / 30);
  const secretCalls = inputs.environmentsPerFunction * inputs.monthSeconds * (1 / inputs.ingestSecretTtlSeconds + 1 / inputs.syncSecretTtlSeconds);
  const traces = inputs.tracingEnabled
    ? sampledTraces(requests, inputs.monthSeconds, inputs.xrayReservoirPerSecond, inputs.xrayRate) +
      sampledTraces(syncInvocations, inputs.monthSeconds, inputs.xrayReservoirPerSecond, inputs.xrayRate)
    : 0;
  return [
    line('API Gateway', 'HTTP API requests', requests, 'requests', PRICES.httpApiRequest, 'one signup per request, duplicates included'),
    line('Lambda', 'ingest requests', requests, 'requests', PRICES.lambdaRequest, 'one invocation per request'),
    line(
      'Lambda',
      'ingest duration',
      gbSeconds(inputs.ingest, requests),
      'GB-s',
      PRICES.lambdaArmGbSecond,
      `${inputs.ingest.memoryMB} MB × ${Math.ceil(inputs.ingest.durationMs)} ms per invocation`,
    ),
    line(
      'Lambda',
      'sync requests',
      syncInvocations,
      'requests',
      PRICES.lambdaRequest,
      `${perBatch.toFixed(2)} messages per invocation (window ${inputs.batchingWindowSeconds} s at ${(messages / inputs.monthSeconds).toFixed(3)} messages/s, batch ≤ ${inputs.batchSize})`,
    ),
    line(
      'Lambda',
      'sync duration',
      gbSeconds(inputs.sync, syncInvocations),
      'GB-s',
      PRICES.lambdaArmGbSecond,
      `${inputs.sync.memoryMB} MB × ${Math.ceil(inputs.sync.durationMs)} ms per invocation`,
    ),
    line(
      'SQS',
      'SendMessage (ingest)',
      messages,
      'requests',
      PRICES.sqsRequest,
      'one message per new delivery (repeats are answered from the ledger), < 64 kB',
    ),
    line('SQS', 'ReceiveMessage with messages (event source mapping)', syncInvocations, 'requests', PRICES.sqsRequest, 'one receive per batch'),
    line(
      'SQS',
      'ReceiveMessage, idle long polls over the month',
      idleReceives,
      'requests',
      PRICES.sqsRequest,
      `${inputs.idlePollers} pollers × one ${inputs.longPollSeconds} s long poll each (SQS's longest wait: the fewest requests; the idle table says why ${inputs.idlePollers})`,
    ),
    line('SQS', 'DeleteMessageBatch (event source mapping)', syncInvocations, 'requests', PRICES.sqsRequest, 'one batch delete per successful batch'),
    line(
      'SQS',
      'ChangeMessageVisibility (deferrals)',
      deferred,
      'requests',
      PRICES.sqsRequest,
      `${(inputs.deferredShare * 100).toFixed(1)} % of messages deferred once`,
    ),
    line(
      'DynamoDB',
      'delivery ledger writes (idempotency store)',
      messages * inputs.ledgerWritesPerNewDelivery + repeats * inputs.ledgerWritesPerRepeat,
      'WRU',
      PRICES.dynamoWriteRequestUnit,
      `${inputs.ledgerWritesPerNewDelivery} per new delivery (in-progress put, completed update), ${inputs.ledgerWritesPerRepeat} per repeat (the failed conditional put): write units measured per delivery (the ledger table below)`,
    ),
    line(
      'Secrets Manager',
      'GetSecretValue (cached)',
      secretCalls,
      'calls',
      PRICES.secretsApiCall,
      `${inputs.environmentsPerFunction} warm environment per function re-reading every ${inputs.ingestSecretTtlSeconds} s (ingest) / ${inputs.syncSecretTtlSeconds} s (sync)`,
    ),
    line(
      'CloudWatch Logs',
      'ingest log ingestion',
      ingestLogBytes / GiB,
      'GB',
      PRICES.logsIngestedGb,
      `${Math.round(inputs.ingest.logBytesPerInvocation)} B measured + ${inputs.platformLogBytesPerInvocation} B platform lines per invocation`,
    ),
    line(
      'CloudWatch Logs',
      'sync log ingestion',
      syncLogBytes / GiB,
      'GB',
      PRICES.logsIngestedGb,
      `${Math.round(inputs.sync.logBytesPerInvocation)} B measured + ${inputs.platformLogBytesPerInvocation} B platform lines per invocation`,
    ),
    line(
      'CloudWatch Logs',
      'API access log ingestion',
      accessLogBytes / GiB,
      'GB',
      PRICES.logsIngestedGb,
      `${inputs.accessLogBytesPerRequest} B per request (the stage's access log format, from the template)`,
    ),
    line(
      'CloudWatch Logs',
      'log storage',
      storedGb,
      'GB-months',
      PRICES.logsStoredGbMonth,
      `the month's lines kept ${inputs.logRetentionDays} days, counted uncompressed (an upper bound)`,
    ),
    line(
      'X-Ray',
      'traces recorded',
      traces,
      'traces',
      PRICES.xrayTraceRecorded,
      inputs.tracingEnabled
        ? `active tracing, default rule (${inputs.xrayReservoirPerSecond}/s then ${inputs.xrayRate * 100} %) on both functions`
        : 'tracing off',
    ),
  ];
}

export type Inventory = Readonly<{
  alarms: number;
  dashboards: number;
  /** Metrics the dashboards show (CloudWatch's free allowance: 3 dashboards of up to 50 metrics). */
  dashboardMetrics: number;
  secrets: number;
  kmsKeys: number;
  /** Custom metric-dimension pairs the alarms and dashboards read (the only ones the code emits). */
  customMetrics: number;
}>;

/**
 * What an idle deployment costs per month (no signups): alarms, dashboards, custom metrics (each kept
 * pair counted as a whole month: the ceiling, since the code emits them only when an alarm's condition
 * happens), secrets, KMS keys and the event source's idle polls. No log lines: an idle function writes none.
 */
export function idleMonthlyLines(inventory: Inventory, inputs: Pick<CostInputs, 'idlePollers' | 'longPollSeconds' | 'monthSeconds'>): CostLine[] {
  return [
    line('CloudWatch', 'alarms', inventory.alarms, 'alarm-months', PRICES.alarmMonth, 'from the synthesized template'),
    line(
      'CloudWatch',
      'dashboards',
      inventory.dashboards,
      'dashboard-months',
      PRICES.dashboardMonth,
      inventory.dashboards === 0 ? 'none: cdk.json `dashboard` is off' : `from the synthesized template (${inventory.dashboardMetrics} metrics)`,
    ),
    line(
      'CloudWatch',
      'custom metrics (EMF)',
      inventory.customMetrics,
      'metric-months',
      PRICES.customMetricMonth,
      'metric-dimension pairs the alarms read (from the template), each as a whole month: a ceiling, since each is emitted only when its alarm condition happens',
    ),
    line('Secrets Manager', 'secrets', inventory.secrets, 'secret-months', PRICES.secretMonth, 'from the synthesized template'),
    line(
      'KMS',
      'customer managed keys',
      inventory.kmsKeys,
      'key-months',
      PRICES.kmsKeyMonth,
      'from the synthesized template (rotation adds $1 per rotated version a year on)',
    ),
    line(
      'SQS',
      'idle long polls of the event source mapping',
      inputs.idlePollers * (inputs.monthSeconds / inputs.longPollSeconds),
      'requests',
      PRICES.sqsRequest,
      `${inputs.idlePollers} pollers × one ${inputs.longPollSeconds} s long poll each`,
    ),
    line(
      'CloudWatch Logs',
      'log ingestion and storage',
      0,
      'GB',
      PRICES.logsIngestedGb,
      'an idle function writes no line (Lambda platform lines kept from WARN only)',
    ),
  ];
}

/**
 * The same idle month after AWS's always-free allowances (FREE_ALLOWANCES), as if nothing else in the
 * account used them: the best case, not a promise.
 */
export function idleAfterFreeAllowances(inventory: Inventory, inputs: Pick<CostInputs, 'idlePollers' | 'longPollSeconds' | 'monthSeconds'>): number {
  const beyond = (count: number, free: number) => Math.max(0, count - free);
  const dashboardsFree = inventory.dashboardMetrics <= FREE_ALLOWANCES.dashboards.metricsEach * Math.max(1, inventory.dashboards);
  const polls = inputs.idlePollers * (inputs.monthSeconds / inputs.longPollSeconds);
  return (
    beyond(inventory.alarms, FREE_ALLOWANCES.alarms.count) * PRICES.alarmMonth.usd +
    (dashboardsFree ? beyond(inventory.dashboards, FREE_ALLOWANCES.dashboards.count) : inventory.dashboards) * PRICES.dashboardMonth.usd +
    beyond(inventory.customMetrics, FREE_ALLOWANCES.customMetrics.count) * PRICES.customMetricMonth.usd +
    inventory.secrets * PRICES.secretMonth.usd +
    inventory.kmsKeys * PRICES.kmsKeyMonth.usd +
    beyond(polls, FREE_ALLOWANCES.sqsRequests.count) * PRICES.sqsRequest.usd
  );
}

/**
 * Idle pollers of an SQS event source mapping: Lambda scales back to five concurrent batches when traffic
 * is low, and can go down to two, but not when the mapping sets a maximum concurrency (AWS Lambda developer
 * guide, "Configuring scaling behavior for SQS event source mappings", read 2026-12-06).
 */
export const idlePollersOf = (maxConcurrency: number | undefined) => (maxConcurrency === undefined ? 2 : 5);

export const totalUsd = (lines: readonly CostLine[]) => lines.reduce((sum, line) => sum + line.usd, 0);

/**
 * The same month with a per-event sync (one message per invocation, as a per-record consumer does), all
 * else equal (`syncPerMessage`: one invocation holding one message): what batching saves on AWS alone (it saves far more of the store's API quota; see the drain runs).
 */
export function perEventInputs(inputs: CostInputs, syncPerMessage: FunctionProfile): CostInputs {
  return { ...inputs, batchSize: 1, sync: syncPerMessage };
}

/** The connector's list price for the same signups (one task each). */
export const connectorUsd = (mix: Mix) => mix.signups * CONNECTOR.usdPerTask;

/** Cost of one invocation at a memory size (request + duration), the quantity cost × duration is built from. */
export function invocationCostUsd(memoryMB: number, durationMs: number): number {
  return PRICES.lambdaRequest.usd + (memoryMB / 1024) * (Math.ceil(durationMs) / 1000) * PRICES.lambdaArmGbSecond.usd;
}

/** The memory size minimising cost × duration of one invocation, among those that fit the measured peak RSS. */
export function bestMemory(points: readonly Readonly<{ memoryMB: number; durationMs: number; fits: boolean }>[]): number | undefined {
  let best: { memoryMB: number; score: number } | undefined;
  for (const point of points) {
    if (!point.fits) continue;
    const score = invocationCostUsd(point.memoryMB, point.durationMs) * point.durationMs;
    if (best === undefined || score < best.score) best = { memoryMB: point.memoryMB, score };
  }
  return best?.memoryMB;
}
