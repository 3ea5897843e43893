import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { type CfnStage, HttpApi, HttpMethod, type HttpRoute, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { type ILogGroup, LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CONFIRM_PATH, INGEST_ROUTES, routeKey, SOURCE_PATH } from '../../shared/http/routes';
import { CANONICAL_SOURCE_ID } from '../../shared/ingest/ingest-sources';
import { type SourceConfigInput, sourceRouteSegment } from '../../shared/sources/source-config';
import type { DeliveryLedger } from './delivery-ledger';
import { SignupFunction } from './node-function';

/** The ingest function's timeout; a delivery's in-progress record blocks its retries no longer than this. */
const INGEST_TIMEOUT = Duration.seconds(10);

/**
 * The ingest's memory, and so its CPU (Lambda gives one vCPU per 1,769 MB): a person posting a form to a cold
 * function waits for Node's start, the bundle's load and the first request's work, mostly CPU, so the cold
 * answer shrinks with the share, up to one whole vCPU: Node runs the JavaScript on one thread, so a larger
 * size buys little more. At 1,769 MB both POST /signups and a form post (the slower: five calls in a row, one
 * of them the CAPTCHA provider) answer a cold start in about 400 ms or less (docs/benchmarks.md, "The ingest's
 * cold answer"). A warm request waits on I/O, so each MB is paid on every request for little: the bench's
 * cost model reads this size from the synthesized template.
 */
export const INGEST_MEMORY_MB = 1769;

export type SignupIngressProps = Readonly<{
  queue: IQueue;
  /** Unmappable signups of webhook deliveries go here (shared/ingest/unmappable.ts): the ingest may send to it. */
  deadLetterQueue: IQueue;
  /** The global signup settings as environment variables (shared/deployment/stack-config.ts ingestSettingsEnvironment). */
  settingsEnvironment: Readonly<Record<string, string>>;
  throttle: Readonly<{ rateLimit: number; burstLimit: number }>;
  /** Per configured source id, the throttle of its own routes (/sources/<id>). */
  sourceThrottles: Readonly<Record<string, Readonly<{ rateLimit: number; burstLimit: number }>>>;
  /** The double opt-in confirm routes' own throttle (GET and POST /confirm/{token}). */
  confirmThrottle: Readonly<{ rateLimit: number; burstLimit: number }>;
  logRetentionDays: number;
  /** X-Ray active tracing (cdk.json `tracing`). */
  tracing: boolean;
  /** The configured sources, validated (shared/deployment/stack-config.ts); passed to the function as SOURCES_CONFIG. */
  sources: readonly SourceConfigInput[];
  /** Where the ingest records each delivery before enqueueing it; only the ingest may use it. */
  deliveryLedger: DeliveryLedger;
  /** How long a delivery is remembered (cdk.json deliveryRetentionHours). */
  deliveryRetentionSeconds: number;
  /** Custom field names customFieldMap sends to customer attributes (at most 10 per signup, checked at ingest). */
  customAttributeFields: readonly string[];
  /** POST /signups also accepts a bearer token (cdk.json signupsBearerToken). */
  signupsBearerToken: boolean;
  /** The key of the email hash in the trace lines: the sync's, so both functions hash an email alike. */
  logHashKey: ISecret;
  /** Import the sources secret instead of creating it (at most one of the two). */
  sourcesSecretName?: string;
  sourcesSecretArn?: string;
  /** The stack's customer-managed key: the function's logs and environment, the access logs, a created sources secret. */
  encryptionKey?: IKey;
}>;

/**
 * The public edge: HTTP API (the routes of shared/http/routes.ts) -> ingest function, which is the only
 * thing allowed to send to the queue and the only reader of the sources secret.
 */
export class SignupIngress extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly function: SignupFunction['function'];
  /** The ingest function's log group and the API's access logs (`signup-sync trace` reads both). */
  readonly logGroup: ILogGroup;
  readonly accessLogs: ILogGroup;
  /** JSON object sourceId -> secret; its `api` entry protects POST /signups. */
  readonly sourcesSecret: ISecret;
  /** Per configured source id, its path: `/sources/<id>-<routeToken>` (an html-form: `/sources/<id>`). */
  readonly sourcePaths: Record<string, string> = {};

  constructor(scope: Construct, id: string, props: SignupIngressProps) {
    super(scope, id);
    this.sourcesSecret = this.resolveSourcesSecret(props);
    const ingest = new SignupFunction(this, 'Ingest', {
      entry: path.join(__dirname, '../../functions/ingest/handler.ts'),
      description: 'signup-sync ingest: authenticates, validates and enqueues signups',
      timeout: INGEST_TIMEOUT,
      memorySize: INGEST_MEMORY_MB,
      logRetentionDays: props.logRetentionDays,
      tracing: props.tracing,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
      environment: {
        SIGNUP_QUEUE_URL: props.queue.queueUrl,
        DEAD_LETTER_QUEUE_URL: props.deadLetterQueue.queueUrl,
        ...props.settingsEnvironment,
        SOURCES_CONFIG: JSON.stringify(props.sources),
        SOURCES_SECRET: this.sourcesSecret.secretArn,
        DELIVERY_LEDGER_TABLE: props.deliveryLedger.table.tableName,
        DELIVERY_RETENTION_SECONDS: String(props.deliveryRetentionSeconds),
        DELIVERY_IN_PROGRESS_SECONDS: String(INGEST_TIMEOUT.toSeconds()),
        CUSTOM_ATTRIBUTE_FIELDS: JSON.stringify(props.customAttributeFields),
        SIGNUPS_BEARER_TOKEN: String(props.signupsBearerToken),
        // A dynamic reference resolved at deploy time, as for the sync (infra/constructs/customer-sync.ts).
        LOG_HASH_KEY: props.logHashKey.secretValue.unsafeUnwrap(),
      },
    });
    this.function = ingest.function;
    this.logGroup = ingest.logGroup;
    // With SendMessage this grants GetQueueAttributes, which the cold start's warm-up reads (shared/aws/cold-start-warm-up.ts).
    props.queue.grantSendMessages(this.function);
    props.deadLetterQueue.grantSendMessages(this.function);
    props.deliveryLedger.grantLedgerUse(this.function);
    this.sourcesSecret.grantRead(this.function);

    this.api = new HttpApi(this, 'Api', { description: 'signup-sync ingest API', createDefaultStage: false });
    // One integration for every route; the function dispatches on the route key (shared/http/routes.ts).
    const integration = new HttpLambdaIntegration('IngestIntegration', this.function);
    // The confirm routes get a throttle of their own: people clicking mail links, never the sources' buckets.
    const routeThrottles: Record<string, Readonly<{ rateLimit: number; burstLimit: number }>> = {};
    const throttledRoutes: HttpRoute[] = [];
    for (const route of INGEST_ROUTES) {
      const added = this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
      if (route.path === CONFIRM_PATH) {
        routeThrottles[routeKey(route)] = props.confirmThrottle;
        throttledRoutes.push(...added);
      }
    }
    // Each configured source also gets routes of its own (a literal path wins over {sourceId} in API
    // Gateway), so it gets a throttle of its own: one flooded form cannot use up a webhook's requests.
    // A webhook's path carries its route token (/sources/<id>-<routeToken>), so only its sender knows the
    // route whose bucket it uses; requests for any other path share the stage default of {sourceId}.
    // The function matches them by path (shared/http/routes.ts matchIngestRoute).
    const segments = new Map(props.sources.map((source) => [source.id, sourceRouteSegment(source)]));
    const sourceRoutes = routeThrottles;
    const sourceRouteConstructs = throttledRoutes;
    for (const [sourceId, throttle] of Object.entries(props.sourceThrottles)) {
      const path = `/sources/${segments.get(sourceId) ?? sourceId}`;
      this.sourcePaths[sourceId] = path;
      for (const route of INGEST_ROUTES.filter((candidate) => candidate.path === SOURCE_PATH)) {
        sourceRouteConstructs.push(...this.api.addRoutes({ path, methods: [HttpMethod[route.method]], integration }));
        sourceRoutes[`${route.method} ${path}`] = throttle;
      }
    }

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
    this.accessLogs = accessLogs;
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
    if (sourceRouteConstructs.length > 0) {
      // HttpStage has no per-route settings; the route keys must exist before the stage names them.
      const stage = this.stage.node.defaultChild as CfnStage;
      stage.routeSettings = Object.fromEntries(
        Object.entries(sourceRoutes).map(([key, throttle]) => [key, { ThrottlingRateLimit: throttle.rateLimit, ThrottlingBurstLimit: throttle.burstLimit }]),
      );
      for (const route of sourceRouteConstructs) stage.node.addDependency(route);
    }
  }

  private resolveSourcesSecret(props: SignupIngressProps): ISecret {
    if (props.sourcesSecretArn) return Secret.fromSecretCompleteArn(this, 'SourcesSecret', props.sourcesSecretArn);
    if (props.sourcesSecretName) return Secret.fromSecretNameV2(this, 'SourcesSecret', props.sourcesSecretName);
    return new Secret(this, 'SourcesSecret', {
      description:
        'signup-sync source secrets: a JSON object of source id -> secret. "api" (generated) protects POST /signups; add one entry per configured source',
      // The `api` entry is generated: 48 letters and digits read as base64 give a 36-byte Standard Webhooks
      // key (the spec wants 24 to 64), and the same string is the bearer token. CloudFormation generates one
      // value per secret, so the dead-letter key is derived from it until a `deadLetters` entry is added
      // (shared/ingest/dead-letter-keys.ts).
      generateSecretString: {
        secretStringTemplate: JSON.stringify({}),
        generateStringKey: CANONICAL_SOURCE_ID,
        passwordLength: 48,
        excludePunctuation: true,
        includeSpace: false,
      },
      removalPolicy: RemovalPolicy.RETAIN,
      ...(props.encryptionKey ? { encryptionKey: props.encryptionKey } : {}),
    });
  }
}
