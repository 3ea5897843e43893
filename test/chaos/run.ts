import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readStackConfig } from '../../local/local-settings';
import { runChaos, type ChaosOptions } from './chaos-run';
import { formatReport, formatSchedule, passed } from './report';
import { runScript } from './run-script';

/**
 * `npm run chaos [-- --signups N --seed S …]`: drives N signups (default 10,000) through local mode while
 * the schedule in schedule.ts breaks BigCommerce, the token and the queue, then reconciles. Exit status:
 * 0 nothing lost, duplicated or wrongly rejected; 1 otherwise (or the queue did not settle, or a required
 * scenario did not happen); 2 bad usage.
 * docs/chaos.md describes the scenarios and the last full run.
 */

const USAGE = `Usage: npm run chaos -- [options]

  --signups N            signups to send (default 10000; at least 100)
  --seed S               seed for the signups, the senders and the sandbox's faults (default 1)
  --duration SECONDS     traffic phase the signups are spread over (default max(60, N / 110))
  --time-scale X         BigCommerce's 150 / 30 s quota window is scaled by X (default 0.2: 150 / 6 s)
  --max-receive-count K  deliveries before the DLQ (default: cdk.json's maxReceiveCount, 5)
  --settle-timeout SECONDS  how long to wait for the queue to empty after the traffic (default 300)
  --json FILE            also write the full report as JSON
  --log FILE             keep local mode's warnings and errors (JSON lines)
  --sabotage KIND        damage the result on purpose (lose | duplicate | reject) to see the check fail
  --quiet                no progress lines
`;

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function number(value: string | undefined, name: string, { min, integer = false }: { min: number; integer?: boolean }): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || (integer && !Number.isInteger(parsed))) throw new UsageError(`--${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got "${value}"`);
  return parsed;
}

export function parseOptions(argv: readonly string[]): (ChaosOptions & { json?: string; quiet: boolean }) | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      signups: { type: 'string' },
      seed: { type: 'string' },
      duration: { type: 'string' },
      'time-scale': { type: 'string' },
      'max-receive-count': { type: 'string' },
      'settle-timeout': { type: 'string' },
      json: { type: 'string' },
      log: { type: 'string' },
      sabotage: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const signups = number(values.signups, 'signups', { min: 100, integer: true }) ?? 10_000;
  const sabotage = values.sabotage;
  if (sabotage !== undefined && sabotage !== 'lose' && sabotage !== 'duplicate' && sabotage !== 'reject') throw new UsageError('--sabotage must be lose, duplicate or reject');
  const stack = readStackConfig();
  return {
    signups,
    seed: number(values.seed, 'seed', { min: 0, integer: true }) ?? 1,
    durationMs: (number(values.duration, 'duration', { min: 10 }) ?? Math.max(60, signups / 110)) * 1000,
    timeScale: number(values['time-scale'], 'time-scale', { min: 0.001 }) ?? 0.2,
    maxReceiveCount: number(values['max-receive-count'], 'max-receive-count', { min: 1, integer: true }) ?? stack.maxReceiveCount,
    maxInFlight: 256,
    settleTimeoutMs: (number(values['settle-timeout'], 'settle-timeout', { min: 10 }) ?? 300) * 1000,
    // The deployed 30 s sync timeout, 180 s visibility and 10 s BigCommerce timeout, shortened so that
    // redeliveries happen within the run; the proportions stay (visibility > window + timeout).
    syncTimeoutMs: 10_000,
    visibilityTimeoutSeconds: 15,
    batchingWindowMs: 1_000,
    requestTimeoutMs: 2_000,
    maxConcurrency: stack.maxConcurrency,
    ...(values.log ? { logFile: values.log } : {}),
    ...(sabotage ? { sabotage } : {}),
    ...(values.json ? { json: values.json } : {}),
    quiet: values.quiet ?? false,
  };
}

async function main(): Promise<number> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const { json, quiet, ...chaos } = options;
  const started = Date.now();
  const progress = quiet ? undefined : (line: string) => process.stderr.write(`chaos ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}\n`);
  process.stdout.write(`${formatSchedule(chaos.durationMs)}\n\n`);
  const report = await runChaos({ ...chaos, ...(progress ? { progress } : {}) });
  process.stdout.write(`${formatReport(report)}\n`);
  if (json) {
    mkdirSync(path.dirname(path.resolve(json)), { recursive: true });
    writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  }
  return passed(report) ? 0 : 1;
}

if (require.main === module) runScript(main);
