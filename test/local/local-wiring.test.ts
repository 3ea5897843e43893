import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityBatchCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../local/bigcommerce-sandbox';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { createQuotaPacer, type QuotaPacerOptions } from '../../shared/sync/quota-pacer';
import { aLambdaContext, anSqsEvent, anSqsRecord, aSignupMessage } from '../helpers/events';
import { captureWrite } from '../helpers/log-capture';
import { postSignups, waitFor } from './support';

jest.setTimeout(60_000);

/**
 * Local mode runs the sync as deployed: its handler comes from the same builder as the Lambda's
 * (functions/sync/build-handler.ts), so it paces with tailReserve = maxConcurrency - 1 and logs each batch
 * with the figures the Lambda logs (docs/operations.md). Observed, not re-read: the pacer's settings as the
 * builder hands them over, and the fields of the `batch synced` line each one actually writes for the same
 * signups (one created, one refused for good), with no metric for either (nothing alarms on them).
 */

const REFUSED = /^refused-/;
const signups = () => [
  { email: 'wiring-ok@example.com', first_name: 'Wire', last_name: 'Ok' },
  { email: 'refused-wiring@example.com', first_name: 'Wire', last_name: 'Refused' },
];

/** What Powertools Logger adds to every line in Lambda (the Lambda context and the invocation's keys). */
const LAMBDA_CONTEXT = /^(cold_start|function_.*|sampling_rate|xray_trace_id|awsRequestId|batchSize)$/;
const BASE = new Set(['level', 'message', 'timestamp', 'service']);
const figuresOf = (entry: Record<string, unknown>) =>
  Object.keys(entry)
    .filter((key) => !BASE.has(key) && !LAMBDA_CONTEXT.test(key))
    .sort();

/** The Lambda entry (functions/sync/handler.ts) as deployed: its `batch synced` figures and its EMF documents, read from stdout. */
async function lambdaBatchLine(sandbox: BigCommerceSandbox): Promise<{ figures: string[]; emf: string[] }> {
  const sqsMock = mockClient(SQSClient);
  const secretsMock = mockClient(SecretsManagerClient);
  secretsMock.on(GetSecretValueCommand).resolves({ SecretString: sandbox.token });
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
    Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `dlq-${entry.Id}`, MD5OfMessageBody: 'x' })),
    Failed: [],
  }));
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups-dlq',
    BIGCOMMERCE_STORE_HASH: sandbox.storeHash,
    BIGCOMMERCE_TOKEN_SECRET: 'signup-sync/bigcommerce-token',
    BIGCOMMERCE_API_URL: sandbox.url,
  });
  // Powertools writes EMF and info lines to stdout, warnings to stderr: kept here (and in the run's capture).
  const lines: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    const text = String(chunk);
    lines.push(text);
    captureWrite(text);
    return true;
  };
  const writes = [jest.spyOn(process.stdout, 'write').mockImplementation(keep), jest.spyOn(process.stderr, 'write').mockImplementation(keep)];
  try {
    // Loaded only now, with the environment set: the entry validates it and builds the handler at import.
    const { handler } = require('../../functions/sync/handler') as { handler: (event: unknown, context: unknown) => Promise<SQSBatchResponse> };
    const records = signups().map((signup) => anSqsRecord(aSignupMessage(signup)));
    const result = await handler(anSqsEvent(records), aLambdaContext());
    expect(result.batchItemFailures).toEqual([]);
  } finally {
    for (const write of writes) write.mockRestore();
    process.env = saved;
    sqsMock.restore();
    secretsMock.restore();
  }
  const entries = lines.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{'));
  const batch = entries.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry['message'] === 'batch synced');
  return { figures: figuresOf(batch ?? {}), emf: entries.filter((line) => line.includes('"_aws"')) };
}

describe('local mode wiring', () => {
  let mode: LocalMode | undefined;
  let sandbox: BigCommerceSandbox | undefined;

  afterAll(async () => {
    await mode?.stop();
    await sandbox?.close();
  });

  it('runs the sync with tailReserve = maxConcurrency - 1 and logs the figures of each batch as the Lambda does', async () => {
    // Arrange: the Lambda's batch line for the signups, then local mode with 3 pollers, its pacer observed
    sandbox = await startBigCommerceSandbox({ host: '127.0.0.1', rejectEmails: REFUSED });
    const lambda = await lambdaBatchLine(sandbox);
    const pacerSettings: QuotaPacerOptions[] = [];
    const logs: string[] = [];
    mode = await startLocalMode({
      sandbox: { rejectEmails: REFUSED },
      timings: { batchingWindowMs: 200, maxConcurrency: 3 },
      log: {
        level: 'debug',
        write: (line) => {
          logs.push(line);
          captureWrite(line);
        },
      },
      syncOverrides: {
        createPacer: (settings) => {
          pacerSettings.push(settings);
          return createQuotaPacer(settings);
        },
      },
    });

    // Act
    const answer = await postSignups(mode.apiUrl, mode.apiSecret, signups());
    await waitFor(async () => {
      const { outcomes } = await mode!.status();
      return outcomes.created === 1 && outcomes.rejected === 1 ? outcomes : undefined;
    });

    // Assert
    expect(answer.status).toBe(202);
    expect(pacerSettings).toHaveLength(1);
    expect(pacerSettings[0]!.tailReserve).toBe(mode.timings.maxConcurrency - 1);
    expect(pacerSettings[0]!.tailReserve).toBe(2);
    const entries = logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((entry) => entry['service'] === 'signup-sync');
    const localBatches = entries.filter((entry) => entry['message'] === 'batch synced');
    expect(lambda.figures).toEqual(expect.arrayContaining(['records', 'created', 'rejected', 'customers', 'bigCommerceRequests', 'bigCommerceByStatus']));
    // The same fields, whether local mode's pollers took the two signups in one batch or in two.
    expect([...new Set(localBatches.flatMap(figuresOf))].sort()).toEqual(lambda.figures);
    // Neither writes a metric for signups that raise no alarm.
    expect(lambda.emf).toEqual([]);
    expect(entries.filter((entry) => entry['message'] === 'metric')).toEqual([]);
  });
});
