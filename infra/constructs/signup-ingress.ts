import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import * as path from 'node:path';
import { SignupFunction } from './node-function';

export type SignupIngressProps = Readonly<{
  queue: IQueue;
  throttle: Readonly<{ rateLimit: number; burstLimit: number }>;
  logRetentionDays: number;
}>;

/** The public edge: HTTP API -> ingest function, which is the only thing allowed to send to the queue. */
export class SignupIngress extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly function: SignupFunction['function'];

  constructor(scope: Construct, id: string, props: SignupIngressProps) {
    super(scope, id);
    this.function = new SignupFunction(this, 'Ingest', {
      entry: path.join(__dirname, '../../functions/ingest/handler.ts'),
      description: 'signup-sync ingest: validates signups and enqueues them',
      timeout: Duration.seconds(10),
      logRetentionDays: props.logRetentionDays,
      environment: { SIGNUP_QUEUE_URL: props.queue.queueUrl },
    }).function;
    props.queue.grantSendMessages(this.function);

    this.api = new HttpApi(this, 'Api', { description: 'signup-sync ingest API', createDefaultStage: false });
    this.api.addRoutes({
      path: '/signups',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('IngestIntegration', this.function),
    });

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
}
