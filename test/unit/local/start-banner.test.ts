import type { LocalMode } from '../../../local/local-mode';
import { banner, sendTestCommand, startLine } from '../../../local/start';
import { DEFAULT_LOCAL_URL } from '../../../ops/targets';

/**
 * The start banner's "Try:" line must work as printed: the CLI finds local mode on its default URL by
 * itself, and on any other port (PORT=3400) only with --local. test/local/npm-start.test.ts runs the
 * printed command against a local mode on a random port.
 */

/** What banner() and startLine() read of a running local mode. */
function modeAt(apiUrl: string): LocalMode {
  const fields = {
    apiUrl,
    apiSecret: 'local-secret',
    statusUrl: `${apiUrl}/_local/`,
    signupQueueUrl: 'http://127.0.0.1:9324/000000000000/signup-sync-local-signups',
    deadLetterQueueUrl: 'http://127.0.0.1:9324/000000000000/signup-sync-local-dead-letters',
    sqs: { kind: 'embedded', endpoint: 'http://127.0.0.1:9324' },
    bigCommerce: { kind: 'bigcommerce', apiUrl: 'https://api.bigcommerce.com', storeHash: 'abc123' },
    timings: { syncTimeoutMs: 30_000, visibilityTimeoutSeconds: 180, maxReceiveCount: 5, maxConcurrency: 2, batchingWindowMs: 5000, longPollSeconds: 20 },
    sourceUrls: [],
  };
  return fields as unknown as LocalMode;
}

describe('the start banner', () => {
  it('suggests the bare command on the default port', () => {
    const mode = modeAt(DEFAULT_LOCAL_URL);

    expect(sendTestCommand(mode)).toBe('npx signup-sync send-test');
    expect(banner(mode, { demo: false })).toContain('Try: npx signup-sync send-test        Stop:');
    expect(banner(mode, { demo: false })).not.toContain('--local');
  });

  it('adds --local <url> on another port (PORT=3400), and says every command needs it', () => {
    const mode = modeAt('http://127.0.0.1:3400');

    const text = banner(mode, { demo: false });

    expect(text).toContain('Try: npx signup-sync send-test --local http://127.0.0.1:3400');
    expect(text).toContain('give every signup-sync command --local http://127.0.0.1:3400, or export SIGNUP_SYNC_LOCAL_URL=http://127.0.0.1:3400');
    expect(JSON.parse(startLine(mode, { demo: false }))).toMatchObject({ tryCommand: 'npx signup-sync send-test --local http://127.0.0.1:3400' });
  });
});
