import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DescribeQueriesCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { type CliIo, runCli } from '../../ops/main';
import type { Journey } from '../../ops/trace/journey';
import { parseLogLine } from '../../ops/trace/trace-records';
import { type Deployment, setEnv, TEST_REGION } from './support/local-aws';
import { useTestbed } from './support/testbed';

/**
 * `signup-sync trace` on a deployed stack (moto): the real handlers (functions/<name>/handler.ts with the
 * stack's environment, Powertools Logger at INFO) write their lines, which go into the stack's log groups
 * in moto; the CLI, given only the outputs file, reads the log hash key from Secrets Manager, runs a Logs
 * Insights query (StartQuery, GetQueryResults) over the groups, and reads the dead-letter queue.
 *
 * moto runs StartQuery and GetQueryResults but evaluates only `fields`, `sort` and `limit` of a query: it
 * ignores the `filter` and returns every line of the range. The query the CLI built is checked here as
 * moto stored it (DescribeQueries); that the lines are then the trace's own is the CLI's exact match
 * (ops/trace/trace-records.ts), which a journey of one signup among others proves.
 */

jest.setTimeout(90_000);

const bed = useTestbed({ sandbox: { rejectEmails: /^bounced/ } });
let restoreEnv: () => void = () => undefined;
let logs: CloudWatchLogsClient;

beforeAll(() => {
  // The CLI's Logs client finds moto as its SQS and Secrets Manager clients do; the handlers log at INFO.
  restoreEnv = setEnv({ AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: bed().moto.endpoint, POWERTOOLS_LOG_LEVEL: 'INFO' });
  logs = new CloudWatchLogsClient({ endpoint: bed().moto.endpoint, region: TEST_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
});
afterAll(() => {
  logs?.destroy();
  restoreEnv();
});

/** What a function prints while `run` runs: Powertools Logger writes info lines to stdout, warnings and errors to stderr. */
async function capturedOutput<T>(run: () => Promise<T>): Promise<{ result: T; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const streams = [process.stdout, process.stderr] as const;
  const originals = streams.map((stream) => stream.write.bind(stream));
  streams.forEach((stream, index) => {
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      for (const text of String(chunk).split('\n')) {
        const line = parseLogLine(text);
        if (line) lines.push(line);
      }
      return (originals[index] as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  });
  try {
    return { result: await run(), lines };
  } finally {
    streams.forEach((stream, index) => {
      stream.write = originals[index] as typeof stream.write;
    });
  }
}

/** The log groups the stack outputs name, created in moto and filled with the lines, as Lambda would. */
async function logGroupsWith(prefix: string, byGroup: Readonly<Record<'ingest' | 'sync', readonly Record<string, unknown>[]>>) {
  const names = { ingest: `/aws/lambda/${prefix}-ingest`, sync: `/aws/lambda/${prefix}-sync`, api: `${prefix}-access` };
  for (const [group, name] of Object.entries(names)) {
    await logs.send(new CreateLogGroupCommand({ logGroupName: name }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: name, logStreamName: 'stream' }));
    const lines = byGroup[group as 'ingest' | 'sync'] ?? [];
    if (lines.length === 0) continue;
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: name,
        logStreamName: 'stream',
        // Powertools' lines carry `timestamp`; its metric (EMF) lines `_aws.Timestamp`. In order, as PutLogEvents wants them.
        logEvents: lines
          .map((line) => ({
            timestamp: Date.parse(String(line['timestamp'])) || Number((line['_aws'] as { Timestamp?: number } | undefined)?.Timestamp) || Date.now(),
            message: JSON.stringify(line),
          }))
          .sort((a, b) => a.timestamp - b.timestamp),
      }),
    );
  }
  return names;
}

function outputsFile(deployment: Deployment, groups: Readonly<Record<string, string>>): string {
  // The LogHashKey secret: the one whose value both functions got as LOG_HASH_KEY.
  const hashKeySecret = Object.values(deployment.secrets).find((secret) => secret.value === deployment.syncEnv.LOG_HASH_KEY);
  expect(deployment.ingestEnv.LOG_HASH_KEY).toBe(deployment.syncEnv.LOG_HASH_KEY);
  const outputs = {
    SignupQueueUrl: deployment.signupQueue.url,
    DeadLetterQueueUrl: deployment.deadLetterQueue.url,
    IngestLogGroupName: groups['ingest'],
    SyncLogGroupName: groups['sync'],
    AccessLogGroupName: groups['api'],
    HashKeySecretArn: hashKeySecret!.arn,
  };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'signup-sync-outputs-')), 'outputs.json');
  writeFileSync(file, JSON.stringify({ SignupSync: outputs }));
  return file;
}

async function cli(args: readonly string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    progress: { isTTY: false, write: () => undefined },
    interactive: false,
    ask: async () => '',
    env: process.env,
  };
  const status = await runCli(args, io);
  return { status, out: out.join('\n'), err: err.join('\n') };
}

describe('trace on a deployed stack', () => {
  it('finds a signup by email and by ingest id in the log groups with Logs Insights, and its letter in the DLQ', async () => {
    // Arrange: two signups through the deployed ingest; the sync creates one and dead-letters the other.
    const deployment = await bed().deploy();
    const ingest = await capturedOutput(async () => {
      const handler = bed().loadIngest(deployment);
      return bed().ingest(
        deployment,
        [
          { email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' },
          { email: 'bounced@example.com', first_name: 'Bo', last_name: 'Unce' },
        ] as never,
        handler,
      );
    });
    expect(ingest.result.statusCode).toBe(202);
    const [adaId, bouncedId] = (JSON.parse(String(ingest.result.body)) as { ids: string[] }).ids;
    const sync = await capturedOutput(async () => bed().poll(deployment, bed().loadSync(deployment)));
    expect(await bed().depth(deployment.deadLetterQueue.url)).toEqual({ visible: 1, inFlight: 0 });
    const groups = await logGroupsWith(`trace-${Date.now().toString(36)}`, { ingest: ingest.lines, sync: sync.lines });
    const file = outputsFile(deployment, groups);

    // Act
    const byEmail = await cli(['trace', 'bounced@example.com', '--outputs-file', file, '--since', '1h', '--json']);
    const byId = await cli(['trace', adaId!, '--outputs-file', file, '--since', '1h', '--json']);
    const text = await cli(['trace', 'bounced@example.com', '--outputs-file', file, '--since', '1h']);

    // Assert: the bounced signup's journey, ending in the DLQ as it is now.
    expect(byEmail.status).toBe(0);
    const bounced = JSON.parse(byEmail.out) as Journey;
    expect(bounced.steps.map((step) => step.event)).toEqual(['received', 'queued', 'synced', 'dead-lettered', 'in-dead-letter-queue']);
    expect(bounced.signupIds).toEqual([bouncedId]);
    expect(bounced.steps[1]!.fields['signups']).toEqual([expect.objectContaining({ signupId: bouncedId })]);
    expect(bounced.deadLetters).toEqual([expect.objectContaining({ ingestId: bouncedId, reason: 'bigcommerce-rejected', httpStatus: 422 })]);
    expect(bounced.searched.where).toContain(groups.ingest);
    // Ada's: received with the same request, her own sync line only.
    const ada = JSON.parse(byId.out) as Journey;
    expect(ada.steps.map((step) => step.event)).toEqual(['received', 'queued', 'synced']);
    expect(ada.steps[2]!.fields).toMatchObject({ outcome: 'created', signupId: adaId, customerId: expect.any(Number) });
    expect(ada.deadLetters).toEqual([]);
    // No address in the output.
    for (const output of [byEmail.out, byId.out, text.out]) expect(output).not.toMatch(/@example\.com/);
    expect(text.out).toContain('in the dead-letter queue now: bigcommerce-rejected (HTTP 422)');

    // The queries moto ran: ids and the keyed hash, never the address; over the three groups.
    const { queries = [] } = await logs.send(new DescribeQueriesCommand({ logGroupName: groups.ingest }));
    expect(queries.length).toBeGreaterThanOrEqual(4);
    for (const query of queries) {
      expect(query.queryString).toMatch(/^fields @timestamp, @message, @log\n\| filter @message like "[^"]+"/);
      expect(query.queryString).not.toContain('@example.com');
    }
    expect(queries.map((query) => query.queryString).join('\n')).toContain(`like "${adaId}"`);
  });

  it('says so when the stack predates trace (no log group outputs)', async () => {
    const deployment = await bed().deploy();
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'signup-sync-outputs-')), 'outputs.json');
    writeFileSync(file, JSON.stringify({ SignupSync: { SignupQueueUrl: deployment.signupQueue.url, DeadLetterQueueUrl: deployment.deadLetterQueue.url } }));
    const result = await cli(['trace', 'someone@example.com', '--outputs-file', file]);
    expect(result.status).toBe(1);
    expect(result.err).toContain('has no trace logs');
  });
});
