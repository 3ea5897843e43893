import { parseStackConfig, StackConfigError } from '../../shared/deployment/stack-config';
import { synthStack } from '../helpers/synth';

/**
 * Public forms and webhook routes (docs/trust.md, docs/security.md): a route and a throttle per source, a
 * webhook's route named by its route token, a CAPTCHA decision per form, no welcome email from a form
 * without CAPTCHA, and the hash key of the per-client limit.
 */

/** A form that has not decided on a CAPTCHA yet (refused as it is). */
const UNDECIDED_FORM = {
  id: 'newsletter',
  kind: 'html-form',
  allowedOrigins: ['https://www.example.com'],
  thankYouUrl: 'https://www.example.com/thanks',
  errorUrl: 'https://www.example.com/oops',
};
const FORM = { ...UNDECIDED_FORM, captcha: false, captchaReason: 'a test form: the routes and throttles are under test' };
const ROUTE_TOKEN = 'shoproutetoken0123456';
const SHOP = { id: 'shop', kind: 'shopify', routeToken: ROUTE_TOKEN };
const SOURCES = [FORM, SHOP];
/** Each source's own path: a webhook's carries its route token. */
const PATHS = { newsletter: '/sources/newsletter', shop: `/sources/shop-${ROUTE_TOKEN}` } as const;

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
    for (const path of Object.values(PATHS)) {
      expect(keys).toEqual(expect.arrayContaining([`POST ${path}`, `GET ${path}`, `OPTIONS ${path}`]));
      expect(stage.Properties.RouteSettings?.[`POST ${path}`]).toEqual({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 500 });
    }
    expect(keys).toContain('POST /sources/{sourceId}');
    expect(stage.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    // The stage is created after the routes its settings name (CloudFormation refuses an unknown route key).
    const sourceRouteIds = routes.filter((route) => /\/sources\/(newsletter|shop-[a-z0-9]+)$/.test(route.key)).map((route) => route.id);
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
    expect(stage.Properties.RouteSettings?.[`POST ${PATHS.shop}`]).toEqual({ ThrottlingRateLimit: 80, ThrottlingBurstLimit: 160 });
  });

  it('has no per-source routes without sources, and refuses a throttle override for an unknown source', () => {
    const { stage, routes } = stageAndRoutes({ sources: [] });
    expect(routes.map((route) => route.key).sort()).toEqual([
      'GET /confirm/{token}',
      'GET /sources/{sourceId}',
      'OPTIONS /sources/{sourceId}',
      'POST /confirm/{token}',
      'POST /signups',
      'POST /sources/{sourceId}',
    ]);
    // Only the confirm routes' own throttle (no source routes to throttle).
    expect(Object.keys(stage.Properties.RouteSettings ?? {}).sort()).toEqual(['GET /confirm/{token}', 'POST /confirm/{token}']);
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
      parseStackConfig({
        storeHash: 'abc',
        sources: [{ ...UNDECIDED_FORM, customerDefaults: { sendWelcomeEmail: true }, captcha: { provider: 'turnstile' } }],
      }),
    ).not.toThrow();
    expect(() =>
      parseStackConfig({ storeHash: 'abc', sendWelcomeEmail: true, sources: [{ ...FORM, customerDefaults: { sendWelcomeEmail: false } }] }),
    ).not.toThrow();
    expect(() => parseStackConfig({ storeHash: 'abc', sendWelcomeEmail: true, sources: [SHOP] })).not.toThrow();
  });
});

describe('a webhook\'s unguessable route (docs/security.md, "Guessable routes and a flood of bad signatures")', () => {
  it('serves the webhook only at /sources/<id>-<routeToken>, with its own throttle; the bare id falls to {sourceId} and the stage default', () => {
    // Act
    const { stage, routes } = stageAndRoutes({ sources: SOURCES });

    // Assert: no route of the guessable path exists, so a flood on it shares the generic route's bucket
    const keys = routes.map((route) => route.key);
    expect(keys.filter((key) => /\/sources\/shop($|-)/.test(key)).sort()).toEqual([`GET ${PATHS.shop}`, `OPTIONS ${PATHS.shop}`, `POST ${PATHS.shop}`]);
    expect(Object.keys(stage.Properties.RouteSettings ?? {})).not.toContain('POST /sources/shop');
    expect(stage.Properties.RouteSettings?.['POST /sources/{sourceId}']).toBeUndefined();
    expect(stage.Properties.RouteSettings?.[`POST ${PATHS.shop}`]).toEqual({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 500 });
  });

  it('prints each source URL as a stack output, so `cdk deploy` shows what to give each sender', () => {
    // Act
    const { template } = synthStack({ sources: SOURCES });
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown; Description?: string }>;

    // Assert: <ApiUrl> + the path, the route token included for the webhook
    expect(JSON.stringify(outputs['SourceUrlShop']!.Value)).toContain(PATHS.shop);
    expect(JSON.stringify(outputs['SourceUrlShop']!.Value)).toContain('ApiEndpoint');
    expect(outputs['SourceUrlShop']!.Description).toBe('shopify source shop: the URL to give the sender');
    expect(JSON.stringify(outputs['SourceUrlNewsletter']!.Value)).toContain('/sources/newsletter"');
  });

  it('refuses at synth a webhook source without a route token, naming the command that writes one', () => {
    expect(() => synthStack({ sources: [{ id: 'shop', kind: 'shopify' }] })).toThrow(StackConfigError);
    expect(() => synthStack({ sources: [{ id: 'shop', kind: 'shopify' }] })).toThrow(/sources\[0\]\.routeToken: .*signup-sync route-tokens/);
  });
});

describe('a public form must decide on a CAPTCHA (docs/security.md, "Bots farming a public form")', () => {
  it('does not synthesize an html-form source with no captcha setting', () => {
    expect(() => synthStack({ sources: [UNDECIDED_FORM] })).toThrow(/sources\[0\]\.captcha: a public form must say how bots are kept out/);
  });

  it('synthesizes one with captcha: false and a reason, or with a CAPTCHA', () => {
    expect(synthStack({ sources: [FORM] }).template.toJSON().Outputs).toHaveProperty('SourceUrlNewsletter');
    expect(() => synthStack({ sources: [{ ...UNDECIDED_FORM, captcha: { provider: 'turnstile' } }] })).not.toThrow();
  });
});

describe('the per-client limit of public forms', () => {
  it("gives the ingest the stack's hash key (the sync's LOG_HASH_KEY secret) for client addresses, never the key in clear text", () => {
    const { template } = synthStack({ sources: SOURCES });
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment?: { Variables?: Record<string, unknown> } };
    }[];
    const variables = functions.map((fn) => fn.Properties.Environment?.Variables ?? {});
    const ingest = variables.find((vars) => 'DELIVERY_LEDGER_TABLE' in vars)!;
    const sync = variables.find((vars) => 'BIGCOMMERCE_STORE_HASH' in vars)!;
    expect(JSON.stringify(ingest['LOG_HASH_KEY'])).toMatch(/\{\{resolve:secretsmanager:/);
    expect(ingest['LOG_HASH_KEY']).toEqual(sync['LOG_HASH_KEY']);
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
