import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { rawRequestFromHttpApiEvent } from '../../../shared/http-input/request';

function httpApiEvent(overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /sources/{sourceId}',
    rawPath: '/sources/news',
    rawQueryString: 'token=a%2Bb&x=1',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'X-Mixed': 'v' },
    queryStringParameters: { token: 'a+b', x: '1' },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'post', path: '/sources/news', protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: 'POST /sources/{sourceId}',
      stage: '$default',
      time: '29/Jul/2026:14:32:10 +0000',
      timeEpoch: 1785335530000,
    },
    isBase64Encoded: true,
    body: Buffer.from('email=ada%40example.com&name=Zo%C3%AB').toString('base64'),
    ...overrides,
  };
}

describe('rawRequestFromHttpApiEvent', () => {
  it('decodes a base64 body to the exact bytes and lower-cases header names', () => {
    // Act
    const request = rawRequestFromHttpApiEvent(httpApiEvent());
    // Assert
    expect(request.method).toBe('POST');
    expect(request.body.toString('utf8')).toBe('email=ada%40example.com&name=Zo%C3%AB');
    expect(request.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded', 'x-mixed': 'v' });
    expect(request.query).toEqual({ token: 'a+b', x: '1' });
    expect(request.publicUrl).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/sources/news?token=a%2Bb&x=1');
  });

  it('keeps a plain body as UTF-8 bytes, handles no body, and uses the public base URL when given', () => {
    // Act
    const plain = rawRequestFromHttpApiEvent(httpApiEvent({ isBase64Encoded: false, body: '{"a":"é"}' }), { publicBaseUrl: 'https://hooks.example.com/' });
    const empty = rawRequestFromHttpApiEvent(httpApiEvent({ body: undefined, rawQueryString: '', queryStringParameters: undefined }));
    // Assert
    expect(plain.body).toEqual(Buffer.from('{"a":"é"}', 'utf8'));
    expect(plain.publicUrl).toBe('https://hooks.example.com/sources/news?token=a%2Bb&x=1');
    expect(empty.body).toHaveLength(0);
    expect(empty.query).toEqual({});
    expect(empty.publicUrl).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/sources/news');
  });
});
