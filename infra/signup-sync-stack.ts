import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ingestSettingsEnvironment, PLACEHOLDER_STORE_HASH, type StackConfig } from '../shared/deployment/stack-config';
import { attributeFieldsOf } from '../shared/ingest/attribute-limit';
import { CustomerSync } from './constructs/customer-sync';
import { DeliveryLedger } from './constructs/delivery-ledger';
import { OperationsMonitoring } from './constructs/operations-monitoring';
import { SignupIngress } from './constructs/signup-ingress';
import { SignupQueues } from './constructs/signup-queues';

export type SignupSyncStackProps = StackProps & Readonly<{ config: StackConfig }>;

/** Composes the constructs; each concern lives in its own construct. */
export class SignupSyncStack extends Stack {
  readonly queues: SignupQueues;
  readonly deliveryLedger: DeliveryLedger;
  readonly ingress: SignupIngress;
  readonly sync: CustomerSync;
  readonly monitoring: OperationsMonitoring;

  constructor(scope: Construct, id: string, props: SignupSyncStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.storeHash === PLACEHOLDER_STORE_HASH) {
      Annotations.of(this).addWarningV2(
        'signup-sync:placeholder-store-hash',
        'signupSync.storeHash in cdk.json is the placeholder: set your store hash before deploying.',
      );
    }

    this.queues = new SignupQueues(this, 'Queues', {
      consumerTimeout: Duration.seconds(config.syncTimeoutSeconds),
      maxReceiveCount: config.maxReceiveCount,
    });
    this.deliveryLedger = new DeliveryLedger(this, 'DeliveryLedger');
    // Before the ingress, which shares its log hash key (construct ids, not order, make the logical ids).
    this.sync = new CustomerSync(this, 'CustomerSync', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      config,
    });
    this.ingress = new SignupIngress(this, 'Ingress', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      settingsEnvironment: ingestSettingsEnvironment(config),
      deliveryLedger: this.deliveryLedger,
      deliveryRetentionSeconds: config.deliveryRetentionHours * 3600,
      customAttributeFields: attributeFieldsOf(config.customFieldMap),
      signupsBearerToken: config.signupsBearerToken,
      throttle: config.apiThrottle,
      sourceThrottles: Object.fromEntries(config.sources.map((source) => [source.id, config.sourceThrottles[source.id] ?? config.sourceThrottle] as const)),
      logRetentionDays: config.logRetentionDays,
      logHashKey: this.sync.logHashKey,
      sources: config.sources,
      ...(config.sourcesSecretName ? { sourcesSecretName: config.sourcesSecretName } : {}),
      ...(config.sourcesSecretArn ? { sourcesSecretArn: config.sourcesSecretArn } : {}),
    });

    this.monitoring = new OperationsMonitoring(this, 'Monitoring', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingress.function,
      syncFunction: this.sync.function,
      maxSignupAge: Duration.minutes(config.maxSignupAgeMinutes),
      rateLimitedPerFiveMinutes: config.rateLimitedAlarmThreshold,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
    });

    new CfnOutput(this, 'ApiUrl', {
      value: this.ingress.api.apiEndpoint,
      description: 'POST signups to <ApiUrl>/signups; sources post to <ApiUrl>/sources/<id>',
    });
    new CfnOutput(this, 'SignupQueueUrl', { value: this.queues.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.queues.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueArn', { value: this.queues.deadLetterQueue.queueArn });
    new CfnOutput(this, 'SignupQueueArn', { value: this.queues.queue.queueArn });
    new CfnOutput(this, 'TokenSecretArn', { value: this.sync.tokenSecret.secretArn, description: 'Put the BigCommerce API token in this secret' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Subscribe to receive alarms' });
    new CfnOutput(this, 'DashboardName', { value: this.monitoring.dashboard.dashboardName });
    new CfnOutput(this, 'SourcesSecretArn', {
      value: this.ingress.sourcesSecret.secretArn,
      description: 'JSON object source id -> secret: "api" protects POST /signups; add an entry per configured source',
    });
    // `signup-sync doctor` checks this table's state, billing and TTL (ops/doctor/delivery-ledger-check.ts).
    new CfnOutput(this, 'DeliveryLedgerTableName', { value: this.deliveryLedger.table.tableName, description: "The ingest's delivery ledger (docs/trust.md)" });
    // `signup-sync trace` queries these log groups with Logs Insights, by the email hash keyed with this secret (ops/trace/).
    new CfnOutput(this, 'IngestLogGroupName', { value: this.ingress.logGroup.logGroupName });
    new CfnOutput(this, 'SyncLogGroupName', { value: this.sync.logGroup.logGroupName });
    new CfnOutput(this, 'AccessLogGroupName', { value: this.ingress.accessLogs.logGroupName });
    new CfnOutput(this, 'LogHashKeySecretArn', {
      value: this.sync.logHashKey.secretArn,
      description: 'Key of the email hash in the logs: signup-sync trace <email> reads it (secretsmanager:GetSecretValue)',
    });
    // `signup-sync dlq redrive` reads this function's configuration to re-run unmappable dead letters (ops/ingest-function-setup.ts).
    new CfnOutput(this, 'IngestFunctionName', {
      value: this.ingress.function.functionName,
      description: 'The ingest function (its SOURCES_CONFIG is what dlq redrive re-runs unmappable dead letters with)',
    });
  }
}
