/**
 * A small structured logger: one JSON line per call, with keys that stay for the invocation.
 * Callers pass ids, counts and reasons only; never tokens, emails, names or bodies.
 * (Issue "Observability" swaps this for Powertools Logger behind the same interface.)
 */
export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  appendKeys(fields: LogFields): void;
  resetKeys(): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
type Level = keyof typeof LEVELS;

export function describeError(error: unknown): LogFields {
  if (error instanceof Error) {
    return { errorName: error.name, errorMessage: error.message, ...('retryable' in error ? { retryable: error.retryable } : {}) };
  }
  return { errorName: typeof error };
}

export function createLogger(
  service: string,
  { level = (process.env.LOG_LEVEL?.toLowerCase() as Level | undefined) ?? 'info', write = (line: string) => process.stdout.write(`${line}\n`) }: { level?: Level; write?: (line: string) => void } = {},
): Logger {
  let keys: LogFields = {};
  const threshold = LEVELS[level] ?? LEVELS.info;
  const log = (lvl: Level, message: string, fields?: LogFields) => {
    if (LEVELS[lvl] < threshold) return;
    write(JSON.stringify({ level: lvl.toUpperCase(), timestamp: new Date().toISOString(), service, message, ...keys, ...fields }));
  };
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
    appendKeys: (fields) => {
      keys = { ...keys, ...fields };
    },
    resetKeys: () => {
      keys = {};
    },
  };
}

/** A logger that drops everything (tests that do not look at logs). */
export const silentLogger: Logger = createLogger('silent', { write: () => undefined });
