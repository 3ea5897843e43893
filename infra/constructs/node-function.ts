import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
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
  /** The stack's customer-managed key: it encrypts the log group and the environment variables. */
  encryptionKey?: IKey;
}>;

/**
 * Our Lambda defaults in one place: Node 22 on arm64 (cheaper per ms than x86_64), bundled by local
 * esbuild (no Docker) as function-bundling.ts says (bench/cold-start.ts measures those same settings),
 * X-Ray active tracing, its own log group, and its own role that may write to that log group only
 * (instead of the managed AWSLambdaBasicExecutionRole, which allows every log group in the account).
 */
export class SignupFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: SignupFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
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
      // Lambda records each invocation in X-Ray; the BigCommerce call is a subsegment (function-bundling.ts).
      tracing: Tracing.ACTIVE,
      // NODE_OPTIONS=--enable-source-maps: frames name the .ts file and line (test/infra/source-maps.test.ts);
      // POWERTOOLS_TRACE_ENABLED=false: the Tracer stays unloaded (function-bundling.ts).
      environment: { ...FUNCTION_ENVIRONMENT, ...props.environment },
      ...(props.encryptionKey ? { environmentEncryption: props.encryptionKey } : {}),
      bundling: {
        minify: FUNCTION_BUNDLING.minify,
        sourceMap: FUNCTION_BUNDLING.sourceMap,
        sourcesContent: FUNCTION_BUNDLING.sourcesContent,
        target: FUNCTION_BUNDLING.target,
        format: OutputFormat.CJS,
        bundleAwsSDK: FUNCTION_BUNDLING.bundleAwsSdk,
        ...(FUNCTION_BUNDLING.bundleAwsSdk ? { mainFields: [...FUNCTION_BUNDLING.mainFields] } : {}),
        forceDockerBundling: false,
        // esbuild's size table and timing on every synth are noise; warnings and errors still print.
        logLevel: LogLevel.WARNING,
      },
    });
  }
}
