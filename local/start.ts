import { DEFAULT_LOCAL_URL } from '../ops/targets';
import { DEMO_SOURCES_NOTE, demoSourceSecrets, demoSources } from './demo/demo-sources';
import { loadExamples, pasteLine, type SourceExample } from './demo/examples';
import { FORM_PATH } from './demo/form-page';
import { type LocalMode, type LocalModeOptions, startLocalMode } from './local-mode';
import { localSourceSecrets } from './local-settings';

/**
 * `npm start`: local mode on loopback with fixed ports (so the commands in docs/ work), logs readable
 * on a terminal and JSON otherwise. SIGINT (Ctrl-C), SIGTERM or SIGHUP stops it cleanly: the pollers
 * finish the batch in hand, then every port is closed and the process exits.
 *
 *   PORT (3000)          API and status page
 *   SQS_PORT (9324)      embedded SQS (unless AWS_ENDPOINT_URL_SQS points elsewhere)
 *   SANDBOX_PORT (4010)  BigCommerce sandbox (unless BIGCOMMERCE_STORE_HASH and BIGCOMMERCE_TOKEN are set)
 *   LOCAL_API_SECRET     the bearer token / Standard Webhooks secret of POST /signups
 *   LOCAL_SOURCES        `demo` (default): one demo source per sender kind (local/demo/demo-sources.ts);
 *                        `cdk`: the sources configured in cdk.json, with LOCAL_SOURCES_SECRET
 *   LOCAL_SOURCES_SECRET JSON object sourceId -> secret for the sources configured in cdk.json
 *   LOCAL_QUEUE_PREFIX   queue names on a shared SQS endpoint (default signup-sync-local)
 *   LOCAL_STORE          with several stores in cdk.json, the one whose settings to run with (default: the first)
 */

function port(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new Error(`${name} must be a port number (0-65535), got "${value}"`);
  return parsed;
}

/** The sources local mode serves: the demo list unless LOCAL_SOURCES=cdk. */
export function sourcesOption(env: Readonly<Record<string, string | undefined>>): Pick<LocalModeOptions, 'sources' | 'sourceSecrets'> & { demo: boolean } {
  const choice = env['LOCAL_SOURCES'] ?? 'demo';
  if (choice === 'cdk') return { demo: false, sourceSecrets: localSourceSecrets(env['LOCAL_SOURCES_SECRET']) };
  if (choice !== 'demo') throw new Error(`LOCAL_SOURCES must be "demo" or "cdk", got "${choice}"`);
  return { demo: true, sources: demoSources, sourceSecrets: demoSourceSecrets() };
}

/** Paste-ready lines per example for this run (its URL, its API token). */
export function exampleLines(
  mode: Pick<LocalMode, 'apiUrl' | 'apiSecret'>,
  examples: readonly SourceExample[] = loadExamples(),
): { kind: string; sourceId: string; example: string }[] {
  return examples.map((example) => {
    const current = example.auth.scheme === 'bearer' ? { ...example, auth: { ...example.auth, secret: mode.apiSecret } } : example;
    return { kind: example.kind, sourceId: example.sourceId, example: pasteLine(current, mode.apiUrl) };
  });
}

/**
 * The CLI finds local mode at DEFAULT_LOCAL_URL by itself; on any other port (PORT=3400) every command
 * needs `--local <url>` (or SIGNUP_SYNC_LOCAL_URL), so the suggested command carries it.
 */
export function sendTestCommand(mode: Pick<LocalMode, 'apiUrl'>): string {
  return mode.apiUrl === DEFAULT_LOCAL_URL ? 'npx signup-sync send-test' : `npx signup-sync send-test --local ${mode.apiUrl}`;
}

export function banner(mode: LocalMode, options: Readonly<{ demo: boolean }> = { demo: true }): string {
  const t = mode.timings;
  const lines = [
    'signup-sync local mode is running',
    `  API            ${mode.apiUrl}   POST /signups · POST|GET|OPTIONS /sources/<id> (forms) or /sources/<id>-<routeToken> (webhooks)`,
    `  API token      Authorization: Bearer ${mode.apiSecret}`,
    `  status page    ${mode.statusUrl}`,
    `  signup form    ${mode.apiUrl}${FORM_PATH}`,
    `  SQS            ${mode.sqs.kind === 'embedded' ? `${mode.sqs.endpoint} (embedded local-aws-sqs, in memory)` : `${mode.sqs.endpoint ?? 'AWS'} (AWS_ENDPOINT_URL_SQS)`}`,
    `    signups      ${mode.signupQueueUrl}`,
    `    dead letters ${mode.deadLetterQueueUrl}`,
    mode.sandbox
      ? `  BigCommerce    sandbox ${mode.sandbox.url} (customers: ${mode.sandbox.url}/__sandbox/customers, subscribers: ${mode.sandbox.url}/__sandbox/subscribers)`
      : `  BigCommerce    store ${mode.bigCommerce.storeHash} at ${mode.bigCommerce.apiUrl}`,
    `  event source   batch 10, window ${t.batchingWindowMs / 1000} s, ${t.maxConcurrency} pollers, sync timeout ${t.syncTimeoutMs / 1000} s, visibility ${t.visibilityTimeoutSeconds} s, DLQ after ${t.maxReceiveCount} receives (cdk.json)`,
    '',
  ];
  if (mode.sourceUrls.length > 0) {
    lines.push("Source URLs (what a sender is given; a webhook's carries its route token):");
    const width = Math.max(...mode.sourceUrls.map((source) => source.id.length));
    for (const source of mode.sourceUrls) lines.push(`  ${source.id.padEnd(width)}  ${source.url}`);
    lines.push('');
  }
  if (options.demo) {
    lines.push(`Demo sources, one per sender kind (${DEMO_SOURCES_NOTE}). Paste one:`);
    for (const { kind, sourceId, example } of exampleLines(mode)) lines.push(`  # ${kind} (${sourceId})`, `  ${example}`);
    lines.push('');
  } else {
    lines.push('Sources: cdk.json (LOCAL_SOURCES=cdk), secrets from LOCAL_SOURCES_SECRET.', '');
  }
  lines.push(`Try: ${sendTestCommand(mode)}        Stop: Ctrl-C (or SIGTERM)`);
  if (mode.apiUrl !== DEFAULT_LOCAL_URL)
    lines.push(`     (not on the default port: give every signup-sync command --local ${mode.apiUrl}, or export SIGNUP_SYNC_LOCAL_URL=${mode.apiUrl})`);
  lines.push('');
  return lines.join('\n');
}

/** The start line without a terminal: one JSON object, the API token and the examples included. */
export function startLine(mode: LocalMode, options: Readonly<{ demo: boolean }> = { demo: true }): string {
  return JSON.stringify({
    message: 'local mode is running',
    apiUrl: mode.apiUrl,
    apiToken: mode.apiSecret,
    statusUrl: mode.statusUrl,
    formUrl: `${mode.apiUrl}${FORM_PATH}`,
    signupQueueUrl: mode.signupQueueUrl,
    deadLetterQueueUrl: mode.deadLetterQueueUrl,
    sandboxUrl: mode.sandbox?.url,
    sources: options.demo ? 'demo' : 'cdk.json',
    tryCommand: sendTestCommand(mode),
    sourceUrls: mode.sourceUrls,
    ...(options.demo ? { examples: exampleLines(mode) } : {}),
  });
}

/** What npm, a supervisor (SIGTERM), a closed terminal (SIGHUP) or Ctrl-C (SIGINT) send. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

async function main(): Promise<void> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const tty = process.stdout.isTTY === true;
  let mode: LocalMode;
  let demo = true;
  try {
    const { demo: isDemo, ...sources } = sourcesOption(process.env);
    demo = isDemo;
    mode = await startLocalMode({
      port: port('PORT', 3000),
      sqsPort: port('SQS_PORT', 9324),
      sandbox: { port: port('SANDBOX_PORT', 4010) },
      log: { format: tty ? 'pretty' : 'json' },
      ...sources,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      process.stderr.write(`local mode: a port is in use (${(error as Error).message}). Stop the other process or set PORT / SQS_PORT / SANDBOX_PORT.\n`);
    } else {
      process.stderr.write(`local mode could not start: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exitCode = 1;
    return;
  }
  process.stdout.write(tty ? banner(mode, { demo }) : `${startLine(mode, { demo })}\n`);

  // One handler for every way a supervisor or a terminal asks a process to stop. `npm start` runs
  // `exec node …` (package.json): npm forwards SIGINT/SIGTERM to its script's shell, which is this
  // process then (a shell in between would swallow them, and tsx would be one process more).
  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write('local mode: stopping now\n');
      process.exit(130);
    }
    process.stderr.write(`\nlocal mode: ${signal}, stopping (pollers finish their batch; Ctrl-C again to force)\n`);
    mode.stop().then(
      () => {
        process.stderr.write('local mode: stopped\n');
        // Nothing is left to wait for: exit now rather than on the last idle socket's timer.
        process.exit(process.exitCode ?? 0);
      },
      (error: unknown) => {
        process.stderr.write(`local mode: stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
