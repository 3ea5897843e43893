import {
  bestMemory,
  type CostInputs,
  connectorUsd,
  costLines,
  idleAfterFreeAllowances,
  idleMonthlyLines,
  idlePollersOf,
  messagesPerSyncInvocation,
  PRICES,
  perEventInputs,
  STATED_MIX,
  sampledTraces,
  totalUsd,
} from '../../../bench/cost-model';

// A case small enough to compute by hand: 1 M signups over 1 M seconds (1 signup/s), a 4 s batching window.
const inputs: CostInputs = {
  mix: { signups: 1_000_000, duplicateShare: 0, consentShare: 0.1 },
  ingest: { memoryMB: 256, durationMs: 10.2, logBytesPerInvocation: 700 },
  sync: { memoryMB: 512, durationMs: 300, logBytesPerInvocation: 3772 },
  monthSeconds: 1_000_000,
  batchSize: 10,
  batchingWindowSeconds: 4,
  platformLogBytesPerInvocation: 324,
  idlePollers: 5,
  longPollSeconds: 20,
  deferredShare: 0,
  ingestSecretTtlSeconds: 250,
  syncSecretTtlSeconds: 500,
  environmentsPerFunction: 1,
  xrayReservoirPerSecond: 0.5,
  xrayRate: 0.05,
  tracingEnabled: true,
  ledgerWritesPerNewDelivery: 1,
  ledgerWritesPerRepeat: 1,
  accessLogBytesPerRequest: 200,
  logRetentionDays: 15,
};

const byItem = (lines: ReturnType<typeof costLines>) => Object.fromEntries(lines.map((line) => [line.item, line]));

describe('cost model', () => {
  it('prices a hand-computed month line by line', () => {
    const lines = byItem(costLines(inputs));
    // 1 signup/s × 4 s window + the first message = 5 per batch -> 200,000 sync invocations.
    expect(lines['sync requests']!.quantity).toBeCloseTo(200_000, 6);
    expect(lines['HTTP API requests']!.usd).toBeCloseTo(1.0, 10);
    expect(lines['ingest requests']!.usd + lines['sync requests']!.usd).toBeCloseTo(0.24, 10);
    // 0.25 GB × 0.011 s (10.2 ms billed as 11 ms) × 1 M = 2,750 GB-s; 0.5 GB × 0.3 s × 200,000 = 30,000 GB-s.
    expect(lines['ingest duration']!.quantity).toBeCloseTo(2750, 6);
    expect(lines['ingest duration']!.usd).toBeCloseTo(0.03666685, 10);
    expect(lines['sync duration']!.usd).toBeCloseTo(0.400002, 10);
    // 1 M sends + 200,000 receives + 250,000 idle polls (5 × 1 M s / 20 s) + 200,000 deletes = 1.65 M requests.
    const sqs = costLines(inputs).filter((line) => line.service === 'SQS');
    expect(sqs.reduce((sum, line) => sum + line.quantity, 0)).toBeCloseTo(1_650_000, 6);
    expect(totalUsd(sqs)).toBeCloseTo(0.66, 10);
    expect(lines['delivery ledger writes (idempotency store)']!.usd).toBeCloseTo(0.625, 10);
    // 1 M s / 250 s + 1 M s / 500 s = 6,000 calls at $0.05 per 10,000.
    expect(lines['GetSecretValue (cached)']!.usd).toBeCloseTo(0.03, 10);
    // 1 M × 1,024 B = 0.95367431640625 GiB; 200,000 × 4,096 B = 0.762939453125 GiB; $0.50 per GB.
    expect(lines['ingest log ingestion']!.usd).toBeCloseTo(0.476837158203125, 10);
    expect(lines['sync log ingestion']!.usd).toBeCloseTo(0.3814697265625, 10);
    // Reservoir 0.5/s × 1 M s = 500,000, then 5 % of the other 500,000 ingest traces; all 200,000 sync traces fit the reservoir.
    expect(lines['traces recorded']!.quantity).toBeCloseTo(725_000, 6);
    expect(lines['traces recorded']!.usd).toBeCloseTo(3.625, 10);
    // 1 M × 200 B access log lines = 0.186264514923 GiB; half a month of the month's 2,043,200,000 B of lines
    // stored (15-day retention) = 0.951439142227 GB-months at $0.03.
    expect(lines['API access log ingestion']!.usd).toBeCloseTo(0.093132257461, 10);
    expect(lines['log storage']!.quantity).toBeCloseTo(0.951439142227, 10);
    expect(lines['log storage']!.usd).toBeCloseTo(0.028543174267, 10);
    expect(totalUsd(costLines(inputs))).toBeCloseTo(7.596651166728, 8);
  });

  it('prices no traces when tracing is off, and one sync invocation per message per event', () => {
    expect(byItem(costLines({ ...inputs, tracingEnabled: false }))['traces recorded']!.usd).toBe(0);
    const perEvent = byItem(costLines(perEventInputs(inputs, { memoryMB: 512, durationMs: 300, logBytesPerInvocation: 1000 })));
    expect(perEvent['sync requests']!.quantity).toBe(1_000_000);
    expect(perEvent['sync duration']!.usd).toBeCloseTo(0.5 * 0.3 * 1_000_000 * PRICES.lambdaArmGbSecond.usd, 10);
  });

  it('keeps repeated deliveries off the queue but pays their request, invocation and ledger write', () => {
    // 20 % of 1 M requests repeat a delivery: 800,000 messages; ledger 800,000 × 2 + 200,000 × 1 WRU.
    const lines = byItem(costLines({ ...inputs, mix: { ...inputs.mix, duplicateShare: 0.2 }, ledgerWritesPerNewDelivery: 2 }));
    expect(lines['HTTP API requests']!.quantity).toBe(1_000_000);
    expect(lines['ingest requests']!.quantity).toBe(1_000_000);
    expect(lines['SendMessage (ingest)']!.quantity).toBeCloseTo(800_000, 6);
    // 0.8 messages/s × 4 s + 1 = 4.2 per batch
    expect(lines['sync requests']!.quantity).toBeCloseTo(800_000 / 4.2, 6);
    expect(lines['delivery ledger writes (idempotency store)']!.quantity).toBeCloseTo(1_800_000, 6);
    expect(lines['delivery ledger writes (idempotency store)']!.usd).toBeCloseTo(1.125, 10);
  });

  it('counts a deferral as one visibility change and one more sync delivery', () => {
    const lines = byItem(costLines({ ...inputs, deferredShare: 0.01 }));
    expect(lines['ChangeMessageVisibility (deferrals)']!.quantity).toBeCloseTo(10_000, 6);
    expect(lines['sync requests']!.quantity).toBeCloseTo(202_000, 6);
  });

  it('prices an idle month from the inventory, and what is left after the always-free allowances', () => {
    const month = { idlePollers: 5, longPollSeconds: 20, monthSeconds: 2_592_000 };
    const idle = idleMonthlyLines({ alarms: 6, dashboards: 1, dashboardMetrics: 13, secrets: 3, kmsKeys: 1, customMetrics: 20 }, month);
    // 0.60 + 3.00 + 6.00 + 1.20 + 1.00 + 648,000 polls × $0.40 per million (0.2592); no log line at idle
    expect(totalUsd(idle)).toBeCloseTo(12.0592, 10);
    // Free: 10 alarms, 3 dashboards of ≤ 50 metrics, 10 custom metrics, 1 M SQS requests: 10 metrics × 0.30 + 1.20 + 1.00 left.
    expect(idleAfterFreeAllowances({ alarms: 6, dashboards: 1, dashboardMetrics: 13, secrets: 3, kmsKeys: 1, customMetrics: 20 }, month)).toBeCloseTo(5.2, 10);
    // A dashboard over 50 metrics is not covered.
    expect(idleAfterFreeAllowances({ alarms: 0, dashboards: 1, dashboardMetrics: 51, secrets: 0, kmsKeys: 0, customMetrics: 0 }, month)).toBeCloseTo(3, 10);
  });

  it('counts five idle pollers with a maximum concurrency on the event source, two without', () => {
    expect(idlePollersOf(2)).toBe(5);
    expect(idlePollersOf(undefined)).toBe(2);
  });

  it("batches by the window at a month's even rate, capped at the batch size", () => {
    expect(messagesPerSyncInvocation({ mix: STATED_MIX, monthSeconds: 2_592_000, batchSize: 10, batchingWindowSeconds: 5 })).toBeCloseTo(
      1 + (5 * 1_000_000) / 2_592_000,
      10,
    );
    expect(messagesPerSyncInvocation({ mix: STATED_MIX, monthSeconds: 100_000, batchSize: 10, batchingWindowSeconds: 5 })).toBe(10);
    expect(sampledTraces(100, 1000, 1, 0.05)).toBe(100);
  });

  it('picks the memory size with the least cost × duration among those that fit', () => {
    const points = [
      { memoryMB: 128, durationMs: 100, fits: true }, // (0.2 µ$ + 0.125 GB × 0.1 s × 13.3334 µ$) × 100 ms = 36.7 µ$·ms
      { memoryMB: 256, durationMs: 50, fits: true }, // 18.3 µ$·ms
      { memoryMB: 512, durationMs: 26, fits: true }, // 9.7 µ$·ms
    ];
    expect(bestMemory(points)).toBe(512);
    expect(bestMemory(points.map((point) => (point.memoryMB === 512 ? { ...point, fits: false } : point)))).toBe(256);
  });

  it('prices the connector per task', () => {
    expect(connectorUsd(STATED_MIX)).toBeCloseTo(17_800, 6);
  });
});
