import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type ConsentAdmin, createConsentAdmin, type PersonItems } from '../shared/aws/dynamodb-consent-store';
import { type ConsentKeys, deriveConsentKeys, normalizeEmail } from '../shared/consent/consent-keys';
import type { EvidenceRecord } from '../shared/consent/consent-store';
import { CliError } from './errors';
import { isLoopbackUrl } from './net';
import type { Target } from './targets';

/**
 * The consent table as the operator's commands reach it (`signup-sync consent`, `forget`): on AWS the
 * stack's outputs ConsentTableName and HashKeySecretArn (the table is keyed by a keyed hash of the email,
 * so the key is read from Secrets Manager with the operator's credentials); in local mode what local mode
 * says at /_local/api/config (its embedded DynamoDB and the run's key).
 */

export type ConsentAccess = Readonly<{
  admin: ConsentAdmin;
  keys: ConsentKeys;
  /** Where the table is, for the output ("table X in eu-west-1", "local mode's embedded DynamoDB"). */
  where: string;
  close(): void;
}>;

export type ConsentAccessDeps = Readonly<{
  /** A Secrets Manager client for a region (tests point it at an emulator). */
  secrets?: (region: string | undefined) => SecretsManagerClient;
  dynamoDb?: (region: string | undefined) => DynamoDBClient;
}>;

export const CONSENT_OUTPUTS = { table: 'ConsentTableName', hashKey: 'HashKeySecretArn' } as const;

export async function consentAccess(target: Target, deps: ConsentAccessDeps = {}): Promise<ConsentAccess> {
  const local = target.localMode;
  if (local) {
    const consent = local.config.consent;
    if (!consent) throw new CliError(`Local mode at ${local.base} does not say where its consent table is: update it (npm start)`);
    if (!isLoopbackUrl(consent.endpoint)) throw new CliError(`Local mode's consent table is not on loopback (${consent.endpoint}): refusing to use it`);
    const client = new DynamoDBClient({ endpoint: consent.endpoint, region: consent.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    return {
      admin: createConsentAdmin(client, consent.tableName),
      keys: deriveConsentKeys(consent.hashKey),
      where: `local mode's embedded DynamoDB (${local.base})`,
      close: () => client.destroy(),
    };
  }
  const tableName = target.outputs?.[CONSENT_OUTPUTS.table];
  const secretArn = target.outputs?.[CONSENT_OUTPUTS.hashKey];
  if (!tableName || !secretArn) {
    throw new CliError(
      `The stack outputs name no consent table (${CONSENT_OUTPUTS.table}, ${CONSENT_OUTPUTS.hashKey}): use --stack or --outputs-file of a stack deployed with this version`,
    );
  }
  const region = target.region;
  const secrets = deps.secrets?.(region) ?? new SecretsManagerClient(region ? { region } : {});
  let hashKey: string | undefined;
  try {
    hashKey = (await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }))).SecretString;
  } catch (error) {
    throw new CliError(
      `The stack's hash key cannot be read from ${secretArn} (${(error as Error).name}): your AWS identity needs secretsmanager:GetSecretValue on it`,
      {
        cause: error,
      },
    );
  } finally {
    if (!deps.secrets) secrets.destroy();
  }
  if (!hashKey) throw new CliError(`The secret ${secretArn} holds no hash key`);
  const client = deps.dynamoDb?.(region) ?? new DynamoDBClient(region ? { region } : {});
  return {
    admin: createConsentAdmin(client, tableName),
    keys: deriveConsentKeys(hashKey),
    where: `table ${tableName}${region ? ` in ${region}` : ''}`,
    close: () => {
      if (!deps.dynamoDb) client.destroy();
    },
  };
}

const describeRecord = (record: EvidenceRecord): string[] => {
  const where = [record.page ? `page ${record.page}` : undefined, record.form ? `form ${record.form}` : undefined, record.ip ? `ip ${record.ip}` : undefined]
    .filter(Boolean)
    .join(', ');
  const lines = [
    `${record.occurredAt}  ${record.action.padEnd(12)}  ${record.consents.join('+') || '-'}  ${record.outcome}`,
    `    source ${record.source.id} (${record.source.kind}), wording ${record.consentVersion ?? '(none declared)'}`,
    `    received ${record.receivedAt}, recorded ${record.recordedAt}, delivery ${record.deliveryId}${record.eventId ? ` (sender event ${record.eventId})` : ''}`,
    ...(where ? [`    ${where}`] : []),
    ...(record.subscriberId !== undefined || record.customerId !== undefined
      ? [
          `    BigCommerce ${[record.subscriberId !== undefined ? `subscriber ${record.subscriberId}` : '', record.customerId !== undefined ? `customer ${record.customerId}` : ''].filter(Boolean).join(', ')}`,
        ]
      : []),
  ];
  if (record.request) {
    const request = record.request;
    const requestWhere = [request.page ? `page ${request.page}` : '', request.form ? `form ${request.form}` : '', request.ip ? `ip ${request.ip}` : '']
      .filter(Boolean)
      .join(', ');
    lines.push(
      `    confirms the signup of ${request.occurredAt} (received ${request.receivedAt}, delivery ${request.deliveryId})${request.mailedAt ? `, mailed ${request.mailedAt}` : ''}`,
      ...(requestWhere ? [`    signup from ${requestWhere}`] : []),
    );
  }
  return lines;
};

/** What `signup-sync consent <email>` prints: the records oldest first, then pending requests and any erasure. */
export function formatConsentRecords(email: string, items: PersonItems, where: string): string {
  const evidence = [...items.evidence].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
  const lines = [`Consent records of ${normalizeEmail(email)} in ${where}:`];
  if (items.erasedAt) lines.push(`  Erased ${items.erasedAt} (signup-sync forget): nothing of this person is kept but that.`);
  if (evidence.length === 0 && items.pending.length === 0 && !items.erasedAt) lines.push('  none.');
  for (const record of evidence) lines.push(...describeRecord(record).map((line) => `  ${line}`));
  for (const pending of items.pending) {
    lines.push(
      `  double opt-in at ${pending.sourceId}: ${pending.confirmedAt ? `confirmed ${pending.confirmedAt}` : `waiting for confirmation until ${pending.expiresAt}`} (${pending.mails} mail${pending.mails === 1 ? '' : 's'})`,
    );
  }
  lines.push(`${evidence.length} record(s).`);
  return lines.join('\n');
}

/** The JSON of `signup-sync consent --json`: the records, pending requests and erasure, without table keys. */
export function consentRecordsJson(email: string, items: PersonItems): string {
  const { keys: _keys, ...rest } = items;
  return JSON.stringify({ email: normalizeEmail(email), ...rest }, null, 2);
}
