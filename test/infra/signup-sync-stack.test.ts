import { Match, type Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { INGEST_MEMORY_MB } from '../../infra/constructs/signup-ingress';
import { LOG_RETENTION_DAYS, parseStackConfig, StackConfigError } from '../../shared/deployment/stack-config';
import { INGEST_ROUTES, routeKey } from '../../shared/http/routes';
import { actionsOf, logicalIdOf, roleOfFunction, statementsOfRole, synthStack } from '../helpers/synth';

const TOKEN_SECRET = { SecretString: '{"access_token":""}' };
const SOURCES_SECRET = { GenerateSecretString: Match.objectLike({ GenerateStringKey: 'api' }) };

let template: Template;
let queueId: string;
let deadLetterId: string;
let ingestId: string;
let syncId: string;

beforeAll(() => {
  template = synthStack().template;
  deadLetterId = logicalIdOf(template, 'AWS::SQS::Queue', { MessageRetentionPeriod: 1_209_600 });
  queueId = logicalIdOf(template, 'AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });
  ingestId = logicalIdOf(template, 'AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ SIGNUP_QUEUE_URL: Match.anyValue(), SOURCES_CONFIG: Match.anyValue() }) },
  });
  syncId = logicalIdOf(template, 'AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ BIGCOMMERCE_TOKEN_SECRET: Match.anyValue() }) } });
});

describe('queues', () => {
  it('encrypts both queues with SQS-managed keys and denies non-TLS access', () => {
    for (const id of [queueId, deadLetterId]) {
      expect(template.toJSON().Resources[id].Properties.SqsManagedSseEnabled).toBe(true);
    }
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    const denied = Object.values(policies).flatMap((policy) =>
      (
        policy as { Properties: { Queues: { Ref: string }[]; PolicyDocument: { Statement: { Effect: string; Condition?: unknown }[] } } }
      ).Properties.PolicyDocument.Statement.filter(
        (statement) => statement.Effect === 'Deny' && JSON.stringify(statement.Condition) === JSON.stringify({ Bool: { 'aws:SecureTransport': 'false' } }),
      ).length > 0
        ? (policy as { Properties: { Queues: { Ref: string }[] } }).Properties.Queues.map((queue) => queue.Ref)
        : [],
    );
    expect(denied.sort()).toEqual([queueId, deadLetterId].sort());
  });

  it('moves a message to the DLQ after 5 receives, and the DLQ keeps it 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [deadLetterId, 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(template.toJSON().Resources[deadLetterId].Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });

  it('sets the visibility timeout to 6 × the sync timeout, computed from the configuration', () => {
    const syncTimeout = template.toJSON().Resources[syncId].Properties.Timeout as number;
    expect(syncTimeout).toBe(30);
    expect(template.toJSON().Resources[queueId].Properties.VisibilityTimeout).toBe(6 * syncTimeout);
    const longer = synthStack({ syncTimeoutSeconds: 60, maxReceiveCount: 3 }).template;
    longer.hasResourceProperties('AWS::SQS::Queue', { VisibilityTimeout: 360, RedrivePolicy: Match.objectLike({ maxReceiveCount: 3 }) });
  });

  it('alarms as soon as one message is in the DLQ', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterId, 'QueueName'] } }],
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 1,
    });
  });
});

describe('stack configuration without aws-cdk-lib', () => {
  it('accepts exactly the log retentions CloudWatch Logs (and aws-cdk-lib) accept', () => {
    const cdkRetentions = Object.values(RetentionDays).filter((value): value is number => typeof value === 'number');
    expect([...LOG_RETENTION_DAYS].sort((a, b) => a - b)).toEqual(cdkRetentions.sort((a, b) => a - b));
  });

  it('warns at synth while cdk.json still holds the placeholder store hash, and only then', () => {
    const placeholder = synthStack();
    const real = synthStack({ storeHash: 'abc123' });
    expect(placeholder.synthOutput).toContain('signupSync.storeHash in cdk.json is the placeholder');
    expect(real.synthOutput).not.toContain('placeholder');
  });
});

describe('functions', () => {
  it.each([['ingest'], ['sync']])('runs %s on Node 22, arm64, with source maps', (which) => {
    const fn = template.toJSON().Resources[which === 'ingest' ? ingestId : syncId].Properties;
    expect(fn.Runtime).toBe('nodejs22.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it('gives the ingest the memory its cold answer was measured at, and the sync the default', () => {
    const resources = template.toJSON().Resources;
    // docs/benchmarks.md: the cold answer a person waits for is CPU-bound, and CPU comes with memory.
    expect(resources[ingestId].Properties.MemorySize).toBe(INGEST_MEMORY_MB);
    expect(resources[syncId].Properties.MemorySize).toBe(256);
  });

  it.each([['ingest'], ['sync']])('runs %s untraced by default (cdk.json `tracing`)', (which) => {
    const fn = template.toJSON().Resources[which === 'ingest' ? ingestId : syncId].Properties;
    expect(fn.TracingConfig).toBeUndefined();
    expect(fn.Environment.Variables.TRACING).toBe('off');
  });

  it('configures the sync from cdk.json context', () => {
    const variables = template.toJSON().Resources[syncId].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      BIGCOMMERCE_STORE_HASH: 'yourstorehash',
      BIGCOMMERCE_API_URL: 'https://api.bigcommerce.com',
      CONFLICT_POLICY: 'skip',
      SYNC_MAX_CONCURRENCY: '2',
      SIGNUP_QUEUE_URL: { Ref: queueId },
      DEAD_LETTER_QUEUE_URL: { Ref: deadLetterId },
    });
  });

  it('gives the ingest the DLQ for unmappable signups and the nameless policy, and the sync the subscribers switch', () => {
    const ingest = template.toJSON().Resources[ingestId].Properties.Environment.Variables;
    const sync = template.toJSON().Resources[syncId].Properties.Environment.Variables;
    expect(ingest).toMatchObject({ SIGNUP_QUEUE_URL: { Ref: queueId }, DEAD_LETTER_QUEUE_URL: { Ref: deadLetterId } });
    expect(JSON.parse(ingest.NAMELESS_POLICY)).toEqual({ nameless: 'subscriber' });
    expect(sync.SYNC_SUBSCRIBERS).toBe('true');
  });

  it('names the ingest function in the output IngestFunctionName, whose configuration `dlq redrive` reads', () => {
    template.hasOutput('IngestFunctionName', { Value: { Ref: ingestId } });
  });

  it('feeds the sync from the queue in batches of 10 with a window, partial batch responses and a concurrency cap', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: syncId },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
  });
});

const LOG_ACTIONS = ['logs:CreateLogStream', 'logs:PutLogEvents'];

/** The log group the function writes to (its LoggingConfig). */
const logGroupOf = (functionId: string): string => template.toJSON().Resources[functionId].Properties.LoggingConfig.LogGroup.Ref;

describe('least privilege', () => {
  it('lets the ingest send to the signups queue and the DLQ (unmappable signups), read the sources secret and use the delivery ledger, and nothing else', () => {
    const statements = statementsOfRole(template, roleOfFunction(template, ingestId));
    const sourcesSecretId = logicalIdOf(template, 'AWS::SecretsManager::Secret', SOURCES_SECRET);
    // CDK merges the two queues' identical grants into one statement with both ARNs.
    const on = (resource: unknown) =>
      actionsOf(statements.filter((statement) => [statement.Resource].flat().some((item) => JSON.stringify(item) === JSON.stringify(resource)))).sort();
    expect(on({ 'Fn::GetAtt': [queueId, 'Arn'] })).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort());
    expect(on({ 'Fn::GetAtt': [deadLetterId, 'Arn'] })).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort());
    expect(on({ Ref: sourcesSecretId })).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    // No wildcard at all: X-Ray's grant comes only with cdk.json `tracing` (test/infra/operations-monitoring.test.ts).
    expect(on('*')).toEqual([]);
    expect(on({ 'Fn::GetAtt': [logGroupOf(ingestId), 'Arn'] })).toEqual(LOG_ACTIONS);
    // + the delivery ledger's four item calls (test/infra/delivery-ledger.test.ts).
    expect(actionsOf(statements)).toHaveLength(7 + 4);
  });

  it("gives each function a role of its own that writes only to the function's log group (no managed policy)", () => {
    const roles = [ingestId, syncId].map((id) => roleOfFunction(template, id));
    expect(new Set(roles).size).toBe(2);
    for (const [index, functionId] of [ingestId, syncId].entries()) {
      const role = template.toJSON().Resources[roles[index]!].Properties;
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(role.AssumeRolePolicyDocument.Statement).toEqual([
        expect.objectContaining({ Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }),
      ]);
      const logStatements = statementsOfRole(template, roles[index]!).filter((statement) =>
        actionsOf([statement]).some((action) => action.startsWith('logs:')),
      );
      expect(logStatements.map((statement) => statement.Resource)).toEqual([{ 'Fn::GetAtt': [logGroupOf(functionId), 'Arn'] }]);
    }
    expect(logGroupOf(ingestId)).not.toBe(logGroupOf(syncId));
  });

  it('lets the sync read the token, consume the queue, send to the DLQ and use the consent table only', () => {
    const statements = statementsOfRole(template, roleOfFunction(template, syncId));
    const consentTableId = Object.keys(template.findResources('AWS::DynamoDB::Table')).find((id) => id.startsWith('ConsentEvidence'))!;
    const secretId = logicalIdOf(template, 'AWS::SecretsManager::Secret', TOKEN_SECRET);
    const on = (resource: unknown) => actionsOf(statements.filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify(resource))).sort();
    expect(on({ Ref: secretId })).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(on({ 'Fn::GetAtt': [deadLetterId, 'Arn'] })).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort());
    const onQueue = on({ 'Fn::GetAtt': [queueId, 'Arn'] });
    expect(onQueue).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']));
    expect(onQueue).not.toContain('sqs:SendMessage');
    expect(on('*')).toEqual([]);
    expect(on({ 'Fn::GetAtt': [logGroupOf(syncId), 'Arn'] })).toEqual(LOG_ACTIONS);
    // By key only: no Query or Scan (the operator's `consent` and `forget` query, with their own credentials).
    expect(actionsOf(statements.filter((statement) => JSON.stringify(statement.Resource).includes(consentTableId))).sort()).toEqual(
      ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort(),
    );
    // No other resources at all (the log-hash key is resolved at deploy time, not read at run time).
    expect(
      statements.every(
        (statement) =>
          statement.Resource === '*' ||
          [secretId, deadLetterId, queueId, logGroupOf(syncId), consentTableId].some((id) => JSON.stringify(statement.Resource).includes(id)),
      ),
    ).toBe(true);
  });

  it('gives no one else the token', () => {
    const secretId = logicalIdOf(template, 'AWS::SecretsManager::Secret', TOKEN_SECRET);
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy).includes(secretId));
    expect(readers).toHaveLength(1);
    expect(JSON.stringify(readers[0])).toContain(roleOfFunction(template, syncId));
  });

  it('lets only the ingest read the sources secret', () => {
    const secretId = logicalIdOf(template, 'AWS::SecretsManager::Secret', SOURCES_SECRET);
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy).includes(secretId));
    expect(readers).toHaveLength(1);
    expect(JSON.stringify(readers[0])).toContain(roleOfFunction(template, ingestId));
    expect(JSON.stringify(readers[0])).not.toContain(roleOfFunction(template, syncId));
  });
});

describe('token secret', () => {
  it('is created with a placeholder to fill in when none is imported', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: '{"access_token":""}' });
  });

  it('is imported by name or ARN instead of created', () => {
    const byName = synthStack({ tokenSecretName: 'prod/bigcommerce-token' }).template;
    expect(Object.keys(byName.findResources('AWS::SecretsManager::Secret', { Properties: TOKEN_SECRET }))).toHaveLength(0);
    expect(JSON.stringify(byName.toJSON())).toContain('secret:prod/bigcommerce-token-??????');
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bc-token-AbCdEf';
    const byArn = synthStack({ tokenSecretArn: arn }).template;
    expect(Object.keys(byArn.findResources('AWS::SecretsManager::Secret', { Properties: TOKEN_SECRET }))).toHaveLength(0);
    byArn.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ BIGCOMMERCE_TOKEN_SECRET: arn }) } });
  });
});

describe('sources secret', () => {
  it('is created with a generated "api" entry (POST /signups) to which the operator adds one entry per source', () => {
    const secret = template.toJSON().Resources[logicalIdOf(template, 'AWS::SecretsManager::Secret', SOURCES_SECRET)];
    expect(secret.Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{}',
      GenerateStringKey: 'api',
      PasswordLength: 48,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
    expect(secret.DeletionPolicy).toBe('Retain');
    const variables = template.toJSON().Resources[ingestId].Properties.Environment.Variables;
    expect(variables.SOURCES_SECRET).toEqual({ Ref: logicalIdOf(template, 'AWS::SecretsManager::Secret', SOURCES_SECRET) });
  });

  it('is imported by name or ARN instead of created, and still read by the ingest only', () => {
    const byName = synthStack({ sourcesSecretName: 'prod/signup-sources' }).template;
    expect(Object.keys(byName.findResources('AWS::SecretsManager::Secret', { Properties: SOURCES_SECRET }))).toHaveLength(0);
    expect(JSON.stringify(byName.toJSON())).toContain('secret:prod/signup-sources-??????');
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:signup-sources-AbCdEf';
    const byArn = synthStack({ sourcesSecretArn: arn }).template;
    expect(Object.keys(byArn.findResources('AWS::SecretsManager::Secret', { Properties: SOURCES_SECRET }))).toHaveLength(0);
    byArn.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SOURCES_SECRET: arn }) } });
    const readers = Object.values(byArn.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy).includes(arn));
    expect(readers).toHaveLength(1);
    expect(JSON.stringify(readers[0])).toContain('IngressIngestRole');
  });
});

describe('HTTP API', () => {
  it('has exactly the routes of the shared route table, all to the ingest function', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')) as { Properties: { RouteKey: string; Target: unknown } }[];
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(INGEST_ROUTES.map(routeKey).sort());
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(
      [
        'POST /signups',
        'POST /sources/{sourceId}',
        'GET /sources/{sourceId}',
        'OPTIONS /sources/{sourceId}',
        'GET /confirm/{token}',
        'POST /confirm/{token}',
      ].sort(),
    );
    const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
    expect(Object.keys(integrations)).toHaveLength(1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [ingestId, 'Arn'] },
    });
    const integrationId = Object.keys(integrations)[0]!;
    for (const route of routes) expect(JSON.stringify(route.Properties.Target)).toContain(integrationId);
  });

  it('answers OPTIONS in the function (no API-level CORS, which would bypass the per-source origin allow-list)', () => {
    const api = Object.values(template.findResources('AWS::ApiGatewayV2::Api'))[0] as { Properties: Record<string, unknown> };
    expect(api.Properties.CorsConfiguration).toBeUndefined();
  });

  it('throttles the stage and writes access logs without paths or query strings', () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as {
      Properties: { DefaultRouteSettings: unknown; AccessLogSettings: { Format: string } };
    };
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(Object.values(format).join(' ')).not.toMatch(/path|querystring/i);
  });
});

describe('sources configuration', () => {
  const form = {
    id: 'newsletter',
    kind: 'html-form',
    allowedOrigins: ['https://www.example.com'],
    thankYouUrl: 'https://www.example.com/thanks',
    errorUrl: 'https://www.example.com/oops',
    captcha: { provider: 'turnstile' },
  };

  it('passes the validated sources to the ingest as SOURCES_CONFIG', () => {
    const sources = [form, { id: 'kit', kind: 'kit', routeToken: 'kitroutetoken0123456', lastNamePolicy: { placeholder: '-' } }];
    const withSources = synthStack({ sources }).template;
    withSources.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SOURCES_CONFIG: JSON.stringify(sources) }) } });
    expect(template.toJSON().Resources[ingestId].Properties.Environment.Variables.SOURCES_CONFIG).toBe('[]');
  });

  it('refuses bad sources at synth, naming each source and field', () => {
    const bad = [
      { ...form, thankYouUrl: 'http://www.example.com/thanks' },
      { id: 'Bad Id', kind: 'typeform' },
      { id: 'x', kind: 'nope' },
    ];
    let message = '';
    try {
      parseStackConfig({ storeHash: 'abc', sources: bad });
    } catch (error) {
      expect(error).toBeInstanceOf(StackConfigError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/signupSync\.sources\[0\]\.thankYouUrl: must be an absolute https URL/);
    expect(message).toMatch(/signupSync\.sources\[1\]\.id: must be a URL-safe slug/);
    expect(message).toMatch(/signupSync\.sources\[2\]\.kind: kind must be one of/);
    expect(() => parseStackConfig({ storeHash: 'abc', sources: [form, form] })).toThrow(/signupSync\.sources\[1\]\.id: duplicate source id "newsletter"/);
  });

  it('reserves the id "api" for POST /signups, and refuses a list too big for a Lambda environment variable', () => {
    expect(() => parseStackConfig({ storeHash: 'abc', sources: [{ id: 'api', kind: 'typeform' }] })).toThrow(/sources\[0\]\.id: "api" is reserved/);
    const many = Array.from({ length: 40 }, (_, index) => ({
      id: `typeform-${index}`,
      kind: 'typeform',
      fieldMap: { first_name_ref: 'first_name', last_name_ref: 'last_name' },
    }));
    expect(() => parseStackConfig({ storeHash: 'abc', sources: many })).toThrow(/signupSync\.sources: takes \d+ bytes .* SOURCES_CONFIG/);
    expect(() => parseStackConfig({ storeHash: 'abc', sourcesSecretName: 'a', sourcesSecretArn: 'arn:x' })).toThrow(/not both/);
  });
});

describe('configuration', () => {
  it('refuses bad settings at synth with a message naming each field', () => {
    expect(() => parseStackConfig({ storeHash: 'not a hash!', maxConcurrency: 1 })).toThrow(StackConfigError);
    expect(() => parseStackConfig({ storeHash: 'not a hash!', maxConcurrency: 1 })).toThrow(
      /signupSync\.storeHash: .*store hash[\s\S]*signupSync\.maxConcurrency/,
    );
    expect(() => parseStackConfig({ storeHash: 'abc', tokenSecretName: 'a', tokenSecretArn: 'arn:x' })).toThrow(/not both/);
    expect(() => parseStackConfig({})).toThrow(/signupSync\.storeHash/);
  });
});
