import { signupSchema } from '../../../shared/signup/signup-schema';
import { checkSourceSecrets } from '../../../shared/sources/adapters';
import { KIT_DELIVERY } from './examples';
import { decide, hmacHex, json, makeRequest, makeSource, NOW_SECONDS, SECRETS, signatureHeaders, signupsOf } from './fixtures';

const signed = (body: string) => makeRequest({ body, headers: { 'content-type': 'application/json', ...signatureHeaders('kit', Buffer.from(body)) } });
const event = (id: string, type: string, email: string) => ({
  id,
  type,
  created: '2026-07-29T14:32:10Z',
  data: { subscriber: { id: 1, first_name: 'Ada Lovelace', email_address: email, state: 'active', fields: {} } },
});

describe('kit adapter', () => {
  it('maps the documented delivery (subscriber.created kept when configured); no last name in Kit', () => {
    // Arrange
    const source = makeSource('kit', { eventTypes: ['subscriber.created'], lastNamePolicy: { placeholder: '(Kit)' } });
    // Act
    const [first] = signupsOf(decide(signed(json(KIT_DELIVERY)), source, SECRETS.signing));
    // Assert
    expect(first).toEqual({
      signup: {
        email: 'ada@example.com',
        first_name: 'Ada',
        last_name: '(Kit)',
        company: 'Kit',
        consent: { marketing: true },
        event_id: '9c2e1f3a-6b7d-4e8f-a1b2-c3d4e5f60718',
      },
      occurredAt: '2026-07-29T14:32:10.000Z',
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('ignores subscriber.created by default (only activated / subscribed_to_form are kept)', () => {
    // Act
    const decision = decide(signed(json(KIT_DELIVERY)), makeSource('kit'), SECRETS.signing);
    // Assert
    expect(decision).toEqual({ type: 'ignore', reason: 'no Kit event of a configured type' });
  });

  it('keeps the signups of a batch (with consent), turns unsubscribes into opt-outs and drops bounces and complaints', () => {
    // Arrange
    const source = makeSource('kit', { lastNamePolicy: 'split-full-name' });
    const body = {
      delivery_id: 1,
      events: [
        event('e1', 'subscriber.activated', 'a@example.com'),
        event('e2', 'subscriber.unsubscribed', 'b@example.com'),
        event('e3', 'subscriber.subscribed_to_form', 'c@example.com'),
        event('e4', 'subscriber.bounced', 'd@example.com'),
        event('e5', 'subscriber.complained', 'e@example.com'),
      ],
    };
    // Act
    const signups = signupsOf(decide(signed(json(body)), source, SECRETS.signing));
    // Assert
    expect(signups.map(({ signup }) => signup)).toEqual([
      { email: 'a@example.com', first_name: 'Ada', last_name: 'Lovelace', consent: { marketing: true }, event_id: 'e1' },
      { email: 'b@example.com', opt_out: true, event_id: 'e2' },
      { email: 'c@example.com', first_name: 'Ada', last_name: 'Lovelace', consent: { marketing: true }, event_id: 'e3' },
    ]);
    expect(signups.every(({ signup }) => signupSchema.safeParse(signup).success)).toBe(true);
  });

  it('accepts one valid v1 among several during secret rotation', () => {
    // Arrange
    const body = json(KIT_DELIVERY);
    const header = `t=${NOW_SECONDS},v1=${hmacHex('old-secret', `${NOW_SECONDS}.`, body)},v1=${hmacHex(SECRETS.signing, `${NOW_SECONDS}.`, body)}`;
    // Act
    const decision = decide(
      makeRequest({ body, headers: { 'x-kit-signature': header } }),
      makeSource('kit', { eventTypes: ['subscriber.created'] }),
      SECRETS.signing,
    );
    // Assert
    expect(decision.type).toBe('signups');
  });

  it('rejects a header without t=, and answers 400 when events is not an array', () => {
    // Arrange
    const body = json(KIT_DELIVERY);
    // Act / Assert
    expect(() =>
      decide(makeRequest({ body, headers: { 'x-kit-signature': `v1=${hmacHex(SECRETS.signing, body)}` } }), makeSource('kit'), SECRETS.signing),
    ).toThrow('Invalid signature');
    expect(() => decide(signed(json({ delivery_id: 1, events: {} })), makeSource('kit'), SECRETS.signing)).toThrow(
      expect.objectContaining({ statusCode: 400, field: 'events' }),
    );
  });
});

describe('kit adapter, legacy webhooks (unsigned, auth "url-token")', () => {
  // Kit's documented legacy subscriber event payload (developers.kit.com/api-reference/v3/webhooks).
  const legacy = (state: string) =>
    json({
      subscriber: {
        id: 1,
        first_name: 'John',
        email_address: 'John@example.com',
        state,
        created_at: '2018-02-15T19:40:24.913Z',
        fields: { 'My Custom Field': 'Value' },
      },
    });
  const source = makeSource('kit', { auth: 'url-token' });
  const post = (body: string, query: Record<string, string> = { token: SECRETS.token }) =>
    makeRequest({ body, query, headers: { 'content-type': 'application/json' } });

  it('accepts the documented legacy body with the token: an active subscriber is a subscription with marketing consent', () => {
    // Act
    const [first] = signupsOf(decide(post(legacy('active')), source, SECRETS.token));
    // Assert
    expect(first).toEqual({ signup: { email: 'John@example.com', first_name: 'John', consent: { marketing: true } } });
  });

  it('makes a cancelled subscriber an opt-out, and ignores the other states', () => {
    // Act / Assert
    expect(signupsOf(decide(post(legacy('cancelled')), source, SECRETS.token))).toEqual([{ signup: { email: 'John@example.com', opt_out: true } }]);
    expect(decide(post(legacy('bounced')), source, SECRETS.token)).toEqual({
      type: 'ignore',
      reason: 'Kit legacy webhook for a subscriber in state "bounced"',
    });
  });

  it.each([
    ['a wrong token', { token: 'not-the-url-token-at-all' }],
    ['no token', {}],
    ['the token under another parameter', { key: SECRETS.token }],
  ])('refuses %s with 401 (never 404 or 410)', (_label, query) => {
    // Act / Assert
    expect(() => decide(post(legacy('active'), query), source, SECRETS.token)).toThrow(expect.objectContaining({ statusCode: 401 }));
  });

  it('reads the token from the configured tokenParam', () => {
    const keyed = makeSource('kit', { auth: 'url-token', tokenParam: 'key' });
    expect(signupsOf(decide(post(legacy('active'), { key: SECRETS.token }), keyed, SECRETS.token))).toHaveLength(1);
  });

  it('keeps the signed kind the default: the same unsigned body is refused 401 there', () => {
    expect(() => decide(post(legacy('active')), makeSource('kit'), SECRETS.signing)).toThrow(expect.objectContaining({ statusCode: 401 }));
  });

  it('needs a URL token of at least 16 characters for a url-token source, per request and at cold start', () => {
    expect(() => decide(post(legacy('active'), { token: 'short' }), source, 'short')).toThrow(expect.objectContaining({ statusCode: 500 }));
    expect(() => checkSourceSecrets([source], { [source.id]: 'short' })).toThrow(
      expect.objectContaining({ issues: [expect.stringMatching(/at least 16 characters/)] }),
    );
    expect(checkSourceSecrets([source], { [source.id]: SECRETS.token }).get(source.id)).toEqual({ values: [SECRETS.token] });
    // A signed source takes Kit's signing secret as it is.
    expect(checkSourceSecrets([makeSource('kit')], { 'test-kit': 'short' }).get('test-kit')).toEqual({ values: ['short'] });
  });
});
