import type { SubsegmentSender } from './xray-subsegment';

/**
 * With Lambda's active tracing (cdk.json `tracing`), each AWS SDK call of a sampled invocation becomes one X-Ray
 * subsegment of the invocation's trace (retries included in it), sent by xray-subsegment.ts as the sync's
 * BigCommerce calls are. No X-Ray SDK: Powertools Tracer and aws-xray-sdk-core were a sixth of each bundle,
 * parsed at every cold start whether tracing was on or not (docs/architecture.md).
 */
export type Tracing = Readonly<{
  /** Adds the subsegment middleware to an AWS SDK v3 client (returns it unchanged when tracing is off). */
  client<T extends TraceableClient>(client: T): T;
}>;

/** What an AWS SDK v3 client offers a middleware (its `middlewareStack`), as far as this module needs it. */
export type TraceableClient = {
  middlewareStack: { add(middleware: InitializeMiddleware, options: { step: 'initialize'; name: string; override?: boolean }): void };
};

type HandlerContext = { clientName?: string; commandName?: string };
type CallOutput = { output?: { $metadata?: { httpStatusCode?: number; requestId?: string } } };
// biome-ignore lint/suspicious/noExplicitAny: the SDK's middleware types are generic over every command's input and output.
type InitializeMiddleware = (next: (args: any) => Promise<any>, context: any) => (args: any) => Promise<any>;

/** `SQSClient` -> `SQS`, `SendMessageBatchCommand` -> `SendMessageBatch`: the names X-Ray shows for AWS calls. */
const serviceOf = (context: HandlerContext) => (context.clientName ?? 'AWS').replace(/Client$/, '');
const operationOf = (context: HandlerContext) => (context.commandName ?? 'unknown').replace(/Command$/, '');

export function createTracing(send: SubsegmentSender | undefined): Tracing {
  if (!send) return { client: (client) => client };
  const middleware: InitializeMiddleware = (next, context: HandlerContext) => async (args) => {
    const startMs = Date.now();
    let status: number | undefined;
    let requestId: string | undefined;
    try {
      const result = (await next(args)) as CallOutput;
      status = result.output?.$metadata?.httpStatusCode;
      requestId = result.output?.$metadata?.requestId;
      return result;
    } catch (error) {
      const metadata = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } } | undefined)?.$metadata;
      status = metadata?.httpStatusCode;
      requestId = metadata?.requestId;
      throw error;
    } finally {
      send({ service: serviceOf(context), operation: operationOf(context), ...(requestId ? { requestId } : {}), status, startMs, endMs: Date.now() });
    }
  };
  return {
    client: (client) => {
      client.middlewareStack.add(middleware, { step: 'initialize', name: 'signupSyncXRaySubsegment', override: true });
      return client;
    },
  };
}
