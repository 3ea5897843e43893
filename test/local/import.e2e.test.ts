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
 * is interrupted and resumed with --from-line. Then a newsletter list migrated with its consent
 * (`--map consent.marketing=newsletter`), and a Mailchimp audience export whose unsubscribed file
 * withdraws the consent its subscribed file gave: nothing the import queues is dead-lettered later.
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

  it('migrates a newsletter list with its consent (--map consent.marketing=newsletter), refusing in the dry run and the import the row the ingest would refuse', async () => {
    // Arrange
    const file = path.join(dir, 'newsletter list.csv');
    writeFileSync(
      file,
      [
        'email,first_name,last_name,newsletter',
        'reader.one@example.com,,,yes', // line 2: a subscriber only
        'reader.two@example.com,Rita,Reader,Yes', // line 3: a customer and a subscriber
        'reader.three@example.com,Norm,Nonews,no', // line 4: a customer only
        'nameless.none@example.com,Ada,,', // line 5: neither: refused
        '',
      ].join('\n'),
    );
    const argv = ['import', file, '--local', mode.apiUrl, '--map', 'consent.marketing=newsletter'];
    const dryIo = recordingIo();
    const realIo = recordingIo();

    // Act
    const dryCode = await runCli([...argv, '--dry-run'], dryIo);
    const realCode = await runCli(argv, realIo);

    // Assert: the dry run and the import refuse the same row, by line and field, and count the same
    for (const [code, cli] of [
      [dryCode, dryIo],
      [realCode, realIo],
    ] as const) {
      const summary = cli.stdout.join('\n');
      expect(code).toBe(1);
      expect(summary).toMatch(/accepted: 3 \(2 with marketing consent\)/);
      expect(summary).toMatch(/line 5: \/last_name \(column "last_name"\): Required unless marketing consent is given/);
      expect(summary).toContain(`nameless policy: subscriber (the ingest of local mode at ${mode.apiUrl})`);
    }

    // The sandbox: subscribers with consent where the row said yes, customers where it had names
    const sandbox = mode.sandbox!;
    const subscriberOf = (email: string) => sandbox.subscribers().find((subscriber) => subscriber.email === email);
    await waitFor(() => subscriberOf('reader.one@example.com') && subscriberOf('reader.two@example.com'), { what: 'the two subscribers' });
    await waitFor(() => sandbox.customers().find((customer) => customer.email === 'reader.three@example.com'), { what: 'the customer without consent' });
    expect(subscriberOf('reader.one@example.com')!.consents).toContain('marketing_newsletter');
    expect(subscriberOf('reader.two@example.com')).toMatchObject({
      first_name: 'Rita',
      last_name: 'Reader',
      consents: expect.arrayContaining(['marketing_newsletter']),
    });
    expect(subscriberOf('reader.three@example.com')).toBeUndefined();
    const customers = sandbox.customers().map((customer) => customer.email);
    expect(customers).toEqual(expect.arrayContaining(['reader.two@example.com', 'reader.three@example.com']));
    expect(customers).not.toContain('reader.one@example.com');
    expect(customers).not.toContain('nameless.none@example.com');
    expect(await mode.deadLetters()).toEqual([]);
  });

  it("migrates a Mailchimp audience export: the subscribed file gives consent, the unsubscribed file's opt-outs take it back", async () => {
    // Arrange: the files of Mailchimp's export, named and shaped as Mailchimp writes them
    const subscribed = path.join(dir, 'subscribed_members_export_5d1e.csv');
    const unsubscribed = path.join(dir, 'unsubscribed_members_export_5d1e.csv');
    writeFileSync(
      subscribed,
      [
        'Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,LAST_CHANGED,LEID,EUID,NOTES,TAGS',
        'mc.stays@example.com,Stella,Stays,2,2023-01-02 10:00:00,,2023-01-02 10:01:00,,,,,,,,,2023-01-02 10:01:00,101,euid-stays,,',
        'mc.leaves@example.com,Lee,Leaves,2,2023-01-03 10:00:00,,2023-01-03 10:01:00,,,,,,,,,2023-01-03 10:01:00,102,euid-leaves,,',
        '',
      ].join('\r\n'),
    );
    writeFileSync(
      unsubscribed,
      [
        'Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP,LATITUDE,LONGITUDE,GMTOFF,DSTOFF,TIMEZONE,CC,REGION,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,LEID,EUID,NOTES,TAGS',
        'mc.leaves@example.com,Lee,Leaves,2,2023-01-03 10:00:00,,2023-01-03 10:01:00,,,,,,,,,2024-05-06 07:08:09,Spring news,c9,NORMAL,,102,euid-leaves,,',
        '',
      ].join('\r\n'),
    );
    const sandbox = mode.sandbox!;
    const subscriberOf = (email: string) => sandbox.subscribers().find((subscriber) => subscriber.email === email);

    // Act 1: the subscribed file
    const first = recordingIo();
    expect(await runCli(['import', subscribed, '--local', mode.apiUrl], first)).toBe(0);
    await waitFor(() => subscriberOf('mc.stays@example.com') && subscriberOf('mc.leaves@example.com'), { what: 'the subscribed members' });

    // Act 2: the unsubscribed file
    const second = recordingIo();
    expect(await runCli(['import', unsubscribed, '--local', mode.apiUrl], second)).toBe(0);

    // Assert
    expect(first.stdout.join('\n')).toContain('Mailchimp status: subscribed (from the file name)');
    expect(second.stdout.join('\n')).toContain('Mailchimp status: unsubscribed (from column UNSUB_TIME)');
    expect(second.stdout.join('\n')).toMatch(/accepted: 1 \(1 opt-outs\)/);
    await waitFor(() => !subscriberOf('mc.leaves@example.com')!.consents.includes('marketing_newsletter'), { what: 'the opt-out' });
    expect(subscriberOf('mc.stays@example.com')!.consents).toContain('marketing_newsletter');
    expect(
      sandbox
        .customers()
        .filter((customer) => customer.email.startsWith('mc.'))
        .map((customer) => customer.email)
        .sort(),
    ).toEqual(['mc.leaves@example.com', 'mc.stays@example.com']);
    expect(await mode.deadLetters()).toEqual([]);
  });
});
