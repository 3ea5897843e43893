import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Message, SQSClient } from '@aws-sdk/client-sqs';
import { parseTokenSecret } from '../shared/aws/cached-secret';
import { normalizeEmail } from '../shared/consent/consent-keys';
import { type BigCommerceStore, deleteFromStore, findPersonInStore, type StoreRecords } from './bigcommerce-erasure';
import type { ConsentAccess } from './consent-records';
import { readDeploymentSettings } from './doctor/settings';
import { CliError, CliUsageError } from './errors';
import { deleteMessages, isAwsQueueUrl, receiveMessages, releaseMessages } from './queue-ops';
import type { Target } from './targets';

/**
 * `signup-sync forget <email>` (docs/privacy.md, "Forgetting a person"): finds and removes every copy this
 * product holds of one person, in an order that lets nothing of theirs come back:
 * 1. the erasure entry first (the consent table: a keyed hash of the email and the time, nothing else), so
 *    from that moment the sync drops every message of theirs received before it: queued, retried, redriven;
 * 2. their dead letters (received, the matching ones deleted, every other letter made visible again at once);
 * 3. their consent evidence and pending double opt-in requests;
 * 4. local mode's own copies (its outbox, its status page's recent outcomes);
 * 5. with --bigcommerce, their customer and subscriber records in the store, by id.
 * It shows what it found and asks before deleting (unless --yes), then prints what it removed and what
 * it cannot reach.
 */

/** The environment variable holding a BigCommerce token for --bigcommerce (as for `doctor --store-hash`). */
export const FORGET_TOKEN_ENV = 'SIGNUP_SYNC_BIGCOMMERCE_TOKEN';

export type ForgetIo = Readonly<{
  out: (text: string) => void;
  err: (text: string) => void;
  interactive: boolean;
  ask: (question: string) => Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  fetch?: typeof fetch;
}>;

export type ForgetOptions = Readonly<{
  email: string;
  yes: boolean;
  bigCommerce: boolean;
  /** cdk.json with the store's settings (a deployed stack's store hash and API URL). */
  cdkJson?: string;
  now?: () => Date;
  /** The store (tests); default: from the target as described on `storeOf`. */
  store?: BigCommerceStore;
}>;

/** Whether a dead letter holds this person: a signup's email, a confirmation's person key, an unmappable delivery's raw body. */
export function letterHoldsPerson(body: string, email: string, person: string): boolean {
  const target = normalizeEmail(email);
  if (body.toLowerCase().includes(target) || body.includes(person)) return true;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  const raw = (parsed as { request?: { body_base64?: unknown } } | null)?.request?.body_base64;
  if (typeof raw !== 'string') return false;
  const text = Buffer.from(raw, 'base64').toString('utf8').toLowerCase();
  // A form body spells `@` as %40 and spaces as +.
  return text.includes(target) || text.includes(encodeURIComponent(target).toLowerCase());
}

export type DeadLetterSweep = Readonly<{ matched: number; deleted: number; others: number }>;

/**
 * Receives every dead letter; with `remove`, deletes the ones `matches` picks. Every other letter is
 * made visible again at once (and, without `remove`, every letter): the DLQ is left as it was, less the person.
 */
export async function sweepDeadLetters(
  sqs: SQSClient,
  queueUrl: string,
  matches: (body: string) => boolean,
  { remove }: Readonly<{ remove: boolean }>,
): Promise<DeadLetterSweep> {
  const held = new Map<string, Message>();
  const doomed: Message[] = [];
  const aws = isAwsQueueUrl(queueUrl);
  let emptyReceives = 0;
  try {
    // AWS short polls sample a subset of servers: a miss is only believed twice, with a 1 s wait.
    while (emptyReceives < 2) {
      const batch = await receiveMessages(sqs, queueUrl, { max: 10, visibilityTimeoutSeconds: 120, waitTimeSeconds: aws ? 1 : 0 });
      const fresh = batch.filter((message) => !held.has(message.MessageId!) && !doomed.some((other) => other.MessageId === message.MessageId));
      emptyReceives = fresh.length === 0 ? emptyReceives + 1 : 0;
      for (const message of fresh) {
        if (remove && matches(message.Body ?? '')) doomed.push(message);
        else held.set(message.MessageId!, message);
      }
    }
    const failed = remove ? await deleteMessages(sqs, queueUrl, doomed) : [];
    if (failed.length > 0) throw new CliError(`SQS did not delete ${failed.length} of the person's dead letters: run forget again`);
  } finally {
    await releaseMessages(sqs, queueUrl, [...held.values()]);
  }
  const matched = remove ? doomed.length : [...held.values()].filter((message) => matches(message.Body ?? '')).length;
  return { matched, deleted: remove ? doomed.length : 0, others: held.size - (remove ? 0 : matched) };
}

/** The store --bigcommerce works on: local mode's (the sandbox), or the deployed stack's with its token secret. */
async function storeOf(target: Target, options: ForgetOptions, io: ForgetIo): Promise<BigCommerceStore> {
  if (options.store) return options.store;
  const fetchFn = io.fetch ?? fetch;
  const envToken = io.env[FORGET_TOKEN_ENV];
  const local = target.localMode?.config.bigCommerce;
  if (target.localMode) {
    if (!local) throw new CliError('This local mode does not say which store it uses: update it (npm start)');
    if (envToken) return { apiUrl: local.apiUrl, storeHash: local.storeHash, token: envToken };
    if (local.kind !== 'sandbox') throw new CliError(`Local mode uses a real store: set ${FORGET_TOKEN_ENV} for --bigcommerce`);
    const response = await fetchFn(`${local.apiUrl}/__sandbox/token`, { signal: AbortSignal.timeout(3000) });
    if (!response.ok) throw new CliError(`The BigCommerce sandbox answered ${response.status} for its token`);
    return { apiUrl: local.apiUrl, storeHash: local.storeHash, token: ((await response.json()) as { token: string }).token };
  }
  const settings = readDeploymentSettings(options.cdkJson, target.stackName);
  if (envToken) return { apiUrl: settings.bigCommerceApiUrl, storeHash: settings.storeHash, token: envToken };
  const secretArn = target.outputs?.['TokenSecretArn'];
  if (!secretArn) throw new CliError(`No token for --bigcommerce: the stack outputs name no TokenSecretArn; set ${FORGET_TOKEN_ENV}`);
  const secrets = new SecretsManagerClient(target.region ? { region: target.region } : {});
  try {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    return { apiUrl: settings.bigCommerceApiUrl, storeHash: settings.storeHash, token: parseTokenSecret(SecretString) };
  } catch (error) {
    throw new CliError(`The BigCommerce token cannot be read from the token secret (${(error as Error).name})`, { cause: error });
  } finally {
    secrets.destroy();
  }
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

const describeStore = (records: StoreRecords): string =>
  [
    records.customers.length > 0 ? `customer${records.customers.length === 1 ? '' : 's'} ${records.customers.map((customer) => customer.id).join(', ')}` : '',
    records.subscribers.length > 0
      ? `subscriber${records.subscribers.length === 1 ? '' : 's'} ${records.subscribers.map((subscriber) => subscriber.id).join(', ')}`
      : '',
  ]
    .filter(Boolean)
    .join(' and ') || 'no customer or subscriber';

/** Local mode's own copies (POST /_local/api/forget). */
async function forgetLocally(base: string, email: string, fetchFn: typeof fetch): Promise<Readonly<Record<string, number>>> {
  const response = await fetchFn(`${base}/_local/api/forget`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email }),
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new CliError(`Local mode answered ${response.status} to forget: update it (npm start)`);
  return ((await response.json()) as { removed: Record<string, number> }).removed;
}

export async function forgetPerson(target: Target, consent: ConsentAccess, options: ForgetOptions, io: ForgetIo): Promise<number> {
  const email = normalizeEmail(options.email);
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw new CliUsageError(`forget needs an email address, got "${options.email}"`);
  if (!options.yes && !io.interactive) throw new CliUsageError('forget deletes data for good: pass --yes to confirm when not running in a terminal');
  const person = consent.keys.personOf(email);
  const dlq = target.sqs && target.deadLetterQueueUrl ? { sqs: target.sqs, url: target.deadLetterQueueUrl } : undefined;
  const matches = (body: string) => letterHoldsPerson(body, email, person);

  // What there is (nothing is changed yet).
  const items = await consent.admin.items(person);
  const letters = dlq ? await sweepDeadLetters(dlq.sqs, dlq.url, matches, { remove: false }) : undefined;
  const store = options.bigCommerce ? await storeOf(target, options, io) : undefined;
  const inStore = store ? await findPersonInStore(store, email, io.fetch ?? fetch) : undefined;
  io.out(`Forget ${email} (${target.description}):`);
  io.out(`  dead letters holding them: ${letters ? letters.matched : 'not checked (no dead-letter queue named)'}`);
  io.out(
    `  consent evidence: ${plural(items.evidence.length, 'record')}; pending double opt-in: ${items.pending.length}${items.erasedAt ? `; erased before, ${items.erasedAt}` : ''}`,
  );
  if (target.localMode) io.out("  local mode's outbox and recent outcomes: their mails and rows");
  if (inStore) io.out(`  BigCommerce (store ${store!.storeHash}): ${describeStore(inStore)}, to be DELETED for good`);
  if (!options.yes) {
    const answer = await io.ask('Delete all of this? It cannot be undone. Type "forget" to confirm: ');
    if (answer.trim().toLowerCase() !== 'forget') {
      io.err('Nothing was changed.');
      return 1;
    }
  }

  // The erasure entry first: from now on nothing of theirs received before it is synced.
  const erasedAt = options.now?.() ?? new Date();
  const removed = await consent.admin.erase(person, erasedAt);
  const swept = dlq ? await sweepDeadLetters(dlq.sqs, dlq.url, matches, { remove: true }) : undefined;
  const local = target.localMode ? await forgetLocally(target.localMode.base, email, io.fetch ?? fetch) : undefined;
  const deleted = store && inStore ? await deleteFromStore(store, inStore, io.fetch ?? fetch) : undefined;

  io.out(`Forgot ${email} at ${erasedAt.toISOString()}. Removed:`);
  io.out(
    `  ${swept ? plural(swept.deleted, 'dead letter') : 'no dead letters (no dead-letter queue named)'}${swept ? ` (${plural(swept.others, 'other letter')} left as they were)` : ''}`,
  );
  io.out(`  ${plural(removed.evidence, 'consent evidence record')}, ${plural(removed.pending, 'pending double opt-in request')}`);
  io.out('  kept: one erasure entry (a keyed hash of the email and this time, nothing else), so no delivery received before now brings them back');
  if (local) io.out(`  local mode: ${plural(local['outbox'] ?? 0, 'outbox mail')}, ${plural(local['recentOutcomes'] ?? 0, 'recent outcome')}`);
  if (deleted) io.out(`  BigCommerce: ${plural(deleted.customers, 'customer')}, ${plural(deleted.subscribers, 'subscriber')}`);
  io.out('Not reached by this command:');
  if (!deleted)
    io.out('  BigCommerce: the customer and subscriber records stay (run again with --bigcommerce to delete them by id, or delete them in the control panel)');
  io.out('  logs: they hold only keyed hashes of the email, never the email; they expire with the log groups (logRetentionDays)');
  io.out('  signups still queued: the sync drops them when it reaches them (received before this erasure)');
  io.out('  the delivery ledger: hashes of delivery keys and payloads and the ids it answered, no email; expires after deliveryRetentionHours');
  if (!target.local)
    io.out("  the consent table's point-in-time recovery: restore points of up to 35 days back still hold the deleted records until they age out");
  io.out('  mail already delivered, and the sender that sent the signup (the form tool, the marketing platform): ask them too');
  return 0;
}
