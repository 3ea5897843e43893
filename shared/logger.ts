/**
 * A small structured logger: one JSON line per call, with keys that stay for the invocation.
 * Callers pass ids, counts and reasons only; never tokens, emails, names or bodies.
 * The Lambdas log through Powertools Logger behind this interface (shared/observability/powertools.ts);
 * createLogger serves local mode, the tools and tests.
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
    // A SyntaxError from JSON.parse quotes the input it choked on: a request body, i.e. personal data.
    const message = error instanceof SyntaxError ? undefined : error.message;
    return {
      errorName: error.name,
      ...(message !== undefined ? { errorMessage: message } : {}),
      ...('retryable' in error ? { retryable: error.retryable } : {}),
    };
  }
  return { errorName: typeof error };
}

export type LogFormat = 'json' | 'pretty';

/** One readable line for a terminal: time, level, service, message, then key=value pairs. */
function prettyLine(entry: Record<string, unknown>): string {
  const { level, timestamp, service, message, ...rest } = entry;
  const pairs = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [String(timestamp).slice(11, 23), String(level).padEnd(5), `[${String(service)}]`, message, ...pairs].join(' ');
}

export function createLogger(
  service: string,
  {
    level = (process.env.LOG_LEVEL?.toLowerCase() as Level | undefined) ?? 'info',
    format = 'json',
    write = (line: string) => process.stdout.write(`${line}\n`),
    observe,
  }: {
    level?: Level;
    format?: LogFormat;
    write?: (line: string) => void;
    /** Sees every entry at info and above whatever `level` says (local mode's trace log: local/trace/trace-log.ts). */
    observe?: (entry: Readonly<Record<string, unknown>>) => void;
  } = {},
): Logger {
  let keys: LogFields = {};
  const threshold = LEVELS[level] ?? LEVELS.info;
  const log = (lvl: Level, message: string, fields?: LogFields) => {
    const below = LEVELS[lvl] < threshold;
    if (below && (observe === undefined || LEVELS[lvl] < LEVELS.info)) return;
    const entry = { level: lvl.toUpperCase(), timestamp: new Date().toISOString(), service, message, ...keys, ...fields };
    observe?.(entry);
    if (!below) write(format === 'pretty' ? prettyLine(entry) : JSON.stringify(entry));
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
