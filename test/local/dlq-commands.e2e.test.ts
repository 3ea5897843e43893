import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { listDeadLetters } from '../../ops/dead-letters';
import { runCli } from '../../ops/main';
import { signupMessageAttributes } from '../../shared/aws/sqs-signup-queue';
import type { SourceConfigInput } from '../../shared/sources/source-config';
import { aSignupMessage } from '../helpers/events';
import { captureWrite } from '../helpers/log-capture';
import { postSignups, recordingIo, waitFor } from './support';

jest.setTimeout(120_000);

/**
 * `signup-sync dlq list|show|delete|redrive` in local mode, through the CLI's main as an operator runs it:
 * dead letters of three kinds (BigCommerce refused two signups, a Kit delivery whose subscriber has no
 * address, a nameless signup from before the deployment refused nameless ones), filtered, shown, deleted
 * and redriven one by one; letters the current configuration would refuse again stay, and say why.
 */

const SIGNING_SECRET = 'local-test-signing-secret-0123456789';
const ROUTE_TOKEN = 'kitnewsroutetoken0021';
const KIT: SourceConfigInput = { id: 'kit-news', kind: 'kit', routeToken: ROUTE_TOKEN, lastNamePolicy: { placeholder: '-' } };

let mode: LocalMode;

beforeAll(async () => {
  // This deployment refuses signups without names (the nameless policy `reject`).
  const dir = mkdtempSync(path.join(tmpdir(), 'signup-sync-dlq-'));
  const cdkJson = path.join(dir, 'cdk.json');
  writeFileSync(cdkJson, JSON.stringify({ context: { signupSync: { storeHash: 'local', nameless: 'reject' } } }));
  mode = await startLocalMode({
    cdkJsonPath: cdkJson,
    sources: [KIT],
    sourceSecrets: { 'kit-news': SIGNING_SECRET },
    sandbox: { rejectEmails: /^bounced/, seed: 22 },
    timings: { batchingWindowMs: 200, visibilityTimeoutSeconds: 20, syncTimeoutMs: 15_000 },
    log: { write: (line) => captureWrite(line) },
  });
});

afterAll(async () => {
  await mode?.stop();
});

async function cli(...args: string[]) {
  const io = recordingIo();
  const code = await runCli([...args, '--local', mode.apiUrl], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n'), text: io.text() };
}

async function kitDeliveryWithoutAddress(): Promise<void> {
  const body = JSON.stringify({
    delivery_id: 21,
    events: [
      {
        id: 'k-21',
        type: 'subscriber.activated',
        created: new Date().toISOString(),
        data: { subscriber: { id: 1, state: 'active', first_name: 'Nia', email_address: null, fields: {} } },
      },
    ],
  });
  const t = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', SIGNING_SECRET).update(`${t}.${body}`).digest('hex');
  const response = await fetch(`${mode.apiUrl}/sources/kit-news-${ROUTE_TOKEN}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-kit-signature': `t=${t},v1=${signature}` },
    body,
  });
  expect(response.status).toBe(202);
}

it('lists, shows, deletes and redrives dead letters one by one; what would be refused again stays and is reported', async () => {
  // Arrange: BigCommerce refuses two signups; a Kit subscriber without an address; a nameless letter from before.
  const bounced = await postSignups(mode.apiUrl, mode.apiSecret, [
    { email: 'bounced1@example.com', first_name: 'Bo', last_name: 'One' },
    { email: 'bounced2@example.com', first_name: 'Bo', last_name: 'Two' },
  ]);
  const ids = (bounced.body as { ids: string[] }).ids;
  await kitDeliveryWithoutAddress();
  const nameless = aSignupMessage(
    { email: 'nameless@example.com', first_name: undefined, last_name: undefined, consent: { marketing: true } },
    { schema_version: 2 },
  );
  await mode.sqsClient.send(
    new SendMessageCommand({
      QueueUrl: mode.deadLetterQueueUrl,
      MessageBody: JSON.stringify(nameless),
      MessageAttributes: {
        ...signupMessageAttributes(nameless),
        RejectionCode: { DataType: 'String', StringValue: 'subscriber-rejected' },
        RejectionDetail: { DataType: 'String', StringValue: 'The subscriber could not be created' },
        RejectedAt: { DataType: 'String', StringValue: new Date(Date.now() - 2 * 86_400_000).toISOString() },
      },
    }),
  );
  await waitFor(async () => (await listDeadLetters(mode.sqsClient, mode.deadLetterQueueUrl)).length === 4 || undefined, { what: 'four dead letters' });

  // Act / Assert 1: the list, filtered, names the ingest ids the sender got in its 202
  const byReason = await cli('dlq', 'list', '--reason', 'bigcommerce-rejected');
  expect(byReason.code).toBe(0);
  expect(byReason.out).toContain('INGEST ID');
  for (const id of ids) expect(byReason.out).toContain(id);
  expect(byReason.out).toContain('2 dead letter(s): 2 bigcommerce-rejected');
  const recent = await cli('dlq', 'list', '--since', '1d', '--json');
  expect((JSON.parse(recent.out) as { deadLetters: unknown[] }).deadLetters).toHaveLength(3);
  expect((await cli('dlq', 'list', '--source', 'kit-news')).out).toContain('unmappable');

  // Act / Assert 2: one letter in full, by its ingest id, without its address
  const shown = await cli('dlq', 'show', ids[0]!);
  expect(shown.code).toBe(0);
  expect(shown.out).toMatch(new RegExp(`ingest id +${ids[0]}`));
  expect(shown.out).toMatch(/reason +bigcommerce-rejected/);
  expect(shown.out).toMatch(/signup fields +email, first_name, last_name/);
  expect(shown.out).not.toContain('@example.com');
  expect((await cli('dlq', 'show', 'no-such-letter')).code).toBe(1);

  // Act / Assert 3: a dry run of all, then of a filter: nothing moves; the two that would stay say why
  const dryRun = await cli('dlq', 'redrive', '--dry-run');
  expect(dryRun.code).toBe(0);
  expect(dryRun.out).toMatch(new RegExp(`would redrive +bigcommerce-rejected +api +ingest id ${ids[0]}`));
  expect(dryRun.out).toMatch(/would stay +unmappable +kit-news +dead letter \S+ +still unmappable: \/email: /);
  expect(dryRun.out).toMatch(new RegExp(`would stay +subscriber-rejected +api +ingest id ${nameless.id} +the ingest would refuse it now: /(first|last)_name`));
  expect(dryRun.out).toContain('Dry run, nothing sent or deleted: 2 would be redriven, 0 re-run and queued, 2 would stay.');
  expect(dryRun.text).not.toContain('still unmappable: still unmappable');
  const filtered = await cli('dlq', 'redrive', '--dry-run', '--reason', 'bigcommerce-rejected', '--json');
  expect((JSON.parse(filtered.out) as { letters: { outcome: string }[] }).letters.map((letter) => letter.outcome)).toEqual(['would-redrive', 'would-redrive']);
  expect(await listDeadLetters(mode.sqsClient, mode.deadLetterQueueUrl)).toHaveLength(4);

  // Act / Assert 4: the old nameless letter is deleted by its ingest id
  const deleted = await cli('dlq', 'delete', nameless.id);
  expect(deleted.code).toBe(0);
  expect(deleted.out).toContain(`(ingest id ${nameless.id}): subscriber-rejected`);
  expect(await listDeadLetters(mode.sqsClient, mode.deadLetterQueueUrl)).toHaveLength(3);

  // Act / Assert 5: the cause fixed, one letter redriven by its id; then the rest: the unmappable one stays, with why
  mode.sandbox!.setOptions({ rejectEmails: undefined });
  const one = await cli('dlq', 'redrive', ids[0]!);
  expect(one.code).toBe(0);
  expect(one.out).toMatch(new RegExp(`redriven +bigcommerce-rejected +api +ingest id ${ids[0]}`));
  const rest = await cli('dlq', 'redrive');
  expect(rest.code).toBe(0);
  expect(rest.out).toMatch(new RegExp(`redriven +bigcommerce-rejected +api +ingest id ${ids[1]}`));
  expect(rest.out).toMatch(/stays +unmappable +kit-news +dead letter \S+ +still unmappable: \/email: /);
  expect(rest.out).toContain('1 redriven, 0 recovered (queued), 1 stayed: the current configuration would refuse them again');
  await waitFor(
    () => ['bounced1@example.com', 'bounced2@example.com'].every((email) => mode.sandbox!.customers().some((c) => c.email === email)) || undefined,
    {
      what: 'the redriven customers',
    },
  );
  expect(await listDeadLetters(mode.sqsClient, mode.deadLetterQueueUrl)).toEqual([expect.objectContaining({ reason: 'unmappable', sourceId: 'kit-news' })]);
  for (const output of [byReason.text, shown.text, dryRun.text, deleted.text, one.text, rest.text]) expect(output).not.toMatch(/@example\.com/);
});
