import { createReadStream, statSync } from 'node:fs';
import * as path from 'node:path';
import { toFieldProblems, toSignupMessages } from '../shared/ingest/signup-batch';
import type { SignupQueue } from '../shared/ingest/signup-queue';
import { type SignupMessage, type SignupSource, signupSchema } from '../shared/signup/signup-schema';
import { CsvReader } from './csv';
import { buildMapping, type ColumnMapping, columnForPath, type MapOverride, rowToSignupInput } from './csv-mapping';
import { CliError, CliUsageError } from './errors';
import { createProgress, type ProgressSink } from './progress';

/**
 * `signup-sync import <file.csv>`: a backfill through the same queue as live signups. The file is
 * streamed (never loaded whole), each row validated with the canonical signup schema, and valid rows
 * sent with SendMessageBatch in the order of the file. Rejected rows are reported by line with the
 * failing field (never the value). An interrupted import says which `--from-line` resumes it.
 */

export type RejectedRow = Readonly<{ line: number; problems: readonly string[] }>;

export type ImportSummary = Readonly<{
  file: string;
  format: ColumnMapping['format'];
  /** Field -> column header. */
  mapping: Readonly<Record<string, string>>;
  ignoredColumns: readonly string[];
  records: number;
  skipped: number;
  accepted: number;
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
  overrides?: readonly MapOverride[];
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
  let rejected = 0;
  const rejectedRows: RejectedRow[] = [];
  let firstLine: number | undefined;
  let lastLine: number | undefined;
  let pending: { line: number; message: SignupMessage }[] = [];
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
    pending = [];
  };

  const handle = async (fields: string[], line: number, error: string | undefined) => {
    if (!mapping) {
      mapping = buildMapping(fields, options.overrides);
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
      const result = signupSchema.safeParse(rowToSignupInput(fields, mapping));
      if (!result.success) {
        const current = mapping;
        reject(
          line,
          toFieldProblems(result.error.issues).map((problem) => {
            const column = columnForPath(problem.path, current);
            return `${problem.path}${column ? ` (column "${column}")` : ''}: ${problem.message}`;
          }),
        );
      } else {
        const signup = { ...result.data, event_id: result.data.event_id ?? `${tag}:line-${line}` };
        const [message] = toSignupMessages([signup], { source, receivedAt: now() });
        pending.push({ line, message: message! });
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
    records,
    skipped,
    accepted,
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
  if (summary.firstLine !== undefined)
    lines.push(`  lines ${summary.firstLine}–${summary.lastLine}${summary.skipped > 0 ? ` (${n(summary.skipped)} earlier rows skipped by --from-line)` : ''}`);
  lines.push(`  accepted: ${n(summary.accepted)}${summary.dryRun ? ' (dry run: nothing sent)' : ' (queued for BigCommerce)'}`);
  lines.push(`  rejected: ${n(summary.rejected)}`);
  for (const row of summary.rejectedRows.slice(0, maxRows)) lines.push(`    line ${row.line}: ${row.problems.join('; ')}`);
  if (summary.rejected > Math.min(maxRows, summary.rejectedRows.length))
    lines.push(`    … ${n(summary.rejected - Math.min(maxRows, summary.rejectedRows.length))} more (use --json for every row)`);
  if (summary.failure) lines.push(`  stopped: ${summary.failure}`);
  if (summary.resumeFromLine !== undefined) lines.push(`  not finished: run again with --from-line ${summary.resumeFromLine} to continue where it stopped`);
  return lines.join('\n');
}
