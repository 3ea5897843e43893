import { HttpProblemError, PayloadError } from '../../../shared/http-input/errors';
import { INTERNAL_ERROR_PROBLEM, UNAUTHORIZED_PROBLEM } from '../../../shared/http-input/problem-document';
import { logRefusal, toProblemResponse, toRefusal } from '../../../shared/http-input/refusal';
import { createLogger } from '../../../shared/logger';
import { SourceAuthError, SourceConfigError, SourceForbiddenError } from '../../../shared/sources/errors';

describe('toRefusal: the one error family -> problem+json', () => {
  it('answers payload and source errors with their status, title and safe detail', () => {
    // Act
    const payload = toProblemResponse(new PayloadError('The body is not valid JSON'));
    const forbidden = toRefusal(new SourceForbiddenError('Origin not allowed'));
    // Assert
    expect(payload.statusCode).toBe(400);
    expect(payload.headers).toEqual({ 'content-type': 'application/problem+json' });
    expect(JSON.parse(payload.body ?? '')).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The body is not valid JSON' });
    expect(forbidden).toEqual({ problem: { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'Origin not allowed' }, headers: {}, exposed: true });
  });

  it('answers every 401 the same, whatever failed', () => {
    // Act / Assert
    expect(toRefusal(new SourceAuthError('missing', 'signature', 'header absent')).problem).toEqual(UNAUTHORIZED_PROBLEM);
    expect(toRefusal(new SourceAuthError('invalid', 'token', 'unknown source id')).problem).toEqual(UNAUTHORIZED_PROBLEM);
  });

  it('keeps a 503 with its Retry-After, and hides configuration and unknown errors behind a generic 500', () => {
    // Act
    const unavailable = toRefusal(new HttpProblemError({ title: 'Service Unavailable', status: 503, detail: 'retry' }, { headers: { 'retry-after': '5' } }));
    // Assert
    expect(unavailable).toMatchObject({ problem: { status: 503 }, headers: { 'retry-after': '5' }, exposed: true });
    expect(toRefusal(new SourceConfigError('no secret for source news'))).toEqual({ problem: INTERNAL_ERROR_PROBLEM, headers: {}, exposed: false });
    expect(toRefusal(new TypeError('boom'))).toEqual({ problem: INTERNAL_ERROR_PROBLEM, headers: {}, exposed: false });
  });

  it('logs why (the auth failure, the config issues) and never the JSON parser message that quotes the body', () => {
    // Arrange
    const lines: string[] = [];
    const logger = createLogger('test', { write: (line) => lines.push(line) });
    // Act
    logRefusal(logger, new SourceAuthError('invalid', 'signature', 'timestamp too old'));
    logRefusal(logger, new SourceConfigError('Invalid sources configuration:', { issues: ['news: no secret'] }));
    let syntaxError: unknown;
    try {
      JSON.parse('{"email":"ada@example.com"');
    } catch (error) {
      syntaxError = error;
    }
    logRefusal(logger, new PayloadError('The body is not valid JSON', { cause: syntaxError }));
    // Assert
    const log = lines.join('\n');
    expect(log).toContain('timestamp too old');
    expect(log).toContain('news: no secret');
    expect(log).toContain('The body is not valid JSON');
    expect(log).not.toContain('ada@example.com');
  });
});
