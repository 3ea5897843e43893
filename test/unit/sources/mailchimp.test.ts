import { signupSchema } from '../../../shared/signup/signup-schema';
import { MAILCHIMP_SUBSCRIBE } from './examples';
import { authQuery, decide, makeRequest, makeSource, SECRETS, signupsOf } from './fixtures';

const source = makeSource('mailchimp');
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const post = (body: string, query: Record<string, string> = authQuery) => makeRequest({ body, headers: form, query });

describe('mailchimp adapter', () => {
  it("maps the guide's subscribe example to a canonical signup with marketing consent that validates", () => {
    // Act
    const [first] = signupsOf(decide(post(MAILCHIMP_SUBSCRIBE), source, SECRETS.token));
    // Assert
    expect(first?.signup).toEqual({
      email: 'api@mailchimp.com',
      first_name: 'Mailchimp',
      last_name: 'API',
      consent: { marketing: true },
      event_id: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('derives the same event id for a redelivery and another for another event', () => {
    // Act
    const once = signupsOf(decide(post(MAILCHIMP_SUBSCRIBE), source, SECRETS.token))[0]?.signup['event_id'];
    const again = signupsOf(decide(post(MAILCHIMP_SUBSCRIBE), source, SECRETS.token))[0]?.signup['event_id'];
    const later = signupsOf(decide(post(MAILCHIMP_SUBSCRIBE.replace('21%3A35%3A57', '21%3A36%3A00')), source, SECRETS.token))[0]?.signup['event_id'];
    // Assert
    expect(again).toBe(once);
    expect(later).not.toBe(once);
  });

  it('answers the GET URL check with 200 without asking for the token', () => {
    // Act
    const decision = decide(makeRequest({ method: 'GET', query: {} }), source, SECRETS.token);
    // Assert
    expect(decision).toMatchObject({ type: 'reply', status: 200 });
  });

  it('answers an empty POST with 200 (ignore) without processing it', () => {
    // Act
    const decision = decide(makeRequest({ body: '', query: {} }), source, SECRETS.token);
    // Assert
    expect(decision).toEqual({ type: 'ignore', reason: 'empty POST (Mailchimp URL check)' });
  });

  it.each(['unsubscribe', 'cleaned'])('turns %s into an opt-out with only the email and the event id', (type) => {
    // Act
    const [first] = signupsOf(decide(post(MAILCHIMP_SUBSCRIBE.replace('type=subscribe', `type=${type}`)), source, SECRETS.token));
    // Assert
    expect(first?.signup).toEqual({ email: 'api@mailchimp.com', opt_out: true, event_id: expect.stringMatching(/^sha256:/) });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it.each(['profile', 'upemail', 'campaign'])('ignores %s events by default', (type) => {
    // Act
    const decision = decide(post(MAILCHIMP_SUBSCRIBE.replace('type=subscribe', `type=${type}`)), source, SECRETS.token);
    // Assert
    expect(decision).toEqual({ type: 'ignore', reason: `Mailchimp event type "${type}" is not a signup` });
  });

  it.each(['Ada Lovelace', 'ada@example.com', 'Lovelace'])('does not echo a type that is not an event type name (%s): the reason is logged', (type) => {
    // Act
    const decision = decide(post(MAILCHIMP_SUBSCRIBE.replace('type=subscribe', `type=${encodeURIComponent(type)}`)), source, SECRETS.token);
    // Assert
    expect(decision).toEqual({ type: 'ignore', reason: 'Mailchimp event type (not an event type name) is not a signup' });
  });

  it('keeps profile updates when configured', () => {
    // Arrange
    const withProfile = makeSource('mailchimp', { includeProfileUpdates: true });
    // Act
    const decision = decide(post(MAILCHIMP_SUBSCRIBE.replace('type=subscribe', 'type=profile')), withProfile, SECRETS.token);
    // Assert
    expect(decision.type).toBe('signups');
  });

  it('maps renamed merge tags, bracket paths and an ADDRESS object', () => {
    // Arrange
    const renamed = makeSource('mailchimp', { fieldMap: { FIRSTNAME: 'first_name', 'data[ip_opt]': 'custom:Opt-in IP' } });
    const body = [
      'type=subscribe',
      'data[email]=ada%40example.com',
      'data[merges][FIRSTNAME]=Ada',
      'data[merges][FNAME]=Ignored',
      'data[merges][LNAME]=Lovelace',
      'data[ip_opt]=10.20.10.30',
      'data[merges][ADDRESS][addr1]=12+St+James+Sq',
      'data[merges][ADDRESS][city]=London',
      'data[merges][ADDRESS][zip]=SW1Y+4JH',
      'data[merges][ADDRESS][country]=GB',
    ].join('&');
    // Act
    const [first] = signupsOf(decide(post(body), renamed, SECRETS.token));
    // Assert
    expect(first?.signup).toEqual({
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      address: { address1: '12 St James Sq', city: 'London', postal_code: 'SW1Y 4JH', country_code: 'GB' },
      custom_fields: [{ name: 'Opt-in IP', value: '10.20.10.30' }],
      consent: { marketing: true },
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('answers 415 to a JSON body', () => {
    // Act / Assert
    expect(() => decide(makeRequest({ body: '{}', headers: { 'content-type': 'application/json' }, query: authQuery }), source, SECRETS.token)).toThrow(
      expect.objectContaining({ statusCode: 415 }),
    );
  });
});
