import type { SourceOutcome } from '../ingest/ingest-signups';
import { Metric, type MetricsSink } from './metric-names';

/** The dimension of the per-source metrics (one CloudWatch metric per configured source and name). */
export const SOURCE_ID_DIMENSION = 'SourceId';

/**
 * The per-source metrics the source alarms watch (infra/constructs/source-alarms.ts): every authentic
 * delivery of a configured source (`SourceDeliveries`: answered 2xx, whether it held signups, a repeat or
 * only other events) and every request refused for its signature or token (`SourceAuthFailures`). The
 * ingest reports only configured sources (shared/ingest/ingest-source.ts), so a made-up id in a URL never
 * mints a metric: each one costs up to $0.30 a month (docs/configuration.md, "Alarms per source").
 */
export function sourceOutcomeMetrics(sink: MetricsSink<'ingest'>): (sourceId: string, outcome: SourceOutcome) => void {
  return (sourceId, outcome) => sink.add(outcome === 'delivered' ? Metric.SourceDeliveries : Metric.SourceAuthFailures, 1, { [SOURCE_ID_DIMENSION]: sourceId });
}
