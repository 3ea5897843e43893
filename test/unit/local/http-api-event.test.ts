import {
  fromHttpApiResult,
  type IncomingHttpRequest,
  joinHeaders,
  queryParameters,
  requestTime,
  routeFor,
  toHttpApiEvent,
} from '../../../local/http-api-event';

/** Local mode's API Gateway HTTP API (payload 2.0) emulation: request -> event, result -> answer. */

const NOW = new Date('2026-07-29T14:32:10.123Z');

const aRequest = (overrides: Partial<IncomingHttpRequest> = {}): IncomingHttpRequest => ({
  method: 'POST',
  url: '/signups',
  rawHeaders: ['Host', '127.0.0.1:3000', 'Content-Type', 'application/json'],
  body: Buffer.from('{"email":"a@example.com"}'),
  sourceIp: '127.0.0.1',
  ...overrides,
});

describe('toHttpApiEvent', () => {
  it('builds a payload 2.0 event with the route key of the shared route table', () => {
    // Act
    const event = toHttpApiEvent(aRequest(), { now: NOW, requestId: 'req-1', port: 3000 });

    // Assert
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /signups',
      rawPath: '/signups',
      rawQueryString: '',
      body: '{"email":"a@example.com"}',
      isBase64Encoded: false,
      requestContext: {
        requestId: 'req-1',
        routeKey: 'POST /signups',
        stage: '$default',
        domainName: '127.0.0.1:3000',
        http: { method: 'POST', path: '/signups', sourceIp: '127.0.0.1', protocol: 'HTTP/1.1' },
        time: '29/Jul/2026:14:32:10 +0000',
        timeEpoch: NOW.getTime(),
      },
    });
    expect(event.headers).toMatchObject({
      host: '127.0.0.1:3000',
      'content-type': 'application/json',
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '3000',
    });
    expect(event.headers['x-amzn-trace-id']).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event.pathParameters).toBeUndefined();
    expect(event.queryStringParameters).toBeUndefined();
  });

  it.each([
    ['POST', '/sources/mailchimp-main', 'POST /sources/{sourceId}', { sourceId: 'mailchimp-main' }],
    ['GET', '/sources/mailchimp-main', 'GET /sources/{sourceId}', { sourceId: 'mailchimp-main' }],
    ['OPTIONS', '/sources/news%20letter', 'OPTIONS /sources/{sourceId}', { sourceId: 'news letter' }],
    ['GET', '/signups', '$default', undefined],
    ['POST', '/sources/', '$default', undefined],
    ['POST', '/sources/a/b', '$default', undefined],
    ['DELETE', '/sources/a', '$default', undefined],
  ])('%s %s -> %s', (method, rawPath, key, parameters) => {
    expect(routeFor(method, rawPath)).toEqual({ routeKey: key, ...(parameters ? { pathParameters: parameters } : {}) });
  });

  it('lower-cases header names, joins repeated headers with commas and moves cookies to their own list', () => {
    // Act
    const event = toHttpApiEvent(aRequest({ rawHeaders: ['X-Tag', 'a', 'x-tag', 'b', 'Cookie', 'a=1; b=2', 'User-Agent', 'curl/8'] }), { now: NOW });

    // Assert
    expect(event.headers['x-tag']).toBe('a,b');
    expect(event.headers['cookie']).toBeUndefined();
    expect(event.cookies).toEqual(['a=1', 'b=2']);
    expect(event.requestContext.http.userAgent).toBe('curl/8');
  });

  it('keeps the raw query string and decodes the parameters, joining repeated ones', () => {
    // Act
    const event = toHttpApiEvent(aRequest({ method: 'GET', url: '/sources/mc?token=a%2Bb&x=1&x=2&empty=' }), { now: NOW });

    // Assert
    expect(event.rawPath).toBe('/sources/mc');
    expect(event.rawQueryString).toBe('token=a%2Bb&x=1&x=2&empty=');
    expect(event.queryStringParameters).toEqual({ token: 'a+b', x: '1,2', empty: '' });
    expect(queryParameters('')).toBeUndefined();
  });

  it.each([
    ['application/x-www-form-urlencoded', Buffer.from('email=a%40example.com'), true],
    ['multipart/form-data; boundary=x', Buffer.from('--x\r\n'), true],
    ['application/octet-stream', Buffer.from([0, 1, 2]), true],
    ['application/json; charset=utf-8', Buffer.from('{"a":1}'), false],
    ['application/vnd.api+json', Buffer.from('{"a":1}'), false],
    ['text/plain', Buffer.from('hello'), false],
    ['application/json', Buffer.from([0x7b, 0xff, 0x7d]), true], // not UTF-8: passed as the bytes sent
    [undefined, Buffer.from('no type'), true],
  ])('a %s body is base64-encoded: %s', (contentType, body, base64) => {
    // Act
    const event = toHttpApiEvent(aRequest({ rawHeaders: contentType ? ['Content-Type', contentType] : [], body }), { now: NOW });

    // Assert
    expect(event.isBase64Encoded).toBe(base64);
    expect(Buffer.from(event.body!, base64 ? 'base64' : 'utf8')).toEqual(body);
  });

  it('has no body for an empty request', () => {
    const event = toHttpApiEvent(aRequest({ method: 'GET', body: Buffer.alloc(0) }), { now: NOW });
    expect(event.body).toBeUndefined();
    expect(event.isBase64Encoded).toBe(false);
  });

  it('formats requestContext.time like API Gateway', () => {
    expect(requestTime(new Date('2026-01-05T03:04:05Z'))).toBe('05/Jan/2026:03:04:05 +0000');
  });

  it('joins raw headers pairwise', () => {
    expect(joinHeaders(['A', '1', 'b', '2', 'a', '3'])).toEqual({ a: '1,3', b: '2' });
  });
});

describe('fromHttpApiResult', () => {
  it('uses a structured result as given, with cookies as Set-Cookie and a base64 body decoded', () => {
    // Act
    const answer = fromHttpApiResult({
      statusCode: 303,
      headers: { Location: '/thanks' },
      cookies: ['a=1', 'b=2'],
      body: Buffer.from('bytes').toString('base64'),
      isBase64Encoded: true,
    });

    // Assert
    expect(answer).toEqual({ status: 303, headers: { location: '/thanks', 'set-cookie': ['a=1', 'b=2'] }, body: Buffer.from('bytes') });
  });

  it('turns anything else into 200 JSON, as payload 2.0 does', () => {
    expect(fromHttpApiResult({ ok: true } as never)).toEqual({
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"ok":true}'),
    });
    expect(fromHttpApiResult('plain')).toMatchObject({ status: 200, body: Buffer.from('plain') });
    expect(fromHttpApiResult(undefined).status).toBe(200);
  });
});
