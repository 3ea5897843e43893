import type { Logger } from '../logger';

/**
 * The metric inventory: every CloudWatch metric the functions can emit (embedded metric format), with its
 * dimensions and what uses it. Each metric-dimension pair is billed as a custom metric a month
 * (docs/benchmarks.md), so a pair is a metric only when an alarm (or the opt-in dashboard) reads it;
 * everything else the functions count is a field of their JSON log lines, queried with CloudWatch Logs
 * Insights (docs/operations.md, "Logs, metrics and traces"). The emitters are typed against this inventory
 * (MetricsSink below), the alarms are built from it (infra/constructs/operations-monitoring.ts), and
 * test/infra/metric-inventory.test.ts fails when a pair it lists is read by no alarm or dashboard.
 */
export const METRICS_NAMESPACE = 'SignupSync';

/** Powertools Metrics adds the service as the `service` dimension of every metric (its default dimension). */
export const SERVICE = { ingest: 'signup-ingest', sync: 'signup-sync' } as const;
export type FunctionKind = keyof typeof SERVICE;

export type MetricUnitName = 'Count' | 'Milliseconds' | 'None';

/** The values a dimension can take: a closed list, or the id of each configured source (one pair per source). */
export type DimensionValues = readonly string[] | 'configured-source-ids';

export type MetricSpec = Readonly<{
  /** The function that emits it; its `service` dimension is SERVICE[function]. */
  function: FunctionKind;
  unit: MetricUnitName;
  /** Dimensions besides `service`, each with the values the code can give it. */
  dimensions: Readonly<Record<string, DimensionValues>>;
  /** The alarm id (OperationsMonitoring) that reads it, or 'dashboard'. */
  usedBy: string;
}>;

export const METRICS = {
  /** The ingest answered 503: SQS did not take the signups (or the sources secret or the delivery ledger was not usable right now). */
  QueueUnavailable: { function: 'ingest', unit: 'Count', dimensions: {}, usedBy: 'QueueUnavailableAlarm' },
  /** An authentic delivery of a configured source answered 2xx (signups, a repeat, only other events): its silence alarm. */
  SourceDeliveries: { function: 'ingest', unit: 'Count', dimensions: { SourceId: 'configured-source-ids' }, usedBy: 'SourceSilent-<source id>' },
  /** A configured source's request refused 401 for its signature or token: its signature-failure alarm. */
  SourceAuthFailures: {
    function: 'ingest',
    unit: 'Count',
    dimensions: { SourceId: 'configured-source-ids' },
    usedBy: 'SourceSignatureFailures-<source id>',
  },
  /** BigCommerce answered 429 (the count of one invocation). */
  BigCommerceRateLimited: { function: 'sync', unit: 'Count', dimensions: {}, usedBy: 'RateLimitedAlarm' },
  /** BigCommerce answered 401 or 403 (the count of one invocation). */
  BigCommerceAuthFailures: { function: 'sync', unit: 'Count', dimensions: {}, usedBy: 'AuthFailuresAlarm' },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;

/** The metric names as constants (`Metric.QueueUnavailable`). */
export const Metric = Object.fromEntries(Object.keys(METRICS).map((name) => [name, name])) as { readonly [N in MetricName]: N };

/** The metrics one function may emit. */
export type MetricOf<F extends FunctionKind> = { [N in MetricName]: (typeof METRICS)[N]['function'] extends F ? N : never }[MetricName];

/** The dimensions (besides `service`) an emitter must give a metric: exactly those of the inventory. */
export type DimensionsOf<N extends MetricName> = { readonly [D in keyof (typeof METRICS)[N]['dimensions']]: string };
type DimensionsArgument<N extends MetricName> = keyof DimensionsOf<N> extends never ? [] : [dimensions: DimensionsOf<N>];

/**
 * Where one function's metrics go: Powertools Metrics in Lambda, a recorder in tests, debug log lines in
 * local mode. Only the inventory's metrics of that function, with exactly their dimensions, type-check;
 * the unit comes from the inventory.
 */
export interface MetricsSink<F extends FunctionKind = FunctionKind> {
  add<N extends MetricOf<F>>(name: N, value: number, ...dimensions: DimensionsArgument<N>): void;
}

/** One metric-dimension pair (a CloudWatch custom metric), `service` included. */
export type MetricSeries = Readonly<{ namespace: string; name: MetricName; dimensions: Readonly<Record<string, string>> }>;

/** Every metric-dimension pair the code can emit, for the configured source ids (`inventory`: tests). */
export function metricSeries(sourceIds: readonly string[], inventory: Readonly<Record<string, MetricSpec>> = METRICS): MetricSeries[] {
  return (Object.entries(inventory) as [MetricName, MetricSpec][]).flatMap(([name, spec]) => {
    let combinations: Record<string, string>[] = [{ service: SERVICE[spec.function] }];
    for (const [dimension, domain] of Object.entries(spec.dimensions)) {
      const values = domain === 'configured-source-ids' ? sourceIds : domain;
      combinations = combinations.flatMap((combination) => values.map((value) => ({ ...combination, [dimension]: value })));
    }
    return combinations.map((dimensions) => ({ namespace: METRICS_NAMESPACE, name, dimensions }));
  });
}

/** A sink that drops everything (benches, tests that do not look at metrics). */
export const noMetrics: MetricsSink = { add: () => undefined };

/** The dimensions argument of a sink call as a plain record (for sinks that do not care about the name). */
export const dimensionsOf = (rest: readonly unknown[]): Readonly<Record<string, string>> => (rest[0] as Record<string, string> | undefined) ?? {};

/** Each metric as a debug line (local mode: the Lambda's metric names, quiet unless LOG_LEVEL=debug). */
export function loggedMetrics(logger: Logger): MetricsSink {
  return {
    add: (name, value, ...rest) => {
      const dimensions = dimensionsOf(rest);
      logger.debug('metric', { metric: name, unit: METRICS[name].unit, value, ...(Object.keys(dimensions).length > 0 ? { dimensions } : {}) });
    },
  };
}
