import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type BatchWriteCommandInput,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ConsentLookup,
  type ConsentStore,
  ConsentStoreError,
  type EvidenceRecord,
  type PendingConfirmation,
  type PendingKey,
  pendingKeyOf,
} from '../consent/consent-store';
import { signupMessageSchema } from '../signup/signup-schema';

/**
 * The consent table (infra/constructs/consent-evidence.ts; shared/consent/consent-store.ts has the
 * contract) on DynamoDB: partition key `pk` = the person key, sort key `sk`:
 * - `evidence#<occurred at>#<delivery id>#<action>`: an evidence record, expiring `retentionSeconds` after it was written;
 * - `pending#<source id>`: a double opt-in request, expiring with its links;
 * - `erasure`: the one item `signup-sync forget` leaves (when; nothing else), never expiring.
 * TTL is on `expires_at` (epoch seconds). DynamoDB deletes expired items within days, not at once, so
 * every read here checks the time itself.
 */

export const CONSENT_TABLE_KEYS = { partition: 'pk', sort: 'sk' } as const;
export const CONSENT_TTL_ATTRIBUTE = 'expires_at';
export const ERASURE_SORT_KEY = 'erasure';
const EVIDENCE_PREFIX = 'evidence#';
const PENDING_PREFIX = 'pending#';

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
const UNPROCESSED_RETRIES = 5;

export type ConsentStoreOptions = Readonly<{
  client: DynamoDBClient;
  tableName: string;
  /** How long evidence is kept (cdk.json consentRetentionDays). */
  retentionSeconds: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}>;

type Item = Record<string, unknown>;

const evidenceSortKey = (record: Pick<EvidenceRecord, 'occurredAt' | 'deliveryId' | 'action'>) =>
  `${EVIDENCE_PREFIX}${record.occurredAt}#${record.deliveryId}#${record.action}`;
const pendingSortKey = (sourceId: string) => `${PENDING_PREFIX}${sourceId}`;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Drops undefined fields (the document client refuses them unless told to strip). */
function defined(item: Item): Item {
  return Object.fromEntries(Object.entries(item).filter(([, value]) => value !== undefined));
}

export function evidenceItem(record: EvidenceRecord, retentionSeconds: number): Item {
  return defined({
    [CONSENT_TABLE_KEYS.partition]: record.person,
    [CONSENT_TABLE_KEYS.sort]: evidenceSortKey(record),
    email: record.email,
    action: record.action,
    occurred_at: record.occurredAt,
    received_at: record.receivedAt,
    recorded_at: record.recordedAt,
    source_id: record.source.id,
    source_kind: record.source.kind,
    consent_version: record.consentVersion,
    consents: [...record.consents],
    page: record.page,
    form: record.form,
    ip: record.ip,
    delivery_id: record.deliveryId,
    event_id: record.eventId,
    outcome: record.outcome,
    subscriber_id: record.subscriberId,
    customer_id: record.customerId,
    request: record.request && defined({ ...record.request }),
    [CONSENT_TTL_ATTRIBUTE]: Math.floor(Date.parse(record.recordedAt) / 1000) + retentionSeconds,
  });
}

const text = (item: Item, name: string): string | undefined => (typeof item[name] === 'string' ? (item[name] as string) : undefined);
const num = (item: Item, name: string): number | undefined => (typeof item[name] === 'number' ? (item[name] as number) : undefined);

export function evidenceFromItem(item: Item): EvidenceRecord {
  const request = typeof item['request'] === 'object' && item['request'] !== null ? (item['request'] as EvidenceRecord['request']) : undefined;
  return {
    person: text(item, CONSENT_TABLE_KEYS.partition) ?? '',
    email: text(item, 'email') ?? '',
    action: (text(item, 'action') ?? 'consent') as EvidenceRecord['action'],
    occurredAt: text(item, 'occurred_at') ?? '',
    receivedAt: text(item, 'received_at') ?? '',
    recordedAt: text(item, 'recorded_at') ?? '',
    source: { id: text(item, 'source_id') ?? '', kind: text(item, 'source_kind') ?? '' },
    consents: Array.isArray(item['consents']) ? (item['consents'] as unknown[]).filter((value): value is string => typeof value === 'string') : [],
    deliveryId: text(item, 'delivery_id') ?? '',
    outcome: text(item, 'outcome') ?? '',
    ...(text(item, 'consent_version') ? { consentVersion: text(item, 'consent_version')! } : {}),
    ...(text(item, 'page') ? { page: text(item, 'page')! } : {}),
    ...(text(item, 'form') ? { form: text(item, 'form')! } : {}),
    ...(text(item, 'ip') ? { ip: text(item, 'ip')! } : {}),
    ...(text(item, 'event_id') ? { eventId: text(item, 'event_id')! } : {}),
    ...(num(item, 'subscriber_id') !== undefined ? { subscriberId: num(item, 'subscriber_id')! } : {}),
    ...(num(item, 'customer_id') !== undefined ? { customerId: num(item, 'customer_id')! } : {}),
    ...(request ? { request } : {}),
  };
}

function pendingItem(pending: PendingConfirmation): Item {
  return defined({
    [CONSENT_TABLE_KEYS.partition]: pending.person,
    [CONSENT_TABLE_KEYS.sort]: pendingSortKey(pending.sourceId),
    source_id: pending.sourceId,
    email: pending.email,
    expires_at_ms: pending.expiresAtMs,
    [CONSENT_TTL_ATTRIBUTE]: Math.ceil(pending.expiresAtMs / 1000),
    mailed_at_ms: pending.mailedAtMs,
    mail_claim: pending.mailClaim,
    mails: pending.mails,
    sent_by: pending.sentBy.length > 0 ? new Set(pending.sentBy) : undefined,
    nonces: [...pending.nonces],
    version: pending.version,
    confirmed_at: pending.confirmedAt,
    message: pending.message && JSON.stringify(pending.message),
    customer_written: pending.customerWritten,
  });
}

/** A stored pending request, or undefined when it cannot be read back (then it confirms nothing). */
export function pendingFromItem(item: Item): PendingConfirmation | undefined {
  const person = text(item, CONSENT_TABLE_KEYS.partition);
  const sourceId = text(item, 'source_id');
  const email = text(item, 'email');
  const expiresAtMs = num(item, 'expires_at_ms');
  let message: unknown;
  try {
    message = JSON.parse(text(item, 'message') ?? 'null');
  } catch {
    message = null;
  }
  const confirmedAt = text(item, 'confirmed_at');
  // A confirmed request keeps no signup (markConfirmed removes it): only enough to say so.
  const parsed = message === null ? undefined : signupMessageSchema.safeParse(message);
  if (person === undefined || sourceId === undefined || email === undefined || expiresAtMs === undefined) return undefined;
  if (parsed === undefined && confirmedAt === undefined) return undefined;
  if (parsed !== undefined && !parsed.success) return undefined;
  const sentBy = item['sent_by'] instanceof Set ? [...(item['sent_by'] as Set<string>)] : [];
  const mailedAtMs = num(item, 'mailed_at_ms');
  const mailClaim = text(item, 'mail_claim');
  return {
    person,
    sourceId,
    email,
    expiresAtMs,
    mails: num(item, 'mails') ?? 0,
    sentBy,
    nonces: Array.isArray(item['nonces']) ? (item['nonces'] as unknown[]).filter((value): value is string => typeof value === 'string') : [],
    version: num(item, 'version') ?? 0,
    ...(parsed?.success ? { message: parsed.data } : {}),
    customerWritten: item['customer_written'] === true,
    ...(mailedAtMs !== undefined ? { mailedAtMs } : {}),
    ...(mailClaim !== undefined ? { mailClaim } : {}),
    ...(confirmedAt !== undefined ? { confirmedAt } : {}),
  };
}

async function withUnprocessedRetries<T>(
  first: T,
  remaining: (result: T) => T | undefined,
  send: (request: T) => Promise<T | undefined>,
  sleep: (ms: number) => Promise<void>,
  what: string,
): Promise<void> {
  let left = remaining(first);
  for (let attempt = 1; left !== undefined; attempt += 1) {
    if (attempt > UNPROCESSED_RETRIES) throw new ConsentStoreError(`${what}: DynamoDB left requests unprocessed after ${UNPROCESSED_RETRIES} retries`);
    await sleep(50 * 2 ** attempt);
    const next = await send(left);
    left = next === undefined ? undefined : remaining(next);
  }
}

/** BatchWriteItem in chunks of DynamoDB's 25, each chunk's unprocessed requests retried with backoff. */
async function batchWrite(
  documents: DynamoDBDocumentClient,
  tableName: string,
  requests: NonNullable<BatchWriteCommandInput['RequestItems']>[string],
  sleep: (ms: number) => Promise<void>,
  what: string,
): Promise<void> {
  for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) {
    const first = await documents.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests.slice(start, start + BATCH_WRITE_LIMIT) } }));
    await withUnprocessedRetries(
      first.UnprocessedItems,
      (unprocessed) => (unprocessed?.[tableName]?.length ? unprocessed : undefined),
      async (unprocessed) => (await documents.send(new BatchWriteCommand({ RequestItems: unprocessed }))).UnprocessedItems,
      sleep,
      what,
    );
  }
}

function storeError(what: string, error: unknown): ConsentStoreError {
  if (error instanceof ConsentStoreError) return error;
  return new ConsentStoreError(`${what} failed: ${error instanceof Error ? error.name : 'unknown error'}`, { cause: error });
}

export function createDynamoDbConsentStore({ client, tableName, retentionSeconds, now = Date.now, sleep = defaultSleep }: ConsentStoreOptions): ConsentStore {
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const key = (pk: string, sk: string) => ({ [CONSENT_TABLE_KEYS.partition]: pk, [CONSENT_TABLE_KEYS.sort]: sk });
  return {
    async lookup(persons, pending) {
      const wanted = new Map<string, Item>();
      for (const person of persons) wanted.set(`${person} ${ERASURE_SORT_KEY}`, key(person, ERASURE_SORT_KEY));
      for (const request of pending) wanted.set(`${request.person} ${pendingSortKey(request.sourceId)}`, key(request.person, pendingSortKey(request.sourceId)));
      const erasedAtMs = new Map<string, number>();
      const pendingFound = new Map<string, PendingConfirmation>();
      const take = (items: readonly Item[]) => {
        for (const item of items) {
          const pk = text(item, CONSENT_TABLE_KEYS.partition);
          const sk = text(item, CONSENT_TABLE_KEYS.sort);
          if (pk === undefined || sk === undefined) continue;
          if (sk === ERASURE_SORT_KEY) {
            const at = num(item, 'erased_at_ms');
            if (at !== undefined) erasedAtMs.set(pk, at);
          } else if (sk.startsWith(PENDING_PREFIX)) {
            const found = pendingFromItem(item);
            if (found) pendingFound.set(pendingKeyOf(found), found);
          }
        }
      };
      const keys = [...wanted.values()];
      try {
        for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
          // Consistent reads: an erasure written a moment ago must already count.
          const request = { RequestItems: { [tableName]: { Keys: keys.slice(start, start + BATCH_GET_LIMIT), ConsistentRead: true } } };
          const first = await documents.send(new BatchGetCommand(request));
          take(first.Responses?.[tableName] ?? []);
          await withUnprocessedRetries(
            first.UnprocessedKeys,
            (unprocessed) => (unprocessed?.[tableName]?.Keys?.length ? unprocessed : undefined),
            async (unprocessed) => {
              const next = await documents.send(new BatchGetCommand({ RequestItems: unprocessed }));
              take(next.Responses?.[tableName] ?? []);
              return next.UnprocessedKeys;
            },
            sleep,
            'consent lookup',
          );
        }
      } catch (error) {
        throw storeError('consent lookup', error);
      }
      return { erasedAtMs, pending: pendingFound } satisfies ConsentLookup;
    },

    async record(records) {
      // One put per key: DynamoDB refuses a batch that names an item twice (the same message delivered twice in one batch).
      const byKey = new Map(records.map((record) => [`${record.person} ${evidenceSortKey(record)}`, record]));
      const items = [...byKey.values()].map((record) => ({ PutRequest: { Item: evidenceItem(record, retentionSeconds) } }));
      try {
        await batchWrite(documents, tableName, items, sleep, 'evidence write');
      } catch (error) {
        throw storeError('evidence write', error);
      }
    },

    async claimMail(next, replacing) {
      try {
        await documents.send(
          new PutCommand({
            TableName: tableName,
            Item: pendingItem(next),
            ...(replacing === undefined
              ? { ConditionExpression: 'attribute_not_exists(#pk)', ExpressionAttributeNames: { '#pk': CONSENT_TABLE_KEYS.partition } }
              : {
                  ConditionExpression: '#version = :version',
                  ExpressionAttributeNames: { '#version': 'version' },
                  ExpressionAttributeValues: { ':version': replacing },
                }),
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) return false;
        throw storeError('confirmation claim', error);
      }
    },

    async markMailSent(pendingKey, messageId) {
      await updateExisting(
        documents,
        tableName,
        key(pendingKey.person, pendingSortKey(pendingKey.sourceId)),
        'ADD #sent :ids',
        { '#sent': 'sent_by' },
        {
          ':ids': new Set([messageId]),
        },
      );
    },

    async markConfirmed(pendingKey, confirmedAt) {
      await updateExisting(
        documents,
        tableName,
        key(pendingKey.person, pendingSortKey(pendingKey.sourceId)),
        'SET #confirmed = :at REMOVE #message',
        { '#confirmed': 'confirmed_at', '#message': 'message' },
        { ':at': confirmedAt },
      );
    },

    async readPending(pendingKey) {
      try {
        const { Item } = await documents.send(
          new GetCommand({ TableName: tableName, Key: key(pendingKey.person, pendingSortKey(pendingKey.sourceId)), ConsistentRead: true }),
        );
        const found = Item ? pendingFromItem(Item) : undefined;
        return found && found.expiresAtMs > now() ? found : undefined;
      } catch (error) {
        throw storeError('pending request read', error);
      }
    },
  };
}

/** An update of an item that must still exist: after `forget` removed it, a late update must not bring it back. */
async function updateExisting(
  documents: DynamoDBDocumentClient,
  tableName: string,
  itemKey: Item,
  expression: string,
  names: Record<string, string>,
  values: Record<string, unknown>,
): Promise<void> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: itemKey,
        UpdateExpression: expression,
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { ...names, '#pk': CONSENT_TABLE_KEYS.partition },
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return;
    throw storeError('pending request update', error);
  }
}

/** What `signup-sync consent` and `forget` see of one person (ops/consent-records.ts). */
export type PersonItems = Readonly<{
  evidence: readonly EvidenceRecord[];
  pending: readonly Readonly<{ sourceId: string; email: string; expiresAt: string; mails: number; confirmedAt?: string }>[];
  erasedAt?: string;
  /** Every item's key, for deletion. */
  keys: readonly Readonly<{ pk: string; sk: string }>[];
}>;

/** The operator's reads and the erasure (ops/, local mode): never on the Lambda path. */
export function createConsentAdmin(client: DynamoDBClient, tableName: string) {
  const documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const key = (pk: string, sk: string) => ({ [CONSENT_TABLE_KEYS.partition]: pk, [CONSENT_TABLE_KEYS.sort]: sk });
  const items = async (person: string): Promise<PersonItems> => {
    const found: Item[] = [];
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    do {
      const page: QueryCommandOutput = await documents.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': CONSENT_TABLE_KEYS.partition },
          ExpressionAttributeValues: { ':pk': person },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      found.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const keys = found.map((item) => ({ pk: text(item, CONSENT_TABLE_KEYS.partition) ?? '', sk: text(item, CONSENT_TABLE_KEYS.sort) ?? '' }));
    const erasure = found.find((item) => text(item, CONSENT_TABLE_KEYS.sort) === ERASURE_SORT_KEY);
    return {
      evidence: found.filter((item) => text(item, CONSENT_TABLE_KEYS.sort)?.startsWith(EVIDENCE_PREFIX)).map(evidenceFromItem),
      pending: found
        .filter((item) => text(item, CONSENT_TABLE_KEYS.sort)?.startsWith(PENDING_PREFIX))
        .map((item) => ({
          sourceId: text(item, 'source_id') ?? '',
          email: text(item, 'email') ?? '',
          expiresAt: new Date(num(item, 'expires_at_ms') ?? 0).toISOString(),
          mails: num(item, 'mails') ?? 0,
          ...(text(item, 'confirmed_at') ? { confirmedAt: text(item, 'confirmed_at')! } : {}),
        })),
      ...(erasure && text(erasure, 'erased_at') ? { erasedAt: text(erasure, 'erased_at')! } : {}),
      keys,
    };
  };
  return {
    items,
    /**
     * Erases a person: first the erasure entry (from then on the sync drops every delivery of theirs
     * received before it), then every other item of theirs. Returns what was removed, by kind.
     */
    async erase(person: string, erasedAt: Date): Promise<Readonly<{ evidence: number; pending: number }>> {
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...key(person, ERASURE_SORT_KEY), erased_at: erasedAt.toISOString(), erased_at_ms: erasedAt.getTime() },
        }),
      );
      const { keys } = await items(person);
      const doomed = keys.filter((entry) => entry.sk !== ERASURE_SORT_KEY);
      const deletes = doomed.map((entry) => ({ DeleteRequest: { Key: key(entry.pk, entry.sk) } }));
      await batchWrite(documents, tableName, deletes, defaultSleep, 'erasure');
      return {
        evidence: doomed.filter((entry) => entry.sk.startsWith(EVIDENCE_PREFIX)).length,
        pending: doomed.filter((entry) => entry.sk.startsWith(PENDING_PREFIX)).length,
      };
    },
  };
}
export type ConsentAdmin = ReturnType<typeof createConsentAdmin>;

/** For the `key` helper outside this module (tests, local mode). */
export const consentItemKey = (pendingKey: PendingKey) => ({ pk: pendingKey.person, sk: pendingSortKey(pendingKey.sourceId) });
