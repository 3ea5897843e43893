import { createInterface } from 'node:readline/promises';
import { type CliIo, runCli } from './main';

/** The process around runCli: real streams, a confirmation prompt on a terminal, Ctrl-C as a cancel signal. */
export function main(argv: readonly string[] = process.argv.slice(2)): void {
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nsignup-sync: interrupted; finishing the current step (Ctrl-C again to force)\n');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  });
  const io: CliIo = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    progress: { isTTY: process.stderr.isTTY === true, write: (text) => process.stderr.write(text), columns: process.stderr.columns },
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    ask: async (question) => {
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        return await rl.question(question);
      } finally {
        rl.close();
      }
    },
    env: process.env,
    signal: controller.signal,
  };
  runCli(argv, io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`signup-sync: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) main();
