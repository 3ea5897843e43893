import {
  type DeadLetter,
  type DeadLetterDetail,
  type DeadLetterFilter,
  deleteDeadLetters,
  listDeadLetters,
  purgeDeadLetters,
  type RedriveLetter,
  type RedriveMethod,
  type RedriveResult,
  redriveDeadLetters,
  showDeadLetters,
} from './dead-letters';
import { CliUsageError } from './errors';
import { queueDepth } from './queue-ops';
import { requireQueue, type Target } from './targets';
import type { IngestSetup } from './unmappable-redrive';

/**
 * `signup-sync dlq list|show|delete|redrive|purge` (docs/operations.md, "Dead letters"): dead letters one
 * by one, by id (a letter's own id, the ingest id the sender got in its 202, or the id of the message it
 * was made from) or by filter (reason, source, since). Output names ids, reasons and field paths, never
 * an address, unless `--show-pii`.
 */

export type DlqIo = Readonly<{
  out: (text: string) => void;
  err: (text: string) => void;
  ask: (question: string) => Promise<string>;
  signal?: AbortSignal;
}>;

/** The filter flags `dlq list` and `dlq redrive` share. */
export type FilterFlags = Readonly<{ reason?: string[]; source?: string[]; since?: Date }>;

export function filterOf(flags: FilterFlags, ids: readonly string[] = []): DeadLetterFilter {
  return {
    ...(ids.length > 0 ? { ids } : {}),
    ...(flags.reason && flags.reason.length > 0 ? { reasons: flags.reason } : {}),
    ...(flags.source && flags.source.length > 0 ? { sourceIds: flags.source } : {}),
    ...(flags.since ? { since: flags.since } : {}),
  };
}

const age = (seconds: number | undefined) =>
  seconds === undefined
    ? '?'
    : seconds < 90
      ? `${seconds}s`
      : seconds < 5400
        ? `${Math.round(seconds / 60)}m`
        : seconds < 129_600
          ? `${Math.round(seconds / 3600)}h`
          : `${Math.round(seconds / 86_400)}d`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** The table of `dlq list`: the ingest id (the id of the 202) and the letter's own id, for `dlq show` and `delete`. */
export function formatDeadLetters(
  letters: readonly DeadLetter[],
  { showPii = false, filtered = false }: { showPii?: boolean; filtered?: boolean } = {},
): string {
  if (letters.length === 0) return filtered ? 'No dead letter matches.' : 'The dead-letter queue is empty.';
  const header = ['REASON', 'HTTP', 'AGE', 'SOURCE', 'INGEST ID', 'DEAD LETTER ID', ...(showPii ? ['EMAIL'] : []), 'DETAIL'];
  const rows = letters.map((letter) => [
    letter.reason,
    letter.httpStatus === undefined ? '-' : String(letter.httpStatus),
    age(letter.ageSeconds),
    letter.sourceId ?? '-',
    letter.ingestId ?? '-',
    letter.messageId,
    ...(showPii ? [letter.email ?? '-'] : []),
    (letter.detail ?? '').slice(0, 100),
  ]);
  const byReason = new Map<string, number>();
  for (const letter of letters) byReason.set(letter.reason, (byReason.get(letter.reason) ?? 0) + 1);
  return [
    ...table(header, rows),
    '',
    `${letters.length} dead letter(s): ${[...byReason].map(([reason, count]) => `${count} ${reason}`).join(', ')}`,
    ...(letters.some((letter) => letter.ingestId === undefined && letter.kind === 'unmappable')
      ? ['(an unmappable letter has no ingest id: its signup was never queued; name it by its dead letter id)']
      : []),
  ].join('\n');
}

export type ListFlags = FilterFlags & Readonly<{ json?: boolean; showPii?: boolean; max: number }>;

export async function dlqList(flags: ListFlags, target: Target, io: DlqIo): Promise<number> {
  const { sqs, url } = requireQueue(target, 'dead-letter');
  const showPii = flags.showPii === true;
  const filter = filterOf(flags);
  const letters = await listDeadLetters(sqs, url, { max: flags.max, showPii, filter });
  io.out(
    flags.json === true
      ? JSON.stringify({ queueUrl: url, deadLetters: letters }, null, 2)
      : formatDeadLetters(letters, { showPii, filtered: Object.keys(filter).length > 0 }),
  );
  return 0;
}

/** One letter, field by field (`dlq show`). */
export function formatDeadLetterDetail(letter: DeadLetterDetail): string {
  const lines: [string, string | undefined][] = [
    ['dead letter id', letter.messageId],
    ['ingest id', letter.ingestId ?? (letter.kind === 'unmappable' ? '- (never queued: an unmappable delivery)' : '-')],
    ['kind', letter.kind],
    ['reason', letter.reason],
    ['HTTP status', letter.httpStatus === undefined ? undefined : String(letter.httpStatus)],
    ['detail', letter.detail],
    ['source', [letter.sourceId, letter.sourceKind].filter(Boolean).join(' (') + (letter.sourceKind && letter.sourceId ? ')' : '')],
    ['received', letter.receivedAt],
    ['dead-lettered', letter.since ? `${letter.since} (${age(letter.ageSeconds)} ago)` : undefined],
    ['made from message', letter.originalMessageId],
    ['event id', letter.eventId],
    ['email', letter.email],
    ['signup fields', letter.signup ? letter.signup.fields.join(', ') : undefined],
    ['marketing consent', letter.signup?.marketingConsent === undefined ? undefined : String(letter.signup.marketingConsent)],
    ['opt-out', letter.signup?.optOut ? 'yes' : undefined],
    ['placeholder names', letter.signup?.placeholderNames?.join(', ')],
    ['problems', letter.problems?.map((problem) => `${problem.path}: ${problem.message}`).join('; ')],
    ['attributes', Object.keys(letter.attributes).sort().join(', ')],
  ];
  const width = Math.max(...lines.map(([name]) => name.length));
  return [
    ...lines.filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '').map(([name, value]) => `${name.padEnd(width)}  ${value}`),
    ...(letter.body !== undefined ? ['', JSON.stringify(letter.body, null, 2)] : []),
  ].join('\n');
}

export type ShowFlags = Readonly<{ json?: boolean; showPii?: boolean }>;

export async function dlqShow(ids: readonly string[], flags: ShowFlags, target: Target, io: DlqIo): Promise<number> {
  const { sqs, url } = requireQueue(target, 'dead-letter');
  const { letters, notFound } = await showDeadLetters(sqs, url, ids, { showPii: flags.showPii === true });
  if (flags.json === true) io.out(JSON.stringify({ deadLetters: letters, notFound }, null, 2));
  else io.out(letters.map(formatDeadLetterDetail).join('\n\n'));
  for (const id of notFound) io.err(`No dead letter has the id ${id} (a dead letter id, an ingest id, or the id of the message it was made from).`);
  return notFound.length > 0 ? 1 : 0;
}

export async function dlqDelete(ids: readonly string[], target: Target, io: DlqIo): Promise<number> {
  const { sqs, url } = requireQueue(target, 'dead-letter');
  const { deleted, notFound } = await deleteDeadLetters(sqs, url, { ids });
  for (const letter of deleted) io.out(`Deleted ${letter.messageId}${letter.ingestId ? ` (ingest id ${letter.ingestId})` : ''}: ${letter.reason}`);
  for (const id of notFound) io.err(`No dead letter has the id ${id}; nothing deleted for it.`);
  io.out(`Deleted ${deleted.length} dead letter(s).`);
  return notFound.length > 0 ? 1 : 0;
}

export type RedriveFlags = FilterFlags & Readonly<{ method: RedriveMethod; rate?: number; max?: number; dryRun?: boolean; force?: boolean; json?: boolean }>;

const OUTCOME_WORDS: Readonly<Record<RedriveLetter['outcome'], string>> = {
  redriven: 'redriven',
  recovered: 'recovered',
  stayed: 'stays',
  refused: 'refused',
  'would-redrive': 'would redrive',
  'would-recover': 'would recover',
  'would-stay': 'would stay',
  'not-now': 'not sent',
};

/** One line per letter: what became of it, its reason, source and id, and why it stays. */
export function formatRedriveLetters(letters: readonly RedriveLetter[]): string[] {
  return table(
    ['OUTCOME', 'REASON', 'SOURCE', 'ID', 'WHY'],
    letters.map((letter) => [
      OUTCOME_WORDS[letter.outcome],
      letter.reason,
      letter.sourceId ?? '-',
      letter.ingestId ? `ingest id ${letter.ingestId}` : `dead letter ${letter.messageId}`,
      letter.outcome === 'recovered' && letter.queuedAs ? `queued as ingest id ${letter.queuedAs.join(', ')}` : (letter.why ?? ''),
    ]),
  ).map((line) => `  ${line}`);
}

/** The summary the CLI prints and the status page shows: what went back, what stayed and why. */
export function redriveSummary(result: RedriveResult): string {
  const { counts } = result;
  const how = result.method === 'move-task' ? 'StartMessageMoveTask' : 'receive -> send -> delete';
  if (result.dryRun) {
    const would = (outcome: RedriveLetter['outcome']) => result.letters.filter((letter) => letter.outcome === outcome).length;
    return `Dry run, nothing sent or deleted: ${would('would-redrive')} would be redriven, ${would('would-recover')} re-run and queued, ${would('would-stay')} would stay.`;
  }
  if (result.method === 'move-task') return `Moved ${result.moved} dead letter(s) back to the signups queue (${how}; ${result.status.toLowerCase()}).`;
  const parts = [
    `${counts.redriven} redriven`,
    `${counts.recovered} recovered (queued)`,
    ...(counts.stayed > 0 ? [`${counts.stayed} stayed: the current configuration would refuse them again`] : []),
    ...(counts.refused > 0 ? [`${counts.refused} refused (not re-run)`] : []),
    ...(counts.notNow > 0 ? [`${counts.notNow} not sent this time`] : []),
  ];
  return `Moved ${result.moved} dead letter(s) back to the signups queue (${how}; ${result.status.toLowerCase()}): ${parts.join(', ')}.`;
}

/** The ingest's configuration with the dead-letter keys (a stack's are read from its sources secret; local mode serves them with it). */
function redriveSetup(target: Target): (() => Promise<IngestSetup>) | undefined {
  if (!target.ingestSetup) return undefined;
  return async () => {
    const setup = await target.ingestSetup!();
    return target.deadLetterKeys ? { ...setup, deadLetterKeys: await target.deadLetterKeys() } : setup;
  };
}

export async function dlqRedrive(ids: readonly string[], flags: RedriveFlags, target: Target, io: DlqIo): Promise<number> {
  if (flags.force === true && flags.dryRun === true) throw new CliUsageError('--force and --dry-run cannot be combined');
  const dlq = requireQueue(target, 'dead-letter');
  const queue = requireQueue(target, 'signup');
  let lastReported = -1;
  const setup = redriveSetup(target);
  const result = await redriveDeadLetters(dlq.sqs, {
    deadLetterQueueUrl: dlq.url,
    signupQueueUrl: queue.url,
    method: flags.method,
    filter: filterOf(flags, ids),
    ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
    ...(flags.max !== undefined ? { max: flags.max } : {}),
    ...(flags.dryRun === true ? { dryRun: true } : {}),
    ...(flags.force === true ? { force: true } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    // `unmappable` letters are verified with the dead-letter keys and re-run through the ingest's current
    // configuration; signup letters are checked against it (ops/dead-letters.ts).
    ...(setup ? { ingestSetup: setup } : {}),
    onProgress: (moved, total) => {
      if (moved === lastReported) return;
      lastReported = moved;
      io.err(`redrive: ${moved}${total !== undefined ? ` of ${total}` : ''} moved`);
    },
  });
  if (flags.json === true) io.out(JSON.stringify(result, null, 2));
  const notFound = ids.filter((id) => !result.letters.some((letter) => [letter.messageId, letter.ingestId, letter.originalMessageId].includes(id)));
  for (const id of notFound) io.err(`No dead letter has the id ${id}.`);
  if (result.status === 'FAILED') {
    io.err(`Redrive failed after ${result.moved} message(s): ${result.failureReason ?? 'no reason given'}`);
    return 1;
  }
  if (flags.json !== true) {
    if (result.letters.length > 0) io.out(formatRedriveLetters(result.letters).join('\n'));
    else if (result.method !== 'move-task')
      io.out(ids.length > 0 || Object.keys(filterOf(flags)).length > 0 ? 'No dead letter matches.' : 'The dead-letter queue is empty.');
    io.out(redriveSummary(result));
  }
  if (!result.checked)
    io.err(
      "The ingest's configuration is not known here: signup letters were not checked against it, and unmappable letters stay (use --stack or --outputs-file of a stack with the output IngestFunctionName, or local mode).",
    );
  if (result.counts.stayed > 0 && !result.dryRun && result.letters.some((letter) => letter.outcome === 'stayed' && letter.forcible))
    io.err('Fix the configuration (or the data at the sender), then redrive again; --force redrives the signup letters that stayed anyway.');
  const refused = result.letters.filter((letter) => letter.outcome === 'refused');
  if (refused.length > 0) {
    // A forged or altered letter, or one whose source changed kind: never re-run, left for the operator to inspect or delete.
    io.err(`Refused ${refused.length} unmappable dead letter(s), left in the DLQ (docs/security.md, "Forged or re-dated dead letters"):`);
    for (const letter of refused) io.err(`  refused: message ${letter.messageId}: ${letter.why ?? ''}`);
  }
  if (result.moveTaskAvoided) io.err(`A move task was not used (${result.moveTaskAvoided}): the letters were copied instead.`);
  if (result.status === 'RUNNING') io.out('The move task keeps running in SQS; check it with `aws sqs list-message-move-tasks`.');
  return result.status === 'CANCELLED' ? 130 : refused.length > 0 || notFound.length > 0 ? 1 : 0;
}

export async function dlqPurge(yes: boolean, target: Target, io: DlqIo): Promise<number> {
  const { sqs, url } = requireQueue(target, 'dead-letter');
  if (!yes) {
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
