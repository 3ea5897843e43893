import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { CreateEventSourceMappingCommand, CreateFunctionCommand, LambdaClient, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../local/bigcommerce-sandbox';
import { runDoctor } from '../../ops/doctor';
import {
  type AwsClients,
  checkAlarmSubscriptions,
  checkAlarms,
  checkDeadLetterDepth,
  checkEventSourceMapping,
  checkQueues,
  checkSourceSecrets,
  checkTokenSecret,
} from '../../ops/doctor/aws-checks';
import { checkCaptchaSecrets } from '../../ops/doctor/captcha-secret-check';
import { checkDeliveryLedger } from '../../ops/doctor/delivery-ledger-check';
import type { DoctorSettings } from '../../ops/doctor/types';
import { deployStackResources, TEST_REGION } from './support/local-aws';
import { type MotoServer, startMotoServer } from './support/moto-server';
import { synthesizeStackModel } from './support/stack-model';

/**
 * The AWS checks of `signup-sync doctor` against moto (SQS, Secrets Manager, Lambda event source
 * mappings, SNS, CloudWatch, DynamoDB over their real wire protocols): each passing and failing, then the whole
 * command over a stack's outputs file.
 */

jest.setTimeout(60_000);

const STORE_TOKEN = 'q8w3e5r7t9y2u4i6o1p3a5s7d9f2g4h';
const API_SECRET = `whsec_${Buffer.from('integration api key of 32 bytes!').toString('base64')}`;
const PARTNER_SECRET = `whsec_${Buffer.from('integration partner key 32 bytes').toString('base64')}`;
// Shaped like a Turnstile secret key.
const CAPTCHA_SECRET = '0x4AAAAAAAQm7kT2vX9pL3rW8yZb5NcE1dFg';

const NEWSLETTER = {
  id: 'newsletter',
  kind: 'html-form',
  allowedOrigins: ['https://www.example.com'],
  thankYouUrl: 'https://www.example.com/thanks',
  errorUrl: 'https://www.example.com/oops',
  captcha: { provider: 'turnstile', action: 'newsletter' },
} as const;

const SETTINGS: DoctorSettings = { customFieldMap: {}, maxConcurrency: 2, maxReceiveCount: 5, sources: [{ id: 'partner', kind: 'standard-webhooks' }] };

let moto: MotoServer;
let clients: AwsClients;

beforeAll(async () => {
  moto = await startMotoServer();
  const config = { endpoint: moto.endpoint, region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  clients = {
    sqs: new SQSClient(config),
    lambda: new LambdaClient(config),
    secrets: new SecretsManagerClient(config),
    sns: new SNSClient(config),
    cloudWatch: new CloudWatchClient(config),
    dynamoDb: new DynamoDBClient(config),
  };
});

afterAll(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await moto?.stop();
});

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

async function createQueue(name: string, attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/** A signups queue and its DLQ as the stack creates them. */
async function queuePair(maxReceiveCount = 5) {
  const dlq = await createQueue(unique('dlq'));
  const queue = await createQueue(unique('signups'), { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount }) });
  return { queue, dlq };
}

async function createSecret(value: string): Promise<string> {
  return (await clients.secrets.send(new CreateSecretCommand({ Name: unique('secret'), SecretString: value }))).ARN!;
}

/** moto checks that a function's role exists; IAM's query API needs no SDK client. */
async function createRole(): Promise<string> {
  const name = unique('role');
  const body = new URLSearchParams({
    Action: 'CreateRole',
    Version: '2010-05-08',
    RoleName: name,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }),
  });
  const response = await fetch(`${moto.endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${TEST_REGION}/iam/aws4_request, SignedHeaders=host, Signature=x`,
    },
    body,
  });
  const text = await response.text();
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!arn) throw new Error(`CreateRole failed: ${response.status} ${text.slice(0, 300)}`);
  return arn;
}

async function mappedFunction(queueArn: string): Promise<string> {
  const role = await createRole();
  const name = unique('sync');
  await clients.lambda.send(
    new CreateFunctionCommand({
      FunctionName: name,
      Runtime: 'nodejs22.x',
      Role: role,
      Handler: 'index.handler',
      Code: { ZipFile: Buffer.from('not run by these tests') },
    }),
  );
  const mapping = await clients.lambda.send(new CreateEventSourceMappingCommand({ EventSourceArn: queueArn, FunctionName: name, BatchSize: 10 }));
  return mapping.UUID!;
}

describe('aws.queues', () => {
  it('passes for a queue whose redrive policy names the DLQ with the configured receives', async () => {
    const { queue, dlq } = await queuePair();
    expect(await checkQueues(clients.sqs, { signupQueueUrl: queue.url, deadLetterQueueUrl: dlq.url }, SETTINGS)).toMatchObject({ status: 'pass' });
  });
  it('fails without a redrive policy, with another receive count, or without the queue', async () => {
    const dlq = await createQueue(unique('dlq'));
    const bare = await createQueue(unique('signups'));
    expect(await checkQueues(clients.sqs, { signupQueueUrl: bare.url, deadLetterQueueUrl: dlq.url }, SETTINGS)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('no redrive policy'),
    });
    const other = await queuePair(3);
    expect(await checkQueues(clients.sqs, { signupQueueUrl: other.queue.url, deadLetterQueueUrl: other.dlq.url }, SETTINGS)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('3 receives'),
    });
    expect(await checkQueues(clients.sqs, { signupQueueUrl: `${moto.endpoint}/123456789012/missing`, deadLetterQueueUrl: dlq.url }, SETTINGS)).toMatchObject({
      status: 'fail',
      fix: expect.any(String),
    });
  });
});

describe('aws.dead-letters', () => {
  it('passes for an empty DLQ and fails with the dlq list hint when it holds messages', async () => {
    const { dlq } = await queuePair();
    expect(await checkDeadLetterDepth(clients.sqs, dlq.url)).toMatchObject({ status: 'pass' });
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: dlq.url, MessageBody: '{}' }));
    expect(await checkDeadLetterDepth(clients.sqs, dlq.url)).toMatchObject({
      status: 'fail',
      summary: '1 signup(s) wait in the dead-letter queue',
      fix: expect.stringContaining('signup-sync dlq list'),
    });
  });
});

describe('aws.event-source-mapping', () => {
  it('passes while enabled, fails when disabled or missing', async () => {
    const { queue } = await queuePair();
    expect(await checkEventSourceMapping(clients.lambda, queue.arn)).toMatchObject({ status: 'fail', summary: expect.stringContaining('No function reads') });
    const uuid = await mappedFunction(queue.arn);
    expect(await checkEventSourceMapping(clients.lambda, queue.arn)).toMatchObject({ status: 'pass' });
    await clients.lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    expect(await checkEventSourceMapping(clients.lambda, queue.arn)).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining(`--uuid ${uuid} --enabled`),
    });
  });
});

describe('aws.token-secret', () => {
  it('passes for a token-shaped value (returned, never in the text)', async () => {
    const { result, token } = await checkTokenSecret(clients.secrets, await createSecret(JSON.stringify({ access_token: STORE_TOKEN })));
    expect(result).toMatchObject({ status: 'pass' });
    expect(token).toBe(STORE_TOKEN);
    expect(JSON.stringify(result)).not.toContain(STORE_TOKEN);
  });
  it('fails for the placeholder the stack creates, for something not token-shaped, and for a missing secret', async () => {
    expect((await checkTokenSecret(clients.secrets, await createSecret('{"access_token":""}'))).result).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('put-secret-value'),
    });
    const spaced = 'paste your token here please';
    const shaped = await checkTokenSecret(clients.secrets, await createSecret(spaced));
    expect(shaped.result).toMatchObject({ status: 'fail', summary: expect.stringContaining('not shaped like an API token') });
    expect(JSON.stringify(shaped.result)).not.toContain(spaced);
    expect((await checkTokenSecret(clients.secrets, `arn:aws:secretsmanager:${TEST_REGION}:123456789012:secret:nope-AbCdEf`)).result).toMatchObject({
      status: 'fail',
    });
  });
});

describe('aws.source-secrets', () => {
  it('passes when POST /signups and every source have an entry; fails naming the source without one', async () => {
    expect(await checkSourceSecrets(clients.secrets, await createSecret(JSON.stringify({ api: API_SECRET, partner: PARTNER_SECRET })), SETTINGS)).toMatchObject(
      { status: 'pass' },
    );
    const missing = await checkSourceSecrets(clients.secrets, await createSecret(JSON.stringify({ api: API_SECRET })), SETTINGS);
    expect(missing).toMatchObject({ status: 'fail', summary: expect.stringContaining('partner') });
    expect(JSON.stringify(missing)).not.toContain(API_SECRET.slice(6));
  });

  it('says where the dead-letter key comes from, and fails on an unusable deadLetters entry without showing it', async () => {
    const derived = await checkSourceSecrets(clients.secrets, await createSecret(JSON.stringify({ api: API_SECRET, partner: PARTNER_SECRET })), SETTINGS);
    expect(derived).toMatchObject({ status: 'pass', summary: expect.stringContaining('derived from the "api" entry: add a "deadLetters" entry') });
    const own = await checkSourceSecrets(
      clients.secrets,
      await createSecret(JSON.stringify({ api: API_SECRET, partner: PARTNER_SECRET, deadLetters: ['d'.repeat(40)] })),
      SETTINGS,
    );
    expect(own).toMatchObject({ status: 'pass', summary: expect.stringContaining('signed with its "deadLetters" keys') });
    const short = await checkSourceSecrets(
      clients.secrets,
      await createSecret(JSON.stringify({ api: API_SECRET, partner: PARTNER_SECRET, deadLetters: 'too-short-key' })),
      SETTINGS,
    );
    expect(short).toMatchObject({ status: 'fail', summary: expect.stringContaining('deadLetters: every key must be at least 32 characters') });
    expect(JSON.stringify(short)).not.toContain('too-short-key');
  });
});

describe('aws.alarm-subscriptions', () => {
  it('fails with nobody subscribed, passes with a confirmed subscription', async () => {
    const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: unique('alarms') }));
    expect(await checkAlarmSubscriptions(clients.sns, TopicArn)).toMatchObject({ status: 'fail', fix: expect.stringContaining('aws sns subscribe') });
    // moto confirms SQS subscriptions at once (email ones need a click on AWS).
    const { arn } = await createQueue(unique('listener'));
    await clients.sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: arn }));
    expect(await checkAlarmSubscriptions(clients.sns, TopicArn)).toMatchObject({ status: 'pass' });
  });
});

describe('aws.alarms', () => {
  it('passes when no alarm of the stack is in ALARM, fails naming the one that is', async () => {
    const stack = unique('Stack');
    const alarm = (id: string) =>
      new PutMetricAlarmCommand({
        AlarmName: `${stack}-${id}`,
        Namespace: 'SignupSync',
        MetricName: id,
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    await clients.cloudWatch.send(alarm('DeadLetters'));
    await clients.cloudWatch.send(alarm('OldestSignup'));
    await clients.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: `${stack}-DeadLetters`, StateValue: 'OK', StateReason: 'test' }));
    await clients.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: `${stack}-OldestSignup`, StateValue: 'OK', StateReason: 'test' }));
    expect(await checkAlarms(clients.cloudWatch, { namePrefix: `${stack}-` })).toMatchObject({ status: 'pass', summary: 'None of the 2 alarm(s) is in ALARM' });
    await clients.cloudWatch.send(new SetAlarmStateCommand({ AlarmName: `${stack}-DeadLetters`, StateValue: 'ALARM', StateReason: 'test' }));
    expect(await checkAlarms(clients.cloudWatch, { namePrefix: `${stack}-` })).toMatchObject({ status: 'fail', summary: `In ALARM: ${stack}-DeadLetters` });
  });
});

/** The ledger table as infra/constructs/delivery-ledger.ts declares it (from the synthesized template), in moto. */
let stackModel: ReturnType<typeof synthesizeStackModel> | undefined;
async function deployedLedgerTable(): Promise<string> {
  stackModel ??= synthesizeStackModel();
  const deployment = await deployStackResources({ sqs: clients.sqs, secrets: clients.secrets, dynamodb: clients.dynamoDb }, stackModel, {
    prefix: unique('ledger'),
    token: STORE_TOKEN,
  });
  const tables = Object.values(deployment.tables);
  expect(tables).toHaveLength(1);
  return tables[0]!.name;
}

async function createLedgerLikeTable(options: { billing: 'PAY_PER_REQUEST' | 'PROVISIONED'; ttlAttribute?: string }): Promise<string> {
  const name = unique('ledger');
  await clients.dynamoDb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: options.billing,
      ...(options.billing === 'PROVISIONED' ? { ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } } : {}),
    }),
  );
  if (options.ttlAttribute)
    await clients.dynamoDb.send(
      new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: options.ttlAttribute, Enabled: true } }),
    );
  return name;
}

describe('aws.delivery-ledger', () => {
  it('passes for the table the stack declares: ACTIVE, on-demand, keyed by id, TTL on expiration', async () => {
    const table = await deployedLedgerTable();
    expect(await checkDeliveryLedger(clients.dynamoDb, table)).toEqual({
      id: 'aws.delivery-ledger',
      status: 'pass',
      summary: `The delivery ledger table ${table} is ACTIVE, on-demand, keyed by "id"; TTL on "expiration"`,
    });
  });

  it('fails with a fix for a missing table, provisioned billing, TTL off, and TTL on another attribute', async () => {
    const missing = unique('gone');
    expect(await checkDeliveryLedger(clients.dynamoDb, missing)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining(`${missing} does not exist`),
      fix: expect.stringContaining('cdk deploy'),
    });

    const provisioned = await createLedgerLikeTable({ billing: 'PROVISIONED' });
    const both = await checkDeliveryLedger(clients.dynamoDb, provisioned);
    expect(both).toMatchObject({ status: 'fail', summary: expect.stringMatching(/bills PROVISIONED, not on-demand.*TTL is DISABLED/) });
    expect(both.fix).toContain(`aws dynamodb update-table --table-name ${provisioned} --billing-mode PAY_PER_REQUEST`);
    expect(both.fix).toContain(
      `aws dynamodb update-time-to-live --table-name ${provisioned} --time-to-live-specification Enabled=true,AttributeName=expiration`,
    );

    const otherTtl = await createLedgerLikeTable({ billing: 'PAY_PER_REQUEST', ttlAttribute: 'expires_at' });
    expect(await checkDeliveryLedger(clients.dynamoDb, otherTtl)).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('TTL is on "expires_at"'),
      fix: expect.stringContaining('Enabled=false,AttributeName=expires_at'),
    });
  });

  it('is skipped when the stack has no DeliveryLedgerTableName output (deployed before the ledger)', async () => {
    expect(await checkDeliveryLedger(clients.dynamoDb, undefined)).toMatchObject({
      status: 'skipped',
      summary: expect.stringContaining('no DeliveryLedgerTableName output'),
    });
  });
});

describe('aws.captcha-secrets', () => {
  const sources = [{ id: 'partner', kind: 'standard-webhooks' }, NEWSLETTER];
  const secretWith = (newsletter: unknown) => createSecret(JSON.stringify({ api: API_SECRET, partner: PARTNER_SECRET, newsletter }));

  it('passes when the CAPTCHA source has a key-shaped captchaSecret, without printing it', async () => {
    const result = await checkCaptchaSecrets(clients.secrets, await secretWith({ captchaSecret: CAPTCHA_SECRET }), sources);
    expect(result).toEqual({ id: 'aws.captcha-secrets', status: 'pass', summary: 'Source(s) newsletter have a key-shaped captchaSecret (not shown)' });
  });

  it('fails naming the source for a missing, placeholder or form-token captchaSecret, and never prints the value', async () => {
    const placeholder = 'paste the Turnstile secret key here';
    const cases: Array<[unknown, RegExp]> = [
      [CAPTCHA_SECRET, /newsletter: the entry is a plain secret, with no captchaSecret/],
      [{ secret: 'form-token-printed-in-the-page' }, /newsletter: no captchaSecret for its turnstile CAPTCHA/],
      [{ captchaSecret: placeholder }, /newsletter: captchaSecret is not shaped like a turnstile secret key/],
      [{ secret: CAPTCHA_SECRET, captchaSecret: CAPTCHA_SECRET }, /newsletter: captchaSecret equals the form token/],
    ];
    for (const [entry, problem] of cases) {
      const arn = await secretWith(entry);
      const result = await checkCaptchaSecrets(clients.secrets, arn, sources);
      expect(result).toMatchObject({ status: 'fail', summary: expect.stringMatching(problem) });
      expect(result.fix).toContain('"newsletter": {"captchaSecret": "<the provider\'s secret key>"}');
      expect(result.fix).toContain(`--secret-id ${arn}`);
      for (const value of [CAPTCHA_SECRET, placeholder]) expect(JSON.stringify(result)).not.toContain(value);
    }
  });

  it('is skipped when no source configures a CAPTCHA', async () => {
    expect(
      await checkCaptchaSecrets(clients.secrets, await createSecret(JSON.stringify({ api: API_SECRET, partner: PARTNER_SECRET })), SETTINGS.sources),
    ).toMatchObject({
      status: 'skipped',
      summary: 'No source configures a CAPTCHA',
    });
  });
});

describe('signup-sync doctor over a stack outputs file', () => {
  let sandbox: BigCommerceSandbox;
  let dir: string;

  beforeAll(async () => {
    sandbox = await startBigCommerceSandbox({ tokens: [STORE_TOKEN] });
    dir = mkdtempSync(path.join(tmpdir(), 'doctor-aws-'));
  });
  afterAll(async () => {
    await sandbox?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function deployment({ subscribed, captchaSecret = CAPTCHA_SECRET }: { subscribed: boolean; captchaSecret?: string }) {
    const stack = unique('SignupSync');
    const { queue, dlq } = await queuePair();
    await mappedFunction(queue.arn);
    const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: unique('alarms') }));
    if (subscribed) await clients.sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: (await createQueue(unique('listener'))).arn }));
    const outputs = {
      SignupQueueUrl: queue.url,
      SignupQueueArn: queue.arn,
      DeadLetterQueueUrl: dlq.url,
      TokenSecretArn: await createSecret(JSON.stringify({ access_token: STORE_TOKEN })),
      SourcesSecretArn: await createSecret(JSON.stringify({ api: API_SECRET, newsletter: { captchaSecret } })),
      AlarmTopicArn: TopicArn!,
      DeliveryLedgerTableName: await deployedLedgerTable(),
    };
    const outputsFile = path.join(dir, `${stack}.json`);
    writeFileSync(outputsFile, JSON.stringify({ [stack]: outputs }));
    const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')) as { context: { signupSync: Record<string, unknown> } };
    cdkJson.context.signupSync = {
      ...cdkJson.context.signupSync,
      storeHash: sandbox.storeHash,
      bigCommerceApiUrl: sandbox.url,
      maxReceiveCount: 5,
      sources: [NEWSLETTER],
    };
    const cdkJsonPath = path.join(dir, `${stack}.cdk.json`);
    writeFileSync(cdkJsonPath, JSON.stringify(cdkJson));
    return { stack, outputsFile, cdkJsonPath };
  }

  const run = async (options: Parameters<typeof runDoctor>[0]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runDoctor(options, { out: (text) => out.push(text), err: (text) => err.push(text), env: {}, awsClients: () => clients });
    return {
      code,
      text: [...out, ...err].join('\n'),
      report: options.json ? (JSON.parse(out.join('\n')) as { ok: boolean; checks: { id: string; status: string }[] }) : undefined,
    };
  };

  it("reads the token from the stack's secret and exits 0 when everything is in place", async () => {
    const { stack, outputsFile, cdkJsonPath } = await deployment({ subscribed: true });
    const { code, report, text } = await run({ outputsFile, stack, cdkJson: cdkJsonPath, json: true });

    expect(report!.checks.filter((check) => check.status === 'fail')).toEqual([]);
    expect(code).toBe(0);
    expect(report!.checks.find((check) => check.id === 'bigcommerce.token')).toMatchObject({ status: 'pass' });
    expect(report!.checks.find((check) => check.id === 'aws.token-secret')).toMatchObject({ status: 'pass' });
    expect(report!.checks.find((check) => check.id === 'aws.event-source-mapping')).toMatchObject({ status: 'pass' });
    expect(report!.checks.find((check) => check.id === 'aws.captcha-secrets')).toMatchObject({ status: 'pass' });
    expect(report!.checks.find((check) => check.id === 'aws.delivery-ledger')).toMatchObject({ status: 'pass' });
    for (const secret of [STORE_TOKEN, API_SECRET, API_SECRET.slice(6), CAPTCHA_SECRET]) expect(text).not.toContain(secret);
  });

  it('exits 1 with a fix when nobody receives the alarms', async () => {
    const { stack, outputsFile, cdkJsonPath } = await deployment({ subscribed: false });
    const { code, text } = await run({ outputsFile, stack, cdkJson: cdkJsonPath });

    expect(code).toBe(1);
    expect(text).toMatch(/^✘ aws\.alarm-subscriptions +Nobody is subscribed/m);
    expect(text).toMatch(/fix: aws sns subscribe --topic-arn arn:aws:sns:/);
    expect(text).not.toContain(STORE_TOKEN);
  });

  it('exits 1 naming the source whose CAPTCHA secret is a placeholder, without printing it', async () => {
    const placeholder = '<turnstile secret key>';
    const { stack, outputsFile, cdkJsonPath } = await deployment({ subscribed: true, captchaSecret: placeholder });
    const { code, text } = await run({ outputsFile, stack, cdkJson: cdkJsonPath });

    expect(code).toBe(1);
    expect(text).toMatch(/^✘ aws\.captcha-secrets +Unusable CAPTCHA secret\(s\): newsletter: captchaSecret is not shaped like a turnstile secret key/m);
    expect(text).toMatch(/fix: Copy the secret key \(not the site key\) .* for newsletter /);
    expect(text).toMatch(/^✔ aws\.delivery-ledger /m);
    expect(text).not.toContain(placeholder);
  });
});
