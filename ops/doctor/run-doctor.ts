import { ApiGatewayV2Client } from '@aws-sdk/client-apigatewayv2';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SNSClient } from '@aws-sdk/client-sns';
import { PLACEHOLDER_STORE_HASH } from '../../shared/deployment/stack-config';
import { CliError, CliUsageError } from '../errors';
import { createSqsClient, queueArn, regionOfQueueUrl } from '../queue-ops';
import { DEFAULT_LOCAL_URL, resolveTarget, type Target, type TargetDeps, type TargetFlags } from '../targets';
import {
  type AwsClients,
  checkAlarmSubscriptions,
  checkAlarms,
  checkDeadLetterDepth,
  checkEventSourceMapping,
  checkQueues,
  checkSourceSecrets,
  checkTokenSecret,
  localSkips,
  sourceSecretsResult,
} from './aws-checks';
import { bigCommerceChecks, describeWriteProbes, probeBigCommerce, skippedBigCommerceChecks } from './bigcommerce-checks';
import { type BigCommerceTarget, createProbe } from './bigcommerce-probe';
import { captchaSecretsResult, checkCaptchaSecrets } from './captcha-secret-check';
import { checkConfirmationMail } from './confirmation-mail-check';
import { checkCustomDomain } from './custom-domain-check';
import { checkDeliveryLedger, LEDGER_OUTPUT } from './delivery-ledger-check';
import { doctorExitCode, formatReport, reportJson } from './report';
import { doctorSettings, readDeploymentSettings, sourceWindows, stackRegionInCdkJson } from './settings';
import { checkSourceDeliveries, sourceDeliveriesResult } from './source-deliveries-check';
import { checkSourceUrls } from './source-urls-check';
import type { CheckResult, DoctorSettings, LocalDoctorInfo } from './types';

/**
 * `signup-sync doctor`: resolves the target like the other commands (ops/targets.ts), runs every
 * check, prints the checklist (or JSON) and returns the exit code: 0 only when nothing is ✘.
 * The BigCommerce token comes from the stack's token secret, or with --store-hash from the
 * environment (SIGNUP_SYNC_BIGCOMMERCE_TOKEN), never from the command line.
 */

export const TOKEN_ENV = 'SIGNUP_SYNC_BIGCOMMERCE_TOKEN';

export type DoctorOptions = TargetFlags &
  Readonly<{
    /** The store to check, with the token from TOKEN_ENV (instead of the stack's token secret). */
    storeHash?: string;
    json?: boolean;
    /** cdk.json holding the deployment settings (default: the repository's). */
    cdkJson?: string;
    /**
     * Also send the two write probes BigCommerce must refuse (bigcommerce-checks.ts WRITE_PROBES), after
     * saying what they are; without it doctor sends the store nothing but reads.
     */
    probeWrites?: boolean;
  }>;

export type DoctorIo = Readonly<{
  out: (text: string) => void;
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  stackOutputs?: TargetDeps['stackOutputs'];
  /** AWS clients for a region (tests point them at an emulator). */
  awsClients?: (region: string | undefined, target: Target) => AwsClients;
}>;

function defaultAwsClients(region: string | undefined, target: Target): AwsClients {
  const config = region ? { region } : {};
  return {
    sqs: target.sqs ?? createSqsClient(config),
    lambda: new LambdaClient(config),
    secrets: new SecretsManagerClient(config),
    sns: new SNSClient(config),
    cloudWatch: new CloudWatchClient(config),
    dynamoDb: new DynamoDBClient(config),
    apiGateway: new ApiGatewayV2Client(config),
    ses: new SESv2Client(config),
  };
}

async function getJson<T>(url: string, fetchFn: typeof fetch, what: string): Promise<T> {
  let response: Response;
  try {
    response = await fetchFn(url, { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    throw new CliError(`${what} did not answer at ${url} (${(error as Error).name})`, { cause: error });
  }
  if (!response.ok)
    throw new CliError(
      `${what} answered ${response.status} at ${url}${response.status === 404 ? ': update local mode (npm start) to a version with `signup-sync doctor` support' : ''}`,
    );
  return (await response.json()) as T;
}

type Plan = Readonly<{
  settings: DoctorSettings;
  bigCommerce?: BigCommerceTarget;
  bigCommerceProblem?: string;
  storeHash?: string;
  apiUrl?: string;
  aws: CheckResult[];
}>;

/** Local mode checks its CAPTCHA secrets itself (it holds them); the doctor only formats the answer. */
function localCaptchaSecrets(info: LocalDoctorInfo): CheckResult {
  const withCaptcha = info.settings.sources.flatMap((source) =>
    source.kind === 'html-form' && source.captcha !== undefined && source.captcha !== false ? [source.id] : [],
  );
  if (info.captchaSecretProblems === undefined && withCaptcha.length > 0)
    return { id: 'aws.captcha-secrets', status: 'unconfirmed', summary: 'This local mode does not report its CAPTCHA secrets: update it (npm start)' };
  return captchaSecretsResult(info.captchaSecretProblems ?? [], withCaptcha, { local: true });
}

/** The embedded DynamoDB local mode runs the ledger on, asked directly over loopback. */
async function localDeliveryLedger(info: LocalDoctorInfo): Promise<CheckResult> {
  const ledger = info.deliveryLedger;
  if (!ledger)
    return { id: 'aws.delivery-ledger', status: 'skipped', summary: 'This local mode does not say where its delivery ledger is: update it (npm start)' };
  const dynamoDb = new DynamoDBClient({
    endpoint: ledger.endpoint,
    region: ledger.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  try {
    return await checkDeliveryLedger(dynamoDb, ledger.tableName, { embedded: true });
  } finally {
    dynamoDb.destroy();
  }
}

async function planLocal(base: string, target: Target, options: DoctorOptions, io: DoctorIo): Promise<Plan> {
  const fetchFn = io.fetch ?? fetch;
  const info = await getJson<LocalDoctorInfo>(`${base}/_local/api/doctor`, fetchFn, 'Local mode');
  const { settings } = info;
  const storeHash = options.storeHash ?? info.bigCommerce.storeHash;
  let token = io.env[TOKEN_ENV];
  if (!token && info.bigCommerce.kind === 'sandbox')
    token = (await getJson<{ token: string }>(`${info.bigCommerce.apiUrl}/__sandbox/token`, fetchFn, 'The BigCommerce sandbox')).token;
  const sqs = target.sqs!;
  const aws: CheckResult[] = [
    await checkQueues(sqs, target, settings),
    // local-aws-sqs counts in-flight messages as visible (ops/queue-ops.ts).
    await checkDeadLetterDepth(sqs, target.deadLetterQueueUrl, { inFlightCountedAsVisible: info.embeddedSqs }),
    sourceSecretsResult(info.sourceSecretProblems, settings),
    localCaptchaSecrets(info),
    await localDeliveryLedger(info),
    checkSourceUrls(settings.sources, { apiUrl: target.apiUrl ?? base }),
    info.sourceDeliveries
      ? sourceDeliveriesResult(
          sourceWindows(settings),
          new Map(Object.entries(info.sourceDeliveries).map(([id, hours]) => [id, hours.map((hour) => new Date(hour))])),
          new Date(),
          { local: true },
        )
      : { id: 'ingest.source-deliveries', status: 'skipped' as const, summary: 'This local mode does not count deliveries per source: update it (npm start)' },
    ...localSkips(),
  ];
  return {
    settings,
    storeHash,
    apiUrl: info.bigCommerce.apiUrl,
    aws,
    ...(token
      ? { bigCommerce: { apiUrl: info.bigCommerce.apiUrl, storeHash, token } }
      : { bigCommerceProblem: `No token: local mode talks to real BigCommerce; set ${TOKEN_ENV}` }),
  };
}

async function planDeployed(target: Target, options: DoctorOptions, io: DoctorIo): Promise<Plan> {
  // With several stores in cdk.json, --stack picks the store's settings (shared/deployment/stores.ts).
  const config = readDeploymentSettings(options.cdkJson, options.stack ?? target.stackName);
  const settings = doctorSettings(config);
  const outputs = target.outputs ?? {};
  const region =
    options.region ?? regionOfQueueUrl(target.signupQueueUrl ?? target.deadLetterQueueUrl ?? '') ?? io.env['AWS_REGION'] ?? io.env['AWS_DEFAULT_REGION'];
  const clients = (io.awsClients ?? defaultAwsClients)(region, target);
  let signupQueueArn = outputs['SignupQueueArn'];
  if (!signupQueueArn && target.signupQueueUrl) signupQueueArn = await queueArn(clients.sqs, target.signupQueueUrl).catch(() => undefined);
  // Alarms are named <stack>-<id> (infra/constructs/operations-monitoring.ts); without the name, those notifying the topic.
  const stackName = options.stack ?? target.stackName;
  const tokenSecret = await checkTokenSecret(clients.secrets, outputs['TokenSecretArn']);
  const aws: CheckResult[] = [
    await checkQueues(clients.sqs, target, settings),
    await checkDeadLetterDepth(clients.sqs, target.deadLetterQueueUrl),
    await checkEventSourceMapping(clients.lambda, signupQueueArn),
    ...(options.storeHash
      ? [
          {
            ...tokenSecret.result,
            ...(tokenSecret.result.status === 'fail' && !outputs['TokenSecretArn']
              ? { status: 'skipped' as const, summary: 'Not checked: --store-hash given, the token comes from the environment' }
              : {}),
          },
        ]
      : [tokenSecret.result]),
    await checkSourceSecrets(clients.secrets, outputs['SourcesSecretArn'], settings),
    await checkCaptchaSecrets(clients.secrets, outputs['SourcesSecretArn'], settings.sources),
    await checkAlarmSubscriptions(clients.sns, outputs['AlarmTopicArn']),
    await checkAlarms(clients.cloudWatch, {
      ...(stackName ? { namePrefix: `${stackName}-` } : {}),
      ...(outputs['AlarmTopicArn'] ? { topicArn: outputs['AlarmTopicArn'] } : {}),
    }),
    await checkDeliveryLedger(clients.dynamoDb, outputs[LEDGER_OUTPUT]),
    await checkCustomDomain(clients.apiGateway ?? new ApiGatewayV2Client(region ? { region } : {}), config.customDomain, outputs),
    ...(await checkConfirmationMail(clients.ses ?? new SESv2Client(region ? { region } : {}), config.sources)),
    checkSourceUrls(settings.sources, { apiUrl: target.apiUrl, outputs }),
    await checkSourceDeliveries(clients.cloudWatch, sourceWindows(settings)),
  ];
  const storeHash = options.storeHash ?? config.storeHash;
  const apiUrl = config.bigCommerceApiUrl;
  const token = options.storeHash ? io.env[TOKEN_ENV] : tokenSecret.token;
  if (storeHash === PLACEHOLDER_STORE_HASH)
    return { settings, apiUrl, aws, bigCommerceProblem: `signupSync.storeHash in cdk.json is the placeholder "${PLACEHOLDER_STORE_HASH}"` };
  if (!token)
    return {
      settings,
      storeHash,
      apiUrl,
      aws,
      bigCommerceProblem: options.storeHash ? `--store-hash needs the token in ${TOKEN_ENV}` : 'No usable token in the token secret (aws.token-secret)',
    };
  return { settings, storeHash, apiUrl, aws, bigCommerce: { apiUrl, storeHash, token } };
}

export async function runDoctor(options: DoctorOptions, io: DoctorIo): Promise<number> {
  if (options.storeHash !== undefined && !/^[a-z0-9]+$/i.test(options.storeHash))
    throw new CliUsageError(`--store-hash must be letters and digits, got "${options.storeHash}"`);
  const target = await resolveTarget(options, {
    env: io.env,
    ...(io.fetch ? { fetch: io.fetch } : {}),
    ...(io.stackOutputs ? { stackOutputs: io.stackOutputs } : {}),
    stackRegion: (stack) => stackRegionInCdkJson(stack, options.cdkJson),
  });
  const localBase = (options.local ?? io.env['SIGNUP_SYNC_LOCAL_URL'] ?? DEFAULT_LOCAL_URL).replace(/\/+$/, '');
  const plan = target.local ? await planLocal(localBase, target, options, io) : await planDeployed(target, options, io);

  let bigCommerce: CheckResult[];
  if (plan.bigCommerce) {
    const probe = createProbe(plan.bigCommerce, io.fetch ? { fetchFn: io.fetch } : {});
    const probeWrites = options.probeWrites === true;
    // Said before anything is sent: the only requests doctor makes that are not reads.
    if (probeWrites) io.err(describeWriteProbes(plan.bigCommerce.storeHash));
    const answers = await probeBigCommerce(probe, plan.settings, { probeWrites });
    bigCommerce = bigCommerceChecks(answers, { storeHash: plan.bigCommerce.storeHash, apiUrl: plan.bigCommerce.apiUrl, settings: plan.settings });
  } else {
    bigCommerce = skippedBigCommerceChecks(plan.bigCommerceProblem ?? 'No BigCommerce store to check');
  }
  const report = {
    target: target.description,
    bigCommerce: { ...(plan.storeHash ? { storeHash: plan.storeHash } : {}), ...(plan.apiUrl ? { apiUrl: plan.apiUrl } : {}) },
    checks: [...bigCommerce, ...plan.aws],
  };
  io.out(options.json ? reportJson(report) : formatReport(report));
  return doctorExitCode(report.checks);
}
