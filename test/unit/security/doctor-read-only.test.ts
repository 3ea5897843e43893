import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { runDoctor, TOKEN_ENV } from '../../../ops/doctor';
import type { AwsClients } from '../../../ops/doctor/aws-checks';

/**
 * docs/security.md, "A preflight that writes to the real store". As a review reproduced it on main:
 * `signup-sync doctor` sent POST /v3/customers with `[{}]` and POST /v3/customers/subscribers with `{}`
 * to the store on every run, relying on BigCommerce answering 422; a store (or a proxy, or a future API
 * version) that took a body BigCommerce documents as invalid would have got an empty customer. Now doctor
 * sends nothing but GETs unless --probe-writes, which prints what it will send before sending it.
 * The doctor runs as the CLI runs it, against the BigCommerce sandbox; every request to it is recorded.
 */

jest.setTimeout(30_000);

const TOKEN = 'doctor-read-only-token-7c1e9a';

let sandbox: BigCommerceSandbox;
let dir: string;
let cdkJsonPath: string;

beforeEach(async () => {
  sandbox = await startBigCommerceSandbox({ tokens: [TOKEN] });
  dir = mkdtempSync(path.join(tmpdir(), 'doctor-read-only-'));
  const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '../../../cdk.json'), 'utf8')) as { context: { signupSync: Record<string, unknown> } };
  cdkJson.context.signupSync = { ...cdkJson.context.signupSync, storeHash: sandbox.storeHash, bigCommerceApiUrl: sandbox.url };
  cdkJsonPath = path.join(dir, 'cdk.json');
  writeFileSync(cdkJsonPath, JSON.stringify(cdkJson));
});
afterEach(async () => {
  await sandbox.close();
  rmSync(dir, { recursive: true, force: true });
});

/** AWS clients pointed at a closed loopback port: the AWS checks fail fast; only BigCommerce is under test. */
function unreachableAws(): AwsClients {
  const config = { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 };
  return {
    sqs: new SQSClient(config),
    lambda: new LambdaClient(config),
    secrets: new SecretsManagerClient(config),
    sns: new SNSClient(config),
    cloudWatch: new CloudWatchClient(config),
    dynamoDb: new DynamoDBClient(config),
  };
}

/** Runs doctor as `signup-sync doctor --stack SignupSync --store-hash <hash> [--probe-writes]`, recording in order what it says and sends. */
async function doctor(probeWrites: boolean) {
  const timeline: string[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const url = new URL(String(input));
    timeline.push(`${init?.method ?? 'GET'} ${url.pathname.replace(/^\/stores\/[^/]+/, '')}${init?.body ? ` ${String(init.body)}` : ''}`);
    return fetch(input, init);
  };
  const out: string[] = [];
  const code = await runDoctor(
    { stack: 'SignupSync', region: 'us-east-1', storeHash: sandbox.storeHash, cdkJson: cdkJsonPath, json: true, ...(probeWrites ? { probeWrites } : {}) },
    {
      out: (text) => out.push(text),
      err: (text) => timeline.push(`said: ${text}`),
      env: { [TOKEN_ENV]: TOKEN },
      fetch: recordingFetch,
      stackOutputs: async () => ({}),
      awsClients: unreachableAws,
    },
  );
  const report = JSON.parse(out.join('\n')) as { checks: { id: string; status: string; summary: string }[] };
  const check = (id: string) => report.checks.find((candidate) => candidate.id === id)!;
  return { code, timeline, check };
}

describe('signup-sync doctor against the store', () => {
  it('sends only GETs by default, and says which scopes it cannot prove read-only', async () => {
    // Act
    const { timeline, check } = await doctor(false);

    // Assert
    const requests = timeline.filter((line) => !line.startsWith('said: '));
    expect(requests.length).toBeGreaterThan(3);
    expect(requests.filter((line) => !line.startsWith('GET '))).toEqual([]);
    expect(requests).toEqual(expect.arrayContaining(['GET /v3/customers', 'GET /v3/customers/subscribers']));
    expect(check('bigcommerce.customers-read').status).toBe('pass');
    expect(check('bigcommerce.customers-write')).toMatchObject({ status: 'unconfirmed', summary: expect.stringContaining('--probe-writes') });
    expect(check('bigcommerce.subscribers-write')).toMatchObject({ status: 'unconfirmed', summary: expect.stringContaining('can read them') });
    expect(sandbox.customers()).toEqual([]);
  });

  it('proves a token without the Customers scope cannot write, still read-only (403 on the GET)', async () => {
    sandbox.setStore({ deniedScopes: ['customers-read'] });
    const { timeline, check } = await doctor(false);
    expect(timeline.filter((line) => !line.startsWith('said: ') && !line.startsWith('GET '))).toEqual([]);
    expect(check('bigcommerce.customers-write')).toMatchObject({ status: 'fail' });
    expect(check('bigcommerce.subscribers-write')).toMatchObject({ status: 'fail' });
  });

  it('with --probe-writes, says what it will send before it sends exactly the two refused writes', async () => {
    // Act
    const { timeline, check } = await doctor(true);

    // Assert
    const writes = timeline.map((line, index) => ({ line, index })).filter(({ line }) => line.startsWith('POST '));
    expect(writes.map(({ line }) => line)).toEqual(['POST /v3/customers [{}]', 'POST /v3/customers/subscribers {}']);
    const said = timeline.findIndex((line) => line.startsWith('said: doctor --probe-writes: sending 2 write requests'));
    expect(said).toBeGreaterThanOrEqual(0);
    expect(said).toBeLessThan(writes[0]!.index);
    expect(timeline[said]).toContain('POST /v3/customers with the body [{}]');
    expect(timeline[said]).toContain('POST /v3/customers/subscribers with the body {}');
    expect(check('bigcommerce.customers-write').status).toBe('pass');
    expect(check('bigcommerce.subscribers-write').status).toBe('pass');
    expect(sandbox.customers()).toEqual([]);
  });
});
