import { type Command, Option } from 'commander';
import { choiceOption, createCommand, numberOption, parseCommandLineSync, repeatable } from '../../ops/command-line';
import { CliUsageError } from '../../ops/errors';
import { SandboxOptionsError } from './errors';
import { startBigCommerceSandbox } from './server';
import type { BigCommerceSandbox, FaultConfig, SandboxOptions } from './types';

// Runs the sandbox as its own process, e.g.
//   npx tsx local/bigcommerce-sandbox/cli.ts --port 4010 --quota 150 --window-ms 30000 --time-scale 1 \
//     --batch-422 partial --fault-rate 0.05 --latency-ms 20 --seed 1
// A running sandbox is driven through its control API (/__sandbox/*).

export const CLI_DEFAULT_PORT = 4010;

type Flags = Readonly<{
  host?: string;
  port: number;
  storeHash?: string;
  token?: string[];
  readOnlyToken?: string[];
  quota?: number;
  windowMs?: number;
  /** false with --no-rate-limit. */
  rateLimit: boolean;
  timeScale?: number;
  batch422?: 'atomic' | 'partial';
  vague422?: boolean;
  shuffleResponses?: boolean;
  rejectEmails?: RegExp;
  faultRate?: number;
  faultKinds?: string[];
  faultMethods?: string[];
  latencyMs?: number;
  channels?: number[];
  seed?: number;
}>;

const list = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

function sandboxCommand(): Command {
  return createCommand('bigcommerce-sandbox')
    .usage('[flags]')
    .description('A BigCommerce Customers v3 test double on loopback; drive a running one through its control API (/__sandbox/*).')
    .option('--host <addr>', 'interface to listen on (default 127.0.0.1)')
    .option('--port <n>', 'port, 0 = random', numberOption('port', { integer: true, min: 0, max: 65535 }), CLI_DEFAULT_PORT)
    .option('--store-hash <hash>', 'store hash in /stores/{hash}/v3 (default sandbox)')
    .option('--token <t>', 'accepted X-Auth-Token, repeatable (default sandbox-token)', repeatable)
    .option('--read-only-token <t>', 'token without the modify scope (403 on writes), repeatable', repeatable)
    .option('--quota <n>', 'requests per window (default 150)', numberOption('quota', { integer: true, min: 1 }))
    .option('--window-ms <ms>', 'quota window (default 30000)', numberOption('window-ms', { min: 1 }))
    .addOption(new Option('--no-rate-limit', 'no quota and no X-Rate-Limit-* headers').conflicts(['quota', 'windowMs']))
    .option('--time-scale <x>', 'real window = window-ms * x (default 1)', numberOption('time-scale', { above: 0 }))
    .option('--batch-422 <mode>', 'atomic | partial (default atomic)', choiceOption('batch-422', ['atomic', 'partial'] as const))
    .option('--vague-422', '422 errors never name the failing item')
    .option('--shuffle-responses', '200 data not in request order')
    .option('--reject-emails <regex>', 'emails refused with a 422 (case-insensitive)', (value: string) => {
      try {
        return new RegExp(value, 'i');
      } catch (error) {
        throw new CliUsageError(`--reject-emails is not a valid regular expression: ${(error as Error).message}`);
      }
    })
    .option('--fault-rate <0..1>', 'probability of a fault per write request', numberOption('fault-rate', { min: 0, max: 1 }))
    .option('--fault-kinds <list>', 'comma list of 500,502,503,504,429,413,hang,reset,revoked-401,created-then-500', list)
    .option('--fault-methods <list>', 'comma list of GET,POST,PUT (default POST,PUT)', list)
    .option('--latency-ms <ms>', 'added before every API answer', numberOption('latency-ms', { min: 0 }))
    .option('--channels <list>', 'comma list of channel ids (default 1)', (value: string) =>
      list(value).map((id) => numberOption('channels', { integer: true, min: 1 })(id)),
    )
    .option('--seed <n>', 'PRNG seed for faults and shuffles', numberOption('seed', { integer: true }));
}

/** The --help text. */
export function usage(): string {
  return sandboxCommand().helpInformation().trimEnd();
}

/** Turns argv (without node and the script) into sandbox options; throws CliUsageError on a bad flag. */
export function parseCliArgs(argv: readonly string[]): SandboxOptions | 'help' {
  const command = sandboxCommand();
  if (parseCommandLineSync(command, argv) === 'help') return 'help';
  const flags = command.opts<Flags>();

  const options: SandboxOptions = { port: flags.port };
  if (flags.host !== undefined) options.host = flags.host;
  if (flags.storeHash !== undefined) options.storeHash = flags.storeHash;
  if (flags.token !== undefined) options.tokens = flags.token;
  if (flags.readOnlyToken !== undefined) options.readOnlyTokens = flags.readOnlyToken;
  if (!flags.rateLimit) options.rateLimit = false;
  else if (flags.quota !== undefined || flags.windowMs !== undefined) options.rateLimit = { quota: flags.quota ?? 150, windowMs: flags.windowMs ?? 30_000 };
  if (flags.timeScale !== undefined) options.timeScale = flags.timeScale;
  if (flags.batch422 !== undefined) options.batch422 = flags.batch422;
  if (flags.vague422 === true) options.vague422 = true;
  if (flags.shuffleResponses === true) options.shuffleResponses = true;
  if (flags.rejectEmails !== undefined) options.rejectEmails = flags.rejectEmails;

  const faults: FaultConfig = {};
  if (flags.faultRate !== undefined) faults.rate = flags.faultRate;
  if (flags.latencyMs !== undefined) faults.latencyMs = flags.latencyMs;
  // Kinds and methods are checked by the options schema, which names the bad entry.
  if (flags.faultKinds !== undefined) faults.kinds = flags.faultKinds.map((kind) => (/^\d+$/.test(kind) ? Number(kind) : kind)) as FaultConfig['kinds'];
  if (flags.faultMethods !== undefined) faults.methods = flags.faultMethods.map((method) => method.toUpperCase()) as FaultConfig['methods'];
  if (Object.keys(faults).length > 0) options.faults = faults;

  if (flags.channels !== undefined) options.channels = flags.channels;
  if (flags.seed !== undefined) options.seed = flags.seed;
  return options;
}

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Starts the sandbox from argv; resolves with it (or null for --help). Throws CliUsageError / SandboxOptionsError. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<BigCommerceSandbox | null> {
  const options = parseCliArgs(argv);
  if (options === 'help') {
    io.out(usage());
    return null;
  }
  const sandbox = await startBigCommerceSandbox(options);
  io.out(`url: ${sandbox.url}`);
  io.out(`store hash: ${sandbox.storeHash}`);
  io.out(`token: ${sandbox.token}`);
  return sandbox;
}

async function main(): Promise<void> {
  const io: CliIo = { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) };
  let sandbox: BigCommerceSandbox | null;
  try {
    sandbox = await runCli(process.argv.slice(2), io);
  } catch (error) {
    if (error instanceof CliUsageError || error instanceof SandboxOptionsError) {
      io.err(`bigcommerce-sandbox: ${error.message}\nRun with --help for the flags.`);
      process.exitCode = 2;
      return;
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      io.err(`bigcommerce-sandbox: cannot listen (${code}): ${(error as Error).message}`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
  if (sandbox === null) return;
  const running = sandbox;
  const stop = (signal: NodeJS.Signals) => {
    io.err(`bigcommerce-sandbox: ${signal}, stopping`);
    // close() also ends hanging requests and keep-alive sockets, so the process exits by itself.
    void running.close();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
