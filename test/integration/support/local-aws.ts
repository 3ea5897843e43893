import { randomInt } from 'node:crypto';
import { CreateTableCommand, type DynamoDBClient, UpdateContinuousBackupsCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ResourceModel, StackModel } from './stack-model';

/**
 * Points the AWS SDK at the emulator the standard way (AWS_ENDPOINT_URL_<SERVICE>, as a deployment
 * could), and "deploys" the stack's queues and secret into it from the template's own properties.
 */

export const TEST_REGION = 'us-east-1';

const LOCAL_AWS_ENV = (endpoint: string): Record<string, string | undefined> => ({
  AWS_ENDPOINT_URL_SQS: endpoint,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoint,
  AWS_ENDPOINT_URL_DYNAMODB: endpoint,
  AWS_ENDPOINT_URL_SESV2: endpoint,
  AWS_REGION: TEST_REGION,
  AWS_DEFAULT_REGION: TEST_REGION,
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  // No shared config or credentials file may redirect the SDK elsewhere.
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
});

/** Sets (or unsets) environment variables; returns a function restoring the previous values. */
export function setEnv(values: Readonly<Record<string, string | undefined>>): () => void {
  const previous = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply({ ...values });
  return () => apply(previous);
}

export const useLocalAws = (endpoint: string): (() => void) => setEnv(LOCAL_AWS_ENV(endpoint));

/**
 * AWS::SQS::Queue properties -> SQS queue attributes. A property the stack sets that is not listed here
 * fails the suite, so the emulated queue can never silently differ from the deployed one.
 */
const QUEUE_ATTRIBUTES: Readonly<Record<string, (value: unknown, resolve: (value: unknown) => string) => string>> = {
  VisibilityTimeout: (value) => String(value),
  MessageRetentionPeriod: (value) => String(value),
  DelaySeconds: (value) => String(value),
  MaximumMessageSize: (value) => String(value),
  ReceiveMessageWaitTimeSeconds: (value) => String(value),
  SqsManagedSseEnabled: (value) => String(value),
  KmsMasterKeyId: (value, resolve) => resolve(value),
  KmsDataKeyReusePeriodSeconds: (value) => String(value),
  RedrivePolicy: (value, resolve) => {
    const policy = value as { deadLetterTargetArn: unknown; maxReceiveCount: unknown };
    return JSON.stringify({ deadLetterTargetArn: resolve(policy.deadLetterTargetArn), maxReceiveCount: policy.maxReceiveCount });
  },
  RedriveAllowPolicy: (value) => JSON.stringify(value),
};

export type DeployedQueue = Readonly<{ logicalId: string; name: string; url: string; arn: string; attributes: Readonly<Record<string, string>> }>;

export type DeployedSecret = Readonly<{ logicalId: string; arn: string; value: string }>;

export type DeployedTable = Readonly<{ logicalId: string; name: string; arn: string }>;

export type Deployment = Readonly<{
  signupQueue: DeployedQueue;
  deadLetterQueue: DeployedQueue;
  tokenSecretArn: string;
  /** Every secret the template creates, by logical id, with the value it was created with. */
  secrets: Readonly<Record<string, DeployedSecret>>;
  /** Every DynamoDB table the template creates (the delivery ledger), by logical id. */
  tables: Readonly<Record<string, DeployedTable>>;
  /** The functions' environment with every intrinsic resolved to the emulator's URLs and ARNs. */
  ingestEnv: Readonly<Record<string, string>>;
  syncEnv: Readonly<Record<string, string>>;
}>;

type Physical = { ref: string; arn: string };

function resolver(model: StackModel, physical: ReadonlyMap<string, Physical>) {
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(resolve).join(join[0]);
    const intrinsic = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
    if (intrinsic.Ref && physical.has(intrinsic.Ref)) return physical.get(intrinsic.Ref)!.ref;
    const [id, attribute] = intrinsic['Fn::GetAtt'] ?? [];
    if (id && attribute === 'Arn' && physical.has(id)) return physical.get(id)!.arn;
    const type = model.resources[intrinsic.Ref ?? id ?? '']?.Type ?? 'unknown';
    throw new Error(`The integration suite cannot resolve ${JSON.stringify(value)} (${type}): teach test/integration/support/local-aws.ts about it`);
  };
  return resolve;
}

/** A `{{resolve:secretsmanager:<arn>:SecretString:::}}` dynamic reference, which CloudFormation replaces at deploy time. */
const DYNAMIC_SECRET_REFERENCE = /^\{\{resolve:secretsmanager:(.+):SecretString:::\}\}$/;

function queueAttributes(queue: ResourceModel, resolve: (value: unknown) => string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [property, value] of Object.entries(queue.properties)) {
    if (property === 'Tags') continue;
    const translate = QUEUE_ATTRIBUTES[property];
    if (!translate) {
      throw new Error(
        `The stack sets AWS::SQS::Queue ${queue.logicalId}.${property}, which test/integration/support/local-aws.ts does not translate to a queue attribute`,
      );
    }
    attributes[property] = translate(value, resolve);
  }
  return attributes;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * The SecretString CloudFormation would create from the template: SecretString as given, or
 * GenerateSecretString (a random string of PasswordLength, put under GenerateStringKey of
 * SecretStringTemplate). Letters and digits only, which satisfies the Exclude and Require options.
 */
function secretValueOf(secret: ResourceModel): string {
  const { SecretString, GenerateSecretString, ...rest } = secret.properties as { SecretString?: unknown; GenerateSecretString?: Record<string, unknown> };
  const unknown = Object.keys(rest).filter((property) => !['Description', 'Name', 'Tags', 'KmsKeyId'].includes(property));
  if (unknown.length > 0)
    throw new Error(`The stack sets ${secret.logicalId}.${unknown.join(', ')}, which test/integration/support/local-aws.ts does not emulate`);
  if (typeof SecretString === 'string') return SecretString;
  if (!GenerateSecretString) throw new Error(`${secret.logicalId} has neither SecretString nor GenerateSecretString`);
  const length = Number(GenerateSecretString.PasswordLength ?? 32);
  const generated = Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join('');
  const key = GenerateSecretString.GenerateStringKey;
  if (typeof key !== 'string') return generated;
  return JSON.stringify({ ...(JSON.parse(String(GenerateSecretString.SecretStringTemplate ?? '{}')) as object), [key]: generated });
}

/**
 * An AWS::DynamoDB::Table as the template declares it: keys, billing, TTL, point-in-time recovery. Server-side encryption is
 * always on in DynamoDB (moto does not model the key choice). Another property fails the suite.
 */
async function createTable(dynamodb: DynamoDBClient, name: string, table: ResourceModel): Promise<DeployedTable> {
  const {
    KeySchema,
    AttributeDefinitions,
    BillingMode,
    TimeToLiveSpecification,
    SSESpecification: _encryption,
    PointInTimeRecoverySpecification,
    ...rest
  } = table.properties as Record<string, never>;
  const unknown = Object.keys(rest).filter((property) => property !== 'Tags');
  if (unknown.length > 0)
    throw new Error(`The stack sets ${table.logicalId}.${unknown.join(', ')}, which test/integration/support/local-aws.ts does not emulate`);
  const { TableDescription } = await dynamodb.send(new CreateTableCommand({ TableName: name, KeySchema, AttributeDefinitions, BillingMode }));
  const ttl = TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  if (ttl?.AttributeName)
    await dynamodb.send(
      new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: ttl.AttributeName, Enabled: ttl.Enabled ?? true } }),
    );
  const recovery = PointInTimeRecoverySpecification as { PointInTimeRecoveryEnabled?: boolean } | undefined;
  if (recovery?.PointInTimeRecoveryEnabled === true)
    await dynamodb.send(new UpdateContinuousBackupsCommand({ TableName: name, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }));
  if (!TableDescription?.TableArn) throw new Error(`CreateTable ${name} returned no ARN`);
  return { logicalId: table.logicalId, name, arn: TableDescription.TableArn };
}

async function createQueue(sqs: SQSClient, name: string, logicalId: string, attributes: Record<string, string>): Promise<DeployedQueue> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  if (!QueueUrl || !Attributes?.QueueArn) throw new Error(`CreateQueue ${name} returned no URL or ARN`);
  return { logicalId, name, url: QueueUrl, arn: Attributes.QueueArn, attributes };
}

/**
 * Creates the stack's DLQ and signups queue (DLQ first: the redrive policy names its ARN) with the
 * template's properties, its DynamoDB tables, and every secret the template creates: the BigCommerce token secret holding
 * `token` as `{"access_token": …}`, the others with the value CloudFormation would give them.
 * `prefix` keeps each test's resources apart.
 */
export async function deployStackResources(
  clients: Readonly<{ sqs: SQSClient; secrets: SecretsManagerClient; dynamodb: DynamoDBClient }>,
  model: StackModel,
  { prefix, token, queueOverrides = {} }: Readonly<{ prefix: string; token: string; queueOverrides?: Readonly<Record<string, string>> }>,
): Promise<Deployment> {
  const physical = new Map<string, Physical>();
  const resolve = resolver(model, physical);

  const deadLetterQueue = await createQueue(clients.sqs, `${prefix}-dlq`, model.deadLetterQueue.logicalId, queueAttributes(model.deadLetterQueue, resolve));
  physical.set(deadLetterQueue.logicalId, { ref: deadLetterQueue.url, arn: deadLetterQueue.arn });
  const signupQueue = await createQueue(clients.sqs, `${prefix}-signups`, model.signupQueue.logicalId, {
    ...queueAttributes(model.signupQueue, resolve),
    ...queueOverrides,
  });
  physical.set(signupQueue.logicalId, { ref: signupQueue.url, arn: signupQueue.arn });

  const tables: Record<string, DeployedTable> = {};
  for (const [logicalId, resource] of Object.entries(model.resources)) {
    if (resource.Type !== 'AWS::DynamoDB::Table') continue;
    const table = await createTable(clients.dynamodb, `${prefix}-${logicalId}`, { logicalId, type: resource.Type, properties: resource.Properties ?? {} });
    // A table's Ref is its name.
    physical.set(logicalId, { ref: table.name, arn: table.arn });
    tables[logicalId] = table;
  }

  const secrets: Record<string, DeployedSecret> = {};
  for (const secret of model.secrets) {
    const value = secret.logicalId === model.tokenSecret?.logicalId ? JSON.stringify({ access_token: token }) : secretValueOf(secret);
    const { ARN } = await clients.secrets.send(new CreateSecretCommand({ Name: `${prefix}/${secret.logicalId}`, SecretString: value }));
    if (!ARN) throw new Error('CreateSecret returned no ARN');
    // A secret's Ref is its ARN; the stack hands the functions ARNs.
    physical.set(secret.logicalId, { ref: ARN, arn: ARN });
    secrets[secret.logicalId] = { logicalId: secret.logicalId, arn: ARN, value };
  }
  let tokenSecretArn = model.tokenSecret ? secrets[model.tokenSecret.logicalId]?.arn : undefined;
  if (!tokenSecretArn) {
    // An imported token secret (tokenSecretName/Arn in the config): create one under a name of our own.
    const { ARN } = await clients.secrets.send(
      new CreateSecretCommand({ Name: `${prefix}/bigcommerce-token`, SecretString: JSON.stringify({ access_token: token }) }),
    );
    tokenSecretArn = ARN!;
  }

  const secretValueByArn = new Map(Object.values(secrets).map((secret) => [secret.arn, secret.value]));
  const deployTimeValue = (resolved: string): string => {
    const arn = DYNAMIC_SECRET_REFERENCE.exec(resolved)?.[1];
    if (arn === undefined) return resolved;
    const value = secretValueByArn.get(arn);
    if (value === undefined) throw new Error(`A dynamic reference names a secret the stack does not create: ${arn}`);
    return value;
  };
  const environment = (variables: Readonly<Record<string, unknown>>) =>
    Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, deployTimeValue(resolve(value))]));
  return {
    signupQueue,
    deadLetterQueue,
    tokenSecretArn,
    secrets,
    tables,
    ingestEnv: environment(model.ingest.environment),
    syncEnv: environment(model.sync.environment),
  };
}
