import { parseStackConfig } from '../../shared/deployment/stack-config';
import { synthStack } from '../helpers/synth';

/** Public forms (docs/trust.md): a route and a throttle per source, and no welcome email from a form without CAPTCHA. */

const FORM = {
  id: 'newsletter',
  kind: 'html-form',
  allowedOrigins: ['https://www.example.com'],
  thankYouUrl: 'https://www.example.com/thanks',
  errorUrl: 'https://www.example.com/oops',
};
const SOURCES = [FORM, { id: 'shop', kind: 'shopify' }];

type Stage = { Properties: { DefaultRouteSettings?: Record<string, number>; RouteSettings?: Record<string, Record<string, number>> }; DependsOn?: string[] };

function stageAndRoutes(overrides: Record<string, unknown>) {
  const { template } = synthStack(overrides);
  const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage')) as Stage[];
  const routes = Object.entries(template.findResources('AWS::ApiGatewayV2::Route')).map(([id, route]) => ({
    id,
    key: (route as { Properties: { RouteKey: string } }).Properties.RouteKey,
  }));
  return { stage: stage!, routes };
}

describe('per-source routes and throttles', () => {
  it('gives each configured source its own routes, throttled with sourceThrottle (200 rps, bursts of 500) apart from the stage default', () => {
    // Act
    const { stage, routes } = stageAndRoutes({ sources: SOURCES });

    // Assert
    const keys = routes.map((route) => route.key);
    for (const id of ['newsletter', 'shop']) {
      expect(keys).toEqual(expect.arrayContaining([`POST /sources/${id}`, `GET /sources/${id}`, `OPTIONS /sources/${id}`]));
      expect(stage.Properties.RouteSettings?.[`POST /sources/${id}`]).toEqual({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 500 });
    }
    expect(keys).toContain('POST /sources/{sourceId}');
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    // The stage is created after the routes its settings name (CloudFormation refuses an unknown route key).
    const sourceRouteIds = routes.filter((route) => /\/sources\/(newsletter|shop)$/.test(route.key)).map((route) => route.id);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(sourceRouteIds));
  });

  it('takes a per-source override from sourceThrottles and the default from sourceThrottle in cdk.json', () => {
    // Act
    const { stage } = stageAndRoutes({
      sources: SOURCES,
      sourceThrottle: { rateLimit: 80, burstLimit: 160 },
      sourceThrottles: { newsletter: { rateLimit: 400, burstLimit: 1000 } },
    });

    // Assert
    expect(stage.Properties.RouteSettings?.['POST /sources/newsletter']).toEqual({ ThrottlingRateLimit: 400, ThrottlingBurstLimit: 1000 });
    expect(stage.Properties.RouteSettings?.['OPTIONS /sources/newsletter']).toEqual({ ThrottlingRateLimit: 400, ThrottlingBurstLimit: 1000 });
    expect(stage.Properties.RouteSettings?.['POST /sources/shop']).toEqual({ ThrottlingRateLimit: 80, ThrottlingBurstLimit: 160 });
  });

  it('has no per-source routes without sources, and refuses a throttle override for an unknown source', () => {
    const { stage, routes } = stageAndRoutes({ sources: [] });
    expect(routes.map((route) => route.key).sort()).toEqual([
      'GET /sources/{sourceId}',
      'OPTIONS /sources/{sourceId}',
      'POST /signups',
      'POST /sources/{sourceId}',
    ]);
    expect(stage.Properties.RouteSettings).toBeUndefined();
    expect(() => parseStackConfig({ storeHash: 'abc', sources: SOURCES, sourceThrottles: { nope: { rateLimit: 1 } } })).toThrow(
      /signupSync\.sourceThrottles\.nope: no configured source has this id/,
    );
  });
});

describe('welcome email from a public form', () => {
  it('refuses at synth an html-form source that sends a welcome email without captcha, naming the source and the setting', () => {
    expect(() => parseStackConfig({ storeHash: 'abc', sources: [{ ...FORM, customerDefaults: { sendWelcomeEmail: true } }] })).toThrow(
      /signupSync\.sources\[0\]: sends a welcome email \(customerDefaults\.sendWelcomeEmail\) from a public form without captcha/,
    );
    // The stack-wide setting applies to a form that does not say otherwise.
    expect(() => parseStackConfig({ storeHash: 'abc', sendWelcomeEmail: true, sources: [FORM] })).toThrow(
      /sources\[0\]: sends a welcome email \(signupSync\.sendWelcomeEmail\)/,
    );
  });

  it('accepts it with captcha, or when the form turns the welcome email off, and never asks it of webhooks', () => {
    expect(() =>
      parseStackConfig({ storeHash: 'abc', sources: [{ ...FORM, customerDefaults: { sendWelcomeEmail: true }, captcha: { provider: 'turnstile' } }] }),
    ).not.toThrow();
    expect(() =>
      parseStackConfig({ storeHash: 'abc', sendWelcomeEmail: true, sources: [{ ...FORM, customerDefaults: { sendWelcomeEmail: false } }] }),
    ).not.toThrow();
    expect(() => parseStackConfig({ storeHash: 'abc', sendWelcomeEmail: true, sources: [{ id: 'shop', kind: 'shopify' }] })).not.toThrow();
  });
});

describe('ingest guards from cdk.json', () => {
  const ingestEnvironment = (overrides: Record<string, unknown>) => {
    const { template } = synthStack(overrides);
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment?: { Variables?: Record<string, unknown> } };
    }[];
    return functions.map((fn) => fn.Properties.Environment?.Variables ?? {}).find((variables) => 'DELIVERY_LEDGER_TABLE' in variables)!;
  };

  it('hands the ingest the custom fields mapped to attributes (for the 10-attribute limit) and the bearer-token setting', () => {
    const defaults = ingestEnvironment({});
    expect(defaults).toMatchObject({ CUSTOM_ATTRIBUTE_FIELDS: '[]', SIGNUPS_BEARER_TOKEN: 'true' });
    const set = ingestEnvironment({
      signupsBearerToken: false,
      customFieldMap: { Size: { attribute: 'Shoe size' }, Color: { formField: 'Colour' }, Age: { attribute: 'Age' } },
    });
    expect(set).toMatchObject({ CUSTOM_ATTRIBUTE_FIELDS: JSON.stringify(['Age', 'Size']), SIGNUPS_BEARER_TOKEN: 'false' });
  });
});
