import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateEmailIdentityCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { checkConfirmationMail } from '../../ops/doctor/confirmation-mail-check';
import { runCli } from '../../ops/main';
import { createConsentAdmin, createDynamoDbConsentStore } from '../../shared/aws/dynamodb-consent-store';
import { createSesConfirmationMailer } from '../../shared/aws/ses-confirmation-mailer';
import { ConfirmationMailError, composeConfirmationMail } from '../../shared/consent/confirmation-mail';
import { verifyConfirmationToken } from '../../shared/consent/confirmation-token';
import { deriveConsentKeys } from '../../shared/consent/consent-keys';
import { confirmationMailSettingsSchema } from '../../shared/consent/double-opt-in';
import { CONFIRMATION_KIND } from '../../shared/signup/signup-schema';
import { aSignupMessage } from '../helpers/events';
import { receiveBatch } from './support/event-source-mapping';
import type { Deployment } from './support/local-aws';
import { TEST_REGION } from './support/local-aws';
import { useTestbed } from './support/testbed';

/**
 * Consent evidence, double opt-in and `forget` on moto (docs/privacy.md): the consent table as the
 * template declares it (point-in-time recovery included), SES v2 SendEmail and GetEmailIdentity as moto
 * implements them, the real sync handler with the stack's environment, and `signup-sync forget` against
 * the DLQ. moto implements no SES v2 GetAccount: a small HTTP test double answers that one call (and
 * passes every other to moto) for the doctor's sandbox check.
 */

jest.setTimeout(90_000);

const bed = useTestbed();
beforeEach(() => bed().resetSandbox());

const tableOf = (deployment: Deployment) => Object.values(deployment.tables).find((table) => table.logicalId.startsWith('ConsentEvidence'))!;
const hashKeyOf = (deployment: Deployment) => deployment.syncEnv['LOG_HASH_KEY']!;
const SENDER = 'Shop <news@doi.example>';
const DOI = { news: { from: SENDER, subject: 'Please confirm' } };

async function verifiedSender(ses: SESv2Client, identity: string): Promise<void> {
  await ses.send(new CreateEmailIdentityCommand({ EmailIdentity: identity }));
}

describe('the consent table on moto', () => {
  it('is created as the template declares it, and evidence, pending requests and erasures are written and read', async () => {
    const deployment = await bed().deploy();
    const table = tableOf(deployment);
    const keys = deriveConsentKeys(hashKeyOf(deployment));
    const store = createDynamoDbConsentStore({ client: bed().dynamodb, tableName: table.name, retentionSeconds: 86_400 });
    const admin = createConsentAdmin(bed().dynamodb, table.name);
    const person = keys.personOf('ada@example.com');
    const message = { ...aSignupMessage({ email: 'ada@example.com' }), schema_version: 4 as const };

    // Act: a record, a pending request claimed once (a second claim of the same version loses), mail sent, confirmed
    await store.record([
      {
        person,
        email: 'ada@example.com',
        action: 'consent',
        occurredAt: '2026-12-01T10:00:00.000Z',
        receivedAt: '2026-12-01T10:00:01.000Z',
        recordedAt: '2026-12-01T10:00:02.000Z',
        source: { id: 'form', kind: 'html-form' },
        consentVersion: 'v1',
        consents: ['marketing_newsletter'],
        page: 'https://shop.example/join',
        deliveryId: message.id,
        outcome: 'subscribed',
        subscriberId: 7,
      },
    ]);
    const pending = {
      person,
      sourceId: 'news',
      email: 'ada@example.com',
      expiresAtMs: Date.now() + 3_600_000,
      mailedAtMs: Date.now(),
      mailClaim: 'm1',
      mails: 1,
      sentBy: [],
      nonces: ['n1'],
      version: 1,
      message,
      customerWritten: false,
    };
    expect(await store.claimMail(pending, undefined)).toBe(true);
    expect(await store.claimMail({ ...pending, mailClaim: 'm2' }, undefined)).toBe(false);
    expect(await store.claimMail({ ...pending, version: 2, mails: 2 }, 1)).toBe(true);
    expect(await store.claimMail({ ...pending, version: 3 }, 1)).toBe(false);
    await store.markMailSent({ person, sourceId: 'news' }, 'm1');

    // Assert
    const lookup = await store.lookup([person, keys.personOf('nobody@example.com')], [{ person, sourceId: 'news' }]);
    expect(lookup.erasedAtMs.size).toBe(0);
    expect([...lookup.pending.values()]).toEqual([expect.objectContaining({ version: 2, mails: 2, sentBy: ['m1'], nonces: ['n1'] })]);
    expect(await store.readPending({ person, sourceId: 'news' })).toMatchObject({ email: 'ada@example.com', message: { id: message.id } });
    const items = await admin.items(person);
    expect(items.evidence).toEqual([expect.objectContaining({ action: 'consent', consentVersion: 'v1', page: 'https://shop.example/join', subscriberId: 7 })]);

    // Erasure: only its entry stays, and a late update does not bring the pending request back
    const erasedAt = new Date();
    expect(await admin.erase(person, erasedAt)).toEqual({ evidence: 1, pending: 1 });
    await store.markMailSent({ person, sourceId: 'news' }, 'late');
    await store.markConfirmed({ person, sourceId: 'news' }, new Date().toISOString());
    expect(await admin.items(person)).toMatchObject({ evidence: [], pending: [], erasedAt: erasedAt.toISOString() });
    expect((await store.lookup([person], [])).erasedAtMs.get(person)).toBe(erasedAt.getTime());
  });
});

describe('SES v2 on moto', () => {
  it('sends from a sender with an identity (the domain), and refuses one without: not retryable', async () => {
    const ses = new SESv2Client({ region: TEST_REGION });
    await verifiedSender(ses, 'doi.example');
    const settings = confirmationMailSettingsSchema.parse({ from: SENDER, subject: 'Please confirm' });
    const mailer = createSesConfirmationMailer(ses);
    await mailer.send(composeConfirmationMail('ada@example.com', 'https://signups.example.com/confirm/a.b', settings));
    const refused = await mailer
      .send(composeConfirmationMail('ada@example.com', 'https://x/confirm/a.b', { ...settings, from: 'news@unknown.example' }))
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ConfirmationMailError);
    expect(refused).toMatchObject({ retryable: false, message: expect.stringContaining('MessageRejected') });
    ses.destroy();
  });

  it("doctor reads the sender's identity from moto, and the sandbox flag from the GetAccount test double", async () => {
    const moto = bed().moto.endpoint;
    // moto has no GetAccount: answer it here, pass every other request to moto.
    const server: Server = createServer((request, response) => {
      if (request.method === 'GET' && request.url === '/v2/email/account') {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ ProductionAccessEnabled: false, SendingEnabled: true, SendQuota: { Max24HourSend: 200, MaxSendRate: 1 } }));
        return;
      }
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const answer = await fetch(`${moto}${request.url}`, {
          method: request.method ?? 'GET',
          headers: Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
          ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
        });
        response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        response.end(Buffer.from(await answer.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const ses = new SESv2Client({ region: TEST_REGION, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    try {
      await verifiedSender(ses, 'doctor.example');
      const sources = [{ id: 'news', kind: 'html-form', consentVersion: 'v1', doubleOptIn: { from: 'news@doctor.example', subject: 'x' } }] as never;
      const [identity, sandbox] = await checkConfirmationMail(ses, sources);
      // moto creates identities unverified (VerifiedForSendingStatus false): the doctor says so.
      expect(identity).toMatchObject({ status: 'fail', details: ['news@doctor.example (news): not verified'] });
      expect(sandbox).toMatchObject({ status: 'fail', summary: expect.stringContaining('sandbox (quota 200 a day, 1 a second)') });
    } finally {
      ses.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('the sync handler on moto', () => {
  it('mails a double opt-in link through SES, writes the subscriber and its evidence on confirmation, and drops an erased person', async () => {
    // Arrange
    const { sqs, sandbox, dynamodb } = bed();
    const deployment = await bed().deploy();
    const ses = new SESv2Client({ region: TEST_REGION });
    await verifiedSender(ses, 'doi.example');
    ses.destroy();
    const keys = deriveConsentKeys(hashKeyOf(deployment));
    const admin = createConsentAdmin(dynamodb, tableOf(deployment).name);
    const sync = bed().loadSync(deployment, { DOUBLE_OPT_IN: JSON.stringify(DOI), CONFIRM_BASE_URL: 'https://signups.example.com' });
    const signup = {
      ...aSignupMessage({ email: 'doi@example.com', first_name: undefined, last_name: undefined, consent: { marketing: true } } as never),
      schema_version: 4 as const,
      source: { id: 'news', kind: 'html-form', consent_version: 'v1', double_opt_in: 'everything' as const },
      evidence: { page: 'https://shop.example/news' },
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: deployment.signupQueue.url, MessageBody: JSON.stringify(signup) }));

    // Act: the signup
    const first = await bed().poll(deployment, sync);

    // Assert: settled, no subscriber, a pending request that SES mailed
    expect(first.response).toEqual({ batchItemFailures: [] });
    expect(sandbox.subscribers()).toEqual([]);
    const person = keys.personOf('doi@example.com');
    expect((await admin.items(person)).pending).toEqual([expect.objectContaining({ sourceId: 'news', mails: 1 })]);

    // Act: the confirmation (as the confirm route would enqueue it)
    const store = createDynamoDbConsentStore({ client: dynamodb, tableName: tableOf(deployment).name, retentionSeconds: 60 });
    const pending = (await store.readPending({ person, sourceId: 'news' }))!;
    const nonce = pending.nonces[0]!;
    const confirmation = {
      schema_version: 4,
      kind: CONFIRMATION_KIND,
      id: 'confirm-1',
      received_at: new Date().toISOString(),
      source: { id: 'news', kind: 'html-form' },
      confirmation: { person, nonce },
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: deployment.signupQueue.url, MessageBody: JSON.stringify(confirmation) }));
    const second = await bed().poll(deployment, sync);

    // Assert
    expect(second.response).toEqual({ batchItemFailures: [] });
    expect(sandbox.subscribers()).toEqual([expect.objectContaining({ email: 'doi@example.com', consents: ['marketing_newsletter'] })]);
    expect((await admin.items(person)).evidence).toEqual([
      expect.objectContaining({
        action: 'confirmation',
        consentVersion: 'v1',
        request: expect.objectContaining({ deliveryId: signup.id, page: 'https://shop.example/news' }),
      }),
    ]);
    expect(verifyConfirmationToken('x.y', keys.tokenKey, Date.now())).toMatchObject({ ok: false });

    // Act: erased, then a redrive of an old letter of theirs
    await admin.erase(person, new Date());
    sandbox.reset();
    const old = {
      ...signup,
      id: 'old',
      schema_version: 4 as const,
      source: { id: 'api', kind: 'canonical' },
      received_at: new Date(Date.now() - 60_000).toISOString(),
    };
    await sqs.send(new SendMessageCommand({ QueueUrl: deployment.signupQueue.url, MessageBody: JSON.stringify(old) }));
    const third = await bed().poll(deployment, sync);
    expect(third.deleted).toHaveLength(1);
    expect(sandbox.subscribers()).toEqual([]);
    expect(await bed().drain(deployment.deadLetterQueue.url)).toEqual([]);
  });
});

describe('signup-sync forget on moto', () => {
  it("deletes the person's dead letters and evidence, leaves every other letter in place and visible at once, and keeps an erasure entry", async () => {
    // Arrange
    const { sqs, dynamodb } = bed();
    const deployment = await bed().deploy();
    const keys = deriveConsentKeys(hashKeyOf(deployment));
    const person = keys.personOf('forget@example.com');
    const store = createDynamoDbConsentStore({ client: dynamodb, tableName: tableOf(deployment).name, retentionSeconds: 60 });
    const letter = (email: string) => JSON.stringify({ ...aSignupMessage({ email }), schema_version: 3 });
    const unmappable = JSON.stringify({
      kind: 'unmappable-delivery',
      version: 1,
      candidate: {},
      request: { body_base64: Buffer.from('email=forget%40example.com').toString('base64') },
    });
    const confirmation = JSON.stringify({ kind: CONFIRMATION_KIND, confirmation: { person, nonce: 'n' } });
    for (const body of [letter('forget@example.com'), letter('keep@example.com'), unmappable, confirmation, letter('also-keep@example.com')])
      await sqs.send(new SendMessageCommand({ QueueUrl: deployment.deadLetterQueue.url, MessageBody: body }));
    await store.record([
      {
        person,
        email: 'forget@example.com',
        action: 'consent',
        occurredAt: '2026-12-01T10:00:00.000Z',
        receivedAt: '2026-12-01T10:00:00.000Z',
        recordedAt: '2026-12-01T10:00:00.000Z',
        source: { id: 'api', kind: 'canonical' },
        consents: ['marketing_newsletter'],
        deliveryId: 'd1',
        outcome: 'subscribed',
      },
    ]);
    const outputs = {
      SignupQueueUrl: deployment.signupQueue.url,
      DeadLetterQueueUrl: deployment.deadLetterQueue.url,
      ConsentTableName: tableOf(deployment).name,
      HashKeySecretArn: Object.values(deployment.secrets).find((secret) => secret.logicalId.includes('LogHashKey'))!.arn,
    };
    const outputsFile = join(tmpdir(), `signup-sync-forget-${process.pid}.json`);
    writeFileSync(outputsFile, JSON.stringify({ SignupSync: outputs }));
    const lines: string[] = [];
    const io = {
      out: (text: string) => lines.push(text),
      err: (text: string) => lines.push(text),
      progress: { update: () => undefined, done: () => undefined } as never,
      interactive: false,
      ask: async () => '',
      env: process.env,
    };

    // Act
    const status = await runCli(['forget', 'Forget@Example.com', '--yes', '--outputs-file', outputsFile], io);

    // Assert
    expect(status).toBe(0);
    expect(lines.join('\n')).toMatch(/3 dead letters \(2 other letters left as they were\)/);
    const left = await receiveBatch(sqs, deployment.deadLetterQueue.url, { max: 10 });
    expect(left.map((message) => (JSON.parse(message.Body!) as { signup?: { email?: string } }).signup?.email).sort()).toEqual([
      'also-keep@example.com',
      'keep@example.com',
    ]);
    const admin = createConsentAdmin(dynamodb, tableOf(deployment).name);
    expect(await admin.items(person)).toMatchObject({ evidence: [], pending: [], erasedAt: expect.any(String) });

    const printed: string[] = [];
    await runCli(['consent', 'forget@example.com', '--outputs-file', outputsFile], { ...io, out: (text: string) => printed.push(text) });
    expect(printed.join('\n')).toMatch(/Erased .* \(signup-sync forget\)/);
  });
});
