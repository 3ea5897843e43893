import { GetFunctionConfigurationCommand, type GetFunctionConfigurationCommandOutput, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { loadIngestConfig } from '../shared/config/ingest-config';
import { parseSourceSecrets } from '../shared/ingest/ingest-sources';
import { CliError } from './errors';
import type { IngestSetup } from './unmappable-redrive';

/**
 * A deployed stack's ingest configuration, for re-running `unmappable` dead letters (`dlq redrive`):
 * what the deployed ingest runs with is its function's environment (SOURCES_CONFIG, NAMELESS_POLICY,
 * CUSTOM_ATTRIBUTE_FIELDS), read with lambda:GetFunctionConfiguration from the function the stack
 * output IngestFunctionName names. The environment holds no secret (the sources secret is only named there):
 * the dead-letter keys that verify each letter are read from that secret (secretsmanager:GetSecretValue).
 */

/** A secret's SecretString (a port: the CLI reads Secrets Manager, tests inject one). */
export type SecretReader = (secretId: string) => Promise<string | undefined>;

export function secretsManagerReader(secretsManager: SecretsManagerClient): SecretReader {
  return async (secretId) => {
    try {
      return (await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const hint = name === 'AccessDeniedException' ? ' (the operator needs secretsmanager:GetSecretValue on it, and kms:Decrypt on its key)' : '';
      throw new CliError(
        `Cannot read the sources secret ${secretId}, whose dead-letter keys verify unmappable letters${hint}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  };
}

/** A function's environment variables (a port: the CLI reads Lambda, tests inject one). */
export type FunctionEnvironmentReader = (functionName: string) => Promise<Readonly<Record<string, string>>>;

export function lambdaFunctionEnvironment(lambda: LambdaClient): FunctionEnvironmentReader {
  return async (functionName) => {
    let configuration: GetFunctionConfigurationCommandOutput;
    try {
      configuration = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      const hint = name === 'AccessDeniedException' ? ' (the operator needs lambda:GetFunctionConfiguration on it)' : '';
      throw new CliError(
        `Cannot read the configuration of the ingest function ${functionName}${hint}: ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
    const environment = configuration.Environment;
    // Lambda reports a failed decryption of the variables here instead of failing the call.
    if (environment?.Error) {
      throw new CliError(
        `Lambda could not give the environment of the ingest function ${functionName}: ${environment.Error.ErrorCode ?? 'error'} (${environment.Error.Message ?? 'no message'})`,
      );
    }
    return environment?.Variables ?? {};
  };
}

function jsonValue(environment: Readonly<Record<string, string>>, name: string): unknown {
  const text = environment[name];
  return text === undefined || text === '' ? undefined : (JSON.parse(text) as unknown);
}

/**
 * The function's environment checked with the ingest's own cold-start validation
 * (shared/config/ingest-config.ts, which parses SOURCES_CONFIG with shared/ingest/ingest-sources.ts),
 * so the redrive refuses exactly what the ingest would refuse; then the raw values, as local mode gives them.
 */
export function ingestSetupFromEnvironment(environment: Readonly<Record<string, string>>, functionName: string): IngestSetup {
  let attributeFields: ReadonlySet<string>;
  try {
    attributeFields = loadIngestConfig(environment).attributeFields;
  } catch (error) {
    throw new CliError(
      `The ingest function ${functionName} has a configuration its own cold start refuses: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  const sources = jsonValue(environment, 'SOURCES_CONFIG') ?? [];
  const namelessPolicy = jsonValue(environment, 'NAMELESS_POLICY');
  return {
    sources: Array.isArray(sources) ? sources : [],
    ...(namelessPolicy !== undefined ? { namelessPolicy } : {}),
    customAttributeFields: [...attributeFields],
  };
}

/** Reads and checks the deployed ingest's configuration. */
export async function deployedIngestSetup(readEnvironment: FunctionEnvironmentReader, functionName: string): Promise<IngestSetup> {
  return ingestSetupFromEnvironment(await readEnvironment(functionName), functionName);
}

/**
 * The dead-letter keys of the sources secret the deployed ingest's SOURCES_SECRET names (parsed as the
 * ingest parses it, shared/ingest/ingest-sources.ts): only `dlq redrive` needs them, so only it reads the secret.
 */
export async function deployedDeadLetterKeys(
  readEnvironment: FunctionEnvironmentReader,
  functionName: string,
  readSecret: SecretReader,
): Promise<readonly string[]> {
  const environment = await readEnvironment(functionName);
  const secretId = environment['SOURCES_SECRET'];
  if (!secretId) throw new CliError(`The ingest function ${functionName} names no sources secret (SOURCES_SECRET)`);
  const { deadLetterKeys } = parseSourceSecrets(await readSecret(secretId), []);
  if (deadLetterKeys.keys.length === 0)
    throw new CliError(
      `The sources secret ${secretId} yields no dead-letter key (${deadLetterKeys.problems.join('; ') || 'no "deadLetters" entry and no "api" secret'}), so no unmappable letter can be verified`,
    );
  return deadLetterKeys.keys;
}
