import { LogFormatter, LogItem, Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type middy from '@middy/core';
import type { Logger } from '../logger';
import { dimensionsOf, type FunctionKind, METRICS, METRICS_NAMESPACE, type MetricsSink, type MetricUnitName } from './metric-names';

const UNITS = { Count: MetricUnit.Count, Milliseconds: MetricUnit.Milliseconds, None: MetricUnit.NoUnit } as const satisfies Record<MetricUnitName, string>;

/** Our Logger interface over Powertools Logger (JSON lines with Lambda context, sampling, log level). */
export function powertoolsLogger(logger: PowertoolsLogger): Logger {
  return {
    debug: (message, fields) => logger.debug(message, { ...fields }),
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
    appendKeys: (fields) => logger.appendKeys({ ...fields }),
    resetKeys: () => logger.resetKeys(),
  };
}

/**
 * Resolves a dotted path such as `requestContext.requestId` for `injectLambdaContext`'s correlationIdPath
 * (Powertools' own JMESPath search needs @aws-lambda-powertools/jmespath, which the bundles do without).
 */
export function dottedPathSearch(expression: string, data: unknown): unknown {
  let value: unknown = data;
  for (const key of expression.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Powertools' JSON line without what the log group already says: the function's ARN, name and memory size
 * are the same on every line of a function's group, and the sampling rate is not used. It keeps the level,
 * message, time, service, `cold_start` (cold starts are counted from the logs: docs/operations.md), the
 * invocation's request id and, with tracing, the X-Ray trace id. About 230 bytes fewer per line, and every
 * line is billed as log ingestion (docs/benchmarks.md).
 */
export class CompactLogFormatter extends LogFormatter {
  formatAttributes(attributes: UnformattedAttributes, additionalLogAttributes: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: attributes.lambdaContext?.coldStart,
        function_request_id: attributes.lambdaContext?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additionalLogAttributes);
  }
}

export function createPowertools(serviceName: string) {
  const logger = new PowertoolsLogger({ serviceName, correlationIdSearchFn: dottedPathSearch, logFormatter: new CompactLogFormatter() });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  return { logger, metrics };
}

/**
 * Each metric goes out at once as its own EMF document (Powertools' single metric, with the `service`
 * dimension), so no per-invocation flush is needed: the functions emit a metric only when an alarm's
 * condition happens (metric-names.ts), and a flush middleware would warn on every invocation without one.
 */
export function powertoolsMetricsSink<F extends FunctionKind>(metrics: Metrics): MetricsSink<F> {
  return {
    add(name, value, ...rest) {
      const single = metrics.singleMetric();
      for (const [key, dimension] of Object.entries(dimensionsOf(rest))) single.addDimension(key, dimension);
      single.addMetric(name, UNITS[METRICS[name].unit], value);
    },
  };
}

/**
 * For a logger given in place of Powertools Logger (local mode, tests): keys appended during one
 * invocation do not leak into the next, as `injectLambdaContext({ resetKeys: true })` does for Powertools.
 */
export function resetKeysPerInvocation<TEvent, TResult>(logger: Logger): middy.MiddlewareObj<TEvent, TResult> {
  return { before: async () => logger.resetKeys() };
}
