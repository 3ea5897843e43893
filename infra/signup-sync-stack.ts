import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CustomerSync } from './constructs/customer-sync';
import { OperationsMonitoring } from './constructs/operations-monitoring';
import { SignupIngress } from './constructs/signup-ingress';
import { SignupQueues } from './constructs/signup-queues';
import { PLACEHOLDER_STORE_HASH, type StackConfig } from '../shared/deployment/stack-config';

export type SignupSyncStackProps = StackProps & Readonly<{ config: StackConfig }>;

/** Composes the constructs; each concern lives in its own construct. */
export class SignupSyncStack extends Stack {
  readonly queues: SignupQueues;
  readonly ingress: SignupIngress;
  readonly sync: CustomerSync;
  readonly monitoring: OperationsMonitoring;

  constructor(scope: Construct, id: string, props: SignupSyncStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.storeHash === PLACEHOLDER_STORE_HASH) {
      Annotations.of(this).addWarningV2('signup-sync:placeholder-store-hash', 'signupSync.storeHash in cdk.json is the placeholder: set your store hash before deploying.');
    }

    this.queues = new SignupQueues(this, 'Queues', {
      consumerTimeout: Duration.seconds(config.syncTimeoutSeconds),
      maxReceiveCount: config.maxReceiveCount,
    });
    this.ingress = new SignupIngress(this, 'Ingress', {
      queue: this.queues.queue,
      throttle: config.apiThrottle,
      logRetentionDays: config.logRetentionDays,
      sources: config.sources,
      ...(config.sourcesSecretName ? { sourcesSecretName: config.sourcesSecretName } : {}),
      ...(config.sourcesSecretArn ? { sourcesSecretArn: config.sourcesSecretArn } : {}),
    });
    this.sync = new CustomerSync(this, 'CustomerSync', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      config,
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

    new CfnOutput(this, 'ApiUrl', { value: this.ingress.api.apiEndpoint, description: 'POST signups to <ApiUrl>/signups; sources post to <ApiUrl>/sources/<id>' });
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
  }
}
