import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_LOCAL_API_SECRET, startLocalMode } from '../../local/local-mode';
import { runScript } from './run-script';

/**
 * `npm run test:schemathesis`: property-based API tests of docs/openapi.json against local mode.
 *
 * Starts local mode on a random loopback port, with three sources besides POST /signups so that the
 * fuzz gets past authentication on /sources/{sourceId} too (schemathesis.toml binds `sourceId` to these
 * ids most of the time): a Standard Webhooks source that also takes the bearer token, an html-form that
 * accepts non-browser posts, and Mailchimp with its URL token. Then runs the project's pinned
 * schemathesis (.venv, installed by test/integration/python-tools.sh) with a fixed seed and a bounded
 * number of examples (and the hooks of schemathesis_hooks.py), and exits with its status. Extra arguments go to `schemathesis run`.
 * Reports (JUnit) and local mode's log go to SCHEMATHESIS_REPORT_DIR (default: a folder in the OS temp dir).
 */

const root = path.resolve(__dirname, '../..');
const venv = process.env['SIGNUP_SYNC_VENV'] ?? path.join(root, '.venv');
const schemathesis = path.join(venv, 'bin', 'schemathesis');
const MAILCHIMP_TOKEN = 'schemathesis-mailchimp-url-token';
/** The webhook sources' route token; schemathesis.toml's sources dictionary names their paths with it. */
const ROUTE_TOKEN = 'schemathesisroutetoken';

async function main(): Promise<number> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  if (!existsSync(schemathesis)) {
    process.stderr.write(`schemathesis is not installed in ${venv}: run bash test/integration/python-tools.sh first\n`);
    return 2;
  }
  const reportDir = process.env['SCHEMATHESIS_REPORT_DIR'] ?? path.join(tmpdir(), 'signup-sync-schemathesis');
  mkdirSync(reportDir, { recursive: true });
  // Local mode's own log (JSON lines) beside schemathesis' reports, for a failure's story.
  const log = createWriteStream(path.join(reportDir, 'local-mode.log'));
  const mode = await startLocalMode({
    sources: [
      { id: 'hooks', kind: 'standard-webhooks', acceptBearerToken: true, routeToken: ROUTE_TOKEN },
      {
        id: 'newsletter',
        kind: 'html-form',
        allowedOrigins: ['https://www.example.com'],
        thankYouUrl: 'https://www.example.com/thanks',
        errorUrl: 'https://www.example.com/oops',
        honeypotField: 'website',
        allowMissingOrigin: true,
        lastNamePolicy: 'split-full-name',
        // Schemathesis sends every example from one address: a limit it cannot reach keeps its checks on the form's rules.
        captcha: false,
        captchaReason: 'schemathesis posts generated bodies; no widget can solve a CAPTCHA for them',
        clientLimit: { max: 10_000, windowSeconds: 10 },
      },
      { id: 'mailchimp-main', kind: 'mailchimp', lastNamePolicy: { placeholder: '-' }, routeToken: ROUTE_TOKEN },
    ],
    // The `hooks` source shares the `api` secret, so one bearer header authenticates both routes.
    apiSecret: DEFAULT_LOCAL_API_SECRET,
    sourceSecrets: { hooks: DEFAULT_LOCAL_API_SECRET, 'mailchimp-main': MAILCHIMP_TOKEN },
    sandbox: { rateLimit: false },
    timings: { batchingWindowMs: 200, visibilityTimeoutSeconds: 20, syncTimeoutMs: 10_000 },
    log: { format: 'json', level: 'warn', write: (line) => log.write(`${line}\n`) },
  });
  try {
    const args = [
      '--config-file',
      path.join(__dirname, 'schemathesis.toml'),
      'run',
      path.join(root, 'docs', 'openapi.json'),
      '--url',
      mode.apiUrl,
      '--report',
      'junit',
      '--report-dir',
      reportDir,
      ...process.argv.slice(2),
    ];
    const shown = args.map((arg) => (arg.startsWith(`${root}/`) ? path.relative(root, arg) : arg));
    process.stdout.write(`local mode at ${mode.apiUrl} (log and reports in ${reportDir})\n${path.relative(root, schemathesis)} ${shown.join(' ')}\n`);
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(schemathesis, args, {
        cwd: root,
        stdio: 'inherit',
        env: {
          ...process.env,
          SIGNUP_SYNC_API_SECRET: mode.apiSecret,
          SIGNUP_SYNC_MAILCHIMP_TOKEN: MAILCHIMP_TOKEN,
          NO_COLOR: '1',
          // schemathesis_hooks.py: a future occurred_at (refused with 422; JSON Schema cannot say so) is moved into the past.
          SCHEMATHESIS_HOOKS: 'schemathesis_hooks',
          PYTHONPATH: [__dirname, process.env['PYTHONPATH']].filter(Boolean).join(path.delimiter),
        },
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  } finally {
    await mode.stop();
    await new Promise<void>((resolve) => log.end(() => resolve()));
  }
}

if (require.main === module) runScript(main);
