import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_BUNDLING } from '../../infra/constructs/function-bundling';
import { logicalIdOf, synthStack } from '../helpers/synth';

/**
 * What an operator sees in a stack trace from the deployed bundle: the asset `cdk synth` wrote for the
 * sync function runs in a fresh Node process with the function's own NODE_OPTIONS and environment, an
 * error is thrown inside it, and the top frame must name the TypeScript file and a line that holds the
 * failing expression.
 */

type Fn = { Code: { S3Key: string }; Environment: { Variables: Record<string, unknown> } };

let synthesized: { asset: string; environment: Record<string, string> } | undefined;

/** The sync function's asset and literal environment (synthesized once for this file). */
function syncAsset() {
  if (synthesized) return synthesized;
  const { app, template } = synthStack();
  const id = logicalIdOf(template, 'AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ BIGCOMMERCE_TOKEN_SECRET: Match.anyValue() }) } });
  const fn = template.toJSON().Resources[id].Properties as Fn;
  // The asset folder is named after the hash the template's S3 key carries.
  const asset = path.join(app.outdir, `asset.${fn.Code.S3Key.replace(/\.zip$/, '')}`, 'index.js');
  // The template's literal values as deployed; the ones CloudFormation fills in at deploy time get stand-ins.
  const literal = Object.fromEntries(Object.entries(fn.Environment.Variables).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  synthesized = { asset, environment: literal };
  return synthesized;
}

describe('stack traces from the deployed sync bundle', () => {
  it('name the TypeScript file and the line of the failing expression', () => {
    // Arrange
    const { asset, environment } = syncAsset();
    expect(environment.NODE_OPTIONS).toContain('--enable-source-maps');
    const env = {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'source-map-test',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
      DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups-dlq',
      BIGCOMMERCE_TOKEN_SECRET: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:token',
      LOG_HASH_KEY: 'a-log-hash-key-of-32-characters!',
      ...environment,
    };
    // An SQS event without Records: the handler throws inside our code.
    const script = `
      const { handler } = require(${JSON.stringify(asset)});
      const context = { awsRequestId: 'req-1', functionName: 'f', functionVersion: '1', invokedFunctionArn: 'arn', memoryLimitInMB: '256', getRemainingTimeInMillis: () => 30000 };
      handler({}, context).then(
        () => process.stdout.write('\\nSTACK:none\\n'),
        (error) => process.stdout.write('\\nSTACK:' + JSON.stringify(String(error.stack)) + '\\n'),
      );`;

    // Act
    const result = spawnSync(process.execPath, ['-e', script], { env, encoding: 'utf8' });

    // Assert: the top frame is a .ts file of ours, and its line holds the `Records` access that failed
    const stackLine = result.stdout.split('\n').find((line) => line.startsWith('STACK:'));
    expect(stackLine).toBeDefined();
    const stack = JSON.parse(stackLine!.slice('STACK:'.length)) as string;
    expect(stack).toContain("Cannot read properties of undefined (reading 'map')");
    const frame = stack.split('\n').find((line) => line.trim().startsWith('at '))!;
    const match = frame.match(/\(?([^\s(]+\.ts):(\d+):(\d+)\)?$/);
    expect(match).not.toBeNull();
    const [, file, line] = match!;
    expect(file).toMatch(/functions\/sync\/build-handler\.ts$/);
    const source = readFileSync(path.resolve(__dirname, '../../functions/sync/build-handler.ts'), 'utf8').split('\n');
    expect(source[Number(line) - 1]).toContain('Records');
  });
});

describe('the deployed bundles', () => {
  it('carry the pinned AWS SDK clients and a map without copies of the sources', () => {
    const { asset } = syncAsset();
    const code = readFileSync(asset, 'utf8');
    const map = JSON.parse(readFileSync(`${asset}.map`, 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    // Bundled, not required from the runtime's copy. The one require left is the SDK's optional CRT signer
    // (SigV4a only), which it tries inside a try/catch; these clients sign with SigV4.
    const required = [...new Set([...code.matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g)].map((match) => match[1]))];
    expect(required).toEqual(['@aws-sdk/signature-v4-crt']);
    expect(map.sources.some((source) => source.includes('node_modules/@aws-sdk/client-sqs/'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
  });

  it('leave out the credential providers Lambda never reaches, which the chain import()s only after the environment', () => {
    const { asset } = syncAsset();
    const code = readFileSync(asset, 'utf8');
    const map = JSON.parse(readFileSync(`${asset}.map`, 'utf8')) as { sources: string[] };
    const imported = new Set([...code.matchAll(/import\("(@aws-sdk\/[^"]+)"\)/g)].map((match) => match[1]));
    for (const external of FUNCTION_BUNDLING.externalModules) {
      expect(map.sources.filter((source) => source.includes(`node_modules/${external}/`))).toEqual([]);
      if (external !== '@aws-sdk/nested-clients') expect(imported).toContain(external);
    }
    // The environment's provider (the one Lambda answers) and the container endpoint's are bundled.
    expect(map.sources.some((source) => source.includes('node_modules/@aws-sdk/credential-provider-env/'))).toBe(true);
    expect(map.sources.some((source) => source.includes('node_modules/@aws-sdk/credential-provider-http/'))).toBe(true);
  });

  it('carry no X-Ray SDK: the functions send their subsegments themselves (shared/observability/tracing.ts)', () => {
    const map = JSON.parse(readFileSync(`${syncAsset().asset}.map`, 'utf8')) as { sources: string[] };
    expect(map.sources.filter((source) => /node_modules\/(aws-xray-sdk|@aws-lambda-powertools\/tracer)/.test(source))).toEqual([]);
    expect(map.sources.some((source) => source.endsWith('shared/observability/xray-subsegment.ts'))).toBe(true);
  });
});
