import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { Command } from 'commander';
import { readStackConfig } from '../../local/local-settings';
import { choiceOption, createCommand, numberOption, parseCommandLineSync } from '../../ops/command-line';
import { CliUsageError } from '../../ops/errors';
import { type ChaosOptions, runChaos } from './chaos-run';
import { formatReport, formatSchedule, passed } from './report';
import { runScript } from './run-script';

/**
 * `npm run chaos [-- --signups N --seed S …]`: drives N signups (default 10,000) through local mode while
 * the schedule in schedule.ts breaks BigCommerce, the token and the queue, then reconciles. Exit status:
 * 0 nothing lost, duplicated or wrongly rejected; 1 otherwise (or the queue did not settle, or a required
 * scenario did not happen); 2 bad usage.
 * docs/chaos.md describes the scenarios and the last full run.
 */

type Flags = Readonly<{
  signups: number;
  seed: number;
  duration?: number;
  timeScale: number;
  maxReceiveCount?: number;
  settleTimeout: number;
  json?: string;
  log?: string;
  sabotage?: 'lose' | 'duplicate' | 'reject';
  quiet?: boolean;
}>;

function chaosCommand(): Command {
  return createCommand('npm run chaos --')
    .usage('[options]')
    .description('Drives signups through local mode while BigCommerce, the token and the queue break, then reconciles (docs/chaos.md).')
    .option('--signups <n>', 'signups to send (at least 100)', numberOption('signups', { integer: true, min: 100 }), 10_000)
    .option('--seed <s>', "seed for the signups, the senders and the sandbox's faults", numberOption('seed', { integer: true, min: 0 }), 1)
    .option('--duration <seconds>', 'traffic phase the signups are spread over (default max(60, N / 110))', numberOption('duration', { min: 10 }))
    .option('--time-scale <x>', "BigCommerce's 150 / 30 s quota window is scaled by x (0.2: 150 / 6 s)", numberOption('time-scale', { min: 0.001 }), 0.2)
    .option(
      '--max-receive-count <k>',
      "deliveries before the DLQ (default: cdk.json's maxReceiveCount)",
      numberOption('max-receive-count', { integer: true, min: 1 }),
    )
    .option('--settle-timeout <seconds>', 'how long to wait for the queue to empty after the traffic', numberOption('settle-timeout', { min: 10 }), 300)
    .option('--json <file>', 'also write the full report as JSON')
    .option('--log <file>', "keep local mode's warnings and errors (JSON lines)")
    .option(
      '--sabotage <kind>',
      'damage the result on purpose (lose | duplicate | reject) to see the check fail',
      choiceOption('sabotage', ['lose', 'duplicate', 'reject'] as const),
    )
    .option('--quiet', 'no progress lines');
}

/** The --help text. */
export function usage(): string {
  return chaosCommand().helpInformation();
}

/** Turns argv into the run's options; throws CliUsageError on a bad flag. */
export function parseOptions(argv: readonly string[]): (ChaosOptions & { json?: string; quiet: boolean }) | 'help' {
  const command = chaosCommand();
  if (parseCommandLineSync(command, argv) === 'help') return 'help';
  const flags = command.opts<Flags>();
  const stack = readStackConfig();
  return {
    signups: flags.signups,
    seed: flags.seed,
    durationMs: (flags.duration ?? Math.max(60, flags.signups / 110)) * 1000,
    timeScale: flags.timeScale,
    maxReceiveCount: flags.maxReceiveCount ?? stack.maxReceiveCount,
    maxInFlight: 256,
    settleTimeoutMs: flags.settleTimeout * 1000,
    // The deployed 30 s sync timeout, 180 s visibility and 10 s BigCommerce timeout, shortened so that
    // redeliveries happen within the run; the proportions stay (visibility > window + timeout).
    syncTimeoutMs: 10_000,
    visibilityTimeoutSeconds: 15,
    batchingWindowMs: 1_000,
    requestTimeoutMs: 2_000,
    maxConcurrency: stack.maxConcurrency,
    ...(flags.log ? { logFile: flags.log } : {}),
    ...(flags.sabotage ? { sabotage: flags.sabotage } : {}),
    ...(flags.json ? { json: flags.json } : {}),
    quiet: flags.quiet === true,
  };
}

async function main(): Promise<number> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    process.stderr.write(`chaos: ${error.message}\n\n${usage()}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(usage());
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
