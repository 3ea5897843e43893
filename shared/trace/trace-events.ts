import type { LogFields, Logger } from '../logger';

/**
 * The log lines `signup-sync trace` reads (docs/operations.md, "Tracing one signup"). Every outcome a
 * request or a queue message can reach writes one line with a `trace` field naming it, and the ids the
 * trace joins lines on. The names and fields are a contract with logs already written by deployed
 * stacks: add new ones, never rename or drop one.
 *
 * Emails never appear: a signup is named by `emailHash`, the keyed hash of shared/observability/email-hash.ts
 * (the same key in both functions), so the trace finds a person's lines by hashing the address it is
 * given, and the logs alone do not reveal it.
 */

/** The field every trace line carries. */
export const TRACE_FIELD = 'trace';

export const TraceEvent = {
  /** ingest: a request reached the function (`route`, `sourceId` as the path names it). */
  received: 'received',
  /** ingest: answered with a refusal, 4xx or 5xx (`status`, `reason`; the signups' `emailHash` when the body was read: 409, 422). */
  refused: 'refused',
  /** ingest: the source's adapter answered itself (a handshake, a CORS preflight, a 405) (`status`, `purpose`). */
  replied: 'replied',
  /** ingest: an html-form honeypot was filled: answered like a success, nothing kept. */
  honeypot: 'honeypot',
  /** ingest: an authentic delivery that is not a signup (`reason`, `events`). */
  ignored: 'ignored',
  /** ingest: a delivery answered as before, nothing enqueued (`ids`: the first answer's signup ids). */
  repeat: 'repeat',
  /** ingest: signups too incomplete to store that the source ignores, answered 2xx (`signups[].fields`). */
  incomplete: 'incomplete',
  /** ingest: signups of a 2xx webhook delivery sent to the dead-letter queue as `unmappable` (`signups[].fields`). */
  unmappable: 'unmappable',
  /** ingest: signups put on the signups queue (`signups[].signupId`: the ids of the 202). */
  queued: 'queued',
  /** sync: a message that came back from the dead-letter queue (`rejectionCode`, `redrivenAt`). */
  redriven: 'redriven',
  /** sync: one delivery attempt of a message and its outcome (`outcome`, `reason`, `customerId`, `subscriberId`, `attempt`). */
  synced: 'synced',
  /** sync: a rejected message sent to the dead-letter queue (`reason`). */
  deadLettered: 'dead-lettered',
} as const;

export type TraceEventName = (typeof TraceEvent)[keyof typeof TraceEvent];

export const TRACE_EVENT_NAMES: readonly TraceEventName[] = Object.values(TraceEvent);

/**
 * What one signup is called in a request-level line (`signups[]` of queued, unmappable, incomplete,
 * repeat and refused lines): the ingest id once it has one, the keyed email hash, the sender's event id.
 */
export type TracedSignup = Readonly<{
  signupId?: string;
  emailHash?: string;
  eventId?: string;
  /** Field paths that failed (unmappable, incomplete): names only, never values. */
  fields?: readonly string[];
}>;

/**
 * The ids trace joins lines on, wherever they appear in a line (top level or in `signups[]`).
 * `requestId`: the API request id (every ingest line; also the `apigw-requestid` header of every answer).
 * `signupId` / `ids`: the ingest id (`ids` of the 202). `messageId`: the SQS message id (sync lines).
 * `originalMessageId`: the message a dead letter was made from. `deliveryId`: the sender's id for the
 * delivery. `eventId`: the sender's event id of one signup. `emailHash`: the keyed hash of the email.
 */
export const TRACE_ID_FIELDS = ['requestId', 'signupId', 'ids', 'messageId', 'originalMessageId', 'deliveryId', 'eventId', 'emailHash'] as const;
export type TraceIdField = (typeof TRACE_ID_FIELDS)[number];

/** Hashes an email for the logs (shared/observability/email-hash.ts createEmailHasher); injected, so this folder imports none other. */
export type EmailHasher = (email: string) => string;

/** The hash of a candidate's email when it has one that is a string (a failed signup may have none, or a wrong one). */
export function emailHashOf(hashEmail: EmailHasher | undefined, candidate: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const email = candidate?.['email'];
  return hashEmail && typeof email === 'string' && email.trim() !== '' ? hashEmail(email) : undefined;
}

/**
 * A sender's event id as a trace line may hold it: at most 200 characters, and none that holds an `@`.
 * The sender chooses the id, and one built from an address would put the address in the logs; such a
 * signup is traced by its email (hashed) or its ingest id instead.
 */
export function loggableEventId(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && !value.includes('@') ? value.slice(0, 200) : undefined;
}

/** A signup of a request-level line, without the keys it does not have. */
export function tracedSignup(
  parts: Readonly<{ signupId?: string | undefined; emailHash?: string | undefined; eventId?: unknown; fields?: readonly string[] }>,
): TracedSignup {
  const eventId = loggableEventId(parts.eventId);
  return {
    ...(parts.signupId ? { signupId: parts.signupId } : {}),
    ...(parts.emailHash ? { emailHash: parts.emailHash } : {}),
    ...(eventId ? { eventId } : {}),
    ...(parts.fields && parts.fields.length > 0 ? { fields: [...new Set(parts.fields)].slice(0, 20) } : {}),
  };
}

export type TraceLevel = 'info' | 'warn' | 'error';

/** Writes one trace line: the message people read, the event name trace reads, and the fields. */
export function writeTrace(logger: Logger, event: TraceEventName, message: string, fields: LogFields = {}, level: TraceLevel = 'info'): void {
  logger[level](message, { [TRACE_FIELD]: event, ...fields });
}
