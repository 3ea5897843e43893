import { readFileSync } from 'node:fs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { CliError, CliUsageError } from './errors';
import type { FunctionEnvironmentReader, SecretReader } from './ingest-function-setup';
import { createSqsClient, regionOfQueueUrl } from './queue-ops';
import type { IngestSetup } from './unmappable-redrive';

/**
 * Where the CLI works: a deployed stack (queue URLs from flags, CloudFormation outputs or the
 * `cdk deploy --outputs-file` JSON) or a running local mode (asked at /_local/api/config).
 */

export const DEFAULT_LOCAL_URL = 'http://127.0.0.1:3000';
export const DEFAULT_STACK_NAME = 'SignupSync';

export type TargetFlags = Readonly<{
  queueUrl?: string;
  dlqUrl?: string;
  stack?: string;
  outputsFile?: string;
  region?: string;
  local?: string;
}>;

export type Target = Readonly<{
  description: string;
  sqs?: SQSClient;
  signupQueueUrl?: string;
  deadLetterQueueUrl?: string;
  apiUrl?: string;
  /** Local mode's API secret (send-test's default token). */
  apiSecret?: string;
  /**
   * The ingest's configuration now, to re-run `unmappable` dead letters on `dlq redrive`: local mode serves
   * it; a stack's is read from the function its output IngestFunctionName names (ops/ingest-function-setup.ts).
   */
  ingestSetup?: () => Promise<IngestSetup>;
  /** The keys that verify `unmappable` dead letters (`dlq redrive` only): a stack's are read from its sources secret. */
  deadLetterKeys?: () => Promise<readonly string[]>;
  /** The stack's CloudFormation outputs, when the target came from them (`signup-sync doctor` reads more of them). */
  outputs?: Readonly<Record<string, string>>;
  /** The stack's name (--stack, or the one stack of an outputs file): it picks a store's settings in cdk.json. */
  stackName?: string;
  local: boolean;
}>;

export type TargetDeps = Readonly<{
  env: Readonly<Record<string, string | undefined>>;
  fetch?: typeof fetch;
  /** CloudFormation outputs of a stack (injected in tests). */
  stackOutputs?: (stack: string, region: string | undefined) => Promise<Record<string, string>>;
  /** A Lambda function's environment (injected in tests; default: lambda:GetFunctionConfiguration). */
  functionEnvironment?: (region: string | undefined) => FunctionEnvironmentReader;
  /** A secret's value (injected in tests; default: secretsmanager:GetSecretValue). */
  secretValue?: (region: string | undefined) => SecretReader;
  /** The region cdk.json pins a stack to (a store's `region`), used for --stack when --region is not given. */
  stackRegion?: (stack: string) => string | undefined;
}>;

type StackOutputs = Readonly<Record<string, string>>;

/** The outputs infra/signup-sync-stack.ts declares. */
function fromOutputs(outputs: StackOutputs, description: string, flags: TargetFlags, deps: TargetDeps, stackName?: string): Target {
  const { env } = deps;
  const signupQueueUrl = flags.queueUrl ?? outputs['SignupQueueUrl'];
  const deadLetterQueueUrl = flags.dlqUrl ?? outputs['DeadLetterQueueUrl'];
  const region = flags.region ?? regionOfQueueUrl(signupQueueUrl ?? deadLetterQueueUrl ?? '');
  const ingestFunctionName = outputs['IngestFunctionName'];
  // One GetFunctionConfiguration per command, whether it wants the configuration, the keys or both.
  let environment: Promise<Readonly<Record<string, string>>> | undefined;
  const readEnvironment: FunctionEnvironmentReader = (name) => (environment ??= (deps.functionEnvironment ?? lambdaEnvironment)(region)(name));
  return {
    description,
    sqs: createSqsClient({ ...(region ? { region } : {}), env }),
    ...(signupQueueUrl ? { signupQueueUrl } : {}),
    ...(deadLetterQueueUrl ? { deadLetterQueueUrl } : {}),
    ...(outputs['ApiUrl'] ? { apiUrl: outputs['ApiUrl'] } : {}),
    ...(ingestFunctionName
      ? {
          ingestSetup: async () => {
            // Loaded only by a redrive: the other commands do not pay for the Lambda client.
            const { deployedIngestSetup } = await import('./ingest-function-setup');
            return deployedIngestSetup(readEnvironment, ingestFunctionName);
          },
          deadLetterKeys: async () => {
            const { deployedDeadLetterKeys } = await import('./ingest-function-setup');
            return deployedDeadLetterKeys(readEnvironment, ingestFunctionName, (deps.secretValue ?? secretsManagerValue)(region));
          },
        }
      : {}),
    outputs,
    ...(stackName ? { stackName } : {}),
    local: false,
  };
}

/** `cdk deploy --outputs-file out.json` writes `{ "<StackName>": { "<OutputKey>": "<value>" } }`. */
export function readOutputsFile(file: string, stack: string | undefined): StackOutputs {
  return outputsFileStack(file, stack).outputs;
}

/** The stack of an outputs file: the one named, the only one, or SignupSync. */
function outputsFileStack(file: string, stack: string | undefined): { name: string; outputs: StackOutputs } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`Cannot read the outputs file ${file}: ${(error as Error).message}`, { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null) throw new CliError(`${file} is not a cdk outputs file (expected {"<StackName>": {...}})`);
  const stacks = parsed as Record<string, unknown>;
  const names = Object.keys(stacks).filter((name) => typeof stacks[name] === 'object' && stacks[name] !== null);
  const name = stack ?? (names.length === 1 ? names[0] : names.find((candidate) => candidate === DEFAULT_STACK_NAME));
  if (!name || !names.includes(name)) {
    throw new CliError(`${file} has stacks ${names.join(', ') || '(none)'}; name one with --stack`);
  }
  const outputs = stacks[name] as Record<string, unknown>;
  return { name, outputs: Object.fromEntries(Object.entries(outputs).filter((entry): entry is [string, string] => typeof entry[1] === 'string')) };
}

/** Reads a function's environment with GetFunctionConfiguration; the client is loaded only when a redrive needs it. */
function lambdaEnvironment(region: string | undefined): FunctionEnvironmentReader {
  return async (functionName) => {
    const [{ LambdaClient }, { lambdaFunctionEnvironment }] = await Promise.all([import('@aws-sdk/client-lambda'), import('./ingest-function-setup')]);
    // Credentials and endpoint come from the usual environment (AWS_PROFILE, AWS_ENDPOINT_URL, …).
    const client = new LambdaClient(region ? { region } : {});
    try {
      return await lambdaFunctionEnvironment(client)(functionName);
    } finally {
      client.destroy();
    }
  };
}

/** Reads a secret with GetSecretValue; the client is loaded only when a redrive needs it. */
function secretsManagerValue(region: string | undefined): SecretReader {
  return async (secretId) => {
    const [{ SecretsManagerClient }, { secretsManagerReader }] = await Promise.all([
      import('@aws-sdk/client-secrets-manager'),
      import('./ingest-function-setup'),
    ]);
    const client = new SecretsManagerClient(region ? { region } : {});
    try {
      return await secretsManagerReader(client)(secretId);
    } finally {
      client.destroy();
    }
  };
}

async function cloudFormationOutputs(stack: string, region: string | undefined): Promise<Record<string, string>> {
  // Loaded only for --stack: the other commands do not pay for it.
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient(region ? { region } : {});
  try {
    const { Stacks = [] } = await client.send(new DescribeStacksCommand({ StackName: stack }));
    const outputs = Stacks[0]?.Outputs ?? [];
    return Object.fromEntries(outputs.filter((output) => output.OutputKey && output.OutputValue).map((output) => [output.OutputKey!, output.OutputValue!]));
  } catch (error) {
    throw new CliError(`CloudFormation could not describe stack ${stack}: ${(error as Error).message}`, { cause: error });
  } finally {
    client.destroy();
  }
}

type LocalConfig = Readonly<{
  apiUrl: string;
  region: string;
  sqs: Readonly<{ kind: string; endpoint?: string }>;
  signupQueueUrl: string;
  deadLetterQueueUrl: string;
  apiSecret: string;
  /** Local mode's ingest configuration (absent from older local modes). */
  ingest?: IngestSetup;
}>;

async function localTarget(url: string, deps: TargetDeps): Promise<Target> {
  const base = url.replace(/\/+$/, '');
  let config: LocalConfig;
  try {
    const response = await (deps.fetch ?? fetch)(`${base}/_local/api/config`, { signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    config = (await response.json()) as LocalConfig;
  } catch (error) {
    throw new CliError(
      `Local mode is not running at ${base} (${(error as Error).message}). Start it with \`npm start\`; if it runs elsewhere (PORT=…), ` +
        'pass --local <url> with the API URL its start banner prints (or set SIGNUP_SYNC_LOCAL_URL). ' +
        'For a deployed stack: --stack <name>, --outputs-file <file>, or --queue-url/--dlq-url.',
      { cause: error },
    );
  }
  return {
    description: `local mode at ${base}`,
    sqs: createSqsClient({ ...(config.sqs.endpoint ? { endpoint: config.sqs.endpoint } : {}), region: config.region, env: deps.env }),
    signupQueueUrl: config.signupQueueUrl,
    deadLetterQueueUrl: config.deadLetterQueueUrl,
    apiUrl: config.apiUrl,
    apiSecret: config.apiSecret,
    ...(config.ingest ? { ingestSetup: async () => config.ingest! } : {}),
    local: true,
  };
}

export async function resolveTarget(flags: TargetFlags, deps: TargetDeps): Promise<Target> {
  const remote = [
    flags.queueUrl || flags.dlqUrl ? '--queue-url/--dlq-url' : '',
    flags.outputsFile ? '--outputs-file' : '',
    flags.stack && !flags.outputsFile ? '--stack' : '',
  ].filter(Boolean);
  if (flags.local !== undefined && remote.length > 0) throw new CliUsageError(`--local cannot be combined with ${remote.join(', ')}`);
  if (flags.outputsFile) {
    const { name, outputs } = outputsFileStack(flags.outputsFile, flags.stack);
    return fromOutputs(outputs, `stack outputs in ${flags.outputsFile}`, flags, deps, name);
  }
  if (flags.stack) {
    // A store pinned to a region in cdk.json is looked up there unless --region says otherwise.
    const region = flags.region ?? deps.stackRegion?.(flags.stack);
    const outputs = await (deps.stackOutputs ?? cloudFormationOutputs)(flags.stack, region);
    return fromOutputs(outputs, `stack ${flags.stack}`, { ...flags, ...(region ? { region } : {}) }, deps, flags.stack);
  }
  if (flags.queueUrl || flags.dlqUrl) return fromOutputs({}, 'the given queue URLs', flags, deps);
  return localTarget(flags.local ?? deps.env['SIGNUP_SYNC_LOCAL_URL'] ?? DEFAULT_LOCAL_URL, deps);
}

export function requireQueue(target: Target, which: 'signup' | 'dead-letter'): { sqs: SQSClient; url: string } {
  const url = which === 'signup' ? target.signupQueueUrl : target.deadLetterQueueUrl;
  if (!target.sqs || !url) {
    throw new CliUsageError(
      which === 'signup'
        ? `No signups queue in ${target.description}: pass --queue-url (or --stack / --outputs-file)`
        : `No dead-letter queue in ${target.description}: pass --dlq-url (or --stack / --outputs-file)`,
    );
  }
  return { sqs: target.sqs, url };
}
