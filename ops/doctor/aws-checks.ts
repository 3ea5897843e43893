import type { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { type CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type EventSourceMappingConfiguration, type LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, type SNSClient, type Subscription } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { parseTokenSecret } from '../../shared/aws/cached-secret';
import type { DeadLetterKeys } from '../../shared/ingest/dead-letter-keys';
import { parseIngestSources, parseSourceSecrets } from '../../shared/ingest/ingest-sources';
import { queueDepth } from '../queue-ops';
import { sourceFacts } from './settings';
import type { CheckResult, DoctorSettings } from './types';

/**
 * The AWS checks: each reads one thing and says what is wrong with it. None prints a secret value: a
 * secret's content is parsed here and only "usable or not, and why" comes out.
 */

export type AwsClients = Readonly<{
  sqs: SQSClient;
  lambda: LambdaClient;
  secrets: SecretsManagerClient;
  sns: SNSClient;
  cloudWatch: CloudWatchClient;
  dynamoDb: DynamoDBClient;
  /** For aws.custom-domain (ops/doctor/custom-domain-check.ts); created from the region when not given. */
  apiGateway?: ApiGatewayV2Client;
}>;

/** AWS errors name the resource (ARN, queue URL), never a secret's value. */
const reason = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error');

export async function checkQueues(
  sqs: SQSClient,
  urls: Readonly<{ signupQueueUrl?: string; deadLetterQueueUrl?: string }>,
  settings: DoctorSettings,
): Promise<CheckResult> {
  const id = 'aws.queues';
  if (!urls.signupQueueUrl || !urls.deadLetterQueueUrl) {
    return {
      id,
      status: 'fail',
      summary: 'The signups queue or the dead-letter queue is unknown',
      fix: 'Pass --stack or --outputs-file (or both --queue-url and --dlq-url)',
    };
  }
  let signup: Record<string, string>;
  let deadLetterArn: string | undefined;
  try {
    signup = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: urls.signupQueueUrl, AttributeNames: ['All'] }))).Attributes ?? {};
  } catch (error) {
    return {
      id,
      status: 'fail',
      summary: `The signups queue cannot be read (${reason(error)})`,
      fix: 'Deploy the stack (cdk deploy), or check the queue URL and your AWS credentials and region',
    };
  }
  try {
    deadLetterArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: urls.deadLetterQueueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
  } catch (error) {
    return {
      id,
      status: 'fail',
      summary: `The dead-letter queue cannot be read (${reason(error)})`,
      fix: 'Deploy the stack (cdk deploy), or check the --dlq-url',
    };
  }
  let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown } = {};
  try {
    policy = JSON.parse(signup['RedrivePolicy'] ?? '{}') as typeof policy;
  } catch {
    // Reported below as no redrive policy.
  }
  if (policy.deadLetterTargetArn !== deadLetterArn) {
    return {
      id,
      status: 'fail',
      summary: policy.deadLetterTargetArn
        ? 'The signups queue sends failures to another queue than the dead-letter queue'
        : 'The signups queue has no redrive policy: failing signups would be retried until they expire',
      fix: 'Redeploy the stack (cdk deploy) so the queue gets its redrive policy back',
    };
  }
  const receives = Number(policy.maxReceiveCount);
  if (receives !== settings.maxReceiveCount) {
    return {
      id,
      status: 'fail',
      summary: `The redrive policy allows ${receives} receives, cdk.json says ${settings.maxReceiveCount}`,
      fix: 'Redeploy the stack (cdk deploy), or correct signupSync.maxReceiveCount',
    };
  }
  return { id, status: 'pass', summary: `Signups queue and dead-letter queue exist; failures move to the DLQ after ${receives} receives` };
}

export async function checkDeadLetterDepth(
  sqs: SQSClient,
  deadLetterQueueUrl: string | undefined,
  { inFlightCountedAsVisible = false }: { inFlightCountedAsVisible?: boolean } = {},
): Promise<CheckResult> {
  const id = 'aws.dead-letters';
  if (!deadLetterQueueUrl) return { id, status: 'skipped', summary: 'No dead-letter queue known' };
  try {
    const depth = await queueDepth(sqs, deadLetterQueueUrl, { inFlightCountedAsVisible });
    const total = depth.visible + depth.inFlight + depth.delayed;
    if (total === 0) return { id, status: 'pass', summary: 'The dead-letter queue is empty' };
    return {
      id,
      status: 'fail',
      summary: `${total} signup(s) wait in the dead-letter queue`,
      fix: 'See why with `signup-sync dlq list`; fix the cause, then `signup-sync dlq redrive`',
    };
  } catch (error) {
    return { id, status: 'fail', summary: `The dead-letter queue cannot be read (${reason(error)})`, fix: 'Check the --dlq-url and your AWS credentials' };
  }
}

export async function checkEventSourceMapping(lambda: LambdaClient, signupQueueArn: string | undefined): Promise<CheckResult> {
  const id = 'aws.event-source-mapping';
  if (!signupQueueArn) return { id, status: 'unconfirmed', summary: 'The signups queue ARN is unknown, so its event source mapping cannot be looked up' };
  let mappings: EventSourceMappingConfiguration[] = [];
  try {
    let marker: string | undefined;
    do {
      const page = await lambda.send(new ListEventSourceMappingsCommand({ EventSourceArn: signupQueueArn, ...(marker ? { Marker: marker } : {}) }));
      mappings = [...mappings, ...(page.EventSourceMappings ?? [])];
      marker = page.NextMarker;
    } while (marker);
  } catch (error) {
    return { id, status: 'unconfirmed', summary: `ListEventSourceMappings failed (${reason(error)})` };
  }
  if (mappings.length === 0)
    return { id, status: 'fail', summary: 'No function reads the signups queue: signups would wait until they expire', fix: 'Redeploy the stack (cdk deploy)' };
  const enabled = mappings.filter((mapping) => mapping.State === 'Enabled' || mapping.State === 'Enabling' || mapping.State === 'Updating');
  if (enabled.length === 0) {
    const uuid = mappings[0]?.UUID ?? '<uuid>';
    return {
      id,
      status: 'fail',
      summary: `The event source mapping is ${mappings.map((mapping) => mapping.State ?? 'in an unknown state').join(', ')}: signups wait in the queue`,
      fix: `aws lambda update-event-source-mapping --uuid ${uuid} --enabled`,
    };
  }
  return { id, status: 'pass', summary: `The sync function reads the signups queue (event source mapping ${enabled[0]!.State?.toLowerCase()})` };
}

/** Store-level API tokens are opaque strings; this refuses what clearly is not one (empty, placeholder, spaces, a URL). */
export function looksLikeToken(value: string): boolean {
  return /^[A-Za-z0-9._-]{20,200}$/.test(value);
}

/** The token when the secret holds something token-shaped; the check's text never contains it. */
export async function checkTokenSecret(secrets: SecretsManagerClient, secretArn: string | undefined): Promise<{ result: CheckResult; token?: string }> {
  const id = 'aws.token-secret';
  if (!secretArn)
    return {
      result: {
        id,
        status: 'fail',
        summary: 'The stack outputs name no token secret (TokenSecretArn)',
        fix: 'Use --stack or --outputs-file with a deployed stack, or --store-hash with SIGNUP_SYNC_BIGCOMMERCE_TOKEN',
      },
    };
  let secretString: string | undefined;
  try {
    secretString = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    return {
      result: {
        id,
        status: 'fail',
        summary: `The token secret cannot be read (${reason(error)})`,
        fix: 'Check that the secret exists and that your AWS identity may read it',
      },
    };
  }
  let token: string;
  try {
    token = parseTokenSecret(secretString);
  } catch (error) {
    return {
      result: {
        id,
        status: 'fail',
        summary: (error as Error).message,
        fix: `aws secretsmanager put-secret-value --secret-id ${secretArn} --secret-string '{"access_token":"<token>"}'`,
      },
    };
  }
  if (!looksLikeToken(token)) {
    return {
      result: {
        id,
        status: 'fail',
        summary: 'The token secret holds something that is not shaped like an API token (spaces, a URL, or too short)',
        fix: `Put the access token of a store-level API account in it: aws secretsmanager put-secret-value --secret-id ${secretArn} --secret-string '{"access_token":"<token>"}'`,
      },
    };
  }
  return { result: { id, status: 'pass', summary: `The token secret holds a token-shaped value (${token.length} characters; not shown)` }, token };
}

/** Where the dead-letter keys come from (shared/ingest/dead-letter-keys.ts), said beside a passing check. */
const DEAD_LETTER_KEY_NOTE: Readonly<Record<DeadLetterKeys['origin'], string>> = {
  entry: 'dead letters are signed with its "deadLetters" keys',
  'derived-from-api':
    'dead letters are signed with a key derived from the "api" entry: add a "deadLetters" entry (docs/configuration.md, "Secrets") before rotating "api" or handing it out',
  none: 'no dead-letter key',
};

/** Every configured source (and POST /signups) has a usable entry in the sources secret, and unmappable dead letters a key. */
export function sourceSecretsResult(problems: readonly string[], settings: DoctorSettings, deadLetterKeys?: DeadLetterKeys['origin']): CheckResult {
  const id = 'aws.source-secrets';
  const count = sourceFacts(settings).length + 1;
  const note = deadLetterKeys ? `; ${DEAD_LETTER_KEY_NOTE[deadLetterKeys]}` : '';
  if (problems.length === 0) return { id, status: 'pass', summary: `POST /signups and ${count - 1} configured source(s) have a usable secret${note}` };
  return {
    id,
    status: 'fail',
    summary: `Unusable source secret(s): ${problems.join('; ')}`,
    fix: 'Add an entry per source id to the sources secret (a JSON object source id -> secret; "api" protects POST /signups); locally, LOCAL_SOURCES_SECRET',
  };
}

export async function checkSourceSecrets(secrets: SecretsManagerClient, secretArn: string | undefined, settings: DoctorSettings): Promise<CheckResult> {
  const id = 'aws.source-secrets';
  if (!secretArn)
    return {
      id,
      status: 'fail',
      summary: 'The stack outputs name no sources secret (SourcesSecretArn)',
      fix: 'Use --stack or --outputs-file with a deployed stack',
    };
  let secretString: string | undefined;
  try {
    secretString = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    return {
      id,
      status: 'fail',
      summary: `The sources secret cannot be read (${reason(error)})`,
      fix: 'Check that the secret exists and that your AWS identity may read it',
    };
  }
  let sources: ReturnType<typeof parseIngestSources>;
  try {
    sources = parseIngestSources(settings.sources);
  } catch (error) {
    return { id, status: 'fail', summary: `The sources in cdk.json are invalid: ${(error as Error).message}`, fix: 'Run `cdk synth` and fix what it reports' };
  }
  // parseSourceSecrets names source ids and problems only, never the values.
  const parsed = parseSourceSecrets(secretString, sources);
  return sourceSecretsResult(parsed.problems, settings, parsed.deadLetterKeys.origin);
}

export async function checkAlarmSubscriptions(sns: SNSClient, topicArn: string | undefined): Promise<CheckResult> {
  const id = 'aws.alarm-subscriptions';
  if (!topicArn) return { id, status: 'unconfirmed', summary: 'The alarm topic is unknown (no AlarmTopicArn output)' };
  let subscriptions: Subscription[] = [];
  try {
    let next: string | undefined;
    do {
      const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, ...(next ? { NextToken: next } : {}) }));
      subscriptions = [...subscriptions, ...(page.Subscriptions ?? [])];
      next = page.NextToken;
    } while (next);
  } catch (error) {
    return { id, status: 'fail', summary: `The alarm topic cannot be read (${reason(error)})`, fix: 'Check the AlarmTopicArn output and your AWS credentials' };
  }
  const confirmed = subscriptions.filter((subscription) => subscription.SubscriptionArn?.startsWith('arn:'));
  const fix = `aws sns subscribe --topic-arn ${topicArn} --protocol email --notification-endpoint <address> (or set signupSync.alarmEmail), then confirm the email`;
  if (confirmed.length > 0) return { id, status: 'pass', summary: `${confirmed.length} confirmed subscription(s) receive the alarms` };
  if (subscriptions.length > 0)
    return {
      id,
      status: 'fail',
      summary: `${subscriptions.length} subscription(s) still wait for confirmation: nobody receives the alarms`,
      fix: 'Click the link in the "AWS Notification - Subscription Confirmation" email',
    };
  return { id, status: 'fail', summary: 'Nobody is subscribed to the alarm topic', fix };
}

export async function checkAlarms(
  cloudWatch: CloudWatchClient,
  { namePrefix, topicArn }: Readonly<{ namePrefix?: string; topicArn?: string }>,
): Promise<CheckResult> {
  const id = 'aws.alarms';
  if (!namePrefix && !topicArn)
    return { id, status: 'unconfirmed', summary: 'Neither the stack name nor the alarm topic is known, so its alarms cannot be found' };
  let alarms: MetricAlarm[] = [];
  try {
    let next: string | undefined;
    do {
      const page = await cloudWatch.send(
        new DescribeAlarmsCommand({ ...(namePrefix ? { AlarmNamePrefix: namePrefix } : {}), ...(next ? { NextToken: next } : {}) }),
      );
      alarms = [...alarms, ...(page.MetricAlarms ?? [])];
      next = page.NextToken;
    } while (next);
  } catch (error) {
    return { id, status: 'unconfirmed', summary: `DescribeAlarms failed (${reason(error)})` };
  }
  // Without the stack name, the stack's alarms are those that notify its topic.
  if (!namePrefix) alarms = alarms.filter((alarm) => alarm.AlarmActions?.includes(topicArn!));
  if (alarms.length === 0)
    return { id, status: 'unconfirmed', summary: `No alarm found${namePrefix ? ` named ${namePrefix}*` : ' notifying the alarm topic'}` };
  const firing = alarms.filter((alarm) => alarm.StateValue === 'ALARM');
  if (firing.length > 0) {
    return {
      id,
      status: 'fail',
      summary: `In ALARM: ${firing.map((alarm) => alarm.AlarmName).join(', ')}`,
      fix: 'Read each alarm\'s reason (aws cloudwatch describe-alarms --state-value ALARM); docs/operations.md, "Alarms and what to do", says what to do for each',
    };
  }
  return { id, status: 'pass', summary: `None of the ${alarms.length} alarm(s) is in ALARM` };
}

/** Local mode has no Lambda, Secrets Manager, SNS or CloudWatch: these are skipped with the reason. */
export function localSkips(): CheckResult[] {
  const skip = (id: string, summary: string): CheckResult => ({ id, status: 'skipped', summary });
  return [
    skip('aws.event-source-mapping', 'Local mode runs its own pollers (no Lambda event source mapping)'),
    skip('aws.token-secret', 'Local mode keeps the token in memory (no Secrets Manager)'),
    skip('aws.alarm-subscriptions', 'Local mode has no alarm topic'),
    skip('aws.alarms', 'Local mode has no CloudWatch alarms'),
    skip('aws.custom-domain', 'Local mode serves on loopback (no custom domain)'),
  ];
}
