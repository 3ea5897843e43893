import { personOfBody } from '../../../local/consent/local-consent';
import { createOutbox, renderOutboxPage } from '../../../local/consent/outbox';
import { createOutcomeRecorder } from '../../../local/status/outcome-recorder';
import { createStatusRoutes } from '../../../local/status/status-routes';
import { composeConfirmationMail } from '../../../shared/consent/confirmation-mail';
import { deriveConsentKeys } from '../../../shared/consent/consent-keys';
import { confirmationMailSettingsSchema } from '../../../shared/consent/double-opt-in';
import { anSqsRecord, aSignupMessage } from '../../helpers/events';

/** Local mode's consent parts: the outbox, its pages, and `forget --local` reaching local mode's own copies. */

const keys = deriveConsentKeys('local-consent-test-key-0123456789');
const settings = confirmationMailSettingsSchema.parse({ from: 'news@shop.example', subject: 'Confirm <now>' });

it('keeps the mails newest first, shows them with working links, and forgets one person', async () => {
  const outbox = createOutbox();
  await outbox.mailer.send(composeConfirmationMail('ada@example.com', 'http://127.0.0.1:3000/confirm/a.b', settings));
  await outbox.mailer.send(composeConfirmationMail('grace@example.com', 'http://127.0.0.1:3000/confirm/c.d', settings));
  expect(outbox.mails().map((mail) => mail.to)).toEqual(['grace@example.com', 'ada@example.com']);
  const page = renderOutboxPage(outbox.mails()).body.toString();
  expect(page).toContain('href="http://127.0.0.1:3000/confirm/c.d"');
  expect(page).toContain('Confirm &lt;now&gt;');
  expect(outbox.forget(' ADA@example.com ')).toBe(1);
  expect(outbox.mails().map((mail) => mail.to)).toEqual(['grace@example.com']);
});

it("removes one person's recent outcomes (found by person key, never shown), and no one else's", () => {
  const recorder = createOutcomeRecorder({ personOf: (body) => personOfBody(body, keys) });
  const ada = anSqsRecord(aSignupMessage({ email: 'ada@example.com' }), 'sqs-ada');
  const grace = anSqsRecord(aSignupMessage({ email: 'grace@example.com' }), 'sqs-grace');
  const confirmation = {
    ...ada,
    messageId: 'sqs-confirm',
    body: JSON.stringify({ kind: 'confirmation', confirmation: { person: keys.personOf('ada@example.com'), nonce: 'n' } }),
  };
  const records = [ada, grace, confirmation].map((record) => ({ messageId: record.messageId, receiptHandle: 'rh', body: record.body, attributes: {} }));
  recorder.record(new Map(records.map((record) => [record.messageId, { status: 'subscribed' as const }])), records);
  expect(JSON.stringify(recorder.recent())).not.toContain(keys.personOf('ada@example.com'));
  expect(recorder.forget(keys.personOf('ada@example.com'))).toBe(2);
  expect(recorder.recent().map((outcome) => outcome.messageId)).toEqual(['sqs-grace']);
});

it('serves the outbox as HTML and JSON, and takes POST /_local/api/forget from its own origin only', async () => {
  const forgotten: string[] = [];
  const routes = createStatusRoutes({
    status: async () => ({}) as never,
    deadLetters: async () => [],
    redrive: async () => ({}) as never,
    config: () => ({}),
    outbox: () => [],
    forget: (email) => {
      forgotten.push(email);
      return { outbox: 1, recentOutcomes: 0 };
    },
    origin: () => 'http://127.0.0.1:3000',
  });
  const request = (method: string, path: string, headers: Record<string, string> = {}, body = '') => routes({ method, path, headers, body: Buffer.from(body) });
  expect((await request('GET', '/_local/outbox'))?.headers['content-type']).toMatch(/text\/html/);
  expect(JSON.parse((await request('GET', '/_local/api/outbox'))!.body.toString())).toEqual({ mails: [] });
  expect(
    (await request('POST', '/_local/api/forget', { 'content-type': 'application/json', origin: 'https://evil.example' }, '{"email":"a@b.c"}'))?.status,
  ).toBe(403);
  expect((await request('POST', '/_local/api/forget', { 'content-type': 'text/plain' }, '{"email":"a@b.c"}'))?.status).toBe(403);
  expect((await request('POST', '/_local/api/forget', { 'content-type': 'application/json' }, '{}'))?.status).toBe(400);
  const done = await request('POST', '/_local/api/forget', { 'content-type': 'application/json' }, '{"email":"a@b.c"}');
  expect(JSON.parse(done!.body.toString())).toEqual({ removed: { outbox: 1, recentOutcomes: 0 } });
  expect(forgotten).toEqual(['a@b.c']);
});
