import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import type { ImportSummary } from '../../ops/import-csv';
import { runCli } from '../../ops/main';
import { recordingIo, waitFor } from './support';

jest.setTimeout(90_000);

/**
 * `signup-sync import` of a generated 5,000-row CSV into a running local mode: the summary, the
 * rejected rows by line, and every accepted row becoming exactly one customer, also when the import
 * is interrupted and resumed with --from-line.
 */

const ROWS = 5_000;

type Generated = { file: string; validEmails: string[]; rejectedLines: Map<number, string> };

/** CRLF, a BOM, quoted commas and quotes, multi-line notes; a few bad rows at known lines. */
function generateCsv(dir: string): Generated {
  const lines = ['\uFEFFEmail Address,First Name,Last Name,Company,Notes'];
  const validEmails: string[] = [];
  const rejectedLines = new Map<number, string>();
  let line = 2;
  for (let i = 0; i < ROWS; i += 1) {
    const email = `import${i}@example.com`;
    const multiLine = i % 500 === 42;
    if (i % 997 === 500) {
      lines.push(`not-an-email-${i},Ada,Lovelace,,`);
      rejectedLines.set(line, '/email (column "Email Address")');
    } else if (i % 1249 === 600) {
      lines.push(`${email},${'A'.repeat(101)},Lovelace,,`);
      rejectedLines.set(line, '/first_name (column "First Name")');
    } else if (i === 4321) {
      lines.push(`${email},Ada,Lovelace`);
      rejectedLines.set(line, 'malformed CSV');
    } else {
      lines.push(`${email},"Ada ""${i}""",Lovelace,"Engines, Ltd",${multiLine ? '"first line\r\nsecond line"' : 'plain'}`);
      validEmails.push(email);
    }
    line += multiLine ? 2 : 1;
  }
  const file = path.join(dir, 'members export.csv');
  writeFileSync(file, `${lines.join('\r\n')}\r\n`);
  return { file, validEmails, rejectedLines };
}

describe('signup-sync import', () => {
  let mode: LocalMode;
  let dir: string;
  let generated: Generated;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'signup-import-'));
    generated = generateCsv(dir);
    mode = await startLocalMode({
      sandbox: { rateLimit: false },
      timings: { batchingWindowMs: 100, visibilityTimeoutSeconds: 30, syncTimeoutMs: 20_000, maxConcurrency: 4 },
      log: { level: 'warn', write: () => undefined },
    });
  });

  afterAll(async () => {
    await mode?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('imports 5,000 rows with a summary, and resumes an interrupted import with --from-line', async () => {
    // Act 1: an import interrupted after the first chunk of the file
    const controller = new AbortController();
    const firstIo = recordingIo({
      progress: { isTTY: false, write: () => controller.abort() },
    });
    const firstCode = await runCli(['import', generated.file, '--local', mode.apiUrl, '--json'], { ...firstIo, signal: controller.signal });
    const first = JSON.parse(firstIo.stdout.join('\n')) as ImportSummary;

    // Assert 1
    expect(firstCode).toBe(130);
    expect(first.completed).toBe(false);
    expect(first.resumeFromLine).toBeGreaterThan(2);
    expect(first.accepted).toBeGreaterThan(0);
    expect(first.accepted).toBeLessThan(generated.validEmails.length);

    // Act 2: resume where it said
    const secondIo = recordingIo();
    const started = Date.now();
    const secondCode = await runCli(['import', generated.file, '--local', mode.apiUrl, '--from-line', String(first.resumeFromLine)], secondIo);
    const seconds = (Date.now() - started) / 1000;
    const summary = secondIo.stdout.join('\n');

    // Assert 2: the summary, with every rejected row by line and field (the rows before the resume line skipped)
    expect(secondCode).toBe(1); // some rows were rejected
    const rejectedAfter = [...generated.rejectedLines].filter(([line]) => line >= first.resumeFromLine!);
    const rejectedBefore = [...generated.rejectedLines].filter(([line]) => line < first.resumeFromLine!);
    expect(first.rejected).toBe(rejectedBefore.length);
    expect(summary).toContain(`rejected: ${rejectedAfter.length}`);
    for (const [line, field] of rejectedAfter) expect(summary).toMatch(new RegExp(`line ${line}: ${field.replace(/[()"/]/g, '\\$&')}`));
    expect(summary).toMatch(/columns: email <- "Email Address", first_name <- "First Name", last_name <- "Last Name", company <- "Company", notes <- "Notes"/);
    expect(summary).not.toMatch(/not-an-email|import\d+@/); // no values in the report
    const accepted = Number(/accepted: ([\d,]+)/.exec(summary)![1]!.replace(/,/g, ''));
    expect(first.accepted + accepted).toBe(generated.validEmails.length);
    process.stdout.write(`import: ${accepted} rows sent in ${seconds.toFixed(1)} s after resuming at line ${first.resumeFromLine}\n`);

    // Every accepted row becomes exactly one customer: nothing lost or doubled by the interruption.
    const sandbox = mode.sandbox!;
    await waitFor(() => sandbox.customers().length >= generated.validEmails.length, { timeoutMs: 60_000, intervalMs: 250, what: 'the imported customers' });
    const emails = sandbox.customers().map((customer) => customer.email);
    expect(emails).toHaveLength(generated.validEmails.length);
    expect(new Set(emails)).toEqual(new Set(generated.validEmails));
    const one = sandbox.customers().find((customer) => customer.email === 'import42@example.com')!;
    expect(one).toMatchObject({ first_name: 'Ada "42"', company: 'Engines, Ltd', notes: 'first line\r\nsecond line' });
  });
});
