/**
 * Walks a synthesized template the way AWS authorizes an alarm notification: alarm -> action (SNS topic)
 * -> the topic's resource policy must Allow cloudwatch.amazonaws.com to sns:Publish for this alarm, and,
 * when the topic is KMS-encrypted, the key policy must let CloudWatch use the key for this alarm.
 * Intrinsics are resolved with fixed pseudo parameters so conditions can be compared with alarm ARNs.
 */
type Json = unknown;
type Resource = { Type: string; Properties?: Record<string, Json> };
type Statement = { Effect: string; Principal?: Json; Action: string | string[]; Resource?: Json; Condition?: Record<string, Record<string, Json>> };

const PSEUDO: Record<string, string> = {
  'AWS::StackName': 'SignupSync',
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'us-east-1',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

function resolve(value: Json, resources: Record<string, Resource>): Json {
  if (Array.isArray(value)) return value.map((item) => resolve(item, resources));
  if (value === null || typeof value !== 'object') return value;
  const object = value as Record<string, Json>;
  if ('Ref' in object) {
    const name = String(object['Ref']);
    return PSEUDO[name] ?? `ref:${name}`;
  }
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, Json[]];
    return (resolve(parts, resources) as Json[]).map(String).join(separator);
  }
  if ('Fn::GetAtt' in object) {
    const [id, attribute] = object['Fn::GetAtt'] as [string, string];
    return `getatt:${id}.${attribute}`;
  }
  return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, resolve(inner, resources)]));
}

const list = (value: Json): Json[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function actionAllows(statement: Statement, wanted: string): boolean {
  return list(statement.Action).some((action) => {
    const pattern = new RegExp(
      `^${String(action)
        .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')}$`,
      'i',
    );
    return pattern.test(wanted);
  });
}

function globMatches(pattern: string, value: string): boolean {
  return new RegExp(
    `^${pattern
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  ).test(value);
}

/** Whether every condition of the statement holds for a request from this alarm (operators used here only). */
function conditionsHold(statement: Statement, context: Record<string, string>): boolean {
  for (const [operator, entries] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(entries)) {
      const actual = context[key];
      if (actual === undefined) return false;
      const values = list(expected).map(String);
      if (operator === 'StringEquals' || operator === 'ArnEquals') {
        if (!values.includes(actual)) return false;
      } else if (operator === 'ArnLike' || operator === 'StringLike') {
        if (!values.some((pattern) => globMatches(pattern, actual))) return false;
      } else if (operator === 'Bool') {
        if (!values.includes(actual)) return false;
      } else {
        return false; // an operator this walker does not know cannot be assumed to allow
      }
    }
  }
  return true;
}

function allowsCloudWatch(statements: Statement[], action: string, resource: string, context: Record<string, string>): boolean {
  const fromCloudWatch = (statement: Statement) =>
    list((statement.Principal as { Service?: Json } | undefined)?.Service).includes('cloudwatch.amazonaws.com') || statement.Principal === '*';
  const covers = (statement: Statement) => list(statement.Resource).some((pattern) => globMatches(String(pattern), resource));
  const applies = (statement: Statement) =>
    fromCloudWatch(statement) && actionAllows(statement, action) && covers(statement) && conditionsHold(statement, context);
  if (statements.some((statement) => statement.Effect === 'Deny' && applies(statement))) return false;
  return statements.some((statement) => statement.Effect === 'Allow' && applies(statement));
}

/** One line per alarm action that AWS would refuse; empty when every alarm can notify every target. */
export function undeliverableAlarmActions(templateJson: { Resources: Record<string, Resource> }): string[] {
  const resources = templateJson.Resources;
  const problems: string[] = [];
  const alarms = Object.entries(resources).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm');
  for (const [alarmId, alarm] of alarms) {
    const properties = (alarm.Properties ?? {}) as Record<string, Json>;
    const name = resolve(properties['AlarmName'], resources);
    if (typeof name !== 'string') {
      problems.push(`${alarmId}: has no predictable name, so no policy can name its ARN`);
      continue;
    }
    const arn = `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`;
    // A request from CloudWatch carries these keys; aws:SecureTransport is true (it publishes over TLS).
    const context = { 'aws:SourceArn': arn, 'aws:SourceAccount': '123456789012', 'aws:SecureTransport': 'true' };
    const actions = [...list(properties['AlarmActions']), ...list(properties['OKActions']), ...list(properties['InsufficientDataActions'])];
    if (actions.length === 0) problems.push(`${alarmId}: has no action, so nobody hears it`);
    for (const action of actions) {
      const topicId = (action as { Ref?: string }).Ref;
      const topic = topicId ? resources[topicId] : undefined;
      if (!topicId || topic?.Type !== 'AWS::SNS::Topic') {
        problems.push(`${alarmId}: action ${JSON.stringify(action)} is not a topic of this stack`);
        continue;
      }
      const topicArn = `ref:${topicId}`;
      const policies = Object.values(resources).filter(
        (resource) =>
          resource.Type === 'AWS::SNS::TopicPolicy' && list(resource.Properties?.['Topics']).some((ref) => (ref as { Ref?: string }).Ref === topicId),
      );
      const statements = policies.flatMap(
        (policy) => resolve((policy.Properties?.['PolicyDocument'] as { Statement: Json } | undefined)?.Statement ?? [], resources) as Statement[],
      );
      // With no topic policy SNS's default lets only the owner account publish, which excludes CloudWatch.
      if (!allowsCloudWatch(statements, 'sns:Publish', topicArn, context))
        problems.push(`${alarmId}: topic ${topicId}'s policy does not let CloudWatch publish for this alarm`);
      const keyRef = topic.Properties?.['KmsMasterKeyId'];
      if (keyRef === undefined) continue;
      const keyId = (keyRef as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];
      const key = keyId ? resources[keyId] : undefined;
      if (!keyId || key?.Type !== 'AWS::KMS::Key') {
        problems.push(`${alarmId}: topic ${topicId} is encrypted with a key outside this stack (or the AWS-managed key), which CloudWatch cannot use`);
        continue;
      }
      const keyStatements = resolve((key.Properties?.['KeyPolicy'] as { Statement: Json } | undefined)?.Statement ?? [], resources) as Statement[];
      for (const kmsAction of ['kms:Decrypt', 'kms:GenerateDataKey']) {
        if (!allowsCloudWatch(keyStatements, kmsAction, `getatt:${keyId}.Arn`, context) && !allowsCloudWatch(keyStatements, kmsAction, '*', context)) {
          problems.push(`${alarmId}: key ${keyId}'s policy does not allow CloudWatch ${kmsAction} for this alarm`);
        }
      }
    }
  }
  return problems;
}
