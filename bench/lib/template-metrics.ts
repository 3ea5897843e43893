import { METRICS_NAMESPACE, type MetricSeries } from '../../shared/observability/metric-names';

/**
 * What a synthesized template reads of CloudWatch metrics: the metric of each alarm (or each metric of its
 * math) and each metric of the dashboard's widgets, as `namespace/name{dimensions}` keys. Used by
 * test/infra/metric-inventory.test.ts (every pair the code can emit must be read) and by the bench
 * (bench/deployment.ts counts the custom metrics and the dashboard's metrics the same way).
 */

type Resource = { Type: string; Properties: Record<string, unknown> };
export type TemplateJson = { Resources: Record<string, Resource> };

type ReadMetric = Readonly<{ namespace: string; name: string; dimensions: Readonly<Record<string, string>>; by: string }>;

/** A stable key for one metric-dimension pair (token values, e.g. a queue name, are `<token>`). */
export const seriesKey = (series: Pick<MetricSeries, 'namespace' | 'dimensions'> & { name: string }) =>
  `${series.namespace}/${series.name}${JSON.stringify(Object.entries(series.dimensions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))}`;

const tokenText = (value: unknown): string => (typeof value === 'string' ? value : '<token>');

/** A Fn::Join of strings and tokens as one string, each token as `<token>`. */
export function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return '<token>';
  return join[1].map(tokenText).join(join[0]);
}

function alarmMetrics(id: string, properties: Record<string, unknown>): ReadMetric[] {
  const dims = (list: unknown) =>
    Object.fromEntries(((list as { Name: string; Value: unknown }[] | undefined) ?? []).map((dimension) => [dimension.Name, tokenText(dimension.Value)]));
  if (typeof properties['MetricName'] === 'string') {
    return [{ namespace: String(properties['Namespace']), name: properties['MetricName'], dimensions: dims(properties['Dimensions']), by: id }];
  }
  const queries = (properties['Metrics'] as { MetricStat?: { Metric: { Namespace: string; MetricName: string; Dimensions?: unknown } } }[] | undefined) ?? [];
  return queries.flatMap((query) =>
    query.MetricStat
      ? [
          {
            namespace: query.MetricStat.Metric.Namespace,
            name: query.MetricStat.Metric.MetricName,
            dimensions: dims(query.MetricStat.Metric.Dimensions),
            by: id,
          },
        ]
      : [],
  );
}

export type DashboardWidget = { type: string; properties: { title?: string; metrics?: unknown[][]; query?: string } };

/** The widgets of every dashboard of the template. */
export function dashboardWidgets(template: TemplateJson): DashboardWidget[] {
  return Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::CloudWatch::Dashboard')
    .flatMap((resource) => (JSON.parse(joined(resource.Properties['DashboardBody'])) as { widgets: DashboardWidget[] }).widgets);
}

/** A dashboard metric entry `[namespace, name, dim, value, ..., {options}]`; expressions (`[{expression}]`) are not metrics. */
function dashboardMetric(entry: unknown[], by: string): ReadMetric | undefined {
  const parts = entry.filter((part) => typeof part === 'string') as string[];
  if (parts.length < 2) return undefined;
  const [namespace, name, ...pairs] = parts;
  const dimensions: Record<string, string> = {};
  for (let index = 0; index + 1 < pairs.length; index += 2) dimensions[pairs[index]!] = pairs[index + 1]!;
  return { namespace: namespace!, name: name!, dimensions, by };
}

/** Every metric the template's alarms and dashboards read. */
export function metricsRead(template: TemplateJson): ReadMetric[] {
  const fromAlarms = Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm')
    .flatMap(([id, resource]) => alarmMetrics(String(resource.Properties['AlarmName'] ? joined(resource.Properties['AlarmName']) : id), resource.Properties));
  const fromDashboards = dashboardWidgets(template).flatMap((widget) =>
    (widget.properties.metrics ?? []).flatMap((entry) => dashboardMetric(entry, `dashboard: ${widget.properties.title ?? widget.type}`) ?? []),
  );
  return [...fromAlarms, ...fromDashboards];
}

/** The custom metric-dimension pairs (our namespace) the template reads: what CloudWatch bills as custom metrics. */
export function customSeriesRead(template: TemplateJson): ReadMetric[] {
  const seen = new Map<string, ReadMetric>();
  for (const metric of metricsRead(template)) if (metric.namespace === METRICS_NAMESPACE) seen.set(seriesKey(metric), metric);
  return [...seen.values()];
}

/** The pairs of `series` that no alarm and no dashboard of the template reads. */
export function unreadSeries(template: TemplateJson, series: readonly MetricSeries[]): string[] {
  const read = new Set(metricsRead(template).map(seriesKey));
  return series.map(seriesKey).filter((key) => !read.has(key));
}

/** How many metrics the template's dashboards show (CloudWatch's free allowance counts up to 50 per dashboard). */
export function dashboardMetricCount(template: TemplateJson): number {
  return dashboardWidgets(template).reduce(
    (count, widget) => count + (widget.properties.metrics ?? []).filter((entry) => dashboardMetric(entry, '') !== undefined).length,
    0,
  );
}
