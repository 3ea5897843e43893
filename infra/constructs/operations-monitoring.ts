import { ArnFormat, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Alarm, type AlarmProps, Metric as CloudWatchMetric, ComparisonOperator, type IMetric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type DimensionsOf, METRICS, METRICS_NAMESPACE, Metric, type MetricName, SERVICE } from '../../shared/observability/metric-names';

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

/**
 * One pair of the metric inventory (shared/observability/metric-names.ts) as a CloudWatch metric: its
 * namespace, name, `service` and the given dimensions, so an alarm reads exactly what the code emits.
 */
export function inventoryMetric<N extends MetricName>(name: N, dimensions: DimensionsOf<N>, statistic = 'Sum', period = FIVE_MINUTES): CloudWatchMetric {
  return new CloudWatchMetric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE[METRICS[name].function], ...dimensions },
    statistic,
    period,
  });
}

/** Alarms to one SNS topic (the opt-in dashboard is operations-dashboard.ts). */
export class OperationsMonitoring extends Construct {
  readonly topic: Topic;
  readonly alarms: Readonly<Record<'deadLetters' | 'oldestSignup' | 'syncErrors' | 'authFailures' | 'rateLimited' | 'queueUnavailable', Alarm>>;
  /** Every alarm's name, for the topic's and the key's policies (resolved at synth: alarms added later count too). */
  private readonly alarmNames: string[] = [];

  constructor(scope: Construct, id: string, props: OperationsMonitoringProps) {
    super(scope, id);
    const key = props.encryptionKey;
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'signup-sync alarms', enforceSSL: true, ...(key ? { masterKey: key } : {}) });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    // Alarms get names derived from the stack's, so their ARNs are known before they exist: the topic and key
    // policies below can name exactly these alarms (a Ref to each alarm would make the key depend on them,
    // and the alarms already depend on the key through the topic).
    const stack = Stack.of(this);
    const alarmArn = (name: string) =>
      stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });

    const alarm = (
      alarmId: string,
      description: string,
      metric: IMetric,
      threshold: number,
      evaluationPeriods: number,
      operator = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    ) =>
      this.addAlarm(alarmId, {
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods,
        comparisonOperator: operator,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

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
        inventoryMetric(Metric.BigCommerceAuthFailures, {}),
        1,
        3,
      ),
      rateLimited: alarm(
        'RateLimitedAlarm',
        "BigCommerce has answered 429 for 15 minutes: the store's quota (shared by every app) is spent. Signups wait in the queue; lower other apps' usage or the sync's maxConcurrency.",
        inventoryMetric(Metric.BigCommerceRateLimited, {}),
        props.rateLimitedPerFiveMinutes,
        3,
      ),
      queueUnavailable: alarm(
        'QueueUnavailableAlarm',
        'The ingest answered 503 because SQS did not accept signups; senders retry, but check the SQS service health.',
        inventoryMetric(Metric.QueueUnavailable, {}),
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
      ArnLike: { 'aws:SourceArn': Lazy.list({ produce: () => this.alarmNames.map(alarmArn) }) },
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
  }

  /**
   * An alarm of this stack: named `<stack>-<alarmId>`, so the topic's and key's policies can name it before it
   * exists, notifying the topic when it fires and when it is OK again. Other constructs add theirs here
   * (infra/constructs/source-alarms.ts).
   */
  addAlarm(alarmId: string, props: Omit<AlarmProps, 'alarmName'>): Alarm {
    const alarmName = `${Stack.of(this).stackName}-${alarmId}`;
    this.alarmNames.push(alarmName);
    const created = new Alarm(this, alarmId, { ...props, alarmName });
    created.addAlarmAction(new SnsAction(this.topic));
    created.addOkAction(new SnsAction(this.topic));
    return created;
  }
}
