import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import { type SignupMessage, signupMessageSchema } from '../../../shared/signup/signup-schema';
import type { SourceConfigInput } from '../../../shared/sources/source-config';
import { anSqsRecord } from '../../helpers/events';
import { anHttpEvent, anIngestHandler, fakeQueue, NOW, SECRETS, standardWebhookHeaders } from '../../helpers/ingest';
import { syncHarness } from '../../helpers/sync-harness';

/**
 * Attack (docs/security.md, "Placeholder names written over real ones"): under `conflictPolicy: "update"`
 * with `nameless: "placeholder"`, a newsletter-only signup (an email and a tick, anyone's email) renamed
 * an existing "Ada Lovelace" to the placeholder "Newsletter Subscriber". Now the ingest marks the names it
 * filled in (`placeholder_names` in the queue message, schema version 3), and the sync leaves them out of
 * every PUT and out of merges over real names; a source's `lastNamePolicy` placeholder is marked too.
 * Everything goes through the real ingest handler, then the real sync handler against the sandbox.
 */

let sandbox: BigCommerceSandbox;
beforeAll(async () => {
  sandbox = await startBigCommerceSandbox({ seed: 21, rateLimit: { quota: 150, windowMs: 30_000 }, timeScale: 0.001 });
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

const SOURCE_INPUTS: SourceConfigInput[] = [
  // A signed newsletter webhook whose nameless signups become customers with placeholder names.
  { id: 'newsletter', kind: 'standard-webhooks', nameless: 'placeholder' },
  // A signed sender that fills a missing last name with '-'.
  { id: 'quiz', kind: 'standard-webhooks', lastNamePolicy: { placeholder: '-' } },
];
const SOURCES = parseIngestSources(SOURCE_INPUTS);
const SECRET_JSON = JSON.stringify({ api: SECRETS.api, newsletter: SECRETS.standardWebhooks, quiz: SECRETS.standardWebhooks });
/** Before NOW, the ingest's receive time: every signup here is newer than the stored customer. */
const LAST_CHANGED = '2026-01-01T00:00:00Z';

/** Sends signed deliveries through the ingest handler (at NOW + `seconds`) and returns the queued messages. */
async function ingest(deliveries: readonly { source: string; body: Record<string, unknown>; seconds?: number }[]): Promise<SignupMessage[]> {
  const { queue, messages } = fakeQueue();
  for (const [index, { source, body, seconds = index }] of deliveries.entries()) {
    const handler = anIngestHandler({ queue, sources: SOURCES, secretJson: SECRET_JSON, now: () => new Date(NOW.getTime() + seconds * 1000) });
    const text = JSON.stringify(body);
    const response = await handler(
      anHttpEvent(`/sources/${source}`, {
        body: text,
        headers: { 'content-type': 'application/json', ...standardWebhookHeaders(text, { secret: SECRETS.standardWebhooks, id: `msg_${index}` }) },
      }),
    );
    expect(response.statusCode).toBe(202);
  }
  return messages.map((message) => signupMessageSchema.parse(message));
}

async function syncUnderUpdate(messages: readonly SignupMessage[]) {
  const harness = syncHarness(sandbox, { conflictPolicy: 'update' });
  try {
    expect(await harness.invoke(messages.map((message) => anSqsRecord(message)))).toEqual([]);
    expect(harness.deadLetters).toEqual([]);
  } finally {
    harness.restore();
  }
}

const customer = (email: string) => sandbox.customers().find((candidate) => candidate.email === email);
const customerPuts = () => sandbox.stats().log.filter((entry) => entry.method === 'PUT' && entry.path.endsWith('/customers'));

describe('conflictPolicy "update" with nameless "placeholder"', () => {
  it('a newsletter-only signup does not rename an existing "Ada Lovelace" to the placeholder names', async () => {
    // Arrange: Ada is a customer; someone subscribes her email to the newsletter, nothing else.
    sandbox.seedCustomers([{ email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', date_modified: LAST_CHANGED }]);
    const messages = await ingest([{ source: 'newsletter', body: { email: 'ada@example.com', consent: { marketing: true } } }]);

    // Act
    await syncUnderUpdate(messages);

    // Assert
    expect(customer('ada@example.com')).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace' });
    expect(customerPuts()).toEqual([]);
    expect(messages[0]).toMatchObject({ signup: { first_name: 'Newsletter', last_name: 'Subscriber' }, placeholder_names: ['first_name', 'last_name'] });
    // The newsletter part still happens, without the placeholder names.
    expect(sandbox.subscribers()).toEqual([
      expect.objectContaining({ email: 'ada@example.com', first_name: '', last_name: '', consents: ['marketing_newsletter'] }),
    ]);
  });

  it('in one batch, a newsletter-only signup after a real one keeps the real names on the new customer', async () => {
    // Arrange: Grace signs up with her name, then (a second later) through the newsletter box.
    const messages = await ingest([
      { source: 'newsletter', body: { email: 'grace@example.com', first_name: 'Grace', last_name: 'Hopper' } },
      { source: 'newsletter', body: { email: 'grace@example.com', consent: { marketing: true } } },
    ]);

    // Act
    await syncUnderUpdate(messages);

    // Assert
    expect(customer('grace@example.com')).toMatchObject({ first_name: 'Grace', last_name: 'Hopper' });
    expect(sandbox.customers()).toHaveLength(1);
  });

  it("still writes real names over a placeholder customer's names", async () => {
    // Arrange: the customer was created from a newsletter signup; the person now gives her name.
    sandbox.seedCustomers([{ email: 'late@example.com', first_name: 'Newsletter', last_name: 'Subscriber', date_modified: LAST_CHANGED }]);
    const messages = await ingest([{ source: 'newsletter', body: { email: 'late@example.com', first_name: 'Ada', last_name: 'Lovelace' } }]);

    // Act
    await syncUnderUpdate(messages);

    // Assert
    expect(customer('late@example.com')).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace' });
  });
});

describe('conflictPolicy "update" with a lastNamePolicy placeholder', () => {
  it('a first-name-only signup updates the first name and keeps the real last name', async () => {
    // Arrange
    sandbox.seedCustomers([{ email: 'augusta@example.com', first_name: 'Augusta', last_name: 'Lovelace', date_modified: LAST_CHANGED }]);
    const messages = await ingest([{ source: 'quiz', body: { email: 'augusta@example.com', first_name: 'Ada' } }]);

    // Act
    await syncUnderUpdate(messages);

    // Assert
    expect(customer('augusta@example.com')).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace' });
    expect(messages[0]).toMatchObject({ signup: { first_name: 'Ada', last_name: '-' }, placeholder_names: ['last_name'] });
  });
});
