import { CloudWatchLogsClient, GetQueryResultsCommand, StartQueryCommand, StopQueryCommand } from '@aws-sdk/client-cloudwatch-logs';
import type { Message } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { CliError, CliUsageError } from '../../../ops/errors';
import { formatJourney } from '../../../ops/trace/format-journey';
import { parseTraceInput, traceJourney } from '../../../ops/trace/journey';
import { buildTraceQuery, logsInsightsTraceSource } from '../../../ops/trace/logs-insights';
import { parseSince } from '../../../ops/trace/trace-command';
import { matchesKeys, recordTime, type TraceKeys, type TraceRecord } from '../../../ops/trace/trace-records';
import type { TraceLogSource } from '../../../ops/trace/trace-source';
import { createEmailHasher } from '../../../shared/observability/email-hash';

/** The trace command's parts: the input, the query, the Logs Insights round trip (SDK mock), the rounds and the order. */

const KEY = 'unit-test-log-hash-key-0123456789';
const hash = createEmailHasher(KEY);
const WINDOW = { since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-11-02T00:00:00Z') };

describe('the input', () => {
  it('tells an email from an id, and refuses anything a query could not carry', () => {
    expect(parseTraceInput(' Ada@Example.com ')).toEqual({ kind: 'email', email: 'Ada@Example.com' });
    expect(parseTraceInput('5f0c2a8e-1111-4c1d-9a2b-0a1b2c3d4e5f')).toEqual({ kind: 'id', id: '5f0c2a8e-1111-4c1d-9a2b-0a1b2c3d4e5f' });
    expect(parseTraceInput('GxLKZUPDoNwiEg==')).toEqual({ kind: 'id', id: 'GxLKZUPDoNwiEg==' });
    expect(() => parseTraceInput('x" or @message like "')).toThrow(CliUsageError);
    expect(() => parseTraceInput('two words')).toThrow(CliUsageError);
  });

  it('reads --since as a duration back from now or as a past time', () => {
    const now = new Date('2026-11-02T12:00:00Z');
    expect(parseSince('7d', now).toISOString()).toBe('2026-10-26T12:00:00.000Z');
    expect(parseSince('90m', now).toISOString()).toBe('2026-11-02T10:30:00.000Z');
    expect(parseSince('2026-11-01T08:00Z', now).toISOString()).toBe('2026-11-01T08:00:00.000Z');
    expect(() => parseSince('2027-01-01', now)).toThrow(/past time/);
    expect(() => parseSince('soon', now)).toThrow(CliUsageError);
  });
});

describe('the Logs Insights query', () => {
  it('names ids and hashes only, each as a substring filter, in time order', () => {
    const query = buildTraceQuery({ ids: ['req-1', 'sig-2'], emailHashes: [hash('ada@example.com')] });
    expect(query).toBe(
      [
        'fields @timestamp, @message, @log',
        `filter @message like "req-1" or @message like "sig-2" or @message like "${hash('ada@example.com')}"`,
        'sort @timestamp asc',
        'limit 10000',
      ].join('\n| '),
    );
    expect(query).not.toContain('example.com');
    expect(() => buildTraceQuery({ ids: ['a"b'], emailHashes: [] })).toThrow(CliError);
  });

  it('hashes the email with the stack key, runs the query over the three groups, polls until complete and keeps exact matches', async () => {
    // Arrange
    const logs = mockClient(CloudWatchLogsClient);
    const line = (fields: Record<string, unknown>) =>
      JSON.stringify({ level: 'INFO', timestamp: '2026-11-01T10:00:00.000Z', service: 'signup-ingest', ...fields });
    logs.on(StartQueryCommand).resolves({ queryId: 'q-1' });
    logs
      .on(GetQueryResultsCommand)
      .resolvesOnce({ status: 'Running' })
      .resolves({
        status: 'Complete',
        statistics: { bytesScanned: 2_048 },
        results: [
          [
            { field: '@timestamp', value: '2026-11-01 10:00:00.000' },
            { field: '@message', value: line({ trace: 'received', requestId: 'req-1' }) },
            { field: '@log', value: '123456789012:/aws/lambda/ingest' },
          ],
          // Matched `like "req-1"` as a substring of another id: dropped by the exact match.
          [
            { field: '@message', value: line({ trace: 'received', requestId: 'req-10' }) },
            { field: '@log', value: '123456789012:/aws/lambda/ingest' },
          ],
          [{ field: '@message', value: 'START RequestId: 1 Version: $LATEST' }],
        ],
      });
    const source = logsInsightsTraceSource({
      logs: new CloudWatchLogsClient({ region: 'eu-west-1' }),
      logGroups: { ingest: '/aws/lambda/ingest', sync: '/aws/lambda/sync', api: 'access-logs' },
      hashKey: async () => KEY,
      sleep: async () => undefined,
    });

    // Act
    const [hashed] = await source.hashEmails(['Ada@Example.com']);
    const result = await source.search({ ids: ['req-1'], emailHashes: [] }, WINDOW);

    // Assert
    expect(hashed).toBe(hash('ada@example.com'));
    expect(logs.commandCalls(StartQueryCommand)[0]!.args[0].input).toMatchObject({
      logGroupNames: ['/aws/lambda/ingest', '/aws/lambda/sync', 'access-logs'],
      startTime: WINDOW.since.getTime() / 1000,
      endTime: WINDOW.until.getTime() / 1000,
      limit: 10_000,
    });
    expect(logs.commandCalls(GetQueryResultsCommand)).toHaveLength(2);
    expect(result.scannedBytes).toBe(2_048);
    expect(result.records).toEqual([{ at: '2026-11-01T10:00:00.000Z', group: 'ingest', line: expect.objectContaining({ requestId: 'req-1' }) }]);
    logs.restore();
  });

  it('stops a query that runs too long, and says what to narrow', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(StartQueryCommand).resolves({ queryId: 'q-2' });
    logs.on(GetQueryResultsCommand).resolves({ status: 'Running' });
    logs.on(StopQueryCommand).resolves({ success: true });
    const source = logsInsightsTraceSource({
      logs: new CloudWatchLogsClient({ region: 'eu-west-1' }),
      logGroups: { ingest: 'i', sync: 's', api: undefined },
      hashKey: async () => KEY,
      sleep: async () => undefined,
      timeoutMs: -1,
    });
    await expect(source.search({ ids: ['req-1'], emailHashes: [] }, WINDOW)).rejects.toThrow(/--since/);
    expect(logs.commandCalls(StopQueryCommand)).toHaveLength(1);
    logs.restore();
  });

  it('names the missing permission when Logs Insights refuses', async () => {
    const logs = mockClient(CloudWatchLogsClient);
    logs.on(StartQueryCommand).rejects(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }));
    const source = logsInsightsTraceSource({
      logs: new CloudWatchLogsClient({ region: 'eu-west-1' }),
      logGroups: { ingest: 'i', sync: 's', api: undefined },
      hashKey: async () => KEY,
    });
    await expect(source.search({ ids: ['x'], emailHashes: [] }, WINDOW)).rejects.toThrow(/logs:StartQuery/);
    logs.restore();
  });
});

describe('records', () => {
  it('match by an id field or an email hash, in signups[] too, never by a substring', () => {
    const keys: TraceKeys = { ids: ['sig-1'], emailHashes: ['h1'] };
    expect(matchesKeys({ signupId: 'sig-1' }, keys)).toBe(true);
    expect(matchesKeys({ ids: ['sig-0', 'sig-1'] }, keys)).toBe(true);
    expect(matchesKeys({ signups: [{ emailHash: 'h1' }] }, keys)).toBe(true);
    expect(matchesKeys({ signupId: 'sig-10', detail: 'sig-1' }, keys)).toBe(false);
  });

  it("take the line's own time, API Gateway's access log time, or what the store says", () => {
    expect(recordTime({ timestamp: '2026-11-01T10:00:00.123Z' }, undefined)).toBe('2026-11-01T10:00:00.123Z');
    expect(recordTime({ time: '01/Nov/2026:11:00:00 +0100' }, undefined)).toBe('2026-11-01T10:00:00.000Z');
    expect(recordTime({}, '2026-11-01 10:00:00.500')).toBe('2026-11-01T10:00:00.500Z');
    expect(recordTime({}, String(Date.parse('2026-11-01T10:00:00Z')))).toBe('2026-11-01T10:00:00.000Z');
  });
});

/** A log store in memory, searched with the same exact match; counts the rounds. */
function fakeSource(records: readonly TraceRecord[]) {
  const searches: TraceKeys[] = [];
  const source: TraceLogSource = {
    description: 'test logs',
    hashEmails: async (emails) => emails.map((email) => hash(email)),
    search: async (keys) => {
      searches.push(keys);
      return { records: records.filter((record) => matchesKeys(record.line, keys)), scannedBytes: 100 };
    },
  };
  return { source, searches };
}

const at = (second: number) => `2026-11-01T10:00:${String(second).padStart(2, '0')}.000Z`;
const ada = hash('ada@example.com');
const bob = hash('bob@example.com');

/** A batch of Ada and Bob in one request; Ada's signup dead-lettered; Bob's created. */
const RECORDS: TraceRecord[] = [
  { at: at(1), group: 'ingest', line: { trace: 'received', requestId: 'r-1', route: 'POST /signups', sourceId: 'api' } },
  {
    at: at(2),
    group: 'ingest',
    line: {
      trace: 'queued',
      requestId: 'r-1',
      ids: ['s-ada', 's-bob'],
      signups: [
        { signupId: 's-ada', emailHash: ada, eventId: 'e-ada' },
        { signupId: 's-bob', emailHash: bob },
      ],
    },
  },
  { at: at(5), group: 'sync', line: { trace: 'synced', signupId: 's-bob', messageId: 'm-bob', emailHash: bob, outcome: 'created', customerId: 7, attempt: 1 } },
  {
    at: at(5),
    group: 'sync',
    line: {
      trace: 'synced',
      signupId: 's-ada',
      messageId: 'm-ada',
      emailHash: ada,
      outcome: 'rejected',
      reason: 'bigcommerce-rejected',
      httpStatus: 422,
      attempt: 1,
    },
  },
  { at: at(5), group: 'sync', line: { trace: 'dead-lettered', signupId: 's-ada', messageId: 'm-ada', emailHash: ada, reason: 'bigcommerce-rejected' } },
  // Ada again, another day: an opt-out of another request.
  { at: at(30), group: 'ingest', line: { trace: 'received', requestId: 'r-2', route: 'POST /signups', sourceId: 'api' } },
  { at: at(31), group: 'ingest', line: { trace: 'queued', requestId: 'r-2', ids: ['s-ada-2'], signups: [{ signupId: 's-ada-2', emailHash: ada }] } },
];

const letter = (id: string, ingestId: string, original: string): Message => ({
  MessageId: id,
  Body: JSON.stringify({ id: ingestId, signup: { email: 'ada@example.com' } }),
  MessageAttributes: {
    RejectionCode: { DataType: 'String', StringValue: 'bigcommerce-rejected' },
    RejectionHttpStatus: { DataType: 'Number', StringValue: '422' },
    OriginalMessageId: { DataType: 'String', StringValue: original },
    RejectedAt: { DataType: 'String', StringValue: at(4) },
  },
});

describe('the journey', () => {
  it("by email: the person's signups in order, their requests found in a second round, the batch narrowed to them, the DLQ letter last", async () => {
    // Arrange
    const { source, searches } = fakeSource(RECORDS);

    // Act
    const journey = await traceJourney(
      { kind: 'email', email: 'Ada@example.com' },
      { source, window: WINDOW, deadLetters: async () => [letter('dlq-1', 's-ada', 'm-ada')] },
    );

    // Assert
    expect(searches[0]).toEqual({ ids: [], emailHashes: [ada] });
    expect(searches[1]!.ids).toEqual(expect.arrayContaining(['r-1', 's-ada', 'm-ada', 'r-2', 's-ada-2']));
    expect(searches[1]!.ids).not.toContain('s-bob');
    expect(journey.steps.map((step) => step.event)).toEqual(['received', 'queued', 'synced', 'dead-lettered', 'in-dead-letter-queue', 'received', 'queued']);
    expect(journey.steps[1]!.fields['signups']).toEqual([{ signupId: 's-ada', emailHash: ada, eventId: 'e-ada' }]);
    expect(journey.signupIds).toEqual(['s-ada', 's-ada-2']);
    expect(journey.deadLetters).toEqual([expect.objectContaining({ messageId: 'dlq-1', ingestId: 's-ada', reason: 'bigcommerce-rejected' })]);
    expect(JSON.stringify(journey)).not.toContain('example.com');
    expect(journey.searched).toMatchObject({ rounds: 2, scannedBytes: 200, deadLetterQueue: true });
  });

  it("by ingest id: that signup and its request only, never the person's other signups", async () => {
    const { source } = fakeSource(RECORDS);
    const journey = await traceJourney({ kind: 'id', id: 's-ada' }, { source, window: WINDOW });
    expect(journey.steps.map((step) => step.event)).toEqual(['received', 'queued', 'synced', 'dead-lettered']);
    expect(journey.signupIds).toEqual(['s-ada']);
  });

  it('by request id: every signup of the request', async () => {
    const { source } = fakeSource(RECORDS);
    const journey = await traceJourney({ kind: 'id', id: 'r-1' }, { source, window: WINDOW });
    expect([...journey.signupIds].sort()).toEqual(['s-ada', 's-bob']);
    expect(journey.steps.filter((step) => step.event === 'synced')).toHaveLength(2);
  });

  it("by a dead letter's id: the letter names its ingest id, which the next round searches", async () => {
    const { source } = fakeSource(RECORDS);
    const journey = await traceJourney({ kind: 'id', id: 'dlq-1' }, { source, window: WINDOW, deadLetters: async () => [letter('dlq-1', 's-ada', 'm-ada')] });
    expect(journey.steps.map((step) => step.event)).toEqual(['received', 'queued', 'synced', 'dead-lettered', 'in-dead-letter-queue']);
  });

  it('prints one line per step with ids and reasons, and where each signup stands', async () => {
    const { source } = fakeSource(RECORDS);
    const text = formatJourney(await traceJourney({ kind: 'id', id: 's-ada' }, { source, window: WINDOW }));
    expect(text).toContain('2026-11-01 10:00:01.000  received       POST /signups (source api)  [request r-1]');
    expect(text).toContain('2026-11-01 10:00:02.000  queued         queued: s-ada event e-ada  [request r-1]');
    expect(text).toContain('2026-11-01 10:00:05.000  synced         attempt 1: rejected: bigcommerce-rejected (HTTP 422)  [ingest id s-ada]');
    expect(text).toContain('Where each signup stands:\n  s-ada: sent to the dead-letter queue: bigcommerce-rejected');
    expect(text).toContain('the log search scanned 1 KB in 2 queries');
  });
});
