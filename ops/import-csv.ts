import { createReadStream, statSync } from 'node:fs';
import * as path from 'node:path';
import { checkSignup, type SignupRules } from '../shared/ingest/check-signups';
import { toSignupMessages } from '../shared/ingest/signup-batch';
import type { SignupQueue } from '../shared/ingest/signup-queue';
import { DEFAULT_NAMELESS_POLICY, type NamelessMode } from '../shared/signup/nameless-policy';
import type { SignupMessage, SignupSource } from '../shared/signup/signup-schema';
import { CsvReader } from './csv';
import { buildMapping, type ColumnMapping, columnForPath, type MappingOptions, type RowProblem, rowToCandidate } from './csv-mapping';
import { CliError, CliUsageError } from './errors';
import { createProgress, type ProgressSink } from './progress';

/**
 * `signup-sync import <file.csv>`: a backfill through the same queue as live signups. The file is
 * streamed (never loaded whole); each row is mapped by the ingest's field mapping (ops/csv-mapping.ts)
 * and checked by the ingest's one check (shared/ingest/check-signups.ts: the schema, the deployment's
 * nameless policy, the attribute limit), so a row is refused here exactly when POST /signups would
 * answer 422 for it, and nothing the import queues is dead-lettered later for what the ingest checks.
 * Valid rows are sent with SendMessageBatch in the order of the file. Refused rows are reported by line
 * with every failing field (never a value). An interrupted import says which `--from-line` resumes it.
 */

export type RejectedRow = Readonly<{ line: number; problems: readonly string[] }>;

export type ImportSummary = Readonly<{
  file: string;
  format: ColumnMapping['format'];
  /** Field -> column header. */
  mapping: Readonly<Record<string, string>>;
  ignoredColumns: readonly string[];
  /** Where each row's Mailchimp status comes from, e.g. `unsubscribed (columns UNSUB_TIME/CLEAN_TIME)`, or `none`. */
  status: string;
  /** The nameless policy rows were checked with, and where it was read. */
  nameless: Readonly<{ policy: NamelessMode; from: string }>;
  records: number;
  skipped: number;
  accepted: number;
  /** Of the accepted rows: with marketing consent, and opt-outs. */
  withConsent: number;
  optOuts: number;
  /** Accepted rows whose address cells were left out (no address1, city and two-letter country code). */
  addressesLeftOut: number;
  rejected: number;
  /** The first `maxReportedRejections` rejected rows. */
  rejectedRows: readonly RejectedRow[];
  firstLine?: number;
  lastLine?: number;
  dryRun: boolean;
  completed: boolean;
  /** Set when the import stopped early: run again with --from-line <this>. */
  resumeFromLine?: number;
  failure?: string;
  durationMs: number;
}>;

export type ImportOptions = Readonly<{
  file: string;
  /** Column mapping, preset and status (the file's name is added here). */
  mapping?: Omit<MappingOptions, 'fileName'>;
  /** The ingest's rules: the deployment's nameless policy and attribute fields (default: the ingest's defaults). */
  rules?: SignupRules;
  /** Where `rules` were read, for the summary. */
  rulesFrom?: string;
  fromLine?: number;
  sourceId?: string;
  /** Field separator; default ','. */
  delimiter?: string;
  /** Undefined with dryRun. */
  queue?: SignupQueue;
  dryRun?: boolean;
  progress?: ProgressSink;
  signal?: AbortSignal;
  /** Messages per enqueue call (the queue splits them into SendMessageBatch calls of 10). */
  chunkSize?: number;
  maxReportedRejections?: number;
  now?: () => Date;
}>;

const SOURCE_KIND = 'csv-import';

/** A short, stable tag of the file for event ids: `members_export_2024.csv` -> `members_export_2024`. */
export function fileTag(file: string): string {
  return (
    path
      .basename(file)
      .replace(/\.[^.]*$/, '')
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(0, 100) || 'import'
  );
}

export async function importCsv(options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const dryRun = options.dryRun === true;
  if (!dryRun && !options.queue) throw new Error('importCsv needs a queue unless dryRun');
  const fromLine = options.fromLine ?? 1;
  const chunkSize = options.chunkSize ?? 100;
  const maxReported = options.maxReportedRejections ?? 10_000;
  const source: SignupSource = { id: options.sourceId ?? 'import', kind: SOURCE_KIND };
  const rules: SignupRules = options.rules ?? { nameless: DEFAULT_NAMELESS_POLICY };
  const tag = fileTag(options.file);
  const now = options.now ?? (() => new Date());

  let totalBytes: number;
  try {
    totalBytes = statSync(options.file).size;
  } catch (error) {
    throw new CliError(`Cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
  }

  const reader = new CsvReader(options.delimiter ? { delimiter: options.delimiter } : {});
  const progress = options.progress ? createProgress(options.progress) : undefined;
  let mapping: ColumnMapping | undefined;
  let bytes = 0;
  let records = 0;
  let skipped = 0;
  let accepted = 0;
  let withConsent = 0;
  let optOuts = 0;
  let addressesLeftOut = 0;
  let rejected = 0;
  const rejectedRows: RejectedRow[] = [];
  let firstLine: number | undefined;
  let lastLine: number | undefined;
  let pending: { line: number; message: SignupMessage; addressLeftOut: boolean }[] = [];
  /** Every record before this line is handled (sent or reported). */
  let handledThrough = fromLine;
  let failure: string | undefined;

  const reject = (line: number, problems: string[]) => {
    rejected += 1;
    if (rejectedRows.length < maxReported) rejectedRows.push({ line, problems });
  };
  const state = () => ({ bytes, totalBytes, rows: records - skipped, accepted, rejected });

  const flush = async () => {
    if (pending.length === 0) return;
    const batch = pending;
    if (!dryRun) await options.queue!.enqueue(batch.map((entry) => entry.message));
    accepted += batch.length;
    for (const { message, addressLeftOut } of batch) {
      if (message.signup.opt_out === true) optOuts += 1;
      if (message.signup.consent?.marketing === true) withConsent += 1;
      if (addressLeftOut) addressesLeftOut += 1;
    }
    pending = [];
  };
  const describe = (problems: readonly RowProblem[], current: ColumnMapping) =>
    problems.map((problem) => {
      const column = columnForPath(problem.path, current);
      return `${problem.path}${column ? ` (column "${column}")` : ''}: ${problem.message}`;
    });

  const handle = async (fields: string[], line: number, error: string | undefined) => {
    if (!mapping) {
      mapping = buildMapping(fields, { ...options.mapping, fileName: options.file });
      return;
    }
    records += 1;
    if (line < fromLine) {
      skipped += 1;
      return;
    }
    firstLine ??= line;
    lastLine = line;
    if (error) {
      reject(line, [`malformed CSV: ${error}`]);
    } else if (fields.length !== mapping.headerCount) {
      reject(line, [`malformed CSV: ${fields.length} fields where the header has ${mapping.headerCount}`]);
    } else {
      // The row's own event id, else one naming the file and line: a re-run of the import carries the same keys.
      const row = rowToCandidate(fields, mapping, `${tag}:line-${line}`);
      const checked = checkSignup(row.candidate, rules);
      const problems = [...row.problems, ...(checked.ok ? [] : checked.problems)];
      if (!checked.ok || problems.length > 0) {
        reject(line, describe(problems, mapping));
      } else {
        // `checked` carries its placeholder names, which the message marks (shared/ingest/signup-batch.ts).
        const [message] = toSignupMessages([checked], { source, receivedAt: now() });
        pending.push({ line, message: message!, addressLeftOut: row.addressLeftOut });
      }
    }
    if (pending.length >= chunkSize) {
      const firstPending = pending[0]!.line;
      try {
        await flush();
      } catch (cause) {
        handledThrough = firstPending;
        throw cause;
      }
    }
    if (pending.length === 0) handledThrough = line + 1;
  };

  const stream = createReadStream(options.file, { highWaterMark: 64 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      for (const record of reader.push(chunk)) await handle(record.fields, record.line, record.error);
      progress?.update(state());
      if (options.signal?.aborted) break;
    }
    if (!options.signal?.aborted) {
      for (const record of reader.end()) await handle(record.fields, record.line, record.error);
      const firstPending = pending[0]?.line;
      try {
        await flush();
      } catch (cause) {
        if (firstPending !== undefined) handledThrough = firstPending;
        throw cause;
      }
    } else if (pending.length > 0) {
      // Interrupted: what was not sent is resumed, not sent half-way.
      handledThrough = pending[0]!.line;
      pending = [];
    }
  } catch (error) {
    if (error instanceof CliError || error instanceof CliUsageError) throw error;
    failure = `${(error as Error).name}: ${(error as Error).message}`;
  } finally {
    stream.destroy();
    progress?.done(state());
  }
  if (!mapping) throw new CliError(`${options.file} is empty: a header row is needed`);

  const interrupted = options.signal?.aborted === true;
  const completed = !interrupted && failure === undefined;
  return {
    file: options.file,
    format: mapping.format,
    mapping: Object.fromEntries([...mapping.columns].map(([target, column]) => [target, column.header])),
    ignoredColumns: mapping.ignored,
    status: describeStatus(mapping),
    nameless: { policy: rules.nameless.nameless, from: options.rulesFrom ?? "the ingest's default" },
    records,
    skipped,
    accepted,
    withConsent,
    optOuts,
    addressesLeftOut,
    rejected,
    rejectedRows,
    ...(firstLine !== undefined ? { firstLine } : {}),
    ...(lastLine !== undefined ? { lastLine } : {}),
    dryRun,
    completed,
    ...(!completed ? { resumeFromLine: handledThrough } : {}),
    ...(failure ? { failure } : {}),
    durationMs: Date.now() - started,
  };
}

function describeStatus(mapping: ColumnMapping): string {
  const { status } = mapping;
  if (status.kind === 'column') return `per row, from column "${status.header}"`;
  if (status.kind === 'file') {
    const from = status.from === 'flag' ? '--status' : status.from === 'file name' ? 'the file name' : `column ${mapping.optOutTime?.header ?? ''}`;
    return `${status.status} (from ${from})`;
  }
  return 'none';
}

/** The summary for a person (the CLI prints it; --json prints the object instead). */
export function formatImportSummary(summary: ImportSummary, { maxRows = 50 }: Readonly<{ maxRows?: number }> = {}): string {
  const n = (value: number) => value.toLocaleString('en-US');
  const lines = [
    `${summary.dryRun ? 'Checked' : 'Imported'} ${summary.file} (${summary.format === 'mailchimp' ? 'Mailchimp audience export' : 'CSV'}) in ${(summary.durationMs / 1000).toFixed(1)} s`,
    `  columns: ${Object.entries(summary.mapping)
      .map(([target, header]) => `${target} <- "${header}"`)
      .join(', ')}`,
  ];
  if (summary.ignoredColumns.length > 0) lines.push(`  ignored columns: ${summary.ignoredColumns.map((header) => `"${header}"`).join(', ')}`);
  if (summary.status !== 'none') lines.push(`  Mailchimp status: ${summary.status}; subscribed -> marketing consent, unsubscribed and cleaned -> opt-out`);
  else if (summary.format === 'mailchimp')
    lines.push('  Mailchimp status: not known (no UNSUB_TIME/CLEAN_TIME column, no status in the file name): no consent carried; name it with --status');
  lines.push(`  nameless policy: ${summary.nameless.policy} (${summary.nameless.from})`);
  if (summary.firstLine !== undefined)
    lines.push(`  lines ${summary.firstLine}–${summary.lastLine}${summary.skipped > 0 ? ` (${n(summary.skipped)} earlier rows skipped by --from-line)` : ''}`);
  const kinds = [
    ...(summary.withConsent > 0 ? [`${n(summary.withConsent)} with marketing consent`] : []),
    ...(summary.optOuts > 0 ? [`${n(summary.optOuts)} opt-outs`] : []),
  ];
  lines.push(
    `  accepted: ${n(summary.accepted)}${kinds.length > 0 ? ` (${kinds.join(', ')})` : ''}${summary.dryRun ? ', dry run: nothing sent' : ', queued for BigCommerce'}`,
  );
  if (summary.addressesLeftOut > 0)
    lines.push(`  addresses left out: ${n(summary.addressesLeftOut)} rows (an address needs address1, city and a two-letter country code)`);
  lines.push(`  rejected: ${n(summary.rejected)}`);
  for (const row of summary.rejectedRows.slice(0, maxRows)) lines.push(`    line ${row.line}: ${row.problems.join('; ')}`);
  if (summary.rejected > Math.min(maxRows, summary.rejectedRows.length))
    lines.push(`    … ${n(summary.rejected - Math.min(maxRows, summary.rejectedRows.length))} more (use --json for every row)`);
  if (summary.failure) lines.push(`  stopped: ${summary.failure}`);
  if (summary.resumeFromLine !== undefined) lines.push(`  not finished: run again with --from-line ${summary.resumeFromLine} to continue where it stopped`);
  return lines.join('\n');
}
