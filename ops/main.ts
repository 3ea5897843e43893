import { type Command, Help } from 'commander';
import { createSqsSignupQueue } from '../shared/aws/sqs-signup-queue';
import type { SignupQueue } from '../shared/ingest/signup-queue';
import { choiceOption, createCommand, numberOption, parseCommandLine } from './command-line';
import { type CsvFormat, MAILCHIMP_STATUSES, type MailchimpStatus, type MapOverride, parseMapFlag } from './csv-mapping';
import { type DeadLetter, listDeadLetters, purgeDeadLetters, type RedriveMethod, redriveDeadLetters } from './dead-letters';
import { runDoctor, stackRegionInCdkJson, TOKEN_ENV } from './doctor';
import { DEFAULT_CDK_JSON } from './doctor/settings';
import { CliError, CliUsageError } from './errors';
import { formatImportSummary, importCsv } from './import-csv';
import { resolveImportRules } from './import-rules';
import type { ProgressSink } from './progress';
import { queueDepth } from './queue-ops';
import { runRouteTokens } from './route-tokens';
import { sendTestSignup } from './send-test';
import { requireQueue, resolveTarget, type Target, type TargetDeps, type TargetFlags } from './targets';
import type { IngestSetup } from './unmappable-redrive';

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

const age = (seconds: number | undefined) =>
  seconds === undefined
    ? '?'
    : seconds < 90
      ? `${seconds}s`
      : seconds < 5400
        ? `${Math.round(seconds / 60)}m`
        : seconds < 129_600
          ? `${Math.round(seconds / 3600)}h`
          : `${Math.round(seconds / 86_400)}d`;

export function formatDeadLetters(letters: readonly DeadLetter[], { showPii = false }: { showPii?: boolean } = {}): string {
  if (letters.length === 0) return 'The dead-letter queue is empty.';
  const header = ['REASON', 'HTTP', 'AGE', 'SOURCE', ...(showPii ? ['EMAIL'] : []), 'MESSAGE ID', 'DETAIL'];
  const rows = letters.map((letter) => [
    letter.reason,
    letter.httpStatus === undefined ? '-' : String(letter.httpStatus),
    age(letter.ageSeconds),
    letter.sourceId ?? '-',
    ...(showPii ? [letter.email ?? '-'] : []),
    letter.messageId,
    (letter.detail ?? '').slice(0, 100),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ');
  const byReason = new Map<string, number>();
  for (const letter of letters) byReason.set(letter.reason, (byReason.get(letter.reason) ?? 0) + 1);
  return [
    line(header),
    ...rows.map(line),
    '',
    `${letters.length} dead letter(s): ${[...byReason].map(([reason, count]) => `${count} ${reason}`).join(', ')}`,
  ].join('\n');
}

type ListFlags = Readonly<{ json?: boolean; showPii?: boolean; max: number }>;

async function dlqList(flags: ListFlags, target: Target, io: CliIo): Promise<number> {
  const { sqs, url } = requireQueue(target, 'dead-letter');
  const showPii = flags.showPii === true;
  const letters = await listDeadLetters(sqs, url, { max: flags.max, showPii });
  io.out(flags.json === true ? JSON.stringify({ queueUrl: url, deadLetters: letters }, null, 2) : formatDeadLetters(letters, { showPii }));
  return 0;
}

type RedriveFlags = Readonly<{ method: RedriveMethod; rate?: number; max?: number }>;

/** The ingest's configuration with the dead-letter keys (a stack's are read from its sources secret; local mode serves them with it). */
function redriveSetup(target: Target): () => Promise<IngestSetup> {
  return async () => {
    const setup = await target.ingestSetup!();
    return target.deadLetterKeys ? { ...setup, deadLetterKeys: await target.deadLetterKeys() } : setup;
  };
}

async function dlqRedrive(flags: RedriveFlags, target: Target, io: CliIo): Promise<number> {
  const dlq = requireQueue(target, 'dead-letter');
  const queue = requireQueue(target, 'signup');
  let lastReported = -1;
  const result = await redriveDeadLetters(dlq.sqs, {
    deadLetterQueueUrl: dlq.url,
    signupQueueUrl: queue.url,
    method: flags.method,
    ...(flags.rate !== undefined ? { rate: flags.rate } : {}),
    ...(flags.max !== undefined ? { max: flags.max } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    // `unmappable` letters are verified with the dead-letter keys and re-run through the ingest's current configuration (ops/unmappable-redrive.ts).
    ...(target.ingestSetup ? { ingestSetup: redriveSetup(target) } : {}),
    onProgress: (moved, total) => {
      if (moved === lastReported) return;
      lastReported = moved;
      io.err(`redrive: ${moved}${total !== undefined ? ` of ${total}` : ''} moved`);
    },
  });
  const how = result.method === 'move-task' ? 'StartMessageMoveTask' : 'receive -> send -> delete';
  if (result.status === 'FAILED') {
    io.err(`Redrive failed after ${result.moved} message(s) (${how}): ${result.failureReason ?? 'no reason given'}`);
    return 1;
  }
  const { rerun = 0, recovered = 0, stillUnmappable = 0, refused = 0, notRerun = 0, reasons = [], refusals = [] } = result.unmappable ?? {};
  if (rerun > 0) {
    io.out(
      `Re-ran ${rerun} unmappable dead letter(s) through the ingest's current configuration: ${recovered} recovered (queued), ${stillUnmappable} still unmappable.`,
    );
    // Reasons name sources and field paths only, never values.
    for (const reason of reasons) io.err(`  still unmappable: ${reason}`);
  }
  if (refused > 0) {
    // A forged or altered letter, or one whose source changed kind: never re-run, left for the operator to inspect or purge.
    io.err(`Refused ${refused} unmappable dead letter(s), left in the DLQ (docs/security.md, "Forged or re-dated dead letters"):`);
    for (const refusal of refusals) io.err(`  refused: ${refusal}`);
  }
  if (notRerun > 0) {
    io.err(
      `${notRerun} unmappable dead letter(s) left in the DLQ: the ingest's configuration is not known here (use --stack or --outputs-file of a stack with the output IngestFunctionName, or local mode).`,
    );
  }
  if (result.moveTaskAvoided)
    io.err('Unmappable dead letters remain, which a move task would carry to the signups queue as they are: the other letters were copied instead.');
  io.out(`Moved ${result.moved} message(s) from the dead-letter queue to the signups queue (${how}; ${result.status.toLowerCase()}).`);
  if (result.status === 'RUNNING') io.out('The move task keeps running in SQS; check it with `aws sqs list-message-move-tasks`.');
  return result.status === 'CANCELLED' ? 130 : refused > 0 ? 1 : 0;
}

async function dlqPurge(yes: boolean, target: Target, io: CliIo): Promise<number> {
  const { sqs, url } = requireQueue(target, 'dead-letter');
  if (!yes) {
    const depth = await queueDepth(sqs, url, { inFlightCountedAsVisible: target.local });
    const answer = await io.ask(`Delete all ${depth.visible + depth.inFlight} message(s) in ${url}? They cannot be recovered. Type "purge" to confirm: `);
    if (answer.trim().toLowerCase() !== 'purge') {
      io.err('Not purged.');
      return 1;
    }
  }
  const result = await purgeDeadLetters(sqs, url);
  io.out(result.method === 'purge-queue' ? `Purge requested for ${url} (SQS takes up to 60 s).` : `Deleted ${result.deleted} message(s) from ${url}.`);
  return 0;
}

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
    'Where (dlq, import, send-test, doctor; default: local mode)',
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
    .description('Operate signup-sync: a preflight check, dead letters, CSV backfills and a test signup, against a deployed stack or a running `npm start`.')
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

  const dlq = program.command('dlq').description('dead letters: list, redrive, purge').usage('<list|redrive|purge> [flags]');
  dlq
    .command('list')
    .description('dead letters: reason, HTTP status, age, source (no personal data)')
    .option('--json', 'print JSON')
    .option('--show-pii', "include each signup's email address")
    .option('--max <n>', 'at most n messages', positiveWhole('max'), 1000)
    .action(async (flags: ListFlags) => done(await dlqList(flags, await resolveTarget(targetFlags(where()), deps()), io)));
  dlq
    .command('redrive')
    .description(
      "move dead letters back to the signups queue (fix the cause first); `unmappable` letters are re-run through the ingest's current source configuration instead, whatever the method",
    )
    .option('--rate <n>', 'at most n messages per second', numberOption('rate', { above: 0 }))
    .option(
      '--method <m>',
      'auto | move-task | copy, for the letters other than `unmappable` (auto: StartMessageMoveTask on AWS, receive -> send -> delete on emulators; copy while unmappable letters remain, which a move task would carry back as they are)',
      choiceOption<RedriveMethod>('method', ['auto', 'move-task', 'copy']),
      'auto',
    )
    .option('--max <n>', 'move at most n messages (copy)', positiveWhole('max'))
    .action(async (flags: RedriveFlags) => done(await dlqRedrive(flags, await resolveTarget(targetFlags(where()), deps()), io)));
  dlq
    .command('purge')
    .description('delete every dead letter (asks first)')
    .option('-y, --yes', 'do not ask (needed when not run from a terminal)')
    .action(async ({ yes = false }: { yes?: boolean }) => {
      if (!yes && !io.interactive) throw new CliUsageError('dlq purge deletes every dead letter: pass --yes to confirm when not running in a terminal');
      done(await dlqPurge(yes, await resolveTarget(targetFlags(where()), deps()), io));
    });
  // Set after the subcommands, which would otherwise inherit the excess arguments.
  dlq.allowExcessArguments().action((_options: unknown, command: Command) => {
    const name = command.args[0];
    throw new CliUsageError(name ? `Unknown dlq command "${name}": use dlq list, dlq redrive or dlq purge` : 'dlq needs a command: list, redrive or purge');
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
