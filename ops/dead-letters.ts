import { ListMessageMoveTasksCommand, type Message, PurgeQueueCommand, type SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { sendInBatches } from '../shared/aws/sqs-send-batches';
import { createSqsSignupQueue } from '../shared/aws/sqs-signup-queue';
import { checkSignup } from '../shared/ingest/check-signups';
import { UNMAPPABLE_KIND } from '../shared/ingest/unmappable';
import { namelessPolicyFor } from '../shared/signup/nameless-policy';
import type { SignupMessage } from '../shared/signup/signup-schema';
import { decodeSignupMessage } from '../shared/sync/decode-message';
import { deleteMessages, isAwsQueueUrl, queueArn, queueDepth, receiveMessages, withSelectedMessages } from './queue-ops';
import { redactEmails } from './redact';
import { type IngestSetup, isUnmappable, type PreparedSetup, prepareIngestSetup, rerunUnmappableLetter } from './unmappable-redrive';

/**
 * Dead-letter queue tools shared by the CLI (`signup-sync dlq …`) and local mode's status page.
 * A dead letter carries its original body untouched plus the sync's Rejection* attributes
 * (shared/aws/sqs-dead-letter-queue.ts); one moved by the redrive policy (maxReceiveCount) has none.
 */

/** What a dead letter holds: a signup message (the sync's, or one SQS moved), an `unmappable` source delivery, or neither. */
export type DeadLetterKind = 'signup' | 'unmappable' | 'unreadable';

export type DeadLetter = Readonly<{
  /** The SQS message id in the dead-letter queue. */
  messageId: string;
  /**
   * The ingest id: the id the sender got in its 202 (`ids`), which the signup message carries. Absent for
   * an `unmappable` letter (its signup was never queued) and for an unreadable one.
   */
  ingestId?: string;
  kind: DeadLetterKind;
  /** RejectionCode, or `max-receives` for a message the redrive policy moved. */
  reason: string;
  detail?: string;
  httpStatus?: number;
  sourceId?: string;
  sourceKind?: string;
  /** When it was rejected (RejectedAt), else when it was first sent (SentTimestamp). */
  since?: string;
  ageSeconds?: number;
  originalMessageId?: string;
  /** The sender's event id of the signup, when it has one. */
  eventId?: string;
  /** When the ingest received the signup (the message's or the letter's `received_at`). */
  receivedAt?: string;
  /** Only with `showPii`. */
  email?: string;
}>;

export class DeadLetterToolError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DeadLetterToolError';
  }
}

const attribute = (message: Message, name: string): string | undefined => message.MessageAttributes?.[name]?.StringValue;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** What a letter's body says about its signup: read loosely (any schema version), so an old or odd letter is still listed. */
export type LetterBody = Readonly<{ kind: DeadLetterKind; ingestId?: string; eventId?: string; email?: string; receivedAt?: string; sourceId?: string }>;

export function readLetterBody(body: string | undefined): LetterBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    return { kind: 'unreadable' };
  }
  if (typeof parsed !== 'object' || parsed === null) return { kind: 'unreadable' };
  const value = parsed as Record<string, unknown>;
  const record = (item: unknown) => (typeof item === 'object' && item !== null ? (item as Record<string, unknown>) : {});
  // shared/ingest/unmappable.ts: the delivery and the adapter's candidate, never queued.
  const unmappable = value['kind'] === UNMAPPABLE_KIND;
  const signup = record(unmappable ? value['candidate'] : value['signup']);
  const ingestId = unmappable ? undefined : text(value['id']);
  const eventId = text(signup['event_id']);
  const email = text(signup['email']);
  const receivedAt = text(value['received_at']);
  const sourceId = text(record(value['source'])['id']);
  return {
    kind: unmappable ? 'unmappable' : ingestId !== undefined || email !== undefined ? 'signup' : 'unreadable',
    ...(ingestId ? { ingestId } : {}),
    ...(eventId ? { eventId } : {}),
    ...(email ? { email } : {}),
    ...(receivedAt ? { receivedAt } : {}),
    ...(sourceId ? { sourceId } : {}),
  };
}

export function describeDeadLetter(message: Message, { showPii = false, now = Date.now() }: Readonly<{ showPii?: boolean; now?: number }> = {}): DeadLetter {
  const rejectedAt = attribute(message, 'RejectedAt');
  const sentMs = Number(message.Attributes?.SentTimestamp);
  const sinceMs = rejectedAt ? Date.parse(rejectedAt) : Number.isFinite(sentMs) && sentMs > 0 ? sentMs : undefined;
  const detail = attribute(message, 'RejectionDetail');
  const httpStatus = Number(attribute(message, 'RejectionHttpStatus'));
  const body = readLetterBody(message.Body);
  const email = showPii ? body.email : undefined;
  const sourceId = attribute(message, 'SourceId') ?? body.sourceId;
  return {
    messageId: message.MessageId ?? '?',
    ...(body.ingestId ? { ingestId: body.ingestId } : {}),
    kind: body.kind,
    reason: attribute(message, 'RejectionCode') ?? 'max-receives',
    ...(detail ? { detail: showPii ? detail : redactEmails(detail) } : {}),
    ...(Number.isInteger(httpStatus) && httpStatus > 0 ? { httpStatus } : {}),
    ...(sourceId ? { sourceId } : {}),
    ...(attribute(message, 'SourceKind') ? { sourceKind: attribute(message, 'SourceKind') } : {}),
    ...(sinceMs !== undefined && Number.isFinite(sinceMs)
      ? { since: new Date(sinceMs).toISOString(), ageSeconds: Math.max(0, Math.round((now - sinceMs) / 1000)) }
      : {}),
    ...(attribute(message, 'OriginalMessageId') ? { originalMessageId: attribute(message, 'OriginalMessageId') } : {}),
    ...(body.eventId ? { eventId: body.eventId } : {}),
    ...(body.receivedAt ? { receivedAt: body.receivedAt } : {}),
    ...(email ? { email } : {}),
  };
}

/**
 * Which dead letters an operation is about. Every given criterion must hold (within one, any value).
 * `ids`: a letter's own SQS message id, its ingest id (the id of the 202), or the id of the signups-queue
 * message it was made from. `emails` (for erasure: `signup-sync forget`) compares the letter's address,
 * case-insensitively; it is never printed.
 */
export type DeadLetterFilter = Readonly<{
  ids?: readonly string[];
  reasons?: readonly string[];
  sourceIds?: readonly string[];
  /** Dead-lettered at or after this time (RejectedAt, else when SQS first received it). */
  since?: Date;
  emails?: readonly string[];
}>;

export const isEmptyFilter = (filter: DeadLetterFilter | undefined): boolean =>
  filter === undefined ||
  ((filter.ids ?? []).length === 0 &&
    (filter.reasons ?? []).length === 0 &&
    (filter.sourceIds ?? []).length === 0 &&
    filter.since === undefined &&
    (filter.emails ?? []).length === 0);

/** The ids a letter answers to: its own, its ingest id, the message it was made from. */
export function idsOfDeadLetter(message: Message): string[] {
  return [message.MessageId, readLetterBody(message.Body).ingestId, attribute(message, 'OriginalMessageId')].filter((id): id is string => id !== undefined);
}

export function matchesDeadLetter(message: Message, filter: DeadLetterFilter = {}): boolean {
  const letter = describeDeadLetter(message);
  if (filter.ids && filter.ids.length > 0 && !idsOfDeadLetter(message).some((id) => filter.ids!.includes(id))) return false;
  if (filter.reasons && filter.reasons.length > 0 && !filter.reasons.includes(letter.reason)) return false;
  if (filter.sourceIds && filter.sourceIds.length > 0 && !filter.sourceIds.includes(letter.sourceId ?? '')) return false;
  if (filter.since !== undefined && (letter.since === undefined || Date.parse(letter.since) < filter.since.getTime())) return false;
  if (filter.emails && filter.emails.length > 0) {
    const email = readLetterBody(message.Body).email?.trim().toLowerCase();
    if (email === undefined || !filter.emails.some((wanted) => wanted.trim().toLowerCase() === email)) return false;
  }
  return true;
}

/** The given ids no letter answered to. */
function idsNotFound(filter: DeadLetterFilter, letters: readonly Message[]): string[] {
  const found = new Set(letters.flatMap(idsOfDeadLetter));
  return (filter.ids ?? []).filter((id) => !found.has(id));
}

const byAge = (a: DeadLetter, b: DeadLetter) => (a.since ?? '').localeCompare(b.since ?? '');

export type ListOptions = Readonly<{
  max?: number;
  showPii?: boolean;
  filter?: DeadLetterFilter;
  /** How long listed messages stay hidden while the list is read; they are released right after. */
  peekSeconds?: number;
}>;

/**
 * Reads up to `max` dead letters without removing them (ops/queue-ops.ts withSelectedMessages: each is
 * received, and made visible again at once when the list is read; SQS has no peek, the AWS console does
 * the same), and describes those the filter picks, oldest first.
 */
export async function listDeadLetters(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  { max = 1000, showPii = false, filter, peekSeconds = 30 }: ListOptions = {},
): Promise<DeadLetter[]> {
  const messages = await withSelectedMessages(
    sqs,
    deadLetterQueueUrl,
    { select: (message) => matchesDeadLetter(message, filter), max, visibilityTimeoutSeconds: peekSeconds },
    async (selected) => ({ gone: [], result: [...selected] }),
  );
  const now = Date.now();
  return messages.map((message) => describeDeadLetter(message, { showPii, now })).sort(byAge);
}

/** One letter in full, for `dlq show`: what it says about its signup without personal data, unless asked. */
export type DeadLetterDetail = DeadLetter &
  Readonly<{
    /** Every message attribute (RejectionDetail masked as in the list). */
    attributes: Readonly<Record<string, string>>;
    /** The signup's field names (never their values), its consents and whether it is an opt-out. */
    signup?: Readonly<{ fields: readonly string[]; marketingConsent?: boolean; optOut?: boolean; placeholderNames?: readonly string[] }>;
    /** An unmappable letter: what failed, as the ingest wrote it (paths and rules). */
    problems?: readonly Readonly<{ path: string; message: string }>[];
    /** The whole body, only with `showPii`. */
    body?: unknown;
  }>;

export function detailOfDeadLetter(
  message: Message,
  { showPii = false, now = Date.now() }: Readonly<{ showPii?: boolean; now?: number }> = {},
): DeadLetterDetail {
  const letter = describeDeadLetter(message, { showPii, now });
  const attributes = Object.fromEntries(
    Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
      name,
      name === 'RejectionDetail' ? (letter.detail ?? '') : (value.StringValue ?? ''),
    ]),
  );
  let parsed: Record<string, unknown> | undefined;
  try {
    const value: unknown = JSON.parse(message.Body ?? '');
    parsed = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    parsed = undefined;
  }
  const candidate = (letter.kind === 'unmappable' ? parsed?.['candidate'] : parsed?.['signup']) as Record<string, unknown> | undefined;
  const consent = candidate?.['consent'] as Record<string, unknown> | undefined;
  const placeholders = parsed?.['placeholder_names'];
  const problems =
    letter.kind === 'unmappable' && Array.isArray(parsed?.['problems']) ? (parsed['problems'] as { path: string; message: string }[]) : undefined;
  return {
    ...letter,
    attributes,
    ...(candidate
      ? {
          signup: {
            fields: Object.keys(candidate).sort(),
            ...(typeof consent?.['marketing'] === 'boolean' ? { marketingConsent: consent['marketing'] } : {}),
            ...(candidate['opt_out'] === true ? { optOut: true } : {}),
            ...(Array.isArray(placeholders) ? { placeholderNames: placeholders.filter((name): name is string => typeof name === 'string') } : {}),
          },
        }
      : {}),
    ...(problems ? { problems: problems.map(({ path, message }) => ({ path: String(path), message: String(message) })) } : {}),
    ...(showPii && parsed ? { body: parsed } : {}),
  };
}

/** The letters the ids name (`dlq show`), each made visible again right after. */
export async function showDeadLetters(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  ids: readonly string[],
  { showPii = false, max = 10_000 }: Readonly<{ showPii?: boolean; max?: number }> = {},
): Promise<Readonly<{ letters: DeadLetterDetail[]; notFound: string[] }>> {
  const filter = { ids };
  return withSelectedMessages(
    sqs,
    deadLetterQueueUrl,
    { select: (message) => matchesDeadLetter(message, filter), max, visibilityTimeoutSeconds: 30 },
    async (selected) => {
      const now = Date.now();
      return {
        gone: [],
        result: { letters: selected.map((message) => detailOfDeadLetter(message, { showPii, now })), notFound: idsNotFound(filter, selected) },
      };
    },
  );
}

/**
 * Deletes the letters the filter picks (`dlq delete <id…>`, the status page's delete, `signup-sync forget`),
 * leaving every other one as it was. An empty filter is refused: emptying the queue is `purgeDeadLetters`.
 */
export async function deleteDeadLetters(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  filter: DeadLetterFilter,
  { max = 10_000 }: Readonly<{ max?: number }> = {},
): Promise<Readonly<{ deleted: DeadLetter[]; notFound: string[] }>> {
  if (isEmptyFilter(filter)) throw new DeadLetterToolError('Name the dead letters to delete (their ids or a filter); `dlq purge` deletes them all');
  return withSelectedMessages(
    sqs,
    deadLetterQueueUrl,
    { select: (message) => matchesDeadLetter(message, filter), max, visibilityTimeoutSeconds: 60 },
    async (selected) => {
      const failed = new Set(await deleteMessages(sqs, deadLetterQueueUrl, selected));
      const gone = selected.filter((message) => !failed.has(message.MessageId!));
      if (failed.size > 0) throw new DeadLetterToolError(`SQS did not delete ${failed.size} dead letter(s); run the command again`);
      const now = Date.now();
      return { gone, result: { deleted: gone.map((message) => describeDeadLetter(message, { now })).sort(byAge), notFound: idsNotFound(filter, selected) } };
    },
  );
}

export type RedriveMethod = 'auto' | 'move-task' | 'copy';

export type RedriveOptions = Readonly<{
  deadLetterQueueUrl: string;
  signupQueueUrl: string;
  /** `move-task`: SQS StartMessageMoveTask (AWS); `copy`: receive -> send -> delete; `auto`: move-task on AWS, copy elsewhere. */
  method?: RedriveMethod;
  /** Messages per second (MaxNumberOfMessagesPerSecond of the move task; a pause between batches for copy). */
  rate?: number;
  /** Redrive at most this many letters (the oldest first). */
  max?: number;
  /** Only these letters (ids, reason, source, time); none: every letter. */
  filter?: DeadLetterFilter;
  /** Only say what each letter would become; nothing is sent or deleted. */
  dryRun?: boolean;
  /** Also redrive signup letters the current configuration would refuse again (they will come back to the DLQ unless it changes). */
  force?: boolean;
  onProgress?: (moved: number, total: number | undefined) => void;
  sleep?: (ms: number) => Promise<void>;
  /** ms between ListMessageMoveTasks polls. */
  pollMs?: number;
  signal?: AbortSignal;
  /**
   * The ingest's configuration now, with the dead-letter keys: `unmappable` letters are verified and re-run
   * through it, and signup letters checked against it (ops/unmappable-redrive.ts). Without it unmappable
   * letters stay (nothing to re-run them with) and signup letters are redriven unchecked.
   */
  ingestSetup?: () => Promise<IngestSetup>;
  /** Letters read at most (default 10,000); a bigger DLQ takes more runs, and no move task. */
  scanMax?: number;
  now?: () => Date;
}>;

/** What became of one letter (or, in a dry run, would). */
export type LetterOutcome = 'redriven' | 'recovered' | 'stayed' | 'refused' | 'would-redrive' | 'would-recover' | 'would-stay' | 'not-now';

export type RedriveLetter = DeadLetter &
  Readonly<{
    outcome: LetterOutcome;
    /** Why a letter stays (what the current configuration would refuse, field paths and rules only), or was refused. */
    why?: string;
    /** Whether --force would redrive it anyway (a signup letter the ingest's checks refuse). */
    forcible?: boolean;
    /** Recovered: the ingest ids its signups were queued under. */
    queuedAs?: readonly string[];
  }>;

export type RedriveResult = Readonly<{
  method: 'move-task' | 'copy';
  /** Letters sent back (redriven and recovered), or moved by the move task. */
  moved: number;
  status: string;
  failureReason?: string;
  dryRun: boolean;
  /** Whether the ingest's configuration was known, so letters were checked against it. */
  checked: boolean;
  /** Each letter the filter picked, and what became of it (a move task reports none: it moves the whole queue). */
  letters: readonly RedriveLetter[];
  counts: Readonly<Record<'redriven' | 'recovered' | 'stayed' | 'refused' | 'notNow', number>>;
  /** A move task was asked for (or `auto` on AWS) but could not be used: copied instead; the reason says why. */
  moveTaskAvoided?: string;
}>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function resolveRedriveMethod(method: RedriveMethod, deadLetterQueueUrl: string): 'move-task' | 'copy' {
  if (method !== 'auto') return method;
  return isAwsQueueUrl(deadLetterQueueUrl) ? 'move-task' : 'copy';
}

/** What the current configuration makes of a letter, before anything is sent. */
type Verdict =
  | Readonly<{ action: 'redrive' }>
  | Readonly<{ action: 'recover'; messages: readonly SignupMessage[] }>
  | Readonly<{ action: 'stay'; why: string; forcible: boolean; refused?: true }>;

/**
 * A signup letter is checked as the ingest checks a signup now (shared/ingest/check-signups.ts: the schema,
 * its source's nameless policy, the attribute limit): a nameless signup under `reject` stays. What
 * BigCommerce will answer cannot be known here, so a letter it refused is redriven (fix the cause first).
 */
function verdictOf(message: Message, prepared: PreparedSetup | undefined, now: Date): Verdict {
  if (isUnmappable(message) || readLetterBody(message.Body).kind === 'unmappable') {
    if (!prepared)
      return {
        action: 'stay',
        why: "the ingest's configuration is not known here (use --stack or --outputs-file of a stack with the output IngestFunctionName, or local mode)",
        forcible: false,
      };
    const rerun = rerunUnmappableLetter(message, prepared, now);
    if (rerun.outcome === 'recovered') return { action: 'recover', messages: rerun.messages };
    return { action: 'stay', why: rerun.reason, forcible: false, ...(rerun.outcome === 'refused' ? { refused: true as const } : {}) };
  }
  const decoded = decodeSignupMessage(message.Body ?? '');
  if (!decoded.ok) return { action: 'stay', why: `the sync cannot read it (${decoded.rejection.code}): ${decoded.rejection.detail}`, forcible: false };
  if (!prepared) return { action: 'redrive' };
  const { signup, source } = decoded.message;
  const configured = prepared.sources.find((candidate) => candidate.id === source.id);
  const checked = checkSignup(signup, { nameless: namelessPolicyFor(prepared.policy, configured), attributeFields: prepared.attributeFields });
  if (checked.ok) return { action: 'redrive' };
  const problems = checked.problems.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  return { action: 'stay', why: `the ingest would refuse it now: ${problems}`, forcible: true };
}

/**
 * Sends dead letters back, one by one or all at once. Every letter the filter picks is first judged by
 * the current configuration: a signup letter the ingest would refuse again, an `unmappable` letter that
 * still does not map (or is refused: unsigned, forged), and a letter the sync cannot read stay in the DLQ
 * and are reported with why (`force` redrives the signup letters among them anyway). The others go back:
 * signup letters with their bodies and attributes unchanged (and `RedrivenAt`, which the sync's trace line
 * reads), unmappable letters re-run into the signups the ingest would queue now.
 *
 * Copy (receive -> send -> delete, at most `rate` a second) is the mechanism for picked letters; SQS's
 * StartMessageMoveTask, which moves a whole queue, is used only for a whole DLQ that holds nothing that
 * must stay (and that this run read completely). Send first, then delete: an interruption in between
 * duplicates a signup (the sync looks customers up before creating them), never loses one.
 */
export async function redriveDeadLetters(sqs: SQSClient, options: RedriveOptions): Promise<RedriveResult> {
  if (options.rate !== undefined && !(options.rate > 0)) throw new DeadLetterToolError('The rate must be a positive number of messages per second');
  const wanted = resolveRedriveMethod(options.method ?? 'auto', options.deadLetterQueueUrl);
  const prepared = options.ingestSetup ? prepareIngestSetup(await options.ingestSetup()) : undefined;
  const clock = options.now ?? (() => new Date());
  const scanMax = options.scanMax ?? 10_000;
  const filter = options.filter ?? {};
  const dryRun = options.dryRun === true;
  // Hidden long enough to copy them all at the given rate (SQS allows 12 hours).
  const depth = await queueDepth(sqs, options.deadLetterQueueUrl);
  const expected = Math.min(scanMax, depth.visible + depth.inFlight, options.max ?? Number.POSITIVE_INFINITY);
  const visibilityTimeoutSeconds = Math.min(43_200, Math.ceil(options.rate ? expected / options.rate : 0) + 300);
  let read = 0;
  const planned = await withSelectedMessages<Plan>(
    sqs,
    options.deadLetterQueueUrl,
    {
      select: (message) => {
        read += 1;
        return matchesDeadLetter(message, filter);
      },
      max: scanMax,
      visibilityTimeoutSeconds,
      ...(options.signal ? { signal: options.signal } : {}),
    },
    async (selected) => {
      const now = Date.now();
      const ordered = [...selected].sort((a, b) => byAge(describeDeadLetter(a, { now }), describeDeadLetter(b, { now })));
      const verdicts = ordered.map((message) => ({ message, letter: describeDeadLetter(message, { now }), verdict: verdictOf(message, prepared, clock()) }));
      const goes = (verdict: Verdict) => verdict.action !== 'stay' || (options.force === true && verdict.forcible);
      // The move task moves the whole queue: only for all letters, every one of them going back as it is.
      const whole = isEmptyFilter(filter) && options.max === undefined && read < scanMax;
      const movable = verdicts.every(
        ({ verdict }) => verdict.action === 'redrive' || (verdict.action === 'stay' && options.force === true && verdict.forcible),
      );
      const moveTask = wanted === 'move-task' && !dryRun && whole && movable && verdicts.length > 0;
      const avoided =
        wanted !== 'move-task' || dryRun || moveTask || verdicts.length === 0
          ? undefined
          : !whole
            ? 'only some letters were picked (ids, filters or --max), and a move task moves them all'
            : 'some letters must stay or be re-run, which a move task would carry to the signups queue as they are';
      const plan = { verdicts, moveTask, ...(avoided ? { avoided } : {}) };
      if (moveTask || dryRun) return { gone: [], result: { ...plan, outcomes: new Map() } };
      const { gone, outcomes } = await copyBack(sqs, options, verdicts, goes);
      return { gone, result: { ...plan, outcomes } };
    },
  );
  const { outcomes } = planned;
  const letters: RedriveLetter[] = planned.verdicts.map(({ letter, verdict }) => {
    const done = outcomes.get(letter.messageId);
    if (done) return done;
    if (verdict.action === 'stay')
      return { ...letter, outcome: dryRun ? 'would-stay' : verdict.refused ? 'refused' : 'stayed', why: verdict.why, forcible: verdict.forcible };
    if (planned.moveTask) return { ...letter, outcome: 'redriven' };
    if (dryRun) return { ...letter, outcome: verdict.action === 'recover' ? 'would-recover' : 'would-redrive' };
    return { ...letter, outcome: 'not-now', why: 'not sent this time (--max, or the redrive was interrupted)' };
  });
  const count = (outcome: LetterOutcome) => letters.filter((letter) => letter.outcome === outcome).length;
  const counts = {
    redriven: count('redriven'),
    recovered: count('recovered'),
    stayed: count('stayed') + count('would-stay'),
    refused: count('refused'),
    notNow: count('not-now'),
  };
  const common = { dryRun, checked: prepared !== undefined, counts, ...(planned.avoided ? { moveTaskAvoided: planned.avoided } : {}) };
  if (planned.moveTask) {
    const moved = await moveTask(sqs, options);
    return { ...moved, ...common, letters: moved.status === 'COMPLETED' ? letters : [] };
  }
  return {
    method: 'copy',
    moved: counts.redriven + counts.recovered,
    status: options.signal?.aborted ? 'CANCELLED' : 'COMPLETED',
    ...common,
    letters,
  };
}

type Planned = Readonly<{ message: Message; letter: DeadLetter; verdict: Verdict }>;

/** What a redrive decided with the letters in hand: each one's verdict, and how they go back. */
type Plan = Readonly<{ verdicts: readonly Planned[]; moveTask: boolean; avoided?: string; outcomes: ReadonlyMap<string, RedriveLetter> }>;

/** Sends the letters that go (in batches of 10, at most `rate` a second), then deletes them from the DLQ. */
async function copyBack(
  sqs: SQSClient,
  options: RedriveOptions,
  planned: readonly Planned[],
  goes: (verdict: Verdict) => boolean,
): Promise<{ gone: Message[]; outcomes: Map<string, RedriveLetter> }> {
  const sleep = options.sleep ?? defaultSleep;
  const going = planned.filter(({ verdict }) => goes(verdict)).slice(0, options.max ?? Number.POSITIVE_INFINITY);
  const total = going.length;
  const started = Date.now();
  const gone: Message[] = [];
  const outcomes = new Map<string, RedriveLetter>();
  const signupQueue = createSqsSignupQueue(sqs, options.signupQueueUrl);
  for (let start = 0; start < going.length && !options.signal?.aborted; start += 10) {
    const batch = going.slice(start, start + 10);
    if (options.rate !== undefined) {
      // Never faster than `rate`: this batch may start once the previous ones' time is used up.
      const due = started + (gone.length / options.rate) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    // RedrivenAt tells the sync's trace line it came back from the DLQ (SQS allows 10 attributes; a letter has at most 9).
    const redrivenAt = { DataType: 'String', StringValue: new Date().toISOString() };
    const copies = batch.filter(({ verdict }) => verdict.action !== 'recover');
    await sendInBatches(
      copies.map(({ message }, index) => ({
        id: String(index),
        body: message.Body ?? '',
        attributes: { ...message.MessageAttributes, RedrivenAt: redrivenAt },
      })),
      { sqs, queueUrl: options.signupQueueUrl },
    );
    // An unmappable letter becomes the signups the ingest would queue now, queued as the ingest queues them.
    const recovered = batch.flatMap(({ verdict }) => (verdict.action === 'recover' ? verdict.messages : []));
    if (recovered.length > 0) await signupQueue.enqueue(recovered);
    const notDeleted = new Set(
      await deleteMessages(
        sqs,
        options.deadLetterQueueUrl,
        batch.map(({ message }) => message),
      ),
    );
    if (notDeleted.size > 0)
      throw new DeadLetterToolError(
        `SQS did not delete ${notDeleted.size} redriven dead letter(s); their signups are now in both queues (the sync absorbs the copy)`,
      );
    for (const { message, letter, verdict } of batch) {
      gone.push(message);
      outcomes.set(
        letter.messageId,
        verdict.action === 'recover'
          ? { ...letter, outcome: 'recovered', queuedAs: verdict.messages.map((queued) => queued.id) }
          : { ...letter, outcome: 'redriven', ...(verdict.action === 'stay' ? { why: `forced: ${verdict.why}` } : {}) },
      );
    }
    options.onProgress?.(gone.length, total);
  }
  return { gone, outcomes };
}

async function moveTask(sqs: SQSClient, options: RedriveOptions): Promise<Pick<RedriveResult, 'method' | 'moved' | 'status' | 'failureReason'>> {
  const sleep = options.sleep ?? defaultSleep;
  const [sourceArn, destinationArn] = await Promise.all([queueArn(sqs, options.deadLetterQueueUrl), queueArn(sqs, options.signupQueueUrl)]);
  await sqs.send(
    new StartMessageMoveTaskCommand({
      SourceArn: sourceArn,
      // Always named: messages the sync put in the DLQ itself have no source queue recorded.
      DestinationArn: destinationArn,
      ...(options.rate !== undefined ? { MaxNumberOfMessagesPerSecond: Math.max(1, Math.floor(options.rate)) } : {}),
    }),
  );
  for (;;) {
    await sleep(options.pollMs ?? 1000);
    const { Results = [] } = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 1 }));
    const task = Results[0];
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    options.onProgress?.(moved, task?.ApproximateNumberOfMessagesToMove);
    if (task?.Status !== 'RUNNING' || options.signal?.aborted) {
      return { method: 'move-task', moved, status: task?.Status ?? 'UNKNOWN', ...(task?.FailureReason ? { failureReason: task.FailureReason } : {}) };
    }
  }
}

export type PurgeResult = Readonly<{ method: 'purge-queue' | 'delete'; deleted?: number }>;

/**
 * Empties the DLQ. On AWS: PurgeQueue (takes up to 60 s, once per 60 s). Elsewhere message by message,
 * because emulators delay PurgeQueue too (local-aws-sqs: 60 s) and a developer wants to see it done.
 */
export async function purgeDeadLetters(sqs: SQSClient, deadLetterQueueUrl: string): Promise<PurgeResult> {
  if (isAwsQueueUrl(deadLetterQueueUrl)) {
    await sqs.send(new PurgeQueueCommand({ QueueUrl: deadLetterQueueUrl }));
    return { method: 'purge-queue' };
  }
  let deleted = 0;
  for (let empty = 0; empty < 2; ) {
    const batch = await receiveMessages(sqs, deadLetterQueueUrl, { max: 10, visibilityTimeoutSeconds: 60 });
    if (batch.length === 0) {
      empty += 1;
      continue;
    }
    empty = 0;
    const failed = await deleteMessages(sqs, deadLetterQueueUrl, batch);
    deleted += batch.length - failed.length;
  }
  return { method: 'delete', deleted };
}
