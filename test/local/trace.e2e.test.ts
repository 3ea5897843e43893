import { createHmac } from 'node:crypto';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { runCli } from '../../ops/main';
import type { Journey } from '../../ops/trace/journey';
import { captureWrite } from '../helpers/log-capture';
import { recordingIo, waitFor } from './support';

jest.setTimeout(120_000);

/**
 * `signup-sync trace` in local mode, through the CLI's main as an operator runs it (`--local <url>`):
 * the journeys the issue names, each found by its email and by its ingest id (an id of the 202, or the
 * `apigw-requestid` of a refusal): a signup that became a customer, one refused with 422, one folded as a
 * repeat, one dead-lettered and then redriven, and a subscribe superseded by a later opt-out.
 */

let mode: LocalMode;

beforeAll(async () => {
  mode = await startLocalMode({
    sandbox: { rejectEmails: /^bounced/, seed: 21 },
    timings: { batchingWindowMs: 200, visibilityTimeoutSeconds: 20, syncTimeoutMs: 15_000 },
    log: { write: (line) => captureWrite(line) },
  });
});

afterAll(async () => {
  await mode?.stop();
});

/** POST /signups signed with Standard Webhooks (a fixed webhook-id makes a resend the same delivery). */
async function post(body: unknown, webhookId = `wh-${Math.random().toString(36).slice(2)}`) {
  const text = JSON.stringify(body);
  const seconds = String(Math.floor(Date.now() / 1000));
  const key = Buffer.from(mode.apiSecret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${webhookId}.${seconds}.${text}`).digest('base64');
  const response = await fetch(`${mode.apiUrl}/signups`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'webhook-id': webhookId, 'webhook-timestamp': seconds, 'webhook-signature': `v1,${signature}` },
    body: text,
  });
  const answer = (await response.json()) as { ids?: string[] };
  return {
    status: response.status,
    ids: answer.ids ?? [],
    requestId: response.headers.get('apigw-requestid') ?? '',
    repeated: response.headers.get('delivery-repeated'),
  };
}

async function trace(value: string): Promise<{ code: number; journey: Journey; text: string }> {
  const json = recordingIo();
  const code = await runCli(['trace', value, '--json', '--local', mode.apiUrl], json);
  const plain = recordingIo();
  await runCli(['trace', value, '--local', mode.apiUrl], plain);
  return { code, journey: JSON.parse(json.stdout.join('\n')) as Journey, text: plain.text() };
}

const events = (journey: Journey) => journey.steps.map((step) => step.event);
const synced = (journey: Journey) => journey.steps.filter((step) => step.event === 'synced').map((step) => step.fields);

/** Both ways in: the email and the id give the same steps for a signup of one request. */
async function bothWays(email: string, id: string) {
  const byEmail = await trace(email);
  const byId = await trace(id);
  expect(byEmail.code).toBe(0);
  expect(byId.code).toBe(0);
  for (const result of [byEmail, byId]) {
    // Ids and hashes only: the address is neither printed nor in the JSON.
    expect(result.text).not.toContain(email);
    expect(JSON.stringify(result.journey)).not.toContain(email);
  }
  return { byEmail, byId };
}

it('a signup that became a customer: received, queued, created with its customer and subscriber ids', async () => {
  // Arrange
  const email = 'trace.customer@example.com';
  const answer = await post({ email, first_name: 'Ada', last_name: 'Lovelace', consent: { marketing: true } });
  expect(answer.status).toBe(202);
  const [id] = answer.ids;
  // The sync writes its line once the batch is done, just after the customer exists.
  await waitFor(async () => (await trace(id!)).journey.steps.some((step) => step.event === 'synced') || undefined, { what: 'its sync line' });

  // Act
  const { byEmail, byId } = await bothWays(email, id!);

  // Assert
  for (const { journey } of [byEmail, byId]) {
    expect(events(journey)).toEqual(['received', 'queued', 'synced']);
    expect(synced(journey)).toEqual([
      expect.objectContaining({
        outcome: 'created',
        customerId: expect.any(Number),
        subscriber: 'subscribed',
        subscriberId: expect.any(Number),
        attempt: 1,
      }),
    ]);
    expect(journey.signupIds).toEqual([id]);
    expect(journey.requestIds).toEqual([answer.requestId]);
  }
  expect(byId.text).toMatch(/queued\s+queued: \S+/);
  expect(byId.text).toMatch(/synced\s+attempt 1: created customer \d+; newsletter: subscribed \(subscriber \d+\)/);
});

it('a signup refused with 422: found by its email and by the request id its answer carried', async () => {
  // Arrange: no last name and no consent, under the default nameless policy
  const email = 'trace.refused@example.com';
  const answer = await post({ email, first_name: 'Only' });
  expect(answer.status).toBe(422);
  expect(answer.requestId).not.toBe('');

  // Act
  const { byEmail, byId } = await bothWays(email, answer.requestId);

  // Assert
  for (const { journey } of [byEmail, byId]) {
    expect(events(journey)).toEqual(['received', 'refused']);
    expect(journey.steps[1]!.fields).toMatchObject({ status: 422, fields: ['/last_name'] });
    expect(journey.signupIds).toEqual([]);
  }
  expect(byEmail.text).toContain('answered 422 Unprocessable Content');
  expect(byEmail.text).toContain('/last_name');
});

it('a delivery sent twice: the repeat is folded and answered with the first ids', async () => {
  // Arrange
  const email = 'trace.repeat@example.com';
  const body = { email, first_name: 'Re', last_name: 'Peat' };
  const first = await post(body, 'wh-trace-repeat');
  const second = await post(body, 'wh-trace-repeat');
  expect([first.status, second.status, second.repeated]).toEqual([202, 202, 'true']);
  expect(second.ids).toEqual(first.ids);
  await waitFor(async () => (await trace(first.ids[0]!)).journey.steps.some((step) => step.event === 'synced') || undefined, { what: 'its sync line' });

  // Act
  const { byEmail, byId } = await bothWays(email, first.ids[0]!);

  // Assert: two requests, one queued signup, one sync.
  for (const { journey } of [byEmail, byId]) {
    expect(events(journey).sort()).toEqual(['queued', 'received', 'received', 'repeat', 'synced']);
    expect(events(journey).indexOf('repeat')).toBeGreaterThan(events(journey).indexOf('queued'));
    expect([...journey.requestIds].sort()).toEqual([first.requestId, second.requestId].sort());
    expect(synced(journey)).toEqual([expect.objectContaining({ outcome: 'created' })]);
  }
  expect(byId.text).toContain('a repeat of an earlier delivery: answered as before');
});

it('a signup dead-lettered and then redriven: rejected, in the DLQ, back from it, created', async () => {
  // Arrange: the sandbox refuses the address (a BigCommerce 422)
  const email = 'bounced.trace@example.com';
  const answer = await post({ email, first_name: 'Dee', last_name: 'Ell' });
  const [id] = answer.ids;
  await waitFor(async () => (await trace(id!)).journey.steps.some((step) => step.event === 'dead-lettered') || undefined, { what: 'the dead letter' });

  // Act 1: while it is in the DLQ
  const stuck = await trace(email);

  // Assert 1
  expect(events(stuck.journey)).toEqual(['received', 'queued', 'synced', 'dead-lettered', 'in-dead-letter-queue']);
  expect(stuck.journey.deadLetters).toEqual([expect.objectContaining({ ingestId: id, reason: 'bigcommerce-rejected', httpStatus: 422 })]);
  expect(stuck.text).toContain('in the dead-letter queue now: bigcommerce-rejected (HTTP 422)');

  // Act 2: the cause is fixed, then the operator redrives
  mode.sandbox!.setOptions({ rejectEmails: undefined });
  const redrive = recordingIo();
  expect(await runCli(['dlq', 'redrive', '--local', mode.apiUrl], redrive)).toBe(0);
  await waitFor(() => mode.sandbox!.customers().some((customer) => customer.email === email) || undefined, { what: 'the redriven customer' });
  await waitFor(async () => (await trace(id!)).journey.steps.some((step) => step.fields['outcome'] === 'created') || undefined, { what: 'its sync line' });
  const { byEmail, byId } = await bothWays(email, id!);

  // Assert 2
  for (const { journey } of [byEmail, byId]) {
    expect(events(journey)).toEqual(['received', 'queued', 'synced', 'dead-lettered', 'redriven', 'synced']);
    expect(synced(journey).map((fields) => fields['outcome'])).toEqual(['rejected', 'created']);
    expect(journey.steps[4]!.fields).toMatchObject({ rejectionCode: 'bigcommerce-rejected', redrivenAt: expect.any(String) });
    expect(journey.deadLetters).toEqual([]);
  }
});

it('a subscribe superseded by a later opt-out: the late subscribe stays unsubscribed, and says why', async () => {
  // Arrange: subscribed, then an opt-out, then a subscribe that happened before the opt-out arrives late
  const email = 'trace.optout@example.com';
  const hour = 3_600_000;
  const subscribe = await post({
    email,
    first_name: 'Op',
    last_name: 'Tout',
    consent: { marketing: true },
    occurred_at: new Date(Date.now() - 3 * hour).toISOString(),
  });
  await waitFor(() => mode.sandbox!.subscribers().some((s) => s.email === email && s.consents.includes('marketing_newsletter')) || undefined, {
    what: 'the subscriber',
  });
  const optOut = await post({ email, opt_out: true, occurred_at: new Date(Date.now() - hour).toISOString() });
  await waitFor(() => mode.sandbox!.subscribers().some((s) => s.email === email && !s.consents.includes('marketing_newsletter')) || undefined, {
    what: 'the opt-out',
  });
  const late = await post({ email, consent: { marketing: true }, occurred_at: new Date(Date.now() - 2 * hour).toISOString() });
  expect([subscribe.status, optOut.status, late.status]).toEqual([202, 202, 202]);
  const [lateId] = late.ids;
  await waitFor(async () => (await trace(lateId!)).journey.steps.some((step) => step.event === 'synced') || undefined, { what: 'the late sync' });

  // Act
  const byEmail = await trace(email);
  const byId = await trace(lateId!);

  // Assert: by email, all three signups in order; by id, the late one alone.
  expect(byEmail.code).toBe(0);
  expect(synced(byEmail.journey).map((fields) => (fields['outcome'] === 'created' ? fields['subscriber'] : fields['outcome']))).toEqual([
    'subscribed',
    'unsubscribed',
    'superseded',
  ]);
  expect([...byEmail.journey.signupIds].sort()).toEqual([subscribe.ids[0], optOut.ids[0], lateId].sort());
  expect(events(byId.journey)).toEqual(['received', 'queued', 'synced']);
  expect(synced(byId.journey)).toEqual([expect.objectContaining({ outcome: 'superseded', subscriberId: expect.any(Number) })]);
  expect(byId.text).toContain('superseded: the subscriber changed after this signup happened (a later opt-out)');
  expect(byEmail.text).not.toContain(email);
});

it('answers 1 and says where it looked when nothing matches', async () => {
  const result = await trace('no-such-id-0000');
  expect(result.code).toBe(1);
  expect(result.text).toContain('Nothing found');
});
