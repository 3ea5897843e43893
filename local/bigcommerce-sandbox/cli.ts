import { parseArgs } from 'node:util';
import { CliUsageError, SandboxOptionsError } from './errors';
import { startBigCommerceSandbox } from './server';
import type { BigCommerceSandbox, FaultConfig, SandboxOptions } from './types';

// Runs the sandbox as its own process, e.g.
//   npx tsx local/bigcommerce-sandbox/cli.ts --port 4010 --quota 150 --window-ms 30000 --time-scale 1 \
//     --batch-422 partial --fault-rate 0.05 --latency-ms 20 --seed 1
// A running sandbox is driven through its control API (/__sandbox/*).

export const CLI_DEFAULT_PORT = 4010;

export const USAGE = `Usage: bigcommerce-sandbox [flags]

  --host <addr>              interface to listen on (default 127.0.0.1)
  --port <n>                 port, 0 = random (default ${CLI_DEFAULT_PORT})
  --store-hash <hash>        store hash in /stores/{hash}/v3 (default sandbox)
  --token <t>                accepted X-Auth-Token, repeatable (default sandbox-token)
  --read-only-token <t>      token without the modify scope (403 on writes), repeatable
  --quota <n>                requests per window (default 150)
  --window-ms <ms>           quota window (default 30000)
  --no-rate-limit            no quota and no X-Rate-Limit-* headers
  --time-scale <x>           real window = window-ms * x (default 1)
  --batch-422 <mode>         atomic | partial (default atomic)
  --vague-422                422 errors never name the failing item
  --shuffle-responses        200 data not in request order
  --reject-emails <regex>    emails refused with a 422 (case-insensitive)
  --fault-rate <0..1>        probability of a fault per write request
  --fault-kinds <list>       comma list of 500,502,503,504,429,413,hang,reset,revoked-401,created-then-500
  --fault-methods <list>     comma list of GET,POST,PUT (default POST,PUT)
  --latency-ms <ms>          added before every API answer
  --channels <list>          comma list of channel ids (default 1)
  --seed <n>                 PRNG seed for faults and shuffles
  --help                     this text
`;

function number(flag: string, value: string | undefined, check: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new CliUsageError(`--${flag} must be a number, got "${value}"`);
  if (check.integer === true && !Number.isInteger(n)) throw new CliUsageError(`--${flag} must be an integer, got "${value}"`);
  if (check.min !== undefined && n < check.min) throw new CliUsageError(`--${flag} must be >= ${check.min}, got ${value}`);
  if (check.max !== undefined && n > check.max) throw new CliUsageError(`--${flag} must be <= ${check.max}, got ${value}`);
  return n;
}

function list(value: string | undefined): string[] | undefined {
  return value?.split(',').map((item) => item.trim()).filter((item) => item !== '');
}

/** Turns argv (without node and the script) into sandbox options; throws CliUsageError on a bad flag. */
export function parseCliArgs(argv: readonly string[]): SandboxOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'store-hash': { type: 'string' },
        token: { type: 'string', multiple: true },
        'read-only-token': { type: 'string', multiple: true },
        quota: { type: 'string' },
        'window-ms': { type: 'string' },
        'no-rate-limit': { type: 'boolean' },
        'time-scale': { type: 'string' },
        'batch-422': { type: 'string' },
        'vague-422': { type: 'boolean' },
        'shuffle-responses': { type: 'boolean' },
        'reject-emails': { type: 'string' },
        'fault-rate': { type: 'string' },
        'fault-kinds': { type: 'string' },
        'fault-methods': { type: 'string' },
        'latency-ms': { type: 'string' },
        channels: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    // parseArgs names the flag in its message ("Unknown option '--x'", "Option '--port <value>' argument missing").
    throw new CliUsageError((error as Error).message, { cause: error });
  }
  if (values.help === true) return 'help';

  const options: SandboxOptions = { port: number('port', values.port, { integer: true, min: 0, max: 65535 }) ?? CLI_DEFAULT_PORT };
  if (values.host !== undefined) options.host = values.host;
  if (values['store-hash'] !== undefined) options.storeHash = values['store-hash'];
  if (values.token !== undefined) options.tokens = values.token;
  if (values['read-only-token'] !== undefined) options.readOnlyTokens = values['read-only-token'];

  const quota = number('quota', values.quota, { integer: true, min: 1 });
  const windowMs = number('window-ms', values['window-ms'], { min: 1 });
  if (values['no-rate-limit'] === true) {
    if (quota !== undefined || windowMs !== undefined) throw new CliUsageError('--no-rate-limit cannot be combined with --quota or --window-ms');
    options.rateLimit = false;
  } else if (quota !== undefined || windowMs !== undefined) {
    options.rateLimit = { quota: quota ?? 150, windowMs: windowMs ?? 30_000 };
  }
  const timeScale = number('time-scale', values['time-scale']);
  if (timeScale !== undefined) {
    if (timeScale <= 0) throw new CliUsageError(`--time-scale must be > 0, got ${timeScale}`);
    options.timeScale = timeScale;
  }

  const batch422 = values['batch-422'];
  if (batch422 !== undefined) {
    if (batch422 !== 'atomic' && batch422 !== 'partial') throw new CliUsageError(`--batch-422 must be atomic or partial, got "${batch422}"`);
    options.batch422 = batch422;
  }
  if (values['vague-422'] === true) options.vague422 = true;
  if (values['shuffle-responses'] === true) options.shuffleResponses = true;
  if (values['reject-emails'] !== undefined) {
    try {
      options.rejectEmails = new RegExp(values['reject-emails'], 'i');
    } catch (error) {
      throw new CliUsageError(`--reject-emails is not a valid regular expression: ${(error as Error).message}`);
    }
  }

  const faults: FaultConfig = {};
  const rate = number('fault-rate', values['fault-rate'], { min: 0, max: 1 });
  if (rate !== undefined) faults.rate = rate;
  const latencyMs = number('latency-ms', values['latency-ms'], { min: 0 });
  if (latencyMs !== undefined) faults.latencyMs = latencyMs;
  const kinds = list(values['fault-kinds']);
  // Kinds and methods are checked by the options schema, which names the bad entry.
  if (kinds !== undefined) faults.kinds = kinds.map((kind) => (/^\d+$/.test(kind) ? Number(kind) : kind)) as FaultConfig['kinds'];
  const methods = list(values['fault-methods']);
  if (methods !== undefined) faults.methods = methods.map((m) => m.toUpperCase()) as FaultConfig['methods'];
  if (Object.keys(faults).length > 0) options.faults = faults;

  const channels = list(values.channels);
  if (channels !== undefined) options.channels = channels.map((c) => number('channels', c, { integer: true, min: 1 }) as number);
  const seed = number('seed', values.seed, { integer: true });
  if (seed !== undefined) options.seed = seed;
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
    io.out(USAGE);
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
