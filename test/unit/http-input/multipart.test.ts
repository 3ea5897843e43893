import { parseContentType } from '../../../shared/http-input/body';
import { PayloadError } from '../../../shared/http-input/errors';
import { parseMultipart } from '../../../shared/http-input/multipart';

const contentType = (value: string) => {
  const parsed = parseContentType(value);
  if (!parsed) throw new Error('bad test content type');
  return parsed;
};

const part = (name: string, value: string, extra = '') => `Content-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}`;

function body(boundary: string, parts: string[], { preamble = '', epilogue = '', eol = '\r\n' } = {}): Buffer {
  const text = `${preamble}--${boundary}${eol}${parts.join(`${eol}--${boundary}${eol}`)}${eol}--${boundary}--${epilogue}`;
  return Buffer.from(eol === '\r\n' ? text : text.replace(/\r\n/g, '\n'), 'utf8');
}

describe('parseMultipart', () => {
  it('reads text fields in order, with multi-line and UTF-8 values', () => {
    // Arrange
    const bytes = body('XyZ', [part('email', 'ada@example.com'), part('notes', 'line 1\r\nline 2'), part('name', 'Zoë')]);
    // Act
    const fields = parseMultipart(bytes, contentType('multipart/form-data; boundary=XyZ'));
    // Assert
    expect(fields).toEqual([
      { name: 'email', value: 'ada@example.com' },
      { name: 'notes', value: 'line 1\r\nline 2' },
      { name: 'name', value: 'Zoë' },
    ]);
  });

  it('handles a quoted boundary with spaces, a preamble and an epilogue', () => {
    // Arrange
    const boundary = 'my boundary:1';
    const bytes = body(boundary, [part('a', '1')], { preamble: 'ignored preamble\r\n', epilogue: '\r\ntrailing junk' });
    // Act
    const fields = parseMultipart(bytes, contentType(`multipart/form-data; charset=utf-8; boundary="${boundary}"`));
    // Assert
    expect(fields).toEqual([{ name: 'a', value: '1' }]);
  });

  it('skips file parts, even with text content, and parts without a name', () => {
    // Arrange
    const bytes = body('b1', [
      part('avatar', '\u0000\u0001binary', '; filename="a.png"\r\nContent-Type: image/png'),
      'Content-Disposition: form-data\r\n\r\nno name',
      part('email', 'ada@example.com'),
    ]);
    // Act
    const fields = parseMultipart(bytes, contentType('multipart/form-data; boundary=b1'));
    // Assert
    expect(fields).toEqual([{ name: 'email', value: 'ada@example.com' }]);
  });

  it('accepts empty values, bare LF line breaks and names with quoted semicolons', () => {
    // Arrange
    const bytes = body('b2', [part('empty', ''), part('a;b', 'x')], { eol: '\n' });
    // Act
    const fields = parseMultipart(bytes, contentType('multipart/form-data; boundary=b2'));
    // Assert
    expect(fields).toEqual([
      { name: 'empty', value: '' },
      { name: 'a;b', value: 'x' },
    ]);
  });

  it.each([
    ['no boundary', 'multipart/form-data', body('b', [part('a', '1')])],
    ['an invalid boundary', 'multipart/form-data; boundary="bad\u0001"', body('b', [part('a', '1')])],
    ['a truncated body', 'multipart/form-data; boundary=b', Buffer.from(`--b\r\n${part('a', 'unterminated')}`)],
    ['no delimiter at all', 'multipart/form-data; boundary=b', Buffer.from('just text')],
    ['headers that never end', 'multipart/form-data; boundary=b', Buffer.from('--b\r\nContent-Disposition: form-data; name="a"')],
  ])('refuses %s with 400', (_label, type, bytes) => {
    // Act
    const act = () => parseMultipart(bytes, contentType(type));
    // Assert
    expect(act).toThrow(PayloadError);
    expect(act).toThrow(expect.objectContaining({ statusCode: 400 }));
  });

  it('refuses more parts than the limit with 413', () => {
    // Arrange
    const bytes = body('b', [part('a', '1'), part('b', '2'), part('c', '3')]);
    // Act
    const act = () => parseMultipart(bytes, contentType('multipart/form-data; boundary=b'), 2);
    // Assert
    expect(act).toThrow(expect.objectContaining({ statusCode: 413 }));
  });
});
