import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, type EmulatorServing, emulatorServer } from '../../local/net';

/**
 * A loopback stand-in for the one Secrets Manager operation a function makes, GetSecretValue (AWS JSON
 * 1.1, `X-Amz-Target: secretsmanager.GetSecretValue`), for bench/cold-answer.ts: neither embedded
 * emulator has Secrets Manager, and the cold answer needs the ingest's first read of its sources secret
 * over the wire. It answers the secrets it was given by name or ARN, and ResourceNotFoundException
 * otherwise; anything else is an UnknownOperationException.
 */
export type SecretsManagerStandIn = Readonly<{ endpoint: string; reads(): number; close(): Promise<void> }>;

const JSON_11 = 'application/x-amz-json-1.1';

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_11, 'x-amzn-requestid': randomUUID(), 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSecretsManagerStandIn(
  options: Readonly<{ secrets: Readonly<Record<string, string>>; host?: string; region?: string; serving?: EmulatorServing }>,
): Promise<SecretsManagerStandIn> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const arnOf = (name: string) => `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-AbCdEf`;
  let reads = 0;
  const server = emulatorServer((req, res) => {
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const request = JSON.parse((await bodyOf(req)) || '{}') as { SecretId?: string };
      if (target !== 'secretsmanager.GetSecretValue') {
        answer(res, 400, { __type: 'UnknownOperationException', message: `${target} is not served by this stand-in` });
        return;
      }
      const name = Object.keys(options.secrets).find((candidate) => candidate === request.SecretId || arnOf(candidate) === request.SecretId);
      if (name === undefined) {
        answer(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
        return;
      }
      reads += 1;
      answer(res, 200, {
        ARN: arnOf(name),
        Name: name,
        VersionId: '00000000-0000-0000-0000-000000000001',
        SecretString: options.secrets[name],
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_780_000_000,
      });
    })();
  }, options.serving);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `${options.serving?.tls ? 'https' : 'http'}://${host}:${port}`,
    reads: () => reads,
    close: () => closeServer(server, 200),
  };
}
