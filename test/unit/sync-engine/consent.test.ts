import { type BigCommerceSandbox, startBigCommerceSandbox } from '../../../local/bigcommerce-sandbox';
import { createOutbox, type Outbox } from '../../../local/consent/outbox';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../../../local/delivery-ledger/embedded-dynamodb';
import { type ConsentAdmin, createConsentAdmin } from '../../../shared/aws/dynamodb-consent-store';
import { ConfirmationMailError, type ConfirmationMailer } from '../../../shared/consent/confirmation-mail';
import { verifyConfirmationToken } from '../../../shared/consent/confirmation-token';
import { type ConsentKeys, deriveConsentKeys } from '../../../shared/consent/consent-keys';
import { CONFIRMATION_KIND, type ConfirmationMessage, type SignupInput, type SignupMessage } from '../../../shared/signup/signup-schema';
import { anSqsRecord, aSignupMessage } from '../../helpers/events';
import { syncHarness } from '../../helpers/sync-harness';

/**
 * The sync's consent work against the sandbox over HTTP and the consent table on an embedded DynamoDB
 * (docs/privacy.md, docs/subscribers.md): evidence of every consent and opt-out written, nothing of an
 * erased person written again, double opt-in mails at most once per window and never a consent before
 * the confirmation, and the confirmation writing the subscriber with its evidence.
 */

const HASH_KEY = 'consent-test-hash-key-0123456789abcdef';
const keys: ConsentKeys = deriveConsentKeys(HASH_KEY);
const DOI = {
  news: { from: 'Shop <news@shop.example>', subject: 'Please confirm', expiresHours: 48, resendAfterMinutes: 15, maxMails: 3 },
  signup: { from: 'news@shop.example', subject: 'Please confirm' },
};

let sandbox: BigCommerceSandbox;
let dynamo: EmbeddedDynamoDb;
let admin: ConsentAdmin;
let outbox: Outbox;
let clock: number;
let failMail: ConfirmationMailError | undefined;
const mailer: ConfirmationMailer = {
  async send(mail) {
    if (failMail) throw failMail;
    await outbox.mailer.send(mail);
  },
};

beforeAll(async () => {
  sandbox = await startBigCommerceSandbox({ seed: 22, rateLimit: false });
  dynamo = await startEmbeddedDynamoDb();
  admin = createConsentAdmin(dynamo.client, dynamo.consentTableName);
});
afterAll(async () => {
  await sandbox.close();
  await dynamo.close();
});
beforeEach(() => {
  sandbox.reset();
  outbox = createOutbox();
  clock = Date.parse('2026-12-06T10:00:00.000Z');
  failMail = undefined;
});

function harness() {
  return syncHarness(sandbox, {
    consent: { dynamoDb: dynamo.client, tableName: dynamo.consentTableName, hashKey: HASH_KEY, doubleOptIn: DOI, mailer, now: () => clock },
  });
}

let counter = 0;
/** A version 4 message received at the test clock. */
function message(signup: Partial<SignupInput> & { email: string }, overrides: Partial<SignupMessage> = {}): SignupMessage {
  counter += 1;
  const base = aSignupMessage({}, overrides);
  const input = Object.fromEntries(Object.entries({ first_name: 'Ada', last_name: 'Lovelace', ...signup }).filter(([, value]) => value !== undefined));
  return { ...base, schema_version: 4, received_at: new Date(clock + counter).toISOString(), signup: input as SignupMessage['signup'] };
}
const doiSource = (mode: 'subscriber' | 'everything', id = mode === 'everything' ? 'news' : 'signup') =>
  ({ id, kind: 'html-form', consent_version: 'v7 footer', double_opt_in: mode }) as const;

function confirmationOf(link: string): ConfirmationMessage {
  counter += 1;
  const id = `confirm-${counter}`;
  const token = link.slice(link.lastIndexOf('/') + 1);
  const check = verifyConfirmationToken(token, keys.tokenKey, clock);
  if (!check.ok) throw new Error(`the link's token does not verify: ${check.reason}`);
  return {
    schema_version: 4,
    kind: CONFIRMATION_KIND,
    id,
    received_at: new Date(clock).toISOString(),
    source: { id: check.claims.sourceId, kind: 'html-form' },
    confirmation: { person: check.claims.person, nonce: check.claims.nonce, ip: '198.51.100.7' },
  };
}

describe('evidence', () => {
  it('records a consent with its times, source, wording, page, form, IP and delivery id once BigCommerce accepted the subscriber', async () => {
    // Arrange
    const sync = harness();
    const signup = message(
      { email: 'ada@example.com', consent: { marketing: true }, event_id: 'evt-1', occurred_at: new Date(clock - 60_000).toISOString() },
      {
        source: { id: 'form', kind: 'html-form', consent_version: '2026-11 footer' },
        evidence: { page: 'https://shop.example/join', form: 'footer-box', ip: '203.0.113.5' },
      },
    );

    // Act
    await sync.invoke([anSqsRecord(signup)]);

    // Assert
    const { evidence } = await admin.items(keys.personOf('ada@example.com'));
    expect(evidence).toEqual([
      expect.objectContaining({
        email: 'ada@example.com',
        action: 'consent',
        occurredAt: new Date(clock - 60_000).toISOString(),
        receivedAt: signup.received_at,
        source: { id: 'form', kind: 'html-form' },
        consentVersion: '2026-11 footer',
        consents: ['marketing_newsletter'],
        page: 'https://shop.example/join',
        form: 'footer-box',
        ip: '203.0.113.5',
        deliveryId: signup.id,
        eventId: 'evt-1',
        outcome: 'subscribed',
        subscriberId: sandbox.subscribers()[0]!.id,
        customerId: sandbox.customers()[0]!.id,
      }),
    ]);
    sync.restore();
  });

  it('records an opt-out, and a customer created with the abandoned-cart consent; not a signup without consent', async () => {
    // Arrange
    const sync = harness();
    sandbox.seedSubscribers([{ email: 'out@example.com', consents: ['marketing_newsletter'] }]);

    // Act
    await sync.invoke([
      anSqsRecord(message({ email: 'out@example.com', opt_out: true, first_name: undefined, last_name: undefined })),
      anSqsRecord(message({ email: 'cart@example.com', consent: { abandoned_cart: true } })),
      anSqsRecord(message({ email: 'plain@example.com' })),
    ]);

    // Assert
    expect((await admin.items(keys.personOf('out@example.com'))).evidence).toEqual([
      expect.objectContaining({ action: 'opt-out', consents: ['marketing_newsletter'], outcome: 'unsubscribed' }),
    ]);
    expect((await admin.items(keys.personOf('cart@example.com'))).evidence).toEqual([
      expect.objectContaining({ action: 'consent', consents: ['abandoned_cart'], outcome: 'customer-created' }),
    ]);
    expect((await admin.items(keys.personOf('plain@example.com'))).evidence).toEqual([]);
    sync.restore();
  });

  it('records an old version 3 message too (what it carries: no page, no wording)', async () => {
    const sync = harness();
    const v3 = { ...message({ email: 'old@example.com', consent: { marketing: true } }), schema_version: 3 as const };
    await sync.invoke([anSqsRecord(v3)]);
    const [record] = (await admin.items(keys.personOf('old@example.com'))).evidence;
    expect(record).toMatchObject({ action: 'consent', deliveryId: v3.id });
    expect(record).not.toHaveProperty('page');
    expect(record).not.toHaveProperty('consentVersion');
    sync.restore();
  });
});

describe('erasure', () => {
  it('drops a message received before its person was erased (a retry, a redrive) and syncs one received after', async () => {
    // Arrange
    const sync = harness();
    const before = message({ email: 'gone@example.com', consent: { marketing: true } });
    clock += 10_000;
    await admin.erase(keys.personOf('gone@example.com'), new Date(clock));
    clock += 10_000;
    const after = message({ email: 'gone@example.com', first_name: 'Back', consent: { marketing: true } });

    // Act
    const retried = await sync.invoke([anSqsRecord(before)]);

    // Assert: settled (deleted from the queue), nothing written, no dead letter
    expect(retried).toEqual([]);
    expect(sandbox.customers()).toEqual([]);
    expect(sandbox.subscribers()).toEqual([]);
    expect(sync.deadLetters).toEqual([]);

    // Act: a new signup after the erasure is a new consent
    await sync.invoke([anSqsRecord(after)]);
    expect(sandbox.customers().map((customer) => customer.first_name)).toEqual(['Back']);
    sync.restore();
  });
});

describe('double opt-in', () => {
  it('a newsletter box (everything waits) mails one link and writes nothing; 20 repeats in a minute mail nothing more', async () => {
    // Arrange
    const sync = harness();
    const first = message(
      { email: 'bomb@example.com', first_name: undefined, last_name: undefined, consent: { marketing: true } },
      { source: doiSource('everything') },
    );

    // Act
    await sync.invoke([anSqsRecord(first)]);
    for (let repeat = 0; repeat < 20; repeat += 1) {
      clock += 3_000;
      const again = message(
        { email: 'bomb@example.com', first_name: undefined, last_name: undefined, consent: { marketing: true } },
        { source: doiSource('everything') },
      );
      expect(await sync.invoke([anSqsRecord(again)])).toEqual([]);
    }

    // Assert
    expect(outbox.mails().map((mail) => mail.to)).toEqual(['bomb@example.com']);
    expect(outbox.mails()[0]).toMatchObject({
      from: 'Shop <news@shop.example>',
      subject: 'Please confirm',
      link: expect.stringMatching(/^https:\/\/signups\.example\.com\/confirm\/[\w-]+\.[\w-]+$/),
    });
    expect(sandbox.customers()).toEqual([]);
    expect(sandbox.subscribers()).toEqual([]);
    expect((await admin.items(keys.personOf('bomb@example.com'))).evidence).toEqual([]);
    sync.restore();
  });

  it('mails again once the window is over, at most maxMails times per request', async () => {
    const sync = harness();
    for (let round = 0; round < 5; round += 1) {
      await sync.invoke([anSqsRecord(message({ email: 'again@example.com', consent: { marketing: true } }, { source: doiSource('everything') }))]);
      clock += 16 * 60_000;
    }
    expect(outbox.mails()).toHaveLength(3);
    // Every mail's link is valid for the same pending request.
    const pending = (await admin.items(keys.personOf('again@example.com'))).pending;
    expect(pending).toEqual([expect.objectContaining({ sourceId: 'news', mails: 3 })]);
    sync.restore();
  });

  it('a retried message never mails twice; a retryable SES failure defers, a refusal dead-letters', async () => {
    const sync = harness();
    const signup = message({ email: 'retry@example.com', consent: { marketing: true } }, { source: doiSource('everything') });
    failMail = new ConfirmationMailError('SES did not send the confirmation mail (TooManyRequestsException)', true);
    expect(await sync.invoke([anSqsRecord(signup, 'retry-1')])).toEqual(['retry-1']);
    failMail = undefined;
    expect(await sync.invoke([anSqsRecord(signup, 'retry-1')])).toEqual([]);
    expect(await sync.invoke([anSqsRecord(signup, 'retry-1')])).toEqual([]);
    expect(outbox.mails()).toHaveLength(1);

    failMail = new ConfirmationMailError('SES did not send the confirmation mail (MessageRejected)', false);
    await sync.invoke([anSqsRecord(message({ email: 'refused@example.com', consent: { marketing: true } }, { source: doiSource('everything') }))]);
    expect(sync.deadLetters.map((entry) => entry.MessageAttributes?.['RejectionCode']?.StringValue)).toEqual(['confirmation-mail-rejected']);
    sync.restore();
  });

  it('a sign-up form (subscriber waits) creates the named customer at once, without any consent, and mails the link', async () => {
    const sync = harness();
    await sync.invoke([
      anSqsRecord(message({ email: 'named@example.com', consent: { marketing: true, abandoned_cart: true } }, { source: doiSource('subscriber') })),
    ]);
    expect(sandbox.customers()).toEqual([expect.objectContaining({ email: 'named@example.com', accepts_product_review_abandoned_cart_emails: false })]);
    expect(sandbox.subscribers()).toEqual([]);
    expect(outbox.mails()).toHaveLength(1);
    sync.restore();
  });

  it('the confirmation writes the subscriber with marketing_newsletter and an evidence record with both times; a second one writes nothing', async () => {
    // Arrange
    const sync = harness();
    const signup = message(
      { email: 'confirm@example.com', first_name: undefined, last_name: undefined, consent: { marketing: true } },
      { source: doiSource('everything'), evidence: { page: 'https://shop.example/news', ip: '203.0.113.9' } },
    );
    await sync.invoke([anSqsRecord(signup)]);
    clock += 5 * 60_000;
    const confirmation = confirmationOf(outbox.mails()[0]!.link);

    // Act
    expect(await sync.invoke([anSqsRecord(JSON.stringify(confirmation))])).toEqual([]);
    await sync.invoke([anSqsRecord(JSON.stringify(confirmationOf(outbox.mails()[0]!.link)))]);

    // Assert
    expect(sandbox.subscribers()).toEqual([expect.objectContaining({ email: 'confirm@example.com', consents: ['marketing_newsletter'] })]);
    expect(sandbox.customers()).toEqual([]);
    const { evidence, pending } = await admin.items(keys.personOf('confirm@example.com'));
    expect(evidence).toEqual([
      expect.objectContaining({
        action: 'confirmation',
        occurredAt: confirmation.received_at,
        receivedAt: confirmation.received_at,
        consentVersion: 'v7 footer',
        ip: '198.51.100.7',
        deliveryId: confirmation.id,
        outcome: 'subscribed',
        request: expect.objectContaining({
          occurredAt: signup.received_at,
          receivedAt: signup.received_at,
          deliveryId: signup.id,
          page: 'https://shop.example/news',
          ip: '203.0.113.9',
        }),
      }),
    ]);
    expect(pending).toEqual([expect.objectContaining({ confirmedAt: expect.any(String) })]);
    sync.restore();
  });

  it('a confirmation of a sign-up form writes the subscriber only (the customer exists), with the names', async () => {
    const sync = harness();
    await sync.invoke([anSqsRecord(message({ email: 'both@example.com', consent: { marketing: true } }, { source: doiSource('subscriber') }))]);
    const requestsBefore = sandbox.stats().log.filter((entry) => entry.path.endsWith('/customers')).length;
    await sync.invoke([anSqsRecord(JSON.stringify(confirmationOf(outbox.mails()[0]!.link)))]);
    expect(sandbox.customers()).toHaveLength(1);
    expect(sandbox.subscribers()).toEqual([expect.objectContaining({ email: 'both@example.com', first_name: 'Ada', last_name: 'Lovelace' })]);
    // No customer request for the confirmation: it is newsletter-only.
    expect(sandbox.stats().log.filter((entry) => entry.path.endsWith('/customers')).length).toBe(requestsBefore);
    sync.restore();
  });

  it('a confirmation that confirms nothing writes nothing: expired, unknown nonce, erased person', async () => {
    const sync = harness();
    await sync.invoke([anSqsRecord(message({ email: 'void@example.com', consent: { marketing: true } }, { source: doiSource('everything') }))]);
    const confirmation = confirmationOf(outbox.mails()[0]!.link);
    const forged = { ...confirmation, id: 'forged', confirmation: { ...confirmation.confirmation, nonce: 'nottherightnonce' } };
    await sync.invoke([anSqsRecord(JSON.stringify(forged))]);
    clock += 49 * 3_600_000;
    await sync.invoke([anSqsRecord(JSON.stringify({ ...confirmation, id: 'late', received_at: new Date(clock).toISOString() }))]);
    expect(sandbox.subscribers()).toEqual([]);

    clock -= 49 * 3_600_000;
    await admin.erase(keys.personOf('void@example.com'), new Date(clock + 1));
    await sync.invoke([anSqsRecord(JSON.stringify({ ...confirmation, id: 'after-erasure', received_at: new Date(clock + 2).toISOString() }))]);
    expect(sandbox.subscribers()).toEqual([]);
    expect(sandbox.customers()).toEqual([]);
    sync.restore();
  });
});

describe('evidence of one message delivered twice in a batch', () => {
  it('writes one record (DynamoDB refuses a batch naming an item twice) and settles both copies', async () => {
    const sync = harness();
    const signup = message({ email: 'twice@example.com', consent: { marketing: true } });
    expect(await sync.invoke([anSqsRecord(signup, 'copy-1'), anSqsRecord(signup, 'copy-2')])).toEqual([]);
    expect((await admin.items(keys.personOf('twice@example.com'))).evidence).toHaveLength(1);
    sync.restore();
  });
});
