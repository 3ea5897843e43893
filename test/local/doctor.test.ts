import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateTableCommand, DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { type DoctorIo, type LocalDoctorInfo, runDoctor, TOKEN_ENV } from '../../ops/doctor';
import { runCli } from '../../ops/main';
import { standardWebhookHeaders } from '../helpers/ingest';
import { captureWrite } from '../helpers/log-capture';

/**
 * `signup-sync doctor` against a running local mode (real servers on loopback, port 0): healthy, it
 * exits 0 with every line ✔ or an explained ? / –; broken, it names what fails; its --json output has
 * the documented shape; and with real-looking secrets configured, none reaches stdout or stderr.
 */

// Real-looking values (shapes of a BigCommerce store token, a Standard Webhooks key, a signing secret, a Turnstile secret key).
const STORE_TOKEN = 'k3x9q2m7v8b1n4c6z0p5r2t8y1u3w7e';
const FOREIGN_TOKEN = 'h7d2f9g4j1k8l3s6a5q0w2e9r4t7y1u';
const API_SECRET = `whsec_${Buffer.from('doctor test api key, 32 bytes!!').toString('base64')}`;
const WEBHOOK_SECRET = `whsec_${Buffer.from('doctor test partner key 32 bytes').toString('base64')}`;
const SIGNING_SECRET = 'wf_sig_4d1c7e9a2b8f3e6d0c5a9b7e1f2d8c4a';
const CAPTCHA_SECRET = '0x4AAAAAAAR8pW2kV7nX3mQ9tL5yB1cZ6dHj';
const SECRET_VALUES = [
  STORE_TOKEN,
  FOREIGN_TOKEN,
  API_SECRET,
  API_SECRET.replace(/^whsec_/, ''),
  WEBHOOK_SECRET,
  WEBHOOK_SECRET.replace(/^whsec_/, ''),
  SIGNING_SECRET,
  CAPTCHA_SECRET,
];

const SOURCES = (origin: string, { captchaVerifyUrl }: { captchaVerifyUrl: string }) => [
  { id: 'partner', kind: 'standard-webhooks', routeToken: 'partnerroutetoken0001', customerDefaults: { channelIds: [1] } },
  { id: 'webflow-main', kind: 'webflow', routeToken: 'webflowroutetoken0001', fieldMap: { colour: 'custom:Favourite colour' } },
  {
    id: 'newsletter',
    kind: 'html-form',
    allowedOrigins: [origin],
    thankYouUrl: `${origin}/thanks`,
    errorUrl: `${origin}/oops`,
    captcha: { provider: 'turnstile', verifyUrl: captchaVerifyUrl },
  },
];

function recordingIo(env: Record<string, string | undefined> = {}): DoctorIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    // Into the run's log capture too: the log-scan suite reads it.
    out: (text) => {
      stdout.push(text);
      captureWrite(text);
    },
    err: (text) => {
      stderr.push(text);
      captureWrite(text);
    },
    env,
    stdout,
    stderr,
  };
}

describe('signup-sync doctor against local mode', () => {
  let mode: LocalMode;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'doctor-'));
    const cdkJson = JSON.parse(readFileSync(path.join(__dirname, '../../cdk.json'), 'utf8')) as { context: { signupSync: Record<string, unknown> } };
    cdkJson.context.signupSync = {
      ...cdkJson.context.signupSync,
      customerChannelIds: [1],
      customerGroupId: 4,
      customFieldMap: { 'Favourite colour': { attribute: 'Colour' } },
    };
    const cdkJsonPath = path.join(dir, 'cdk.json');
    writeFileSync(cdkJsonPath, JSON.stringify(cdkJson));
    mode = await startLocalMode({
      cdkJsonPath,
      apiSecret: API_SECRET,
      sources: SOURCES as never,
      sourceSecrets: { partner: WEBHOOK_SECRET, 'webflow-main': SIGNING_SECRET, newsletter: { captchaSecret: CAPTCHA_SECRET } },
      sandbox: { tokens: [STORE_TOKEN], store: { customerGroups: [{ id: 4, name: 'Newsletter' }] } },
      log: { write: captureWrite },
    });
    mode.sandbox!.seedAttributes([{ name: 'Colour', type: 'string' }]);
  });

  afterAll(async () => {
    await mode?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    mode.sandbox!.setStore({ deniedScopes: [], foreignTokens: [] });
  });

  it("reports each source's last delivery (ingest.source-deliveries), and which ones never delivered", async () => {
    // Arrange: one signed delivery to the partner source
    const body = JSON.stringify({ email: 'doctor.delivery@example.com', first_name: 'Doc', last_name: 'Tor' });
    const response = await fetch(`${mode.apiUrl}/sources/partner-partnerroutetoken0001`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...standardWebhookHeaders(body, { secret: WEBHOOK_SECRET, id: 'msg_doctor', at: new Date() }) },
      body,
    });
    expect(response.status).toBe(202);

    // Act
    const io = recordingIo();
    await runDoctor({ local: mode.apiUrl, json: true }, io);

    // Assert
    const check = (JSON.parse(io.stdout.join('\n')) as { checks: { id: string; status: string; summary: string; details?: string[] }[] }).checks.find(
      (candidate) => candidate.id === 'ingest.source-deliveries',
    );
    expect(check).toMatchObject({
      status: 'unconfirmed',
      summary: expect.stringContaining('No delivery since local mode started from webflow-main, newsletter'),
    });
    expect(check!.details).toEqual(
      expect.arrayContaining([expect.stringMatching(/^partner: last delivery in the hour from \d{4}-\d{2}-\d{2}T\d{2}:00 UTC, 0 h ago; .*\(window 24 h\)$/)]),
    );
  });

  it('exits 0 on a healthy local mode: every line ✔, or ? / – with its reason', async () => {
    const io = recordingIo();
    const code = await runDoctor({ local: mode.apiUrl }, io);

    const lines = io.stdout
      .join('\n')
      .split('\n')
      .filter((line) => /^[✔✘?–] /.test(line));
    expect(code).toBe(0);
    expect(lines.length).toBeGreaterThanOrEqual(15);
    expect(lines.filter((line) => line.startsWith('✘'))).toEqual([]);
    for (const line of lines.filter((candidate) => !candidate.startsWith('✔'))) expect(line).toMatch(/^[?–] \S+\s+\S.{10,}/);
    // Everything about the store and the queues passes here; only what local mode does not have is skipped.
    expect(lines.filter((line) => line.startsWith('✔')).map((line) => line.split(/\s+/)[1])).toEqual(
      expect.arrayContaining([
        'bigcommerce.token',
        'bigcommerce.customers-read',
        'bigcommerce.channels',
        'bigcommerce.customer-groups',
        'bigcommerce.attributes',
        'bigcommerce.customer-settings',
        'bigcommerce.rate-limit',
        'aws.queues',
        'aws.dead-letters',
        'aws.source-secrets',
        'aws.captcha-secrets',
        'aws.delivery-ledger',
        'ingest.source-urls',
      ]),
    );
    // Read-only by default: the write scopes are not provable without writing, and the line says how to check them.
    expect(lines.filter((line) => /^\? bigcommerce\.(customers|subscribers)-write .*--probe-writes/.test(line))).toHaveLength(2);
    // Every source's URL, a webhook's with its route token.
    expect(io.stdout.join('\n')).toContain(`partner (standard-webhooks): ${mode.apiUrl}/sources/partner-partnerroutetoken0001`);
    expect(io.stdout.join('\n')).toContain(`newsletter (html-form): ${mode.apiUrl}/sources/newsletter`);
  });

  it('with --probe-writes says what it will send, then passes the write scopes on the refused probes', async () => {
    const io = recordingIo();
    const code = await runDoctor({ local: mode.apiUrl, probeWrites: true }, io);

    expect(code).toBe(0);
    expect(io.stderr.join('\n')).toMatch(/doctor --probe-writes: sending 2 write requests to store \S+ that BigCommerce must refuse/);
    expect(io.stdout.join('\n')).toMatch(/^✔ bigcommerce\.customers-write /m);
    expect(io.stdout.join('\n')).toMatch(/^✔ bigcommerce\.subscribers-write /m);
    expect(mode.sandbox!.customers()).toEqual([]);
  });

  it("checks the delivery ledger on local mode's embedded DynamoDB: exits 1 with a fix once its table is gone", async () => {
    const info = (await (await fetch(`${mode.apiUrl}/_local/api/doctor`)).json()) as LocalDoctorInfo;
    const ledger = info.deliveryLedger!;
    expect(ledger.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const dynamoDb = new DynamoDBClient({ endpoint: ledger.endpoint, region: ledger.region, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await dynamoDb.send(new DeleteTableCommand({ TableName: ledger.tableName }));
    try {
      const io = recordingIo();
      const code = await runDoctor({ local: mode.apiUrl }, io);

      const text = io.stdout.join('\n');
      expect(code).toBe(1);
      expect(text).toMatch(new RegExp(`^✘ aws\\.delivery-ledger +The delivery ledger table ${ledger.tableName} does not exist`, 'm'));
      expect(text).toMatch(/fix: Restart local mode \(npm start\): it creates the table at start/);
    } finally {
      // As local/delivery-ledger/embedded-dynamodb.ts creates it, for the tests after this one.
      await dynamoDb.send(
        new CreateTableCommand({
          TableName: ledger.tableName,
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      dynamoDb.destroy();
    }
    expect(await runDoctor({ local: mode.apiUrl }, recordingIo())).toBe(0);
  });

  it('runs as `signup-sync doctor --local <url> --json` from the operator CLI, exit 0', async () => {
    const io = recordingIo();
    const code = await runCli(['doctor', '--local', mode.apiUrl, '--json'], {
      ...io,
      progress: { isTTY: false, write: () => true },
      interactive: false,
      ask: async () => '',
    });
    expect(code).toBe(0);
    const report = JSON.parse(io.stdout.join('\n')) as { checks: { id: string; status: string }[] };
    expect(report.checks.map((check) => check.id)).toContain('bigcommerce.token');
    expect(report.checks.filter((check) => check.status === 'fail')).toEqual([]);
  });

  it('refuses a token on the command line: --store-hash reads it from the environment only', async () => {
    const io = recordingIo();
    const code = await runCli(['doctor', '--store-hash', 'abc123', '--token', STORE_TOKEN], {
      ...io,
      progress: { isTTY: false, write: () => true },
      interactive: false,
      ask: async () => '',
    });
    expect(code).toBe(2);
    expect(io.stderr.join('\n')).toContain("unknown option '--token'");
    expect(io.stderr.join('\n')).not.toContain(STORE_TOKEN);
  });

  it('prints the documented --json shape', async () => {
    const io = recordingIo();
    expect(await runDoctor({ local: mode.apiUrl, json: true }, io)).toBe(0);

    const report = JSON.parse(io.stdout.join('\n')) as {
      ok: boolean;
      target: string;
      bigCommerce: { storeHash: string; apiUrl: string };
      counts: Record<string, number>;
      checks: { id: string; status: string; summary: string; fix?: string }[];
    };
    expect(report).toMatchObject({
      ok: true,
      target: `local mode at ${mode.apiUrl}`,
      bigCommerce: { storeHash: mode.sandbox!.storeHash, apiUrl: mode.sandbox!.url },
    });
    expect(Object.keys(report.counts).sort()).toEqual(['fail', 'pass', 'skipped', 'unconfirmed']);
    expect(report.counts['pass']! + report.counts['fail']! + report.counts['unconfirmed']! + report.counts['skipped']!).toBe(report.checks.length);
    for (const check of report.checks) {
      expect(check.id).toMatch(/^(bigcommerce|aws|ingest)\.[a-z-]+$/);
      expect(['pass', 'fail', 'unconfirmed', 'skipped']).toContain(check.status);
      expect(check.summary.length).toBeGreaterThan(10);
    }
  });

  it('exits 1 and says how to fix it when the token lacks a scope, and prints no token or secret', async () => {
    mode.sandbox!.setStore({ deniedScopes: ['customers-write', 'subscribers-write'] });
    const io = recordingIo();
    const code = await runDoctor({ local: mode.apiUrl, probeWrites: true }, io);

    const text = io.stdout.join('\n');
    expect(code).toBe(1);
    expect(text).toMatch(/^✘ bigcommerce\.customers-write .*403/m);
    expect(text).toMatch(/^✘ bigcommerce\.subscribers-write/m);
    expect(text).toMatch(/fix: Give the API account the Customers: modify/);
  });

  it('never prints a token or secret value, in text or JSON, passing or failing (log scan)', async () => {
    const runs: Array<{ options: Parameters<typeof runDoctor>[0]; env: Record<string, string> }> = [
      { options: { local: mode.apiUrl }, env: {} },
      { options: { local: mode.apiUrl, json: true }, env: {} },
      // A token from another store, given the documented way (environment): every BigCommerce check fails or is skipped.
      { options: { local: mode.apiUrl }, env: { [TOKEN_ENV]: FOREIGN_TOKEN } },
      { options: { local: mode.apiUrl, json: true }, env: { [TOKEN_ENV]: 'not-a-token with spaces' } },
    ];
    mode.sandbox!.setStore({ foreignTokens: [FOREIGN_TOKEN] });
    const outputs: string[] = [];
    for (const run of runs) {
      const io = recordingIo(run.env);
      await runDoctor(run.options, io);
      outputs.push(...io.stdout, ...io.stderr);
    }

    const all = outputs.join('\n');
    expect(all).toMatch(/another store/);
    for (const secret of [...SECRET_VALUES, 'not-a-token with spaces']) expect(all).not.toContain(secret);
    expect(all).not.toMatch(/[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z]{2,}/);
  });
});

describe('signup-sync doctor against local mode with an unusable CAPTCHA secret', () => {
  const PLACEHOLDER = 'paste the Turnstile secret key here';
  let mode: LocalMode;

  beforeAll(async () => {
    mode = await startLocalMode({
      apiSecret: API_SECRET,
      sources: (origin, { captchaVerifyUrl }) => [
        {
          id: 'newsletter',
          kind: 'html-form',
          allowedOrigins: [origin],
          thankYouUrl: `${origin}/thanks`,
          errorUrl: `${origin}/oops`,
          captcha: { provider: 'turnstile', verifyUrl: captchaVerifyUrl },
        },
      ],
      sourceSecrets: { newsletter: { captchaSecret: PLACEHOLDER } },
      sandbox: { tokens: [STORE_TOKEN] },
      log: { write: captureWrite },
    });
  });

  afterAll(async () => {
    await mode?.stop();
  });

  it('exits 1 naming the source and how to fix it, without printing the value', async () => {
    const io = recordingIo();
    const code = await runDoctor({ local: mode.apiUrl }, io);

    const text = [...io.stdout, ...io.stderr].join('\n');
    expect(code).toBe(1);
    expect(text).toMatch(/^✘ aws\.captcha-secrets +Unusable CAPTCHA secret\(s\): newsletter: captchaSecret is not shaped like a turnstile secret key/m);
    expect(text).toMatch(/fix: .*"newsletter": \{"captchaSecret": "<the provider's secret key>"\}.* in LOCAL_SOURCES_SECRET, then restart local mode/);
    expect(text).toMatch(/^✔ aws\.delivery-ledger /m);
    expect(text).not.toContain(PLACEHOLDER);
  });
});
