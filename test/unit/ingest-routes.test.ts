import { INGEST_ROUTES, matchIngestRoute, routeByKey, routeKey } from '../../shared/http/routes';
import { parseIngestSources } from '../../shared/ingest/ingest-sources';
import { signupSchema } from '../../shared/signup/signup-schema';
import { buildCandidate, toConsent } from '../../shared/sources/field-map';

/** The shared route table (CDK, handler, OpenAPI and local mode read it) and the consent field targets. */

describe('route table', () => {
  it('has the six ingest routes, each found by its API Gateway route key', () => {
    expect(INGEST_ROUTES.map(routeKey)).toEqual([
      'POST /signups',
      'POST /sources/{sourceId}',
      'GET /sources/{sourceId}',
      'OPTIONS /sources/{sourceId}',
      'GET /confirm/{token}',
      'POST /confirm/{token}',
    ]);
    for (const route of INGEST_ROUTES) expect(routeByKey(routeKey(route))).toBe(route);
    expect(routeByKey('$default')).toBeUndefined();
  });

  it('matches a method and raw path as API Gateway does, decoding the source id', () => {
    expect(matchIngestRoute('post', '/signups')?.route.target).toBe('canonical');
    expect(matchIngestRoute('POST', '/sources/news%2Dletter?token=x')).toMatchObject({
      route: { method: 'POST', target: 'source' },
      pathParameters: { sourceId: 'news-letter' },
    });
    expect(matchIngestRoute('OPTIONS', '/sources/form')?.pathParameters).toEqual({ sourceId: 'form' });
    expect(matchIngestRoute('GET', '/confirm/abc.def')).toMatchObject({ route: { target: 'confirm' }, pathParameters: { token: 'abc.def' } });
    expect(matchIngestRoute('POST', '/confirm/abc.def')?.route.target).toBe('confirm');
    // Not valid percent-encoding: still the source route (the unknown id is then answered 401).
    expect(matchIngestRoute('GET', '/sources/%zz')?.pathParameters).toEqual({ sourceId: '%zz' });
    for (const [method, path] of [
      ['GET', '/signups'],
      ['POST', '/sources/'],
      ['POST', '/sources/a/b'],
      ['PUT', '/sources/a'],
      ['POST', '/nowhere'],
    ] as const) {
      expect(matchIngestRoute(method, path)).toBeUndefined();
    }
  });
});

describe('consent targets', () => {
  it.each([
    [true, true],
    ['on', true],
    [' Yes ', true],
    ['1', true],
    [1, true],
    [false, false],
    ['off', false],
    ['no', false],
    [0, false],
    ['maybe', undefined],
    ['', undefined],
    [null, undefined],
    [['on'], undefined],
  ])('reads %p as %p', (value, expected) => {
    expect(toConsent(value)).toBe(expected);
  });

  it('maps form fields to consent flags that validate, and leaves unknown answers out', () => {
    // Arrange
    const [source] = parseIngestSources([
      {
        id: 'form',
        kind: 'html-form',
        allowedOrigins: ['https://www.example.com'],
        thankYouUrl: 'https://www.example.com/t',
        errorUrl: 'https://www.example.com/e',
        fieldMap: { news: 'consent.marketing', carts: 'consent.abandoned_cart' },
      },
    ]);
    const fields: Record<string, unknown> = { email: 'a@example.com', first_name: 'A', last_name: 'B', news: 'on', carts: 'perhaps' };

    // Act
    const candidate = buildCandidate(source!, (key) => fields[key], { email: ['email'], first_name: ['first_name'], last_name: ['last_name'] });

    // Assert
    expect(candidate['consent']).toEqual({ marketing: true });
    expect(signupSchema.parse(candidate).consent).toEqual({ marketing: true });
  });
});
