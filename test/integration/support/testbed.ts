import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, type Message, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { type BigCommerceSandbox, type SandboxOptions, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { CANONICAL_SOURCE_ID } from '../../../shared/ingest/ingest-sources';
import type { SignupInput } from '../../../shared/signup/signup-schema';
import { aLambdaContext, anApiEvent } from '../../helpers/events';
import { type PollResult, pollOnce, receiveBatch, type SqsHandler } from './event-source-mapping';
import { type Deployment, deployStackResources, setEnv, TEST_REGION, useLocalAws } from './local-aws';
import { type MotoServer, startMotoServer } from './moto-server';
import { type StackModel, synthesizeStackModel } from './stack-model';

/**
 * Everything one integration test file needs: moto (SQS + Secrets Manager), the stack's resources
 * created in it from the synthesized template, the BigCommerce sandbox, and the REAL handler modules
 * (functions/<name>/handler.ts, i.e. their composition roots) loaded with the stack's environment.
 */

type IngestHandler = (event: ReturnType<typeof anApiEvent>, context: Context) => Promise<APIGatewayProxyResultV2>;

export type Testbed = Readonly<{
  moto: MotoServer;
  model: StackModel;
  sandbox: BigCommerceSandbox;
  sqs: SQSClient;
  secrets: SecretsManagerClient;
  dynamodb: DynamoDBClient;
  /** Creates a fresh copy of the stack's queues and secret (names prefixed per test). */
  deploy(options?: Readonly<{ token?: string; queueOverrides?: Readonly<Record<string, string>> }>): Promise<Deployment>;
  /** Loads functions/ingest/handler.ts as a cold start would, with the stack's environment. */
  loadIngest(deployment: Deployment): IngestHandler;
  /** Loads functions/sync/handler.ts as a cold start would; the returned handler keeps its caches (a warm container). */
  loadSync(deployment: Deployment, envOverrides?: Readonly<Record<string, string>>): SqsHandler;
  ingest(deployment: Deployment, signups: readonly SignupInput[], handler?: IngestHandler): Promise<APIGatewayProxyStructuredResultV2>;
  /** One event source mapping poll of the signups queue into `handler`. */
  poll(
    deployment: Deployment,
    handler: SqsHandler,
    options?: Readonly<{ remainingMs?: number; visibilityTimeoutSeconds?: number; waitTimeSeconds?: number }>,
  ): Promise<PollResult>;
  /** Receives until the queue answers empty (messages stay in flight for `visibilityTimeoutSeconds`). */
  drain(queueUrl: string, options?: Readonly<{ visibilityTimeoutSeconds?: number }>): Promise<Message[]>;
  depth(queueUrl: string): Promise<Readonly<{ visible: number; inFlight: number }>>;
  /** Empties the sandbox store and puts its faults, options and tokens back to the start state. */
  resetSandbox(): void;
  stop(): Promise<void>;
}>;

const LOG_LEVEL = process.env.INTEGRATION_LOG_LEVEL ?? 'error';

/**
 * POST /signups authenticates with the `api` entry of the sources secret (shared/ingest/ingest-sources.ts):
 * the one the stack generated, found through the ingest's own SOURCES_SECRET variable.
 */
function apiBearerToken(deployment: Deployment): string {
  const secret = Object.values(deployment.secrets).find((candidate) => candidate.arn === deployment.ingestEnv.SOURCES_SECRET);
  const token = secret && (JSON.parse(secret.value) as Record<string, unknown>)[CANONICAL_SOURCE_ID];
  if (typeof token !== 'string') throw new Error(`The ingest's SOURCES_SECRET holds no "${CANONICAL_SOURCE_ID}" entry to authenticate POST /signups with`);
  return token;
}

function loadModule<T>(load: () => T): T {
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = load();
  });
  return loaded!;
}

export async function startTestbed({ sandbox: sandboxOptions = {} }: Readonly<{ sandbox?: SandboxOptions }> = {}): Promise<Testbed> {
  const model = synthesizeStackModel();
  const moto = await startMotoServer();
  const restoreEnv = useLocalAws(moto.endpoint);
  const storeHash = model.sync.environment.BIGCOMMERCE_STORE_HASH;
  let sandbox: BigCommerceSandbox;
  try {
    sandbox = await startBigCommerceSandbox({ rateLimit: false, ...(typeof storeHash === 'string' ? { storeHash } : {}), ...sandboxOptions });
  } catch (error) {
    restoreEnv();
    await moto.stop();
    throw error;
  }
  const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
  const sqs = new SQSClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials });
  const secrets = new SecretsManagerClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials });
  const dynamodb = new DynamoDBClient({ endpoint: moto.endpoint, region: TEST_REGION, credentials });
  const initialToken = sandbox.token;
  const restoreHandlerEnv: (() => void)[] = [];
  let deployments = 0;

  const loadWithEnv = <T>(env: Readonly<Record<string, string>>, load: () => T): T => {
    restoreHandlerEnv.push(setEnv({ ...env, LOG_LEVEL }));
    return loadModule(load);
  };

  const testbed: Testbed = {
    moto,
    model,
    sandbox,
    sqs,
    secrets,
    dynamodb,
    deploy: async ({ token = sandbox.token, queueOverrides } = {}) => {
      deployments += 1;
      const prefix = `it-${process.pid}-${deployments}-${Date.now().toString(36)}`;
      return deployStackResources({ sqs, secrets, dynamodb }, model, { prefix, token, ...(queueOverrides ? { queueOverrides } : {}) });
    },
    loadIngest: (deployment) =>
      loadWithEnv(
        deployment.ingestEnv,
        () => (require('../../../functions/ingest/handler') as typeof import('../../../functions/ingest/handler')).handler as unknown as IngestHandler,
      ),
    loadSync: (deployment, envOverrides = {}) =>
      loadWithEnv(
        // BigCommerce itself is the one thing replaced: the sandbox stands in for api.bigcommerce.com.
        { ...deployment.syncEnv, BIGCOMMERCE_API_URL: sandbox.url, ...envOverrides },
        () => (require('../../../functions/sync/handler') as typeof import('../../../functions/sync/handler')).handler as unknown as SqsHandler,
      ),
    ingest: async (deployment, signups, handler = testbed.loadIngest(deployment)) => {
      const context = aLambdaContext(model.ingest.timeoutSeconds * 1000);
      const event = anApiEvent(JSON.stringify(signups), { headers: { authorization: `Bearer ${apiBearerToken(deployment)}` } });
      return (await handler(event, context)) as APIGatewayProxyStructuredResultV2;
    },
    poll: (deployment, handler, { remainingMs = model.sync.timeoutSeconds * 1000, visibilityTimeoutSeconds, waitTimeSeconds } = {}) =>
      pollOnce(sqs, {
        queueUrl: deployment.signupQueue.url,
        queueArn: deployment.signupQueue.arn,
        batchSize: model.syncEventSource.batchSize,
        reportBatchItemFailures: model.syncEventSource.functionResponseTypes.includes('ReportBatchItemFailures'),
        handler,
        context: () => aLambdaContext(remainingMs),
        ...(visibilityTimeoutSeconds !== undefined ? { visibilityTimeoutSeconds } : {}),
        ...(waitTimeSeconds !== undefined ? { waitTimeSeconds } : {}),
      }),
    drain: async (queueUrl, { visibilityTimeoutSeconds = 60 } = {}) => {
      if (visibilityTimeoutSeconds < 1) throw new Error('drain needs a visibility timeout of at least 1 s, or it would receive the same messages forever');
      const all: Message[] = [];
      for (;;) {
        const batch = await receiveBatch(sqs, queueUrl, { visibilityTimeoutSeconds });
        if (batch.length === 0) return all;
        all.push(...batch);
      }
    },
    depth: async (queueUrl) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible) };
    },
    resetSandbox: () => {
      sandbox.reset();
      sandbox.setOptions({ rejectEmails: undefined, rateLimit: false });
      sandbox.setTokens([initialToken]);
    },
    stop: async () => {
      sqs.destroy();
      secrets.destroy();
      dynamodb.destroy();
      for (const restore of restoreHandlerEnv.reverse()) restore();
      restoreEnv();
      await Promise.allSettled([sandbox.close(), moto.stop()]);
    },
  };
  return testbed;
}

/** Starts the testbed in beforeAll and stops it in afterAll; tests read `bed()`. */
export function useTestbed(options?: Parameters<typeof startTestbed>[0]): () => Testbed {
  let testbed: Testbed | undefined;
  beforeAll(async () => {
    testbed = await startTestbed(options);
  }, 90_000);
  afterAll(async () => {
    await testbed?.stop();
  });
  return () => {
    if (!testbed) throw new Error('The integration testbed did not start (see the beforeAll error above)');
    return testbed;
  };
}
