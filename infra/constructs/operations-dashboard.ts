import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { AlarmStatusWidget, Dashboard, GraphWidget, type IAlarm, LogQueryVisualizationType, LogQueryWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { Metric } from '../../shared/observability/metric-names';
import { inventoryMetric } from './operations-monitoring';

export type OperationsDashboardProps = Readonly<{
  alarms: readonly IAlarm[];
  queue: IQueue;
  deadLetterQueue: IQueue;
  api: IHttpApi;
  ingestFunction: IFunction;
  syncFunction: IFunction;
  ingestLogs: ILogGroup;
  syncLogs: ILogGroup;
}>;

/**
 * At most this many metrics on the dashboard: CloudWatch's free allowance is 3 dashboards of up to 50
 * metrics a month (test/infra/metric-inventory.test.ts counts them in the template).
 */
export const DASHBOARD_METRIC_BUDGET = 50;

const FIVE_MINUTES = Duration.minutes(5);

/**
 * The opt-in dashboard (cdk.json `dashboard`). What the functions count is read from their log lines with
 * Logs Insights widgets (no custom metric per figure: docs/operations.md), beside AWS's own metrics of the
 * queues, the functions and the API, and the three custom metrics the alarms read.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const ingest = [props.ingestLogs.logGroupName];
    const sync = [props.syncLogs.logGroupName];
    const query = (title: string, logGroupNames: string[], queryLines: string[], view = LogQueryVisualizationType.LINE, width = 8) =>
      new LogQueryWidget({ title, logGroupNames, queryLines, view, width, height: 6 });

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: [...props.alarms], width: 24, height: 3 }));
    this.dashboard.addWidgets(
      query('Signups accepted (ingest)', ingest, ['filter message = "signups accepted"', 'stats sum(accepted) as accepted by bin(5m)']),
      query(
        'Refused requests by status and source (ingest)',
        ingest,
        ['filter message = "request refused"', 'stats count(*) as refused by status, sourceId', 'sort refused desc'],
        LogQueryVisualizationType.TABLE,
      ),
      // Answered 2xx but not queued: repeats, unmappable signups (dead-lettered: the DLQ alarm covers them),
      // incomplete signups a source ignores and events that are not signups (counted, never alarmed on).
      query(
        'Repeated, unmappable and ignored (ingest)',
        ingest,
        [
          'filter message like /^delivery repeated/ or message in ["unmappable signups dead-lettered", "incomplete signups ignored", "event ignored"]',
          'stats count(*) as deliveries, sum(deadLettered) as unmappable, sum(ignored) as incomplete, sum(events) as events by message, sourceId',
        ],
        LogQueryVisualizationType.TABLE,
      ),
    );
    this.dashboard.addWidgets(
      query(
        'Outcomes (sync)',
        sync,
        ['filter message = "signup decision"', 'stats count(*) as signups by outcome', 'sort signups desc'],
        LogQueryVisualizationType.TABLE,
      ),
      query(
        'Dead letters and deferrals by reason (sync)',
        sync,
        ['filter message = "signup decision" and (outcome = "rejected" or outcome = "deferred")', 'stats count(*) as signups by outcome, reason'],
        LogQueryVisualizationType.TABLE,
      ),
      query('Receipt to customer, ms (sync)', sync, [
        'filter message = "signup decision" and ispresent(receiptToCustomerMs)',
        'stats pct(receiptToCustomerMs, 50) as p50, pct(receiptToCustomerMs, 99) as p99 by bin(5m)',
      ]),
    );
    this.dashboard.addWidgets(
      query('BigCommerce requests (sync)', sync, [
        'filter message = "batch synced"',
        'stats sum(bigCommerceRequests) as requests, sum(rateLimited) as answered429, sum(authFailures) as answered401or403 by bin(5m)',
      ]),
      query('Requests per customer (floor 0.1) and batch size (sync)', sync, [
        'filter message = "batch synced"',
        'stats sum(bigCommerceRequests) / sum(customers) as requestsPerCustomer, avg(records) as batchSize by bin(5m)',
      ]),
      new GraphWidget({
        title: 'Alarmed BigCommerce and ingest answers',
        left: [
          inventoryMetric(Metric.BigCommerceRateLimited, {}),
          inventoryMetric(Metric.BigCommerceAuthFailures, {}),
          inventoryMetric(Metric.QueueUnavailable, {}),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Queues',
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum', label: 'waiting' }),
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum', label: 'dead letters' }),
        ],
        right: [props.queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum', label: 'oldest (s)' })],
        width: 8,
      }),
      new GraphWidget({
        title: 'API answers',
        left: [
          props.api.metricCount({ period: FIVE_MINUTES, label: 'requests' }),
          props.api.metricClientError({ period: FIVE_MINUTES, label: '4xx' }),
          props.api.metricServerError({ period: FIVE_MINUTES, label: '5xx' }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Functions',
        left: [props.ingestFunction.metricErrors({ label: 'ingest errors' }), props.syncFunction.metricErrors({ label: 'sync errors' })],
        right: [
          props.ingestFunction.metricDuration({ statistic: 'p99', label: 'ingest p99 ms' }),
          props.syncFunction.metricDuration({ statistic: 'p99', label: 'sync p99 ms' }),
        ],
        width: 8,
      }),
    );
  }
}
