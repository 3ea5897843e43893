import { PayloadError } from '../../../shared/http-input/errors';
import { formValueAt, nestFormFields, parseUrlEncoded, splitBracketName } from '../../../shared/http-input/urlencoded';

const parse = (text: string) => parseUrlEncoded(Buffer.from(text, 'utf8'));

describe('parseUrlEncoded', () => {
  it('decodes +, percent escapes and UTF-8, keeping order and repeats', () => {
    // Act
    const fields = parse('a=1+2&b=%C3%A9t%C3%A9&a=3&c=caf%c3%a9%21&empty=&flag');
    // Assert
    expect(fields).toEqual([
      { name: 'a', value: '1 2' },
      { name: 'b', value: 'été' },
      { name: 'a', value: '3' },
      { name: 'c', value: 'café!' },
      { name: 'empty', value: '' },
      { name: 'flag', value: '' },
    ]);
  });

  it('leaves malformed escapes literal and skips empty pairs and names', () => {
    // Act
    const fields = parse('&&x=100%&y=%zz%4&=orphan&z=%E2%82%AC');
    // Assert
    expect(fields).toEqual([
      { name: 'x', value: '100%' },
      { name: 'y', value: '%zz%4' },
      { name: 'z', value: '€' },
    ]);
  });

  it('decodes raw UTF-8 bytes and replaces invalid sequences instead of throwing', () => {
    // Act
    const fields = parseUrlEncoded(Buffer.concat([Buffer.from('n=Zoë&bad='), Buffer.from([0xff, 0xfe])]));
    // Assert
    expect(fields[0]).toEqual({ name: 'n', value: 'Zoë' });
    expect(fields[1]?.value).toBe('\uFFFD\uFFFD');
  });

  it('refuses more fields than the limit with 413', () => {
    // Act
    const act = () => parseUrlEncoded(Buffer.from('a=1&b=2&c=3'), 2);
    // Assert
    expect(act).toThrow(PayloadError);
    expect(act).toThrow(expect.objectContaining({ statusCode: 413 }));
  });
});

describe('bracket keys', () => {
  it('splits bracketed names, keeping malformed ones whole', () => {
    // Act / Assert
    expect(splitBracketName('data[merges][FNAME]')).toEqual(['data', 'merges', 'FNAME']);
    expect(splitBracketName('tags[]')).toEqual(['tags', '']);
    expect(splitBracketName('plain')).toEqual(['plain']);
    expect(splitBracketName('[leading]')).toEqual(['[leading]']);
    expect(splitBracketName('a[b')).toEqual(['a', '[b']);
  });

  it('nests Mailchimp-style fields and lists', () => {
    // Arrange
    const fields = parse('type=subscribe&data[merges][FNAME]=Ada&data[merges][LNAME]=Lovelace&data[email]=ada@example.com&tags[]=a&tags[]=b');
    // Act
    const tree = nestFormFields(fields);
    // Assert
    expect(formValueAt(tree, ['data', 'merges', 'FNAME'])).toBe('Ada');
    expect(formValueAt(tree, ['data', 'email'])).toBe('ada@example.com');
    expect(formValueAt(tree, ['tags'])).toEqual(['a', 'b']);
    expect(formValueAt(tree, ['type'])).toBe('subscribe');
    expect(formValueAt(tree, ['data', 'missing'])).toBeUndefined();
  });

  it('keeps the first value on conflicts and never touches Object.prototype', () => {
    // Arrange
    const fields = parse('a=1&a[b]=2&__proto__[polluted]=yes&constructor[prototype][x]=1&d[e]=1&d=2');
    // Act
    const tree = nestFormFields(fields);
    // Assert
    expect(formValueAt(tree, ['a'])).toBe('1');
    expect(formValueAt(tree, ['d', 'e'])).toBe('1');
    expect(formValueAt(tree, ['__proto__', 'polluted'])).toBe('yes');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(formValueAt(tree, ['toString'])).toBeUndefined();
  });
});
