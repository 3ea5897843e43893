import { PayloadError } from '../../../shared/http-input/errors';
import { signupSchema } from '../../../shared/signup/signup-schema';
import { SourceConfigError } from '../../../shared/sources/errors';
import { decide, hmacBase64, json, makeRequest, makeSource, SECRETS, signatureHeaders, signupsOf } from './fixtures';

const source = makeSource('standard-webhooks');
const ada = { email: 'Ada@Example.com', first_name: 'Ada', last_name: 'Lovelace' };

function signed(body: string, headers: Record<string, string> = {}) {
  return makeRequest({ body, headers: { ...signatureHeaders('standard-webhooks', Buffer.from(body)), 'content-type': 'application/json', ...headers } });
}

describe('standard-webhooks adapter', () => {
  it('verifies the Standard Webhooks / Svix documented example signature', () => {
    // Arrange: the example from Svix's docs (docs.svix.com, "verifying payloads"), which the
    // standard-webhooks libraries share: secret, msg id, timestamp, payload and v1 signature.
    const request = makeRequest({
      body: '{"test": 2432232314}',
      headers: {
        'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        'webhook-timestamp': '1614265330',
        'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      },
    });
    // Act
    const decision = decide(request, source, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', new Date(1614265330 * 1000));
    // Assert: authentic; the body is not a signup, which validation will report
    expect(signupsOf(decision)).toEqual([{ signup: { test: 2432232314, event_id: 'msg_p5jXN8AQM9LWM0D4loKWxJek' } }]);
  });

  it('accepts the Svix header names too', () => {
    // Arrange
    const request = makeRequest({
      body: '{"test": 2432232314}',
      headers: {
        'svix-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        'svix-timestamp': '1614265330',
        'svix-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
      },
    });
    // Act
    const decision = decide(request, source, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', new Date(1614265330 * 1000));
    // Assert
    expect(decision.type).toBe('signups');
  });

  it('maps one canonical signup, with webhook-id as the event id, and it validates', () => {
    // Act
    const [first] = signupsOf(decide(signed(json(ada)), source, SECRETS.standardWebhooks));
    // Assert
    expect(first?.signup).toEqual({ ...ada, event_id: 'msg_test_1' });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('maps an array to several signups with distinct event ids, keeping a signup’s own event_id', () => {
    // Act
    const signups = signupsOf(decide(signed(json([ada, { ...ada, email: 'b@example.com', event_id: 'own-1' }])), source, SECRETS.standardWebhooks));
    // Assert
    expect(signups.map(({ signup }) => signup['event_id'])).toEqual(['msg_test_1:0', 'own-1']);
  });

  it('accepts a signature among several (secret rotation)', () => {
    // Arrange
    const body = json(ada);
    const headers = signatureHeaders('standard-webhooks', Buffer.from(body));
    const rotated = `v1,${hmacBase64('old-key', 'x')} v1a,ignored ${headers['webhook-signature']}`;
    // Act
    const decision = decide(makeRequest({ body, headers: { ...headers, 'webhook-signature': rotated } }), source, SECRETS.standardWebhooks);
    // Assert
    expect(decision.type).toBe('signups');
  });

  it('reads the recommended envelope and ignores types that are not configured', () => {
    // Arrange
    const filtered = makeSource('standard-webhooks', { eventTypes: ['contact.created'] });
    const created = json({ type: 'contact.created', timestamp: '2026-07-29T14:30:00Z', data: ada });
    const deleted = json({ type: 'contact.deleted', timestamp: '2026-07-29T14:30:00Z', data: ada });
    // Act
    const kept = decide(signed(created), filtered, SECRETS.standardWebhooks);
    const ignored = decide(signed(deleted), filtered, SECRETS.standardWebhooks);
    // Assert
    expect(signupsOf(kept)).toEqual([{ signup: { ...ada, event_id: 'msg_test_1' }, occurredAt: '2026-07-29T14:30:00.000Z' }]);
    expect(ignored).toEqual({ type: 'ignore', reason: 'event type "contact.deleted" is not configured' });
  });

  it('applies the last-name policy', () => {
    // Arrange
    const split = makeSource('standard-webhooks', { lastNamePolicy: 'split-full-name' });
    // Act
    const [first] = signupsOf(decide(signed(json({ email: 'ada@example.com', first_name: 'Ada Lovelace King' })), split, SECRETS.standardWebhooks));
    // Assert
    expect(first?.signup).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace King' });
  });

  it('accepts a bearer token only when configured', () => {
    // Arrange
    const bearer = makeSource('standard-webhooks', { acceptBearerToken: true });
    const request = makeRequest({ body: json(ada), headers: { authorization: `Bearer ${SECRETS.standardWebhooks}` } });
    // Act / Assert
    expect(signupsOf(decide(request, bearer, SECRETS.standardWebhooks))).toEqual([{ signup: ada }]);
    expect(() => decide(request, source, SECRETS.standardWebhooks)).toThrow('Missing signature');
    expect(() => decide({ ...request, headers: { authorization: 'Bearer nope' } }, bearer, SECRETS.standardWebhooks)).toThrow('Invalid token');
  });

  it('answers 400 for a batch entry that is not an object, and for bad JSON', () => {
    // Act / Assert
    expect(() => decide(signed(json([ada, 'x'])), source, SECRETS.standardWebhooks)).toThrow(
      expect.objectContaining({ name: 'SourcePayloadError', statusCode: 400, field: '[1]' }),
    );
    // Bad JSON is found by the shared input layer (shared/http-input/body.ts), hence its PayloadError.
    expect(() => decide(signed('{not json'), source, SECRETS.standardWebhooks)).toThrow(PayloadError);
    expect(() => decide(signed('<x/>', { 'content-type': 'application/xml' }), source, SECRETS.standardWebhooks)).toThrow(
      expect.objectContaining({ statusCode: 415 }),
    );
  });

  it('ignores an empty batch and answers 405 to other methods', () => {
    // Act / Assert
    expect(decide(signed('[]'), source, SECRETS.standardWebhooks)).toEqual({ type: 'ignore', reason: 'the batch is empty' });
    expect(decide(makeRequest({ method: 'GET' }), source, SECRETS.standardWebhooks)).toMatchObject({ type: 'reply', status: 405 });
  });

  it('refuses a secret that is not whsec_ base64 of at least 24 bytes as a configuration error', () => {
    // Act / Assert
    expect(() => decide(signed(json(ada)), source, 'whsec_c2hvcnQ=')).toThrow(SourceConfigError);
    expect(() => decide(signed(json(ada)), source, 'whsec_not base64!')).toThrow(SourceConfigError);
  });

  it('also accepts the secret without its whsec_ prefix', () => {
    // Arrange
    const bare = SECRETS.standardWebhooks.slice('whsec_'.length);
    // Act
    const decision = decide(signed(json(ada)), source, bare);
    // Assert
    expect(decision.type).toBe('signups');
  });
});
