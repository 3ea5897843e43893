import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { ApplicationLogLevel, Architecture, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { FUNCTION_BUNDLING, FUNCTION_ENVIRONMENT } from './function-bundling';

export type SignupFunctionProps = Readonly<{
  entry: string;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment?: Readonly<Record<string, string>>;
  logRetentionDays: number;
  /** X-Ray active tracing (cdk.json `tracing`); off: no TracingConfig and no X-Ray permissions. */
  tracing: boolean;
  /** The stack's customer-managed key: it encrypts the log group and the environment variables. */
  encryptionKey?: IKey;
}>;

/**
 * Lambda's log settings for every function: JSON lines (Powertools Logger writes JSON anyway, and the level
 * filter needs it); the functions' own lines from INFO, so each request's and each signup's line stays
 * (they carry what the metrics used to count, docs/operations.md); Lambda's own platform lines only from
 * WARN, which drops the START, END and REPORT lines of every invocation: their duration, billed duration,
 * memory size and max memory are in Lambda's Duration metric and in the `cold_start` field of our lines.
 */
export const FUNCTION_LOGGING = {
  loggingFormat: LoggingFormat.JSON,
  applicationLogLevelV2: ApplicationLogLevel.INFO,
  systemLogLevelV2: SystemLogLevel.WARN,
} as const;

/**
 * Our Lambda defaults in one place: Node 22 on arm64 (cheaper per ms than x86_64), bundled by local
 * esbuild (no Docker) as function-bundling.ts says (bench/cold-start.ts measures those same settings),
 * JSON logs filtered by level (FUNCTION_LOGGING), X-Ray active tracing only when asked for, its own log
 * group, and its own role that may write to that log group only (instead of the managed
 * AWSLambdaBasicExecutionRole, which allows every log group in the account).
 */
export class SignupFunction extends Construct {
  readonly function: NodejsFunction;
  /** Its own log group (`signup-sync trace` queries it with Logs Insights). */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: SignupFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
    this.logGroup = logGroup;
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: writes its own log group; data-plane grants are added by the stack`,
    });
    // logs:CreateLogStream and logs:PutLogEvents on this group; the group exists, so no CreateLogGroup.
    logGroup.grantWrite(role);
    // Lambda decrypts the environment variables with the function's role when they are under a customer-managed key.
    props.encryptionKey?.grantDecrypt(role);
    this.function = new NodejsFunction(this, 'Function', {
      role,
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      timeout: props.timeout,
      memorySize: props.memorySize ?? 256,
      logGroup,
      ...FUNCTION_LOGGING,
      // With tracing, Lambda records each sampled invocation in X-Ray and the functions add their AWS SDK and
      // BigCommerce calls as subsegments (shared/observability/tracing.ts); TRACING tells the code.
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      // NODE_OPTIONS=--enable-source-maps: frames name the .ts file and line (test/infra/source-maps.test.ts).
      environment: { ...FUNCTION_ENVIRONMENT, TRACING: props.tracing ? 'active' : 'off', ...props.environment },
      ...(props.encryptionKey ? { environmentEncryption: props.encryptionKey } : {}),
      bundling: {
        minify: FUNCTION_BUNDLING.minify,
        sourceMap: FUNCTION_BUNDLING.sourceMap,
        sourcesContent: FUNCTION_BUNDLING.sourcesContent,
        target: FUNCTION_BUNDLING.target,
        format: OutputFormat.CJS,
        bundleAwsSDK: FUNCTION_BUNDLING.bundleAwsSdk,
        externalModules: [...FUNCTION_BUNDLING.externalModules],
        ...(FUNCTION_BUNDLING.bundleAwsSdk ? { mainFields: [...FUNCTION_BUNDLING.mainFields] } : {}),
        forceDockerBundling: false,
        // esbuild's size table and timing on every synth are noise; warnings and errors still print.
        logLevel: LogLevel.WARNING,
      },
    });
  }
}
