import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { CliError } from '../../../ops/errors';
import { deployedDeadLetterKeys, deployedIngestSetup, ingestSetupFromEnvironment, lambdaFunctionEnvironment } from '../../../ops/ingest-function-setup';
import { resolveTarget } from '../../../ops/targets';
import { deriveDeadLetterKey } from '../../../shared/ingest/dead-letter-keys';

const FUNCTION_NAME = 'SignupSync-IngressFunction-abc123';
/** A usable `api` entry (a Standard Webhooks key), test-only. */
const API_SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;

/** The variables the deployed ingest runs with (infra/constructs/signup-ingress.ts), as Lambda returns them. */
const INGEST_ENVIRONMENT = {
  SIGNUP_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/signups',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/signups-dlq',
  SOURCES_SECRET: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:sources-AbCdEf',
  DELIVERY_LEDGER_TABLE: 'deliveries',
  SOURCES_CONFIG: JSON.stringify([{ id: 'kit-news', kind: 'kit', routeToken: 'kitnewsroutetoken01', fieldMap: { 'fields.work_email': 'email' } }]),
  NAMELESS_POLICY: JSON.stringify({ nameless: 'reject' }),
  CUSTOM_ATTRIBUTE_FIELDS: JSON.stringify(['Plan']),
};

describe('reading the deployed ingest configuration (lambda:GetFunctionConfiguration)', () => {
  const lambda = mockClient(LambdaClient);
  beforeEach(() => lambda.reset());

  it("returns the function's environment variables, asking for the named function", async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves({ FunctionName: FUNCTION_NAME, Environment: { Variables: INGEST_ENVIRONMENT } });

    const environment = await lambdaFunctionEnvironment(new LambdaClient({ region: 'eu-west-1' }))(FUNCTION_NAME);

    expect(environment).toEqual(INGEST_ENVIRONMENT);
    expect(lambda.commandCalls(GetFunctionConfigurationCommand).map((call) => call.args[0].input)).toEqual([{ FunctionName: FUNCTION_NAME }]);
  });

  it('names the missing permission when Lambda refuses the call', async () => {
    lambda.on(GetFunctionConfigurationCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));

    const read = lambdaFunctionEnvironment(new LambdaClient({ region: 'eu-west-1' }))(FUNCTION_NAME);

    await expect(read).rejects.toThrow(CliError);
    await expect(read).rejects.toThrow(`${FUNCTION_NAME} (the operator needs lambda:GetFunctionConfiguration on it)`);
  });

  it('fails clearly when Lambda could not decrypt the variables (reported in the answer, not as an error)', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves({ Environment: { Error: { ErrorCode: 'KMSAccessDeniedException', Message: 'no kms:Decrypt' } } });

    await expect(lambdaFunctionEnvironment(new LambdaClient({ region: 'eu-west-1' }))(FUNCTION_NAME)).rejects.toThrow(
      'KMSAccessDeniedException (no kms:Decrypt)',
    );
  });
});

describe("checking it with the ingest's own cold-start validation", () => {
  it('gives the sources, the nameless policy and the attribute fields as the ingest reads them', () => {
    expect(ingestSetupFromEnvironment(INGEST_ENVIRONMENT, FUNCTION_NAME)).toEqual({
      sources: [{ id: 'kit-news', kind: 'kit', routeToken: 'kitnewsroutetoken01', fieldMap: { 'fields.work_email': 'email' } }],
      namelessPolicy: { nameless: 'reject' },
      customAttributeFields: ['Plan'],
    });
  });

  it('refuses what the ingest refuses, naming the source and field', () => {
    const broken = { ...INGEST_ENVIRONMENT, SOURCES_CONFIG: JSON.stringify([{ id: 'kit-news', kind: 'kit', fieldMap: 'email' }]) };
    expect(() => ingestSetupFromEnvironment(broken, FUNCTION_NAME)).toThrow(CliError);
    expect(() => ingestSetupFromEnvironment(broken, FUNCTION_NAME)).toThrow(/SOURCES_CONFIG: sources\[0\]\.fieldMap/);
    const reserved = { ...INGEST_ENVIRONMENT, SOURCES_CONFIG: JSON.stringify([{ id: 'api', kind: 'kit' }]) };
    expect(() => ingestSetupFromEnvironment(reserved, FUNCTION_NAME)).toThrow(/"api" is reserved/);
  });

  it('reads through the injected reader', async () => {
    const names: string[] = [];
    const setup = await deployedIngestSetup(async (name) => {
      names.push(name);
      return INGEST_ENVIRONMENT;
    }, FUNCTION_NAME);
    expect(names).toEqual([FUNCTION_NAME]);
    expect(setup.namelessPolicy).toEqual({ nameless: 'reject' });
  });
});

describe('the dead-letter keys of the sources secret SOURCES_SECRET names', () => {
  it('reads the deadLetters entry, newest first', async () => {
    const asked: string[] = [];
    const keys = await deployedDeadLetterKeys(
      async () => INGEST_ENVIRONMENT,
      FUNCTION_NAME,
      async (secretId) => {
        asked.push(secretId);
        return JSON.stringify({ api: API_SECRET, deadLetters: ['n'.repeat(32), 'o'.repeat(32)] });
      },
    );
    expect(asked).toEqual([INGEST_ENVIRONMENT.SOURCES_SECRET]);
    expect(keys).toEqual(['n'.repeat(32), 'o'.repeat(32)]);
  });

  it('derives the key from the api secret when the sources secret has no deadLetters entry', async () => {
    expect(
      await deployedDeadLetterKeys(
        async () => INGEST_ENVIRONMENT,
        FUNCTION_NAME,
        async () => JSON.stringify({ api: API_SECRET }),
      ),
    ).toEqual([deriveDeadLetterKey(API_SECRET)]);
  });

  it('refuses a sources secret that yields no dead-letter key, naming the entry, never a value', async () => {
    const read = (value: unknown) =>
      deployedDeadLetterKeys(
        async () => INGEST_ENVIRONMENT,
        FUNCTION_NAME,
        async () => JSON.stringify(value),
      );
    await expect(read({ api: API_SECRET, deadLetters: 'short-key' })).rejects.toThrow(/deadLetters: every key must be at least 32 characters/);
    await expect(read({ api: API_SECRET, deadLetters: 'short-key' })).rejects.not.toThrow(/short-key/);
    await expect(read({})).rejects.toThrow(CliError);
  });
});

describe('the target of a deployed stack', () => {
  const outputsFile = (outputs: Record<string, string>) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'signup-sync-outputs-')), 'outputs.json');
    writeFileSync(file, JSON.stringify({ SignupSync: outputs }));
    return file;
  };
  const queues = { SignupQueueUrl: INGEST_ENVIRONMENT.SIGNUP_QUEUE_URL, DeadLetterQueueUrl: INGEST_ENVIRONMENT.DEAD_LETTER_QUEUE_URL };

  it("reads the ingest configuration from the function the output IngestFunctionName names, in the queues' region", async () => {
    const asked: string[] = [];
    const target = await resolveTarget(
      { outputsFile: outputsFile({ ...queues, IngestFunctionName: FUNCTION_NAME }) },
      {
        env: {},
        functionEnvironment: (region) => async (name) => {
          asked.push(`${region}/${name}`);
          return INGEST_ENVIRONMENT;
        },
        secretValue: (region) => async (secretId) => {
          asked.push(`${region}/${secretId}`);
          return JSON.stringify({ api: API_SECRET });
        },
      },
    );

    expect(asked).toEqual([]);
    expect(await target.ingestSetup?.()).toMatchObject({ sources: [{ id: 'kit-news' }] });
    // The configuration alone (import, redrive) reads no secret; the keys (redrive only) read the sources secret, and the function once.
    expect(asked).toEqual([`eu-west-1/${FUNCTION_NAME}`]);
    expect(await target.deadLetterKeys?.()).toEqual([deriveDeadLetterKey(API_SECRET)]);
    expect(asked).toEqual([`eu-west-1/${FUNCTION_NAME}`, `eu-west-1/${INGEST_ENVIRONMENT.SOURCES_SECRET}`]);
  });

  it('has no ingest configuration for a stack without that output (older stacks) or for bare queue URLs', async () => {
    expect((await resolveTarget({ outputsFile: outputsFile(queues) }, { env: {} })).ingestSetup).toBeUndefined();
    expect((await resolveTarget({ queueUrl: queues.SignupQueueUrl, dlqUrl: queues.DeadLetterQueueUrl }, { env: {} })).ingestSetup).toBeUndefined();
  });
});
