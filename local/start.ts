import { startLocalMode, type LocalMode } from './local-mode';

/**
 * `npm start`: local mode on loopback with fixed ports (so the README's commands work), logs readable
 * on a terminal and JSON otherwise. Ctrl-C (SIGINT) or SIGTERM stops it cleanly.
 *
 *   PORT (3000)          API and status page
 *   SQS_PORT (9324)      embedded SQS (unless AWS_ENDPOINT_URL_SQS points elsewhere)
 *   SANDBOX_PORT (4010)  BigCommerce sandbox (unless BIGCOMMERCE_STORE_HASH and BIGCOMMERCE_TOKEN are set)
 *   LOCAL_API_SECRET     the bearer token / Standard Webhooks secret of POST /signups
 *   LOCAL_SOURCES_SECRET JSON object sourceId -> secret for the sources configured in cdk.json
 *   LOCAL_QUEUE_PREFIX   queue names on a shared SQS endpoint (default signup-sync-local)
 */

function port(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new Error(`${name} must be a port number (0-65535), got "${value}"`);
  return parsed;
}

export function banner(mode: LocalMode): string {
  const t = mode.timings;
  const lines = [
    'signup-sync local mode is running',
    `  API            ${mode.apiUrl}   POST /signups · POST|GET|OPTIONS /sources/{sourceId}`,
    `  API token      Authorization: Bearer ${mode.apiSecret}`,
    `  status page    ${mode.statusUrl}`,
    `  SQS            ${mode.sqs.kind === 'embedded' ? `${mode.sqs.endpoint} (embedded local-aws-sqs, in memory)` : `${mode.sqs.endpoint ?? 'AWS'} (AWS_ENDPOINT_URL_SQS)`}`,
    `    signups      ${mode.signupQueueUrl}`,
    `    dead letters ${mode.deadLetterQueueUrl}`,
    mode.sandbox
      ? `  BigCommerce    sandbox ${mode.sandbox.url} (customers: ${mode.sandbox.url}/__sandbox/customers)`
      : `  BigCommerce    store ${mode.bigCommerce.storeHash} at ${mode.bigCommerce.apiUrl}`,
    `  event source   batch 10, window ${t.batchingWindowMs / 1000} s, ${t.maxConcurrency} pollers, sync timeout ${t.syncTimeoutMs / 1000} s, visibility ${t.visibilityTimeoutSeconds} s, DLQ after ${t.maxReceiveCount} receives (cdk.json)`,
    '',
    'Try: npx signup-sync send-test        Stop: Ctrl-C',
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const tty = process.stdout.isTTY === true;
  let mode: LocalMode;
  try {
    mode = await startLocalMode({
      port: port('PORT', 3000),
      sqsPort: port('SQS_PORT', 9324),
      sandbox: { port: port('SANDBOX_PORT', 4010) },
      log: { format: tty ? 'pretty' : 'json' },
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
  process.stdout.write(tty ? banner(mode) : `${JSON.stringify({ message: 'local mode is running', apiUrl: mode.apiUrl, statusUrl: mode.statusUrl, signupQueueUrl: mode.signupQueueUrl, deadLetterQueueUrl: mode.deadLetterQueueUrl, sandboxUrl: mode.sandbox?.url })}\n`);

  let signals = 0;
  const stop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      process.stderr.write('local mode: stopping now\n');
      process.exit(130);
    }
    process.stderr.write(`\nlocal mode: ${signal}, stopping (pollers finish their batch; Ctrl-C again to force)\n`);
    mode.stop().then(
      () => process.stderr.write('local mode: stopped\n'),
      (error: unknown) => {
        process.stderr.write(`local mode: stop failed: ${String(error)}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
