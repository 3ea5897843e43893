import type { SourceConfigInput } from '../../shared/sources/source-config';
import type { CustomFieldMap } from '../../shared/sync/customer-mapping';

/**
 * One line of the checklist. `summary`, `fix` and `details` never hold an API token, a secret or an email:
 * every check builds them from ids, names, counts, HTTP statuses and URLs only (a source's route token is
 * part of its URL and no credential: ops/doctor/source-urls-check.ts).
 */
export type CheckStatus = 'pass' | 'fail' | 'unconfirmed' | 'skipped';

export type CheckResult = Readonly<{
  id: string;
  status: CheckStatus;
  summary: string;
  /** What to do; given for every `fail`. */
  fix?: string;
  /** Lines printed under the check (e.g. each source's URL). */
  details?: readonly string[];
}>;

/** The deployment settings the checks compare the store and the stack with (cdk.json's `signupSync`). */
export type DoctorSettings = Readonly<{
  customerChannelIds?: readonly number[];
  customerOriginChannelId?: number;
  customerGroupId?: number;
  customFieldMap: CustomFieldMap;
  maxConcurrency: number;
  maxReceiveCount: number;
  sources: readonly SourceConfigInput[];
  /** Each source's silence window (cdk.json sourceAlarm / sourceAlarms), for ingest.source-deliveries; absent: the default. */
  silenceWindows?: Readonly<Record<string, number | false>>;
  /** cdk.json customDomain (aws.custom-domain). */
  customDomain?: Readonly<{ domainName: string; certificateArn: string }>;
}>;

/** What local mode tells the doctor at GET /_local/api/doctor (never a token or a secret value). */
export type LocalDoctorInfo = Readonly<{
  bigCommerce: Readonly<{ kind: 'sandbox' | 'bigcommerce'; apiUrl: string; storeHash: string }>;
  settings: DoctorSettings;
  /** `sourceId: problem` lines of the sources secret, naming ids only. */
  sourceSecretProblems: readonly string[];
  /** local-aws-sqs (counts in-flight messages as visible) rather than an SQS endpoint. */
  embeddedSqs: boolean;
  /** `sourceId: problem` lines about the CAPTCHA secrets (ops/doctor/captcha-secret-check.ts); absent from older local modes. */
  captchaSecretProblems?: readonly string[];
  /** The hours (ISO, their start) each source delivered in since local mode started (ingest.source-deliveries); absent from older local modes. */
  sourceDeliveries?: Readonly<Record<string, readonly string[]>>;
  /** Where the ingest's delivery ledger lives (an embedded DynamoDB on loopback); absent from older local modes. */
  deliveryLedger?: Readonly<{ endpoint: string; tableName: string; region: string }>;
}>;
