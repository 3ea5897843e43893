import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestHandler } from 'local-aws-sqs';
import { closeServer } from '../net';

/**
 * The embedded SQS emulator (local-aws-sqs 2.0.2: JSON and Query protocols, redrive policies, long
 * polling, message move tasks). Its request handler is mounted on our own node:http server so that a
 * port in use fails `listen` with EADDRINUSE instead of leaving `createSqsServer`'s promise pending.
 *
 * Known gaps, covered elsewhere in local mode:
 * - ReceiveMessage returns system attributes only for the legacy `AttributeNames` parameter
 *   (see `receiveAttributeParameters`), and the poller tracks receive counts itself anyway;
 * - `ApproximateNumberOfMessages` includes in-flight messages (see `queueDepth`);
 * - a long poll answers only once it holds MaxNumberOfMessages or the wait is over (AWS answers as soon
 *   as a message is there), and one longer than the visibility timeout can return the same message
 *   twice: local mode short-polls the embedded queue, and every receive is de-duplicated by MessageId;
 * - ChangeMessageVisibility also counts as a receive towards `maxReceiveCount`, so a message the sync
 *   defers with a delay (a 429 it could not wait out) reaches the DLQ after fewer deliveries than on AWS;
 * - PurgeQueue empties the queue only after 60 s (the operator tools delete message by message locally).
 */
export type EmbeddedSqs = Readonly<{
  endpoint: string;
  port: number;
  close(): Promise<void>;
}>;

export const EMBEDDED_REGION = 'us-east-1';

export async function startEmbeddedSqs({ host = '127.0.0.1', port = 0 }: Readonly<{ host?: string; port?: number }> = {}): Promise<EmbeddedSqs> {
  const { requestHandler, service } = createRequestHandler({
    port,
    hostname: host,
    region: EMBEDDED_REGION,
    emulateQueueCreationLifecycle: false,
  });
  const server: Server = createServer((req, res) => {
    requestHandler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const actualPort = (server.address() as AddressInfo).port;
  // Queue URLs are built from these.
  service.PORT = actualPort;
  service.HOSTNAME = host;
  return {
    endpoint: `http://${host}:${actualPort}`,
    port: actualPort,
    close: async () => {
      await closeServer(server);
      service.resetAll();
    },
  };
}
