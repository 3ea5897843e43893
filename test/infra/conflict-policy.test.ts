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
