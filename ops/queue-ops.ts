import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { isLoopbackUrl } from './net';

/** SQS calls shared by the poller, the status page and the operator CLI. */

/** A queue URL served by AWS itself (as opposed to an emulator behind AWS_ENDPOINT_URL_SQS). */
export function isAwsQueueUrl(queueUrl: string): boolean {
  try {
    return /(^|\.)amazonaws\.com(\.cn)?$/.test(new URL(queueUrl).hostname);
  } catch {
    return false;
  }
}

/**
 * The ReceiveMessage parameters asking for every attribute. Emulators also get the legacy
 * `AttributeNames` (local-aws-sqs reads only that one); AWS gets the current parameter alone.
 */
export function receiveAttributeParameters(
  queueUrl: string,
): Pick<ReceiveMessageCommandInput, 'MessageAttributeNames' | 'MessageSystemAttributeNames' | 'AttributeNames'> {
  return {
    MessageAttributeNames: ['All'],
    MessageSystemAttributeNames: ['All'],
    ...(isAwsQueueUrl(queueUrl) ? {} : { AttributeNames: ['All'] }),
  };
}

export type ReceiveOptions = Readonly<{
  max?: number;
  waitTimeSeconds?: number;
  visibilityTimeoutSeconds?: number;
  abortSignal?: AbortSignal;
}>;

/** One ReceiveMessage, de-duplicated by MessageId (an emulator can return one message twice; the last receipt handle wins). */
export async function receiveMessages(
  sqs: SQSClient,
  queueUrl: string,
  { max = 10, waitTimeSeconds = 0, visibilityTimeoutSeconds, abortSignal }: ReceiveOptions = {},
): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: Math.max(1, Math.min(10, max)),
      WaitTimeSeconds: waitTimeSeconds,
      ...(visibilityTimeoutSeconds !== undefined ? { VisibilityTimeout: visibilityTimeoutSeconds } : {}),
      ...receiveAttributeParameters(queueUrl),
    }),
    abortSignal ? { abortSignal } : {},
  );
  return dedupeMessages(Messages);
}

export function dedupeMessages(messages: readonly Message[]): Message[] {
  const byId = new Map<string, Message>();
  for (const message of messages) {
    if (!message.MessageId || !message.ReceiptHandle) continue;
    const seen = byId.get(message.MessageId);
    byId.set(message.MessageId, seen ? { ...seen, ReceiptHandle: message.ReceiptHandle } : message);
  }
  return [...byId.values()];
}

/** DeleteMessageBatch in chunks of 10; returns the MessageIds SQS did not delete. */
export async function deleteMessages(sqs: SQSClient, queueUrl: string, messages: readonly Pick<Message, 'MessageId' | 'ReceiptHandle'>[]): Promise<string[]> {
  const failed: string[] = [];
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    const result = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle! })),
      }),
    );
    for (const failure of result.Failed ?? []) failed.push(chunk[Number(failure.Id)]?.MessageId ?? '?');
  }
  return failed;
}

/** Makes received messages visible again at once (after a peek). */
export async function releaseMessages(sqs: SQSClient, queueUrl: string, messages: readonly Pick<Message, 'ReceiptHandle'>[]): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle!, VisibilityTimeout: 0 })),
      }),
    );
  }
}

export type SelectOptions = Readonly<{
  /** Which received messages to hand over; the others are made visible again once every message was read. */
  select: (message: Message) => boolean;
  /** Read at most this many messages (default 1000). */
  max?: number;
  /** How long each read message stays hidden while the rest are read and the selected ones handled. */
  visibilityTimeoutSeconds?: number;
  signal?: AbortSignal;
}>;

/**
 * SQS cannot fetch a message by id or filter what it delivers. So: receive every message (up to `max`,
 * each hidden for the visibility timeout), keep those `select` picks, make all the others visible again
 * at once (ChangeMessageVisibility 0), hand the picked ones to `handle`, and make visible again every
 * picked one that `handle` does not report as gone (deleted or moved). Used for every operation on
 * particular dead letters (`dlq list`, `show`, `delete`, `redrive`, `trace`, and the status page), so a
 * message is never left hidden for the rest of its visibility timeout.
 *
 * An emulator may deliver one message twice (AWS short polls sample servers): messages are kept by
 * MessageId with the last receipt handle; two receives that bring nothing new end the reading.
 */
export async function withSelectedMessages<T>(
  sqs: SQSClient,
  queueUrl: string,
  { select, max = 1000, visibilityTimeoutSeconds = 120, signal }: SelectOptions,
  handle: (selected: readonly Message[]) => Promise<Readonly<{ gone: readonly Message[]; result: T }>>,
): Promise<T> {
  const seen = new Map<string, Message>();
  const aws = isAwsQueueUrl(queueUrl);
  let released = false;
  const release = async (messages: readonly Message[]) => {
    // The latest receipt handle of each: an older one no longer changes the message's visibility.
    await releaseMessages(
      sqs,
      queueUrl,
      messages.map((message) => seen.get(message.MessageId!) ?? message),
    );
  };
  try {
    let emptyReceives = 0;
    // AWS short polls sample a subset of servers: a miss is only believed twice, with a 1 s wait.
    while (seen.size < max && emptyReceives < 2 && !signal?.aborted) {
      const batch = await receiveMessages(sqs, queueUrl, { max: Math.min(10, max - seen.size), visibilityTimeoutSeconds, waitTimeSeconds: aws ? 1 : 0 });
      const fresh = batch.filter((message) => !seen.has(message.MessageId!));
      for (const message of batch) seen.set(message.MessageId!, message);
      emptyReceives = fresh.length === 0 ? emptyReceives + 1 : 0;
    }
    const all = [...seen.values()];
    const selected = all.filter(select);
    const picked = new Set(selected.map((message) => message.MessageId));
    await release(all.filter((message) => !picked.has(message.MessageId)));
    let gone: ReadonlySet<string | undefined> = new Set();
    try {
      const handled = await handle(selected);
      gone = new Set(handled.gone.map((message) => message.MessageId));
      return handled.result;
    } finally {
      released = true;
      await release(selected.filter((message) => !gone.has(message.MessageId)));
    }
  } finally {
    // Reading failed half-way: nothing was handed over, so everything read is made visible again.
    if (!released) await release([...seen.values()]).catch(() => undefined);
  }
}

/** Every message of a queue (up to `max`), read without removing any: each is visible again right after. */
export async function peekMessages(sqs: SQSClient, queueUrl: string, options: Omit<SelectOptions, 'select'> = {}): Promise<Message[]> {
  return withSelectedMessages(sqs, queueUrl, { ...options, select: () => true }, async (selected) => ({ gone: [], result: [...selected] }));
}

export type QueueDepth = Readonly<{ visible: number; inFlight: number; delayed: number }>;

/**
 * Messages waiting, being processed and delayed. local-aws-sqs counts in-flight messages in
 * ApproximateNumberOfMessages, so for it (`inFlightCountedAsVisible`) they are subtracted.
 */
export async function queueDepth(
  sqs: SQSClient,
  queueUrl: string,
  { inFlightCountedAsVisible = false }: Readonly<{ inFlightCountedAsVisible?: boolean }> = {},
): Promise<QueueDepth> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  const count = (name: string) => Number(Attributes[name as keyof typeof Attributes] ?? 0) || 0;
  const inFlight = count('ApproximateNumberOfMessagesNotVisible');
  const reported = count('ApproximateNumberOfMessages');
  return { visible: Math.max(0, inFlightCountedAsVisible ? reported - inFlight : reported), inFlight, delayed: count('ApproximateNumberOfMessagesDelayed') };
}

export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  if (!Attributes?.QueueArn) throw new Error(`GetQueueAttributes returned no QueueArn for ${queueUrl}`);
  return Attributes.QueueArn;
}

/** The region in an AWS queue URL (https://sqs.eu-west-1.amazonaws.com/…), if it is one. */
export function regionOfQueueUrl(queueUrl: string): string | undefined {
  try {
    return (
      /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(queueUrl).hostname)?.[1] ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com/.exec(new URL(queueUrl).hostname)?.[1]
    );
  } catch {
    return undefined;
  }
}

export type SqsClientOptions = Readonly<{
  /** An explicit endpoint (the embedded emulator, or one discovered from local mode). */
  endpoint?: string;
  region?: string;
  env?: Readonly<Record<string, string | undefined>>;
}>;

/**
 * An SQS client the way the functions get one, plus what a developer machine needs: a region when none
 * is configured, and placeholder credentials for a loopback emulator (which ignores them).
 * `AWS_ENDPOINT_URL_SQS` is honoured by the SDK itself.
 */
export function createSqsClient({ endpoint, region, env = process.env }: SqsClientOptions = {}): SQSClient {
  const target = endpoint ?? env['AWS_ENDPOINT_URL_SQS'] ?? env['AWS_ENDPOINT_URL'];
  const loopback = target !== undefined && isLoopbackUrl(target);
  const hasCredentials = Boolean(env['AWS_ACCESS_KEY_ID'] || env['AWS_PROFILE']);
  return new SQSClient({
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : loopback && !env['AWS_REGION'] && !env['AWS_DEFAULT_REGION'] ? { region: 'us-east-1' } : {}),
    ...(loopback && !hasCredentials ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
  });
}
