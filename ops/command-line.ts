import { Command, CommanderError } from 'commander';
import { CliUsageError } from './errors';

/**
 * The command-line conventions of the three CLIs (`signup-sync`, the BigCommerce sandbox, the chaos
 * runner), on commander: nothing is printed or exits from inside the parser, so each CLI's `runCli` runs
 * in a test without a process; a bad command line becomes one `CliUsageError` (exit 2) that names the flag.
 */

export type CommandOutput = Readonly<{ out: (text: string) => void; err: (text: string) => void }>;

const SILENT: CommandOutput = { out: () => undefined, err: () => undefined };

/**
 * A command whose help goes to `output` and whose errors are thrown, not printed (the caller prints
 * them once, with its own prefix). Subcommands created with `.command()` inherit all of it.
 */
export function createCommand(name: string, output: CommandOutput = SILENT): Command {
  return new Command(name)
    .exitOverride()
    .configureOutput({
      // Commander ends its text with a newline; the outputs add their own.
      writeOut: (text) => output.out(text.replace(/\n$/, '')),
      writeErr: (text) => output.err(text.replace(/\n$/, '')),
      outputError: () => undefined,
    })
    .helpOption('-h, --help', 'show this help')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false });
}

/** Commander's own messages start with "error: "; ours are prefixed by the CLI's name instead. */
function usageError(error: CommanderError): CliUsageError {
  return new CliUsageError(error.message.replace(/^error: /, ''), { cause: error });
}

/**
 * Parses `argv` (the user's arguments, without node and the script) and runs the chosen action.
 * Resolves 'help' when help was printed; throws CliUsageError for a bad command line.
 */
export async function parseCommandLine(command: Command, argv: readonly string[]): Promise<'help' | 'ran'> {
  try {
    await command.parseAsync([...argv], { from: 'user' });
    return 'ran';
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return 'help';
    throw usageError(error);
  }
}

/** The synchronous form, for a command without async actions. */
export function parseCommandLineSync(command: Command, argv: readonly string[]): 'help' | 'ran' {
  try {
    command.parse([...argv], { from: 'user' });
    return 'ran';
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.exitCode === 0) return 'help';
    throw usageError(error);
  }
}

export type NumberCheck = Readonly<{
  integer?: boolean;
  min?: number;
  max?: number;
  /** Exclusive lower bound: `above: 0` is "positive". */
  above?: number;
}>;

function describe({ integer = false, min, max, above }: NumberCheck): string {
  const kind = integer ? 'a whole number' : 'a number';
  if (min !== undefined && max !== undefined) return `${kind} from ${min} to ${max}`;
  if (above !== undefined) return `${kind} > ${above}`;
  if (min !== undefined) return `${kind} >= ${min}`;
  if (max !== undefined) return `${kind} <= ${max}`;
  return kind;
}

/** Checks a numeric flag value; the message names the flag and the expected range. */
export function parseNumber(flag: string, value: string, check: NumberCheck = {}): number {
  const n = Number(value);
  const ok =
    value.trim() !== '' &&
    Number.isFinite(n) &&
    (check.integer !== true || Number.isInteger(n)) &&
    (check.min === undefined || n >= check.min) &&
    (check.max === undefined || n <= check.max) &&
    (check.above === undefined || n > check.above);
  if (!ok) throw new CliUsageError(`--${flag} must be ${describe(check)}, got "${value}"`);
  return n;
}

/** An option-argument parser for commander (`.option('--max <n>', '…', numberOption('max', { integer: true, above: 0 }))`). */
export const numberOption =
  (flag: string, check: NumberCheck = {}) =>
  (value: string): number =>
    parseNumber(flag, value, check);

/** A value from a fixed list; commander's `.choices()` would say "argument 'x' is invalid", this names the flag. */
export const choiceOption =
  <T extends string>(flag: string, choices: readonly T[]) =>
  (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new CliUsageError(`--${flag} must be ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}, got "${value}"`);
    }
    return value as T;
  };

/** A repeatable flag collects its values in order. */
export const repeatable = (value: string, previous: readonly string[] | undefined): string[] => [...(previous ?? []), value];

const SINCE_UNITS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: a duration back from now (`30m`, `12h`, `7d`) or a past time (ISO 8601). */
export function parseSince(value: string, now: Date = new Date(), flag = 'since'): Date {
  const duration = /^(\d+)([mhd])$/.exec(value.trim());
  if (duration) return new Date(now.getTime() - Number(duration[1]) * SINCE_UNITS[duration[2]!]!);
  const time = Date.parse(value);
  if (/^\d{4}-\d{2}-\d{2}/.test(value) && Number.isFinite(time) && time <= now.getTime()) return new Date(time);
  throw new CliUsageError(`--${flag} must be a duration such as 30m, 12h or 7d, or a past time such as 2026-11-02T10:00Z, got "${value}"`);
}
