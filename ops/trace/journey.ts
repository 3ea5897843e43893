import type { Message } from '@aws-sdk/client-sqs';
import { TRACE_FIELD, type TraceEventName } from '../../shared/trace/trace-events';
import { type DeadLetter, describeDeadLetter, readLetterBody } from '../dead-letters';
import { CliUsageError } from '../errors';
import { matchesKeys, signupsOf, TRACE_ID_PATTERN, type TraceKeys, type TraceLogGroup, type TraceRecord } from './trace-records';
import type { TraceLogSource, TraceWindow } from './trace-source';

/**
 * `signup-sync trace <email | ingest id | event id>`: one signup's journey, in order, from the trace lines
 * the functions write (shared/trace/trace-events.ts) and the dead-letter queue as it is now.
 *
 * The search runs in rounds: first for what was given (an email's keyed hash, or an id), then for the ids
 * the lines found name (the request of a queued signup, the ingest id of a sync attempt, the SQS message
 * a dead letter came from), until nothing new turns up. A request of many signups is narrowed to the ones
 * the trace is about; an id trace never widens to the person's other signups by email hash.
 */

export type TraceInput = Readonly<{ kind: 'email'; email: string }> | Readonly<{ kind: 'id'; id: string }>;

/** An email (it has an @ and a dot after it) or an id of the characters ids use. */
export function parseTraceInput(value: string): TraceInput {
  const trimmed = value.trim();
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) return { kind: 'email', email: trimmed };
  if (TRACE_ID_PATTERN.test(trimmed)) return { kind: 'id', id: trimmed };
  throw new CliUsageError(
    'trace needs an email address, an ingest id (an id of the 202, or the apigw-requestid header of any answer), a dead letter id or a sender event id',
  );
}

/** One step of the journey. `signups`: the signups of a request-level line the trace is about (ids and hashes only). */
export type JourneyStep = Readonly<{
  at: string;
  event: TraceEventName | 'api-answered' | 'in-dead-letter-queue';
  group: TraceLogGroup | 'dlq';
  requestId?: string;
  signupId?: string;
  messageId?: string;
  fields: Readonly<Record<string, unknown>>;
}>;

export type Journey = Readonly<{
  /** What was traced: the id, or only that it was an email (the address is not repeated: its hash is in `emailHashes`). */
  input: Readonly<{ kind: 'email' }> | Readonly<{ kind: 'id'; value: string }>;
  /** The keyed hash an email trace searched for. */
  emailHashes: readonly string[];
  steps: readonly JourneyStep[];
  /** Ingest ids, API request ids and SQS message ids the journey touched. */
  signupIds: readonly string[];
  requestIds: readonly string[];
  /** The letters of the dead-letter queue that belong to it, as they are now (no personal data). */
  deadLetters: readonly DeadLetter[];
  searched: Readonly<{ where: string; since: string; until: string; rounds: number; scannedBytes?: number; deadLetterQueue: boolean }>;
}>;

export type TraceOptions = Readonly<{
  source: TraceLogSource;
  window: TraceWindow;
  /** The dead letters as they are now (ops/queue-ops.ts peekMessages), when the target has a DLQ. */
  deadLetters?: () => Promise<readonly Message[]>;
  maxRounds?: number;
  /** At most this many ids per round (a Logs Insights query string is limited to 10,000 characters). */
  maxIdsPerRound?: number;
}>;

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** What a record contributes to the next round: the request, the signups it is about, the SQS messages. */
function expansion(record: TraceRecord, keys: TraceKeys, input: TraceInput): string[] {
  const { line } = record;
  const found: string[] = [];
  const requestId = text(line['requestId']);
  if (requestId && record.group !== 'sync') found.push(requestId);
  for (const field of ['signupId', 'messageId', 'originalMessageId']) {
    const id = text(line[field]);
    if (id) found.push(id);
  }
  // A request-level line: the signups it lists that the trace is about (all of them when the request itself is).
  const wholeRequest = isTheRequest(line, input);
  for (const signup of relevantSignups(line, keys, wholeRequest)) {
    const id = text(signup['signupId']);
    if (id) found.push(id);
  }
  return found;
}

/** Whether the trace was asked for this line's request (its request id or the sender's delivery id), not for one of its signups. */
function isTheRequest(line: Readonly<Record<string, unknown>>, input: TraceInput): boolean {
  return input.kind === 'id' && (input.id === text(line['requestId']) || input.id === text(line['deliveryId']));
}

/** The entries of a line's `signups[]` that belong to the trace. */
function relevantSignups(line: Readonly<Record<string, unknown>>, keys: TraceKeys, wholeRequest: boolean): Readonly<Record<string, unknown>>[] {
  const signups = signupsOf(line);
  if (wholeRequest) return signups;
  return signups.filter((signup) => matchesKeys(signup, keys));
}

function stepOf(record: TraceRecord, keys: TraceKeys, input: TraceInput): JourneyStep {
  const { line } = record;
  const event = (text(line[TRACE_FIELD]) as TraceEventName | undefined) ?? 'api-answered';
  const requestId = text(line['requestId']);
  const signups = relevantSignups(line, keys, isTheRequest(line, input));
  const { level: _level, timestamp: _timestamp, service: _service, message: _message, [TRACE_FIELD]: _trace, signups: _signups, ...rest } = line;
  // Powertools' own keys are noise in a journey.
  for (const key of [
    'sampling_rate',
    'xray_trace_id',
    'cold_start',
    'function_arn',
    'function_memory_size',
    'function_name',
    'function_request_id',
    'correlation_id',
    'idempotencyKey',
  ])
    delete (rest as Record<string, unknown>)[key];
  const signupId = text(line['signupId']) ?? (signups.length === 1 ? text(signups[0]!['signupId']) : undefined);
  return {
    at: record.at,
    event,
    group: record.group,
    ...(requestId && record.group !== 'sync' ? { requestId } : {}),
    ...(signupId ? { signupId } : {}),
    ...(text(line['messageId']) ? { messageId: text(line['messageId']) } : {}),
    fields: { ...rest, ...(signups.length > 0 ? { signups } : {}) },
  };
}

/** A dead letter that belongs to the journey: by its ingest id, the message it was made from, its own id, its event id, or the email. */
function belongs(message: Message, input: TraceInput, ids: ReadonlySet<string>): boolean {
  const body = readLetterBody(message.Body);
  if (input.kind === 'email' && body.email !== undefined && body.email.trim().toLowerCase() === input.email.toLowerCase()) return true;
  const original = message.MessageAttributes?.['OriginalMessageId']?.StringValue;
  return [body.ingestId, original, message.MessageId, body.eventId].some((id) => id !== undefined && ids.has(id));
}

/** Searches the logs in rounds, reads the dead-letter queue, and puts the journey in order. */
export async function traceJourney(input: TraceInput, options: TraceOptions): Promise<Journey> {
  const { source, window } = options;
  const maxRounds = options.maxRounds ?? 3;
  const maxIds = options.maxIdsPerRound ?? 100;
  const emailHashes = input.kind === 'email' ? await source.hashEmails([input.email]) : [];
  const keys = { ids: input.kind === 'id' ? [input.id] : ([] as string[]), emailHashes };
  const searchedIds = new Set<string>();
  const records = new Map<string, TraceRecord>();
  // Read once: a letter found in one round may name what the next round searches for (its ingest id).
  const letters = options.deadLetters ? await options.deadLetters() : undefined;
  const lettersFound = new Map<string, Message>();
  let scannedBytes: number | undefined;
  let rounds = 0;
  let next: TraceKeys = keys;
  while (rounds < maxRounds && (next.ids.length > 0 || next.emailHashes.length > 0)) {
    rounds += 1;
    for (const id of next.ids) searchedIds.add(id);
    const result = await source.search(next, window);
    if (result.scannedBytes !== undefined) scannedBytes = (scannedBytes ?? 0) + result.scannedBytes;
    const all: TraceKeys = { ids: [...searchedIds], emailHashes };
    const fresh = new Set<string>();
    for (const record of result.records) {
      const key = `${record.group} ${record.at} ${JSON.stringify(record.line)}`;
      if (records.has(key)) continue;
      records.set(key, record);
      for (const id of expansion(record, all, input)) fresh.add(id);
    }
    const known = new Set([...searchedIds, ...fresh]);
    for (const message of letters ?? []) {
      if (lettersFound.has(message.MessageId!) || !belongs(message, input, known)) continue;
      lettersFound.set(message.MessageId!, message);
      const body = readLetterBody(message.Body);
      for (const id of [body.ingestId, message.MessageAttributes?.['OriginalMessageId']?.StringValue]) if (id) fresh.add(id);
    }
    next = { ids: [...fresh].filter((id) => !searchedIds.has(id) && TRACE_ID_PATTERN.test(id)).slice(0, maxIds), emailHashes: [] };
  }
  const allKeys: TraceKeys = { ids: [...searchedIds], emailHashes };
  const ordered = [...records.values()].filter((record) => matchesKeys(record.line, allKeys));
  // API Gateway's access line only when the function wrote nothing for that request (a throttle, a body over 10 MB).
  const functionRequests = new Set(ordered.filter((record) => record.group === 'ingest').map((record) => text(record.line['requestId'])));
  const steps = ordered
    .filter((record) => record.group !== 'api' || !functionRequests.has(text(record.line['requestId'])))
    .map((record) => stepOf(record, allKeys, input));

  const now = Date.now();
  const ids = new Set([...searchedIds, ...steps.flatMap((step) => [step.signupId, step.messageId].filter((id): id is string => id !== undefined))]);
  const deadLetters = (letters ?? [])
    .filter((message) => lettersFound.has(message.MessageId!) || belongs(message, input, ids))
    .map((message) => describeDeadLetter(message, { now }));
  for (const letter of deadLetters) {
    steps.push({
      at: letter.since ?? new Date(now).toISOString(),
      event: 'in-dead-letter-queue',
      group: 'dlq',
      ...(letter.ingestId ? { signupId: letter.ingestId } : {}),
      messageId: letter.messageId,
      fields: { ...letter },
    });
  }
  // In time order. A letter still in the DLQ is where its signup stands now: after every line about it (the sync
  // writes its decision line just after the letter's RejectedAt).
  const rank = (step: JourneyStep) => (step.event === 'received' ? 0 : step.group === 'dlq' ? 2 : 1);
  const latest = new Map<string, string>();
  for (const step of steps) {
    if (step.group === 'dlq') continue;
    for (const id of [step.signupId, step.messageId]) if (id && (latest.get(id) ?? '') < step.at) latest.set(id, step.at);
  }
  const sortAt = (step: JourneyStep) => {
    if (step.group !== 'dlq') return step.at;
    const after = [step.signupId, text(step.fields['originalMessageId'])].map((id) => (id ? (latest.get(id) ?? '') : ''));
    return [step.at, ...after].sort().at(-1)!;
  };
  steps.sort((a, b) => sortAt(a).localeCompare(sortAt(b)) || rank(a) - rank(b));

  const signupIds = new Set<string>();
  const requestIds = new Set<string>();
  for (const step of steps) {
    if (step.signupId) signupIds.add(step.signupId);
    for (const signup of (step.fields['signups'] as Readonly<Record<string, unknown>>[] | undefined) ?? []) {
      const id = text(signup['signupId']);
      if (id) signupIds.add(id);
    }
    if (step.requestId) requestIds.add(step.requestId);
  }
  return {
    input: input.kind === 'email' ? { kind: 'email' } : { kind: 'id', value: input.id },
    emailHashes,
    steps,
    signupIds: [...signupIds],
    requestIds: [...requestIds],
    deadLetters,
    searched: {
      where: source.description,
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      rounds,
      ...(scannedBytes !== undefined ? { scannedBytes } : {}),
      deadLetterQueue: options.deadLetters !== undefined,
    },
  };
}
