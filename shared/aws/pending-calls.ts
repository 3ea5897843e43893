/**
 * The AWS calls a function's SDK clients have in flight, so that an invocation that runs out of time can say
 * what it was waiting for (shared/http/problem-middleware.ts logs it). One SDK middleware per client records
 * each call from its start to its end (retries included). A Lambda environment runs one invocation at a time,
 * so there these are the invocation's own calls; local mode runs many at once in one process, and then they
 * are all of its calls.
 */
export type PendingCalls = Readonly<{
  /** The calls in flight, oldest first, e.g. `DynamoDB PutItem for 9.8 s`; at most `limit`, then how many more. */
  describe(limit?: number): string[];
  /** How many calls are in flight. */
  size(): number;
}>;

export type PendingCallRegistry = PendingCalls &
  Readonly<{
    /** For the SDK clients of one handler: records their calls (returns the client). */
    track<C extends { middlewareStack: unknown }>(client: C): C;
  }>;

/** The part of an SDK client's middleware stack used here (its generic types differ per client). */
type InitializeStack = {
  add(
    middleware: (next: (args: unknown) => Promise<unknown>, context: { clientName?: string; commandName?: string }) => (args: unknown) => Promise<unknown>,
    options: { step: 'initialize'; name: string; override?: boolean },
  ): void;
};

export function createPendingCalls(now: () => number = () => performance.now()): PendingCallRegistry {
  const calls = new Set<{ name: string; startedAt: number }>();
  const describe = (limit = 5) => {
    const at = now();
    const oldest = [...calls].sort((a, b) => a.startedAt - b.startedAt);
    const shown = oldest.slice(0, limit).map((call) => `${call.name} for ${((at - call.startedAt) / 1000).toFixed(1)} s`);
    return oldest.length > limit ? [...shown, `${oldest.length - limit} more`] : shown;
  };
  return {
    describe,
    size: () => calls.size,
    track: (client) => {
      (client.middlewareStack as InitializeStack).add(
        (next, context) => async (args) => {
          const call = {
            name: `${(context.clientName ?? 'AWS').replace(/Client$/, '')} ${(context.commandName ?? 'call').replace(/Command$/, '')}`,
            startedAt: now(),
          };
          calls.add(call);
          try {
            return await next(args);
          } finally {
            calls.delete(call);
          }
        },
        { step: 'initialize', name: 'signupSyncPendingCalls', override: true },
      );
      return client;
    },
  };
}
