import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:https';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startSecretsManagerStandIn } from '../../../bench/lib/secrets-manager-stand-in';
import { selfSignedCert } from '../../../bench/lib/tls-cert';
import { startEmbeddedDynamoDb } from '../../../local/delivery-ledger/embedded-dynamodb';
import { startEmbeddedSqs } from '../../../local/sqs/embedded-sqs';

/**
 * The emulators as the cold-answer bench serves them (over TLS, so a function's first calls pay their
 * handshakes) and as the chaos run runs dynalite (in a process of its own).
 */

const dir = mkdtempSync(path.join(tmpdir(), 'emulator-serving-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

// openssl makes the certificate; without it the bench serves plain HTTP (and says so), and this test has nothing to check.
const cert = selfSignedCert(dir);
const withOpenssl = cert ? it : it.skip;

withOpenssl('serves SQS and a Secrets Manager stand-in over HTTPS to a client that trusts the certificate', async () => {
  // Arrange
  const tls = cert!;
  const sqs = await startEmbeddedSqs({ serving: { tls, delayMs: 1 } });
  const secrets = await startSecretsManagerStandIn({ secrets: { 'app/sources': '{"api":"whsec_x"}' }, serving: { tls } });
  const requestHandler = { httpsAgent: new Agent({ ca: tls.cert }) };
  const sqsClient = new SQSClient({ endpoint: sqs.endpoint, region: 'us-east-1', credentials, requestHandler });
  const secretsClient = new SecretsManagerClient({ endpoint: secrets.endpoint, region: 'us-east-1', credentials, requestHandler });
  try {
    // Act
    const { QueueUrl } = await sqsClient.send(new CreateQueueCommand({ QueueName: 'tls-queue' }));
    await sqsClient.send(new SendMessageCommand({ QueueUrl, MessageBody: 'over tls' }));
    const received = await sqsClient.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }));
    const secret = await secretsClient.send(new GetSecretValueCommand({ SecretId: 'app/sources' }));
    const missing = secretsClient.send(new GetSecretValueCommand({ SecretId: 'other' }));

    // Assert
    expect(sqs.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(received.Messages?.map((message) => message.Body)).toEqual(['over tls']);
    expect(secret.SecretString).toBe('{"api":"whsec_x"}');
    await expect(missing).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(secrets.reads()).toBe(1);
  } finally {
    sqsClient.destroy();
    secretsClient.destroy();
    await secrets.close();
    await sqs.close();
  }
});

it('runs dynalite in a child process with the ledger table, and stops it on close', async () => {
  // Arrange
  const store = await startEmbeddedDynamoDb({ inProcess: false });
  const item = { TableName: store.tableName, Item: { id: { S: 'delivery-1' }, status: { S: 'COMPLETED' } } };

  // Act
  await store.client.send(new PutItemCommand(item));
  const { Item } = await store.client.send(new GetItemCommand({ TableName: store.tableName, Key: { id: { S: 'delivery-1' } } }));
  await store.close();

  // Assert: the item round-tripped, and nothing answers on the endpoint any more
  expect(Item).toEqual(item.Item);
  await expect(fetch(store.endpoint, { method: 'POST' })).rejects.toThrow();
});
