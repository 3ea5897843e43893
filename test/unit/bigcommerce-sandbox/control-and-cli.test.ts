import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  type BigCommerceSandbox,
  type SandboxCustomer,
  SandboxOptionsError,
  type SandboxStats,
  startBigCommerceSandbox,
} from '../../../local/bigcommerce-sandbox';
import { parseCliArgs, runCli } from '../../../local/bigcommerce-sandbox/cli';
import { CliUsageError } from '../../../ops/errors';
import { call, control, newCustomer } from './sandbox-http';

const ROOT = resolve(__dirname, '../../..');
const CLI = resolve(ROOT, 'local/bigcommerce-sandbox/cli.ts');

describe('BigCommerce sandbox: control API', () => {
  let sandbox: BigCommerceSandbox;

  beforeAll(async () => {
    sandbox = await startBigCommerceSandbox({ rateLimit: { quota: 2, windowMs: 30_000 } });
  });

  beforeEach(() => {
    sandbox.reset();
    sandbox.setOptions({ batch422: 'atomic', rejectEmails: undefined });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('seeds and lists customers without auth, quota or stats', async () => {
    // Act
    const seeded = await control<{ data: SandboxCustomer[] }>(sandbox, 'POST', 'seed', [{ email: 'Seeded@Example.com', channel_ids: [1] }, {}]);
    const listed = await control<{ data: SandboxCustomer[] }>(sandbox, 'GET', 'customers');
    const stats = await control<SandboxStats>(sandbox, 'GET', 'stats');

    // Assert
    expect(seeded.status).toBe(200);
    expect(seeded.body.data.map((c) => c.email)).toEqual(['seeded@example.com', 'seed-2@example.com']);
    expect(listed.body.data).toHaveLength(2);
    expect(stats.body).toMatchObject({ apiRequests: 0, requests: {}, rateLimit: { quota: 2, left: 2 } });
  });

  it('refuses a seed that clashes with an existing email', async () => {
    // Arrange
    sandbox.seedCustomers([{ email: 'taken@example.com' }]);

    // Act
    const response = await control<{ error: string }>(sandbox, 'POST', 'seed', [{ email: 'TAKEN@example.com' }]);

    // Assert
    expect(response.status).toBe(400);
    expect(response.body.error).toContain('taken@example.com already in use');
  });

  it('sets faults, validating the config', async () => {
    // Act
    const bad = await control<{ error: string; issues: string[] }>(sandbox, 'POST', 'faults', { rate: 2, kinds: ['boom'] });
    const good = await control(sandbox, 'POST', 'faults', { script: [503] });
    const faulted = await call(sandbox, 'POST', '/customers', { body: [newCustomer()] });

    // Assert
    expect(bad.status).toBe(400);
    expect(bad.body.issues.join('\n')).toMatch(/rate/);
    expect(bad.body.issues.join('\n')).toMatch(/kinds\.0/);
    expect(good.status).toBe(200);
    expect(faulted.status).toBe(503);
  });

  it('sets options, with rejectEmails as a regex source', async () => {
    // Act
    const set = await control(sandbox, 'POST', 'options', { rejectEmails: '^spam@', batch422: 'partial' });
    const response = await call(sandbox, 'POST', '/customers', {
      body: [newCustomer({ email: 'spam@example.com' }), newCustomer({ email: 'ham@example.com' })],
    });
    const badPattern = await control(sandbox, 'POST', 'options', { rejectEmails: '(' });
    const unknownOption = await control(sandbox, 'POST', 'options', { colour: 'blue' });

    // Assert
    expect(set.status).toBe(200);
    expect(response.status).toBe(422);
    expect(sandbox.customers().map((c) => c.email)).toEqual(['ham@example.com']);
    expect(badPattern.status).toBe(400);
    expect(unknownOption.status).toBe(400);
  });

  it('rotates tokens', async () => {
    // Act
    const rotated = await control<{ token: string }>(sandbox, 'POST', 'tokens', { tokens: ['next-token'] });
    const old = await call(sandbox, 'GET', '/customers', { token: 'sandbox-token' });
    const fresh = await call(sandbox, 'GET', '/customers', { token: 'next-token' });
    await control(sandbox, 'POST', 'tokens', { tokens: ['sandbox-token'] });

    // Assert
    expect(rotated.body.token).toBe('next-token');
    expect(old.status).toBe(401);
    expect(fresh.status).toBe(200);
  });

  it('reports stats with a request log, and resets the store, stats and quota', async () => {
    // Arrange
    await call(sandbox, 'POST', '/customers', { body: [newCustomer(), newCustomer()] });
    await call(sandbox, 'GET', '/customers');
    await call(sandbox, 'GET', '/customers');

    // Act
    const stats = await control<SandboxStats>(sandbox, 'GET', 'stats');
    const lastOnly = await control<SandboxStats>(sandbox, 'GET', 'stats?log=1');
    const reset = await control(sandbox, 'POST', 'reset');
    const after = await control<SandboxStats>(sandbox, 'GET', 'stats');

    // Assert
    expect(stats.body).toMatchObject({
      apiRequests: 3,
      rateLimited: 1,
      customersCreated: 2,
      requests: { 'POST 200': 1, 'GET 200': 1, 'GET 429': 1 },
    });
    expect(stats.body.log).toEqual([
      expect.objectContaining({ method: 'POST', path: '/stores/sandbox/v3/customers', status: 200, items: 2, at: expect.any(Number) }),
      expect.objectContaining({ method: 'GET', status: 200, items: 2 }),
      expect.objectContaining({ method: 'GET', status: 429 }),
    ]);
    expect(lastOnly.body.log).toHaveLength(1);
    expect(reset.status).toBe(200);
    expect(after.body).toMatchObject({ apiRequests: 0, customersCreated: 0, log: [], rateLimit: { left: 2 } });
    expect(sandbox.customers()).toEqual([]);
  });

  it('seeds attributes and answers 404/405 for unknown control routes', async () => {
    // Act
    const attributes = await control<{ data: Array<{ id: number; name: string }> }>(sandbox, 'POST', 'attributes', [{ name: 'Plan', type: 'string' }]);
    const unknown = await control(sandbox, 'GET', 'nothing');
    const prototypeName = await control(sandbox, 'GET', 'toString');
    const wrongMethod = await control(sandbox, 'GET', 'reset');

    // Assert
    expect(attributes.body.data).toEqual([expect.objectContaining({ id: 1, name: 'Plan' })]);
    expect(unknown.status).toBe(404);
    expect(prototypeName.status).toBe(404);
    expect(wrongMethod.status).toBe(405);
  });
});

describe('BigCommerce sandbox: options validation', () => {
  it('rejects bad options with a readable error', async () => {
    // Act
    const started = startBigCommerceSandbox({ rateLimit: { quota: 0, windowMs: -1 }, timeScale: 0, channels: [] });

    // Assert
    await expect(started).rejects.toThrow(SandboxOptionsError);
    await expect(started).rejects.toThrow(/rateLimit\.quota.*rateLimit\.windowMs.*timeScale.*channels/s);
  });
});

describe('BigCommerce sandbox: CLI', () => {
  it('maps flags to sandbox options', () => {
    // Act
    const options = parseCliArgs([
      '--port',
      '4010',
      '--quota',
      '150',
      '--window-ms',
      '30000',
      '--time-scale',
      '0.5',
      '--batch-422',
      'partial',
      '--fault-rate',
      '0.05',
      '--fault-kinds',
      '500,hang,created-then-500',
      '--fault-methods',
      'post,put',
      '--latency-ms',
      '20',
      '--seed',
      '1',
      '--token',
      'a',
      '--token',
      'b',
      '--channels',
      '1,2',
      '--vague-422',
      '--reject-emails',
      '@spam\\.',
    ]);

    // Assert
    expect(options).toEqual({
      port: 4010,
      rateLimit: { quota: 150, windowMs: 30_000 },
      timeScale: 0.5,
      batch422: 'partial',
      vague422: true,
      rejectEmails: /@spam\./i,
      faults: { rate: 0.05, kinds: [500, 'hang', 'created-then-500'], methods: ['POST', 'PUT'], latencyMs: 20 },
      seed: 1,
      tokens: ['a', 'b'],
      channels: [1, 2],
    });
  });

  it.each([
    [['--port', 'abc'], /--port must be a whole number from 0 to 65535, got "abc"/],
    [['--port', '70000'], /--port must be a whole number from 0 to 65535, got "70000"/],
    [['--quota', '1.5'], /--quota must be a whole number >= 1, got "1.5"/],
    [['--fault-rate', '2'], /--fault-rate must be a number from 0 to 1, got "2"/],
    [['--batch-422', 'some'], /--batch-422 must be atomic or partial, got "some"/],
    [['--time-scale', '0'], /--time-scale must be a number > 0, got "0"/],
    [['--channels', '1,x'], /--channels must be a whole number >= 1, got "x"/],
    [['--no-rate-limit', '--quota', '5'], /option '--no-rate-limit' cannot be used with option '--quota <n>'/],
    [['--reject-emails', '('], /--reject-emails is not a valid regular expression/],
    [['--bogus'], /unknown option '--bogus'/],
    [['--port'], /option '--port <n>' argument missing/],
    [['extra'], /too many arguments/],
  ])('rejects %j with a clear message', (argv, message) => {
    // Act / Assert
    expect(() => parseCliArgs(argv)).toThrow(CliUsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });

  it('defaults to port 4010 and prints the flags for --help', async () => {
    // Arrange
    const out: string[] = [];

    // Act
    const started = await runCli(['--help'], { out: (line) => out.push(line), err: () => undefined });

    // Assert
    expect(parseCliArgs([])).toEqual({ port: 4010 });
    expect(parseCliArgs(['--no-rate-limit'])).toEqual({ port: 4010, rateLimit: false });
    expect(started).toBeNull();
    expect(out.join('\n')).toMatch(/^Usage: bigcommerce-sandbox \[flags\]/);
    expect(out.join('\n')).toMatch(/--port <n> +port, 0 = random \(default: 4010\)/);
    expect(out.join('\n')).toContain('--fault-kinds <list>');
  });

  it('runs as a process: prints url, store hash and token, serves, and stops on SIGTERM', async () => {
    // Arrange
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, '--port', '0', '--store-hash', 'clistore', '--token', 'cli-token'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = once(child, 'exit');
    try {
      const lines: string[] = [];
      for await (const line of createInterface({ input: child.stdout })) {
        lines.push(line);
        if (lines.length === 3) break;
      }
      const url = lines[0]?.replace(/^url: /, '') ?? '';

      // Act
      const response = await fetch(`${url}/stores/clistore/v3/customers`, { headers: { 'X-Auth-Token': 'cli-token' } });
      child.kill('SIGTERM');
      const [code] = await exited;

      // Assert
      expect(lines[0]).toMatch(/^url: http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines.slice(1)).toEqual(['store hash: clistore', 'token: cli-token']);
      expect(response.status).toBe(200);
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 15_000);
});
