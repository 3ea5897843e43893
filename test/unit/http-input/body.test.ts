import { checkBatchSize, checkBodySize, parseContentType, parseJsonBody } from '../../../shared/http-input/body';
import { PayloadError } from '../../../shared/http-input/errors';
import { MAX_SIGNUPS_PER_REQUEST } from '../../../shared/http-input/limits';
import type { RawRequest } from '../../../shared/http-input/request';

const request = (body: string | Buffer, contentType?: string): Pick<RawRequest, 'headers' | 'body'> => ({
  headers: contentType === undefined ? {} : { 'content-type': contentType },
  body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
});

describe('parseJsonBody', () => {
  it('parses JSON and +json bodies under either content-type rule, dropping a leading BOM', () => {
    // Act / Assert
    expect(parseJsonBody(request('{"a":1}', 'application/json; charset=utf-8'), 'required')).toEqual({ a: 1 });
    expect(parseJsonBody(request('[1]', 'application/cloudevents+json'), 'lenient')).toEqual([1]);
    expect(parseJsonBody(request('\uFEFF{"a":1}', 'application/json'), 'required')).toEqual({ a: 1 });
  });

  it('requires a JSON content type under `required`, and tolerates a missing one or text/plain under `lenient`', () => {
    // Act / Assert
    for (const contentType of [undefined, 'text/plain', 'application/x-www-form-urlencoded']) {
      expect(() => parseJsonBody(request('{}', contentType), 'required')).toThrow(expect.objectContaining({ statusCode: 415, field: 'content-type' }));
    }
    expect(parseJsonBody(request('{}'), 'lenient')).toEqual({});
    expect(parseJsonBody(request('{}', 'text/plain'), 'lenient')).toEqual({});
    expect(() => parseJsonBody(request('<x/>', 'application/xml'), 'lenient')).toThrow(expect.objectContaining({ statusCode: 415 }));
  });

  it('answers 400 to empty, non-UTF-8 and malformed bodies without echoing them', () => {
    // Act
    const refusals = [request('  \n'), request(Buffer.from([0x7b, 0xff, 0x7d])), request('{"email":"ada@example.com"')].map((input) => {
      try {
        parseJsonBody(input, 'lenient');
        return undefined;
      } catch (error) {
        return error;
      }
    });
    // Assert
    expect(refusals.map((error) => (error as PayloadError).statusCode)).toEqual([400, 400, 400]);
    expect(refusals.every((error) => error instanceof PayloadError)).toBe(true);
    expect(refusals.map((error) => (error as PayloadError).message)).toEqual([
      'The body is empty; expected JSON',
      'The body is not valid UTF-8',
      'The body is not valid JSON',
    ]);
    expect(JSON.stringify(refusals.map((error) => (error as PayloadError).problem))).not.toContain('ada@example.com');
  });
});

describe('limits', () => {
  it('answers 413 above the body cap and above MAX_SIGNUPS_PER_REQUEST, and nothing at the limit', () => {
    // Act / Assert
    expect(() => checkBodySize(Buffer.alloc(10), 10)).not.toThrow();
    expect(() => checkBodySize(Buffer.alloc(11), 10)).toThrow(expect.objectContaining({ statusCode: 413, message: 'The body is larger than 10 bytes' }));
    expect(() => checkBatchSize(MAX_SIGNUPS_PER_REQUEST)).not.toThrow();
    expect(() => checkBatchSize(MAX_SIGNUPS_PER_REQUEST + 1)).toThrow(expect.objectContaining({ statusCode: 413 }));
  });
});

describe('parseContentType', () => {
  it('lower-cases the media type and parameter names, and unquotes values', () => {
    // Act / Assert
    expect(parseContentType('Multipart/Form-Data; Boundary="a;b \\"c"')).toEqual({ mediaType: 'multipart/form-data', params: { boundary: 'a;b "c' } });
    expect(parseContentType(' ')).toBeUndefined();
  });
});
