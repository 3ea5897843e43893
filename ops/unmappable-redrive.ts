import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsSignupQueue } from '../shared/aws/sqs-signup-queue';
import type { FieldProblem } from '../shared/http-input/problem-document';
import { messageSource } from '../shared/ingest/ingest-source';
import { parseIngestSources } from '../shared/ingest/ingest-sources';
import { rerunUnmappable, UNMAPPABLE_CODE, type UnmappableLetter, unmappableLetterSchema } from '../shared/ingest/unmappable';
import { DEFAULT_NAMELESS_POLICY, type NamelessPolicy, namelessPolicyFor, namelessPolicySchema } from '../shared/signup/nameless-policy';
import type { SignupMessage } from '../shared/signup/signup-schema';
import type { SourceConfig } from '../shared/sources/source-config';
import { CliError } from './errors';
import { deleteMessages, receiveMessages, releaseMessages } from './queue-ops';

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

export type UnmappableRedriveResult = Readonly<{
  /** Unmappable letters re-run through the current configuration. */
  rerun: number;
  /** Letters that map now: their signups are on the signups queue and the letters are deleted. */
  recovered: number;
  /** Signups enqueued (one per recovered letter). */
  enqueued: number;
  /** Letters that still do not map: left in the DLQ as they are (the reasons say what is wrong now). */
  stillUnmappable: number;
  /** Letters refused without a re-run (unsigned, forged or altered, their source's kind changed): left in the DLQ. */
  refused: number;
  /** Unmappable letters left untouched because the ingest's configuration was not available. */
  notRerun: number;
  /** Why letters still do not map: sources, kinds and field paths only (never values). */
  reasons: readonly string[];
  /** Why letters were refused (never their content). */
  refusals: readonly string[];
}>;

export const isUnmappable = (message: Message): boolean => message.MessageAttributes?.RejectionCode?.StringValue === UNMAPPABLE_CODE;

type Prepared = Readonly<{ sources: readonly SourceConfig[]; policy: NamelessPolicy; attributeFields: ReadonlySet<string>; deadLetterKeys: readonly string[] }>;

/** The same validation the ingest runs at cold start (shared/ingest/ingest-sources.ts, the nameless policy's schema). */
function prepare(setup: IngestSetup): Prepared {
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
function rerun(body: string, letter: UnmappableLetter | undefined, prepared: Prepared, now: Date): Rerun {
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
 * Re-runs every `unmappable` letter of the DLQ (up to `max`); other letters are left untouched (made
 * visible again). Without `setup` the unmappable letters are only counted (`notRerun`), so the caller
 * knows not to start a move task, which would carry them to the signups queue as they are.
 *
 * Send first, then delete: an interruption in between queues a signup twice, which the sync absorbs
 * (same idempotency key, lookup before create), and never loses one. A letter that still fails, or is
 * refused, stays as it is; the reasons say what is wrong now.
 */
export async function redriveUnmappable(
  sqs: SQSClient,
  options: Readonly<{ deadLetterQueueUrl: string; signupQueueUrl: string; setup?: IngestSetup; max?: number; now?: () => Date }>,
): Promise<UnmappableRedriveResult> {
  const prepared = options.setup ? prepare(options.setup) : undefined;
  const now = options.now ?? (() => new Date());
  const signupQueue = createSqsSignupQueue(sqs, options.signupQueueUrl);
  const held: Message[] = [];
  const reasons = new Set<string>();
  const refusals = new Set<string>();
  // Letters this run has seen (received again while others are held): each is re-run once.
  const seen = new Set<string>();
  const counts = { rerun: 0, recovered: 0, enqueued: 0, stillUnmappable: 0, refused: 0, notRerun: 0 };
  const deleteOrThrow = async (message: Message) => {
    const notDeleted = await deleteMessages(sqs, options.deadLetterQueueUrl, [message]);
    if (notDeleted.length > 0) throw new CliError('SQS did not delete a re-run unmappable dead letter; its signup may now be queued and still in the DLQ');
  };
  try {
    for (let empty = 0; empty < 2 && counts.rerun + counts.notRerun + held.length < (options.max ?? Number.POSITIVE_INFINITY); ) {
      const batch = await receiveMessages(sqs, options.deadLetterQueueUrl, { max: 10, visibilityTimeoutSeconds: 60 });
      if (batch.length === 0) {
        empty += 1;
        continue;
      }
      empty = 0;
      for (const message of batch) {
        if (!isUnmappable(message) || seen.has(message.MessageId ?? '')) {
          held.push(message);
          continue;
        }
        seen.add(message.MessageId ?? '');
        if (!prepared) {
          counts.notRerun += 1;
          held.push(message);
          continue;
        }
        counts.rerun += 1;
        const letter = parsedLetter(message.Body);
        const result = rerun(message.Body ?? '', letter, prepared, now());
        if (!result.ok) {
          if (result.refused) {
            counts.refused += 1;
            // Named by its SQS message id: what a refused letter says about itself is not to be repeated.
            refusals.add(`message ${message.MessageId ?? '?'}: ${result.reason}`);
          } else {
            counts.stillUnmappable += 1;
            reasons.add(result.problems ? `${result.reason}: ${result.problems.map((problem) => problem.path).join(', ')}` : result.reason);
          }
          held.push(message);
          continue;
        }
        await signupQueue.enqueue(result.messages);
        counts.enqueued += result.messages.length;
        counts.recovered += 1;
        await deleteOrThrow(message);
      }
    }
  } finally {
    await releaseMessages(sqs, options.deadLetterQueueUrl, held);
  }
  return { ...counts, reasons: [...reasons], refusals: [...refusals] };
}
