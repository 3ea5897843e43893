import { captureWrite } from './log-capture';

/**
 * Runs `action` with the console and process.stdout/stderr held back from the terminal (they still reach
 * the log capture that test/log-scan reads), and returns what was written, so a test can assert an
 * expected warning instead of printing it into every passing run.
 */
export function withQuietOutput<T>(action: () => T): { result: T; output: string } {
  const chunks: string[] = [];
  const hold = (text: string) => {
    chunks.push(text);
    captureWrite(text);
  };
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const;
  const consoleBefore = methods.map((method) => console[method]);
  const writesBefore = [process.stdout.write, process.stderr.write];
  for (const method of methods)
    console[method] = (...args: unknown[]) => hold(args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
  for (const stream of [process.stdout, process.stderr]) {
    stream.write = ((chunk: unknown) => {
      hold(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    }) as typeof stream.write;
  }
  try {
    return { result: action(), output: chunks.join('\n') };
  } finally {
    methods.forEach((method, index) => {
      console[method] = consoleBefore[index]!;
    });
    [process.stdout.write, process.stderr.write] = writesBefore as [typeof process.stdout.write, typeof process.stderr.write];
  }
}
