import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildMapping, parseMapFlag, rowToCandidate, toIsoTime } from '../../../ops/csv-mapping';
import { CliError, CliUsageError } from '../../../ops/errors';
import type { ImportSummary } from '../../../ops/import-csv';
import { type CliIo, formatDeadLetters, runCli } from '../../../ops/main';
import { createProgress, formatDuration } from '../../../ops/progress';
import { redactEmails } from '../../../ops/redact';
import { readOutputsFile, resolveTarget } from '../../../ops/targets';

/** `signup-sync` command line: argument errors, mapping, targets, output. Nothing here reaches SQS. */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signup-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, content: string) => {
  const full = path.join(dir, name);
  writeFileSync(full, content);
  return full;
};

/** A recording CliIo; `fetch` fails as when local mode is not running. */
function io(overrides: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: CliIo = {
    out: (text) => out.push(text),
    err: (text) => err.push(text),
    progress: { isTTY: false, write: () => undefined },
    interactive: false,
    ask: async () => '',
    env: {},
    fetch: async () => {
      throw new TypeError('fetch failed');
    },
    ...overrides,
  };
  return { io: value, out, err };
}

describe('signup-sync arguments', () => {
  it('prints the usage, every command with its flags, for --help, help and no arguments', async () => {
    for (const argv of [['--help'], ['help'], [], ['-h']]) {
      const { io: cli, out, err } = io();
      expect(await runCli(argv, cli)).toBe(0);
      const usage = out.join('\n');
      expect(usage).toContain('Usage: signup-sync <command> [flags]');
      for (const line of [
        /^ {2}dlq redrive /m,
        /^ {6}--rate <n> /m,
        /^ {2}import <file\.csv> /m,
        /^ {6}--from-line <n> /m,
        /^ {2}--local <url> /m,
        /Exit status: 0 done, 1 failed or rows rejected, 2 bad command line, 130 interrupted/,
      ]) {
        expect(usage).toMatch(line);
      }
      expect(err).toEqual([]);
    }
  });

  it("prints one command's flags and the shared ones for <command> --help", async () => {
    const { io: cli, out } = io();
    expect(await runCli(['dlq', 'list', '-h'], cli)).toBe(0);
    expect(out.join('\n')).toMatch(/^Usage: signup-sync dlq list .*--max <n> +read at most n messages \(default: 1000\).*--queue-url <url>/s);
  });

  it.each([
    [['frobnicate'], "unknown command 'frobnicate'"],
    [['dlq'], 'dlq needs a command: list, show, delete, redrive or purge'],
    [['dlq', 'drop'], 'Unknown dlq command "drop"'],
    [['dlq', 'list', '--nope'], "unknown option '--nope'"],
    [['dlq', 'list', '--rate', '2'], "unknown option '--rate'"],
    [['dlq', 'list', 'extra'], "too many arguments for 'list'"],
    [['dlq', 'list', '--max', '0'], '--max must be a whole number > 0, got "0"'],
    [['dlq', 'list', '--max', '2.5'], '--max must be a whole number > 0, got "2.5"'],
    [['dlq', 'redrive', '--rate', 'fast'], '--rate must be a number > 0, got "fast"'],
    [['dlq', 'redrive', '--rate'], "option '--rate <n>' argument missing"],
    [['dlq', 'redrive', '--method', 'teleport'], '--method must be auto, move-task or copy, got "teleport"'],
    [['dlq', 'purge'], 'pass --yes to confirm when not running in a terminal'],
    [['dlq', 'list', '--local', 'localhost:3000'], '--local must be a URL'],
    [['dlq', 'list', '--local', 'http://127.0.0.1:3000', '--queue-url', 'http://127.0.0.1:9324/1/q'], '--local cannot be combined with --queue-url/--dlq-url'],
    [['import'], "missing required argument 'file.csv'"],
    [['import', 'a.csv', 'b.csv'], "too many arguments for 'import'. Expected 1 argument but got 2"],
    [['import', 'a.csv', '--map', 'email'], '--map takes field=Column'],
    [['import', 'a.csv', '--map', 'mail=Email'], '--map: unknown field "mail"'],
    [['import', 'a.csv', '--from-line', '-3'], '--from-line must be a whole number > 0, got "-3"'],
    [['import', 'a.csv', '--from-line', 'two'], '--from-line must be a whole number > 0, got "two"'],
    [['import', 'a.csv', '--source-id', 'Bad Id'], '--source-id must be a slug'],
    [['import', 'a.csv', '--delimiter', '::'], '--delimiter must be one character (or "tab")'],
    [['import', 'a.csv', '--delimiter', '"'], '--delimiter must be one character (or "tab"), got """'],
    [['send-test', '--url', 'not a url'], '--url must be a URL'],
    [['--queue-url', 'sqs/queue', 'dlq', 'list'], '--queue-url must be a URL, got "sqs/queue"'],
  ])('%j -> exit 2: %s', async (argv, message) => {
    // Act
    const { io: cli, err, out } = io();
    const code = await runCli(argv, cli);

    // Assert
    expect(code).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect(err.join('\n')).toContain('signup-sync --help');
    expect(out).toEqual([]);
  });

  it('says how to start local mode, or reach one on another port, when no queues are given and it is not running (exit 1)', async () => {
    const { io: cli, err } = io();
    expect(await runCli(['dlq', 'list'], cli)).toBe(1);
    expect(err.join('\n')).toMatch(
      /Local mode is not running at http:\/\/127\.0\.0\.1:3000 .*npm start.*--local <url>.*SIGNUP_SYNC_LOCAL_URL.*--stack <name>, --outputs-file <file>, or --queue-url\/--dlq-url/s,
    );
  });

  it('takes the where-flags before or after the command, and flags before the file', async () => {
    // Arrange: record which local mode is asked for its queues
    const asked: string[] = [];
    const before = io({
      fetch: async (url) => {
        asked.push(String(url));
        throw new TypeError('fetch failed');
      },
    });
    const after = io();

    // Act
    const code = await runCli(['--local', 'http://127.0.0.1:3999', 'dlq', 'redrive', '--rate', '5'], before.io);
    const mapped = await runCli(
      [
        'import',
        '--map',
        'email=E-mail',
        '--map',
        'first_name=Vorname',
        file('flags-first.csv', 'E-mail,Vorname,Surname\r\nada@example.com,Ada,King\r\n'),
        '--dry-run',
        '--json',
      ],
      after.io,
    );

    // Assert
    expect(code).toBe(1);
    expect(asked).toEqual(['http://127.0.0.1:3999/_local/api/config']);
    expect(mapped).toBe(0);
    expect(JSON.parse(after.out.join('\n'))).toMatchObject({ accepted: 1, mapping: { email: 'E-mail', first_name: 'Vorname' } });
  });

  it('reads a semicolon-separated file with --delimiter', async () => {
    const { io: cli, out } = io();
    expect(
      await runCli(
        [
          'import',
          file('semicolons.csv', 'E-mail;Vorname;Nachname\r\nada@example.com;Ada;King\r\n'),
          '--delimiter',
          ';',
          '--map',
          'first_name=Vorname',
          '--map',
          'last_name=Nachname',
          '--dry-run',
          '--json',
        ],
        cli,
      ),
    ).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ accepted: 1, rejected: 0, mapping: { email: 'E-mail', first_name: 'Vorname', last_name: 'Nachname' } });
  });

  it('refuses an import of a file that is not there (exit 1) or has no email column (exit 2)', async () => {
    const missing = io();
    expect(await runCli(['import', path.join(dir, 'missing.csv'), '--dry-run'], missing.io)).toBe(1);
    expect(missing.err.join()).toContain('Cannot read');

    const noEmail = io();
    expect(await runCli(['import', file('no-email.csv', 'name,city\r\nAda,London\r\n'), '--dry-run'], noEmail.io)).toBe(2);
    expect(noEmail.err.join()).toContain('No email column found (columns: "name", "city")');
  });
});

describe('CSV column mapping', () => {
  const MAILCHIMP_HEADER = [
    'Email Address',
    'First Name',
    'Last Name',
    'Address',
    'Phone Number',
    'MEMBER_RATING',
    'OPTIN_TIME',
    'OPTIN_IP',
    'CONFIRM_TIME',
    'CONFIRM_IP',
    'LATITUDE',
    'LONGITUDE',
    'GMTOFF',
    'DSTOFF',
    'TIMEZONE',
    'CC',
    'REGION',
    'LAST_CHANGED',
    'LEID',
    'EUID',
    'NOTES',
    'TAGS',
  ];

  it('recognises a Mailchimp audience export', () => {
    // Act
    const mapping = buildMapping(MAILCHIMP_HEADER);

    // Assert
    expect(mapping.format).toBe('mailchimp');
    expect(Object.fromEntries([...mapping.columns].map(([target, column]) => [target, column.header]))).toEqual({
      email: 'Email Address',
      first_name: 'First Name',
      last_name: 'Last Name',
      phone: 'Phone Number',
      occurred_at: 'CONFIRM_TIME',
      event_id: 'EUID',
      notes: 'NOTES',
    });
    expect(mapping.ignored).toContain('MEMBER_RATING');
  });

  it('recognises generic spellings and lets --map override or unmap them', () => {
    // Act
    const mapping = buildMapping(['E-mail', 'firstName', 'Surname', 'Zip', 'City', 'Country Code', 'Street', 'Colour'], {
      overrides: [parseMapFlag('custom:Favourite colour=colour'), parseMapFlag('last_name=')],
    });

    // Assert
    expect(mapping.format).toBe('generic');
    expect(Object.fromEntries([...mapping.columns].map(([target, column]) => [target, column.header]))).toEqual({
      'custom:Favourite colour': 'Colour',
      email: 'E-mail',
      first_name: 'firstName',
      'address.address1': 'Street',
      'address.city': 'City',
      'address.postal_code': 'Zip',
      'address.country_code': 'Country Code',
    });
    expect(mapping.ignored).toEqual(['Surname']);
  });

  it("turns a row into the ingest's candidate, leaving empty cells out", () => {
    const mapping = buildMapping(['email', 'first_name', 'last_name', 'city', 'address1', 'country_code', 'occurred_at', 'company']);
    expect(rowToCandidate(['a@example.com', 'Ada', ' Lovelace ', 'London', '12 St James', 'gb', '2024-03-01 17:02:11', '  '], mapping, 'f:line-2')).toEqual({
      candidate: {
        email: 'a@example.com',
        first_name: 'Ada',
        last_name: 'Lovelace',
        occurred_at: '2024-03-01T17:02:11Z',
        address: { city: 'London', address1: '12 St James', country_code: 'GB' },
        event_id: 'f:line-2',
      },
      problems: [],
      addressLeftOut: false,
    });
  });

  it('reads Mailchimp times as UTC and leaves other values alone', () => {
    expect(toIsoTime('2024-03-01 17:02')).toBe('2024-03-01T17:02:00Z');
    expect(toIsoTime('2024-03-01T17:02:11+02:00')).toBe('2024-03-01T17:02:11+02:00');
  });

  it('rejects an unknown column in --map and a column mapped twice', () => {
    expect(() => buildMapping(['email'], { overrides: [parseMapFlag('first_name=Vorname')] })).toThrow(CliUsageError);
    expect(() => buildMapping(['email', 'x'], { overrides: [parseMapFlag('first_name=x'), parseMapFlag('last_name=x')] })).toThrow('mapped twice');
  });

  it('checks a Mailchimp export without sending (--dry-run --json), reporting rejected rows by line and column', async () => {
    // Arrange
    const rows = [
      MAILCHIMP_HEADER.join(','),
      [
        'ada@example.com',
        'Ada',
        'Lovelace',
        '',
        '',
        '2',
        '2024-01-02 10:11:12',
        '',
        '2024-01-02 10:12:00',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '',
        '11',
        'a1b2',
        '',
        '"vip"',
      ].join(','),
      ['not-an-email', 'Bob', 'Builder', ...Array(19).fill('')].join(','),
      ['carol@example.com', 'C'.repeat(101), 'Cole', ...Array(19).fill('')].join(','),
    ];
    const csv = file('mailchimp.csv', `${rows.join('\r\n')}\r\n`);
    const { io: cli, out } = io();

    // Act
    const code = await runCli(['import', csv, '--dry-run', '--json'], cli);

    // Assert
    const summary = JSON.parse(out.join('\n')) as ImportSummary;
    expect(code).toBe(1);
    expect(summary).toMatchObject({ format: 'mailchimp', accepted: 1, rejected: 2, dryRun: true, completed: true, firstLine: 2, lastLine: 4 });
    expect(summary.rejectedRows).toEqual([
      { line: 3, problems: ['/email (column "Email Address"): Invalid email address'] },
      { line: 4, problems: ['/first_name (column "First Name"): Too big: expected string to have <=100 characters'] },
    ]);
    expect(JSON.stringify(summary)).not.toContain('not-an-email');
  });
});

describe('targets', () => {
  it('reads `cdk deploy --outputs-file` JSON, choosing the stack by name when there are several', () => {
    // Arrange
    const outputs = file(
      'outputs.json',
      JSON.stringify({
        SignupSync: { SignupQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q', DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/dlq' },
        Other: { X: 'y' },
      }),
    );

    // Act / Assert
    expect(readOutputsFile(outputs, 'SignupSync')).toEqual({
      SignupQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q',
      DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/dlq',
    });
    expect(readOutputsFile(outputs, undefined)).toHaveProperty('SignupQueueUrl');
    expect(() => readOutputsFile(outputs, 'Nope')).toThrow(CliError);
    expect(() => readOutputsFile(file('bad.json', '{'), undefined)).toThrow('Cannot read the outputs file');
  });

  it("takes the queues from a stack's CloudFormation outputs (--stack), in the queue URL's region", async () => {
    // Act
    const target = await resolveTarget(
      { stack: 'SignupSync' },
      {
        env: {},
        stackOutputs: async () => ({
          SignupQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q',
          DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/dlq',
          ApiUrl: 'https://x.execute-api.eu-west-1.amazonaws.com',
        }),
      },
    );

    // Assert
    expect(target).toMatchObject({
      description: 'stack SignupSync',
      signupQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q',
      deadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/dlq',
      apiUrl: 'https://x.execute-api.eu-west-1.amazonaws.com',
      local: false,
    });
    expect(await target.sqs!.config.region()).toBe('eu-west-1');
    target.sqs!.destroy();
  });
});

describe('operator output', () => {
  it('lists dead letters without emails unless asked', () => {
    // Arrange
    const letters = [
      {
        messageId: 'm-1',
        kind: 'signup' as const,
        reason: 'bigcommerce-rejected',
        httpStatus: 422,
        sourceId: 'api',
        ageSeconds: 4000,
        detail: redactEmails('Email ada@example.com is invalid'),
        email: 'ada@example.com',
      },
    ];

    // Act
    const plain = formatDeadLetters(letters);
    const withPii = formatDeadLetters(letters, { showPii: true });

    // Assert
    expect(plain).toContain('bigcommerce-rejected  422   67m  api');
    expect(plain).toContain('Email <email> is invalid');
    expect(plain).not.toContain('ada@example.com');
    expect(withPii).toContain('ada@example.com');
    expect(formatDeadLetters([])).toBe('The dead-letter queue is empty.');
  });

  it('prints plain progress lines when stderr is not a terminal: every interval, a time left only once it is known, the time taken at the end', () => {
    // Arrange
    const written: string[] = [];
    let clock = 0;
    const progress = createProgress({ isTTY: false, write: (text) => written.push(text) }, { now: () => clock, plainIntervalMs: 2000 });
    const at = (ms: number, bytes: number, rows: number) => {
      clock = ms;
      progress.update({ bytes, totalBytes: 1000, rows, accepted: rows, rejected: 10 });
    };

    // Act
    at(500, 100, 400); // first chunk: a line, too early for an estimate
    at(1500, 250, 1000); // within the interval: no line
    at(2500, 250, 1000); // the same count again (the queue was slow): a line, still a sound estimate
    at(5000, 500, 2000);
    at(5100, 900, 3600); // within the interval: no line
    at(8000, 1000, 4000); // the whole file is read: no line, the last one follows
    progress.done({ bytes: 1000, totalBytes: 1000, rows: 4000, accepted: 3990, rejected: 10 });

    // Assert: the estimate is the bytes left at the average rate so far (2,500 ms for 250 bytes -> 7.5 s for 750)
    expect(written).toEqual([
      'import: 10%  400 rows, 10 rejected  800 rows/s\n',
      'import: 25%  1,000 rows, 10 rejected  400 rows/s  about 8s left\n',
      'import: 50%  2,000 rows, 10 rejected  400 rows/s  about 5s left\n',
      'import: 100%  4,000 rows, 10 rejected  500 rows/s  done in 8s\n',
    ]);
    expect(written.join('')).not.toMatch(/NULL|INF|NaN|Infinity|ETA/);
  });

  it('formats durations for people', () => {
    expect([0.4, 42, 245, 4800].map(formatDuration)).toEqual(['0s', '42s', '4m05s', '1h20m']);
  });

  it('draws a bar on a terminal and clears it before the summary', () => {
    // Arrange
    const written: string[] = [];
    let clock = 0;
    const progress = createProgress({ isTTY: true, columns: 100, write: (text) => written.push(text) }, { now: () => clock });

    // Act
    clock = 2000;
    progress.update({ bytes: 250, totalBytes: 1000, rows: 10, accepted: 10, rejected: 0 });
    progress.done({ bytes: 1000, totalBytes: 1000, rows: 40, accepted: 40, rejected: 0 });

    // Assert: 250 bytes in 2 s, 750 to go
    const text = written.join('');
    expect(text).toContain('[#####...............] 25%  10 rows, 0 rejected  5 rows/s  ETA 6s');
    expect(text.endsWith('\x1b[2K')).toBe(true); // the line is cleared
    expect(text).not.toContain('\n');
  });
});
