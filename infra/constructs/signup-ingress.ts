import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import * as path from 'node:path';
import { INGEST_ROUTES } from '../../shared/http/routes';
import { CANONICAL_SOURCE_ID } from '../../shared/ingest/ingest-sources';
import type { SourceConfigInput } from '../../shared/sources/source-config';
import { SignupFunction } from './node-function';

export type SignupIngressProps = Readonly<{
  queue: IQueue;
  throttle: Readonly<{ rateLimit: number; burstLimit: number }>;
  logRetentionDays: number;
  /** The configured sources, validated (shared/deployment/stack-config.ts); passed to the function as SOURCES_CONFIG. */
  sources: readonly SourceConfigInput[];
  /** Import the sources secret instead of creating it (at most one of the two). */
  sourcesSecretName?: string;
  sourcesSecretArn?: string;
}>;

/**
 * The public edge: HTTP API (the routes of shared/http/routes.ts) -> ingest function, which is the only
 * thing allowed to send to the queue and the only reader of the sources secret.
 */
export class SignupIngress extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly function: SignupFunction['function'];
  /** JSON object sourceId -> secret; its `api` entry protects POST /signups. */
  readonly sourcesSecret: ISecret;

  constructor(scope: Construct, id: string, props: SignupIngressProps) {
    super(scope, id);
    this.sourcesSecret = this.resolveSourcesSecret(props);
    this.function = new SignupFunction(this, 'Ingest', {
      entry: path.join(__dirname, '../../functions/ingest/handler.ts'),
      description: 'signup-sync ingest: authenticates, validates and enqueues signups',
      timeout: Duration.seconds(10),
      logRetentionDays: props.logRetentionDays,
      environment: {
        SIGNUP_QUEUE_URL: props.queue.queueUrl,
        SOURCES_CONFIG: JSON.stringify(props.sources),
        SOURCES_SECRET: this.sourcesSecret.secretArn,
      },
    }).function;
    props.queue.grantSendMessages(this.function);
    this.sourcesSecret.grantRead(this.function);

    this.api = new HttpApi(this, 'Api', { description: 'signup-sync ingest API', createDefaultStage: false });
    // One integration for every route; the function dispatches on the route key (shared/http/routes.ts).
    const integration = new HttpLambdaIntegration('IngestIntegration', this.function);
    for (const route of INGEST_ROUTES) {
      this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // No path or query string: some senders (Mailchimp, Jotform) carry their secret token in the URL.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            responseLength: '$context.responseLength',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
  }

  private resolveSourcesSecret(props: SignupIngressProps): ISecret {
    if (props.sourcesSecretArn) return Secret.fromSecretCompleteArn(this, 'SourcesSecret', props.sourcesSecretArn);
    if (props.sourcesSecretName) return Secret.fromSecretNameV2(this, 'SourcesSecret', props.sourcesSecretName);
    return new Secret(this, 'SourcesSecret', {
      description:
        'signup-sync source secrets: a JSON object of source id -> secret. "api" (generated) protects POST /signups; add one entry per configured source',
      // The `api` entry is generated: 48 letters and digits read as base64 give a 36-byte Standard Webhooks
      // key (the spec wants 24 to 64), and the same string is the bearer token.
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: CANONICAL_SOURCE_ID,
        passwordLength: 48,
        excludePunctuation: true,
        includeSpace: false,
      },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
