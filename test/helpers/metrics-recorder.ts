import type { MetricName, MetricsSink, MetricUnitName } from '../../shared/observability/metric-names';

export type RecordedMetric = { name: MetricName; unit: MetricUnitName; value: number; dimensions: Record<string, string> };

/** A MetricsSink that remembers what it was given. */
export function metricsRecorder() {
  const recorded: RecordedMetric[] = [];
  const sink: MetricsSink = { add: (name, unit, value, dimensions = {}) => void recorded.push({ name, unit, value, dimensions: { ...dimensions } }) };
  const sum = (name: MetricName, dimensions: Record<string, string> = {}) =>
    recorded
      .filter((m) => m.name === name && Object.entries(dimensions).every(([key, value]) => m.dimensions[key] === value))
      .reduce((total, m) => total + m.value, 0);
  return { sink, recorded, sum };
}
