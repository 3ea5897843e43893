import { dimensionsOf, METRICS, type MetricName, type MetricsSink, type MetricUnitName } from '../../shared/observability/metric-names';

export type RecordedMetric = { name: MetricName; unit: MetricUnitName; value: number; dimensions: Record<string, string> };

/** A MetricsSink that remembers what it was given (the unit as the inventory gives it). */
export function metricsRecorder() {
  const recorded: RecordedMetric[] = [];
  const sink: MetricsSink = {
    add: (name, value, ...rest) => void recorded.push({ name, unit: METRICS[name].unit, value, dimensions: { ...dimensionsOf(rest) } }),
  };
  const sum = (name: MetricName, dimensions: Record<string, string> = {}) =>
    recorded
      .filter((m) => m.name === name && Object.entries(dimensions).every(([key, value]) => m.dimensions[key] === value))
      .reduce((total, m) => total + m.value, 0);
  return { sink, recorded, sum };
}
