import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { sourceOutputKeys } from '../shared/deployment/source-outputs';
import { ingestSettingsEnvironment, PLACEHOLDER_STORE_HASH, type StackConfig } from '../shared/deployment/stack-config';
import { attributeFieldsOf } from '../shared/ingest/attribute-limit';
import { ApiCustomDomain } from './constructs/api-custom-domain';
import { CustomerSync } from './constructs/customer-sync';
import { DataEncryption } from './constructs/data-encryption';
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
  readonly encryption: DataEncryption;
  /** The ingest API on the merchant's own domain (cdk.json customDomain), when configured. */
  readonly customDomain: ApiCustomDomain | undefined;

  constructor(scope: Construct, id: string, props: SignupSyncStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.storeHash === PLACEHOLDER_STORE_HASH) {
      Annotations.of(this).addWarningV2(
        'signup-sync:placeholder-store-hash',
        'signupSync.storeHash in cdk.json is the placeholder: set your store hash before deploying.',
      );
    }

    // `encryption: customer-managed`: one key for every store of data; none by default.
    this.encryption = new DataEncryption(this, 'Encryption', { mode: config.encryption });
    const encryptionKey = this.encryption.key ? { encryptionKey: this.encryption.key } : {};
    this.queues = new SignupQueues(this, 'Queues', {
      consumerTimeout: Duration.seconds(config.syncTimeoutSeconds),
      maxReceiveCount: config.maxReceiveCount,
      ...encryptionKey,
    });
    this.deliveryLedger = new DeliveryLedger(this, 'DeliveryLedger', encryptionKey);
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
      sources: config.sources,
      ...(config.sourcesSecretName ? { sourcesSecretName: config.sourcesSecretName } : {}),
      ...(config.sourcesSecretArn ? { sourcesSecretArn: config.sourcesSecretArn } : {}),
      ...encryptionKey,
    });
    this.sync = new CustomerSync(this, 'CustomerSync', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      config,
      ...encryptionKey,
    });
    // Only the two functions may put letters in the DLQ (a forged letter cannot be slipped in).
    this.queues.restrictDeadLetterSenders([this.ingress.function.role!, this.sync.function.role!]);
    // Public forms' per-client counters hash client addresses with the stack's one hash key (a sub-key of
    // it, shared/ingest/client-limit.ts): a second generated secret would cost another USD 0.40 a month.
    this.ingress.function.addEnvironment('CLIENT_HASH_KEY', this.sync.logHashKey.secretValue.unsafeUnwrap());

    this.monitoring = new OperationsMonitoring(this, 'Monitoring', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingress.function,
      syncFunction: this.sync.function,
      maxSignupAge: Duration.minutes(config.maxSignupAgeMinutes),
      rateLimitedPerFiveMinutes: config.rateLimitedAlarmThreshold,
      ...(config.alarmEmail ? { alarmEmail: config.alarmEmail } : {}),
      ...encryptionKey,
    });

    this.customDomain = config.customDomain
      ? new ApiCustomDomain(this, 'CustomDomain', { api: this.ingress.api, stage: this.ingress.stage, ...config.customDomain })
      : undefined;
    const apiUrl = this.customDomain?.url ?? this.ingress.api.apiEndpoint;
    new CfnOutput(this, 'ApiUrl', {
      // With a custom domain, the URL senders keep when the stack is re-created.
      value: apiUrl,
      description: 'POST signups to <ApiUrl>/signups; each source posts to its own URL (the SourceUrl… outputs)',
    });
    if (this.customDomain) {
      // `signup-sync doctor` checks the domain and its mapping to this API (ops/doctor/custom-domain-check.ts).
      new CfnOutput(this, 'CustomDomainName', { value: this.customDomain.domainName.name, description: 'The custom domain of ApiUrl' });
      new CfnOutput(this, 'CustomDomainTarget', {
        value: this.customDomain.domainName.regionalDomainName,
        description: 'Point a CNAME for CustomDomainName at this (or a Route 53 alias A/AAAA record, hosted zone CustomDomainHostedZoneId)',
      });
      new CfnOutput(this, 'CustomDomainHostedZoneId', { value: this.customDomain.domainName.regionalHostedZoneId });
      new CfnOutput(this, 'ApiId', { value: this.ingress.api.apiId, description: 'The HTTP API the custom domain maps to' });
      new CfnOutput(this, 'ExecuteApiUrl', {
        value: this.ingress.api.apiEndpoint,
        description: "API Gateway's own URL: it keeps working, so senders can move to ApiUrl one at a time",
      });
    }
    // The URL to set at each sender: a webhook's carries its route token (docs/sources.md); `signup-sync doctor` prints them too.
    for (const [key, source] of sourceOutputKeys(config.sources)) {
      new CfnOutput(this, key, {
        value: `${apiUrl}${this.ingress.sourcePaths[source.id]}`,
        description: `${source.kind} source ${source.id}: the URL to give the sender${source.kind === 'html-form' ? ' (the form action)' : ''}`,
      });
    }
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
    // `signup-sync dlq redrive` reads this function's configuration to re-run unmappable dead letters (ops/ingest-function-setup.ts).
    new CfnOutput(this, 'IngestFunctionName', {
      value: this.ingress.function.functionName,
      description: 'The ingest function (its SOURCES_CONFIG is what dlq redrive re-runs unmappable dead letters with)',
    });
  }
}
