import { Match, type Template } from 'aws-cdk-lib/assertions';
import { METRICS_NAMESPACE, Metric, SERVICE } from '../../shared/observability/metric-names';
import { logicalIdOf, synthStack } from '../helpers/synth';
import { undeliverableAlarmActions } from './alarm-delivery';

let template: Template;
let topicId: string;

beforeAll(() => {
  template = synthStack({ alarmEmail: 'ops@example.com' }).template;
  topicId = logicalIdOf(template, 'AWS::SNS::Topic');
});

type AlarmProps = Record<string, unknown> & { AlarmActions: unknown[]; OKActions: unknown[] };

function alarmWith(match: Record<string, unknown>): AlarmProps {
  const found = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: Match.objectLike(match) }));
  expect(found).toHaveLength(1);
  return (found[0] as { Properties: AlarmProps }).Properties;
}

const toTopic = [{ Ref: expect.any(String) }];

describe('alarm delivery', () => {
  type TemplateJson = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  const copy = (): TemplateJson => JSON.parse(JSON.stringify(template.toJSON())) as TemplateJson;

  it('lets every alarm of the template notify every topic it names (topic policy and key policy walked from the template)', () => {
    expect(Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length).toBeGreaterThanOrEqual(6);
    expect(undeliverableAlarmActions(copy())).toEqual([]);
  });

  it('finds the alarms that could not deliver when the topic policy holds only the TLS Deny (the old template)', () => {
    const broken = copy();
    for (const resource of Object.values(broken.Resources)) {
      if (resource.Type !== 'AWS::SNS::TopicPolicy') continue;
      const document = resource.Properties['PolicyDocument'] as { Statement: { Effect: string }[] };
      document.Statement = document.Statement.filter((statement) => statement.Effect === 'Deny');
    }
    const problems = undeliverableAlarmActions(broken);
    expect(problems.length).toBe(2 * Object.keys(template.findResources('AWS::CloudWatch::Alarm')).length);
    expect(problems[0]).toMatch(/policy does not let CloudWatch publish/);
  });

  it('finds the alarms that could not deliver when the key policy does not name them (encryption: customer-managed)', () => {
    const encrypted = synthStack({ encryption: 'customer-managed', alarmEmail: 'ops@example.com' }).template;
    const broken = JSON.parse(JSON.stringify(encrypted.toJSON())) as TemplateJson;
    expect(undeliverableAlarmActions(JSON.parse(JSON.stringify(broken)))).toEqual([]);
    for (const resource of Object.values(broken.Resources)) {
      if (resource.Type !== 'AWS::KMS::Key') continue;
      const document = resource.Properties['KeyPolicy'] as { Statement: { Condition?: { ArnLike?: Record<string, unknown> } }[] };
      for (const statement of document.Statement)
        if (statement.Condition?.ArnLike) statement.Condition.ArnLike['aws:SourceArn'] = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:other-*';
    }
    expect(undeliverableAlarmActions(broken).some((problem) => /key .* does not allow CloudWatch kms:Decrypt/.test(problem))).toBe(true);
  });

  it('grants CloudWatch only for this account and the alarms of this stack', () => {
    const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0] as {
      Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } };
    };
    const allow = policy.Properties.PolicyDocument.Statement.find((statement) => statement['Effect'] === 'Allow');
    expect(allow).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  it('subscribes the configured alarm email to the topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } });
  });
});

describe('alarms', () => {
  it.each([
    ['DLQ not empty', { MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS' }, 0, 'GreaterThanThreshold', 1],
    ['oldest signup older than 15 minutes', { MetricName: 'ApproximateAgeOfOldestMessage', Namespace: 'AWS/SQS' }, 900, 'GreaterThanThreshold', 1],
    ['sync errors', { MetricName: 'Errors', Namespace: 'AWS/Lambda' }, 1, 'GreaterThanOrEqualToThreshold', 1],
    [
      'sustained 401/403',
      { MetricName: Metric.BigCommerceAuthFailures, Namespace: METRICS_NAMESPACE, Dimensions: [{ Name: 'service', Value: SERVICE.sync }] },
      1,
      'GreaterThanOrEqualToThreshold',
      3,
    ],
    [
      'sustained 429',
      { MetricName: Metric.BigCommerceRateLimited, Namespace: METRICS_NAMESPACE, Dimensions: [{ Name: 'service', Value: SERVICE.sync }] },
      10,
      'GreaterThanOrEqualToThreshold',
      3,
    ],
    [
      'ingest 503s',
      { MetricName: Metric.QueueUnavailable, Namespace: METRICS_NAMESPACE, Dimensions: [{ Name: 'service', Value: SERVICE.ingest }] },
      1,
      'GreaterThanOrEqualToThreshold',
      1,
    ],
  ])('%s: watches the right metric with its threshold and notifies the topic', (_name, metric, threshold, operator, periods) => {
    const alarm = alarmWith(metric);
    expect(alarm).toMatchObject({ Threshold: threshold, ComparisonOperator: operator, EvaluationPeriods: periods, TreatMissingData: 'notBreaching' });
    expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(alarm.OKActions).toEqual(toTopic);
    expect(String(alarm['AlarmDescription']).length).toBeGreaterThan(40);
  });

  it('points the DLQ and age alarms at the right queues', () => {
    const deadLetterId = logicalIdOf(template, 'AWS::SQS::Queue', { MessageRetentionPeriod: 1_209_600 });
    const queueId = logicalIdOf(template, 'AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });
    expect(alarmWith({ MetricName: 'ApproximateNumberOfMessagesVisible' })['Dimensions']).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [deadLetterId, 'QueueName'] } },
    ]);
    expect(alarmWith({ MetricName: 'ApproximateAgeOfOldestMessage' })['Dimensions']).toEqual([
      { Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } },
    ]);
  });

  it('takes the age threshold and the 429 threshold from the configuration', () => {
    const custom = synthStack({ maxSignupAgeMinutes: 60, rateLimitedAlarmThreshold: 50 }).template;
    custom.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 3600 });
    custom.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: Metric.BigCommerceRateLimited, Threshold: 50 });
    custom.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('alarm topic', () => {
  it('is TLS only, with the e-mail subscription, and unencrypted by default: it carries alarm names and states, no personal data', () => {
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toEqual([]);
    expect((template.toJSON().Resources[topicId] as { Properties: Record<string, unknown> }).Properties['KmsMasterKeyId']).toBeUndefined();
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } });
  });

  it('is encrypted with the stack key under encryption: customer-managed, whose policy lets CloudWatch use it', () => {
    const encrypted = synthStack({ encryption: 'customer-managed', alarmEmail: 'ops@example.com' }).template;
    const keyId = logicalIdOf(encrypted, 'AWS::KMS::Key');
    encrypted.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    encrypted.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]),
      },
    });
  });
});

describe('dashboard', () => {
  it('shows the alarms and the key metrics', () => {
    const dashboard = Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0] as { Properties: { DashboardBody: unknown } };
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const title of [
      'Alarms',
      'Signups in (ingest)',
      'Outcomes (sync)',
      'BigCommerce requests',
      'Requests per customer',
      'Batch size',
      'Receipt to customer',
      'Queues',
      'Functions',
    ]) {
      expect(body).toContain(title);
    }
    for (const metric of [
      Metric.SignupsAccepted,
      Metric.SignupsRefused,
      Metric.SignupsUnmappable,
      Metric.SignupsIncomplete,
      Metric.EventsIgnored,
      Metric.CustomersCreated,
      Metric.CustomersExisted,
      Metric.CustomersUpdated,
      Metric.SignupsDeadLettered,
      Metric.SignupsDeferred,
      Metric.BigCommerceRequests,
      Metric.BigCommerceRateLimited,
      Metric.RequestsPerCustomer,
      Metric.BatchSize,
      Metric.ReceiptToCustomer,
      Metric.TokenRefreshes,
    ]) {
      expect(body).toContain(metric);
    }
  });
});

describe('ignored signups and events', () => {
  it('are counted on the dashboard but raise no alarm', () => {
    // Assert: no alarm is built on either metric (they are the merchant's choice, or not signups at all)
    const alarms = JSON.stringify(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms).not.toContain(Metric.SignupsIncomplete);
    expect(alarms).not.toContain(Metric.EventsIgnored);
  });
});

describe('functions', () => {
  it('trace both functions with X-Ray', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs22.x' } }));
    expect(functions).toHaveLength(2);
    for (const fn of functions) expect((fn as { Properties: { TracingConfig: unknown } }).Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('hands the sync its log-hash key as a deploy-time secret reference, not a value', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ LOG_HASH_KEY: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^\\{\\{resolve:secretsmanager:')])] } }),
      },
    });
  });
});
