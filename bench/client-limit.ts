import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { buildIngestHandler } from '../functions/ingest/build-handler';
import { startEmbeddedDynamoDb } from '../local/delivery-ledger/embedded-dynamodb';
import { createDynamoDbClientLimiter } from '../shared/aws/dynamodb-client-limit';
import { createDeliveryLedger, dynamoDbPersistenceStore } from '../shared/aws/dynamodb-delivery-ledger';
import type { IngestConfig } from '../shared/config/ingest-config';
import { type ClientLimiter, NO_CLIENT_LIMIT } from '../shared/ingest/client-limit';
import { parseIngestSources } from '../shared/ingest/ingest-sources';
import { silentLogger } from '../shared/logger';
import { noMetrics } from '../shared/observability/metric-names';
import { aContext } from './lib/event-source';
import { percentile } from './lib/stats';
import { fixed, ms, renderText, type Table } from './lib/table';

/**
 * `npx tsx bench/client-limit.ts [posts]`: what public forms' per-client limit (shared/ingest/client-limit.ts)
 * costs per submission, measured through the real ingest handler with the real DynamoDB adapters (the
 * delivery ledger and the counter) on dynalite over loopback:
 *   - DynamoDB requests per accepted post, with and without the limit (counted by SDK middleware);
 *   - requests per post over the limit (nothing reaches the ledger, the CAPTCHA provider or SQS);
 *   - the handler's latency with and without the limit (p50/p99), interleaved runs of the same posts.
 * dynalite is an in-process emulator, so the added latency here is one loopback round trip and its
 * LevelDB write; on AWS it is one UpdateItem round trip inside the region. Prints a table; writes nothing.
 */

const POSTS = Number(process.argv[2] ?? 2000);
const ROUNDS = 4;

const FORM = {
  id: 'newsletter',
  kind: 'html-form',
  allowedOrigins: ['https://www.example.com'],
  thankYouUrl: 'https://www.example.com/thanks',
  errorUrl: 'https://www.example.com/oops',
  captcha: false,
  captchaReason: 'a benchmark of the per-client limit alone',
} as const;

function formPost(index: number, sourceIp: string): APIGatewayProxyEventV2 {
  const body = `email=person${index}%40example.com&first_name=Ada&last_name=Lovelace&submission_id=${index}-${Math.random()}`;
  return {
    version: '2.0',
    routeKey: 'POST /sources/{sourceId}',
    rawPath: '/sources/newsletter',
    rawQueryString: '',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://www.example.com' },
    pathParameters: { sourceId: 'newsletter' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'bench',
      domainName: 'hooks.example.com',
      domainPrefix: 'hooks',
      http: { method: 'POST', path: '/sources/newsletter', protocol: 'HTTP/1.1', sourceIp, userAgent: 'bench' },
      requestId: `bench-${index}`,
      routeKey: 'POST /sources/{sourceId}',
      stage: '$default',
      time: '01/Dec/2026:00:00:00 +0000',
      timeEpoch: Date.now(),
    },
    body: Buffer.from(body).toString('base64'),
    isBase64Encoded: true,
  };
}

async function main(): Promise<void> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const store = await startEmbeddedDynamoDb();
  const calls = new Map<string, number>();
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      calls.set(context.commandName ?? '?', (calls.get(context.commandName ?? '?') ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  const config: IngestConfig = {
    signupQueueUrl: 'https://sqs.bench/signups',
    sources: parseIngestSources([FORM]),
    sourcesSecretId: 'bench',
    sourcesSecretTtlMs: 300_000,
    deliveryLedger: { tableName: store.tableName, retentionSeconds: 3600, inProgressSeconds: 10 },
    attributeFields: new Set(),
    signupsBearerToken: true,
    tracing: false,
  };
  let enqueued = 0;
  const handlerWith = (clientLimiter: ClientLimiter, maxPerClient: number) =>
    buildIngestHandler(
      { ...config, sources: parseIngestSources([{ ...FORM, clientLimit: { max: maxPerClient, windowSeconds: 3600 } }]) },
      {
        queue: {
          enqueue: async (batch) => {
            enqueued += batch.length;
          },
        },
        sourcesSecretValue: JSON.stringify({ api: `whsec_${Buffer.alloc(32, 1).toString('base64')}` }),
        dynamoDb: store.client,
        ledger: createDeliveryLedger({
          persistenceStore: dynamoDbPersistenceStore(store.client, store.tableName),
          retentionSeconds: 3600,
          inProgressSeconds: 10,
          logger: silentLogger,
        }),
        clientLimiter,
        logger: silentLogger,
        metrics: noMetrics,
      },
    );
  const limited = handlerWith(createDynamoDbClientLimiter(store.client, store.tableName), 10_000);
  const unlimited = handlerWith(NO_CLIENT_LIMIT, 10_000);

  let index = 0;
  const run = async (handler: ReturnType<typeof handlerWith>, posts: number) => {
    const durations: number[] = [];
    calls.clear();
    for (let n = 0; n < posts; n += 1) {
      index += 1;
      // A new client per post (a /24 of documentation addresses, cycled): none is ever over its limit.
      const event = formPost(index, `198.51.${Math.floor(index / 250) % 250}.${index % 250}`);
      const started = performance.now();
      const response = (await handler(event, aContext(10_000))) as { statusCode: number; headers?: Record<string, string> };
      durations.push(performance.now() - started);
      if (response.headers?.['location'] !== FORM.thankYouUrl) throw new Error(`post ${index} was not accepted (${response.statusCode})`);
    }
    return { durations, calls: new Map(calls) };
  };

  // Warm both paths, then interleave rounds so machine noise hits both alike.
  await run(limited, 200);
  await run(unlimited, 200);
  const withLimit: number[] = [];
  const withoutLimit: number[] = [];
  let limitedCalls = new Map<string, number>();
  let unlimitedCalls = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round += 1) {
    const a = await run(limited, POSTS / ROUNDS);
    withLimit.push(...a.durations);
    limitedCalls = a.calls;
    const b = await run(unlimited, POSTS / ROUNDS);
    withoutLimit.push(...b.durations);
    unlimitedCalls = b.calls;
  }

  // Over the limit: one client, max 1, then posts past it.
  const tight = handlerWith(createDynamoDbClientLimiter(store.client, store.tableName), 1);
  await tight(formPost(9_000_000, '203.0.113.9'), aContext(10_000));
  calls.clear();
  const before = enqueued;
  const overPosts = 200;
  for (let n = 1; n <= overPosts; n += 1) await tight(formPost(9_000_000 + n, '203.0.113.9'), aContext(10_000));
  const overCalls = new Map(calls);

  const perPost = (counts: Map<string, number>, posts: number) => [...counts].map(([name, count]) => `${name} ${fixed(count / posts, 2)}`).join(', ') || 'none';
  const quarter = POSTS / ROUNDS;
  const p = (values: number[], q: number) => percentile(values, q);
  const table: Table = {
    title: `Per-client limit of public forms: ${POSTS} accepted posts each way (dynalite on loopback), ${overPosts} over the limit`,
    headers: ['', 'with the limit', 'without', 'added'],
    rows: [
      [
        'DynamoDB requests per accepted post',
        perPost(limitedCalls, quarter),
        perPost(unlimitedCalls, quarter),
        perPost(subtract(limitedCalls, unlimitedCalls), quarter),
      ],
      ['handler p50', ms(p(withLimit, 0.5)), ms(p(withoutLimit, 0.5)), ms(p(withLimit, 0.5) - p(withoutLimit, 0.5))],
      ['handler p99', ms(p(withLimit, 0.99)), ms(p(withoutLimit, 0.99)), ms(p(withLimit, 0.99) - p(withoutLimit, 0.99))],
      ['DynamoDB requests per post over the limit', perPost(overCalls, overPosts), '', ''],
      ['signups queued from posts over the limit', String(enqueued - before), '', ''],
    ],
    notes: [
      'One UpdateItem per post (ADD hits 1, conditional on hits < max): 1 write request unit, accepted or not; no read.',
      'The delivery ledger (PutItem + UpdateItem per accepted post) is the same with and without the limit.',
    ],
  };
  process.stdout.write(`${renderText(table)}\n`);
  await store.close();
}

function subtract(a: Map<string, number>, b: Map<string, number>): Map<string, number> {
  const result = new Map<string, number>();
  for (const [name, count] of a) {
    const difference = count - (b.get(name) ?? 0);
    if (difference !== 0) result.set(name, difference);
  }
  return result;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
