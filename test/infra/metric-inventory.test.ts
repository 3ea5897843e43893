import { customSeriesRead, dashboardMetricCount, dashboardWidgets, seriesKey, type TemplateJson, unreadSeries } from '../../bench/lib/template-metrics';
import { DASHBOARD_METRIC_BUDGET } from '../../infra/constructs/operations-dashboard';
import { METRICS, METRICS_NAMESPACE, type MetricSpec, metricSeries, SERVICE } from '../../shared/observability/metric-names';
import { synthStack } from '../helpers/synth';

/**
 * Each metric-dimension pair the functions can emit is a billed custom metric, so each must be read by an
 * alarm or the dashboard. What the code can emit is the inventory (shared/observability/metric-names.ts):
 * the emitters are typed against it and test/unit/observability/metric-inventory.test.ts checks the EMF
 * documents they really write against it; here, the synthesized template must read every pair of it.
 */

const SOURCES = [
  { id: 'shop-news', kind: 'shopify', routeToken: 'shoproutetoken0123456' },
  {
    id: 'contact-form',
    kind: 'html-form',
    allowedOrigins: ['https://shop.example.com'],
    thankYouUrl: 'https://shop.example.com/thanks',
    errorUrl: 'https://shop.example.com/oops',
    captcha: false,
    captchaReason: 'a test form: the metrics of the template are under test',
  },
];

const configurations: [string, Record<string, unknown>, readonly string[]][] = [
  ['cdk.json as shipped (no sources, no dashboard)', {}, []],
  ['two sources and the dashboard', { sources: SOURCES, dashboard: true }, SOURCES.map((source) => source.id)],
  ['tracing on', { tracing: true }, []],
];

const templates = new Map<string, TemplateJson>();
/** One synth per configuration (each takes seconds). */
function templateOf(overrides: Record<string, unknown>): TemplateJson {
  const key = JSON.stringify(overrides);
  if (!templates.has(key)) templates.set(key, synthStack(overrides).template.toJSON() as TemplateJson);
  return templates.get(key)!;
}

describe('metric inventory against the template', () => {
  it.each(configurations)('every pair the code can emit is read by an alarm or the dashboard: %s', (_name, overrides, sourceIds) => {
    const template = templateOf(overrides);
    expect(unreadSeries(template, metricSeries(sourceIds))).toEqual([]);
  });

  it.each(configurations)('every custom metric the template reads is a pair of the inventory: %s', (_name, overrides, sourceIds) => {
    const inventory = new Set(metricSeries(sourceIds).map(seriesKey));
    const read = customSeriesRead(templateOf(overrides));
    expect(read.filter((metric) => !inventory.has(seriesKey(metric))).map((metric) => `${seriesKey(metric)} (${metric.by})`)).toEqual([]);
    expect(read.length).toBe(inventory.size);
  });

  it('names, for each metric, the alarm that reads it', () => {
    const template = templateOf({});
    const readBy = new Map(customSeriesRead(template).map((metric) => [seriesKey(metric), metric.by]));
    for (const series of metricSeries([])) {
      const spec: MetricSpec = METRICS[series.name];
      expect(readBy.get(seriesKey(series))).toMatch(new RegExp(`-${spec.usedBy}$`));
    }
  });

  it('would fail for a pair nothing reads: a metric added to the inventory without an alarm, or a dimension added to one', () => {
    const template = templateOf({});
    const unread = unreadSeries(template, [
      ...metricSeries([]),
      { namespace: METRICS_NAMESPACE, name: 'QueueUnavailable', dimensions: { service: SERVICE.ingest, Source: 'api' } },
      { namespace: METRICS_NAMESPACE, name: 'SignupsAccepted' as 'QueueUnavailable', dimensions: { service: SERVICE.ingest } },
    ]);
    expect(unread).toEqual([
      `${METRICS_NAMESPACE}/QueueUnavailable[["Source","api"],["service","${SERVICE.ingest}"]]`,
      `${METRICS_NAMESPACE}/SignupsAccepted[["service","${SERVICE.ingest}"]]`,
    ]);
  });
});

describe('dashboard', () => {
  it('is not created by default (cdk.json `dashboard`), nor its output', () => {
    const { template } = synthStack({});
    expect(Object.keys(template.findResources('AWS::CloudWatch::Dashboard'))).toHaveLength(0);
    expect(Object.keys(template.findOutputs('DashboardName'))).toHaveLength(0);
  });

  it('when asked for, stays within the free allowance: at most 50 metrics, no SEARCH expression (it could match any number)', () => {
    const template = templateOf({ dashboard: true, sources: SOURCES });
    const count = dashboardMetricCount(template);
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThanOrEqual(DASHBOARD_METRIC_BUDGET);
    expect(JSON.stringify(dashboardWidgets(template))).not.toMatch(/SEARCH\(/);
  });

  it('when asked for, reads the figures the metrics used to carry from both functions’ log lines', () => {
    const { template } = synthStack({ dashboard: true });
    const widgets = dashboardWidgets(template.toJSON() as TemplateJson);
    const queries = widgets.filter((widget) => widget.type === 'log').map((widget) => widget.properties.query ?? '');
    for (const message of [
      'signups accepted',
      'request refused',
      'unmappable signups dead-lettered',
      'incomplete signups ignored',
      'event ignored',
      'signup decision',
      'batch synced',
    ])
      expect(queries.some((query) => query.includes(`"${message}"`))).toBe(true);
    for (const field of ['receiptToCustomerMs', 'bigCommerceRequests', 'requestsPerCustomer', 'rateLimited', 'sourceId'])
      expect(queries.join('\n')).toContain(field);
    expect(widgets.find((widget) => widget.type === 'alarm')).toBeDefined();
    expect(Object.keys(template.findOutputs('DashboardName'))).toHaveLength(1);
  });
});
