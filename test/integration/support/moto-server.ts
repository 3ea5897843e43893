import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';

/**
 * moto's standalone server (SQS and Secrets Manager over their real wire protocols), started from the
 * project-local .venv that test/integration/python-tools.sh installs. One server per test file, on a
 * free loopback port. If it cannot start, the suite fails with the reason; it never skips.
 */

const ROOT = path.resolve(__dirname, '../../..');
export const MOTO_SERVER_BIN = process.env.MOTO_SERVER_BIN ?? path.join(ROOT, '.venv/bin/moto_server');
const INSTALL_HINT = 'Run `bash test/integration/python-tools.sh` (installs moto[server] into .venv) and try again.';

export class MotoStartError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MotoStartError';
  }
}

export type MotoServer = Readonly<{
  endpoint: string;
  port: number;
  /** The server's recent output, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}>;

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function startOnce(port: number, timeoutMs: number): Promise<MotoServer> {
  const lines: string[] = [];
  const child = spawn(MOTO_SERVER_BIN, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    lines.splice(0, Math.max(0, lines.length - 200));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  // A test process that dies without afterAll must not leave the server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));

  const endpoint = `http://127.0.0.1:${port}`;
  const output = () => lines.join('\n');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (spawnError) throw new MotoStartError(`could not run ${MOTO_SERVER_BIN}: ${spawnError.message}. ${INSTALL_HINT}`, { cause: spawnError });
    if (child.exitCode !== null) throw new MotoStartError(`moto_server exited with code ${child.exitCode} before it was ready:\n${output()}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return { endpoint, port, output, stop: () => stopProcess(child) };
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  await stopProcess(child);
  throw new MotoStartError(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${output()}`);
}

/** Starts moto_server on a free 127.0.0.1 port and waits until it answers. */
export async function startMotoServer({ timeoutMs = 30_000 }: { timeoutMs?: number } = {}): Promise<MotoServer> {
  if (!existsSync(MOTO_SERVER_BIN)) throw new MotoStartError(`moto_server not found at ${MOTO_SERVER_BIN}. ${INSTALL_HINT}`);
  // Another process may take the free port between our probe and moto's bind: try a fresh port then.
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(await freeLoopbackPort(), timeoutMs);
    } catch (error) {
      const portTaken = error instanceof MotoStartError && /address already in use/i.test(error.message);
      if (!portTaken || attempt >= 3) throw error;
    }
  }
}
