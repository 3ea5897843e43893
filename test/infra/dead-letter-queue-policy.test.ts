import { Match, type Template } from 'aws-cdk-lib/assertions';
import { logicalIdOf, roleOfFunction, synthStack } from '../helpers/synth';

/**
 * The DLQ's queue policy (infra/constructs/signup-queues.ts restrictDeadLetterSenders), read from the
 * synthesized template and evaluated the way IAM evaluates an explicit Deny: for each caller, is
 * sqs:SendMessage (or another action) on the DLQ denied whatever IAM allows? Only the ingest and sync
 * roles may send; everyone else is refused, the account root included, whose administration of the
 * queue (its policy, its attributes, a purge) stays open.
 */

type Statement = {
  Sid?: string;
  Effect: string;
  Principal?: unknown;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const ACCOUNT = '123456789012';
let template: Template;
let deadLetterId: string;
let queueId: string;
let ingestRole: string;
let syncRole: string;

beforeAll(() => {
  template = synthStack().template;
  deadLetterId = logicalIdOf(template, 'AWS::SQS::Queue', { MessageRetentionPeriod: 1_209_600 });
  queueId = logicalIdOf(template, 'AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });
  ingestRole = roleOfFunction(
    template,
    logicalIdOf(template, 'AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ SOURCES_CONFIG: Match.anyValue() }) } }),
  );
  syncRole = roleOfFunction(
    template,
    logicalIdOf(template, 'AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ BIGCOMMERCE_TOKEN_SECRET: Match.anyValue() }) } }),
  );
});

/** `{ "Fn::GetAtt": [id, "Arn"] }` as the stand-in ARN `arn:<id>`; other values as they are. */
const arnOf = (value: unknown): string => {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  return getAtt ? `arn:${getAtt[0]}` : String(value);
};
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

function deadLetterStatements(): Statement[] {
  const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')) as {
    Properties: { Queues: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } };
  }[];
  return policies
    .filter((policy) => policy.Properties.Queues.some((queue) => queue.Ref === deadLetterId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
}

type Caller = Readonly<{ principalArn?: string; service?: boolean; sourceArn?: string; secureTransport?: boolean }>;

/** Whether an explicit Deny of the DLQ's policy applies to this caller and action (the operators these statements use). */
function denied(action: string, caller: Caller): boolean {
  const context: Record<string, string | undefined> = {
    'aws:PrincipalArn': caller.principalArn,
    'aws:PrincipalIsAWSService': String(caller.service === true),
    'aws:SourceArn': caller.sourceArn,
    'aws:SecureTransport': String(caller.secureTransport ?? true),
  };
  return deadLetterStatements().some((statement) => {
    if (statement.Effect !== 'Deny') return false;
    const actions = list(statement.Action).map(String);
    if (!actions.some((pattern) => pattern === 'sqs:*' || pattern === action)) return false;
    return Object.entries(statement.Condition ?? {}).every(([operator, entries]) =>
      Object.entries(entries).every(([key, expected]) => {
        const actual = context[key];
        const values = list(expected).map(arnOf);
        if (operator === 'Bool') return actual !== undefined && values.includes(actual);
        // A negated operator holds when the key is absent (IAM's rule), so a Deny keyed on it applies.
        if (operator === 'ArnNotEquals') return actual === undefined || !values.includes(actual);
        throw new Error(`this evaluator does not know ${operator}`);
      }),
    );
  });
}

describe("the dead-letter queue's policy", () => {
  it('lets the ingest and the sync send dead letters', () => {
    expect(denied('sqs:SendMessage', { principalArn: `arn:${ingestRole}` })).toBe(false);
    expect(denied('sqs:SendMessage', { principalArn: `arn:${syncRole}` })).toBe(false);
  });

  it("refuses SendMessage to any other principal of the account, an operator's role and the root user included", () => {
    expect(denied('sqs:SendMessage', { principalArn: `arn:aws:iam::${ACCOUNT}:role/Operator` })).toBe(true);
    expect(denied('sqs:SendMessage', { principalArn: `arn:aws:iam::${ACCOUNT}:root` })).toBe(true);
    expect(denied('sqs:SendMessage', { principalArn: 'arn:aws:iam::999999999999:role/Elsewhere' })).toBe(true);
  });

  it('refuses an AWS service acting for anything but the signups queue, and does not stand in the way of SQS redrive from it', () => {
    expect(denied('sqs:SendMessage', { service: true, sourceArn: `arn:${queueId}` })).toBe(false);
    expect(denied('sqs:SendMessage', { service: true, sourceArn: 'arn:aws:sns:us-east-1:123456789012:other' })).toBe(true);
    expect(denied('sqs:SendMessage', { service: true })).toBe(true);
  });

  it("leaves the account's administration and the operator's reads open: only SendMessage is denied", () => {
    const root = { principalArn: `arn:aws:iam::${ACCOUNT}:root` };
    for (const action of [
      'sqs:SetQueueAttributes',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:PurgeQueue',
      'sqs:StartMessageMoveTask',
    ])
      expect(denied(action, root)).toBe(false);
    expect(denied('sqs:ReceiveMessage', { ...root, secureTransport: false })).toBe(true);
  });

  it('names exactly the two function roles, and the signups queue for services', () => {
    const statements = deadLetterStatements().filter((statement) => statement.Effect === 'Deny' && list(statement.Action).includes('sqs:SendMessage'));
    expect(statements.map((statement) => statement.Sid).sort()).toEqual(['OnlyTheSignupsQueueForServices', 'OnlyTheStacksFunctionsSendDeadLetters']);
    const functions = statements.find((statement) => statement.Sid === 'OnlyTheStacksFunctionsSendDeadLetters')!;
    expect(list(functions.Condition!['ArnNotEquals']!['aws:PrincipalArn']).map(arnOf).sort()).toEqual([`arn:${ingestRole}`, `arn:${syncRole}`].sort());
    expect(functions.Principal).toEqual({ AWS: '*' });
  });

  it('keeps the same rules with a customer-managed key', () => {
    const { template: encrypted } = synthStack({ encryption: 'customer-managed' });
    const policies = Object.values(encrypted.findResources('AWS::SQS::QueuePolicy')) as { Properties: { PolicyDocument: { Statement: Statement[] } } }[];
    const sids = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement.map((statement) => statement.Sid)).filter(Boolean);
    expect(sids).toEqual(expect.arrayContaining(['OnlyTheStacksFunctionsSendDeadLetters', 'OnlyTheSignupsQueueForServices']));
  });
});
