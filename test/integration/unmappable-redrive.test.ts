import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type Message, SendMessageCommand } from '@aws-sdk/client-sqs';
import { type CliIo, runCli } from '../../ops/main';
import { createSqsSignupQueue } from '../../shared/aws/sqs-signup-queue';
import { createSqsUnmappableDeadLetters } from '../../shared/aws/sqs-unmappable-dead-letters';
import { parseIngestSources } from '../../shared/ingest/ingest-sources';
import { SIGNUP_MESSAGE_SCHEMA_VERSION } from '../../shared/signup/signup-schema';
import { anHttpEvent, anIngestHandler, SECRETS, senderHeaders } from '../helpers/ingest';
import { type Deployment, setEnv, TEST_REGION } from './support/local-aws';
import { useTestbed } from './support/testbed';

/**
 * `signup-sync dlq redrive` against a deployed stack (moto): the ingest dead-letters an unmappable Kit
 * signup, the operator fixes the source's fieldMap in the ingest function's configuration, and the CLI,
 * given only the stack's outputs file, reads that configuration with lambda:GetFunctionConfiguration and
 * the dead-letter keys from the sources secret it names (secretsmanager:GetSecretValue), verifies and
 * re-runs the letter, and puts the signup on the signups queue in the ingest's message shape.
 */

jest.setTimeout(60_000);

const bed = useTestbed();
let restoreEnv: () => void = () => undefined;

beforeAll(() => {
  // The CLI's Lambda client finds moto like its SQS client does.
  restoreEnv = setEnv({ AWS_ENDPOINT_URL_LAMBDA: bed().moto.endpoint });
});
afterAll(() => restoreEnv());

const KIT_SOURCE = { id: 'kit-news', kind: 'kit', routeToken: 'kitnewsroutetoken0001' } as const;

const kitEvent = (id: string, subscriber: Record<string, unknown>) => ({
  id,
  type: 'subscriber.activated',
  created: '2026-07-29T14:32:10Z',
  data: { subscriber: { id: 1, state: 'active', fields: {}, ...subscriber } },
});

/** The value of the sources secret the stack created, found through the ingest's SOURCES_SECRET. */
function deployedSourcesSecret(deployment: Deployment): Record<string, unknown> {
  const secret = Object.values(deployment.secrets).find((candidate) => candidate.arn === deployment.ingestEnv.SOURCES_SECRET);
  if (!secret) throw new Error('The ingest names no sources secret the stack created');
  return JSON.parse(secret.value) as Record<string, unknown>;
}

/** The real ingest (a Kit source without a fieldMap) on the deployment's queues in moto. */
async function ingestKitDelivery(deployment: Deployment): Promise<void> {
  const body = JSON.stringify({
    delivery_id: 1,
    events: [
      kitEvent('e1', { first_name: 'Ada', email_address: 'ada@example.com' }),
      // The address is in a custom field the source does not map yet: fixed by the fieldMap below.
      kitEvent('e2', { first_name: 'Bob', email_address: null, fields: { work_email: 'bob@example.com' } }),
      // No address in the mapped field, and no address in the custom field: no configuration recovers it.
      kitEvent('e3', { first_name: 'Cy', email_address: null, fields: { work_email: 'not an address' } }),
    ],
  });
  const handler = anIngestHandler({
    queue: createSqsSignupQueue(bed().sqs, deployment.signupQueue.url),
    unmappable: createSqsUnmappableDeadLetters(bed().sqs, deployment.deadLetterQueue.url),
    sources: parseIngestSources([KIT_SOURCE]),
    // The sources secret as deployed (its generated `api` entry, from which the dead-letter key is derived) plus the Kit entry.
    secretJson: JSON.stringify({ ...deployedSourcesSecret(deployment), [KIT_SOURCE.id]: SECRETS.signing }),
  });
  const response = await handler(
    anHttpEvent(`/sources/${KIT_SOURCE.id}-${KIT_SOURCE.routeToken}`, { body, headers: { 'content-type': 'application/json', ...senderHeaders('kit', body) } }),
  );
  expect(response).toMatchObject({ statusCode: 202 });
}

/** moto checks that a function's role exists; IAM's query API needs no SDK client. */
async function createRole(): Promise<string> {
  const body = new URLSearchParams({
    Action: 'CreateRole',
    Version: '2010-05-08',
    RoleName: `ingest-${randomUUID().slice(0, 8)}`,
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    }),
  });
  const response = await fetch(`${bed().moto.endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20240101/${TEST_REGION}/iam/aws4_request, SignedHeaders=host, Signature=x`,
    },
    body,
  });
  const text = await response.text();
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!arn) throw new Error(`CreateRole failed: ${response.status} ${text.slice(0, 300)}`);
  return arn;
}

/** The ingest function as deployed, with the stack's environment and the operator's fixed SOURCES_CONFIG. */
async function deployIngestFunction(deployment: Deployment, sources: readonly unknown[]): Promise<string> {
  const lambda = new LambdaClient({ endpoint: bed().moto.endpoint, region: TEST_REGION });
  const name = `SignupSync-Ingest-${randomUUID().slice(0, 8)}`;
  try {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Role: await createRole(),
        Handler: 'index.handler',
        Code: { ZipFile: Buffer.from('not run by this test') },
        Environment: { Variables: { ...deployment.ingestEnv, SOURCES_CONFIG: JSON.stringify(sources) } },
      }),
    );
  } finally {
    lambda.destroy();
  }
  return name;
}

function outputsFile(deployment: Deployment, ingestFunctionName: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'signup-sync-outputs-')), 'outputs.json');
  const outputs = { SignupQueueUrl: deployment.signupQueue.url, DeadLetterQueueUrl: deployment.deadLetterQueue.url, IngestFunctionName: ingestFunctionName };
  writeFileSync(file, JSON.stringify({ SignupSync: outputs }));
  return file;
}

async function cli(args: readonly string[]): Promise<{ status: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    progress: { isTTY: false, write: () => undefined },
    interactive: false,
    ask: async () => '',
    env: process.env,
  };
  const status = await runCli(args, io);
  return { status, out: out.join('\n'), err: err.join('\n') };
}

const attributesOf = (message: Message) =>
  Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]));

describe('dlq redrive of unmappable dead letters on a deployed stack', () => {
  it("recovers a letter with the fixed fieldMap of the ingest function's configuration and leaves the one still unmappable", async () => {
    // Arrange: the ingest queued Ada and dead-lettered Bob and Cy; then the operator fixed the fieldMap.
    const deployment = await bed().deploy();
    await ingestKitDelivery(deployment);
    const [ingested] = await bed().drain(deployment.signupQueue.url, { visibilityTimeoutSeconds: 600 });
    expect(await bed().depth(deployment.deadLetterQueue.url)).toEqual({ visible: 2, inFlight: 0 });
    const functionName = await deployIngestFunction(deployment, [{ ...KIT_SOURCE, fieldMap: { 'fields.work_email': 'email' } }]);

    // Act
    const result = await cli(['dlq', 'redrive', '--outputs-file', outputsFile(deployment, functionName)]);

    // Assert: Bob is queued exactly as the ingest queues a signup; Cy stays, with its field path in the delivery.
    expect(result).toMatchObject({ status: 0 });
    expect(result.out).toContain('Re-ran 2 unmappable dead letter(s)');
    expect(result.out).toContain('1 recovered (queued), 1 still unmappable');
    expect(result.err).toContain('still unmappable: still unmappable: /2/email');
    expect(`${result.out}\n${result.err}`).not.toMatch(/@example\.com/);

    const [recovered, ...others] = await bed().drain(deployment.signupQueue.url);
    expect(others).toEqual([]);
    const body = JSON.parse(recovered!.Body!);
    expect(body).toMatchObject({
      schema_version: SIGNUP_MESSAGE_SCHEMA_VERSION,
      source: { id: KIT_SOURCE.id, kind: 'kit' },
      idempotency_key: `${KIT_SOURCE.id}:e2`,
      signup: { email: 'bob@example.com', first_name: 'Bob', consent: { marketing: true } },
    });
    const ingestedBody = JSON.parse(ingested!.Body!);
    expect(Object.keys(body).sort()).toEqual(Object.keys(ingestedBody).sort());
    expect(attributesOf(recovered!)).toEqual({ ...attributesOf(ingested!), IdempotencyKey: `${KIT_SOURCE.id}:e2` });

    const left = await bed().drain(deployment.deadLetterQueue.url);
    expect(left).toHaveLength(1);
    // Left as the ingest wrote it (nothing is written back to the DLQ); the CLI printed what is wrong now.
    expect(attributesOf(left[0]!)).toMatchObject({
      RejectionCode: 'unmappable',
      SourceId: KIT_SOURCE.id,
      RejectionDetail: expect.stringMatching(/^\/2\/email: /),
    });
    expect(JSON.parse(left[0]!.Body!)).toMatchObject({ signup_index: 2, version: 2, hmac: expect.any(String) });
  });

  it('refuses a letter put in the DLQ by hand, whatever it says, and re-runs nothing of it', async () => {
    // Arrange: a genuine letter, altered to queue another address and sent back to the DLQ as an operator could.
    const deployment = await bed().deploy();
    await ingestKitDelivery(deployment);
    await bed().drain(deployment.signupQueue.url, { visibilityTimeoutSeconds: 600 });
    const bob = (await bed().drain(deployment.deadLetterQueue.url)).find((letter) => JSON.parse(letter.Body!).signup_index === 1)!;
    const forged = JSON.parse(bob.Body!) as { request: { body_base64: string } };
    const delivery = Buffer.from(forged.request.body_base64, 'base64').toString().replaceAll('bob@example.com', 'mallory@example.net');
    forged.request.body_base64 = Buffer.from(delivery).toString('base64');
    await bed().sqs.send(
      new SendMessageCommand({ QueueUrl: deployment.deadLetterQueue.url, MessageBody: JSON.stringify(forged), MessageAttributes: bob.MessageAttributes }),
    );
    const functionName = await deployIngestFunction(deployment, [{ ...KIT_SOURCE, fieldMap: { 'fields.work_email': 'email' } }]);

    // Act
    const result = await cli(['dlq', 'redrive', '--outputs-file', outputsFile(deployment, functionName)]);

    // Assert
    expect(result.status).toBe(1);
    expect(result.err).toMatch(/refused: message \S+: its signature matches no dead-letter key/);
    // Only Ada, queued by the ingest and held in flight above: nothing from the redrive.
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 1 });
  });

  it('does not start a move task while unmappable letters remain, which it would carry back as they are', async () => {
    // Arrange: a letter no configuration recovers, and the configuration unchanged.
    const deployment = await bed().deploy();
    await ingestKitDelivery(deployment);
    await bed().drain(deployment.signupQueue.url, { visibilityTimeoutSeconds: 600 });
    const functionName = await deployIngestFunction(deployment, [KIT_SOURCE]);

    // Act
    const result = await cli(['dlq', 'redrive', '--method', 'move-task', '--outputs-file', outputsFile(deployment, functionName)]);

    // Assert
    expect(result).toMatchObject({ status: 0 });
    expect(result.out).toContain('0 recovered (queued), 2 still unmappable');
    expect(result.err).toContain('a move task would carry to the signups queue as they are');
    expect(await bed().depth(deployment.signupQueue.url)).toEqual({ visible: 0, inFlight: 1 });
    expect(await bed().depth(deployment.deadLetterQueue.url)).toEqual({ visible: 2, inFlight: 0 });
    // Unchanged letters keep what the ingest wrote (the first test's rewrite is a real change).
    const details = (await bed().drain(deployment.deadLetterQueue.url)).map((letter) => attributesOf(letter).RejectionDetail).sort();
    expect(details).toEqual([expect.stringMatching(/^\/1\/email: /), expect.stringMatching(/^\/2\/email: /)]);
    expect(details.join()).not.toContain('Invalid email address');
  });
});
