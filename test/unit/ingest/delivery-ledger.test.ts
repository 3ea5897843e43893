import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../../../local/delivery-ledger/embedded-dynamodb';
import { createDeliveryLedger, dynamoDbPersistenceStore } from '../../../shared/aws/dynamodb-delivery-ledger';
import { HttpProblemError } from '../../../shared/http-input/errors';
import {
  conflictKey,
  type Delivery,
  type DeliveryLedger,
  type DeliveryReceipt,
  deliveryKey,
  payloadHash,
  singleEventId,
} from '../../../shared/ingest/delivery-ledger';
import { DeliveryConflictError, DeliveryInProgressError } from '../../../shared/ingest/errors';
import { enqueueOnce } from '../../../shared/ingest/ingest-signups';
import { createLogger } from '../../../shared/logger';
import { aSignupMessage } from '../../helpers/events';
import { fakeQueue } from '../../helpers/ingest';
import { testLogger } from '../../helpers/log-capture';

/**
 * The Powertools adapter of the delivery ledger against a real DynamoDB API (dynalite in-process on
 * loopback): conditional writes, in-progress expiry and completion are DynamoDB's own, not a mock's.
 */

jest.setTimeout(20_000);

let store: EmbeddedDynamoDb;
beforeAll(async () => {
  store = await startEmbeddedDynamoDb();
});
afterAll(async () => {
  await store.close();
});

let keys = 0;
/** A delivery never recorded before, with the payload hash every test repeats unless it says otherwise. */
const freshKey = (): Delivery => {
  keys += 1;
  return { key: `src:id:delivery-${process.pid}-${keys}`, payloadHash: 'payload-1' };
};
const receipt = (id: string): DeliveryReceipt => ({ accepted: 1, ids: [id] });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function ledgerWith(options: Partial<{ retentionSeconds: number; inProgressSeconds: number; client: DynamoDBClient }> = {}) {
  const lines: string[] = [];
  const logger = createLogger('test', { level: 'debug', write: (line) => lines.push(line) });
  const ledger = createDeliveryLedger({
    persistenceStore: dynamoDbPersistenceStore(options.client ?? store.client, store.tableName),
    retentionSeconds: options.retentionSeconds ?? 3600,
    inProgressSeconds: options.inProgressSeconds ?? 10,
    logger,
  });
  return { ledger, lines };
}

describe('delivery ledger (Powertools Idempotency on DynamoDB)', () => {
  it('runs a delivery once; a repeat gets the first receipt and does not run', async () => {
    // Arrange
    const { ledger } = ledgerWith();
    const key = freshKey();
    const deliver = jest.fn(async () => receipt('m-1'));

    // Act
    const first = await ledger.once(key, deliver);
    const second = await ledger.once(key, async () => receipt('m-2'));

    // Assert
    expect(first).toEqual({ repeat: false, receipt: { accepted: 1, ids: ['m-1'] } });
    expect(second).toEqual({ repeat: true, receipt: { accepted: 1, ids: ['m-1'] } });
    expect(deliver).toHaveBeenCalledTimes(1);
  });

  it('answers a concurrent copy with DeliveryInProgressError while the first is still enqueueing', async () => {
    // Arrange
    const { ledger } = ledgerWith({ inProgressSeconds: 7 });
    const key = freshKey();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = ledger.once(key, async () => {
      await gate;
      return receipt('m-1');
    });
    await sleep(200);

    // Act
    const concurrent = ledger.once(key, async () => receipt('m-2'));

    // Assert
    await expect(concurrent).rejects.toBeInstanceOf(DeliveryInProgressError);
    await expect(concurrent).rejects.toMatchObject({ retryAfterSeconds: 7 });
    release();
    await expect(first).resolves.toEqual({ repeat: false, receipt: receipt('m-1') });
  });

  it('forgets a delivery whose enqueue failed, so the sender retry is enqueued', async () => {
    // Arrange
    const { ledger } = ledgerWith();
    const key = freshKey();

    // Act
    const failed = ledger.once(key, async () => {
      throw new Error('SQS unavailable');
    });
    await expect(failed).rejects.toThrow('SQS unavailable');
    const retry = await ledger.once(key, async () => receipt('m-retry'));

    // Assert
    expect(retry).toEqual({ repeat: false, receipt: receipt('m-retry') });
  });

  it('lets a retry take over a delivery whose attempt crashed between record and enqueue, once the in-progress window is over', async () => {
    // Arrange: the first attempt records the key and never finishes (a Lambda that died).
    const { ledger } = ledgerWith({ inProgressSeconds: 1 });
    const key = freshKey();
    void ledger.once(key, () => new Promise<DeliveryReceipt>(() => undefined));
    await sleep(200);
    await expect(ledger.once(key, async () => receipt('too-early'))).rejects.toBeInstanceOf(DeliveryInProgressError);

    // Act
    await sleep(1_100);
    const retry = await ledger.once(key, async () => receipt('m-retry'));

    // Assert
    expect(retry).toEqual({ repeat: false, receipt: receipt('m-retry') });
  });

  it('runs a delivery again once the retention is over', async () => {
    // Arrange
    const { ledger } = ledgerWith({ retentionSeconds: 1 });
    const key = freshKey();
    await ledger.once(key, async () => receipt('m-1'));

    // Act
    await sleep(2_100);
    const later = await ledger.once(key, async () => receipt('m-2'));

    // Assert
    expect(later).toEqual({ repeat: false, receipt: receipt('m-2') });
  });

  it('refuses the same key with another payload as a conflict, completed or in progress, without running it', async () => {
    // Arrange
    const { ledger } = ledgerWith();
    const done = freshKey();
    const running = freshKey();
    await ledger.once(done, async () => receipt('m-1'));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const first = ledger.once(running, async () => {
      await gate;
      return receipt('m-2');
    });
    await sleep(200);
    const deliver = jest.fn(async () => receipt('m-other'));

    // Act
    const afterCompletion = ledger.once({ ...done, payloadHash: 'payload-2' }, deliver);
    const whileInProgress = ledger.once({ ...running, payloadHash: 'payload-2' }, deliver);

    // Assert
    await expect(afterCompletion).rejects.toBeInstanceOf(DeliveryConflictError);
    await expect(whileInProgress).rejects.toBeInstanceOf(DeliveryConflictError);
    expect(deliver).not.toHaveBeenCalled();
    release();
    await expect(first).resolves.toEqual({ repeat: false, receipt: receipt('m-2') });
    await expect(ledger.once(done, async () => receipt('m-3'))).resolves.toEqual({ repeat: true, receipt: receipt('m-1') });
  });

  it('records a conflicting payload under its conflict key, once: its own repeat folds', async () => {
    // Arrange
    const { ledger } = ledgerWith();
    const original = freshKey();
    await ledger.once(original, async () => receipt('m-1'));
    const other = conflictKey({ ...original, payloadHash: 'payload-2' });

    // Act
    const first = await ledger.once(other, async () => receipt('m-2'));
    const repeat = await ledger.once(other, async () => receipt('m-3'));

    // Assert
    expect(other.key).toBe(`${original.key}:payload:payload-2`);
    expect(first).toEqual({ repeat: false, receipt: receipt('m-2') });
    expect(repeat).toEqual({ repeat: true, receipt: receipt('m-2') });
  });

  it('writes one conditional put and one update per new delivery, one failed put per repeat or conflict (payload validation adds no write)', async () => {
    // Arrange: a client that records every DynamoDB write it sends. (Reads are left out: DynamoDB hands
    // the stored record back with a failed put, dynalite does not, so Powertools reads it here.)
    const client = new DynamoDBClient({ endpoint: store.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const operations: string[] = [];
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (/^(Put|Update|Delete)Item/.test(String(context.commandName))) operations.push(String(context.commandName));
        return next(args);
      },
      { step: 'initialize' },
    );
    const { ledger } = ledgerWith({ client });
    const delivery = freshKey();
    const counted = async (run: () => Promise<unknown>) => {
      operations.length = 0;
      await run().catch(() => undefined);
      return [...operations];
    };

    // Act
    const fresh = await counted(() => ledger.once(delivery, async () => receipt('m-1')));
    const repeat = await counted(() => ledger.once(delivery, async () => receipt('m-2')));
    const conflict = await counted(() => ledger.once({ ...delivery, payloadHash: 'payload-2' }, async () => receipt('m-3')));

    // Assert
    expect(fresh).toEqual(['PutItemCommand', 'UpdateItemCommand']);
    expect(repeat).toEqual(['PutItemCommand']);
    expect(conflict).toEqual(['PutItemCommand']);
    client.destroy();
  });

  it('enqueues without a record when DynamoDB cannot be reached (a duplicate beats a lost signup)', async () => {
    // Arrange: a client for a port nobody listens on.
    const unreachable = new DynamoDBClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      maxAttempts: 1,
    });
    const { ledger, lines } = ledgerWith({ client: unreachable });
    const deliver = jest.fn(async () => receipt('m-1'));

    // Act
    const result = await ledger.once(freshKey(), deliver);

    // Assert
    expect(result).toEqual({ repeat: false, receipt: receipt('m-1') });
    expect(deliver).toHaveBeenCalledTimes(1);
    expect(lines.join('\n')).toContain('delivery ledger unavailable');
    unreachable.destroy();
  });
});

describe('deliveryKey', () => {
  it('keys on the source and the sender delivery id, else on the SHA-256 of the raw body', () => {
    const body = Buffer.from('{"email":"a@example.com"}');
    expect(deliveryKey('shop', 'wh-1', body)).toBe('shop:id:wh-1');
    expect(deliveryKey('other', 'wh-1', body)).not.toBe(deliveryKey('shop', 'wh-1', body));
    expect(deliveryKey('form', undefined, body)).toBe(deliveryKey('form', ' ', Buffer.from(body)));
    expect(deliveryKey('form', undefined, body)).toMatch(/^form:body:[0-9a-f]{64}$/);
    expect(deliveryKey('form', undefined, Buffer.from('{"email":"b@example.com"}'))).not.toBe(deliveryKey('form', undefined, body));
  });

  it('hashes a payload by its content: key order and undefined fields do not matter, any value does', () => {
    const payload = { email: 'a@example.com', consent: { marketing: true }, names: ['Ada', 'Lovelace'] };
    expect(payloadHash({ names: ['Ada', 'Lovelace'], consent: { marketing: true }, email: 'a@example.com', notes: undefined })).toBe(payloadHash(payload));
    expect(payloadHash(payload)).toMatch(/^[0-9a-f]{64}$/);
    expect(payloadHash({ ...payload, email: 'b@example.com' })).not.toBe(payloadHash(payload));
    expect(payloadHash({ ...payload, names: ['Lovelace', 'Ada'] })).not.toBe(payloadHash(payload));
  });

  it('uses a signup event id only when the delivery holds one signup', () => {
    expect(singleEventId([{ event_id: 'e1' }])).toBe('e1');
    expect(singleEventId([{ event_id: 'e1' }, { event_id: 'e2' }])).toBeUndefined();
    expect(singleEventId([{}])).toBeUndefined();
  });
});

describe('enqueueOnce', () => {
  const inProgress = () => new DeliveryInProgressError(10);

  it('waits for a copy in progress to finish and answers with its receipt', async () => {
    // Arrange: the first attempt is still running for the first two looks, then it has completed.
    const { queue, messages } = fakeQueue();
    let looks = 0;
    const ledger: DeliveryLedger = {
      once: async <T extends DeliveryReceipt>() => {
        looks += 1;
        if (looks <= 2) throw inProgress();
        return { repeat: true, receipt: { accepted: 1, ids: ['m-first'] } as unknown as T };
      },
    };

    // Act
    const result = await enqueueOnce({ queue, ledger, logger: testLogger }, { key: 'k', payloadHash: 'p' }, [aSignupMessage()]);

    // Assert
    expect(result).toEqual({ repeat: true, receipt: { accepted: 1, ids: ['m-first'] } });
    expect(looks).toBe(3);
    expect(messages).toHaveLength(0);
  });

  it('answers 503 with Retry-After = the in-progress window when the other attempt does not finish within 3 s', async () => {
    // Arrange
    const { queue } = fakeQueue();
    const ledger: DeliveryLedger = {
      once: async () => {
        throw inProgress();
      },
    };
    const started = Date.now();

    // Act
    const attempt = enqueueOnce({ queue, ledger, logger: testLogger }, { key: 'k', payloadHash: 'p' }, [aSignupMessage()]);

    // Assert
    await expect(attempt).rejects.toBeInstanceOf(HttpProblemError);
    await expect(attempt).rejects.toMatchObject({ statusCode: 503, headers: { 'retry-after': '10' } });
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_900);
  });
});
