import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as path from 'node:path';
import { waitFor } from './support';

jest.setTimeout(60_000);

/**
 * `npm start` and `npx signup-sync` as processes: what the docs promise a developer. Here local mode
 * runs through tsx with random ports (SIGINT to tsx reaches local mode through tsx's relay);
 * npm-start-signals.test.ts runs `npm start` itself on the fixed ports.
 */

const root = path.join(__dirname, '../..');
const tsx = path.join(root, 'node_modules/.bin/tsx');

function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcessWithoutNullStreams; stdout: () => string; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(command, args, { cwd: root, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

describe('npm start and the signup-sync command', () => {
  let app: ReturnType<typeof run> | undefined;

  afterEach(() => {
    if (app && app.child.exitCode === null) app.child.kill('SIGKILL');
  });

  it('starts local mode, serves the API and the CLI, and stops cleanly on SIGINT', async () => {
    // Arrange: no TTY, so the banner and the logs are JSON lines.
    app = run(tsx, ['local/start.ts'], { PORT: '0', SQS_PORT: '0', SANDBOX_PORT: '0' });
    const banner = await waitFor(
      () => {
        const line = app!
          .stdout()
          .split('\n')
          .find((l) => l.includes('local mode is running'));
        return line ? (JSON.parse(line) as { apiUrl: string; statusUrl: string; sandboxUrl: string; tryCommand: string }) : undefined;
      },
      { timeoutMs: 30_000, what: 'the banner' },
    );

    // Act: the documented commands. The start line's command works as printed on a port other than 3000.
    const [npx, command, ...tryArgs] = banner.tryCommand.split(' ');
    expect([npx, command, ...tryArgs]).toEqual(['npx', 'signup-sync', 'send-test', '--local', banner.apiUrl]);
    const sendTest = run('node', ['ops/bin.cjs', ...tryArgs, '--email', 'ada@example.com']);
    expect(await sendTest.exit).toBe(0);
    await waitFor(
      async () => {
        const customers = (await (await fetch(`${banner.sandboxUrl}/__sandbox/customers`)).json()) as { data: { email: string }[] };
        return customers.data.some((customer) => customer.email === 'ada@example.com');
      },
      { timeoutMs: 20_000, what: 'the customer' },
    );
    const page = await fetch(banner.statusUrl);
    const list = run('node', ['ops/bin.cjs', 'dlq', 'list', '--local', banner.apiUrl, '--json']);
    await list.exit;
    const listed = JSON.parse(list.stdout()) as { deadLetters: unknown[] };
    app.child.kill('SIGINT');
    const code = await app.exit;

    // Assert
    expect(sendTest.stdout()).toContain('-> 202');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('signup-sync · local mode');
    expect(listed.deadLetters).toEqual([]);
    expect(code).toBe(0);
    expect(app.stderr()).toContain('local mode: stopped');
    // JSON logs when not on a terminal, and no email in them.
    const logLines = app.stdout().trim().split('\n');
    expect(logLines.every((line) => JSON.parse(line) !== undefined)).toBe(true);
    expect(app.stdout()).not.toContain('ada@example.com');
  });

  it('exits with status 2 and a hint on a bad command line', async () => {
    // Act
    const cli = run('node', ['ops/bin.cjs', 'dlq', 'purge', '--yes', '--rate', '2']);
    const code = await cli.exit;

    // Assert
    expect(code).toBe(2);
    // The operator CLI's parser (commander) names the unknown flag.
    expect(cli.stderr()).toContain("unknown option '--rate'");
    expect(cli.stderr()).toContain('signup-sync --help');
  });
});
