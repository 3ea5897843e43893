import { signupSchema } from '../../../shared/signup/signup-schema';
import { ACTIVECAMPAIGN_SUBSCRIBE } from './examples';
import { authQuery, decide, makeRequest, makeSource, SECRETS, signupsOf } from './fixtures';

const source = makeSource('activecampaign');
const post = (body: string) => makeRequest({ body, headers: { 'content-type': 'application/x-www-form-urlencoded' }, query: authQuery });

describe('activecampaign adapter', () => {
  it('maps the documented subscribe example with marketing consent; without a last name the nameless policy decides', () => {
    // Act
    const [first] = signupsOf(decide(post(ACTIVECAMPAIGN_SUBSCRIBE), source, SECRETS.token));
    // Assert
    expect(first?.signup).toEqual({
      email: 'ana@example.com',
      first_name: 'Ana',
      phone: '+15550100',
      consent: { marketing: true },
      event_id: expect.stringMatching(/^sha256:/),
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('turns an unsubscribe into an opt-out carrying only the email and the event id', () => {
    // Act
    const [first] = signupsOf(decide(post(ACTIVECAMPAIGN_SUBSCRIBE.replace('type=subscribe', 'type=unsubscribe')), source, SECRETS.token));
    // Assert
    expect(first?.signup).toEqual({ email: 'ana@example.com', opt_out: true, event_id: expect.stringMatching(/^sha256:/) });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('validates with a placeholder policy, and maps last_name, orgname and custom fields', () => {
    // Arrange
    const placeholder = makeSource('activecampaign', { lastNamePolicy: { placeholder: '-' }, fieldMap: { 'fields.plan': 'custom:Plan' } });
    // Act
    const [plain] = signupsOf(decide(post(ACTIVECAMPAIGN_SUBSCRIBE), placeholder, SECRETS.token));
    const [full] = signupsOf(
      decide(
        post(`${ACTIVECAMPAIGN_SUBSCRIBE}&contact[last_name]=Ng&contact[orgname]=Acme&contact[fields][plan]=Pro&date_time=2026-07-29T14:00:00Z`),
        placeholder,
        SECRETS.token,
      ),
    );
    // Assert
    expect(plain?.signup).toMatchObject({ last_name: '-' });
    expect(signupSchema.safeParse(plain?.signup).success).toBe(true);
    expect(full?.signup).toMatchObject({ last_name: 'Ng', company: 'Acme', custom_fields: [{ name: 'Plan', value: 'Pro' }] });
    expect(full?.occurredAt).toBe('2026-07-29T14:00:00.000Z');
  });

  it.each(['update', 'contact_tag_added'])('ignores %s events', (type) => {
    // Act
    const decision = decide(post(ACTIVECAMPAIGN_SUBSCRIBE.replace('type=subscribe', `type=${type}`)), source, SECRETS.token);
    // Assert
    expect(decision).toEqual({ type: 'ignore', reason: `ActiveCampaign event type "${type}" is not a signup` });
  });
});
