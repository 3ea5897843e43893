import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SECRETS } from '../helpers/ingest';
import { LOG_CAPTURE_DIR } from '../helpers/log-capture';

/**
 * Runs after the other suites (`npm test` runs it last; .ci/run again after the integration suite) and
 * reads everything they logged: our loggers, Powertools, the SDK, stdout and stderr. Tests feed the code
 * emails, names and tokens; none of them may come out in a log line.
 */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
// Names the test factories put in signups (test/helpers/events.ts, the ingest and sync tests).
const NAMES = /\b(Lovelace|Hopper|Grace)\b/;
// Tokens and secrets the tests configure (sandbox default token, sources secrets, rotated tokens).
const TOKENS = ['sandbox-token', 'old-token', 'new-token', ...Object.values(SECRETS), ...Object.values(SECRETS).map((secret) => secret.replace(/^whsec_/, ''))];

function capturedLines(): { file: string; line: string }[] {
  if (!existsSync(LOG_CAPTURE_DIR)) return [];
  return readdirSync(LOG_CAPTURE_DIR).flatMap((file) =>
    readFileSync(path.join(LOG_CAPTURE_DIR, file), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => ({ file, line })),
  );
}

const lines = capturedLines();
const offending = (test: (line: string) => boolean) => lines.filter(({ line }) => test(line)).map(({ file, line }) => `${file}: ${line.slice(0, 300)}`);

describe('log output of the test run', () => {
  it('was captured (the scan is not vacuous)', () => {
    expect(lines.length).toBeGreaterThan(100);
    expect(lines.some(({ line }) => line.includes('"signup decision"'))).toBe(true);
  });

  it('holds no email address', () => {
    expect(offending((line) => EMAIL.test(line))).toEqual([]);
  });

  it('holds no name from the test signups', () => {
    expect(offending((line) => NAMES.test(line))).toEqual([]);
  });

  it('holds no token or secret', () => {
    expect(offending((line) => TOKENS.some((token) => line.includes(token)))).toEqual([]);
  });
});
