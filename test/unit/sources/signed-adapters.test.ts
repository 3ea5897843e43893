import { SourceAuthError } from '../../../shared/sources/errors';
import type { SourceConfigInput, SourceKind } from '../../../shared/sources/source-config';
import {
  ACTIVECAMPAIGN_SUBSCRIBE,
  JOTFORM_RAW_REQUEST,
  KIT_DELIVERY,
  MAILCHIMP_SUBSCRIBE,
  SHOPIFY_CUSTOMER,
  TALLY_FORM_RESPONSE,
  TYPEFORM_FORM_RESPONSE,
  WEBFLOW_FORM_SUBMISSION,
} from './examples';
import { authenticRequest, decide, json, makeRequest, makeSource, NOW, secretFor, signatureHeaders } from './fixtures';

/**
 * The authentication contract every signed adapter keeps: a correctly signed request is accepted; a
 * tampered body, a wrong secret, a missing header, and (where the scheme has one) a stale or future
 * timestamp are a SourceAuthError (401) that says only "Missing signature" or "Invalid signature".
 */

type Case = { kind: SourceKind; body: string; options?: Record<string, unknown>; timestamped: boolean };

const signedCases: Case[] = [
  { kind: 'standard-webhooks', body: json({ email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' }), timestamped: true },
  { kind: 'hubspot', body: json({ properties: { email: { value: 'ada@example.com' } } }), timestamped: true },
  { kind: 'typeform', body: json(TYPEFORM_FORM_RESPONSE), timestamped: false },
  { kind: 'webflow', body: json(WEBFLOW_FORM_SUBMISSION), timestamped: true },
  { kind: 'tally', body: json(TALLY_FORM_RESPONSE), timestamped: false },
  { kind: 'kit', body: json(KIT_DELIVERY), options: { eventTypes: ['subscriber.created'] }, timestamped: true },
  { kind: 'shopify', body: json(SHOPIFY_CUSTOMER), timestamped: false },
];

const sourceOf = ({ kind, options }: Case) => makeSource(kind, (options ?? {}) as Omit<SourceConfigInput, 'kind' | 'id'> as never);

function expectAuthError(act: () => unknown, message: 'Missing signature' | 'Invalid signature' | 'Missing token' | 'Invalid token'): void {
  let thrown: unknown;
  try {
    act();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(SourceAuthError);
  expect(thrown).toMatchObject({ statusCode: 401, expose: true, message });
}

describe.each(signedCases)('$kind signature', (testCase) => {
  const { kind, body, timestamped } = testCase;
  const source = sourceOf(testCase);
  const secret = secretFor(kind);

  it('accepts a request signed with the secret', () => {
    // Act
    const decision = decide(authenticRequest(kind, body), source, secret);
    // Assert
    expect(decision.type).toBe('signups');
  });

  it('rejects a tampered body', () => {
    // Arrange
    const signed = authenticRequest(kind, body);
    const tampered = { ...signed, body: Buffer.from(body.replace(/example|heartofgold|company|biller/, 'evil')) };
    expect(tampered.body.equals(signed.body)).toBe(false);
    // Act / Assert
    expectAuthError(() => decide(tampered, source, secret), 'Invalid signature');
  });

  it('rejects a signature made with another secret', () => {
    // Arrange
    const otherSecret = kind === 'standard-webhooks' ? `whsec_${Buffer.alloc(32, 9).toString('base64')}` : 'another-secret-0123456789';
    const request = makeRequest({ body, headers: signatureHeaders(kind, Buffer.from(body), { secret: otherSecret }) });
    // Act / Assert
    expectAuthError(() => decide(request, source, secret), 'Invalid signature');
  });

  it('rejects a request without signature headers', () => {
    // Act / Assert
    const topicOnly: Record<string, string> = kind === 'shopify' ? { 'x-shopify-topic': 'customers/create' } : {};
    expectAuthError(() => decide(makeRequest({ body, headers: topicOnly }), source, secret), 'Missing signature');
  });

  it.each(Object.keys(signatureHeaders(kind, Buffer.from(body))).filter((name) => name !== 'x-shopify-topic'))('rejects a request missing only %s', (name) => {
    // Arrange
    const signed = authenticRequest(kind, body);
    const headers = Object.fromEntries(Object.entries(signed.headers).filter(([header]) => header !== name));
    // Act / Assert
    expect(() => decide({ ...signed, headers }, source, secret)).toThrow(SourceAuthError);
  });

  if (timestamped) {
    it.each([
      ['stale', -301_000],
      ['future', +301_000],
    ])('rejects a correctly signed but %s timestamp', (_label, offset) => {
      // Arrange: signed at NOW+offset, received at NOW
      const signedAt = new Date(NOW.getTime() + offset);
      const request = makeRequest({ body, headers: signatureHeaders(kind, Buffer.from(body), { now: signedAt }) });
      // Act / Assert
      expectAuthError(() => decide(request, source, secret), 'Invalid signature');
    });

    it('accepts a timestamp just inside the five-minute tolerance', () => {
      // Arrange
      const request = makeRequest({ body, headers: signatureHeaders(kind, Buffer.from(body), { now: new Date(NOW.getTime() - 299_000) }) });
      // Act
      const decision = decide(request, source, secret);
      // Assert
      expect(decision.type).toBe('signups');
    });
  }

  it('never puts the secret or the body into the error message', () => {
    // Arrange
    const request = makeRequest({ body, headers: { ...authenticRequest(kind, body).headers } });
    const wrongSecret = kind === 'standard-webhooks' ? `whsec_${Buffer.alloc(32, 1).toString('base64')}` : 'wrong-secret-0123456789';
    // Act
    let message = '';
    try {
      decide(request, source, wrongSecret);
    } catch (error) {
      message = (error as Error).message;
    }
    // Assert
    expect(message).toBe('Invalid signature');
  });
});

const tokenCases: { kind: SourceKind; body: string | Buffer; headers?: Record<string, string>; options?: Record<string, unknown> }[] = [
  { kind: 'mailchimp', body: MAILCHIMP_SUBSCRIBE, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { kind: 'activecampaign', body: ACTIVECAMPAIGN_SUBSCRIBE, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  {
    kind: 'jotform',
    body: `formID=1&submissionID=2&rawRequest=${encodeURIComponent(JSON.stringify(JOTFORM_RAW_REQUEST))}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  },
  { kind: 'webflow', body: json(WEBFLOW_FORM_SUBMISSION), options: { auth: 'url-token' } },
];

describe.each(tokenCases)('$kind URL token', ({ kind, body, headers = {}, options = {} }) => {
  const source = makeSource(kind, options as never);
  const secret = kind === 'webflow' ? 'url-token-abcdefghijklmnop' : secretFor(kind);

  it('accepts the token in the query', () => {
    // Act
    const decision = decide(makeRequest({ body, headers, query: { token: secret } }), source, secret);
    // Assert
    expect(decision.type).toBe('signups');
  });

  it('answers 401 "Missing token" without one and "Invalid token" with a wrong one', () => {
    // Act / Assert
    expectAuthError(() => decide(makeRequest({ body, headers }), source, secret), 'Missing token');
    expectAuthError(() => decide(makeRequest({ body, headers, query: { token: `${secret}x` } }), source, secret), 'Invalid token');
    expectAuthError(() => decide(makeRequest({ body, headers, query: { token: 'short' } }), source, secret), 'Invalid token');
  });
});
