import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createSqsSignupQueue } from '../shared/queue/signup-queue';
import { listDeadLetters, purgeDeadLetters, redriveDeadLetters, type DeadLetter, type RedriveMethod } from './dead-letters';
import { queueDepth } from './queue-ops';
import { parseMapFlag } from './csv-mapping';
import { CliError, CliUsageError } from './errors';
import { formatImportSummary, importCsv } from './import-csv';
import type { ProgressSink } from './progress';
import { sendTestSignup } from './send-test';
import { requireQueue, resolveTarget, type Target, type TargetDeps, type TargetFlags } from './targets';

export const USAGE = `Usage: signup-sync <command> [flags]

Commands
  dlq list                  dead letters: reason, HTTP status, age, source (no personal data)
      --json                  print JSON
      --show-pii              include each signup's email address
      --max <n>               at most n messages (default 1000)
  dlq redrive               move dead letters back to the signups queue (fix the cause first)
      --rate <n>              at most n messages per second
      --method <m>            auto | move-task | copy (auto: StartMessageMoveTask on AWS,
                              receive -> send -> delete on emulators)
      --max <n>               move at most n messages (copy)
  dlq purge                 delete every dead letter (asks first)
      --yes                   do not ask (needed when not run from a terminal)
  import <file.csv>         backfill signups from a CSV file through the signups queue
      --map <field=Column>    take a field from this column (repeatable); fields: email, first_name,
                              last_name, company, phone, notes, event_id, occurred_at,
                              address.<field>, custom:<Name>. "--map field=" ignores a column
      --delimiter <c>         field separator: , (default), ; or tab
      --from-line <n>         start at line n (resume an interrupted import)
      --source-id <id>        source id on the messages (default import)
      --dry-run               validate only; send nothing
      --json                  print the summary as JSON (every rejected row)
  send-test                 post one example signup to the API and show the answer
      --url <url>             API base URL (default: local mode's, or the stack's ApiUrl)
      --token <token>         bearer token: the "api" entry of the sources secret (default SIGNUP_SYNC_TOKEN,
                            or local mode's)
      --email <email>         default test+<time>@example.com

Where (dlq, import, send-test)
  --local <url>             a running \`npm start\` (default SIGNUP_SYNC_LOCAL_URL or http://127.0.0.1:3000;
                            used when nothing else is given)
  --stack <name>            a deployed stack's outputs (CloudFormation; --region <r>)
  --outputs-file <file>     the JSON written by \`cdk deploy --outputs-file <file>\` (with --stack if it has several)
  --queue-url <url>         the signups queue; --dlq-url <url> the dead-letter queue
AWS credentials and region come from the usual environment (AWS_PROFILE, AWS_REGION, …).

Exit status: 0 done, 1 failed or rows rejected, 2 bad command line, 130 interrupted.
`;

export type CliIo = Readonly<{
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where the import progress goes (stderr). */
  progress: ProgressSink;
  /** Whether a person can answer a question. */
  interactive: boolean;
  ask: (question: string) => Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  stackOutputs?: TargetDeps['stackOutputs'];
}>;

type Options = NonNullable<ParseArgsConfig['options']>;

const TARGET_OPTIONS: Options = {
  local: { type: 'string' },
  stack: { type: 'string' },
  'outputs-file': { type: 'string' },
  'queue-url': { type: 'string' },
  'dlq-url': { type: 'string' },
  region: { type: 'string' },
};

const COMMAND_OPTIONS: Readonly<Record<string, Options>> = {
  'dlq list': { json: { type: 'boolean' }, 'show-pii': { type: 'boolean' }, max: { type: 'string' } },
  'dlq redrive': { rate: { type: 'string' }, method: { type: 'string' }, max: { type: 'string' } },
  'dlq purge': { yes: { type: 'boolean', short: 'y' } },
  import: { map: { type: 'string', multiple: true }, delimiter: { type: 'string' }, 'from-line': { type: 'string' }, 'source-id': { type: 'string' }, 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
  'send-test': { url: { type: 'string' }, token: { type: 'string' }, email: { type: 'string' } },
};

type Values = Record<string, string | boolean | string[] | undefined>;

function positiveNumber(flag: string, value: string | undefined, { integer = false }: { integer?: boolean } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new CliUsageError(`--${flag} must be a positive ${integer ? 'whole ' : ''}number, got "${value}"`);
  }
  return n;
}

const ALL_OPTIONS: Options = Object.assign({}, TARGET_OPTIONS, ...Object.values(COMMAND_OPTIONS), { help: { type: 'boolean', short: 'h' } });

/** Splits argv into the command, its positionals and its flags; unknown or misplaced flags are usage errors. */
export function parseCommandLine(argv: readonly string[]): { command: string; positionals: string[]; values: Values } | 'help' {
  let parsed: { values: Values; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options: ALL_OPTIONS, allowPositionals: true, strict: true }) as { values: Values; positionals: string[] };
  } catch (error) {
    // parseArgs names the flag: "Unknown option '--x'", "Option '--rate <value>' argument missing".
    throw new CliUsageError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), { cause: error });
  }
  const { values, positionals } = parsed;
  if (values['help'] === true || positionals.length === 0 || positionals[0] === 'help') return 'help';
  const first = positionals[0]!;
  const command = first === 'dlq' ? `dlq ${positionals[1] ?? ''}`.trim() : first;
  const options = COMMAND_OPTIONS[command];
  if (!options) {
    if (first === 'dlq') throw new CliUsageError(positionals[1] ? `Unknown dlq command "${positionals[1]}": use dlq list, dlq redrive or dlq purge` : 'dlq needs a command: list, redrive or purge');
    throw new CliUsageError(`Unknown command "${first}"`);
  }
  for (const name of Object.keys(values)) {
    if (!(name in options) && !(name in TARGET_OPTIONS)) throw new CliUsageError(`--${name} is not a flag of ${command}`);
  }
  return { command, positionals: positionals.slice(command.split(' ').length), values };
}

function targetFlags(values: Values): TargetFlags {
  const flag = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const flags: TargetFlags = {
    ...(flag('queue-url') ? { queueUrl: flag('queue-url') } : {}),
    ...(flag('dlq-url') ? { dlqUrl: flag('dlq-url') } : {}),
    ...(flag('stack') ? { stack: flag('stack') } : {}),
    ...(flag('outputs-file') ? { outputsFile: flag('outputs-file') } : {}),
    ...(flag('region') ? { region: flag('region') } : {}),
    ...(flag('local') ? { local: flag('local') } : {}),
  };
  for (const [name, value] of [['queue-url', flags.queueUrl], ['dlq-url', flags.dlqUrl], ['local', flags.local]] as const) {
    if (value !== undefined && !/^https?:\/\/[^\s/]+/.test(value)) throw new CliUsageError(`--${name} must be a URL, got "${value}"`);
  }
  return flags;
}

const age = (seconds: number | undefined) =>
  seconds === undefined ? '?' : seconds < 90 ? `${seconds}s` : seconds < 5400 ? `${Math.round(seconds / 60)}m` : seconds < 129_600 ? `${Math.round(seconds / 3600)}h` : `${Math.round(seconds / 86_400)}d`;

export function formatDeadLetters(letters: readonly DeadLetter[], { showPii = false }: { showPii?: boolean } = {}): string {
  if (letters.length === 0) return 'The dead-letter queue is empty.';
  const header = ['REASON', 'HTTP', 'AGE', 'SOURCE', ...(showPii ? ['EMAIL'] : []), 'MESSAGE ID', 'DETAIL'];
  const rows = letters.map((letter) => [
    letter.reason,
    letter.httpStatus === undefined ? '-' : String(letter.httpStatus),
    age(letter.ageSeconds),
    letter.sourceId ?? '-',
    ...(showPii ? [letter.email ?? '-'] : []),
    letter.messageId,
    (letter.detail ?? '').slice(0, 100),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  const byReason = new Map<string, number>();
  for (const letter of letters) byReason.set(letter.reason, (byReason.get(letter.reason) ?? 0) + 1);
  return [line(header), ...rows.map(line), '', `${letters.length} dead letter(s): ${[...byReason].map(([reason, count]) => `${count} ${reason}`).join(', ')}`].join('\n');
}

async function dlqList(values: Values, max: number, target: Target, io: CliIo): Promise<number> {
  const { sqs, url } = requireQueue(target, 'dead-letter');
  const showPii = values['show-pii'] === true;
  const letters = await listDeadLetters(sqs, url, { max, showPii });
  io.out(values['json'] === true ? JSON.stringify({ queueUrl: url, deadLetters: letters }, null, 2) : formatDeadLetters(letters, { showPii }));
  return 0;
}

type RedriveFlags = Readonly<{ method: RedriveMethod; rate?: number; max?: number }>;

function redriveFlags(values: Values): RedriveFlags {
  const method = (values['method'] as string | undefined) ?? 'auto';
  if (!['auto', 'move-task', 'copy'].includes(method)) throw new CliUsageError(`--method must be auto, move-task or copy, got "${method}"`);
  const rate = positiveNumber('rate', values['rate'] as string | undefined);
  const max = positiveNumber('max', values['max'] as string | undefined, { integer: true });
  return { method: method as RedriveMethod, ...(rate !== undefined ? { rate } : {}), ...(max !== undefined ? { max } : {}) };
}

async function dlqRedrive(flags: RedriveFlags, target: Target, io: CliIo): Promise<number> {
  const dlq = requireQueue(target, 'dead-letter');
  const queue = requireQueue(target, 'signup');
  let lastReported = -1;
  const result = await redriveDeadLetters(dlq.sqs, {
    deadLetterQueueUrl: dlq.url,
    signupQueueUrl: queue.url,
    ...flags,
    ...(io.signal ? { signal: io.signal } : {}),
    onProgress: (moved, total) => {
      if (moved === lastReported) return;
      lastReported = moved;
      io.err(`redrive: ${moved}${total !== undefined ? ` of ${total}` : ''} moved`);
    },
  });
  const how = result.method === 'move-task' ? 'StartMessageMoveTask' : 'receive -> send -> delete';
  if (result.status === 'FAILED') {
    io.err(`Redrive failed after ${result.moved} message(s) (${how}): ${result.failureReason ?? 'no reason given'}`);
    return 1;
  }
  io.out(`Moved ${result.moved} message(s) from the dead-letter queue to the signups queue (${how}; ${result.status.toLowerCase()}).`);
  if (result.status === 'RUNNING') io.out('The move task keeps running in SQS; check it with `aws sqs list-message-move-tasks`.');
  return result.status === 'CANCELLED' ? 130 : 0;
}

async function dlqPurge(values: Values, target: Target, io: CliIo): Promise<number> {
  const { sqs, url } = requireQueue(target, 'dead-letter');
  if (values['yes'] !== true) {
    const depth = await queueDepth(sqs, url, { inFlightCountedAsVisible: target.local });
    const answer = await io.ask(`Delete all ${depth.visible + depth.inFlight} message(s) in ${url}? They cannot be recovered. Type "purge" to confirm: `);
    if (answer.trim().toLowerCase() !== 'purge') {
      io.err('Not purged.');
      return 1;
    }
  }
  const result = await purgeDeadLetters(sqs, url);
  io.out(result.method === 'purge-queue' ? `Purge requested for ${url} (SQS takes up to 60 s).` : `Deleted ${result.deleted} message(s) from ${url}.`);
  return 0;
}

async function runImport(values: Values, positionals: string[], io: CliIo): Promise<number> {
  const file = positionals[0];
  if (!file) throw new CliUsageError('import needs a file: signup-sync import <file.csv>');
  if (positionals.length > 1) throw new CliUsageError(`import takes one file, got ${positionals.length}`);
  const overrides = ((values['map'] as string[] | undefined) ?? []).map(parseMapFlag);
  const fromLine = positiveNumber('from-line', values['from-line'] as string | undefined, { integer: true });
  const sourceId = values['source-id'] as string | undefined;
  if (sourceId !== undefined && !/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(sourceId)) throw new CliUsageError('--source-id must be a slug: lower-case letters, digits and hyphens');
  const delimiterFlag = values['delimiter'] as string | undefined;
  const delimiter = delimiterFlag === 'tab' || delimiterFlag === '\\t' ? '\t' : delimiterFlag;
  if (delimiter !== undefined && (delimiter.length !== 1 || /["\r\n]/.test(delimiter))) throw new CliUsageError(`--delimiter must be one character (or "tab"), got "${delimiterFlag}"`);
  const dryRun = values['dry-run'] === true;
  const json = values['json'] === true;
  let queue;
  if (!dryRun) {
    const target = await resolveTarget(targetFlags(values), { env: io.env, ...(io.fetch ? { fetch: io.fetch } : {}), ...(io.stackOutputs ? { stackOutputs: io.stackOutputs } : {}) });
    const { sqs, url } = requireQueue(target, 'signup');
    queue = createSqsSignupQueue(sqs, url);
    io.err(`import: sending to ${url} (${target.description})`);
  }
  const summary = await importCsv({
    file,
    overrides,
    ...(fromLine !== undefined ? { fromLine } : {}),
    ...(sourceId !== undefined ? { sourceId } : {}),
    ...(delimiter !== undefined ? { delimiter } : {}),
    ...(queue ? { queue } : {}),
    dryRun,
    progress: io.progress,
    ...(io.signal ? { signal: io.signal } : {}),
  });
  io.out(json ? JSON.stringify(summary, null, 2) : formatImportSummary(summary));
  if (!summary.completed) return io.signal?.aborted ? 130 : 1;
  return summary.rejected > 0 ? 1 : 0;
}

/** Runs one command; returns the exit status. Errors are printed here, never thrown. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    const parsed = parseCommandLine(argv);
    if (parsed === 'help') {
      io.out(USAGE);
      return 0;
    }
    const { command, positionals, values } = parsed;
    if (command !== 'import' && positionals.length > 0) throw new CliUsageError(`${command} takes no arguments, got "${positionals.join(' ')}"`);
    if (command === 'import') return await runImport(values, positionals, io);
    const flags = targetFlags(values);
    const deps: TargetDeps = { env: io.env, ...(io.fetch ? { fetch: io.fetch } : {}), ...(io.stackOutputs ? { stackOutputs: io.stackOutputs } : {}) };
    if (command === 'send-test') {
      const url = values['url'] as string | undefined;
      if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) throw new CliUsageError(`--url must be a URL, got "${url}"`);
      const token = (values['token'] as string | undefined) ?? io.env['SIGNUP_SYNC_TOKEN'];
      // The URL (and the local token) come from the target only when not given.
      const target = url && token ? undefined : await resolveTarget(flags, deps);
      return await sendTestSignup({ url: url ?? target?.apiUrl, token: token ?? target?.apiSecret, email: values['email'] as string | undefined, io, ...(io.fetch ? { fetch: io.fetch } : {}) });
    }
    // Flags are checked before anything is contacted.
    if (command === 'dlq list') {
      const max = positiveNumber('max', values['max'] as string | undefined, { integer: true }) ?? 1000;
      return await dlqList(values, max, await resolveTarget(flags, deps), io);
    }
    if (command === 'dlq redrive') {
      const redrive = redriveFlags(values);
      return await dlqRedrive(redrive, await resolveTarget(flags, deps), io);
    }
    if (values['yes'] !== true && !io.interactive) throw new CliUsageError('dlq purge deletes every dead letter: pass --yes to confirm when not running in a terminal');
    return await dlqPurge(values, await resolveTarget(flags, deps), io);
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.err(`signup-sync: ${error.message}\nRun \`signup-sync --help\` for the commands and flags.`);
      return 2;
    }
    if (error instanceof CliError) {
      io.err(`signup-sync: ${error.message}`);
      return 1;
    }
    io.err(`signup-sync: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return 1;
  }
}
