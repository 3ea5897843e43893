import { parseStackConfig, StackConfigError } from '../../shared/deployment/stack-config';
import { synthStack } from '../helpers/synth';

/**
 * Synth refuses `conflictPolicy: "update"` where it is unsafe (shared/deployment/conflict-policy-rules.ts,
 * docs/sync-semantics.md#conflict-policy): a source whose requests are neither signed nor token-authenticated,
 * and more concurrent sync invocations than BigCommerce's 3 concurrent PUT /v3/customers.
 */

const form = {
  id: 'newsletter',
  kind: 'html-form',
  allowedOrigins: ['https://www.example.com'],
  thankYouUrl: 'https://www.example.com/thanks',
  errorUrl: 'https://www.example.com/oops',
  captcha: false,
  captchaReason: 'a test form: the conflict policy rules are under test',
};
const routeToken = 'conflictpolicyroute01';
const signed = [
  { id: 'typeform', kind: 'typeform', routeToken },
  { id: 'shop', kind: 'shopify', routeToken },
  { id: 'mailchimp', kind: 'mailchimp', routeToken },
  { id: 'hooks', kind: 'standard-webhooks', routeToken },
];

function refusal(config: Record<string, unknown>): string {
  try {
    parseStackConfig({ storeHash: 'abc', ...config });
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('conflictPolicy "update" at synth', () => {
  it('refuses it with a source that is neither signed nor token-authenticated, naming the source and why', () => {
    const message = refusal({ conflictPolicy: 'update', sources: [...signed, form] });

    expect(message).toMatch(
      /signupSync\.sources\[4\]: conflictPolicy "update" is refused for source "newsletter": its html-form requests are neither signed nor authenticated/,
    );
    expect(message).toMatch(/anyone could overwrite an existing customer/);
    // Only the unauthenticated source is named.
    expect(message).not.toMatch(/"typeform"|"shop"|"mailchimp"|"hooks"/);
    expect(() => synthStack({ conflictPolicy: 'update', sources: [form] })).toThrow(/source "newsletter"/);
  });

  it('refuses it with more than 3 concurrent sync invocations', () => {
    expect(refusal({ conflictPolicy: 'update', maxConcurrency: 4 })).toMatch(
      /signupSync\.maxConcurrency: at most 3 with conflictPolicy "update" \(it is 4\): BigCommerce allows 3 concurrent PUT \/v3\/customers/,
    );
  });

  it('accepts the same sources and concurrency under "skip", and "update" with signed sources and at most 3 invocations', () => {
    expect(() => parseStackConfig({ storeHash: 'abc', conflictPolicy: 'skip', maxConcurrency: 10, sources: [...signed, form] })).not.toThrow();
    expect(() => parseStackConfig({ storeHash: 'abc', conflictPolicy: 'update', maxConcurrency: 3, sources: signed })).not.toThrow();

    const { template } = synthStack({ conflictPolicy: 'update', maxConcurrency: 3, sources: signed });

    const sync = Object.values(
      template.toJSON().Resources as Record<string, { Type: string; Properties: { Environment?: { Variables?: Record<string, unknown> } } }>,
    ).find((resource) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Environment?.Variables?.CONFLICT_POLICY !== undefined);
    expect(sync?.Properties.Environment?.Variables).toMatchObject({ CONFLICT_POLICY: 'update', SYNC_MAX_CONCURRENCY: '3' });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: { MaximumConcurrency: 3 } });
  });
});

/**
 * Placeholder names that no signup can get contradict the nameless policy beside them
 * (shared/deployment/conflict-policy-rules.ts `placeholderNameProblems`, docs/subscribers.md#placeholder-names).
 */
describe('placeholderNames at synth', () => {
  const names = { first_name: 'Valued', last_name: 'Reader' };

  it('refuses a source placeholderNames under its own nameless "reject", naming the source and why', () => {
    const message = refusal({
      sources: [{ id: 'hooks', kind: 'standard-webhooks', routeToken: 'k7q2m9x4w1c8v5b3n6z0', nameless: 'reject', placeholderNames: names }],
    });

    expect(message).toMatch(
      /signupSync\.sources\[0\]\.placeholderNames: source "hooks" sets placeholderNames, but its nameless policy is "reject" \(its own nameless\), so no signup of it ever gets them/,
    );
    expect(message).toMatch(/Set "nameless": "placeholder" on the source, or remove its placeholderNames/);
  });

  it('refuses a source placeholderNames when it inherits the global nameless "subscriber"', () => {
    expect(
      refusal({ nameless: 'subscriber', sources: [{ id: 'shop', kind: 'shopify', routeToken: 'k7q2m9x4w1c8v5b3n6z0', placeholderNames: names }] }),
    ).toMatch(/signupSync\.sources\[0\]\.placeholderNames: source "shop" .* nameless policy is "subscriber" \(the global nameless\)/);
  });

  it('refuses the global placeholderNames when neither the global nameless nor any source that inherits them is "placeholder"', () => {
    const message = refusal({
      nameless: 'reject',
      placeholderNames: names,
      // This source has placeholder names of its own, so it does not use the global ones.
      sources: [{ id: 'hooks', kind: 'standard-webhooks', routeToken: 'k7q2m9x4w1c8v5b3n6z0', nameless: 'placeholder', placeholderNames: names }],
    });

    expect(message).toMatch(
      /signupSync\.placeholderNames: set, but nameless is "reject" and no source with "nameless": "placeholder" uses the global names, so no signup ever gets them/,
    );
    expect(message).not.toMatch(/sources\[0\]/);
  });

  it('accepts placeholderNames wherever a signup can get them, conflictPolicy "update" included', () => {
    const accept = (config: Record<string, unknown>) => expect(() => parseStackConfig({ storeHash: 'abc', ...config })).not.toThrow();

    accept({ nameless: 'placeholder', placeholderNames: names });
    accept({
      nameless: 'subscriber',
      placeholderNames: names,
      sources: [{ id: 'hooks', kind: 'standard-webhooks', routeToken: 'k7q2m9x4w1c8v5b3n6z0', nameless: 'placeholder' }],
    });
    accept({ sources: [{ id: 'hooks', kind: 'standard-webhooks', routeToken: 'k7q2m9x4w1c8v5b3n6z0', nameless: 'placeholder', placeholderNames: names }] });
    accept({ nameless: 'placeholder', conflictPolicy: 'update', sources: signed });
    expect(() => synthStack({ nameless: 'placeholder', placeholderNames: names, conflictPolicy: 'update', sources: signed })).not.toThrow();
  });
});
