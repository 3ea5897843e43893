import { randomBytes } from 'node:crypto';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { buildIngestHandler, type IngestHandler } from '../functions/ingest/build-handler';
import { buildSyncHandler, type SyncHandlerOverrides } from '../functions/sync/build-handler';
import {
  type DeadLetter,
  type DeadLetterDetail,
  deleteDeadLetters,
  listDeadLetters,
  type RedriveResult,
  redriveDeadLetters,
  showDeadLetters,
} from '../ops/dead-letters';
import { captchaSecretProblems } from '../ops/doctor/captcha-secret-check';
import type { LocalDoctorInfo } from '../ops/doctor/types';
import { createSqsClient, queueArn, queueDepth } from '../ops/queue-ops';
import type { TraceLogGroup } from '../ops/trace/trace-records';
import type { IngestSetup } from '../ops/unmappable-redrive';
import { type ConsentAdmin, createConsentAdmin } from '../shared/aws/dynamodb-consent-store';
import { checkedSourceSecrets } from '../shared/aws/sources-secret';
import { BIGCOMMERCE_USER_AGENT, type TokenProvider } from '../shared/bigcommerce/client';
import { loadIngestConfig } from '../shared/config/ingest-config';
import { loadSyncConfig } from '../shared/config/sync-config';
import { deriveConsentKeys } from '../shared/consent/consent-keys';
import { ingestSettingsEnvironment, sourceAlarmFor } from '../shared/deployment/stack-config';
import { attributeFieldsOf } from '../shared/ingest/attribute-limit';
import { CANONICAL_SOURCE_ID, parseSourceSecrets } from '../shared/ingest/ingest-sources';
import { createLogger, describeError, type LogFormat, type Logger } from '../shared/logger';
import { createEmailHasher } from '../shared/observability/email-hash';
import { dimensionsOf, loggedMetrics, Metric, type MetricsSink } from '../shared/observability/metric-names';
import { SOURCE_ID_DIMENSION } from '../shared/observability/source-metrics';
import { parseSourcesConfig, type SourceConfigInput, sourceRouteSegment } from '../shared/sources/source-config';
import { type BigCommerceSandbox, type SandboxOptions, startBigCommerceSandbox } from './bigcommerce-sandbox';
import { type SiteverifyStandIn, startSiteverifyStandIn } from './captcha/siteverify-stand-in';
import { doubleOptInEnvironment, personOfBody } from './consent/local-consent';
import { createOutbox, type Outbox } from './consent/outbox';
import { startEmbeddedDynamoDb } from './delivery-ledger/embedded-dynamodb';
import { createFormRoutes } from './demo/form-page';
import { createEventSourceMapping, type EventSourceMapping, type InvocationReport, type PollerStats } from './event-source/event-source-mapping';
import { type IngestFunction, startLocalServer } from './local-server';
import {
  configuredSources,
  DEPLOYED_FUNCTION_ENVIRONMENT,
  deadLetterQueueAttributes,
  type LocalTimings,
  localSourceSecrets,
  localTimings,
  readStackConfig,
  signupQueueAttributes,
  syncEnvironment,
  type TimingOverrides,
} from './local-settings';
import { closeServer } from './net';
import { EMBEDDED_REGION, type EmbeddedSqs, type QueueOutage, startEmbeddedSqs } from './sqs/embedded-sqs';
import { createOutcomeRecorder } from './status/outcome-recorder';
import type { DeadLetterView, StatusView } from './status/status-page';
import type { RedriveRequest } from './status/status-routes';
import { createStatusRoutes } from './status/status-routes';
import { createTraceLog } from './trace/trace-log';

/**
 * Local mode (docs/local-mode.md): the real ingest and sync handlers on one machine.
 *
 *   HTTP (loopback) -> API Gateway v2 event -> ingest handler -> SQS signups queue (+ DLQ)
 *   event source mapping (pollers) -> sync handler -> BigCommerce sandbox (or real BigCommerce)
 *
 * SQS is the embedded local-aws-sqs unless an endpoint is given (AWS_ENDPOINT_URL_SQS: moto, ElasticMQ,
 * LocalStack, real AWS). Queues get the CDK stack's attributes; settings come from cdk.json.
 */

/**
 * The canonical API's local secret (the `api` entry of the sources secret): a Standard Webhooks
 * `whsec_` key, also accepted as `Authorization: Bearer <it>`. Fixed so the curl lines of docs/local-mode.md work;
 * it only ever protects a loopback port. Override with LOCAL_API_SECRET.
 */
export const DEFAULT_LOCAL_API_SECRET = `whsec_${Buffer.from('signup-sync local mode, not secret').toString('base64')}`;

/** infra/constructs/signup-ingress.ts gives the ingest function 10 s. */
export const INGEST_TIMEOUT_MS = 10_000;

export type LocalModeOptions = Readonly<{
  /** Loopback interface for every server; default 127.0.0.1. */
  host?: string;
  /** API and status page port; 0 = random (default). */
  port?: number;
  /** Embedded SQS port; 0 = random (default). Ignored with `sqsEndpoint`. */
  sqsPort?: number;
  /** Use this SQS endpoint instead of the embedded one (default: AWS_ENDPOINT_URL_SQS). */
  sqsEndpoint?: string;
  /** Queue name prefix on a shared endpoint; default LOCAL_QUEUE_PREFIX or `signup-sync-local`. */
  queuePrefix?: string;
  /**
   * Where the delivery ledger's dynalite runs: in this process (default), or in a child process of its own so
   * that it does not share a core with everything else local mode runs (the chaos run's 110 requests a second).
   */
  ledgerProcess?: 'in-process' | 'child';
  /** Options for the in-process BigCommerce sandbox (ignored when real BigCommerce credentials are set). */
  sandbox?: SandboxOptions;
  /** Real BigCommerce instead of the sandbox (default: BIGCOMMERCE_STORE_HASH + BIGCOMMERCE_TOKEN). */
  bigCommerce?: Readonly<{ storeHash: string; token: string; apiUrl?: string }>;
  /** The sync's BIGCOMMERCE_REQUEST_TIMEOUT_MS (default 10 s, as deployed); chaos runs shorten it. */
  bigCommerceRequestTimeoutMs?: number;
  /** The sync's DEFERRAL_BACKOFF_SECONDS (default 1 min … 12 h, as deployed); chaos runs shorten it with the visibility timeout. */
  deferralBackoffSeconds?: readonly number[];
  /** Timings (tests shorten them); default from cdk.json. */
  timings?: TimingOverrides;
  /** cdk.json to read `signupSync` settings from. */
  cdkJsonPath?: string;
  /**
   * Sources served under /sources/{id} (default: cdk.json's `sources`, else none); a function gets
   * this server's origin (for html-form origins and redirects), e.g. local/demo/demo-sources.ts.
   */
  sources?: readonly SourceConfigInput[] | ((origin: string, local: LocalEndpoints) => readonly SourceConfigInput[]);
  /** Their secrets, by source id (the sources secret's content); default LOCAL_SOURCES_SECRET (JSON). */
  sourceSecrets?: Readonly<Record<string, unknown>>;
  /** The `api` secret for POST /signups; default LOCAL_API_SECRET or DEFAULT_LOCAL_API_SECRET. */
  apiSecret?: string;
  log?: Readonly<{ format?: LogFormat; level?: 'debug' | 'info' | 'warn' | 'error'; write?: (line: string) => void }>;
  /** Sees every sync invocation (tests). */
  onInvocation?: (report: InvocationReport) => void;
  /** Replaces parts of the sync's wiring (tests observe the pacer settings and the metrics through it). */
  syncOverrides?: Pick<SyncHandlerOverrides, 'createPacer' | 'metrics'>;
  env?: Readonly<Record<string, string | undefined>>;
}>;

/** Loopback stand-ins a source configuration may point at (an html-form's `captcha.verifyUrl`). */
export type LocalEndpoints = Readonly<{ captchaVerifyUrl: string }>;

/** What status() answers: the status page's view, plus the poller and the 429s (tests and the chaos run read them). */
export type StatusSnapshot = Omit<StatusView, 'bigCommerce'> &
  Readonly<{
    bigCommerce: Readonly<{ requests?: number; requestsPerCustomer?: number; rateLimited?: number }>;
    poller: PollerStats;
    /** Every answer of the API (not of /_local) by HTTP status, as the senders got them (the chaos run prints it). */
    apiAnswers: Readonly<Record<string, number>>;
  }>;

export type LocalModeConfig = Readonly<{
  apiUrl: string;
  statusUrl: string;
  region: string;
  sqs: Readonly<{ kind: 'embedded' | 'endpoint'; endpoint?: string }>;
  signupQueueUrl: string;
  deadLetterQueueUrl: string;
  bigCommerce: Readonly<{ kind: 'sandbox' | 'bigcommerce'; apiUrl: string; storeHash: string }>;
  apiSecret: string;
  timings: LocalTimings;
  /**
   * The ingest's sources, nameless policy and attribute fields, and the dead-letter keys (local secrets,
   * like `apiSecret`): `dlq redrive` verifies and re-runs unmappable dead letters with them, `import`
   * checks signups with the rest.
   */
  ingest: IngestSetup;
  /** Each source's URL, as the stack's SourceUrl… outputs give them (a webhook's carries its route token). */
  sourceUrls: readonly Readonly<{ id: string; kind: string; url: string }>[];
  /**
   * The consent table on the embedded DynamoDB and the run's hash key, for `signup-sync consent` and `forget`
   * (the stack's are its ConsentTableName and HashKeySecretArn outputs). Loopback only, like apiSecret.
   */
  consent: Readonly<{ endpoint: string; region: string; tableName: string; hashKey: string }>;
  /** The double opt-in mails local mode would send (HTML; `/_local/api/outbox`: JSON). */
  outboxUrl: string;
}>;

export type LocalMode = LocalModeConfig &
  Readonly<{
    /** The in-process sandbox (undefined with real BigCommerce). */
    sandbox?: BigCommerceSandbox;
    sqsClient: SQSClient;
    /** The double opt-in mails the sync sent (newest first). */
    outbox: Outbox;
    /** The consent table (tests read evidence and erase through it). */
    consentAdmin: ConsentAdmin;
    status(): Promise<StatusSnapshot>;
    /** The DLQ's messages, each with the signup id its outcome row shows (when this run saw it). */
    deadLetters(): Promise<DeadLetterView[]>;
    /** Redrives every dead letter, or only these (ids: dead letter ids or ingest ids), as `dlq redrive` does. */
    redrive(options?: RedriveRequest): Promise<RedriveResult>;
    /** One letter in full, without personal data (`dlq show`). */
    showDeadLetter(id: string): Promise<DeadLetterDetail | undefined>;
    /** Deletes these letters (`dlq delete`). */
    deleteDeadLetters(ids: readonly string[]): Promise<Readonly<{ deleted: DeadLetter[]; notFound: string[] }>>;
    /**
     * Puts a new BigCommerce token where the sync reads it, as `put-secret-value` does on AWS: the sync
     * keeps using its cached token until BigCommerce refuses it, then re-reads it once (the client's 401 path).
     */
    setBigCommerceToken(token: string): void;
    /** The loopback CAPTCHA siteverify stand-in (`setAnswer('fail')` makes the next checks fail). */
    captcha: SiteverifyStandIn;
    /** Makes the embedded SQS fail like an outage (503s) until called with `undefined`; throws with another endpoint. */
    setQueueOutage(outage: QueueOutage | undefined): void;
    /** Stops the pollers (letting invocations in progress finish), then every server. Idempotent. */
    stop(): Promise<void>;
  }>;

/**
 * Locally there is no Secrets Manager: the token lives in memory. Like the cached secret on AWS, `get`
 * returns the value read last and only `refresh` (after a 401) reads the current one.
 */
function localTokenSource(initial: string): TokenProvider & { put(token: string): void } {
  let stored = initial;
  let cached = initial;
  return {
    get: async () => cached,
    refresh: async () => (cached = stored),
    put: (token) => {
      stored = token;
    },
  };
}

/** Runs `fn` after the previous call finished (DLQ peeks and redrives must not see each other's hidden messages). */
function serialized() {
  let last: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const next = last.then(fn, fn);
    last = next.catch(() => undefined);
    return next;
  };
}

/** CreateQueue is idempotent for equal attributes; a queue left with other settings is named in the error. */
async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  try {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no URL`);
    return QueueUrl;
  } catch (error) {
    if ((error as Error).name === 'QueueNameExists' || (error as Error).name === 'QueueAlreadyExists') {
      throw new Error(`Queue ${name} already exists with other attributes (settings changed since it was created): delete it, or set LOCAL_QUEUE_PREFIX`, {
        cause: error,
      });
    }
    throw error;
  }
}

async function createQueues(sqs: SQSClient, prefix: string, timings: LocalTimings) {
  // The DLQ first: the signups queue's redrive policy names its ARN.
  const deadLetterQueueUrl = await createQueue(sqs, `${prefix}-dlq`, deadLetterQueueAttributes());
  const deadLetterQueueArn = await queueArn(sqs, deadLetterQueueUrl);
  const signupQueueUrl = await createQueue(sqs, `${prefix}-signups`, signupQueueAttributes(timings, deadLetterQueueArn));
  return { signupQueueUrl, signupQueueArn: await queueArn(sqs, signupQueueUrl), deadLetterQueueUrl };
}

export async function startLocalMode(options: LocalModeOptions = {}): Promise<LocalMode> {
  const env = options.env ?? process.env;
  const host = options.host ?? '127.0.0.1';
  const format = options.log?.format ?? 'json';
  // The functions' trace lines, kept for `signup-sync trace` (local/trace/trace-log.ts).
  const traceLog = createTraceLog();
  const makeLogger = (service: string, traced?: TraceLogGroup): Logger =>
    createLogger(service, {
      format,
      ...(options.log?.level ? { level: options.log.level } : {}),
      ...(options.log?.write ? { write: options.log.write } : {}),
      ...(traced ? { observe: traceLog.observer(traced) } : {}),
    });
  const logger = makeLogger('local-mode');
  const stackConfig = readStackConfig(options.cdkJsonPath, env['LOCAL_STORE'] || undefined);
  const timings = localTimings(stackConfig, options.timings);

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const step of cleanups.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        logger.warn('stopping: a step failed', describeError(error));
      }
    }
  };

  try {
    // (b) SQS: embedded, or any endpoint through the SDK's standard variable.
    const sqsEndpoint = options.sqsEndpoint ?? env['AWS_ENDPOINT_URL_SQS'];
    let embedded: EmbeddedSqs | undefined;
    if (!sqsEndpoint) {
      embedded = await startEmbeddedSqs({ host, port: options.sqsPort ?? 0 });
      cleanups.push(() => embedded!.close());
    }
    const region = embedded ? EMBEDDED_REGION : (env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'] ?? 'us-east-1');
    const sqs = createSqsClient({ endpoint: embedded?.endpoint ?? sqsEndpoint, region, env });
    cleanups.push(async () => sqs.destroy());
    const queues = await createQueues(sqs, options.queuePrefix ?? env['LOCAL_QUEUE_PREFIX'] ?? 'signup-sync-local', timings);
    // The ingest's delivery ledger: the same DynamoDB adapter as in Lambda, on an embedded DynamoDB.
    const ledgerStore = await startEmbeddedDynamoDb({ host, region, inProcess: options.ledgerProcess !== 'child' });
    cleanups.push(() => ledgerStore.close());

    // (d) BigCommerce: the sandbox in-process, unless real credentials are given.
    const real =
      options.bigCommerce ??
      (env['BIGCOMMERCE_STORE_HASH'] && env['BIGCOMMERCE_TOKEN']
        ? { storeHash: env['BIGCOMMERCE_STORE_HASH'], token: env['BIGCOMMERCE_TOKEN'], apiUrl: env['BIGCOMMERCE_API_URL'] }
        : undefined);
    let sandbox: BigCommerceSandbox | undefined;
    if (!real) {
      sandbox = await startBigCommerceSandbox({ host, ...options.sandbox });
      cleanups.push(() => sandbox!.close());
    }
    const bigCommerce = real
      ? { kind: 'bigcommerce' as const, apiUrl: real.apiUrl ?? 'https://api.bigcommerce.com', storeHash: real.storeHash, token: real.token }
      : { kind: 'sandbox' as const, apiUrl: sandbox!.url, storeHash: sandbox!.storeHash, token: sandbox!.token };

    // The stack's one hash key (the email hash in logs, the consent table's person keys, the double opt-in
    // links, the per-client limit): LOG_HASH_KEY, else a random one per run, shared by both handlers here as
    // the stack shares its generated secret.
    const hashKey = env['LOG_HASH_KEY'] ?? randomBytes(32).toString('hex');
    const consentKeys = deriveConsentKeys(hashKey);
    const consentAdmin = createConsentAdmin(ledgerStore.client, ledgerStore.consentTableName);
    const outbox = createOutbox();
    const syncLogger = makeLogger('signup-sync', 'sync');
    const tokenSource = localTokenSource(bigCommerce.token);
    const recorder = createOutcomeRecorder({ personOf: (body) => personOfBody(body, consentKeys) });
    // (c) The sync handler, built by functions/sync/build-handler.ts as in Lambda, with an in-memory token,
    // once the API listens (its double opt-in links point there).
    const createSync = () =>
      buildSyncHandler(
        loadSyncConfig({
          ...syncEnvironment(stackConfig, {
            signupQueueUrl: queues.signupQueueUrl,
            deadLetterQueueUrl: queues.deadLetterQueueUrl,
            storeHash: bigCommerce.storeHash,
            apiUrl: bigCommerce.apiUrl,
            logHashKey: hashKey,
          }),
          ...(options.bigCommerceRequestTimeoutMs !== undefined ? { BIGCOMMERCE_REQUEST_TIMEOUT_MS: String(options.bigCommerceRequestTimeoutMs) } : {}),
          ...(options.deferralBackoffSeconds !== undefined ? { DEFERRAL_BACKOFF_SECONDS: options.deferralBackoffSeconds.join(',') } : {}),
          // As many pollers as the event source runs here share the quota, so the pacer keeps that many - 1 back.
          SYNC_MAX_CONCURRENCY: String(timings.maxConcurrency),
          // As the stack sets them (infra/signup-sync-stack.ts), for the sources local mode serves.
          CONSENT_TABLE: ledgerStore.consentTableName,
          ...doubleOptInEnvironment(sourcesFor(apiUrl), apiUrl),
        }),
        {
          sqs,
          tokens: tokenSource,
          dynamoDb: ledgerStore.client,
          // Double opt-in mails go to the outbox (/_local/outbox), not to SES.
          mailer: outbox.mailer,
          logger: syncLogger,
          // The Lambda's metric names as debug lines: quiet by default, visible with LOG_LEVEL=debug.
          metrics: loggedMetrics(syncLogger),
          ...options.syncOverrides,
          onOutcomes: recorder.record,
        },
      );

    // (a) The ingest handler behind the local API Gateway.
    const apiSecret = options.apiSecret ?? env['LOCAL_API_SECRET'] ?? DEFAULT_LOCAL_API_SECRET;
    const ingestLogger = makeLogger('signup-ingest', 'ingest');
    const ingestLoggedMetrics = loggedMetrics(ingestLogger);
    // CAPTCHA checks of html-form sources go to this loopback siteverify stand-in (local/captcha/siteverify-stand-in.ts).
    const captchaStandIn = await startSiteverifyStandIn({ host });
    cleanups.push(() => captchaStandIn.close());
    const localEndpoints: LocalEndpoints = { captchaVerifyUrl: captchaStandIn.url };
    const sourcesFor = (origin: string) =>
      typeof options.sources === 'function' ? options.sources(origin, localEndpoints) : (options.sources ?? configuredSources(stackConfig));
    const sourceSecrets = options.sourceSecrets ?? localSourceSecrets(env['LOCAL_SOURCES_SECRET']);
    // What the sources secret holds in AWS: the sources' entries and the `api` secret (its `deadLetters` entry, if given, signs dead letters).
    const sourcesSecretJson = JSON.stringify({ ...sourceSecrets, [CANONICAL_SOURCE_ID]: apiSecret });
    let apiUrl = '';
    let sourceSecretProblems: readonly string[] = [];
    // The hours each source delivered in, from the ingest's SourceDeliveries metric (`signup-sync doctor`: ingest.source-deliveries).
    const deliveryHours = new Map<string, Set<string>>();
    const ingestMetricsSink: MetricsSink<'ingest'> = {
      add(name, value, ...rest) {
        const sourceId = dimensionsOf(rest)[SOURCE_ID_DIMENSION];
        if (name === Metric.SourceDeliveries && sourceId !== undefined) {
          const hours = deliveryHours.get(sourceId) ?? new Set<string>();
          hours.add(`${new Date().toISOString().slice(0, 13)}:00:00.000Z`);
          // Fourteen days of hours at most, as doctor reads from CloudWatch.
          if (hours.size > 14 * 24) hours.delete(hours.values().next().value!);
          deliveryHours.set(sourceId, hours);
        }
        ingestLoggedMetrics.add(name, value, ...rest);
      },
    };
    const doctorInfo = (): LocalDoctorInfo => ({
      bigCommerce: { kind: bigCommerce.kind, apiUrl: bigCommerce.apiUrl, storeHash: bigCommerce.storeHash },
      settings: {
        ...(stackConfig.customerChannelIds ? { customerChannelIds: stackConfig.customerChannelIds } : {}),
        ...(stackConfig.customerOriginChannelId !== undefined ? { customerOriginChannelId: stackConfig.customerOriginChannelId } : {}),
        ...(stackConfig.customerGroupId !== undefined ? { customerGroupId: stackConfig.customerGroupId } : {}),
        customFieldMap: stackConfig.customFieldMap,
        maxConcurrency: timings.maxConcurrency,
        maxReceiveCount: timings.maxReceiveCount,
        sources: sourcesFor(apiUrl) as LocalDoctorInfo['settings']['sources'],
        silenceWindows: Object.fromEntries(
          parseSourcesConfig(sourcesFor(apiUrl)).map((source) => [source.id, sourceAlarmFor(stackConfig, source.id).silenceAfterHours]),
        ),
      },
      sourceDeliveries: Object.fromEntries([...deliveryHours].map(([id, hours]) => [id, [...hours].sort()])),
      sourceSecretProblems,
      embeddedSqs: embedded !== undefined,
      // Checked here, where the secrets are; the doctor gets ids and problems only.
      captchaSecretProblems: captchaSecretProblems(parseSourcesConfig(sourcesFor(apiUrl)), JSON.stringify(sourceSecrets)),
      deliveryLedger: { endpoint: ledgerStore.endpoint, tableName: ledgerStore.tableName, region },
    });
    const hashEmail = createEmailHasher(hashKey);
    const routes = createStatusRoutes({
      trace: {
        hash: (emails) => emails.map((email) => hashEmail(email)),
        search: (keys, window) => traceLog.search(keys, window),
      },
      status: () => status(),
      deadLetters: () => deadLetters(),
      redrive: (request) => redrive(request),
      showDeadLetter: (id) => showDeadLetter(id),
      deleteDeadLetters: (ids) => deleteLetters(ids),
      config: () => config(),
      outbox: () => outbox.mails(),
      forget: (email) => ({ outbox: outbox.forget(email), recentOutcomes: recorder.forget(consentKeys.personOf(email)) }),
      doctor: () => doctorInfo(),
      origin: () => apiUrl,
    });
    // PUBLIC_BASE_URL is this server's URL, known once it listens; no request arrives before that.
    let ingestHandler: IngestHandler | undefined;
    const ingest: IngestFunction = (event, context) => ingestHandler!(event, context);
    const createIngest = () => {
      const ingestConfig = loadIngestConfig({
        ...DEPLOYED_FUNCTION_ENVIRONMENT,
        SIGNUP_QUEUE_URL: queues.signupQueueUrl,
        SOURCES_CONFIG: JSON.stringify(sourcesFor(apiUrl)),
        SOURCES_SECRET: 'local-mode-sources',
        PUBLIC_BASE_URL: apiUrl,
        // As the stack sets them: unmappable signups to the DLQ, the global nameless policy.
        DEAD_LETTER_QUEUE_URL: queues.deadLetterQueueUrl,
        ...ingestSettingsEnvironment(stackConfig),
        DELIVERY_LEDGER_TABLE: ledgerStore.tableName,
        DELIVERY_IN_PROGRESS_SECONDS: String(INGEST_TIMEOUT_MS / 1000),
        CONSENT_TABLE: ledgerStore.consentTableName,
        CUSTOM_ATTRIBUTE_FIELDS: JSON.stringify(attributeFieldsOf(stackConfig.customFieldMap)),
        SIGNUPS_BEARER_TOKEN: String(stackConfig.signupsBearerToken),
        LOG_HASH_KEY: hashKey,
      });
      // What the sources secret holds in AWS, checked (and its problems logged) as the Lambda checks it.
      const secrets = checkedSourceSecrets(sourcesSecretJson, ingestConfig.sources, ingestLogger);
      sourceSecretProblems = secrets.problems;
      return buildIngestHandler(ingestConfig, {
        sqs,
        dynamoDb: ledgerStore.client,
        sourceSecrets: async () => secrets,
        logger: ingestLogger,
        metrics: ingestMetricsSink,
      });
    };
    // A bad sources configuration stops local mode before anything listens.
    loadIngestConfig({
      SIGNUP_QUEUE_URL: queues.signupQueueUrl,
      SOURCES_CONFIG: JSON.stringify(sourcesFor(`http://${host}:${options.port ?? 0}`)),
      SOURCES_SECRET: 'local-mode-sources',
      DELIVERY_LEDGER_TABLE: ledgerStore.tableName,
      LOG_HASH_KEY: hashKey,
      CONSENT_TABLE: ledgerStore.consentTableName,
    });

    const formRoutes = createFormRoutes();
    // An html-form source answers a refusal with a 303 to its error page: counted as the refusal it is.
    let formErrorUrls = new Set<string>();
    // Compared without the query: the html-form adapter adds `fields` to it (shared/sources/adapters/html-form.ts).
    const withoutQuery = (url: string) => {
      const parsed = URL.parse(url);
      return parsed ? `${parsed.origin}${parsed.pathname}` : url;
    };
    let formThankYouUrls = new Set<string>();
    const isFormErrorLocation = (location: string) => !formThankYouUrls.has(location) && formErrorUrls.has(withoutQuery(location));
    let sourceIdBySegment = new Map<string, string>();
    const apiAnswers: Record<string, number> = {};
    const server = await startLocalServer({
      host,
      port: options.port ?? 0,
      ingest,
      ingestTimeoutMs: INGEST_TIMEOUT_MS,
      region,
      localRoutes: async (request) => (await routes(request)) ?? formRoutes(request),
      logger,
      onAnswer: ({ sourceId, status, location, incomplete, ignoredEvents, requestId, routeKey }) => {
        if (requestId !== undefined && routeKey !== undefined) traceLog.access({ requestId, routeKey, status });
        apiAnswers[String(status)] = (apiAnswers[String(status)] ?? 0) + 1;
        // The path names a webhook as <id>-<routeToken>: counted under its id.
        const id = sourceId === undefined ? undefined : (sourceIdBySegment.get(sourceId) ?? sourceId);
        if (status >= 400 || (location !== undefined && isFormErrorLocation(location))) recorder.refused(id ?? 'other paths', status);
        if (id !== undefined && incomplete) recorder.ignored(id, 'incomplete', incomplete);
        if (id !== undefined && ignoredEvents) recorder.ignored(id, 'not a signup', ignoredEvents);
      },
    });
    apiUrl = server.url;
    ingestHandler = createIngest();
    const servedSources = parseSourcesConfig(sourcesFor(apiUrl));
    const htmlForms = servedSources.flatMap((source) => (source.kind === 'html-form' ? [source] : []));
    formErrorUrls = new Set(htmlForms.map((source) => withoutQuery(source.errorUrl)));
    formThankYouUrls = new Set(htmlForms.map((source) => source.thankYouUrl));
    sourceIdBySegment = new Map(servedSources.map((source) => [sourceRouteSegment(source), source.id]));

    // One handler serves every poller here, as one warm Lambda environment would (one pacer, one token).
    const syncHandler = createSync();
    const mapping: EventSourceMapping = createEventSourceMapping({
      sqs,
      queueUrl: queues.signupQueueUrl,
      queueArn: queues.signupQueueArn,
      region,
      handler: syncHandler,
      functionName: 'signup-sync-local',
      functionTimeoutMs: timings.syncTimeoutMs,
      visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
      batchingWindowMs: timings.batchingWindowMs,
      maxConcurrency: timings.maxConcurrency,
      // local-aws-sqs answers a long poll only when it has a full batch or the wait is over (AWS answers
      // as soon as one message is there), so the embedded queue is short-polled instead.
      longPollSeconds: embedded ? 0 : timings.longPollSeconds,
      ...(timings.idlePollMs !== undefined ? { idlePollMs: timings.idlePollMs } : {}),
      logger: makeLogger('event-source'),
      ...(options.onInvocation ? { onInvocation: options.onInvocation } : {}),
    });
    mapping.start();
    // Stopping runs these in reverse: the HTTP server stops taking signups, the pollers drain, then
    // the sandbox and SQS close.
    cleanups.push(() => mapping.stop());
    cleanups.push(() => closeServer(server.server));

    const exclusive = serialized();
    // The sync sends a rejected message to the DLQ as a new message naming the original one: the recorder knows its signup id.
    const deadLetters = async (): Promise<DeadLetterView[]> =>
      (await exclusive(() => listDeadLetters(sqs, queues.deadLetterQueueUrl, { max: 100, peekSeconds: 10 }))).map((deadLetter) => {
        const signupId = recorder.signupIdOf(deadLetter.originalMessageId ?? deadLetter.messageId);
        return signupId ? { ...deadLetter, signupId } : deadLetter;
      });
    const redrive = (request: RedriveRequest = {}) =>
      exclusive(async () => {
        const result = await redriveDeadLetters(sqs, {
          deadLetterQueueUrl: queues.deadLetterQueueUrl,
          signupQueueUrl: queues.signupQueueUrl,
          ingestSetup: async () => ingestSetup(),
          ...(request.ids && request.ids.length > 0 ? { filter: { ids: request.ids } } : {}),
          ...(request.dryRun ? { dryRun: true } : {}),
          ...(request.force ? { force: true } : {}),
        });
        logger.info('dead letters redriven', { method: result.method, moved: result.moved, ...result.counts });
        return result;
      });
    const showDeadLetter = async (id: string) => (await exclusive(() => showDeadLetters(sqs, queues.deadLetterQueueUrl, [id], { max: 1000 }))).letters[0];
    const deleteLetters = (ids: readonly string[]) =>
      exclusive(async () => {
        const result = await deleteDeadLetters(sqs, queues.deadLetterQueueUrl, { ids }, { max: 1000 });
        logger.info('dead letters deleted', { deleted: result.deleted.length, notFound: result.notFound.length });
        return result;
      });

    const config = (): LocalModeConfig => ({
      apiUrl,
      statusUrl: `${apiUrl}/_local/`,
      region,
      sqs: embedded ? { kind: 'embedded', endpoint: embedded.endpoint } : { kind: 'endpoint', ...(sqsEndpoint ? { endpoint: sqsEndpoint } : {}) },
      signupQueueUrl: queues.signupQueueUrl,
      deadLetterQueueUrl: queues.deadLetterQueueUrl,
      bigCommerce: { kind: bigCommerce.kind, apiUrl: bigCommerce.apiUrl, storeHash: bigCommerce.storeHash },
      apiSecret,
      timings,
      ingest: ingestSetup(),
      consent: { endpoint: ledgerStore.endpoint, region, tableName: ledgerStore.consentTableName, hashKey },
      outboxUrl: `${apiUrl}/_local/outbox`,
      sourceUrls: parseSourcesConfig(sourcesFor(apiUrl)).map((source) => ({
        id: source.id,
        kind: source.kind,
        url: `${apiUrl}/sources/${sourceRouteSegment(source)}`,
      })),
    });
    // The ingest's configuration as it is now, for re-running `unmappable` dead letters (ops/unmappable-redrive.ts)
    // and for the rules `signup-sync import` checks rows with (ops/import-rules.ts). The dead-letter keys come
    // from the same secret the ingest signs with, as `dlq redrive` reads them from AWS.
    const ingestSetup = (): IngestSetup => ({
      sources: sourcesFor(apiUrl),
      namelessPolicy: JSON.parse(ingestSettingsEnvironment(stackConfig).NAMELESS_POLICY ?? '{}'),
      customAttributeFields: attributeFieldsOf(stackConfig.customFieldMap),
      deadLetterKeys: parseSourceSecrets(sourcesSecretJson, []).deadLetterKeys.keys,
    });

    const status = async (): Promise<StatusSnapshot> => {
      const outcomes = recorder.counts();
      let queuesDepth: StatusSnapshot['queues'];
      try {
        const depthOptions = { inFlightCountedAsVisible: embedded !== undefined };
        const [signups, deadLettersDepth] = await Promise.all([
          queueDepth(sqs, queues.signupQueueUrl, depthOptions),
          queueDepth(sqs, queues.deadLetterQueueUrl, depthOptions),
        ]);
        queuesDepth = { signups, deadLetters: deadLettersDepth };
      } catch (error) {
        logger.warn('status: GetQueueAttributes failed', describeError(error));
      }
      const stats = sandbox?.stats({ logLimit: 0 });
      const syncRequests = stats ? (stats.clients[BIGCOMMERCE_USER_AGENT] ?? { requests: 0, rateLimited: 0 }) : undefined;
      const inStore = sandbox?.customerCount();
      const customers = recorder.customersCreated();
      return {
        at: new Date().toISOString(),
        mode: { sqs: embedded ? 'embedded (local-aws-sqs)' : `endpoint ${sqsEndpoint}`, bigCommerce: sandbox ? 'sandbox' : `store ${bigCommerce.storeHash}` },
        urls: {
          api: apiUrl,
          status: `${apiUrl}/_local/`,
          ...(sandbox ? { sandbox: sandbox.url, sandboxCustomers: `${sandbox.url}/__sandbox/customers` } : {}),
        },
        outcomes,
        customers: { created: customers, ...(inStore !== undefined ? { inStore } : {}) },
        ...(queuesDepth ? { queues: queuesDepth } : {}),
        // The sync's requests only (its User-Agent), not doctor's probes or a curl to the sandbox.
        bigCommerce: syncRequests
          ? {
              requests: syncRequests.requests,
              rateLimited: syncRequests.rateLimited,
              ...(customers > 0 ? { requestsPerCustomer: syncRequests.requests / customers } : {}),
            }
          : {},
        poller: mapping.stats(),
        apiAnswers: { ...apiAnswers },
        recent: recorder.recent().slice(0, 50),
        refusals: recorder.refusals(),
        ignored: recorder.ignoredCounts(),
      };
    };

    let stopping: Promise<void> | undefined;
    return {
      ...config(),
      ...(sandbox ? { sandbox } : {}),
      sqsClient: sqs,
      outbox,
      consentAdmin,
      captcha: captchaStandIn,
      setBigCommerceToken: (token) => tokenSource.put(token),
      setQueueOutage: (outage) => {
        if (!embedded) throw new Error('setQueueOutage needs the embedded SQS (AWS_ENDPOINT_URL_SQS is set)');
        embedded.setOutage(outage);
      },
      status,
      deadLetters,
      redrive,
      showDeadLetter,
      deleteDeadLetters: deleteLetters,
      stop: () => (stopping ??= cleanup()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}
