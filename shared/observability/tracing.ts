import type middy from '@middy/core';

/**
 * What the handlers need from tracing: SDK clients wrapped so their calls become X-Ray subsegments, and
 * the handler-segment middleware. Both come from Powertools Tracer, which is loaded only when it is on
 * (POWERTOOLS_TRACE_ENABLED, validated by the config modules): the Tracer and the X-Ray SDK behind it
 * are a fifth of each bundle and their start-up is paid at every cold start (docs/benchmarks.md). With it
 * off, Lambda's active tracing still records the function's own segment, and the sync adds one subsegment
 * per BigCommerce call itself (xray-subsegment.ts).
 */
export type Tracing = Readonly<{
  /** Wraps an AWS SDK v3 client so its calls are traced (returns it unchanged when tracing is off). */
  client<T>(client: T): T;
  /** The handler-segment middleware, or none. */
  middlewares: middy.MiddlewareObj[];
  /** Whether Powertools Tracer (and aws-xray-sdk-core) were loaded. */
  powertools: boolean;
}>;

export function createTracing(serviceName: string, options: Readonly<{ powertools: boolean }>): Tracing {
  if (!options.powertools) return { client: (client) => client, middlewares: [], powertools: false };
  // A require() in the function, not an import at the top: esbuild then evaluates the Tracer's module (and
  // aws-xray-sdk-core's) on this call only, so a function with tracing off never runs that code.
  const { Tracer } = require('@aws-lambda-powertools/tracer') as typeof import('@aws-lambda-powertools/tracer');
  const { captureLambdaHandler } = require('@aws-lambda-powertools/tracer/middleware') as typeof import('@aws-lambda-powertools/tracer/middleware');
  const tracer = new Tracer({ serviceName });
  return {
    // Powertools' signature is loose (any client with a middleware stack); ours keeps the caller's type.
    client: <T>(client: T): T => tracer.captureAWSv3Client(client as Parameters<typeof tracer.captureAWSv3Client>[0]) as T,
    middlewares: [captureLambdaHandler(tracer)],
    powertools: true,
  };
}
