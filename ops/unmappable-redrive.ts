import type { Message } from '@aws-sdk/client-sqs';
import type { FieldProblem } from '../shared/http-input/problem-document';
import { messageSource } from '../shared/ingest/ingest-source';
import { parseIngestSources } from '../shared/ingest/ingest-sources';
import { rerunUnmappable, UNMAPPABLE_CODE, type UnmappableLetter, unmappableLetterSchema } from '../shared/ingest/unmappable';
import { DEFAULT_NAMELESS_POLICY, type NamelessPolicy, namelessPolicyFor, namelessPolicySchema } from '../shared/signup/nameless-policy';
import type { SignupMessage } from '../shared/signup/signup-schema';
import type { SourceConfig } from '../shared/sources/source-config';

/**
 * `dlq redrive` for `unmappable` dead letters (shared/ingest/unmappable.ts): such a letter holds a
 * source delivery, not a queue message, so it is never moved back as is: it is re-run through the
 * source's adapter with the ingest's configuration as it is NOW (a fixed `fieldMap`, a changed nameless
 * policy), and what maps is enqueued exactly as the ingest enqueues it (its SQS adapter,
 * shared/aws/sqs-signup-queue.ts). The delivery is not authenticated again: the ingest authenticated it
 * and signed the letter, so the letter's signature is checked instead, with the dead-letter keys of the
 * sources secret (shared/ingest/dead-letter-keys.ts), and a letter that fails it, or whose source changed
 * kind, is refused and left in the DLQ. Nothing is ever written back to the DLQ: only the stack's
 * functions may send there (its queue policy), so the operator needs no such right.
 */

/**
 * The ingest's configuration as it is now, in the form the ingest reads it: SOURCES_CONFIG's array,
 * NAMELESS_POLICY's object and CUSTOM_ATTRIBUTE_FIELDS (shared/config/ingest-config.ts). Local mode
 * serves it; for a deployed stack it is read from the ingest function (ops/ingest-function-setup.ts).
 */
export type IngestSetup = Readonly<{
  sources: readonly unknown[];
  namelessPolicy?: unknown;
  customAttributeFields?: readonly string[];
  /** The dead-letter keys, newest first (shared/ingest/dead-letter-keys.ts): without them no letter can be verified, so none is re-run. */
  deadLetterKeys?: readonly string[];
}>;

export const isUnmappable = (message: Message): boolean => message.MessageAttributes?.RejectionCode?.StringValue === UNMAPPABLE_CODE;

/** The ingest's configuration, validated as the ingest validates it at cold start, ready for re-runs and checks. */
export type PreparedSetup = Readonly<{
  sources: readonly SourceConfig[];
  policy: NamelessPolicy;
  attributeFields: ReadonlySet<string>;
  deadLetterKeys: readonly string[];
}>;

/** The same validation the ingest runs at cold start (shared/ingest/ingest-sources.ts, the nameless policy's schema). */
export function prepareIngestSetup(setup: IngestSetup): PreparedSetup {
  return {
    sources: parseIngestSources(setup.sources),
    policy: setup.namelessPolicy === undefined ? DEFAULT_NAMELESS_POLICY : namelessPolicySchema.parse(setup.namelessPolicy),
    attributeFields: new Set(setup.customAttributeFields ?? []),
    deadLetterKeys: setup.deadLetterKeys ?? [],
  };
}

type Rerun = Readonly<{ ok: true; messages: SignupMessage[] }> | Readonly<{ ok: false; reason: string; problems?: readonly FieldProblem[]; refused?: true }>;

/**
 * One letter through the ingest's code: adapter, then its one check (validation, nameless policy, attribute limit).
 * Field paths are given within the delivery, as the ingest gave them (`/2/email` for its third signup).
 */
function rerun(body: string, letter: UnmappableLetter | undefined, prepared: PreparedSetup, now: Date): Rerun {
  const inDelivery = (problems: readonly FieldProblem[]): FieldProblem[] =>
    letter && letter.signup_count > 1 ? problems.map((problem) => ({ ...problem, path: `/${letter.signup_index}${problem.path}` })) : [...problems];
  const result = rerunUnmappable(body, {
    sources: prepared.sources,
    namelessPolicy: (source) => namelessPolicyFor(prepared.policy, source),
    attributeFields: prepared.attributeFields,
    deadLetterKeys: prepared.deadLetterKeys,
    now,
    messageSource,
  });
  return !result.ok && result.problems ? { ...result, problems: inDelivery(result.problems) } : result;
}

/** The letter's shape, for field paths in reasons only (trusted only after rerunUnmappable verified it). */
function parsedLetter(body: string | undefined): UnmappableLetter | undefined {
  try {
    return unmappableLetterSchema.parse(JSON.parse(body ?? ''));
  } catch {
    return undefined;
  }
}

/**
 * What re-running one `unmappable` letter through the current configuration gives: its signups, ready to
 * queue exactly as the ingest queues them (`recovered`); `still-unmappable` with what is wrong now (field
 * paths and rules, never values); or `refused` without a re-run (unsigned, forged or altered, its source's
 * kind changed, dated in the future: docs/security.md, "Forged or re-dated dead letters").
 */
export type UnmappableRerun =
  | Readonly<{ outcome: 'recovered'; messages: readonly SignupMessage[] }>
  | Readonly<{ outcome: 'still-unmappable'; reason: string }>
  | Readonly<{ outcome: 'refused'; reason: string }>;

export function rerunUnmappableLetter(message: Message, prepared: PreparedSetup, now: Date): UnmappableRerun {
  const result = rerun(message.Body ?? '', parsedLetter(message.Body), prepared, now);
  if (result.ok) return { outcome: 'recovered', messages: result.messages };
  if (result.refused) return { outcome: 'refused', reason: result.reason };
  const problems = result.problems?.map((problem) => `${problem.path}: ${problem.message}`).join('; ');
  return { outcome: 'still-unmappable', reason: problems ? `${result.reason}: ${problems}` : result.reason };
}
