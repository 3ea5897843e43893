import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export type LocalContextOptions = Readonly<{
  functionName: string;
  /** The function's timeout: getRemainingTimeInMillis counts down from it. */
  timeoutMs: number;
  region: string;
  memoryLimitInMB?: number;
  now?: () => number;
}>;

/** A Lambda Context for one local invocation, with a deadline like the real one. */
export function createLambdaContext({ functionName, timeoutMs, region, memoryLimitInMB = 256, now = Date.now }: LocalContextOptions): Context {
  const deadline = now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:123456789012:function:${functionName}`,
    memoryLimitInMB: String(memoryLimitInMB),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export class FunctionTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
    this.name = 'FunctionTimeoutError';
  }
}

/**
 * Runs an invocation with the function's timeout, like Lambda: past the deadline the invocation counts
 * as failed. (Lambda freezes the sandbox; locally the promise keeps running unobserved, so its late
 * effects may still happen. The sync never deletes messages itself, so this only costs a redelivery.)
 */
export async function withTimeout<T>(run: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new FunctionTimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    return await Promise.race([run, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
