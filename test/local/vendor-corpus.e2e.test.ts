import { createHmac } from 'node:crypto';
import { type LocalMode, startLocalMode } from '../../local/local-mode';
import { listDeadLetters } from '../../ops/dead-letters';
import { SOURCE_KINDS, type SourceConfigInput } from '../../shared/sources/source-config';
import { captureWrite } from '../helpers/log-capture';
import { deliveryBody, loadVendorDeliveries, type VendorDelivery } from '../helpers/vendor-fixtures';
import { waitFor } from './support';

jest.setTimeout(180_000);

/**
 * The vendor corpus (test/fixtures/vendor/, docs/sources.md "Vendor examples") against local mode, every
 * part real on loopback: each delivery is signed here exactly as its vendor documents (written from the
 * vendor's algorithm, not with the project's own signing code) and sent to a source configured as a
 * merchant would, and each must become the customer, subscriber, opt-out, ignore or dead letter written
 * below. Deliveries run one at a time, in the corpus order, each waiting for its outcome in the
 * BigCommerce sandbox before the next.
 */

const SIGNING_SECRET = 'vendor-corpus-signing-secret-0123456789';
const URL_TOKEN = 'vendor-corpus-url-token-0123456789';
// The Standard Webhooks specification's test-vector secret (24 bytes after whsec_).
const STANDARD_WEBHOOKS_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** The corpus sources, as a merchant would configure them for these senders (local mode's origin for the forms). */
function corpusSources(origin: string): SourceConfigInput[] {
  // The vendor's own form post carries no CAPTCHA widget's token: this form opts out, with its reason.
  const form = {
    kind: 'html-form' as const,
    allowedOrigins: [origin],
    thankYouUrl: `${origin}/_local/form/thanks`,
    errorUrl: `${origin}/_local/form/error`,
    captcha: false as const,
    captchaReason: 'the corpus replays a browser post as sent, without a widget',
  };
  const sources: SourceConfigInput[] = [
    { id: 'vendor-standard-webhooks', kind: 'standard-webhooks' },
    { id: 'vendor-html-form', ...form, honeypotField: 'website', fieldMap: { newsletter: 'consent.marketing' } },
    { id: 'vendor-html-form-newsletter', ...form, honeypotField: 'website', intent: 'newsletter', consentVersion: '2026-11 footer box' },
    { id: 'vendor-mailchimp', kind: 'mailchimp', includeProfileUpdates: true },
    { id: 'vendor-hubspot', kind: 'hubspot' },
    { id: 'vendor-typeform', kind: 'typeform', incomplete: 'ignore' },
    { id: 'vendor-webflow', kind: 'webflow' },
    { id: 'vendor-webflow-newsletter', kind: 'webflow', intent: 'newsletter', consentVersion: 'webflow email form v1' },
    { id: 'vendor-tally', kind: 'tally', incomplete: 'ignore' },
    { id: 'vendor-kit', kind: 'kit' },
    { id: 'vendor-kit-legacy', kind: 'kit', auth: 'url-token' },
    { id: 'vendor-shopify', kind: 'shopify' },
    { id: 'vendor-jotform', kind: 'jotform' },
    { id: 'vendor-activecampaign', kind: 'activecampaign' },
  ];
  // Every webhook's URL carries its route token (docs/sources.md, "Route tokens").
  return sources.map((source) => (source.kind === 'html-form' ? source : { ...source, routeToken: ROUTE_TOKEN }));
}

const ROUTE_TOKEN = 'vendorcorpus0route0token';

const URL_TOKEN_SOURCES = new Set(['vendor-mailchimp', 'vendor-kit-legacy', 'vendor-jotform', 'vendor-activecampaign']);

function corpusSecrets(): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const source of corpusSources('http://127.0.0.1')) {
    if (source.kind === 'html-form') continue;
    secrets[source.id] = source.kind === 'standard-webhooks' ? STANDARD_WEBHOOKS_SECRET : URL_TOKEN_SOURCES.has(source.id) ? URL_TOKEN : SIGNING_SECRET;
  }
  return secrets;
}

// ---- Signing, written from each vendor's documentation ------------------------------------------------

const hmac = (key: string | Buffer, message: string | Buffer, encoding: 'base64' | 'hex') => createHmac('sha256', key).update(message).digest(encoding);
const text = (body: Buffer) => body.toString('utf8');

/** Standard Webhooks: `v1,` + base64 HMAC-SHA256(base64-decoded secret after `whsec_`, `${id}.${timestamp}.${body}`). */
function standardWebhooksSignature(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${hmac(Buffer.from(secret.slice('whsec_'.length), 'base64'), `${id}.${timestamp}.${body}`, 'base64')}`;
}

/** The headers that authenticate `body` to `url` as the source's sender documents, made now. */
function signedHeaders(sourceId: string, kind: string, url: string, body: Buffer, headers: Readonly<Record<string, string>>): Record<string, string> {
  const nowMs = Date.now();
  const seconds = Math.floor(nowMs / 1000);
  if (URL_TOKEN_SOURCES.has(sourceId)) return {};
  switch (kind) {
    case 'standard-webhooks': {
      const id = headers['webhook-id'] ?? 'msg_vendor_corpus';
      return {
        'webhook-id': id,
        'webhook-timestamp': String(seconds),
        'webhook-signature': standardWebhooksSignature(STANDARD_WEBHOOKS_SECRET, id, seconds, text(body)),
      };
    }
    case 'hubspot':
      // v3: base64 HMAC-SHA256(client secret, method + full request URI + raw body + timestamp in ms).
      return { 'x-hubspot-request-timestamp': String(nowMs), 'x-hubspot-signature-v3': hmac(SIGNING_SECRET, `POST${url}${text(body)}${nowMs}`, 'base64') };
    case 'typeform':
      return { 'typeform-signature': `sha256=${hmac(SIGNING_SECRET, body, 'base64')}` };
    case 'tally':
      return { 'tally-signature': hmac(SIGNING_SECRET, body, 'base64') };
    case 'webflow':
      return { 'x-webflow-timestamp': String(nowMs), 'x-webflow-signature': hmac(SIGNING_SECRET, `${nowMs}:${text(body)}`, 'hex') };
    case 'kit':
      return { 'x-kit-signature': `t=${seconds},v1=${hmac(SIGNING_SECRET, `${seconds}.${text(body)}`, 'hex')}` };
    case 'shopify':
      return { 'x-shopify-hmac-sha256': hmac(SIGNING_SECRET, body, 'base64') };
    default:
      return {};
  }
}

// ---- What each delivery must become -------------------------------------------------------------------

type Expectation = Readonly<{
  source: string;
  status: number;
  /** A customer with these fields must appear. */
  customer?: Readonly<Record<string, unknown>> & { email: string };
  /** Its first address must have these fields. */
  address?: Readonly<Record<string, unknown>>;
  /** A subscriber with marketing_newsletter must appear. */
  subscriber?: string;
  /** No customer for this email (checked once the subscriber is there). */
  noCustomer?: string;
  /** The subscriber loses marketing_newsletter; `seed`: put one there first (the sender's audience had them). */
  optOut?: Readonly<{ email: string; seed?: boolean }>;
  /** An existing customer: the sync reports it `existed`, and it stays one customer. */
  existed?: string;
  /** Answered 200, nothing queued: incomplete signups the source ignores, or events that are not signups. */
  ignored?: Readonly<{ incomplete?: number; events?: number; email?: string }>;
  /** An `unmappable` dead letter of the source, naming these field paths. */
  deadLetter?: readonly string[];
}>;

const EXPECTED: Readonly<Record<string, Expectation>> = {
  'standard-webhooks-envelope-signup': {
    source: 'vendor-standard-webhooks',
    status: 202,
    customer: { email: 'john.smith@example.com', first_name: 'John', last_name: 'Smith', phone: '(281) 332-2575' },
  },
  'standard-webhooks-thin-payload': { source: 'vendor-standard-webhooks', status: 202, deadLetter: ['/', '/email'] },
  'html-form-signup': {
    source: 'vendor-html-form',
    status: 303,
    customer: { email: 'mary.jackson@example.com', first_name: 'Mary', last_name: 'Jackson', phone: '+1 757 555 0100' },
    subscriber: 'mary.jackson@example.com',
  },
  'html-form-newsletter-pt': { source: 'vendor-html-form-newsletter', status: 303, subscriber: 'leitora@example.com', noCustomer: 'leitora@example.com' },
  'mailchimp-subscribe': {
    source: 'vendor-mailchimp',
    status: 202,
    customer: { email: 'api@mailchimp.com', first_name: 'Mailchimp', last_name: 'API' },
    subscriber: 'api@mailchimp.com',
  },
  'mailchimp-profile': { source: 'vendor-mailchimp', status: 202, existed: 'api@mailchimp.com' },
  'mailchimp-unsubscribe': { source: 'vendor-mailchimp', status: 202, optOut: { email: 'api+unsub@mailchimp.com', seed: true } },
  'mailchimp-cleaned': { source: 'vendor-mailchimp', status: 202, optOut: { email: 'api+cleaned@mailchimp.com', seed: true } },
  'hubspot-webhooks-api-batch-eventtype': { source: 'vendor-hubspot', status: 200, ignored: { events: 2 } },
  'hubspot-request-validation-subscriptiontype': { source: 'vendor-hubspot', status: 200, ignored: { events: 1 } },
  'hubspot-workflow-contact': {
    source: 'vendor-hubspot',
    status: 202,
    customer: { email: 'rosa.parks@example.com', first_name: 'Rosa', last_name: 'Parks', phone: '+1 334 555 0100', company: 'Montgomery Fair' },
  },
  'typeform-example-payload': { source: 'vendor-typeform', status: 200, ignored: { incomplete: 1, email: 'laura@example.com' } },
  'webflow-contact-us': {
    source: 'vendor-webflow',
    status: 202,
    customer: { email: 'zaphod@heartofgold.ai', first_name: 'Zaphod', last_name: 'Beeblebrox', phone: '15550000000' },
  },
  'webflow-email-form': {
    source: 'vendor-webflow-newsletter',
    status: 202,
    subscriber: 'hello@gmail.com',
    noCustomer: 'hello@gmail.com',
  },
  'tally-example-event': { source: 'vendor-tally', status: 200, ignored: { incomplete: 1, email: 'alice@example.com' } },
  'kit-delivery-format': { source: 'vendor-kit', status: 200, ignored: { events: 1, email: 'ada@example.com' } },
  'kit-subscriber-activated': { source: 'vendor-kit', status: 202, subscriber: 'ada@example.com', noCustomer: 'ada@example.com' },
  'kit-subscriber-unsubscribed': { source: 'vendor-kit', status: 202, optOut: { email: 'ada@example.com' } },
  'kit-legacy-subscriber-activate': { source: 'vendor-kit-legacy', status: 202, subscriber: 'john@example.com', noCustomer: 'john@example.com' },
  'kit-legacy-subscriber-unsubscribe': { source: 'vendor-kit-legacy', status: 202, optOut: { email: 'john@example.com' } },
  'shopify-customers-create': {
    source: 'vendor-shopify',
    status: 202,
    customer: { email: 'bob@biller.com', first_name: 'Bob', last_name: 'Biller' },
    address: { address1: "151 O'Connor Street", city: 'Ottawa', state_or_province: 'ON', postal_code: 'K2P 2L8', country_code: 'CA', phone: '555-555-5555' },
  },
  'shopify-consent-not-subscribed': { source: 'vendor-shopify', status: 200, ignored: { events: 1 } },
  'shopify-consent-subscribed': { source: 'vendor-shopify', status: 202, subscriber: 'bob@biller.com' },
  'shopify-consent-unsubscribed': { source: 'vendor-shopify', status: 202, optOut: { email: 'bob@biller.com' } },
  'jotform-pt-full-name-phone': {
    source: 'vendor-jotform',
    status: 202,
    customer: { email: 'ana.souza@example.com', first_name: 'Ana', last_name: 'Souza', phone: '11 987654321' },
  },
  'jotform-en-default-names': {
    source: 'vendor-jotform',
    status: 202,
    customer: { email: 'katherine.coleman@example.com', first_name: 'Katherine', last_name: 'Coleman', phone: '(555) 010-0199' },
  },
  'activecampaign-subscribe': {
    source: 'vendor-activecampaign',
    status: 202,
    customer: { email: 'dorothy.vaughan@example.com', first_name: 'Dorothy', last_name: 'Vaughan', phone: '+1 757 555 0142', company: 'West Computers' },
    subscriber: 'dorothy.vaughan@example.com',
  },
  'activecampaign-unsubscribe': { source: 'vendor-activecampaign', status: 202, optOut: { email: 'christine.darden@example.com', seed: true } },
};

const deliveries = loadVendorDeliveries();

describe('the vendor corpus', () => {
  it('covers all 11 sender kinds, and every delivery has its expected outcome here', () => {
    // Assert
    expect([...new Set(deliveries.map((delivery) => delivery.kind))]).toEqual([...SOURCE_KINDS]);
    expect(deliveries.map((delivery) => delivery.id).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it("signs as the Standard Webhooks specification does: the signer here reproduces the spec's test vector", () => {
    // Assert: the published vector (msg_p5jXN8AQM9LWM0D4loKWxJek, 1614265330, {"test": 2432232314})
    expect(standardWebhooksSignature(STANDARD_WEBHOOKS_SECRET, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });
});

describe('the vendor corpus against local mode', () => {
  let mode: LocalMode;
  const expectedLetters: { sourceId: string; paths: readonly string[] }[] = [];

  beforeAll(async () => {
    mode = await startLocalMode({
      queuePrefix: 'vendor-corpus',
      sources: (origin) => corpusSources(origin),
      sourceSecrets: corpusSecrets(),
      sandbox: { seed: 19 },
      timings: { batchingWindowMs: 100, visibilityTimeoutSeconds: 20, syncTimeoutMs: 15_000 },
      log: { write: (line) => captureWrite(line) },
    });
  });

  afterAll(async () => {
    await mode?.stop();
  });

  const sandbox = () => mode.sandbox!;
  const customerOf = (email: string) =>
    sandbox()
      .customers()
      .filter((customer) => customer.email === email);
  const subscriberOf = (email: string) =>
    sandbox()
      .subscribers()
      .find((subscriber) => subscriber.email === email);
  const deadLetterDepth = async () => {
    const depth = (await mode.status()).queues?.deadLetters;
    return depth ? depth.visible + depth.inFlight : -1;
  };

  async function send(delivery: VendorDelivery, sourceId: string): Promise<Response> {
    const { bytes, contentType } = deliveryBody(delivery);
    const base = `${mode.apiUrl}/sources/${sourceId.startsWith('vendor-html-form') ? sourceId : `${sourceId}-${ROUTE_TOKEN}`}`;
    const url = URL_TOKEN_SOURCES.has(sourceId) ? `${base}?token=${URL_TOKEN}` : base;
    const headers: Record<string, string> = {
      ...delivery.request.headers,
      ...(contentType ? { 'content-type': contentType } : {}),
      ...(delivery.kind === 'html-form' ? { origin: mode.apiUrl } : {}),
      ...signedHeaders(sourceId, delivery.kind, url, bytes, delivery.request.headers),
    };
    return fetch(url, { method: 'POST', headers, body: bytes, redirect: 'manual' });
  }

  it.each(deliveries.map((delivery) => [delivery.id, delivery] as const))('%s', async (id, delivery) => {
    // Arrange
    const expected = EXPECTED[id]!;
    if (expected.optOut?.seed) sandbox().seedSubscribers([{ email: expected.optOut.email, consents: ['marketing_newsletter'] }]);
    const existedBefore = (await mode.status()).outcomes.existed;
    const lettersBefore = await deadLetterDepth();

    // Act
    const response = await send(delivery, expected.source);

    // Assert
    expect({ status: response.status, body: await response.text() }).toMatchObject({ status: expected.status });
    if (expected.status === 303) expect(response.headers.get('location')).toBe(`${mode.apiUrl}/_local/form/thanks`);
    if (expected.customer) {
      const { email } = expected.customer;
      const [customer] = await waitFor(() => (customerOf(email).length > 0 ? customerOf(email) : undefined), { what: `customer ${email}`, timeoutMs: 20_000 });
      expect(customer).toMatchObject(expected.customer);
      if (expected.address) expect(customer!.addresses[0]).toMatchObject(expected.address);
    }
    if (expected.subscriber) {
      const email = expected.subscriber;
      const subscriber = await waitFor(() => subscriberOf(email), { what: `subscriber ${email}`, timeoutMs: 20_000 });
      await waitFor(() => subscriberOf(email)?.consents.includes('marketing_newsletter'), { what: `${email}'s newsletter consent`, timeoutMs: 20_000 });
      expect(subscriber.email).toBe(email);
    }
    if (expected.noCustomer) expect(customerOf(expected.noCustomer)).toEqual([]);
    if (expected.optOut) {
      const { email } = expected.optOut;
      await waitFor(() => subscriberOf(email) !== undefined && !subscriberOf(email)!.consents.includes('marketing_newsletter'), {
        what: `${email} unsubscribed`,
        timeoutMs: 20_000,
      });
    }
    if (expected.existed) {
      const email = expected.existed;
      await waitFor(async () => (await mode.status()).outcomes.existed > existedBefore, { what: `${email} reported as existing`, timeoutMs: 20_000 });
      expect(customerOf(email)).toHaveLength(1);
    }
    if (expected.ignored) {
      // Nothing was queued: the answer says so, and the signups queue is empty at once.
      expect(response.headers.get('signups-incomplete') ?? undefined).toBe(expected.ignored.incomplete?.toString());
      expect(response.headers.get('events-ignored') ?? undefined).toBe(expected.ignored.events?.toString());
      const depth = (await mode.status()).queues!.signups;
      expect(depth.visible + depth.inFlight).toBe(0);
      if (expected.ignored.email) {
        expect(customerOf(expected.ignored.email)).toEqual([]);
        expect(subscriberOf(expected.ignored.email)).toBeUndefined();
      }
    }
    if (expected.deadLetter) {
      expectedLetters.push({ sourceId: expected.source, paths: expected.deadLetter });
      await waitFor(async () => (await deadLetterDepth()) > lettersBefore, { what: `a dead letter from ${expected.source}`, timeoutMs: 20_000 });
    } else {
      expect(await deadLetterDepth()).toBe(lettersBefore);
    }
  });

  it('dead-lettered only what was expected, with the field paths that say why, and no personal data in its attributes', async () => {
    // Act
    const letters = await listDeadLetters(mode.sqsClient, mode.deadLetterQueueUrl);
    // Assert
    expect(letters.map((letter) => ({ reason: letter.reason, sourceId: letter.sourceId }))).toEqual(
      expectedLetters.map((letter) => ({ reason: 'unmappable', sourceId: letter.sourceId })),
    );
    expectedLetters.forEach((expected, index) => {
      for (const path of expected.paths) expect(letters[index]!.detail).toContain(`${path}:`);
    });
    expect(JSON.stringify(letters)).not.toMatch(/@example\.com/);
    expect((await mode.status()).outcomes.rejected).toBe(0);
  });

  it('shows on the status page what it ignored, by source (incomplete surveys, events that are not signups), and refused nothing', async () => {
    // Act
    const status = await mode.status();
    // Assert
    expect(status.ignored).toEqual([
      { sourceId: 'vendor-hubspot', what: 'not a signup', count: 3 },
      { sourceId: 'vendor-kit', what: 'not a signup', count: 1 },
      { sourceId: 'vendor-shopify', what: 'not a signup', count: 1 },
      { sourceId: 'vendor-tally', what: 'incomplete', count: 1 },
      { sourceId: 'vendor-typeform', what: 'incomplete', count: 1 },
    ]);
    expect(status.refusals).toEqual([]);
    const page = await (await fetch(status.urls['status']!)).text();
    expect(page).toContain('<td>vendor-typeform</td><td>incomplete</td><td>1</td>');
    expect(/data-testid="incomplete">(\d+)</.exec(page)?.[1]).toBe('2');
  });
});
