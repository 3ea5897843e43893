import { Match, type Template } from 'aws-cdk-lib/assertions';
import { parseStackConfig, StackConfigError } from '../../infra/stack-config';
import { actionsOf, logicalIdOf, roleOfFunction, statementsOfRole, synthStack } from '../helpers/synth';

let template: Template;
let queueId: string;
let deadLetterId: string;
let ingestId: string;
let syncId: string;

beforeAll(() => {
  template = synthStack().template;
  deadLetterId = logicalIdOf(template, 'AWS::SQS::Queue', { MessageRetentionPeriod: 1_209_600 });
  queueId = logicalIdOf(template, 'AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });
  ingestId = logicalIdOf(template, 'AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SIGNUP_QUEUE_URL: Match.anyValue(), DEAD_LETTER_QUEUE_URL: Match.absent() }) } });
  syncId = logicalIdOf(template, 'AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ DEAD_LETTER_QUEUE_URL: Match.anyValue() }) } });
});

describe('queues', () => {
  it('encrypts both queues with SQS-managed keys and denies non-TLS access', () => {
    for (const id of [queueId, deadLetterId]) {
      expect(template.toJSON().Resources[id].Properties.SqsManagedSseEnabled).toBe(true);
    }
    const policies = template.findResources('AWS::SQS::QueuePolicy');
    const denied = Object.values(policies).flatMap((policy) =>
      (policy as { Properties: { Queues: { Ref: string }[]; PolicyDocument: { Statement: { Effect: string; Condition?: unknown }[] } } }).Properties.PolicyDocument.Statement.filter(
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

describe('functions', () => {
  it.each([['ingest'], ['sync']])('runs %s on Node 22, arm64, with source maps', (which) => {
    const fn = template.toJSON().Resources[which === 'ingest' ? ingestId : syncId].Properties;
    expect(fn.Runtime).toBe('nodejs22.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
  });

  it('configures the sync from cdk.json context', () => {
    const variables = template.toJSON().Resources[syncId].Properties.Environment.Variables;
    expect(variables).toMatchObject({
      BIGCOMMERCE_STORE_HASH: 'yourstorehash',
      BIGCOMMERCE_API_URL: 'https://api.bigcommerce.com',
      CONFLICT_POLICY: 'skip',
      SIGNUP_QUEUE_URL: { Ref: queueId },
      DEAD_LETTER_QUEUE_URL: { Ref: deadLetterId },
    });
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

describe('least privilege', () => {
  it('lets only the ingest send to the signups queue, and nothing else', () => {
    const statements = statementsOfRole(template, roleOfFunction(template, ingestId));
    expect(actionsOf(statements).sort()).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort());
    expect(statements.every((statement) => JSON.stringify(statement.Resource) === JSON.stringify({ 'Fn::GetAtt': [queueId, 'Arn'] }))).toBe(true);
  });

  it('lets the sync read the token, consume the queue and send to the DLQ only', () => {
    const statements = statementsOfRole(template, roleOfFunction(template, syncId));
    const secretId = logicalIdOf(template, 'AWS::SecretsManager::Secret');
    const on = (resource: unknown) => actionsOf(statements.filter((statement) => JSON.stringify(statement.Resource) === JSON.stringify(resource))).sort();
    expect(on({ Ref: secretId })).toEqual(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(on({ 'Fn::GetAtt': [deadLetterId, 'Arn'] })).toEqual(['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'].sort());
    const onQueue = on({ 'Fn::GetAtt': [queueId, 'Arn'] });
    expect(onQueue).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']));
    expect(onQueue).not.toContain('sqs:SendMessage');
    // No other resources at all.
    expect(statements.every((statement) => [secretId, deadLetterId, queueId].some((id) => JSON.stringify(statement.Resource).includes(id)))).toBe(true);
  });

  it('gives no one else the token', () => {
    const secretId = logicalIdOf(template, 'AWS::SecretsManager::Secret');
    const readers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy).includes(secretId));
    expect(readers).toHaveLength(1);
    expect(JSON.stringify(readers[0])).toContain(roleOfFunction(template, syncId));
  });
});

describe('token secret', () => {
  it('is created with a placeholder to fill in when none is imported', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { SecretString: '{"access_token":""}' });
  });

  it('is imported by name or ARN instead of created', () => {
    const byName = synthStack({ tokenSecretName: 'prod/bigcommerce-token' }).template;
    byName.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(JSON.stringify(byName.toJSON())).toContain('secret:prod/bigcommerce-token-??????');
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bc-token-AbCdEf';
    const byArn = synthStack({ tokenSecretArn: arn }).template;
    byArn.resourceCountIs('AWS::SecretsManager::Secret', 0);
    byArn.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ BIGCOMMERCE_TOKEN_SECRET: arn }) } });
  });
});

describe('HTTP API', () => {
  it('routes POST /signups to the ingest function', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'POST /signups' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [ingestId, 'Arn'] },
    });
  });

  it('throttles the stage and writes access logs without paths or query strings', () => {
    const stage = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'))[0] as { Properties: { DefaultRouteSettings: unknown; AccessLogSettings: { Format: string } } };
    expect(stage.Properties.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(Object.values(format).join(' ')).not.toMatch(/path|querystring/i);
  });
});

describe('configuration', () => {
  it('refuses bad settings at synth with a message naming each field', () => {
    expect(() => parseStackConfig({ storeHash: 'not a hash!', maxConcurrency: 1 })).toThrow(StackConfigError);
    expect(() => parseStackConfig({ storeHash: 'not a hash!', maxConcurrency: 1 })).toThrow(/signupSync\.storeHash: .*store hash[\s\S]*signupSync\.maxConcurrency/);
    expect(() => parseStackConfig({ storeHash: 'abc', tokenSecretName: 'a', tokenSecretArn: 'arn:x' })).toThrow(/not both/);
    expect(() => parseStackConfig({})).toThrow(/signupSync\.storeHash/);
  });
});
