import { signupSchema } from '../../../shared/signup/signup-schema';
import { checkSourceSecrets } from '../../../shared/sources/adapters';
import { hubspotRequestUrl } from '../../../shared/sources/adapters/hubspot';
import { SourceAuthError, SourceConfigError } from '../../../shared/sources/errors';
import { HUBSPOT_WEBHOOKS_API_EVENT } from './examples';
import { decide, hmacBase64, json, makeRequest, makeSource, NOW, SECRETS, sha256HexOf, signatureHeaders, signupsOf } from './fixtures';

const source = makeSource('hubspot');
/** A source that opted in to the replayable v2 signatures. */
const withV2 = makeSource('hubspot', { auth: { type: 'signature', allowReplayableV2: true } });
const signed = (body: string) => makeRequest({ body, headers: { 'content-type': 'application/json', ...signatureHeaders('hubspot', Buffer.from(body)) } });

describe('hubspot adapter', () => {
  it("verifies HubSpot's documented v2 example (hex SHA-256 of secret + method + URI + body)", () => {
    // Arrange: developers.hubspot.com/docs/faq/v2-request-validation, "Example for a request with a body"
    const request = makeRequest({
      body: '{"example_field":"example_value"}',
      publicUrl: 'https://www.example.com/webhook_uri',
      headers: { 'x-hubspot-signature': '9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900', 'x-hubspot-signature-version': 'v2' },
    });
    // Act
    const decision = decide(request, withV2, 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy');
    // Assert: authentic; the body holds no contact fields, which validation will report
    expect(signupsOf(decision)).toEqual([{ signup: {} }]);
  });

  it('accepts only v3 by default: the v2 example is refused', () => {
    // Arrange
    const v3Only = makeSource('hubspot');
    const request = makeRequest({
      body: '{"example_field":"example_value"}',
      publicUrl: 'https://www.example.com/webhook_uri',
      headers: { 'x-hubspot-signature': '9569219f8ba981ffa6f6f16aa0f48637d35d728c7e4d93d0d52efaa512af7900', 'x-hubspot-signature-version': 'v2' },
    });
    // Act / Assert
    expect(() => decide(request, v3Only, 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy')).toThrow('Missing signature');
  });

  it('does not fall back to v2 when a v3 signature is present but wrong', () => {
    // Arrange
    const body = json({ properties: { email: 'a@example.com' } });
    const v2 = createV2(body);
    const request = makeRequest({
      body,
      headers: { 'x-hubspot-signature-v3': hmacBase64('wrong', body), 'x-hubspot-request-timestamp': String(NOW.getTime()), 'x-hubspot-signature': v2 },
    });
    // Act / Assert: the v2 signature alone is valid (opted in), but a bad v3 one is not outvoted by it
    expect(decide(makeRequest({ body, headers: { 'x-hubspot-signature': v2 } }), withV2, SECRETS.signing).type).toBe('signups');
    expect(() => decide(request, withV2, SECRETS.signing)).toThrow(SourceAuthError);
  });

  it('signs the configured public URL with the request query, decoding the characters HubSpot decodes', () => {
    // Arrange
    const behindGateway = makeSource('hubspot', { publicUrl: 'https://hooks.example.com/sources/hs' });
    const body = json({ properties: { email: 'ada@example.com' } });
    const timestamp = String(NOW.getTime());
    const signedUri = 'https://hooks.example.com/sources/hs?list=a:b&who=x@y';
    const request = makeRequest({
      body,
      publicUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/sources/hs?list=a%3Ab&who=x%40y',
      headers: { 'x-hubspot-signature-v3': hmacBase64(SECRETS.signing, `POST${signedUri}`, body, timestamp), 'x-hubspot-request-timestamp': timestamp },
    });
    // Act
    const decision = decide(request, behindGateway, SECRETS.signing);
    // Assert
    expect(signupsOf(decision)).toHaveLength(1);
    expect(hubspotRequestUrl(request, 'https://hooks.example.com/sources/hs')).toBe('https://hooks.example.com/sources/hs?list=a%3Ab&who=x%40y');
  });

  it.each([
    [
      'v1 contact API (properties.x.value)',
      {
        vid: 1,
        'portal-id': 62515,
        properties: { email: { value: 'ada@example.com', versions: [] }, firstname: { value: 'Ada' }, lastname: { value: 'Lovelace' } },
      },
    ],
    ['v3 CRM object (properties.x)', { id: '1', properties: { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace' } }],
    ['flat selected properties', { email: 'ada@example.com', firstname: 'Ada', lastname: 'Lovelace' }],
  ])('maps a workflow body shaped as %s', (_label, contact) => {
    // Act
    const [first] = signupsOf(decide(signed(json(contact)), source, SECRETS.signing));
    // Assert
    expect(first?.signup).toEqual({ email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('maps an array to several signups, and address properties when complete', () => {
    // Arrange
    const contacts = [
      {
        properties: {
          email: 'a@example.com',
          firstname: 'A',
          lastname: 'One',
          address: '1 Main St',
          city: 'Boston',
          state: 'Massachusetts',
          zip: '02108',
          country: 'US',
        },
      },
      { properties: { email: 'b@example.com', firstname: 'B', lastname: 'Two', country: 'United States' } },
    ];
    // Act
    const signups = signupsOf(decide(signed(json(contacts)), source, SECRETS.signing));
    // Assert
    expect(signups.map(({ signup }) => signup['email'])).toEqual(['a@example.com', 'b@example.com']);
    expect(signups[0]?.signup['address']).toEqual({
      address1: '1 Main St',
      city: 'Boston',
      state_or_province: 'Massachusetts',
      postal_code: '02108',
      country_code: 'US',
    });
    expect(signups[1]?.signup['address']).toBeUndefined();
  });

  it("ignores the Webhooks API example (objectId only), HubSpot's official v1 validation body", () => {
    // Act
    const decision = decide(signed(HUBSPOT_WEBHOOKS_API_EVENT), source, SECRETS.signing);
    // Assert
    expect(decision).toEqual({ type: 'ignore', reason: '1 HubSpot Webhooks API event (only an objectId, no contact)', count: 1 });
  });

  it("ignores and counts the Webhooks API page's example batch, whose type key is eventType", () => {
    // Arrange: HubSpot's Webhooks API page example (a propertyChange and a creation, typed by eventType)
    const body = JSON.stringify([
      {
        objectId: 1246965,
        propertyName: 'lifecyclestage',
        propertyValue: 'subscriber',
        changeSource: 'ACADEMY',
        eventId: 3816279340,
        subscriptionId: 25,
        portalId: 33,
        appId: 1160452,
        occurredAt: 1462216307945,
        eventType: 'contact.propertyChange',
        attemptNumber: 0,
      },
      {
        objectId: 1246978,
        changeSource: 'IMPORT',
        eventId: 3816279480,
        subscriptionId: 22,
        portalId: 33,
        appId: 1160452,
        occurredAt: 1462216307945,
        eventType: 'contact.creation',
        attemptNumber: 0,
      },
    ]);
    // Act
    const decision = decide(signed(body), source, SECRETS.signing);
    // Assert
    expect(decision).toEqual({ type: 'ignore', reason: '2 HubSpot Webhooks API events (only an objectId, no contact)', count: 2 });
  });

  it('recognises Webhooks API events by shape (objectId with eventId or subscriptionId, and a type), not a workflow contact with an objectId', () => {
    // Arrange
    const workflowContact = {
      objectId: 1201,
      properties: { email: { value: 'ada@example.com' }, firstname: { value: 'Ada' }, lastname: { value: 'Lovelace' } },
    };
    const bySubscriptionOnly = { objectId: 5, subscriptionId: 9, subscriptionType: 'object.creation', objectTypeId: '0-1' };
    // Act
    const mixed = decide(signed(JSON.stringify([bySubscriptionOnly, workflowContact])), source, SECRETS.signing);
    const eventOnly = decide(signed(JSON.stringify([bySubscriptionOnly])), source, SECRETS.signing);
    // Assert: the event is left out, the contact kept
    expect(signupsOf(mixed).map((signup) => signup.signup['email'])).toEqual(['ada@example.com']);
    expect(eventOnly).toMatchObject({ type: 'ignore', count: 1 });
  });

  it('authenticates with an API key in a header or the query when configured', () => {
    // Arrange
    const inHeader = makeSource('hubspot', { auth: { type: 'api-key', header: 'X-Signup-Key' } });
    const inQuery = makeSource('hubspot', { auth: { type: 'api-key', queryParam: 'key' } });
    const body = json({ email: 'a@example.com' });
    // Act / Assert
    expect(decide(makeRequest({ body, headers: { 'x-signup-key': SECRETS.signing } }), inHeader, SECRETS.signing).type).toBe('signups');
    expect(() => decide(makeRequest({ body, headers: { 'x-signup-key': 'nope' } }), inHeader, SECRETS.signing)).toThrow('Invalid token');
    expect(() => decide(makeRequest({ body }), inHeader, SECRETS.signing)).toThrow('Missing token');
    expect(decide(makeRequest({ body, query: { key: SECRETS.signing } }), inQuery, SECRETS.signing).type).toBe('signups');
  });

  it('refuses a captured request replayed with its v3 header stripped (HubSpot sends v2 beside v3), unless the source opted in to v2', () => {
    // Arrange: what HubSpot sends, both signatures; then the same request without the v3 pair.
    const body = json({ properties: { email: 'a@example.com' } });
    const captured: Record<string, string> = {
      ...signatureHeaders('hubspot', Buffer.from(body)),
      'x-hubspot-signature': createV2(body),
      'x-hubspot-signature-version': 'v2',
    };
    const { 'x-hubspot-signature-v3': _v3, 'x-hubspot-request-timestamp': _ts, ...stripped } = captured;
    const aYearLater = new Date(NOW.getTime() + 365 * 24 * 3600 * 1000);

    // Act / Assert
    expect(decide(makeRequest({ body, headers: captured }), source, SECRETS.signing).type).toBe('signups');
    expect(() => decide(makeRequest({ body, headers: captured }), source, SECRETS.signing, aYearLater)).toThrow('Invalid signature');
    expect(() => decide(makeRequest({ body, headers: stripped }), source, SECRETS.signing, aYearLater)).toThrow('Missing signature');
    expect(decide(makeRequest({ body, headers: stripped }), withV2, SECRETS.signing, aYearLater).type).toBe('signups');
  });

  it('requires an api-key of at least 16 characters, at cold start and per request', () => {
    // Arrange
    const inHeader = makeSource('hubspot', { id: 'hs', auth: { type: 'api-key', header: 'X-Signup-Key' } });
    const body = json({ email: 'a@example.com' });
    // Act / Assert
    expect(() => checkSourceSecrets([inHeader], { hs: 'k' })).toThrow(SourceConfigError);
    expect(() => checkSourceSecrets([inHeader], { hs: '0123456789abcde' })).toThrow(
      /hs: The secret of a hubspot api-key source must be at least 16 characters/,
    );
    expect(checkSourceSecrets([inHeader], { hs: '0123456789abcdef' }).get('hs')).toEqual({ values: ['0123456789abcdef'] });
    expect(() => decide(makeRequest({ body, headers: { 'x-signup-key': 'k' } }), inHeader, 'k')).toThrow(SourceConfigError);
    // A signing secret (the app's client secret) keeps HubSpot's own format, whatever its length.
    expect(checkSourceSecrets([makeSource('hubspot', { id: 'sig' })], { sig: 'short-secret' }).get('sig')).toEqual({ values: ['short-secret'] });
  });

  it('answers 405 to GET workflow webhooks (only POST is supported)', () => {
    // Act / Assert
    expect(decide(makeRequest({ method: 'GET' }), source, SECRETS.signing)).toMatchObject({ type: 'reply', status: 405 });
  });
});

function createV2(body: string): string {
  return sha256HexOf(`${SECRETS.signing}POSThttps://hooks.example.com/sources/test`, body);
}
