import { CliError, CliUsageError } from '../errors';
import { peekMessages } from '../queue-ops';
import type { Target } from '../targets';
import { formatJourney } from './format-journey';
import { parseTraceInput, traceJourney } from './journey';

/** `signup-sync trace <email | id> [--since 7d] [--json]` (docs/operations.md, "Tracing one signup"). */

export type TraceFlags = Readonly<{ since: Date; json?: boolean }>;

export const DEFAULT_TRACE_SINCE = '7d';

const UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: a duration back from now (`30m`, `12h`, `7d`) or a time (ISO 8601). */
export function parseSince(value: string, now: Date = new Date()): Date {
  const duration = /^(\d+)([mhd])$/.exec(value.trim());
  if (duration) return new Date(now.getTime() - Number(duration[1]) * UNITS[duration[2]!]!);
  const time = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(time) && time <= now.getTime()) return new Date(time);
  throw new CliUsageError(`--since must be a duration such as 30m, 12h or 7d, or a past time such as 2026-11-02T10:00Z, got "${value}"`);
}

export type TraceIo = Readonly<{ out: (text: string) => void; err: (text: string) => void }>;

export async function runTrace(value: string, flags: TraceFlags, target: Target, io: TraceIo): Promise<number> {
  const input = parseTraceInput(value);
  if (!target.traceSource) {
    throw new CliError(
      `${target.description} has no trace logs: trace needs a stack deployed with this version (outputs IngestLogGroupName, SyncLogGroupName, LogHashKeySecretArn), or local mode`,
    );
  }
  const source = await target.traceSource();
  try {
    const { sqs, deadLetterQueueUrl } = target;
    const journey = await traceJourney(input, {
      source,
      window: { since: flags.since, until: new Date() },
      ...(sqs && deadLetterQueueUrl ? { deadLetters: () => peekMessages(sqs, deadLetterQueueUrl, { visibilityTimeoutSeconds: 30 }) } : {}),
    });
    io.out(flags.json === true ? JSON.stringify(journey, null, 2) : formatJourney(journey));
    return journey.steps.length > 0 ? 0 : 1;
  } finally {
    source.close?.();
  }
}
