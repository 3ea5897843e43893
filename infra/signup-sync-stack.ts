import { Annotations, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { sourceOutputKeys } from '../shared/deployment/source-outputs';
import { doubleOptInSettings, ingestSettingsEnvironment, PLACEHOLDER_STORE_HASH, type StackConfig, sourceAlarmFor } from '../shared/deployment/stack-config';
import { attributeFieldsOf } from '../shared/ingest/attribute-limit';
import { ApiCustomDomain } from './constructs/api-custom-domain';
import { ConsentEvidence } from './constructs/consent-evidence';
import { CustomerSync } from './constructs/customer-sync';
import { DataEncryption } from './constructs/data-encryption';
import { DeliveryLedger } from './constructs/delivery-ledger';
import { OperationsDashboard } from './constructs/operations-dashboard';
import { OperationsMonitoring } from './constructs/operations-monitoring';
import { SignupIngress } from './constructs/signup-ingress';
import { SignupQueues } from './constructs/signup-queues';
import { SourceAlarms } from './constructs/source-alarms';

export type SignupSyncStackProps = StackProps & Readonly<{ config: StackConfig }>;

/** Composes the constructs; each concern lives in its own construct. */
export class SignupSyncStack extends Stack {
  readonly queues: SignupQueues;
  readonly deliveryLedger: DeliveryLedger;
  readonly ingress: SignupIngress;
  readonly sync: CustomerSync;
  readonly monitoring: OperationsMonitoring;
  /** cdk.json `tracing`: X-Ray active tracing on both functions. */
  readonly tracing: boolean;
  /** cdk.json `dashboard`: the CloudWatch dashboard, when asked for. */
  readonly dashboard: OperationsDashboard | undefined;
  readonly sourceAlarms: SourceAlarms;
  readonly encryption: DataEncryption;
  /** Consent evidence, erasures and pending double opt-in (docs/privacy.md). */
  readonly consent: ConsentEvidence;
  /** The ingest API on the merchant's own domain (cdk.json customDomain), when configured. */
  readonly customDomain: ApiCustomDomain | undefined;

  constructor(scope: Construct, id: string, props: SignupSyncStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.tracing = config.tracing;
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
    // Before the ingress, which shares its log hash key (construct ids, not order, make the logical ids).
    this.sync = new CustomerSync(this, 'CustomerSync', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      config,
      ...encryptionKey,
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
      confirmThrottle: config.confirmThrottle,
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      // The stack's one hash key: trace lines' email hash (as the sync's), client addresses, double opt-in links.
      logHashKey: this.sync.logHashKey,
      sources: config.sources,
      ...(config.sourcesSecretName ? { sourcesSecretName: config.sourcesSecretName } : {}),
      ...(config.sourcesSecretArn ? { sourcesSecretArn: config.sourcesSecretArn } : {}),
      ...encryptionKey,
    });
    // Only the two functions may put letters in the DLQ (a forged letter cannot be slipped in).
    this.queues.restrictDeadLetterSenders([this.ingress.function.role!, this.sync.function.role!]);
    // A deploy updates the sync before the ingest, so the sync decodes a new message schema version before
    // the ingest writes it (an old sync would dead-letter it as `invalid-message`; docs/upgrading.md).
    this.ingress.function.node.addDependency(this.sync.function);

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
    // Each configured source's silence and signature-failure alarms, on the same topic (none without sources).
    this.sourceAlarms = new SourceAlarms(this, 'SourceAlarms', {
      monitoring: this.monitoring,
      sources: config.sources.map((source) => ({ id: source.id, kind: source.kind, alarm: sourceAlarmFor(config, source.id) })),
      runbookUrl: config.runbookUrl,
    });
    this.dashboard = config.dashboard
      ? new OperationsDashboard(this, 'Dashboard', {
          alarms: [...Object.values(this.monitoring.alarms), ...this.sourceAlarms.all],
          queue: this.queues.queue,
          deadLetterQueue: this.queues.deadLetterQueue,
          api: this.ingress.api,
          ingestFunction: this.ingress.function,
          syncFunction: this.sync.function,
          ingestLogs: this.ingress.function.logGroup,
          syncLogs: this.sync.function.logGroup,
        })
      : undefined;

    this.customDomain = config.customDomain
      ? new ApiCustomDomain(this, 'CustomDomain', { api: this.ingress.api, stage: this.ingress.stage, ...config.customDomain })
      : undefined;
    const apiUrl = this.customDomain?.url ?? this.ingress.api.apiEndpoint;

    // Consent evidence, erasures and double opt-in: the sync writes them; the confirm route reads pending requests.
    this.consent = new ConsentEvidence(this, 'ConsentEvidence', encryptionKey);
    this.consent.grantSyncUse(this.sync.function);
    this.sync.function.addEnvironment('CONSENT_TABLE', this.consent.table.tableName);
    const doubleOptIn = Object.values(doubleOptInSettings(config));
    if (doubleOptIn.length > 0) {
      // The links point at the URL senders use (the custom domain when there is one).
      this.sync.function.addEnvironment('CONFIRM_BASE_URL', apiUrl);
      this.consent.grantConfirmationMail(this.sync.function, doubleOptIn);
      this.ingress.function.addEnvironment('CONSENT_TABLE', this.consent.table.tableName);
      this.consent.grantPendingRead(this.ingress.function);
    }
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
    // `signup-sync consent` and `forget` read this table and the hash key that keys it (ops/consent-records.ts).
    new CfnOutput(this, 'ConsentTableName', {
      value: this.consent.table.tableName,
      description: 'Consent evidence, erasures and pending double opt-in (docs/privacy.md)',
    });
    new CfnOutput(this, 'HashKeySecretArn', {
      value: this.sync.logHashKey.secretArn,
      description: 'The stack hash key: keys the consent table and the email hash in the logs (read by signup-sync consent, forget and trace)',
    });
    new CfnOutput(this, 'SignupQueueUrl', { value: this.queues.queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: this.queues.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueArn', { value: this.queues.deadLetterQueue.queueArn });
    new CfnOutput(this, 'SignupQueueArn', { value: this.queues.queue.queueArn });
    new CfnOutput(this, 'TokenSecretArn', { value: this.sync.tokenSecret.secretArn, description: 'Put the BigCommerce API token in this secret' });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'Subscribe to receive alarms' });
    if (this.dashboard) new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName });
    new CfnOutput(this, 'SourcesSecretArn', {
      value: this.ingress.sourcesSecret.secretArn,
      description: 'JSON object source id -> secret: "api" protects POST /signups; add an entry per configured source',
    });
    // `signup-sync doctor` checks this table's state, billing and TTL (ops/doctor/delivery-ledger-check.ts).
    new CfnOutput(this, 'DeliveryLedgerTableName', { value: this.deliveryLedger.table.tableName, description: "The ingest's delivery ledger (docs/trust.md)" });
    // `signup-sync trace` queries these log groups with Logs Insights, by the email hash keyed with HashKeySecretArn's secret (ops/trace/).
    new CfnOutput(this, 'IngestLogGroupName', { value: this.ingress.logGroup.logGroupName });
    new CfnOutput(this, 'SyncLogGroupName', { value: this.sync.logGroup.logGroupName });
    new CfnOutput(this, 'AccessLogGroupName', { value: this.ingress.accessLogs.logGroupName });
    // `signup-sync dlq redrive` reads this function's configuration to re-run unmappable dead letters (ops/ingest-function-setup.ts).
    new CfnOutput(this, 'IngestFunctionName', {
      value: this.ingress.function.functionName,
      description: 'The ingest function (its SOURCES_CONFIG is what dlq redrive re-runs unmappable dead letters with)',
    });
  }
}
