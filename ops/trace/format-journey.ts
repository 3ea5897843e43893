import type { Journey, JourneyStep } from './journey';

/** The journey as a person reads it: one line per step, in time order, ids and reasons only (never an email). */

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const number = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const short = (id: string | undefined): string => (id === undefined ? '' : id.length > 13 ? `${id.slice(0, 8)}…` : id);

function fieldsOf(step: JourneyStep): string[] {
  const signups = (step.fields['signups'] as Readonly<Record<string, unknown>>[] | undefined) ?? [];
  return [...new Set([...list(step.fields['fields']), ...signups.flatMap((signup) => list(signup['fields']))])];
}

function signupList(step: JourneyStep): string {
  const signups = (step.fields['signups'] as Readonly<Record<string, unknown>>[] | undefined) ?? [];
  const ids = signups.map((signup) =>
    [text(signup['signupId']) ?? '', text(signup['eventId']) ? `event ${text(signup['eventId'])}` : ''].filter(Boolean).join(' '),
  );
  return ids.filter(Boolean).join(', ');
}

function subscriberPart(fields: JourneyStep['fields']): string {
  const status = text(fields['subscriber']);
  const id = number(fields['subscriberId']);
  if (!status) return '';
  return `; newsletter: ${status}${id !== undefined ? ` (subscriber ${id})` : ''}`;
}

const SUPERSEDED = 'superseded: the subscriber changed after this signup happened (a later opt-out), so it stays unsubscribed';

function syncedSummary(fields: JourneyStep['fields']): string {
  const attempt = number(fields['attempt']);
  const prefix = attempt !== undefined ? `attempt ${attempt}: ` : '';
  const outcome = text(fields['outcome']) ?? '?';
  const customer = number(fields['customerId']);
  const subscriber = number(fields['subscriberId']);
  switch (outcome) {
    case 'created':
      return `${prefix}created customer ${customer}${subscriberPart(fields)}`;
    case 'updated':
      return `${prefix}updated customer ${customer}${subscriberPart(fields)}`;
    case 'existed':
      return `${prefix}the customer existed${customer !== undefined ? ` (customer ${customer})` : ''}, left as it is${subscriberPart(fields)}`;
    case 'deferred': {
      const retry = number(fields['retryAfterMs']);
      return `${prefix}deferred (${text(fields['reason']) ?? '?'}): back to the queue${retry !== undefined ? `, retry in about ${Math.ceil(retry / 1000)} s` : ''}`;
    }
    case 'rejected': {
      const status = number(fields['httpStatus']);
      const detail = text(fields['detail']);
      return `${prefix}rejected: ${text(fields['reason']) ?? '?'}${status !== undefined ? ` (HTTP ${status})` : ''}${detail ? ` ${detail}` : ''}`;
    }
    case 'superseded':
      return `${prefix}${SUPERSEDED}${subscriber !== undefined ? ` (subscriber ${subscriber})` : ''}`;
    case 'not-subscribed':
      return `${prefix}opt-out: no subscriber with this email, nothing to change`;
    default:
      return `${prefix}${outcome}${subscriber !== undefined ? ` (subscriber ${subscriber})` : ''}`;
  }
}

/** One line for a step. */
export function summarizeStep(step: JourneyStep): string {
  const { fields } = step;
  const status = number(fields['status']);
  const reason = text(fields['reason']);
  switch (step.event) {
    case 'received':
      // The route key names the method (`POST /signups`); $default routes do not.
      return `${text(fields['route'])?.includes(' ') ? text(fields['route']) : `${text(fields['method']) ?? ''} ${text(fields['route']) ?? ''}`.trim()}${text(fields['sourceId']) ? ` (source ${text(fields['sourceId'])})` : ''}`;
    case 'refused': {
      const why = [
        text(fields['authFailure']) && text(fields['credential']) ? `${text(fields['authFailure'])} ${text(fields['credential'])}` : text(fields['detail']),
      ]
        .filter(Boolean)
        .join('');
      const paths = fieldsOf(step);
      return `answered ${status ?? '?'} ${reason ?? ''}${why ? `: ${why}` : ''}${paths.length > 0 ? ` (fields ${paths.join(', ')})` : ''}`.trim();
    }
    case 'replied':
      return `answered ${status ?? '?'} itself (${text(fields['purpose']) ?? 'adapter reply'}): nothing to keep`;
    case 'honeypot':
      return `honeypot filled: answered ${status ?? ''} like a success, nothing kept`.replace('  ', ' ');
    case 'ignored':
      return `not a signup: ${reason ?? '?'} (${number(fields['events']) ?? 1} event(s)), answered 200`;
    case 'repeat':
      return `a repeat of an earlier delivery: answered as before (ingest ids ${list(fields['ids']).map(short).join(', ')}), nothing enqueued`;
    case 'incomplete':
      return `too incomplete to store (${fieldsOf(step).join(', ')}): the source ignores it, answered 2xx, kept nowhere`;
    case 'unmappable':
      return `could not be mapped (${fieldsOf(step).join(', ')}): answered 2xx, sent to the dead-letter queue as unmappable`;
    case 'queued':
      return `queued: ${signupList(step)}`;
    case 'redriven':
      return `back from the dead-letter queue${text(fields['rejectionCode']) ? ` (it was ${text(fields['rejectionCode'])})` : ''}${text(fields['redrivenAt']) ? `, redriven ${text(fields['redrivenAt'])}` : ''}`;
    case 'synced':
      return syncedSummary(fields);
    case 'dead-lettered':
      return `sent to the dead-letter queue: ${reason ?? '?'}${number(fields['httpStatus']) !== undefined ? ` (HTTP ${number(fields['httpStatus'])})` : ''}`;
    case 'api-answered':
      return `API Gateway answered ${status ?? '?'} before the function ran${status === 429 ? ' (throttled: the sender should retry)' : status === 413 ? ' (body over 10 MB)' : ''}`;
    case 'in-dead-letter-queue': {
      const http = number(fields['httpStatus']);
      return `in the dead-letter queue now: ${reason ?? '?'}${http !== undefined ? ` (HTTP ${http})` : ''}${text(fields['detail']) ? ` ${text(fields['detail'])}` : ''} [dead letter ${text(fields['messageId'])}]`;
    }
  }
}

function idColumn(step: JourneyStep): string {
  if (step.group === 'sync' || step.group === 'dlq') return step.signupId ? `ingest id ${step.signupId}` : step.messageId ? `message ${step.messageId}` : '';
  return step.requestId ? `request ${step.requestId}` : '';
}

const STANDING_EVENTS: ReadonlySet<JourneyStep['event']> = new Set(['synced', 'dead-lettered', 'redriven', 'in-dead-letter-queue']);

const bytes = (count: number): string =>
  count < 1024 * 1024
    ? `${Math.max(1, Math.round(count / 1024))} KB`
    : count < 1024 ** 3
      ? `${(count / 1024 / 1024).toFixed(1)} MB`
      : `${(count / 1024 ** 3).toFixed(2)} GB`;

/** Where each signup stands after its last step. */
function standing(journey: Journey): string[] {
  const lines: string[] = [];
  for (const id of journey.signupIds) {
    const last = [...journey.steps].reverse().find((step) => step.signupId === id && STANDING_EVENTS.has(step.event));
    if (!last) {
      const queued = journey.steps.some((step) => step.event === 'queued' && signupList(step).includes(id));
      lines.push(`  ${id}: ${queued ? 'queued, not synced yet (or its sync lines are outside the time range)' : 'no sync line found'}`);
    } else lines.push(`  ${id}: ${summarizeStep(last)}`);
  }
  return lines;
}

export function formatJourney(journey: Journey): string {
  const { input, searched } = journey;
  const who = input.kind === 'email' ? `the signups of an email address (keyed hash ${journey.emailHashes.join(', ')})` : input.value;
  const header = `Trace of ${who}: ${searched.where}, ${searched.since.slice(0, 16).replace('T', ' ')} to ${searched.until.slice(0, 16).replace('T', ' ')} UTC${searched.deadLetterQueue ? ', and the dead-letter queue' : ''}`;
  if (journey.steps.length === 0) {
    return [
      header,
      '',
      'Nothing found. An ingest id is an id of the 202 answer (`ids`), or the `apigw-requestid` header of any answer (a refusal has no other);',
      'widen the time range with --since (for example --since 30d), and see docs/operations.md, "Tracing one signup".',
    ].join('\n');
  }
  const rows = journey.steps.map((step) => [step.at.replace('T', ' ').replace('Z', ''), step.event, summarizeStep(step), idColumn(step)] as const);
  const eventWidth = Math.max(...rows.map((row) => row[1].length));
  const lines = rows.map(([at, event, summary, ids]) => `${at}  ${event.padEnd(eventWidth)}  ${summary}${ids ? `  [${ids}]` : ''}`);
  const scanned =
    searched.scannedBytes !== undefined
      ? `; the log search scanned ${bytes(searched.scannedBytes)} in ${searched.rounds} quer${searched.rounds === 1 ? 'y' : 'ies'}`
      : '';
  return [
    header,
    '',
    ...lines,
    '',
    ...(journey.signupIds.length > 0 ? ['Where each signup stands:', ...standing(journey)] : []),
    `${journey.steps.length} step(s), ${journey.requestIds.length} request(s), ${journey.signupIds.length} signup(s)${scanned}.`,
  ].join('\n');
}
