import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type EmbeddedSqs, startEmbeddedSqs } from '../../../local/sqs/embedded-sqs';
import { loadIngestConfig } from '../../../shared/config/ingest-config';
import { loadSyncConfig } from '../../../shared/config/sync-config';
import { createTracing } from '../../../shared/observability/tracing';
import {
  type AwsCall,
  awsSubsegment,
  parseDaemonAddress,
  parseTraceHeader,
  type RemoteCall,
  remoteSubsegment,
} from '../../../shared/observability/xray-subsegment';
import { aLambdaContext, anSqsEvent, anSqsRecord, aSignupMessage } from '../../helpers/events';
import { fakeFetch } from '../../helpers/fake-bigcommerce-fetch';
import { testLogger } from '../../helpers/log-capture';
import { metricsRecorder } from '../../helpers/metrics-recorder';

/** The sync's handler module from a fresh module registry, so each test builds it as a cold start would. */
function freshSyncHandler() {
  let loaded: typeof import('../../../functions/sync/build-handler') | undefined;
  jest.isolateModules(() => {
    loaded = require('../../../functions/sync/build-handler') as typeof import('../../../functions/sync/build-handler');
  });
  return loaded!.buildSyncHandler;
}

const SYNC_ENV = {
  SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups-dlq',
  BIGCOMMERCE_STORE_HASH: 'abc123',
  BIGCOMMERCE_TOKEN_SECRET: 'token',
  BIGCOMMERCE_API_URL: 'https://api.bigcommerce.test',
};

let sqs: EmbeddedSqs;
beforeAll(async () => {
  sqs = await startEmbeddedSqs();
});
afterAll(async () => {
  await sqs.close();
});

/** A real SQS client of the embedded SQS (loopback), as the functions build theirs. */
const anSqsClient = () =>
  new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });

describe('tracing', () => {
  it('leaves an SDK client as it is when tracing is off', () => {
    const added: unknown[] = [];
    const client = { middlewareStack: { add: (middleware: unknown) => added.push(middleware) } };
    expect(createTracing(undefined).client(client)).toBe(client);
    expect(added).toEqual([]);
  });

  it('sends one call per AWS SDK command with its service, operation, answer and times, and passes errors on unchanged', async () => {
    // Arrange: a real client whose calls go to the embedded SQS
    const calls: (RemoteCall | AwsCall)[] = [];
    const client = createTracing((call) => calls.push(call)).client(anSqsClient());
    const before = Date.now();

    // Act: one call that succeeds, one the service refuses (no such queue)
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'traced' }));
    const refused = await client.send(new GetQueueAttributesCommand({ QueueUrl: `${QueueUrl}-missing`, AttributeNames: ['All'] })).then(
      () => undefined,
      (error: unknown) => error,
    );
    client.destroy();

    // Assert
    expect(refused).toBeInstanceOf(Error);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ service: 'SQS', operation: 'CreateQueue', status: 200 });
    expect(calls[1]).toMatchObject({ service: 'SQS', operation: 'GetQueueAttributes' });
    expect((calls[1] as AwsCall).status).toBeGreaterThanOrEqual(400);
    for (const call of calls) {
      expect(call.startMs).toBeGreaterThanOrEqual(before);
      expect(call.endMs).toBeGreaterThanOrEqual(call.startMs);
    }
  });

  it('writes an AWS call as an aws subsegment X-Ray draws as the service, a refused one as an error', () => {
    const trace = { root: '1-a-b', parent: 'p', sampled: true };
    const body = (status: number | undefined) =>
      JSON.parse(
        awsSubsegment(trace, { service: 'DynamoDB', operation: 'PutItem', requestId: 'r-1', status, startMs: 1000, endMs: 1010 }, 'id').split('\n')[1]!,
      );
    expect(body(200)).toEqual({
      name: 'DynamoDB',
      namespace: 'aws',
      aws: { operation: 'PutItem', request_id: 'r-1' },
      http: { response: { status: 200 } },
      id: 'id',
      trace_id: '1-a-b',
      parent_id: 'p',
      type: 'subsegment',
      start_time: 1,
      end_time: 1.01,
    });
    expect(body(400)).toMatchObject({ error: true });
    expect(body(undefined)).toMatchObject({ fault: true });
  });

  it('reads TRACING (cdk.json `tracing`) in both functions: off unless active, and names a bad value', () => {
    expect(loadSyncConfig(SYNC_ENV).tracing).toBe(false);
    expect(loadSyncConfig({ ...SYNC_ENV, TRACING: 'active' }).tracing).toBe(true);
    expect(() => loadSyncConfig({ ...SYNC_ENV, TRACING: 'on' })).toThrow(/TRACING/);
    const ingestEnv = { SIGNUP_QUEUE_URL: SYNC_ENV.SIGNUP_QUEUE_URL, SOURCES_SECRET: 'sources', DELIVERY_LEDGER_TABLE: 'deliveries' };
    expect(loadIngestConfig(ingestEnv).tracing).toBe(false);
    expect(loadIngestConfig({ ...ingestEnv, TRACING: 'active' }).tracing).toBe(true);
    expect(() => loadIngestConfig({ ...ingestEnv, TRACING: 'yes' })).toThrow(/TRACING/);
  });

  it('parses the trace header and the daemon address Lambda sets', () => {
    expect(parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1')).toEqual({
      root: '1-5759e988-bd862e3fe1be46a994272793',
      parent: '53995c3f42cd8ad8',
      sampled: true,
    });
    expect(parseTraceHeader('Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0')?.sampled).toBe(false);
    expect(parseTraceHeader(undefined)).toBeUndefined();
    expect(parseDaemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(parseDaemonAddress('tcp:127.0.0.1:2000 udp:127.0.0.2:2001')).toEqual({ host: '127.0.0.2', port: 2001 });
  });

  it('marks a 429 as a throttled error and a missing answer as a fault', () => {
    const trace = { root: '1-a-b', parent: 'p', sampled: true };
    const body = (status: number | undefined) =>
      JSON.parse(remoteSubsegment(trace, { name: 'api', url: 'https://api', method: 'POST', status, startMs: 1000, endMs: 1500 }, 'id').split('\n')[1]!);
    expect(body(429)).toMatchObject({ error: true, throttle: true, http: { response: { status: 429 } } });
    expect(body(undefined)).toMatchObject({ fault: true });
    expect(body(200)).not.toHaveProperty('error');
  });

  describe('the sync as deployed', () => {
    const saved = { ...process.env };
    afterEach(() => {
      process.env = { ...saved };
    });

    /** A UDP "daemon" on loopback at the address Lambda sets, and what it receives. */
    async function aDaemon() {
      const daemon = createSocket('udp4');
      const packets: string[] = [];
      daemon.on('message', (message) => packets.push(message.toString('utf8')));
      await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
      process.env.AWS_XRAY_DAEMON_ADDRESS = `127.0.0.1:${(daemon.address() as AddressInfo).port}`;
      return { daemon, packets };
    }

    it('sends no subsegment without tracing (TRACING=off, the default), even under a sampled trace header', async () => {
      const { daemon, packets } = await aDaemon();
      const bigcommerce = fakeFetch();
      const handler = freshSyncHandler()(loadSyncConfig({ ...SYNC_ENV, TRACING: 'off' }), {
        tokens: { get: async () => 'token', refresh: async () => 'token' },
        fetch: bigcommerce.fetch,
        deadLetters: { send: async () => undefined },
        visibility: { delay: async () => undefined },
        logger: testLogger,
        metrics: metricsRecorder().sink,
      });
      try {
        process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272795;Parent=53995c3f42cd8ada;Sampled=1';
        await handler(anSqsEvent([anSqsRecord(aSignupMessage())]), aLambdaContext());
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(bigcommerce.posts()).toHaveLength(1);
        expect(packets).toEqual([]);
      } finally {
        daemon.close();
      }
    });

    it('with tracing (TRACING=active), sends one X-Ray subsegment per BigCommerce call of a sampled invocation to the daemon, and none when not sampled', async () => {
      // Arrange: the daemon, the sync built as deployed with cdk.json `tracing: true`
      const { daemon, packets } = await aDaemon();
      const bigcommerce = fakeFetch();
      const handler = freshSyncHandler()(loadSyncConfig({ ...SYNC_ENV, TRACING: 'active' }), {
        tokens: { get: async () => 'token', refresh: async () => 'token' },
        fetch: bigcommerce.fetch,
        deadLetters: { send: async () => undefined },
        visibility: { delay: async () => undefined },
        logger: testLogger,
        metrics: metricsRecorder().sink,
      });
      try {
        // Act: one sampled invocation, one not sampled
        process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
        await handler(anSqsEvent([anSqsRecord(aSignupMessage())]), aLambdaContext());
        process.env._X_AMZN_TRACE_ID = 'Root=1-5759e988-bd862e3fe1be46a994272794;Parent=53995c3f42cd8ad9;Sampled=0';
        await handler(anSqsEvent([anSqsRecord(aSignupMessage())]), aLambdaContext());
        const deadline = Date.now() + 2000;
        while (packets.length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
        await new Promise((resolve) => setTimeout(resolve, 50));

        // Assert: one subsegment, for the sampled invocation's POST, under its trace and parent
        expect(bigcommerce.posts()).toHaveLength(2);
        expect(packets).toHaveLength(1);
        const [header, body] = packets[0]!.split('\n');
        expect(JSON.parse(header!)).toEqual({ format: 'json', version: 1 });
        const subsegment = JSON.parse(body!);
        expect(subsegment).toMatchObject({
          name: 'api.bigcommerce.test',
          trace_id: '1-5759e988-bd862e3fe1be46a994272793',
          parent_id: '53995c3f42cd8ad8',
          type: 'subsegment',
          namespace: 'remote',
          http: { request: { method: 'POST', url: 'https://api.bigcommerce.test' }, response: { status: 200 } },
        });
        expect(subsegment.id).toMatch(/^[0-9a-f]{16}$/);
        expect(subsegment.end_time).toBeGreaterThanOrEqual(subsegment.start_time);
      } finally {
        daemon.close();
      }
    });
  });
});
