import { signupSchema } from '../../../shared/signup/signup-schema';
import { errorFieldName, htmlFormAdapter } from '../../../shared/sources/adapters/html-form';
import { SourceAuthError, SourceForbiddenError } from '../../../shared/sources/errors';
import { decide, makeRequest, makeSource, signupsOf } from './fixtures';

const ORIGIN = 'https://www.example.com';
const source = makeSource('html-form', {
  allowedOrigins: [ORIGIN],
  thankYouUrl: 'https://www.example.com/thanks',
  errorUrl: 'https://www.example.com/oops',
  honeypotField: 'website',
  lastNamePolicy: 'split-full-name',
});
const urlencoded = { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN };
const formBody = 'email=ada%40example.com&name=Ada+Lovelace+King&company=Analytical+Engines&website=&submission_id=4b1c7e62-9f0e-4f8a-a0a5-0d3f2e1c9b77';

const present = (outcome: Parameters<NonNullable<typeof htmlFormAdapter.present>>[0], headers: Record<string, string>) => {
  if (!htmlFormAdapter.present) throw new Error('html-form must present its own answers');
  return htmlFormAdapter.present(outcome, makeRequest({ headers }), source);
};

describe('html-form adapter', () => {
  it('maps a native urlencoded post to a canonical signup that validates', () => {
    // Act
    const [first] = signupsOf(decide(makeRequest({ body: formBody, headers: urlencoded }), source, ''));
    // Assert
    expect(first?.signup).toEqual({
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace King',
      company: 'Analytical Engines',
      event_id: '4b1c7e62-9f0e-4f8a-a0a5-0d3f2e1c9b77',
    });
    expect(signupSchema.safeParse(first?.signup).success).toBe(true);
  });

  it('reads multipart posts (file inputs ignored) and fetch JSON posts', () => {
    // Arrange
    const multipart = [
      '--f0rm',
      'Content-Disposition: form-data; name="email"',
      '',
      'ada@example.com',
      '--f0rm',
      'Content-Disposition: form-data; name="cv"; filename="cv.pdf"',
      'Content-Type: application/pdf',
      '',
      '%PDF-1.4',
      '--f0rm',
      'Content-Disposition: form-data; name="first_name"',
      '',
      'Ada',
      '--f0rm--',
      '',
    ].join('\r\n');
    // Act
    const fromMultipart = signupsOf(
      decide(makeRequest({ body: multipart, headers: { origin: ORIGIN, 'content-type': 'multipart/form-data; boundary=f0rm' } }), source, ''),
    );
    const fromJson = signupsOf(
      decide(
        makeRequest({
          body: '{"email":"ada@example.com","first_name":"Ada","last_name":"L"}',
          headers: { origin: ORIGIN, 'content-type': 'application/json' },
        }),
        source,
        '',
      ),
    );
    // Assert
    expect(fromMultipart[0]?.signup).toEqual({ email: 'ada@example.com', first_name: 'Ada' });
    expect(fromJson[0]?.signup).toEqual({ email: 'ada@example.com', first_name: 'Ada', last_name: 'L' });
  });

  it('answers a preflight from an allowed origin with CORS headers, and refuses others', () => {
    // Arrange
    const preflight = (origin: string) =>
      makeRequest({ method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    // Act
    const allowed = decide(preflight(ORIGIN), source, '');
    const refused = decide(preflight('https://evil.example'), source, '');
    // Assert
    expect(allowed).toMatchObject({
      type: 'reply',
      status: 204,
      headers: { 'access-control-allow-origin': ORIGIN, 'access-control-allow-methods': 'POST, OPTIONS', vary: 'Origin' },
    });
    expect(refused).toMatchObject({ type: 'reply', status: 403 });
    expect(refused.type === 'reply' && refused.headers?.['access-control-allow-origin']).toBeFalsy();
  });

  it('refuses posts from other origins, and without any origin unless allowed', () => {
    // Act / Assert
    expect(() => decide(makeRequest({ body: formBody, headers: { ...urlencoded, origin: 'https://evil.example' } }), source, '')).toThrow(SourceForbiddenError);
    expect(() => decide(makeRequest({ body: formBody, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), source, '')).toThrow(
      expect.objectContaining({ statusCode: 403 }),
    );
    const lenient = makeSource('html-form', { ...source, allowMissingOrigin: true });
    expect(decide(makeRequest({ body: formBody, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), lenient, '').type).toBe('signups');
  });

  it("falls back to the Referer's origin when Origin is absent or null", () => {
    // Arrange
    const headers = { 'content-type': 'application/x-www-form-urlencoded', origin: 'null', referer: `${ORIGIN}/signup?x=1` };
    // Act
    const decision = decide(makeRequest({ body: formBody, headers }), source, '');
    // Assert
    expect(decision.type).toBe('signups');
  });

  it('answers a filled honeypot like a success and enqueues nothing', () => {
    // Arrange
    const bot = formBody.replace('website=', 'website=http%3A%2F%2Fspam.example');
    // Act
    const native = decide(makeRequest({ body: bot, headers: urlencoded }), source, '');
    const fetched = decide(makeRequest({ body: bot, headers: { ...urlencoded, accept: 'application/json' } }), source, '');
    // Assert
    expect(native).toEqual({
      type: 'reply',
      status: 303,
      purpose: 'honeypot',
      headers: expect.objectContaining({ location: 'https://www.example.com/thanks' }),
    });
    expect(fetched).toMatchObject({ type: 'reply', status: 202, body: '{"ok":true}' });
  });

  it('checks the form token when the source has a secret', () => {
    // Arrange
    const secret = 'public-form-token';
    // Act / Assert
    expect(() => decide(makeRequest({ body: formBody, headers: urlencoded }), source, secret)).toThrow('Missing token');
    expect(() => decide(makeRequest({ body: `${formBody}&form_token=nope`, headers: urlencoded }), source, secret)).toThrow(SourceAuthError);
    expect(decide(makeRequest({ body: `${formBody}&form_token=${secret}`, headers: urlencoded }), source, secret).type).toBe('signups');
  });

  it('answers 405 to GET and 415 to an unsupported content type', () => {
    // Act / Assert
    expect(decide(makeRequest({ method: 'GET', headers: { origin: ORIGIN } }), source, '')).toMatchObject({ status: 405 });
    expect(() => decide(makeRequest({ body: 'x', headers: { origin: ORIGIN, 'content-type': 'text/csv' } }), source, '')).toThrow(
      expect.objectContaining({ statusCode: 415, field: 'content-type' }),
    );
  });

  describe('present', () => {
    it('redirects native posts with 303 to the allow-listed URLs only', () => {
      // Act
      const accepted = present({ type: 'accepted', count: 1 }, { origin: ORIGIN });
      const invalid = present({ type: 'invalid', statusCode: 422, message: '1 field failed validation' }, { origin: ORIGIN });
      const failed = present({ type: 'error', statusCode: 503 }, {});
      // Assert
      expect(accepted).toEqual({
        status: 303,
        headers: { location: 'https://www.example.com/thanks', 'access-control-allow-origin': ORIGIN, vary: 'Origin', 'cache-control': 'no-store' },
      });
      expect(invalid.headers?.['location']).toBe('https://www.example.com/oops');
      expect(failed).toEqual({ status: 303, headers: { location: 'https://www.example.com/oops', 'cache-control': 'no-store' } });
    });

    it('names the fields that failed validation in the error redirect, names only, keeping the query the error URL has', () => {
      // Arrange
      const issues = [
        { path: '/email', message: 'Invalid email address' },
        { path: '/last_name', message: 'Required' },
        { path: '/address/city', message: 'Too big' },
        { path: '/custom_fields/2/value', message: 'Too big' },
        { path: '/custom_fields/3/value', message: 'Too big' },
      ];
      const withQuery = makeSource('html-form', { ...source, errorUrl: 'https://www.example.com/oops?lang=pt&fields=stale#form' });

      // Act
      const plain = present({ type: 'invalid', statusCode: 422, message: '5 fields failed validation', issues }, { origin: ORIGIN });
      const kept = htmlFormAdapter.present!(
        { type: 'invalid', statusCode: 422, message: 'x', issues: issues.slice(0, 2) },
        makeRequest({ headers: {} }),
        withQuery,
      );
      const forbidden = present({ type: 'invalid', statusCode: 403, message: 'The request origin is not allowed for this form' }, {});

      // Assert
      expect(plain.headers?.['location']).toBe('https://www.example.com/oops?fields=email,last_name,address.city,custom_fields');
      expect(kept.headers?.['location']).toBe('https://www.example.com/oops?lang=pt&fields=email,last_name#form');
      expect(forbidden.headers?.['location']).toBe('https://www.example.com/oops');
    });

    it('writes nested paths with dots and stops at a list index', () => {
      expect(['/email', '/consent/marketing', '/custom_fields/0/name', '/', '/a~1b'].map(errorFieldName)).toEqual([
        'email',
        'consent.marketing',
        'custom_fields',
        undefined,
        'a/b',
      ]);
    });

    it('answers JSON with CORS headers to fetch posts that accept JSON', () => {
      // Act
      const invalid = present(
        { type: 'invalid', statusCode: 422, message: '1 field failed validation', issues: [{ path: '/last_name', message: 'Required' }] },
        { origin: ORIGIN, accept: 'application/json' },
      );
      const failed = present({ type: 'error', statusCode: 503 }, { origin: 'https://evil.example', accept: 'application/json' });
      // Assert
      expect(invalid.status).toBe(422);
      expect(invalid.headers).toMatchObject({ 'access-control-allow-origin': ORIGIN, 'content-type': 'application/json' });
      expect(JSON.parse(invalid.body ?? '')).toEqual({ ok: false, error: '1 field failed validation', issues: [{ path: '/last_name', message: 'Required' }] });
      expect(failed.status).toBe(503);
      expect(failed.headers?.['access-control-allow-origin']).toBeUndefined();
    });
  });

  it('finds the email of an input named in another language by its value, leaving out the honeypot, token and id fields', () => {
    // Arrange
    const body = 'website=&submission_id=4b1c7e62-9f0e-4f8a-a0a5-0d3f2e1c9b77&nome=Ana&sobrenome=Souza&seu_email=ana%40example.com';
    // Act
    const [first] = signupsOf(decide(makeRequest({ body, headers: urlencoded }), source, ''));
    // Assert
    expect(first?.signup).toEqual({ email: 'ana@example.com', event_id: '4b1c7e62-9f0e-4f8a-a0a5-0d3f2e1c9b77' });
  });

  it('keeps the named email field first and lets the fieldMap win', () => {
    const body = 'referrer=friend%40example.com&email=ana%40example.com&website=';
    const mapped = makeSource('html-form', {
      allowedOrigins: [ORIGIN],
      thankYouUrl: 'https://www.example.com/t',
      errorUrl: 'https://www.example.com/e',
      fieldMap: { referrer: 'email' },
    });
    expect(signupsOf(decide(makeRequest({ body, headers: urlencoded }), source, ''))[0]?.signup).toMatchObject({ email: 'ana@example.com' });
    expect(signupsOf(decide(makeRequest({ body, headers: urlencoded }), mapped, ''))[0]?.signup).toMatchObject({ email: 'friend@example.com' });
  });

  it('finds a name widget and a phone object in a fetch post of JSON, whatever the keys are called', () => {
    // Arrange
    const body = JSON.stringify({
      contato: 'ana@example.com',
      nome: { first: 'Ana', last: 'Souza' },
      telefone: { area: '11', phone: '987654321' },
      website: '',
    });
    // Act
    const [first] = signupsOf(decide(makeRequest({ body, headers: { 'content-type': 'application/json', origin: ORIGIN } }), source, ''));
    // Assert
    expect(first?.signup).toEqual({ email: 'ana@example.com', first_name: 'Ana', last_name: 'Souza', phone: '11 987654321' });
  });
});
