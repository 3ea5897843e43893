import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequestHandler } from 'local-aws-sqs';
import { closeServer, type EmulatorServing, emulatorServer } from '../net';

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
 * - ChangeMessageVisibility also counts as a receive towards `maxReceiveCount`: corrected here
 *   (`countOnlyReceives`), so a message the sync defers with a delay reaches the DLQ after as many
 *   deliveries as on AWS;
 * - PurgeQueue empties the queue only after 60 s (the operator tools delete message by message locally).
 */
export type EmbeddedSqs = Readonly<{
  endpoint: string;
  port: number;
  /**
   * Makes the endpoint fail like an SQS outage (HTTP 503 ServiceUnavailable, which the SDK retries)
   * until called with `undefined`: every request, or only the named actions (e.g. `SendMessageBatch`).
   * For chaos tests of the ingest's 503 answer and the senders' retries.
   */
  setOutage(outage: QueueOutage | undefined): void;
  /** Requests answered 503 by `setOutage` so far. */
  outageAnswers(): number;
  close(): Promise<void>;
}>;

export type QueueOutage = Readonly<{ actions?: readonly string[] }>;

export const EMBEDDED_REGION = 'us-east-1';

/** The SQS action of a request: the JSON protocol names it in X-Amz-Target, the Query protocol in `Action`. */
function actionOf(req: IncomingMessage): string | undefined {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.slice(target.lastIndexOf('.') + 1);
  try {
    return new URL(req.url ?? '/', 'http://sqs.invalid').searchParams.get('Action') ?? undefined;
  } catch {
    return undefined;
  }
}

function answerUnavailable(req: IncomingMessage, res: ServerResponse): void {
  const message = 'Service Unavailable (local mode: injected outage)';
  const json = typeof req.headers['x-amz-target'] === 'string';
  const body = json
    ? JSON.stringify({ __type: 'com.amazonaws.sqs#ServiceUnavailable', message })
    : `<?xml version="1.0"?><ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>${message}</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`;
  // The request body is drained so the client is not left writing into a closed socket.
  req.resume();
  res.writeHead(503, {
    'content-type': json ? 'application/x-amz-json-1.0' : 'text/xml',
    'x-amzn-query-error': 'ServiceUnavailable;Receiver',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

type EmulatorQueue = { changeVisibility(...args: unknown[]): unknown; constructor: EmulatorQueueClass };
type EmulatorQueueClass = { createRecord(...args: unknown[]): [{ attributes?: Record<string, unknown> }, ...unknown[]] };
const patchedClasses = new WeakSet<object>();
let changingVisibility = false;

/**
 * local-aws-sqs increments a message's ApproximateReceiveCount on ChangeMessageVisibility as well as on
 * ReceiveMessage, so a message deferred with a delay (the sync's answer to a 429 it cannot wait out)
 * would be moved to the DLQ after fewer deliveries than on AWS. The emulator keeps its records private;
 * this wraps the two public seams it goes through: each new record's count becomes an accessor that
 * ignores writes made during `changeVisibility` (which is synchronous). Everything else is unchanged:
 * the emulator still moves a message to the DLQ when a visibility timeout ends at maxReceiveCount.
 * Applied once per emulator class, when the first queue exists (before any message can).
 */
function countOnlyReceives(queue: unknown): void {
  const candidate = queue as Partial<EmulatorQueue> | undefined;
  const queueClass = candidate?.constructor as EmulatorQueueClass | undefined;
  if (!queueClass || patchedClasses.has(queueClass)) return;
  const proto = Object.getPrototypeOf(candidate) as Partial<EmulatorQueue>;
  const createRecord = queueClass.createRecord;
  const changeVisibility = proto.changeVisibility;
  // Another emulator version: leave it alone rather than guess (the gap then stays as documented).
  if (typeof createRecord !== 'function' || typeof changeVisibility !== 'function') return;
  patchedClasses.add(queueClass);
  queueClass.createRecord = function patchedCreateRecord(this: unknown, ...args: unknown[]) {
    const result = createRecord.apply(this, args);
    const attributes = result[0]?.attributes;
    if (attributes && typeof attributes === 'object') {
      let count = String(attributes['ApproximateReceiveCount'] ?? '0');
      Object.defineProperty(attributes, 'ApproximateReceiveCount', {
        enumerable: true,
        configurable: true,
        get: () => count,
        set: (value: unknown) => {
          if (!changingVisibility) count = String(value);
        },
      });
    }
    return result;
  };
  proto.changeVisibility = function patchedChangeVisibility(this: unknown, ...args: unknown[]) {
    changingVisibility = true;
    try {
      return changeVisibility.apply(this, args);
    } finally {
      changingVisibility = false;
    }
  };
}

export async function startEmbeddedSqs({
  host = '127.0.0.1',
  port = 0,
  serving,
}: Readonly<{ host?: string; port?: number; serving?: EmulatorServing }> = {}): Promise<EmbeddedSqs> {
  const { requestHandler, service } = createRequestHandler({
    port,
    hostname: host,
    region: EMBEDDED_REGION,
    emulateQueueCreationLifecycle: false,
  });
  let outage: QueueOutage | undefined;
  let outageAnswers = 0;
  const server: Server = emulatorServer((req, res) => {
    if (outage && (!outage.actions || outage.actions.includes(actionOf(req) ?? ''))) {
      outageAnswers += 1;
      answerUnavailable(req, res);
      return;
    }
    countOnlyReceives(service.Queues[0]);
    requestHandler(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  }, serving);
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
    endpoint: `${serving?.tls ? 'https' : 'http'}://${host}:${actualPort}`,
    port: actualPort,
    setOutage: (next) => {
      outage = next ? { ...(next.actions ? { actions: [...next.actions] } : {}) } : undefined;
    },
    outageAnswers: () => outageAnswers,
    close: async () => {
      await closeServer(server);
      service.resetAll();
    },
  };
}
