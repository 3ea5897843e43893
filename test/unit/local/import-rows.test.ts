import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { type ImportSummary, importCsv } from '../../../ops/import-csv';
import { resolveImportRules } from '../../../ops/import-rules';
import { type CliIo, runCli } from '../../../ops/main';
import { resolveTarget } from '../../../ops/targets';
import { DEFAULT_NAMELESS_POLICY } from '../../../shared/signup/nameless-policy';
import type { SignupMessage } from '../../../shared/signup/signup-schema';
import { anHttpEvent, anIngestHandler, fakeQueue, standardWebhookHeaders } from '../../helpers/ingest';

/**
 * `signup-sync import` checks each row with the ingest's one check (shared/ingest/check-signups.ts):
 * a row is refused exactly when POST /signups answers 422 for it, with every field at once; consent,
 * opt-out and Mailchimp statuses are carried; the nameless policy is the deployment's.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signup-import-rows-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, lines: readonly string[]) => {
  const full = path.join(dir, name);
  writeFileSync(full, `${lines.join('\r\n')}\r\n`);
  return full;
};

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

/** The paths POST /signups names in its 422 for one signup, or [] when it answers 202. */
async function ingestProblemPaths(signup: Record<string, unknown>): Promise<string[]> {
  const { queue } = fakeQueue();
  const text = JSON.stringify(signup);
  const response = await anIngestHandler({ queue })(
    anHttpEvent('/signups', { body: text, headers: { 'content-type': 'application/json', ...standardWebhookHeaders(text) } }),
  );
  if (response.statusCode === 202) return [];
  expect(response.statusCode).toBe(422);
  return (JSON.parse(response.body) as { errors: { path: string }[] }).errors.map((error) => error.path);
}

const pathsOf = (problems: readonly string[]) => problems.map((problem) => problem.split(' ')[0]!.replace(/:$/, ''));

const NEWSLETTER_ROWS = [
  'email,first_name,last_name,newsletter',
  'a@example.com,Ada,,', // line 2: no last name, no consent
  'b@example.com,,,Yes', // line 3: no names, consent when the column is mapped
  'c@example.com,Grace,Hopper,no', // line 4: a customer either way
  'not-an-email,Ada,,', // line 5: a bad email AND no last name
];

describe('import: rows checked as the ingest checks POST /signups', () => {
  it('refuses in a dry run every row the ingest would refuse, naming the line and every field, and counts only the rows it would take', async () => {
    // Arrange
    const csv = file('newsletter.csv', NEWSLETTER_ROWS);
    const text = io();
    const json = io();

    // Act
    const code = await runCli(['import', csv, '--dry-run'], text.io);
    await runCli(['import', csv, '--dry-run', '--json'], json.io);

    // Assert: the text a person reads
    const summary = text.out.join('\n');
    expect(code).toBe(1);
    expect(summary).toMatch(/accepted: 1, dry run: nothing sent/);
    expect(summary).toContain('rejected: 3');
    expect(summary).toMatch(/line 2: \/last_name \(column "last_name"\): Required unless marketing consent is given/);
    expect(summary).toMatch(/line 5: \/email \(column "email"\): Invalid email address; \/last_name \(column "last_name"\): Required unless/);
    expect(summary).toContain('nameless policy: subscriber (cdk.json)');
    expect(summary).not.toMatch(/not-an-email|a@example\.com|Ada/);

    // Assert: the ingest names the same fields for the same records
    const result = JSON.parse(json.out.join('\n')) as ImportSummary;
    const byLine = Object.fromEntries(result.rejectedRows.map((row) => [row.line, pathsOf(row.problems)]));
    expect(byLine).toEqual({ 2: ['/last_name'], 3: ['/first_name', '/last_name'], 5: ['/email', '/last_name'] });
    expect(await ingestProblemPaths({ email: 'a@example.com', first_name: 'Ada' })).toEqual(byLine[2]);
    expect(await ingestProblemPaths({ email: 'b@example.com' })).toEqual(byLine[3]);
    expect(await ingestProblemPaths({ email: 'not-an-email', first_name: 'Ada' })).toEqual(byLine[5]);
    expect(await ingestProblemPaths({ email: 'c@example.com', first_name: 'Grace', last_name: 'Hopper' })).toEqual([]);
  });

  it('--map consent.marketing=<column> carries the consent: a nameless row with a yes becomes a subscriber, and the ingest agrees', async () => {
    // Arrange
    const csv = file('newsletter-mapped.csv', NEWSLETTER_ROWS);
    const { io: cli, out } = io();

    // Act
    const code = await runCli(['import', csv, '--map', 'consent.marketing=newsletter', '--dry-run', '--json'], cli);

    // Assert
    const summary = JSON.parse(out.join('\n')) as ImportSummary;
    expect(code).toBe(1);
    expect(summary).toMatchObject({ accepted: 2, withConsent: 1, rejected: 2, mapping: { 'consent.marketing': 'newsletter' } });
    expect(summary.rejectedRows.map((row) => row.line)).toEqual([2, 5]);
    expect(await ingestProblemPaths({ email: 'b@example.com', consent: { marketing: true } })).toEqual([]);
  });

  it('reads yes/no cells as the ingest reads a consent answer, plus Mailchimp status words, in any case', async () => {
    // Arrange: every documented word, and one it does not know (consent left unknown)
    const words = [
      'true',
      'YES',
      'y',
      'On',
      '1',
      'checked',
      'accepted',
      'Subscribed',
      'false',
      'No',
      'n',
      'off',
      '0',
      'unchecked',
      'declined',
      'unsubscribed',
      'maybe',
    ];
    const csv = file('words.csv', ['email,first_name,last_name,ok', ...words.map((word, i) => `w${i}@example.com,Ada,Lovelace,${word}`)]);
    const { queue, messages } = fakeQueue();

    // Act
    await importCsv({ file: csv, mapping: { overrides: [{ target: 'consent.marketing', column: 'ok' }] }, queue });

    // Assert
    const consents = (messages as SignupMessage[]).map((message) => message.signup.consent?.marketing);
    expect(consents).toEqual([...Array(8).fill(true), ...Array(8).fill(false), undefined]);
  });

  it('queues only the rows the ingest would take, in the real import too', async () => {
    // Arrange
    const csv = file('real.csv', NEWSLETTER_ROWS);
    const { queue, messages } = fakeQueue();

    // Act
    const summary = await importCsv({
      file: csv,
      mapping: { overrides: [{ target: 'consent.marketing', column: 'newsletter' }] },
      rules: { nameless: DEFAULT_NAMELESS_POLICY },
      queue,
    });

    // Assert
    expect(summary).toMatchObject({ accepted: 2, rejected: 2, completed: true });
    expect((messages as SignupMessage[]).map((message) => message.signup)).toEqual([
      { email: 'b@example.com', consent: { marketing: true }, event_id: 'real:line-3' },
      { email: 'c@example.com', first_name: 'Grace', last_name: 'Hopper', consent: { marketing: false }, event_id: 'real:line-4' },
    ]);
  });

  it("checks rows with a cdk.json's nameless policy and attribute fields (--cdk-json)", async () => {
    // Arrange: placeholder names for nameless signups; eleven custom fields that become customer attributes
    const names = Array.from({ length: 11 }, (_, i) => `attr${i}`);
    const cdkJson = path.join(dir, 'cdk.json');
    writeFileSync(
      cdkJson,
      JSON.stringify({
        context: {
          signupSync: {
            storeHash: 'abc123',
            nameless: 'placeholder',
            placeholderNames: { first_name: 'Dear', last_name: 'Reader' },
            customFieldMap: Object.fromEntries(names.map((name) => [name, { attribute: name }])),
          },
        },
      }),
    );
    const csv = file('attributes.csv', [
      `email,first_name,${names.join(',')}`,
      `a@example.com,Ada,${names.map(() => 'x').join(',')}`,
      `b@example.com,${','.repeat(names.length)}`,
    ]);
    const { io: cli, out } = io();
    const maps = names.flatMap((name) => ['--map', `custom:${name}=${name}`]);

    // Act
    const code = await runCli(['import', csv, '--cdk-json', cdkJson, '--dry-run', '--json', ...maps], cli);

    // Assert: line 2 has 11 attributes (refused); line 3 is nameless but gets placeholder names (taken)
    const summary = JSON.parse(out.join('\n')) as ImportSummary;
    expect(code).toBe(1);
    expect(summary.nameless).toEqual({ policy: 'placeholder', from: cdkJson });
    expect(summary).toMatchObject({ accepted: 1, rejected: 1 });
    expect(summary.rejectedRows).toEqual([
      { line: 2, problems: ['/custom_fields: 11 custom fields map to customer attributes; BigCommerce accepts at most 10 per customer'] },
    ]);
  });

  it('takes the nameless policy of the deployment it sends to (local mode serves it)', async () => {
    // Arrange: a local mode whose ingest rejects every nameless signup
    const csv = file('consenting.csv', ['email,consent.marketing', 'news@example.com,yes']);
    const { io: cli, out } = io({
      fetch: (async (url: string) => {
        expect(String(url)).toBe('http://127.0.0.1:3999/_local/api/config');
        return new Response(
          JSON.stringify({
            apiUrl: 'http://127.0.0.1:3999',
            region: 'us-east-1',
            sqs: { kind: 'embedded', endpoint: 'http://127.0.0.1:1' },
            signupQueueUrl: 'http://127.0.0.1:1/000000000000/signups',
            deadLetterQueueUrl: 'http://127.0.0.1:1/000000000000/dlq',
            apiSecret: 'x',
            ingest: { sources: [], namelessPolicy: { nameless: 'reject' } },
          }),
        );
      }) as typeof fetch,
    });

    // Act: a dry run naming the deployment asks it for its rules
    const code = await runCli(['import', csv, '--local', 'http://127.0.0.1:3999', '--dry-run', '--json'], cli);

    // Assert
    const summary = JSON.parse(out.join('\n')) as ImportSummary;
    expect(code).toBe(1);
    expect(summary.nameless).toEqual({ policy: 'reject', from: 'the ingest of local mode at http://127.0.0.1:3999' });
    expect(summary.rejectedRows[0]!.problems[0]).toMatch(/^\/first_name: Required: this source does not accept signups without names/);
  });
});

describe("import: the deployment's rules", () => {
  const outputs = async () => ({ SignupQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/1/q', IngestFunctionName: 'SignupSync-Ingest' });
  const environment = {
    SIGNUP_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q',
    SOURCES_SECRET: 'sources',
    DELIVERY_LEDGER_TABLE: 'deliveries',
    NAMELESS_POLICY: JSON.stringify({ nameless: 'placeholder', placeholderNames: { first_name: 'Dear', last_name: 'Reader' } }),
    CUSTOM_ATTRIBUTE_FIELDS: JSON.stringify(['tier']),
  };

  it("reads a stack's rules from its ingest function, as dlq redrive does", async () => {
    // Arrange
    const asked: string[] = [];
    const target = await resolveTarget(
      { stack: 'SignupSync' },
      {
        env: {},
        stackOutputs: outputs,
        functionEnvironment: () => async (name) => {
          asked.push(name);
          return environment;
        },
      },
    );

    // Act
    const { rules, from } = await resolveImportRules({ target });
    target.sqs?.destroy();

    // Assert
    expect(asked).toEqual(['SignupSync-Ingest']);
    expect(from).toBe('the ingest of stack SignupSync');
    expect(rules.nameless).toEqual({ nameless: 'placeholder', placeholderNames: { first_name: 'Dear', last_name: 'Reader' } });
    expect([...(rules.attributeFields ?? [])]).toEqual(['tier']);
  });

  it('refuses to guess when the ingest cannot be read, pointing at --cdk-json', async () => {
    // Arrange
    const target = await resolveTarget(
      { stack: 'SignupSync' },
      {
        env: {},
        stackOutputs: outputs,
        functionEnvironment: () => async () => {
          throw new Error('AccessDeniedException');
        },
      },
    );

    // Act / Assert
    await expect(resolveImportRules({ target })).rejects.toThrow(/Cannot read the ingest's configuration of stack SignupSync .*--cdk-json/);
    target.sqs?.destroy();
  });
});

describe('import: Mailchimp audience exports', () => {
  const HEADER = 'Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,CONFIRM_TIME,LEID,EUID,NOTES,TAGS';
  const UNSUB_HEADER =
    'Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,CONFIRM_TIME,UNSUB_TIME,UNSUB_CAMPAIGN_TITLE,UNSUB_CAMPAIGN_ID,UNSUB_REASON,UNSUB_REASON_OTHER,LEID,EUID,NOTES,TAGS';
  const CLEANED_HEADER =
    'Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,CONFIRM_TIME,CLEAN_TIME,CLEAN_CAMPAIGN_TITLE,CLEAN_CAMPAIGN_ID,LEID,EUID,NOTES,TAGS';

  it('gives the rows of the subscribed file marketing consent (status from the file name), so a nameless member becomes a subscriber', async () => {
    // Arrange
    const csv = file('subscribed_members_export_3f2a.csv', [
      HEADER,
      'ada@example.com,Ada,Lovelace,2,2024-01-02 10:11:12,2024-01-02 10:12:00,11,a1b2,,',
      'news@example.com,,,1,2024-01-03 09:00:00,2024-01-03 09:01:00,12,c3d4,,',
    ]);
    const { queue, messages } = fakeQueue();

    // Act
    const summary = await importCsv({ file: csv, queue });

    // Assert
    expect(summary).toMatchObject({ format: 'mailchimp', status: 'subscribed (from the file name)', accepted: 2, withConsent: 2, rejected: 0 });
    expect((messages as SignupMessage[]).map((message) => message.signup)).toEqual([
      {
        email: 'ada@example.com',
        first_name: 'Ada',
        last_name: 'Lovelace',
        consent: { marketing: true },
        event_id: 'a1b2',
        occurred_at: '2024-01-02T10:12:00Z',
      },
      { email: 'news@example.com', consent: { marketing: true }, event_id: 'c3d4', occurred_at: '2024-01-03T09:01:00Z' },
    ]);
  });

  it('turns the unsubscribed and the cleaned file into opt-outs at their UNSUB_TIME / CLEAN_TIME, whatever the file is called', async () => {
    // Arrange
    const unsubscribed = file('export-a.csv', [
      UNSUB_HEADER,
      'ada@example.com,Ada,Lovelace,2,2024-01-02 10:11:12,2024-01-02 10:12:00,2024-06-01 08:00:00,Spring,c1,NORMAL,,11,a1b2,,',
    ]);
    const cleaned = file('export-b.csv', [
      CLEANED_HEADER,
      'gone@example.com,Old,Address,1,2019-01-01 00:00:00,2019-01-01 00:00:01,2020-03-23 17:30:05,,,13,e5f6,,',
    ]);
    const first = fakeQueue();
    const second = fakeQueue();

    // Act
    const fromUnsubscribed = await importCsv({ file: unsubscribed, queue: first.queue });
    const fromCleaned = await importCsv({ file: cleaned, queue: second.queue });

    // Assert: only what an opt-out carries (no names), at the time it happened
    expect(fromUnsubscribed).toMatchObject({ status: 'unsubscribed (from column UNSUB_TIME)', accepted: 1, optOuts: 1, withConsent: 0 });
    expect(fromCleaned).toMatchObject({ status: 'cleaned (from column CLEAN_TIME)', accepted: 1, optOuts: 1 });
    expect((first.messages as SignupMessage[])[0]!.signup).toEqual({
      email: 'ada@example.com',
      opt_out: true,
      event_id: 'a1b2',
      occurred_at: '2024-06-01T08:00:00Z',
    });
    expect((second.messages as SignupMessage[])[0]!.signup).toEqual({
      email: 'gone@example.com',
      opt_out: true,
      event_id: 'e5f6',
      occurred_at: '2020-03-23T17:30:05Z',
    });
    expect(fromUnsubscribed.ignoredColumns).not.toContain('UNSUB_TIME');
  });

  it('reads a status column (--status-column), refusing a row whose status it does not know without echoing it', async () => {
    // Arrange
    const csv = file('merged.csv', [
      'Email,First Name,Last Name,Status',
      'a@example.com,Ada,Lovelace,subscribed',
      'b@example.com,Bob,Builder,Unsubscribed',
      'c@example.com,Cy,Clean,cleaned',
      'd@example.com,Di,Pending,pending',
      'e@example.com,Ed,Odd,vip-member',
    ]);
    const { io: cli, out } = io();

    // Act
    const code = await runCli(['import', csv, '--status-column', 'Status', '--dry-run', '--json'], cli);

    // Assert
    const summary = JSON.parse(out.join('\n')) as ImportSummary;
    expect(code).toBe(1);
    expect(summary).toMatchObject({ status: 'per row, from column "Status"', accepted: 4, withConsent: 1, optOuts: 2, rejected: 1 });
    expect(summary.rejectedRows).toEqual([
      {
        line: 6,
        problems: ['/status (column "Status"): not a Mailchimp status (subscribed, unsubscribed, cleaned, pending, nonsubscribed, transactional, archived)'],
      },
    ]);
    expect(out.join('\n')).not.toContain('vip-member');
  });

  it('says when the status of a Mailchimp export is not known, and carries no consent then; --status names it', async () => {
    // Arrange
    const csv = file('audience.csv', [HEADER, 'news@example.com,,,1,2024-01-03 09:00:00,2024-01-03 09:01:00,12,c3d4,,']);
    const unknown = io();
    const named = io();

    // Act
    const unknownCode = await runCli(['import', csv, '--dry-run'], unknown.io);
    const namedCode = await runCli(['import', csv, '--status', 'subscribed', '--dry-run'], named.io);
    const both = io();
    const bothCode = await runCli(['import', csv, '--status', 'subscribed', '--status-column', 'TAGS', '--dry-run'], both.io);

    // Assert
    expect(unknownCode).toBe(1);
    expect(unknown.out.join('\n')).toContain('Mailchimp status: not known');
    expect(unknown.out.join('\n')).toMatch(/line 2: \/first_name \(column "First Name"\): Required unless marketing consent/);
    expect(namedCode).toBe(0);
    expect(named.out.join('\n')).toContain('Mailchimp status: subscribed (from --status)');
    expect(named.out.join('\n')).toMatch(/accepted: 1 \(1 with marketing consent\)/);
    expect(bothCode).toBe(2);
    expect(both.err.join('\n')).toContain('--status and --status-column cannot be combined');
  });

  it('maps a yes/no opt_out column, keeping only what an opt-out carries', async () => {
    // Arrange
    const csv = file('optouts.csv', ['email,first_name,last_name,opt_out', 'a@example.com,Ada,Lovelace,yes', 'b@example.com,Bob,Builder,no']);
    const { queue, messages } = fakeQueue();

    // Act
    const summary = await importCsv({ file: csv, queue });

    // Assert: the column is recognised by its canonical name
    expect(summary).toMatchObject({ mapping: { opt_out: 'opt_out' }, accepted: 2, optOuts: 1 });
    expect((messages as SignupMessage[]).map((message) => message.signup)).toEqual([
      { email: 'a@example.com', opt_out: true, event_id: 'optouts:line-2' },
      { email: 'b@example.com', first_name: 'Bob', last_name: 'Builder', event_id: 'optouts:line-3' },
    ]);
  });
});
