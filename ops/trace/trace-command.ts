import { parseSince } from '../command-line';
import { CliError } from '../errors';
import { peekMessages } from '../queue-ops';
import type { Target } from '../targets';
import { formatJourney } from './format-journey';
import { parseTraceInput, traceJourney } from './journey';

/** `signup-sync trace <email | id> [--since 7d] [--json]` (docs/operations.md, "Tracing one signup"). */

export type TraceFlags = Readonly<{ since: Date; json?: boolean }>;

export const DEFAULT_TRACE_SINCE = '7d';

export { parseSince };

export type TraceIo = Readonly<{ out: (text: string) => void; err: (text: string) => void }>;

export async function runTrace(value: string, flags: TraceFlags, target: Target, io: TraceIo): Promise<number> {
  const input = parseTraceInput(value);
  if (!target.traceSource) {
    throw new CliError(
      `${target.description} has no trace logs: trace needs a stack deployed with this version (outputs IngestLogGroupName, SyncLogGroupName, HashKeySecretArn), or local mode`,
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
