import { type Command, Help } from 'commander';
import { createSqsSignupQueue } from '../shared/aws/sqs-signup-queue';
import type { SignupQueue } from '../shared/ingest/signup-queue';
import { choiceOption, createCommand, numberOption, parseCommandLine, parseSince, repeatable } from './command-line';
import { consentAccess, consentRecordsJson, formatConsentRecords } from './consent-records';
import { type CsvFormat, MAILCHIMP_STATUSES, type MailchimpStatus, type MapOverride, parseMapFlag } from './csv-mapping';
import type { RedriveMethod } from './dead-letters';
import { dlqDelete, dlqList, dlqPurge, dlqRedrive, dlqShow, type ListFlags, type RedriveFlags, type ShowFlags } from './dlq-command';
import { runDoctor, stackRegionInCdkJson, TOKEN_ENV } from './doctor';
import { DEFAULT_CDK_JSON } from './doctor/settings';
import { CliError, CliUsageError } from './errors';
import { FORGET_TOKEN_ENV, forgetPerson } from './forget';
import { formatImportSummary, importCsv } from './import-csv';
import { resolveImportRules } from './import-rules';
import type { ProgressSink } from './progress';
import { runRouteTokens } from './route-tokens';
import { sendTestSignup } from './send-test';
import { requireQueue, resolveTarget, type Target, type TargetDeps, type TargetFlags } from './targets';
import { DEFAULT_TRACE_SINCE, runTrace } from './trace/trace-command';

export type CliIo = Readonly<{
  out: (text: string) => void;
  err: (text: string) => void;
  /** Where the import progress goes (stderr). */
  progress: ProgressSink;
  /** Whether a person can answer a question. */
  interactive: boolean;
  ask: (question: string) => Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  stackOutputs?: TargetDeps['stackOutputs'];
}>;

/** The options every command that talks to a deployment takes (declared once, on the program). */
type WhereFlags = Readonly<{ local?: string; stack?: string; outputsFile?: string; queueUrl?: string; dlqUrl?: string; region?: string }>;

const urlOption =
  (flag: string) =>
  (value: string): string => {
    if (!/^https?:\/\/[^\s/]+\S*$/.test(value)) throw new CliUsageError(`--${flag} must be a URL, got "${value}"`);
    return value;
  };

const delimiterOption = (value: string): string => {
  const delimiter = value === 'tab' || value === '\\t' ? '\t' : value;
  if (delimiter.length !== 1 || /["\r\n]/.test(delimiter)) throw new CliUsageError(`--delimiter must be one character (or "tab"), got "${value}"`);
  return delimiter;
};

const sourceIdOption = (value: string): string => {
  if (!/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(value)) throw new CliUsageError('--source-id must be a slug: lower-case letters, digits and hyphens');
  return value;
};

const positiveWhole = (flag: string) => numberOption(flag, { integer: true, above: 0 });

function targetFlags(where: WhereFlags): TargetFlags {
  return {
    ...(where.queueUrl ? { queueUrl: where.queueUrl } : {}),
    ...(where.dlqUrl ? { dlqUrl: where.dlqUrl } : {}),
    ...(where.stack ? { stack: where.stack } : {}),
    ...(where.outputsFile ? { outputsFile: where.outputsFile } : {}),
    ...(where.region ? { region: where.region } : {}),
    ...(where.local ? { local: where.local } : {}),
  };
}

function targetDeps(io: CliIo): TargetDeps {
  return {
    env: io.env,
    ...(io.fetch ? { fetch: io.fetch } : {}),
    ...(io.stackOutputs ? { stackOutputs: io.stackOutputs } : {}),
    // A store pinned to a region in cdk.json (signupSync.stores.<name>.region) is found without --region.
    stackRegion: (stack) => stackRegionInCdkJson(stack),
  };
}

export { formatDeadLetters } from './dlq-command';

type ImportFlags = Readonly<{
  map?: MapOverride[];
  preset: 'auto' | CsvFormat;
  status?: MailchimpStatus;
  statusColumn?: string;
  cdkJson?: string;
  delimiter?: string;
  fromLine?: number;
  sourceId: string;
  dryRun?: boolean;
  json?: boolean;
}>;

async function runImport(file: string, flags: ImportFlags, where: WhereFlags, io: CliIo): Promise<number> {
  const dryRun = flags.dryRun === true;
  if (flags.status !== undefined && flags.statusColumn !== undefined) throw new CliUsageError('--status and --status-column cannot be combined');
  // A dry run contacts a deployment only when one is named; it then checks rows with that deployment's rules.
  const named = [where.local, where.stack, where.outputsFile, where.queueUrl, where.dlqUrl].some((value) => value !== undefined);
  const target = dryRun && !named ? undefined : await resolveTarget(targetFlags(where), targetDeps(io));
  let queue: SignupQueue | undefined;
  if (!dryRun && target) {
    const { sqs, url } = requireQueue(target, 'signup');
    queue = createSqsSignupQueue(sqs, url);
    io.err(`import: sending to ${url} (${target.description})`);
  }
  const { rules, from } = await resolveImportRules({ ...(flags.cdkJson !== undefined ? { cdkJson: flags.cdkJson } : {}), ...(target ? { target } : {}) });
  const summary = await importCsv({
    file,
    mapping: {
      overrides: flags.map ?? [],
      preset: flags.preset,
      ...(flags.status !== undefined ? { status: flags.status } : {}),
      ...(flags.statusColumn !== undefined ? { statusColumn: flags.statusColumn } : {}),
    },
    rules,
    rulesFrom: from,
    ...(flags.fromLine !== undefined ? { fromLine: flags.fromLine } : {}),
    sourceId: flags.sourceId,
    ...(flags.delimiter !== undefined ? { delimiter: flags.delimiter } : {}),
    ...(queue ? { queue } : {}),
    dryRun,
    progress: io.progress,
    ...(io.signal ? { signal: io.signal } : {}),
  });
  io.out(flags.json === true ? JSON.stringify(summary, null, 2) : formatImportSummary(summary));
  if (!summary.completed) return io.signal?.aborted ? 130 : 1;
  return summary.rejected > 0 ? 1 : 0;
}

type SendTestFlags = Readonly<{ url?: string; token?: string; email?: string }>;

async function runSendTest(flags: SendTestFlags, where: WhereFlags, io: CliIo): Promise<number> {
  const token = flags.token ?? io.env['SIGNUP_SYNC_TOKEN'];
  // The URL (and the local token) come from the target only when not given.
  const target = flags.url && token ? undefined : await resolveTarget(targetFlags(where), targetDeps(io));
  return sendTestSignup({
    url: flags.url ?? target?.apiUrl,
    token: token ?? target?.apiSecret,
    email: flags.email,
    io,
    ...(io.fetch ? { fetch: io.fetch } : {}),
  });
}

async function runConsent(email: string, flags: Readonly<{ json?: boolean }>, target: Target, io: CliIo): Promise<number> {
  const access = await consentAccess(target);
  try {
    const items = await access.admin.items(access.keys.personOf(email));
    io.out(flags.json === true ? consentRecordsJson(email, items) : formatConsentRecords(email, items, access.where));
    return 0;
  } finally {
    access.close();
  }
}

async function runForget(
  email: string,
  flags: Readonly<{ yes?: boolean; bigcommerce?: boolean; cdkJson?: string }>,
  target: Target,
  io: CliIo,
): Promise<number> {
  const access = await consentAccess(target);
  try {
    return await forgetPerson(
      target,
      access,
      { email, yes: flags.yes === true, bigCommerce: flags.bigcommerce === true, ...(flags.cdkJson ? { cdkJson: flags.cdkJson } : {}) },
      { out: io.out, err: io.err, interactive: io.interactive, ask: io.ask, env: io.env, ...(io.fetch ? { fetch: io.fetch } : {}) },
    );
  } finally {
    access.close();
  }
}

const EPILOGUE = `AWS credentials and region come from the usual environment (AWS_PROFILE, AWS_REGION, …).

Exit status: 0 done, 1 failed or rows rejected, 2 bad command line, 130 interrupted.`;

/** Every command with its own flags, then the shared ones: the whole CLI on one screen. */
function formatOverview(program: Command, helper: Help): string {
  type Item = Readonly<{ term: string; description: string }>;
  const ownOptions = (command: Command): Item[] =>
    helper
      .visibleOptions(command)
      .filter((option) => option.long !== '--help')
      .map((option) => ({ term: helper.optionTerm(option), description: helper.optionDescription(option) }));
  const commands: Item[] = [];
  const visit = (command: Command, path: string) => {
    const subcommands = helper.visibleCommands(command).filter((sub) => sub.name() !== 'help');
    for (const sub of subcommands) visit(sub, `${path} ${sub.name()}`.trim());
    if (subcommands.length > 0) return;
    const args = helper.visibleArguments(command).map((argument) => (argument.required ? `<${argument.name()}>` : `[${argument.name()}]`));
    commands.push({ term: [path, ...args].join(' '), description: command.description() });
    for (const option of ownOptions(command)) commands.push({ term: `    ${option.term}`, description: option.description });
  };
  visit(program, '');
  const where = ownOptions(program);
  const width = Math.max(...[...commands, ...where].map((item) => item.term.length));
  const format = (items: Item[]) => items.map((item) => helper.formatItem(item.term, width, item.description, helper));
  return [
    `Usage: ${helper.commandUsage(program)}`,
    '',
    program.description(),
    '',
    'Commands',
    ...format(commands),
    '',
    'Where (dlq, import, send-test, doctor, trace, consent, forget; default: local mode)',
    ...format(where),
    '',
    EPILOGUE,
    '',
  ].join('\n');
}

/**
 * The `signup-sync` program. Flags are checked while parsing, before anything is contacted; each action
 * reports its exit status through `done`.
 */
export function buildProgram(io: CliIo, done: (status: number) => void): Command {
  const program = createCommand('signup-sync', io)
    .usage('<command> [flags]')
    .description(
      "Operate signup-sync: a preflight check, one signup's journey, dead letters, CSV backfills and a test signup, against a deployed stack or a running `npm start`.",
    )
    .option(
      '--local <url>',
      'a running `npm start` (default SIGNUP_SYNC_LOCAL_URL or http://127.0.0.1:3000; used when nothing else is given)',
      urlOption('local'),
    )
    .option('--stack <name>', "a deployed stack's outputs (CloudFormation; with --region <r>): SignupSync, or SignupSync-<store> with several stores")
    .option('--outputs-file <file>', 'the JSON written by `cdk deploy --outputs-file <file>` (with --stack if it has several)')
    .option('--queue-url <url>', 'the signups queue', urlOption('queue-url'))
    .option('--dlq-url <url>', 'the dead-letter queue', urlOption('dlq-url'))
    .option('--region <r>', 'AWS region of --stack (default: the environment, or the queue URL)');
  program.configureHelp({
    ...program.configureHelp(),
    formatHelp: (command, helper) => (command === program ? formatOverview(program, helper) : Help.prototype.formatHelp.call(helper, command, helper)),
  });
  const where = () => program.opts<WhereFlags>();
  const deps = () => targetDeps(io);

  const dlq = program.command('dlq').description('dead letters: list, show, delete, redrive, purge').usage('<list|show|delete|redrive|purge> [flags]');
  const target = async () => resolveTarget(targetFlags(where()), deps());
  const filterOptions = (command: Command, what: string) =>
    command
      .option('--reason <code>', `only ${what} with this reason (repeatable): bigcommerce-rejected, unmappable, max-receives, …`, repeatable)
      .option('--source <id>', `only ${what} of this source id (repeatable; api is POST /signups)`, repeatable)
      .option('--since <when>', `only ${what} dead-lettered since then: a duration (30m, 12h, 7d) or a time (ISO 8601)`, (value: string) => parseSince(value));
  filterOptions(
    dlq
      .command('list')
      .description('dead letters: reason, HTTP status, age, source, the ingest id the sender got in its 202 and the dead letter id (no personal data)'),
    'letters',
  )
    .option('--json', 'print JSON')
    .option('--show-pii', "include each signup's email address")
    .option('--max <n>', 'read at most n messages', positiveWhole('max'), 1000)
    .action(async (flags: ListFlags) => done(await dlqList(flags, await target(), io)));
  dlq
    .command('show')
    .description("one dead letter in full: ids, reason, source, times, the signup's field names and consents (its values only with --show-pii)")
    .argument('<id...>', 'a dead letter id, the ingest id (an id of the 202), or the id of the message it was made from')
    .option('--json', 'print JSON')
    .option('--show-pii', 'include the whole body (email, names, …)')
    .action(async (ids: string[], flags: ShowFlags) => done(await dlqShow(ids, flags, await target(), io)));
  dlq
    .command('delete')
    .description('delete these dead letters, leaving the others (they cannot be recovered)')
    .argument('<id...>', 'a dead letter id, the ingest id (an id of the 202), or the id of the message it was made from')
    .action(async (ids: string[]) => done(await dlqDelete(ids, await target(), io)));
  filterOptions(
    dlq
      .command('redrive')
      .description(
        "send dead letters back to the signups queue (fix the cause first): those named, those the filters pick, or all; letters the current configuration would refuse again stay and are reported (--force redrives signup letters anyway); `unmappable` letters are re-run through the ingest's current source configuration",
      )
      .argument('[id...]', 'only these letters: dead letter ids, ingest ids, or ids of the messages they were made from'),
    'letters',
  )
    .option('--dry-run', 'say what each letter would become; send and delete nothing')
    .option('--force', 'also redrive signup letters the ingest would refuse now (they come back unless the configuration changes)')
    .option('--rate <n>', 'at most n messages per second', numberOption('rate', { above: 0 }))
    .option(
      '--method <m>',
      'auto | move-task | copy (auto: StartMessageMoveTask on AWS for a whole DLQ whose every letter goes back as it is, else receive -> send -> delete)',
      choiceOption<RedriveMethod>('method', ['auto', 'move-task', 'copy']),
      'auto',
    )
    .option('--max <n>', 'redrive at most n letters (the oldest first)', positiveWhole('max'))
    .option('--json', 'print each letter and what became of it as JSON')
    .action(async (ids: string[], flags: RedriveFlags) => done(await dlqRedrive(ids, flags, await target(), io)));
  dlq
    .command('purge')
    .description('delete every dead letter (asks first)')
    .option('-y, --yes', 'do not ask (needed when not run from a terminal)')
    .action(async ({ yes = false }: { yes?: boolean }) => {
      if (!yes && !io.interactive) throw new CliUsageError('dlq purge deletes every dead letter: pass --yes to confirm when not running in a terminal');
      done(await dlqPurge(yes, await target(), io));
    });
  // Set after the subcommands, which would otherwise inherit the excess arguments.
  dlq.allowExcessArguments().action((_options: unknown, command: Command) => {
    const name = command.args[0];
    throw new CliUsageError(
      name
        ? `Unknown dlq command "${name}": use dlq list, dlq show, dlq delete, dlq redrive or dlq purge`
        : 'dlq needs a command: list, show, delete, redrive or purge',
    );
  });
  program
    .command('import')
    .description('backfill signups from a CSV file through the signups queue')
    .argument('<file.csv>', 'the CSV file (UTF-8; a byte order mark is fine)')
    .option(
      '--map <field=Column>',
      'take a field from this column (repeatable); fields: email, first_name, last_name, company, phone, notes, event_id, occurred_at, consent.marketing, consent.abandoned_cart, opt_out (yes/no columns), address.<field>, custom:<Name>. "--map field=" ignores a column',
      (value: string, previous: MapOverride[] | undefined) => [...(previous ?? []), parseMapFlag(value)],
    )
    .option(
      '--preset <p>',
      'auto (default: a Mailchimp audience export is recognised by its columns), mailchimp or generic',
      choiceOption<'auto' | CsvFormat>('preset', ['auto', 'mailchimp', 'generic']),
      'auto',
    )
    .option(
      '--status <s>',
      `the Mailchimp status of every row (default for a Mailchimp export: from its UNSUB_TIME/CLEAN_TIME columns or file name): ${MAILCHIMP_STATUSES.join(', ')}`,
      choiceOption<MailchimpStatus>('status', MAILCHIMP_STATUSES),
    )
    .option('--status-column <Column>', "the column holding each row's Mailchimp status (subscribed -> consent; unsubscribed, cleaned -> opt-out)")
    .option(
      '--cdk-json <file>',
      "check rows with this cdk.json's nameless policy and attribute fields (default: the deployment's ingest, else this repository's cdk.json)",
    )
    .option('--delimiter <c>', 'field separator: , (default), ; or tab', delimiterOption)
    .option('--from-line <n>', 'start at line n (resume an interrupted import)', positiveWhole('from-line'))
    .option('--source-id <id>', 'source id on the messages', sourceIdOption, 'import')
    .option('--dry-run', 'validate only; send nothing')
    .option('--json', 'print the summary as JSON (every rejected row)')
    .action(async (file: string, flags: ImportFlags) => done(await runImport(file, flags, where(), io)));
  program
    .command('trace')
    .description(
      "one signup's whole journey in order, with times: received, refused or ignored and why, queued, each sync attempt and its outcome, the customer and subscriber, dead-lettered, redriven (no email is printed or searched for, only its keyed hash)",
    )
    .argument(
      '<email|id>',
      "an email address, an ingest id (an id of the 202, or the apigw-requestid header of any answer), a dead letter's id or the sender's event id",
    )
    .option('--since <when>', `how far back: a duration (30m, 12h, 7d) or a time (ISO 8601); default ${DEFAULT_TRACE_SINCE}`, (value: string) =>
      parseSince(value),
    )
    .option('--json', 'print the journey as JSON')
    .action(async (value: string, flags: Readonly<{ since?: Date; json?: boolean }>) =>
      done(
        await runTrace(
          value,
          { since: flags.since ?? parseSince(DEFAULT_TRACE_SINCE), ...(flags.json ? { json: true } : {}) },
          await resolveTarget(targetFlags(where()), deps()),
          io,
        ),
      ),
    );
  program
    .command('send-test')
    .description('post one example signup to the API and show the answer')
    .option('--url <url>', "API base URL (default: local mode's, or the stack's ApiUrl)", (value: string) => {
      if (!/^https?:\/\/\S+$/.test(value)) throw new CliUsageError(`--url must be a URL, got "${value}"`);
      return value;
    })
    .option('--token <token>', 'bearer token: the "api" entry of the sources secret (default SIGNUP_SYNC_TOKEN, or local mode\'s)')
    .option('--email <email>', 'default test+<time>@example.com')
    .action(async (flags: SendTestFlags) => done(await runSendTest(flags, where(), io)));
  program
    .command('consent')
    .description("a person's consent evidence: each consent, opt-out and confirmation written, when, from which source, page or form, with which wording")
    .argument('<email>', 'the email address')
    .option('--json', 'print JSON')
    .action(async (email: string, flags: Readonly<{ json?: boolean }>) =>
      done(await runConsent(email, flags, await resolveTarget(targetFlags(where()), deps()), io)),
    );
  program
    .command('forget')
    .description(
      'find and remove every copy this product holds of a person (dead letters, consent evidence, pending double opt-in, local mode state), keeping only a keyed-hash erasure entry; asks first',
    )
    .argument('<email>', 'the email address')
    .option('-y, --yes', 'do not ask (needed when not run from a terminal)')
    .option('--bigcommerce', `also delete their customer and subscriber in BigCommerce, by id (token: the stack's token secret, or ${FORGET_TOKEN_ENV})`)
    .option('--cdk-json <file>', "cdk.json holding the store's settings, for --bigcommerce (default: this repository's)")
    .action(async (email: string, flags: Readonly<{ yes?: boolean; bigcommerce?: boolean; cdkJson?: string }>) =>
      done(await runForget(email, flags, await resolveTarget(targetFlags(where()), deps()), io)),
    );
  program
    .command('route-tokens')
    .description(
      "give each webhook source in cdk.json a routeToken, once, so its URL (/sources/<id>-<routeToken>) cannot be guessed; prints every source's path",
    )
    .option('--cdk-json <file>', "the cdk.json to edit (default: this repository's)")
    .action((flags: Readonly<{ cdkJson?: string }>) => done(runRouteTokens(flags.cdkJson ?? DEFAULT_CDK_JSON, io)));
  program
    .command('doctor')
    .description(
      "preflight: check BigCommerce (token, scopes, channels, groups, attributes, quota) and AWS (queues, secrets, alarms, delivery ledger, each source's URL) before the first signup; read-only unless --probe-writes",
    )
    .option('--store-hash <hash>', `check this store, with its token read from ${TOKEN_ENV} (never from the command line)`, (value: string) => {
      if (!/^[a-z0-9]+$/i.test(value)) throw new CliUsageError(`--store-hash must be a store hash (letters and digits), got "${value}"`);
      return value;
    })
    .option('--cdk-json <file>', "cdk.json holding the deployment's settings (default: this repository's)")
    .option('--json', 'print the checks as JSON')
    .option(
      '--probe-writes',
      "also check the token's write scopes with two requests BigCommerce refuses as invalid (POST /v3/customers [{}] and POST /v3/customers/subscribers {}); printed before they are sent",
    )
    .action(async (flags: Readonly<{ storeHash?: string; cdkJson?: string; json?: boolean; probeWrites?: boolean }>) =>
      done(
        await runDoctor(
          {
            ...targetFlags(where()),
            ...(flags.storeHash ? { storeHash: flags.storeHash } : {}),
            ...(flags.cdkJson ? { cdkJson: flags.cdkJson } : {}),
            json: flags.json === true,
            probeWrites: flags.probeWrites === true,
          },
          {
            out: io.out,
            err: io.err,
            env: io.env,
            ...(io.signal ? { signal: io.signal } : {}),
            ...(io.fetch ? { fetch: io.fetch } : {}),
            ...(io.stackOutputs ? { stackOutputs: io.stackOutputs } : {}),
          },
        ),
      ),
    );
  return program;
}

/** Runs one command; returns the exit status. Errors are printed here, never thrown. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let status = 0;
  try {
    const program = buildProgram(io, (code) => {
      status = code;
    });
    // No command: the overview, as for --help.
    return (await parseCommandLine(program, argv.length === 0 ? ['--help'] : argv)) === 'help' ? 0 : status;
  } catch (error) {
    if (error instanceof CliUsageError) {
      io.err(`signup-sync: ${error.message}\nRun \`signup-sync --help\` for the commands and flags.`);
      return 2;
    }
    if (error instanceof CliError) {
      io.err(`signup-sync: ${error.message}`);
      return 1;
    }
    io.err(`signup-sync: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    return 1;
  }
}
