import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { loadExamples } from '../../local/demo/examples';
import { waitFor } from './support';

jest.setTimeout(90_000);

/**
 * `npm start` as a supervisor runs it: no terminal (stdio pipes, no stdin), the fixed ports, and
 * SIGINT or SIGTERM sent to the npm process itself (not its process group), or to local mode's node. Everything must stop: the batch
 * the pollers hold is synced first, and ports 3000, 4010 and 9324 are free within 10 s.
 */

const root = path.join(__dirname, '../..');
const PORTS = [3000, 4010, 9324] as const;

/** Resolves true when nothing listens on 127.0.0.1:`port` (binding it succeeds). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

type StartLine = { apiUrl: string; apiToken: string; statusUrl: string; sandboxUrl: string; examples: { kind: string; example: string }[] };
type LogLine = { message?: string; level?: string; [key: string]: unknown };

describe('npm start under a supervisor', () => {
  let npm: ReturnType<typeof spawn> | undefined;

  afterEach(() => {
    // Only if the test failed half-way: kill what is left, the whole group.
    if (npm?.pid !== undefined && npm.exitCode === null && npm.signalCode === null) {
      try {
        process.kill(-npm.pid, 'SIGKILL');
      } catch {
        npm.kill('SIGKILL');
      }
    }
  });

  it.each([
    ['SIGINT', 'npm'],
    ['SIGTERM', 'npm'],
    ['SIGTERM', 'node'],
  ] as const)('stops on %s to the %s process without a terminal: batch in hand synced, ports 3000, 4010 and 9324 free within 10 s', async (signal, target) => {
    // Arrange: the fixed ports must be free, or this test proves nothing
    const taken = [];
    for (const port of PORTS) if (!(await isFree(port))) taken.push(port);
    if (taken.length > 0)
      throw new Error(`port(s) ${taken.join(', ')} in use before the test started: stop whatever listens there (another npm start?) and run again`);
    const env: Record<string, string | undefined> = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    for (const name of [
      'PORT',
      'SQS_PORT',
      'SANDBOX_PORT',
      'AWS_ENDPOINT_URL_SQS',
      'BIGCOMMERCE_STORE_HASH',
      'BIGCOMMERCE_TOKEN',
      'LOCAL_SOURCES',
      'LOCAL_API_SECRET',
    ])
      delete env[name];
    // detached: its own process group, so the signal below reaches one process alone, as from a supervisor.
    const child = spawn('npm', ['start'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    npm = child;
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // 'close': the process has exited and its output is read to the end.
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    const jsonLines = (): LogLine[] =>
      stdout.split('\n').flatMap((line) => {
        try {
          return line.startsWith('{') ? [JSON.parse(line) as LogLine] : [];
        } catch {
          return [];
        }
      });
    const start = (await waitFor(() => jsonLines().find((line) => line.message === 'local mode is running'), {
      timeoutMs: 45_000,
      what: `the start line (stderr: ${stderr})`,
    })) as unknown as StartLine;

    // Act: one signup, held by a poller in its batching window (cdk.json: 5 s), then SIGINT to npm
    const response = await fetch(`${start.apiUrl}/signups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${start.apiToken}` },
      body: JSON.stringify({ email: 'supervised@example.com', first_name: 'Super', last_name: 'Vised' }),
    });
    const accepted = (await response.json()) as { ids: string[] };
    await waitFor(
      async () => {
        const status = (await (await fetch(`${start.apiUrl}/_local/api/status`)).json()) as {
          queues?: { signups: { inFlight: number } };
          outcomes: { created: number };
        };
        return status.queues?.signups.inFlight === 1 && status.outcomes.created === 0;
      },
      { what: 'the signup held by a poller', timeoutMs: 10_000, intervalMs: 20 },
    );
    const signalledAt = Date.now();
    // npm's script is `exec node …`: its only child is local mode's node process.
    const pid =
      target === 'npm'
        ? child.pid!
        : Number(
            execFileSync('pgrep', ['-P', String(child.pid)])
              .toString()
              .trim(),
          );
    process.kill(pid, signal);
    const freed = await waitFor(async () => ((await Promise.all(PORTS.map(isFree))).every(Boolean) ? Date.now() : undefined), {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'ports 3000, 4010 and 9324 to be free',
    });
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([exited, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 5_000)))]);
    clearTimeout(timer);

    // Assert: stopped in time, npm and its child gone
    expect(response.status).toBe(202);
    expect(start.apiToken).toMatch(/^whsec_/);
    expect(start.examples.map((entry) => entry.kind)).toEqual(loadExamples().map((example) => example.kind));
    expect(freed - signalledAt).toBeLessThan(10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stderr).toContain(`local mode: ${signal}, stopping`);
    expect(stderr).toContain('local mode: stopped');
    // The batch in hand was synced before the exit: the sync logged the signup's outcome.
    expect(jsonLines().filter((line) => line.message === 'signup decision' && line['signupId'] === accepted.ids[0])).toEqual([
      expect.objectContaining({ outcome: 'created' }),
    ]);
  });
});
