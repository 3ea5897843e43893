import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export type SignupFunctionProps = Readonly<{
  entry: string;
  description: string;
  timeout: Duration;
  memorySize?: number;
  environment?: Readonly<Record<string, string>>;
  logRetentionDays: number;
}>;

/**
 * Our Lambda defaults in one place: Node 22 on arm64 (cheaper per ms than x86_64), bundled by local
 * esbuild (no Docker), minified with source maps, X-Ray tracing, its own log group, and its own
 * role that may write to that log group only (instead of the managed
 * AWSLambdaBasicExecutionRole, which allows every log group in the account).
 */
export class SignupFunction extends Construct {
  readonly function: NodejsFunction;

  constructor(scope: Construct, id: string, props: SignupFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${props.description}: writes its own log group; data-plane grants are added by the stack`,
    });
    // logs:CreateLogStream and logs:PutLogEvents on this group; the group exists, so no CreateLogGroup.
    logGroup.grantWrite(role);
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
      // Powertools Tracer sends the handler and AWS SDK calls to X-Ray.
      tracing: Tracing.ACTIVE,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        format: OutputFormat.CJS,
        // The Lambda runtime ships the AWS SDK v3; bundling it would add ~500 kB without a faster load.
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
        // esbuild's size table and timing on every synth are noise; warnings and errors still print.
        logLevel: LogLevel.WARNING,
      },
    });
  }
}
