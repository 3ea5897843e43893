import { createSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { loadSyncConfig } from '../../../shared/config/sync-config';
import { parseDaemonAddress, parseTraceHeader, remoteSubsegment } from '../../../shared/observability/xray-subsegment';
import { aLambdaContext, anSqsEvent, anSqsRecord, aSignupMessage } from '../../helpers/events';
import { fakeFetch } from '../../helpers/fake-bigcommerce-fetch';
import { testLogger } from '../../helpers/log-capture';
import { metricsRecorder } from '../../helpers/metrics-recorder';

// Powertools Tracer stands in with a recorder: whether it was loaded at all, and what it wrapped.
const tracerLoads: string[] = [];
const captured: unknown[] = [];
jest.mock('@aws-lambda-powertools/tracer', () => {
  tracerLoads.push('@aws-lambda-powertools/tracer');
  return {
    Tracer: class {
      captureAWSv3Client<T>(client: T): T {
        captured.push(client);
        return client;
      }
    },
  };
});
jest.mock('@aws-lambda-powertools/tracer/middleware', () => ({ captureLambdaHandler: () => ({ before: async () => undefined }) }));

/**
 * A module from a fresh module registry (the mocked Tracer included), so whether a test sees the Tracer loaded
 * depends only on what that test does, not on which tests ran before it.
 */
function isolated<T>(load: () => T): T {
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = load();
  });
  return loaded as T;
}
const freshTracing = () =>
  isolated(() => require('../../../shared/observability/tracing') as typeof import('../../../shared/observability/tracing')).createTracing;
const freshSyncHandler = () =>
  isolated(() => require('../../../functions/sync/build-handler') as typeof import('../../../functions/sync/build-handler')).buildSyncHandler;

beforeEach(() => {
  tracerLoads.length = 0;
  captured.length = 0;
});

const SYNC_ENV = {
  SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups-dlq',
  BIGCOMMERCE_STORE_HASH: 'abc123',
  BIGCOMMERCE_TOKEN_SECRET: 'token',
  BIGCOMMERCE_API_URL: 'https://api.bigcommerce.test',
};

describe('tracing', () => {
  it('does not load Powertools Tracer when it is off, and leaves clients as they are', () => {
    const client = { send: () => undefined };
    const tracing = freshTracing()('signup-sync', { powertools: false });
    expect(tracing.client(client)).toBe(client);
    expect(tracing.middlewares).toEqual([]);
    expect(tracerLoads).toEqual([]);
  });

  it('loads the Tracer when it is on: SDK clients are captured and the handler segment middleware is used', () => {
    const client = { send: () => undefined };
    const tracing = freshTracing()('signup-sync', { powertools: true });
    expect(tracing.client(client)).toBe(client);
    expect(captured).toContain(client);
    expect(tracing.middlewares).toHaveLength(1);
    expect(tracerLoads).toEqual(['@aws-lambda-powertools/tracer']);
  });

  it('reads POWERTOOLS_TRACE_ENABLED as Powertools does (on unless false) and names a bad value', () => {
    expect(loadSyncConfig(SYNC_ENV).powertoolsTracing).toBe(true);
    expect(loadSyncConfig({ ...SYNC_ENV, POWERTOOLS_TRACE_ENABLED: 'false' }).powertoolsTracing).toBe(false);
    expect(() => loadSyncConfig({ ...SYNC_ENV, POWERTOOLS_TRACE_ENABLED: 'no' })).toThrow("POWERTOOLS_TRACE_ENABLED: must be 'true' or 'false'");
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

  it('reads TRACING (cdk.json `tracing`): off unless active, and names a bad value', () => {
    expect(loadSyncConfig(SYNC_ENV).tracing).toBe(false);
    expect(loadSyncConfig({ ...SYNC_ENV, TRACING: 'off' }).tracing).toBe(false);
    expect(loadSyncConfig({ ...SYNC_ENV, TRACING: 'active' }).tracing).toBe(true);
    expect(() => loadSyncConfig({ ...SYNC_ENV, TRACING: 'on' })).toThrow(/TRACING/);
  });

  describe('sync with the Tracer off (as deployed)', () => {
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
      const handler = freshSyncHandler()(loadSyncConfig({ ...SYNC_ENV, POWERTOOLS_TRACE_ENABLED: 'false', TRACING: 'off' }), {
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
      const handler = freshSyncHandler()(loadSyncConfig({ ...SYNC_ENV, POWERTOOLS_TRACE_ENABLED: 'false', TRACING: 'active' }), {
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
        expect(tracerLoads).toEqual([]); // the Tracer was never loaded in this test's module registry
      } finally {
        daemon.close();
      }
    });
  });
});
