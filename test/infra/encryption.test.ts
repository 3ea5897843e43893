import type { Template } from 'aws-cdk-lib/assertions';
import { synthStack } from '../helpers/synth';
import { undeliverableAlarmActions } from './alarm-delivery';

/**
 * The `encryption` setting (infra/constructs/data-encryption.ts, docs/security.md "Encryption"): by
 * default the stack creates no KMS key at all; `customer-managed` creates ONE, rotated, and every store
 * of data uses it: both queues, the delivery ledger, the secrets the stack creates, the three log groups,
 * both functions' environment variables and the alarm topic. cdk-nag runs on both (test/infra/cdk-nag.test.ts),
 * cfn-lint and checkov on both templates (test/infra/check-template.sh).
 */

type Resource = { Type: string; Properties: Record<string, unknown> };
const resourcesOf = (template: Template) => template.toJSON().Resources as Record<string, Resource>;
const ofType = (template: Template, type: string) => Object.entries(resourcesOf(template)).filter(([, resource]) => resource.Type === type);

/** The property that names a resource's KMS key, per type. */
const KEY_PROPERTY: Readonly<Record<string, (properties: Record<string, unknown>) => unknown>> = {
  'AWS::SQS::Queue': (properties) => properties['KmsMasterKeyId'],
  'AWS::DynamoDB::Table': (properties) => (properties['SSESpecification'] as { KMSMasterKeyId?: unknown } | undefined)?.KMSMasterKeyId,
  'AWS::SecretsManager::Secret': (properties) => properties['KmsKeyId'],
  'AWS::Logs::LogGroup': (properties) => properties['KmsKeyId'],
  'AWS::Lambda::Function': (properties) => properties['KmsKeyArn'],
  'AWS::SNS::Topic': (properties) => properties['KmsMasterKeyId'],
};

/** Every resource of those types with the key it names (undefined: none). */
function keysByResource(template: Template): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(resourcesOf(template))
      .filter(([, resource]) => resource.Type in KEY_PROPERTY)
      .map(([id, resource]) => [`${resource.Type} ${id}`, KEY_PROPERTY[resource.Type]!(resource.Properties)]),
  );
}

describe('encryption: "aws-managed" (the default)', () => {
  let template: Template;
  beforeAll(() => {
    template = synthStack().template;
  });

  it('creates no KMS key and names none: each service encrypts with its own key', () => {
    expect(ofType(template, 'AWS::KMS::Key')).toEqual([]);
    expect(Object.values(keysByResource(template)).filter((key) => key !== undefined)).toEqual([]);
    for (const [, queue] of ofType(template, 'AWS::SQS::Queue')) expect(queue.Properties['SqsManagedSseEnabled']).toBe(true);
    for (const [, table] of ofType(template, 'AWS::DynamoDB::Table')) expect(table.Properties['SSESpecification']).toEqual({ SSEEnabled: true });
  });

  it('leaves the alarm topic unencrypted (alarm names and states only), and every alarm can still notify it', () => {
    const [[, topic]] = ofType(template, 'AWS::SNS::Topic') as [[string, Resource]];
    expect(topic.Properties['KmsMasterKeyId']).toBeUndefined();
    expect(undeliverableAlarmActions(JSON.parse(JSON.stringify(template.toJSON())))).toEqual([]);
  });
});

describe('encryption: "customer-managed"', () => {
  let template: Template;
  let keyId: string;
  beforeAll(() => {
    template = synthStack({ encryption: 'customer-managed', alarmEmail: 'ops@example.com' }).template;
    keyId = ofType(template, 'AWS::KMS::Key')[0]![0];
  });

  it('creates exactly one key, with yearly rotation', () => {
    const keys = ofType(template, 'AWS::KMS::Key');
    expect(keys).toHaveLength(1);
    expect(keys[0]![1].Properties['EnableKeyRotation']).toBe(true);
  });

  it('puts that key on both queues, the ledger, the created secrets, the log groups, both functions and the alarm topic', () => {
    const named = keysByResource(template);
    expect(
      Object.keys(named)
        .map((entry) => entry.split(' ')[0])
        .sort(),
    ).toEqual(
      [
        'AWS::SQS::Queue',
        'AWS::SQS::Queue',
        'AWS::DynamoDB::Table',
        'AWS::SecretsManager::Secret',
        'AWS::SecretsManager::Secret',
        'AWS::SecretsManager::Secret',
        'AWS::Logs::LogGroup',
        'AWS::Logs::LogGroup',
        'AWS::Logs::LogGroup',
        'AWS::Lambda::Function',
        'AWS::Lambda::Function',
        'AWS::SNS::Topic',
      ].sort(),
    );
    for (const [resource, key] of Object.entries(named)) expect([resource, key]).toEqual([resource, { 'Fn::GetAtt': [keyId, 'Arn'] }]);
  });

  it("lets CloudWatch Logs use the key for this account's log groups only", () => {
    const statements = (resourcesOf(template)[keyId]!.Properties['KeyPolicy'] as { Statement: Record<string, unknown>[] }).Statement;
    const logs = statements.find((statement) => JSON.stringify(statement['Principal']).includes('logs.'));
    expect(logs).toMatchObject({
      Effect: 'Allow',
      Action: expect.arrayContaining(['kms:Encrypt*', 'kms:Decrypt*', 'kms:GenerateDataKey*']),
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': expect.anything() } },
    });
    expect(JSON.stringify(logs!['Condition'])).toContain(':log-group:*');
  });

  it('still lets every alarm notify the encrypted topic (topic policy and key policy walked)', () => {
    expect(undeliverableAlarmActions(JSON.parse(JSON.stringify(template.toJSON())))).toEqual([]);
  });

  it("gives each function's role decrypt on the key (environment variables, secrets, queue messages)", () => {
    const policies = ofType(template, 'AWS::IAM::Policy').map(([, policy]) => policy.Properties['PolicyDocument'] as { Statement: Record<string, unknown>[] });
    const decrypting = policies.filter((document) =>
      document.Statement.some(
        (statement) =>
          [statement['Action']].flat().includes('kms:Decrypt') && JSON.stringify(statement['Resource']) === JSON.stringify({ 'Fn::GetAtt': [keyId, 'Arn'] }),
      ),
    );
    expect(decrypting).toHaveLength(2);
  });

  it('does not re-key imported secrets (their own key stays theirs), and still keys the rest', () => {
    const { template: imported } = synthStack({ encryption: 'customer-managed', tokenSecretName: 'signup-sync/t', sourcesSecretName: 'signup-sync/s' });
    expect(ofType(imported, 'AWS::SecretsManager::Secret')).toHaveLength(1);
    expect(ofType(imported, 'AWS::KMS::Key')).toHaveLength(1);
  });

  it('refuses an unknown setting at synth, naming it', () => {
    expect(() => synthStack({ encryption: 'kms' })).toThrow(/signupSync\.encryption: must be one of aws-managed, customer-managed/);
  });
});
