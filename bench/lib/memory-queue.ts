import type { MessageAttributeValue } from '@aws-sdk/client-sqs';

/**
 * An in-memory SQS standard queue with the parts of SQS's contract the sync depends on: a visibility
 * timeout per receive, a fresh receipt handle per receive (a stale handle deletes nothing), receive
 * counts, ChangeMessageVisibility, and a redrive policy that moves a message to the dead-letter list on
 * the receive after its `maxReceiveCount`-th one (as SQS does). Times are real milliseconds.
 */
export type QueuedMessage = {
  readonly messageId: string;
  readonly body: string;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  readonly enqueuedAt: number;
  receiveCount: number;
  visibleAt: number;
  receiptHandle: string | undefined;
  firstReceivedAt: number | undefined;
};

export type ReceivedMessage = Readonly<{
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Readonly<Record<string, MessageAttributeValue>>;
  receiveCount: number;
  enqueuedAt: number;
  firstReceivedAt: number;
}>;

export type DeadLetter = Readonly<{ messageId: string; body: string; reason: string; at: number }>;

export type MemoryQueueOptions = Readonly<{
  /** The queue's default visibility timeout (ms). */
  visibilityTimeoutMs: number;
  maxReceiveCount: number;
  now?: () => number;
}>;

export class MemoryQueue {
  private readonly messages = new Map<string, QueuedMessage>();
  /** Arrival order; deleted ids are skipped lazily. */
  private order: string[] = [];
  private cursor = 0;
  private handleCounter = 0;
  private readonly waiters = new Set<() => void>();
  private readonly now: () => number;
  readonly deadLetters: DeadLetter[] = [];
  readonly counters = { received: 0, deleted: 0, staleDeletes: 0, visibilityChanges: 0, redriven: 0 };

  constructor(private readonly options: MemoryQueueOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  get size(): number {
    return this.messages.size;
  }

  send(messageId: string, body: string, attributes: Readonly<Record<string, MessageAttributeValue>>): void {
    this.messages.set(messageId, {
      messageId,
      body,
      attributes,
      enqueuedAt: this.now(),
      receiveCount: 0,
      visibleAt: 0,
      receiptHandle: undefined,
      firstReceivedAt: undefined,
    });
    this.order.push(messageId);
    this.wake();
  }

  /** Up to `max` visible messages, made invisible for the visibility timeout. */
  receive(max: number): ReceivedMessage[] {
    const now = this.now();
    const batch: ReceivedMessage[] = [];
    this.compact();
    for (let index = this.cursor; index < this.order.length && batch.length < max; index += 1) {
      const message = this.messages.get(this.order[index]!);
      if (!message || message.visibleAt > now) continue;
      if (message.receiveCount >= this.options.maxReceiveCount) {
        // SQS moves it on the receive that would exceed maxReceiveCount.
        this.messages.delete(message.messageId);
        this.deadLetters.push({
          messageId: message.messageId,
          body: message.body,
          reason: `maxReceiveCount (${this.options.maxReceiveCount}) exceeded`,
          at: now,
        });
        this.counters.redriven += 1;
        continue;
      }
      message.receiveCount += 1;
      message.visibleAt = now + this.options.visibilityTimeoutMs;
      this.handleCounter += 1;
      message.receiptHandle = `rh-${message.messageId}-${this.handleCounter}`;
      message.firstReceivedAt ??= now;
      this.counters.received += 1;
      batch.push({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
        body: message.body,
        attributes: message.attributes,
        receiveCount: message.receiveCount,
        enqueuedAt: message.enqueuedAt,
        firstReceivedAt: message.firstReceivedAt,
      });
    }
    return batch;
  }

  delete(receiptHandle: string): void {
    const message = this.byHandle(receiptHandle);
    if (!message) {
      this.counters.staleDeletes += 1;
      return;
    }
    this.messages.delete(message.messageId);
    this.counters.deleted += 1;
  }

  /** ChangeMessageVisibility: visible again `ms` from now (0 = at once). A stale handle changes nothing. */
  changeVisibility(receiptHandle: string, ms: number): void {
    const message = this.byHandle(receiptHandle);
    if (!message) return;
    message.visibleAt = this.now() + ms;
    this.counters.visibilityChanges += 1;
    if (ms <= 0) this.wake();
  }

  /** Milliseconds until some message becomes visible (0 = now), or undefined when the queue is empty. */
  msUntilVisible(): number | undefined {
    if (this.messages.size === 0) return undefined;
    const now = this.now();
    let earliest = Infinity;
    for (const message of this.messages.values()) {
      if (message.visibleAt <= now) return 0;
      earliest = Math.min(earliest, message.visibleAt - now);
    }
    return earliest;
  }

  visibleCount(): number {
    const now = this.now();
    let count = 0;
    for (const message of this.messages.values()) if (message.visibleAt <= now) count += 1;
    return count;
  }

  /** Resolves when a message is sent or made visible at once, or after `ms`. */
  waitForMessages(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  private byHandle(receiptHandle: string): QueuedMessage | undefined {
    const messageId = /^rh-(.*)-\d+$/.exec(receiptHandle)?.[1];
    const message = messageId === undefined ? undefined : this.messages.get(messageId);
    return message?.receiptHandle === receiptHandle ? message : undefined;
  }

  /** Drops deleted ids from the front of the arrival order so a long drain stays O(n). */
  private compact(): void {
    while (this.cursor < this.order.length && !this.messages.has(this.order[this.cursor]!)) this.cursor += 1;
    if (this.cursor > 4096 && this.cursor > this.order.length / 2) {
      this.order = this.order.slice(this.cursor).filter((id) => this.messages.has(id));
      this.cursor = 0;
    }
  }
}
