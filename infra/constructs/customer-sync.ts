import * as path from 'node:path';
import { Duration, RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { type StackConfig, syncSettingsEnvironment } from '../../shared/deployment/stack-config';
import { SignupFunction } from './node-function';

export type CustomerSyncProps = Readonly<{
  queue: IQueue;
  deadLetterQueue: IQueue;
  config: StackConfig;
}>;

/** The consumer: event source mapping -> sync function -> BigCommerce, with the token secret it alone may read. */
export class CustomerSync extends Construct {
  readonly function: SignupFunction['function'];
  readonly tokenSecret: ISecret;
  readonly eventSource: SqsEventSource;

  constructor(scope: Construct, id: string, props: CustomerSyncProps) {
    super(scope, id);
    const { config } = props;
    // The email hash in the sync's logs takes its key from the token (shared/observability/email-hash.ts):
    // no secret of its own, and no key in the function's environment.
    this.tokenSecret = this.resolveTokenSecret(config);

    this.function = new SignupFunction(this, 'Sync', {
      entry: path.join(__dirname, '../../functions/sync/handler.ts'),
      description: 'signup-sync: creates BigCommerce customers in batches of up to 10',
      timeout: Duration.seconds(config.syncTimeoutSeconds),
      logRetentionDays: config.logRetentionDays,
      tracing: config.tracing,
      environment: {
        SIGNUP_QUEUE_URL: props.queue.queueUrl,
        DEAD_LETTER_QUEUE_URL: props.deadLetterQueue.queueUrl,
        BIGCOMMERCE_STORE_HASH: config.storeHash,
        BIGCOMMERCE_TOKEN_SECRET: this.tokenSecret.secretArn,
        BIGCOMMERCE_API_URL: config.bigCommerceApiUrl,
        ...syncSettingsEnvironment(config),
      },
    }).function;

    this.tokenSecret.grantRead(this.function);
    props.deadLetterQueue.grantSendMessages(this.function);

    this.eventSource = new SqsEventSource(props.queue, {
      // One BigCommerce POST takes at most 10 customers.
      batchSize: 10,
      // Waiting a few seconds fills batches under light load: fewer requests against the store's quota.
      maxBatchingWindow: Duration.seconds(config.batchingWindowSeconds),
      reportBatchItemFailures: true,
      // The quota is per store; maxConcurrency (not reserved concurrency) throttles without early DLQ moves.
      maxConcurrency: config.maxConcurrency,
    });
    // Grants ReceiveMessage, DeleteMessage, ChangeMessageVisibility and GetQueueAttributes on the queue only.
    this.function.addEventSource(this.eventSource);
  }

  private resolveTokenSecret(config: StackConfig): ISecret {
    if (config.tokenSecretArn) return Secret.fromSecretCompleteArn(this, 'TokenSecret', config.tokenSecretArn);
    if (config.tokenSecretName) return Secret.fromSecretNameV2(this, 'TokenSecret', config.tokenSecretName);
    return new Secret(this, 'TokenSecret', {
      description: 'BigCommerce store API token for signup-sync: put the token (or {"access_token": "…"}) here',
      // A readable placeholder rather than a random value: the sync reports "no access_token" instead of a 401.
      secretStringValue: SecretValue.unsafePlainText('{"access_token":""}'),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
