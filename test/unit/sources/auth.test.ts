import {
  checkTimestamp,
  decodeBase64Digest,
  decodeHexDigest,
  headerValue,
  hmacSha256,
  matchesAny,
  requireBearerToken,
  requireQueryToken,
  safeEqual,
} from '../../../shared/sources/auth';
import { SourceAuthError } from '../../../shared/sources/errors';
import { NOW } from './fixtures';

describe('safeEqual', () => {
  it('is true only for identical values, whatever their lengths', () => {
    // Arrange
    const secret = 'abc-123';
    // Act / Assert
    expect(safeEqual(secret, 'abc-123')).toBe(true);
    expect(safeEqual(secret, 'abc-124')).toBe(false);
    expect(safeEqual(secret, 'abc-1234')).toBe(false);
    expect(safeEqual(secret, '')).toBe(false);
    expect(safeEqual(Buffer.from([1, 2, 3]), Buffer.from([1, 2, 3]))).toBe(true);
  });

  it('matchesAny finds the one valid signature among rotated ones', () => {
    // Arrange
    const expected = hmacSha256('key', 'body');
    // Act / Assert
    expect(matchesAny([hmacSha256('old', 'body'), expected], expected)).toBe(true);
    expect(matchesAny([hmacSha256('old', 'body')], expected)).toBe(false);
    expect(matchesAny([], expected)).toBe(false);
  });
});

describe('digest decoding', () => {
  it('accepts 64 hex characters and base64/base64url of 32 bytes only', () => {
    // Arrange
    const digest = hmacSha256('k', 'm');
    // Act / Assert
    expect(decodeHexDigest(digest.toString('hex').toUpperCase())).toEqual(digest);
    expect(decodeHexDigest('abc')).toBeUndefined();
    expect(decodeBase64Digest(digest.toString('base64'))).toEqual(digest);
    expect(decodeBase64Digest(digest.toString('base64url'))).toEqual(digest);
    expect(decodeBase64Digest('not base64!')).toBeUndefined();
  });
});

describe('checkTimestamp', () => {
  const seconds = Math.floor(NOW.getTime() / 1000);

  it('accepts a timestamp within the tolerance, in seconds or milliseconds', () => {
    // Act / Assert
    expect(checkTimestamp(String(seconds - 299), 's', NOW, 300)).toBe((seconds - 299) * 1000);
    expect(checkTimestamp(String(NOW.getTime() + 299_000), 'ms', NOW, 300)).toBe(NOW.getTime() + 299_000);
  });

  it.each([
    ['stale', String(seconds - 301)],
    ['future', String(seconds + 301)],
    ['not a number', '12ab'],
    ['negative', '-5'],
  ])('rejects a %s timestamp as an invalid signature', (_label, value) => {
    // Act
    const act = () => checkTimestamp(value, 's', NOW, 300);
    // Assert
    expect(act).toThrow(SourceAuthError);
    expect(act).toThrow('Invalid signature');
  });
});

describe('tokens', () => {
  it('requireQueryToken distinguishes a missing from a wrong token, and says nothing more', () => {
    // Arrange
    const secret = 'url-token-abcdefghijklmnop';
    // Act / Assert
    expect(() => requireQueryToken({ token: secret }, 'token', secret)).not.toThrow();
    expect(() => requireQueryToken({}, 'token', secret)).toThrow('Missing token');
    expect(() => requireQueryToken({ token: 'wrong' }, 'token', secret)).toThrow('Invalid token');
    expect(() => requireQueryToken({ token: 'wrong' }, 'token', secret)).toThrow(expect.objectContaining({ statusCode: 401, expose: true }));
  });

  it('requireBearerToken accepts only "Bearer <secret>"', () => {
    // Arrange
    const secret = 'bearer-secret-value';
    // Act / Assert
    expect(() => requireBearerToken({ authorization: `Bearer ${secret}` }, secret)).not.toThrow();
    expect(() => requireBearerToken({}, secret)).toThrow('Missing token');
    expect(() => requireBearerToken({ authorization: `Basic ${secret}` }, secret)).toThrow('Invalid token');
    expect(() => requireBearerToken({ authorization: 'Bearer nope' }, secret)).toThrow('Invalid token');
  });

  it('headerValue is case-insensitive and treats blank values as absent', () => {
    // Act / Assert
    expect(headerValue({ 'X-Thing': ' v ' }, 'x-thing')).toBe('v');
    expect(headerValue({ 'x-thing': '  ' }, 'x-thing')).toBeUndefined();
    expect(headerValue({}, 'constructor')).toBeUndefined();
  });
});
