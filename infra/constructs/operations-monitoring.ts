import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  Metric as CloudWatchMetric,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  MathExpression,
  SingleValueWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, Metric, type MetricName, SERVICE } from '../../shared/observability/metric-names';

export type OperationsMonitoringProps = Readonly<{
  queue: IQueue;
  deadLetterQueue: IQueue;
  ingestFunction: IFunction;
  syncFunction: IFunction;
  /** Optional address that receives every alarm (it must confirm the SNS subscription). */
  alarmEmail?: string;
  /** Alarm when the oldest waiting signup is older than this. */
  maxSignupAge: Duration;
  /** 429s per 5 minutes that, three periods running, mean the store's quota is too small for the load. */
  rateLimitedPerFiveMinutes: number;
  /**
   * The stack's customer-managed key (`encryption: customer-managed`): it encrypts the topic, and its policy
   * lets these alarms use it. Without it the topic is not encrypted: it carries alarm names, states and
   * reasons only, no personal data, and CloudWatch cannot publish to a topic under the AWS-managed SNS key.
   */
  encryptionKey?: IKey;
}>;

const FIVE_MINUTES = Duration.minutes(5);

/** Alarms to one SNS topic, and a dashboard of the metrics that tell whether signups become customers. */
export class OperationsMonitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Readonly<Record<'deadLetters' | 'oldestSignup' | 'syncErrors' | 'authFailures' | 'rateLimited' | 'queueUnavailable', Alarm>>;
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsMonitoringProps) {
    super(scope, id);
    const key = props.encryptionKey;
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'signup-sync alarms', enforceSSL: true, ...(key ? { masterKey: key } : {}) });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    // Alarms get names derived from the stack's, so their ARNs are known before they exist: the topic and key
    // policies below can name exactly these alarms (a Ref to each alarm would make the key depend on them,
    // and the alarms already depend on the key through the topic).
    const stack = Stack.of(this);
    const alarmNames: string[] = [];
    const alarmArn = (name: string) =>
      stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    const custom = (name: MetricName, service: string, statistic = 'Sum') =>
      new CloudWatchMetric({ namespace: METRICS_NAMESPACE, metricName: name, dimensionsMap: { service }, statistic, period: FIVE_MINUTES });

    const alarm = (
      alarmId: string,
      description: string,
      metric: IMetric,
      threshold: number,
      evaluationPeriods: number,
      operator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) => {
      const alarmName = `${stack.stackName}-${alarmId}`;
      alarmNames.push(alarmName);
      const created = new Alarm(this, alarmId, {
        alarmName,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: operator,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      created.addOkAction(new SnsAction(this.topic));
      return created;
    };

    this.alarms = {
      deadLetters: alarm(
        'DeadLetterAlarm',
        'Signups are in the dead-letter queue. `npx signup-sync dlq list` shows why; fix the cause, then `npx signup-sync dlq redrive`.',
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        0,
        1,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      ),
      oldestSignup: alarm(
        'OldestSignupAlarm',
        `A signup has waited more than ${props.maxSignupAge.toMinutes()} minutes: the sync is failing, deferring (quota, token) or too slow for the load.`,
        props.queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum' }),
        props.maxSignupAge.toSeconds(),
        1,
        ComparisonOperator.GREATER_THAN_THRESHOLD,
      ),
      syncErrors: alarm(
        'SyncErrorsAlarm',
        'The sync function failed (the whole batch was retried). Check its logs for "sync failed".',
        props.syncFunction.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' }),
        1,
        1,
      ),
      authFailures: alarm(
        'AuthFailuresAlarm',
        'BigCommerce has refused the API token for 15 minutes: signups are deferred, not lost. Put a valid token in the token secret.',
        custom(Metric.BigCommerceAuthFailures, SERVICE.sync),
        1,
        3,
      ),
      rateLimited: alarm(
        'RateLimitedAlarm',
        "BigCommerce has answered 429 for 15 minutes: the store's quota (shared by every app) is spent. Signups wait in the queue; lower other apps' usage or the sync's maxConcurrency.",
        custom(Metric.BigCommerceRateLimited, SERVICE.sync),
        props.rateLimitedPerFiveMinutes,
        3,
      ),
      queueUnavailable: alarm(
        'QueueUnavailableAlarm',
        'The ingest answered 503 because SQS did not accept signups; senders retry, but check the SQS service health.',
        custom(Metric.QueueUnavailable, SERVICE.ingest),
        1,
        1,
      ),
    };

    // A topic policy replaces SNS's default one, and enforceSSL wrote a policy holding only the TLS Deny: without
    // this Allow every alarm action fails ("no resource-based policy allows the SNS:Publish action"), visible
    // only in each alarm's history. An encrypted topic also needs CloudWatch to use the key. Both grants are
    // limited to this account's alarms of this stack (confused-deputy conditions).
    const fromTheseAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': alarmNames.map(alarmArn) },
    };
    const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisStacksAlarmsToPublish',
        effect: Effect.ALLOW,
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: fromTheseAlarms,
      }),
    );
    key?.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisStacksAlarmsToUseTheTopicKey',
        effect: Effect.ALLOW,
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: fromTheseAlarms,
      }),
    );

    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    const p99 = (name: MetricName) => custom(name, SERVICE.sync, 'p99');
    this.dashboard.addWidgets(new AlarmStatusWidget({ title: 'Alarms', alarms: Object.values(this.alarms) as IAlarm[], width: 24, height: 3 }));
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Signups in (ingest)',
        left: [
          new MathExpression({
            label: 'accepted',
            expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,Source} MetricName="${Metric.SignupsAccepted}"', 'Sum', 300))`,
            period: FIVE_MINUTES,
          }),
          new MathExpression({
            label: 'refused',
            expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,Source,Reason} MetricName="${Metric.SignupsRefused}"', 'Sum', 300))`,
            period: FIVE_MINUTES,
          }),
          // Answered 2xx but dead-lettered as `unmappable`; the DLQ alarm already fires on them (docs/operations.md).
          new MathExpression({
            label: 'unmappable',
            expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,Source} MetricName="${Metric.SignupsUnmappable}"', 'Sum', 300))`,
            period: FIVE_MINUTES,
          }),
          // Answered 2xx and kept nowhere, by the source's choice (incomplete: "ignore") or because the
          // event is not a signup (a HubSpot Webhooks API batch): counted here, never alarmed on.
          new MathExpression({
            label: 'incomplete (ignored)',
            expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,Source} MetricName="${Metric.SignupsIncomplete}"', 'Sum', 300))`,
            period: FIVE_MINUTES,
          }),
          new MathExpression({
            label: 'events ignored',
            expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,Source} MetricName="${Metric.EventsIgnored}"', 'Sum', 300))`,
            period: FIVE_MINUTES,
          }),
          custom(Metric.QueueUnavailable, SERVICE.ingest),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'Outcomes (sync)',
        left: [custom(Metric.CustomersCreated, SERVICE.sync), custom(Metric.CustomersExisted, SERVICE.sync), custom(Metric.CustomersUpdated, SERVICE.sync)],
        right: [
          new MathExpression({
            label: 'dead-lettered',
            expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,Reason} MetricName="${Metric.SignupsDeadLettered}"', 'Sum', 300))`,
            period: FIVE_MINUTES,
          }),
          new MathExpression({
            label: 'deferred',
            expression: `SUM(SEARCH('{${METRICS_NAMESPACE},service,Reason} MetricName="${Metric.SignupsDeferred}"', 'Sum', 300))`,
            period: FIVE_MINUTES,
          }),
        ],
        width: 8,
      }),
      new GraphWidget({
        title: 'BigCommerce requests',
        left: [
          new MathExpression({
            label: 'by method and status',
            expression: `SEARCH('{${METRICS_NAMESPACE},service,Method,Status} MetricName="${Metric.BigCommerceRequests}"', 'Sum', 300)`,
            period: FIVE_MINUTES,
          }),
        ],
        right: [
          custom(Metric.BigCommerceRateLimited, SERVICE.sync),
          custom(Metric.BigCommerceAuthFailures, SERVICE.sync),
          custom(Metric.TokenRefreshes, SERVICE.sync),
        ],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new SingleValueWidget({ title: 'Requests per customer (floor 0.1)', metrics: [custom(Metric.RequestsPerCustomer, SERVICE.sync, 'Average')], width: 6 }),
      new GraphWidget({ title: 'Batch size', left: [custom(Metric.BatchSize, SERVICE.sync, 'Average')], width: 6 }),
      new GraphWidget({
        title: 'Receipt to customer (ms)',
        left: [custom(Metric.ReceiptToCustomer, SERVICE.sync, 'p50'), p99(Metric.ReceiptToCustomer)],
        width: 6,
      }),
      new GraphWidget({
        title: 'Queues',
        left: [
          props.queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum', label: 'waiting' }),
          props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: 'Maximum', label: 'dead letters' }),
        ],
        right: [props.queue.metricApproximateAgeOfOldestMessage({ period: FIVE_MINUTES, statistic: 'Maximum', label: 'oldest (s)' })],
        width: 6,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Functions',
        left: [props.ingestFunction.metricErrors({ label: 'ingest errors' }), props.syncFunction.metricErrors({ label: 'sync errors' })],
        right: [
          props.ingestFunction.metricDuration({ statistic: 'p99', label: 'ingest p99 ms' }),
          props.syncFunction.metricDuration({ statistic: 'p99', label: 'sync p99 ms' }),
        ],
        width: 24,
      }),
    );
  }
}
