import { DELIVERY_REPEATED_HEADER } from '../../../shared/ingest/ingest-signups';
import { Metric } from '../../../shared/observability/metric-names';
import { signupMessageSchema } from '../../../shared/signup/signup-schema';
import { startTestLedger, type TestLedger } from '../../helpers/delivery-ledger';
import { anHttpEvent, anIngestHandler, FORM_ORIGIN, fakeQueue, SECRETS, sourceIdOf, standardWebhookHeaders, THANK_YOU_URL } from '../../helpers/ingest';
import { metricsRecorder } from '../../helpers/metrics-recorder';

/**
 * Attack (docs/security.md, "A client-chosen id dropping another person's signup"): the ledger compared
 * keys, never payloads. Two POST /signups with the same `event_id` and different people were answered
 * `202 202` and the second was dropped; two visitors of a CDN-cached form page posting the same
 * `submission_id` both saw the thank-you page and only the first was queued. Now the ledger stores a
 * payload hash with the key (Powertools payload validation): the same key with another payload is a new
 * delivery: POST /signups answers 409 naming `event_id`, a form post is queued.
 */

jest.setTimeout(20_000);

let ledgers: TestLedger;
beforeAll(async () => {
  ledgers = await startTestLedger();
});
afterAll(() => ledgers.close());

const BEARER = { 'content-type': 'application/json', authorization: `Bearer ${SECRETS.api}` };

describe('POST /signups: a client reusing its event_id for another person', () => {
  it('answers 409 with a problem document naming /event_id, and queues only the first person', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const metrics = metricsRecorder();
    const ingest = anIngestHandler({ queue, ledger: ledgers.ledger(), metrics: metrics.sink });
    const ada = JSON.stringify({ email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', event_id: 'evt-reused' });
    const grace = JSON.stringify({ email: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper', event_id: 'evt-reused' });

    // Act
    const first = await ingest(anHttpEvent('/signups', { body: ada, headers: BEARER }));
    const second = await ingest(anHttpEvent('/signups', { body: grace, headers: BEARER }));

    // Assert
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(409);
    expect(second.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(second.body)).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: expect.stringMatching(/event_id was already used for a different signup/),
      errors: [{ path: '/event_id', message: 'Already used for a different signup' }],
    });
    expect(messages.map((message) => signupMessageSchema.parse(message).signup.email)).toEqual(['ada@example.com']);
    expect(metrics.sum(Metric.SignupsRefused, { Source: 'api', Reason: '409' })).toBe(1);
  });

  it('still folds a true repeat, even serialized differently, as a repeat (202, nothing queued again)', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue, ledger: ledgers.ledger() });
    const signup = { email: 'retry@example.com', first_name: 'Ada', last_name: 'Lovelace', event_id: 'evt-retried' };
    const reordered = JSON.stringify({ event_id: 'evt-retried', last_name: 'Lovelace', first_name: 'Ada', email: ' Retry@Example.com ' }, null, 2);

    // Act
    const first = await ingest(anHttpEvent('/signups', { body: JSON.stringify(signup), headers: BEARER }));
    const retry = await ingest(anHttpEvent('/signups', { body: reordered, headers: BEARER }));

    // Assert
    expect([first.statusCode, retry.statusCode]).toEqual([202, 202]);
    expect(retry.headers[DELIVERY_REPEATED_HEADER]).toBe('true');
    expect(JSON.parse(retry.body).ids).toEqual(JSON.parse(first.body).ids);
    expect(messages).toHaveLength(1);
  });

  it('a signed request reusing its webhook-id for another payload: 409 naming the webhook-id', async () => {
    // Arrange
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue, ledger: ledgers.ledger() });
    const ada = JSON.stringify({ email: 'ada.signed@example.com', first_name: 'Ada', last_name: 'Lovelace' });
    const grace = JSON.stringify({ email: 'grace.signed@example.com', first_name: 'Grace', last_name: 'Hopper' });
    const signed = (body: string) => ({ 'content-type': 'application/json', ...standardWebhookHeaders(body, { id: 'msg_reused' }) });

    // Act
    const first = await ingest(anHttpEvent('/signups', { body: ada, headers: signed(ada) }));
    const second = await ingest(anHttpEvent('/signups', { body: grace, headers: signed(grace) }));

    // Assert
    expect([first.statusCode, second.statusCode]).toEqual([202, 409]);
    expect(JSON.parse(second.body).detail).toMatch(/webhook-id/);
    expect(messages).toHaveLength(1);
  });
});

describe('html-form: two visitors of a CDN-cached page posting the same submission_id', () => {
  const post = (ingest: ReturnType<typeof anIngestHandler>, fields: Record<string, string>) =>
    ingest(
      anHttpEvent(`/sources/${sourceIdOf('html-form')}`, {
        body: new URLSearchParams(fields).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: FORM_ORIGIN },
      }),
    );

  it('queues both people (each gets the thank-you page), and still folds a double click', async () => {
    // Arrange: the cached page carries one submission_id for every visitor.
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue, ledger: ledgers.ledger() });
    const cachedId = '0b9d7a4e-5f7c-4c1e-9a55-2f1d0f3c8e61';
    const ada = { email: 'ada.form@example.com', first_name: 'Ada', last_name: 'Lovelace', submission_id: cachedId };
    const grace = { email: 'grace.form@example.com', first_name: 'Grace', last_name: 'Hopper', submission_id: cachedId };

    // Act
    const first = await post(ingest, ada);
    const second = await post(ingest, grace);
    const doubleClick = await post(ingest, grace);

    // Assert
    expect([first, second, doubleClick].map((reply) => [reply.statusCode, reply.headers.location])).toEqual(Array(3).fill([303, THANK_YOU_URL]));
    expect(doubleClick.headers[DELIVERY_REPEATED_HEADER]).toBe('true');
    expect(messages.map((message) => signupMessageSchema.parse(message).signup.email)).toEqual(['ada.form@example.com', 'grace.form@example.com']);
  });

  it('folds a multipart double click whose two posts differ only in their boundary (the payload is what was read, not the bytes)', async () => {
    // Arrange: a browser picks a new multipart boundary for every submission.
    const { queue, messages } = fakeQueue();
    const ingest = anIngestHandler({ queue, ledger: ledgers.ledger() });
    const fields = { email: 'multi@example.com', first_name: 'Ada', last_name: 'Lovelace', submission_id: '5d1c4b1e-2f0a-4d3e-8c77-0a6b9e1f2c34' };
    const multipart = (boundary: string) => ({
      body: `${Object.entries(fields)
        .map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`)
        .join('')}--${boundary}--\r\n`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, origin: FORM_ORIGIN },
    });

    // Act
    const first = await ingest(anHttpEvent(`/sources/${sourceIdOf('html-form')}`, multipart('----click1')));
    const second = await ingest(anHttpEvent(`/sources/${sourceIdOf('html-form')}`, multipart('----click2')));

    // Assert
    expect([first.statusCode, second.statusCode]).toEqual([303, 303]);
    expect(second.headers[DELIVERY_REPEATED_HEADER]).toBe('true');
    expect(messages).toHaveLength(1);
  });
});
