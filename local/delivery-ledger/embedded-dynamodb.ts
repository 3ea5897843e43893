import { type ChildProcess, spawn } from 'node:child_process';
import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { CONSENT_TABLE_KEYS } from '../../shared/aws/dynamodb-consent-store';
import { LEDGER_TABLE_KEY } from '../../shared/aws/dynamodb-delivery-ledger';
import { closeServer, type EmulatorServing } from '../net';

/**
 * The delivery ledger's store in local mode: dynalite 4 (DynamoDB's API over an in-memory LevelDB)
 * on a loopback port, in-process or in a child process, so the ingest runs the same DynamoDB adapter
 * (shared/aws/dynamodb-delivery-ledger.ts) as in Lambda. dynalite has no TTL sweeper; Powertools
 * treats an expired record as absent on its own, so nothing changes for the ledger.
 */
export type EmbeddedDynamoDb = Readonly<{
  endpoint: string;
  /** A client for this endpoint (local credentials; destroyed by `close`). */
  client: DynamoDBClient;
  tableName: string;
  /** The consent table (evidence, erasures, pending double opt-in), as infra/constructs/consent-evidence.ts declares it. */
  consentTableName: string;
  close(): Promise<void>;
}>;

export const EMBEDDED_LEDGER_TABLE = 'signup-sync-local-deliveries';
export const EMBEDDED_CONSENT_TABLE = 'signup-sync-local-consent';

/**
 * dynalite in a Node process of its own (`inProcess: false`): its request parsing, expression parser and
 * LevelDB run on another core than the functions that call it, as DynamoDB does. It exits when its parent
 * does (the IPC channel closes).
 */
const CHILD_SCRIPT = (host: string, port: number) => `
const dynalite = require(${JSON.stringify(require.resolve('dynalite'))});
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.on('error', (error) => { process.send({ error: String(error) }); process.exit(1); });
server.listen(${port}, ${JSON.stringify(host)}, () => process.send({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
`;

async function startChild(host: string, port: number): Promise<{ port: number; close(): Promise<void> }> {
  // No execArgv: the parent's flags (tsx's loader, --cpu-prof) are not the emulator's.
  const child: ChildProcess = spawn(process.execPath, ['-e', CHILD_SCRIPT(host, port)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const bound = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: { port?: number; error?: string }) =>
      message.port ? resolve(message.port) : reject(new Error(`dynalite did not start: ${message.error}`)),
    );
    child.once('exit', (code) => reject(new Error(`dynalite exited with ${code} before listening`)));
  });
  return {
    port: bound,
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Starts dynalite on `host`:`port` (0 = random) and creates the ledger and consent tables as the stack declares them;
 * `serving` puts it behind TLS and an assumed round trip (bench/cold-answer.ts, local/net.ts). With
 * `inProcess: false` it runs in a child process (the chaos run, where one process runs everything else).
 */
export async function startEmbeddedDynamoDb({
  host = '127.0.0.1',
  port = 0,
  region = 'us-east-1',
  serving,
  inProcess = true,
}: Readonly<{ host?: string; port?: number; region?: string; serving?: EmulatorServing; inProcess?: boolean }> = {}): Promise<EmbeddedDynamoDb> {
  if (!inProcess) {
    if (serving) throw new Error('startEmbeddedDynamoDb: serving (TLS, delay) is for the in-process emulator only');
    const child = await startChild(host, port);
    return withTables(`http://${host}:${child.port}`, region, undefined, child.close);
  }
  const tls = serving?.tls;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(tls ? { ssl: true, key: tls.key, cert: tls.cert } : {}) });
  const delayMs = serving?.delayMs ?? 0;
  if (delayMs > 0) {
    // dynalite builds its own server; its one request listener is answered later instead.
    const listeners = server.listeners('request') as ((...args: unknown[]) => void)[];
    server.removeAllListeners('request');
    server.on('request', (...args: unknown[]) =>
      setTimeout(() => {
        for (const listener of listeners) listener(...args);
      }, delayMs),
    );
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  return withTables(`${tls ? 'https' : 'http'}://${host}:${bound}`, region, tls?.cert, () => closeServer(server));
}

/** A client for the emulator at `endpoint`, and the ledger and consent tables in it. */
async function withTables(endpoint: string, region: string, ca: string | Buffer | undefined, stop: () => Promise<void>): Promise<EmbeddedDynamoDb> {
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // The certificate is self-signed: this client trusts it as its own CA.
    ...(ca ? { requestHandler: { httpsAgent: new Agent({ ca }) } } : {}),
  });
  const close = async () => {
    client.destroy();
    await stop();
  };
  try {
    await client.send(
      new CreateTableCommand({
        TableName: EMBEDDED_LEDGER_TABLE,
        AttributeDefinitions: [{ AttributeName: LEDGER_TABLE_KEY, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: LEDGER_TABLE_KEY, KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    await client.send(
      new CreateTableCommand({
        TableName: EMBEDDED_CONSENT_TABLE,
        AttributeDefinitions: [
          { AttributeName: CONSENT_TABLE_KEYS.partition, AttributeType: 'S' },
          { AttributeName: CONSENT_TABLE_KEYS.sort, AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: CONSENT_TABLE_KEYS.partition, KeyType: 'HASH' },
          { AttributeName: CONSENT_TABLE_KEYS.sort, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    await close();
    throw error;
  }
  return { endpoint, client, tableName: EMBEDDED_LEDGER_TABLE, consentTableName: EMBEDDED_CONSENT_TABLE, close };
}
