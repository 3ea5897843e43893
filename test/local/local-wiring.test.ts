import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ChangeMessageVisibilityBatchCommand, SendMessageBatchCommand, type SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../local/bigcommerce-sandbox';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { Metric } from '../../shared/observability/metric-names';
import { createQuotaPacer, type QuotaPacerOptions } from '../../shared/sync/quota-pacer';
import { aLambdaContext, anSqsEvent, anSqsRecord, aSignupMessage } from '../helpers/events';
import { captureWrite } from '../helpers/log-capture';
import { postSignups, waitFor } from './support';

jest.setTimeout(60_000);

/**
 * Local mode runs the sync as deployed: its handler comes from the same builder as the Lambda's
 * (functions/sync/build-handler.ts), so it paces with tailReserve = maxConcurrency - 1 and emits the
 * metrics the Lambda emits. Observed, not re-read: the pacer's settings as the builder hands them over,
 * and the metric names each one actually emits for the same signups (one created, one refused for good).
 */

const REFUSED = /^refused-/;
const signups = () => [
  { email: 'wiring-ok@example.com', first_name: 'Wire', last_name: 'Ok' },
  { email: 'refused-wiring@example.com', first_name: 'Wire', last_name: 'Refused' },
];

/** Powertools adds this one itself in Lambda (logMetrics' captureColdStartMetric); local mode has no cold start. */
const LAMBDA_ONLY = new Set(['ColdStart']);

/** The Lambda entry (functions/sync/handler.ts) as deployed, its EMF documents read from stdout. */
async function lambdaMetricNames(sandbox: BigCommerceSandbox): Promise<Set<string>> {
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
  const names = lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"_aws"'))
    .flatMap((line) =>
      (JSON.parse(line) as { _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] } })._aws.CloudWatchMetrics.flatMap((doc) =>
        doc.Metrics.map((metric) => metric.Name),
      ),
    );
  return new Set(names.filter((name) => !LAMBDA_ONLY.has(name)));
}

describe('local mode wiring', () => {
  let mode: LocalMode | undefined;
  let sandbox: BigCommerceSandbox | undefined;

  afterAll(async () => {
    await mode?.stop();
    await sandbox?.close();
  });

  it('runs the sync with tailReserve = maxConcurrency - 1 and emits the Lambda metric names', async () => {
    // Arrange: the Lambda's names for the signups, then local mode with 3 pollers, its pacer observed
    sandbox = await startBigCommerceSandbox({ host: '127.0.0.1', rejectEmails: REFUSED });
    const lambdaNames = await lambdaMetricNames(sandbox);
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
    const localNames = new Set(
      logs
        .map((line) => JSON.parse(line) as { service?: string; message?: string; metric?: string })
        .filter((entry) => entry.service === 'signup-sync' && entry.message === 'metric')
        .map((entry) => entry.metric!),
    );
    expect([...lambdaNames]).toEqual(
      expect.arrayContaining([Metric.CustomersCreated, Metric.SignupsDeadLettered, Metric.BigCommerceRequests, Metric.BatchSize]),
    );
    expect([...localNames].sort()).toEqual([...lambdaNames].sort());
  });
});
