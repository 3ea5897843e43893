import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildIngestHandler, type IngestHandlerOverrides } from '../../functions/ingest/build-handler';
import type { IngestConfig } from '../../shared/config/ingest-config';
import { NO_CLIENT_LIMIT } from '../../shared/ingest/client-limit';
import { NO_DELIVERY_LEDGER } from '../../shared/ingest/delivery-ledger';
import { CANONICAL_SOURCE_ID, parseIngestSources } from '../../shared/ingest/ingest-sources';
import type { SignupQueue } from '../../shared/ingest/signup-queue';
import { noMetrics } from '../../shared/observability/metric-names';
import { QueueUnavailableError } from '../../shared/queue/errors';
import type { SourceConfig, SourceConfigInput, SourceKind } from '../../shared/sources/source-config';
import { aLambdaContext } from './events';
import { testLogger } from './log-capture';

/** Factories for the ingest handler tests: sources of every kind, their secrets, signed events. */

export const NOW = new Date('2026-07-29T14:32:10.000Z');
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

/** Test-only secrets (not real ones). */
export const SECRETS = {
  api: `whsec_${Buffer.alloc(32, 3).toString('base64')}`,
  standardWebhooks: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
  signing: 'test-signing-secret-0123456789',
  token: 'url-token-abcdefghijklmnop',
} as const;

export const FORM_ORIGIN = 'https://www.example.com';
export const THANK_YOU_URL = 'https://www.example.com/thanks';
export const ERROR_URL = 'https://www.example.com/oops';

/** One source per kind, id = `<kind>-src`, as an operator would configure them. */
export const SOURCE_INPUTS: readonly SourceConfigInput[] = [
  { id: 'standard-webhooks-src', kind: 'standard-webhooks', customerDefaults: { channelIds: [2], customerGroupId: 4, sendWelcomeEmail: true } },
  {
    id: 'html-form-src',
    kind: 'html-form',
    allowedOrigins: [FORM_ORIGIN],
    thankYouUrl: THANK_YOU_URL,
    errorUrl: ERROR_URL,
    honeypotField: 'website',
    lastNamePolicy: 'split-full-name',
    fieldMap: { newsletter: 'consent.marketing' },
  },
  { id: 'mailchimp-src', kind: 'mailchimp' },
  { id: 'hubspot-src', kind: 'hubspot' },
  { id: 'typeform-src', kind: 'typeform', fieldMap: { readable_ref_short_text: 'first_name' }, lastNamePolicy: { placeholder: '-' } },
  { id: 'webflow-src', kind: 'webflow' },
  { id: 'tally-src', kind: 'tally', lastNamePolicy: 'split-full-name' },
  { id: 'kit-src', kind: 'kit', lastNamePolicy: { placeholder: '-' }, eventTypes: ['subscriber.created', 'subscriber.activated'] },
  { id: 'shopify-src', kind: 'shopify' },
  { id: 'jotform-src', kind: 'jotform' },
  { id: 'activecampaign-src', kind: 'activecampaign', lastNamePolicy: { placeholder: '-' } },
];

export const SOURCES: readonly SourceConfig[] = parseIngestSources(SOURCE_INPUTS);

export const sourceIdOf = (kind: SourceKind): string => `${kind}-src`;

/** The secret each kind is tested with ('' = none: html-form without a form token). */
export function secretFor(kind: SourceKind): string {
  if (kind === 'standard-webhooks') return SECRETS.standardWebhooks;
  if (kind === 'mailchimp' || kind === 'jotform' || kind === 'activecampaign') return SECRETS.token;
  if (kind === 'html-form') return '';
  return SECRETS.signing;
}

/** The sources secret's value: `{ "api": ..., "<sourceId>": ... }`. */
export function sourcesSecretJson(sources: readonly SourceConfig[] = SOURCES, overrides: Record<string, unknown> = {}): string {
  const table: Record<string, unknown> = { [CANONICAL_SOURCE_ID]: SECRETS.api };
  for (const source of sources) if (secretFor(source.kind) !== '') table[source.id] = secretFor(source.kind);
  return JSON.stringify({ ...table, ...overrides });
}

/** Stores what it is given; `fail` makes it throw like an SQS outage. */
export function fakeQueue() {
  const messages: unknown[] = [];
  const state = { fail: false as boolean | Error, calls: 0 };
  const queue: SignupQueue = {
    enqueue: async (batch) => {
      state.calls += 1;
      if (state.fail) throw state.fail instanceof Error ? state.fail : new QueueUnavailableError('SQS did not accept the messages');
      messages.push(...batch.map((message) => JSON.parse(JSON.stringify(message)) as unknown));
    },
  };
  return { queue, messages, state };
}

export type IngestTestOptions = Omit<IngestHandlerOverrides, 'queue' | 'sourcesSecretValue'> & {
  queue: SignupQueue;
  /** The sources secret's value (default: a secret for every source, sourcesSecretJson). */
  secretJson?: string;
  sources?: readonly SourceConfig[];
  publicBaseUrl?: string;
  /** Custom field names mapped to customer attributes (the ingest's CUSTOM_ATTRIBUTE_FIELDS). */
  attributeFields?: readonly string[];
  /** POST /signups accepts a bearer token (default true, as deployed by default). */
  signupsBearerToken?: boolean;
  /** The double opt-in confirm route: the stack's hash key (as LOG_HASH_KEY) and the consent table (consentStore). */
  confirmationsHashKey?: string;
};

/** The real handler (functions/ingest/build-handler.ts) with test deps; the clock is NOW, metrics dropped, unless given. */
export function anIngestHandler({
  queue,
  secretJson,
  sources = SOURCES,
  sourceSecrets,
  logger = testLogger,
  metrics = noMetrics,
  now = () => NOW,
  publicBaseUrl,
  attributeFields = [],
  signupsBearerToken = true,
  confirmationsHashKey,
  ...rest
}: IngestTestOptions) {
  const config: IngestConfig = {
    signupQueueUrl: 'https://sqs.test/signups',
    sources,
    sourcesSecretId: 'sources',
    sourcesSecretTtlMs: 300_000,
    ...(publicBaseUrl ? { publicBaseUrl } : {}),
    deliveryLedger: { tableName: 'deliveries', retentionSeconds: 72 * 3600, inProgressSeconds: 10 },
    attributeFields: new Set(attributeFields),
    signupsBearerToken,
    tracing: false,
    ...(confirmationsHashKey ? { confirmations: { tableName: 'consent', hashKey: confirmationsHashKey } } : {}),
  };
  const handler = buildIngestHandler(config, {
    queue,
    // No ledger unless a test gives one: every delivery is enqueued (test/unit/ingest/ tests the ledger).
    ledger: NO_DELIVERY_LEDGER,
    // No per-client limit unless a test gives a limiter (test/unit/security/public-form-bots.test.ts counts on DynamoDB).
    clientLimiter: NO_CLIENT_LIMIT,
    ...(sourceSecrets ? { sourceSecrets } : { sourcesSecretValue: secretJson ?? sourcesSecretJson(sources) }),
    logger,
    metrics,
    now,
    ...rest,
  });
  return async (event: APIGatewayProxyEventV2) =>
    (await handler(event, aLambdaContext())) as APIGatewayProxyStructuredResultV2 & { body: string; headers: Record<string, string> };
}

const hmac = (key: string | Buffer, encoding: 'base64' | 'hex', ...parts: (string | Buffer)[]): string => {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest(encoding);
};

const whsecKey = (secret: string) => Buffer.from(secret.replace(/^whsec_/, ''), 'base64');

/** Standard Webhooks headers for `body` (POST /signups and standard-webhooks sources). */
export function standardWebhookHeaders(
  body: string | Buffer,
  { secret = SECRETS.api, id = 'msg_2kX9', at = NOW }: { secret?: string; id?: string; at?: Date } = {},
) {
  const seconds = String(Math.floor(at.getTime() / 1000));
  return { 'webhook-id': id, 'webhook-timestamp': seconds, 'webhook-signature': `v1,${hmac(whsecKey(secret), 'base64', `${id}.${seconds}.`, body)}` };
}

/**
 * Headers that authenticate `body` for a signed kind, as its sender would send them at NOW.
 * URL-token kinds (mailchimp, jotform, activecampaign) use `?token=` instead; html-form uses Origin.
 */
export function senderHeaders(kind: SourceKind, body: string | Buffer, url = ''): Record<string, string> {
  const seconds = String(NOW_SECONDS);
  const millis = String(NOW.getTime());
  switch (kind) {
    case 'standard-webhooks':
      return standardWebhookHeaders(body, { secret: SECRETS.standardWebhooks });
    case 'hubspot':
      return { 'x-hubspot-signature-v3': hmac(SECRETS.signing, 'base64', `POST${url}`, body, millis), 'x-hubspot-request-timestamp': millis };
    case 'typeform':
      return { 'typeform-signature': `sha256=${hmac(SECRETS.signing, 'base64', body)}` };
    case 'tally':
      return { 'tally-signature': hmac(SECRETS.signing, 'base64', body) };
    case 'shopify':
      return {
        'x-shopify-hmac-sha256': hmac(SECRETS.signing, 'base64', body),
        'x-shopify-topic': 'customers/create',
        'x-shopify-webhook-id': 'b54557e4-bdd9-4b37-8a5f-bf7d70bcd043',
      };
    case 'webflow':
      return { 'x-webflow-timestamp': millis, 'x-webflow-signature': hmac(SECRETS.signing, 'hex', `${millis}:`, body) };
    case 'kit':
      return { 'x-kit-signature': `t=${seconds},v1=${hmac(SECRETS.signing, 'hex', `${seconds}.`, body)}` };
    case 'html-form':
      return { origin: FORM_ORIGIN };
    default:
      return {};
  }
}

export type HttpEventOptions = {
  method?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  base64?: boolean;
  /** Override API Gateway's route key (e.g. '$default' for local mode). */
  routeKey?: string;
  /** The client address API Gateway reports (`requestContext.http.sourceIp`); default 192.0.2.1. */
  sourceIp?: string;
};

let requestCounter = 0;

const safeDecode = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** An API Gateway HTTP API (payload 2.0) event for `path`, with the route key API Gateway would match. */
export function anHttpEvent(
  path: string,
  { method = 'POST', body, headers = {}, query = {}, base64, routeKey, sourceIp = '192.0.2.1' }: HttpEventOptions = {},
): APIGatewayProxyEventV2 {
  const sourceMatch = /^\/sources\/([^/]+)$/.exec(path);
  const key = routeKey ?? (sourceMatch ? `${method} /sources/{sourceId}` : `${method} ${path}`);
  const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const encode = base64 ?? (bytes !== undefined && typeof body !== 'string');
  const rawQueryString = new URLSearchParams(query).toString();
  requestCounter += 1;
  return {
    version: '2.0',
    routeKey: key,
    rawPath: path,
    rawQueryString,
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value])),
    ...(Object.keys(query).length > 0 ? { queryStringParameters: { ...query } } : {}),
    ...(sourceMatch ? { pathParameters: { sourceId: safeDecode(sourceMatch[1]!) } } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'hooks.example.com',
      domainPrefix: 'hooks',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp, userAgent: 'jest' },
      requestId: `req-${requestCounter}`,
      routeKey: key,
      stage: '$default',
      time: '29/Jul/2026:14:32:10 +0000',
      timeEpoch: NOW.getTime(),
    },
    ...(bytes === undefined ? {} : { body: encode ? bytes.toString('base64') : bytes.toString('utf8') }),
    isBase64Encoded: encode,
  };
}

/** The public URL the handler rebuilds for a request to `path` (HubSpot signs it). */
export const publicUrlOf = (path: string, query: Record<string, string> = {}): string => {
  const search = new URLSearchParams(query).toString();
  return `https://hooks.example.com${path}${search ? `?${search}` : ''}`;
};
