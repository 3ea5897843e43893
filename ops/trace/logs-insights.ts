import type { CloudWatchLogsClient, ResultField } from '@aws-sdk/client-cloudwatch-logs';
import { createEmailHasher } from '../../shared/observability/email-hash';
import { CliError } from '../errors';
import { matchesKeys, parseLogLine, recordTime, TRACE_ID_PATTERN, type TraceKeys, type TraceLogGroup, type TraceRecord } from './trace-records';
import type { TraceLogSource, TraceSearchResult, TraceWindow } from './trace-source';

/**
 * `signup-sync trace` on a deployed stack: CloudWatch Logs Insights over the ingest's and the sync's log
 * groups and the API's access logs (the stack outputs IngestLogGroupName, SyncLogGroupName,
 * AccessLogGroupName). The query names ids and keyed email hashes only, never an email: the email is
 * hashed here with the key of the stack's LogHashKey secret (output HashKeySecretArn), as the functions
 * hash it. Logs Insights bills the bytes it scans (USD 0.005 per GB in most regions), so each query reads
 * the three groups once over the time range and the report prints what was scanned.
 *
 * The filter is a substring match (`@message like "…"`), which Logs Insights evaluates in the service;
 * trace-records.ts matchesKeys then keeps only lines whose id fields equal a key.
 */

export type TraceLogGroups = Readonly<Record<TraceLogGroup, string | undefined>>;

export type LogsInsightsOptions = Readonly<{
  logs: CloudWatchLogsClient;
  logGroups: TraceLogGroups;
  /** The log hash key (the LogHashKey secret's value). */
  hashKey: () => Promise<string>;
  /** ms between GetQueryResults polls (default 1000). */
  pollMs?: number;
  /** Give up (and stop the query) after this long (default 120 s). */
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
}>;

/** Logs Insights returns at most 10,000 rows per query. */
export const MAX_QUERY_ROWS = 10_000;

/** The query for a set of keys: ids and hashes only, each checked against the id pattern (quotes cannot occur). */
export function buildTraceQuery(keys: TraceKeys): string {
  const terms = [...keys.ids, ...keys.emailHashes];
  if (terms.length === 0) throw new CliError('Nothing to search for');
  for (const term of terms) if (!TRACE_ID_PATTERN.test(term)) throw new CliError(`Not an id that can be searched for: ${JSON.stringify(term.slice(0, 40))}`);
  const filter = terms.map((term) => `@message like "${term}"`).join(' or ');
  return ['fields @timestamp, @message, @log', `filter ${filter}`, 'sort @timestamp asc', `limit ${MAX_QUERY_ROWS}`].join('\n| ');
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Which of the stack's log groups `@log` (`<account>:<group name>`) names. */
function groupOf(log: string | undefined, groups: TraceLogGroups): TraceLogGroup | undefined {
  if (log === undefined) return undefined;
  const name = log.includes(':') ? log.slice(log.indexOf(':') + 1) : log;
  return (Object.keys(groups) as TraceLogGroup[]).find((group) => groups[group] === name || groups[group] === log);
}

export function logsInsightsTraceSource(options: LogsInsightsOptions): TraceLogSource {
  const names = Object.values(options.logGroups).filter((name): name is string => name !== undefined);
  let hasher: ((email: string) => string) | undefined;
  return {
    description: `Logs Insights over ${names.join(', ')}`,
    async hashEmails(emails) {
      hasher ??= createEmailHasher(await options.hashKey());
      return emails.map((email) => hasher!(email));
    },
    search: (keys, window) => runTraceQuery(options, names, keys, window),
    close: () => options.logs.destroy(),
  };
}

async function runTraceQuery(options: LogsInsightsOptions, names: readonly string[], keys: TraceKeys, window: TraceWindow): Promise<TraceSearchResult> {
  const { StartQueryCommand, GetQueryResultsCommand, StopQueryCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const sleep = options.sleep ?? defaultSleep;
  const queryString = buildTraceQuery(keys);
  let queryId: string | undefined;
  try {
    ({ queryId } = await options.logs.send(
      new StartQueryCommand({
        logGroupNames: [...names],
        startTime: Math.floor(window.since.getTime() / 1000),
        endTime: Math.ceil(window.until.getTime() / 1000),
        queryString,
        limit: MAX_QUERY_ROWS,
      }),
    ));
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const hint = name === 'AccessDeniedException' ? ' (the operator needs logs:StartQuery and logs:GetQueryResults on the log groups)' : '';
    throw new CliError(`Logs Insights refused the query${hint}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!queryId) throw new CliError('Logs Insights returned no query id');
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const answer = await options.logs.send(new GetQueryResultsCommand({ queryId }));
    const status = answer.status ?? 'Unknown';
    if (status === 'Complete') {
      const records = (answer.results ?? []).flatMap((row) => toRecord(row, options.logGroups)).filter((record) => matchesKeys(record.line, keys));
      const scanned = answer.statistics?.bytesScanned;
      return { records, ...(scanned !== undefined ? { scannedBytes: scanned } : {}) };
    }
    if (status !== 'Running' && status !== 'Scheduled') throw new CliError(`The Logs Insights query ended ${status}`);
    if (Date.now() > deadline) {
      await options.logs.send(new StopQueryCommand({ queryId })).catch(() => undefined);
      throw new CliError(`The Logs Insights query took longer than ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s: narrow the time range with --since`);
    }
    await sleep(options.pollMs ?? 1000);
  }
}

function toRecord(row: readonly ResultField[], groups: TraceLogGroups): TraceRecord[] {
  const value = (field: string) => row.find((cell) => cell.field === field)?.value;
  const line = parseLogLine(value('@message') ?? '');
  if (!line) return [];
  // @log names the group; a service that does not return it (an emulator) leaves the line's own shape to say.
  const group = groupOf(value('@log'), groups) ?? (line['service'] === 'signup-sync' ? 'sync' : line['service'] === 'signup-ingest' ? 'ingest' : 'api');
  return [{ at: recordTime(line, value('@timestamp')), group, line }];
}
