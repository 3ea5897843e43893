import fc from 'fast-check';
import { CsvFieldTooLongError, CsvParser, parseCsv, type CsvRecord } from '../../../ops/csv';

/** The import's RFC 4180 parser. */

const fieldsOf = (records: readonly CsvRecord[]) => records.map((record) => record.fields);

describe('CsvParser', () => {
  it('reads plain and quoted fields, escaped quotes and CRLF', () => {
    expect(fieldsOf(parseCsv('a,b,c\r\n1,"two, with comma","say ""hi"""\r\n'))).toEqual([
      ['a', 'b', 'c'],
      ['1', 'two, with comma', 'say "hi"'],
    ]);
  });

  it('accepts LF and lone CR line breaks, and a last line without one', () => {
    expect(fieldsOf(parseCsv('a,b\n1,2\r3,4'))).toEqual([['a', 'b'], ['1', '2'], ['3', '4']]);
  });

  it('keeps line breaks inside quoted fields and numbers records by the physical line they start on', () => {
    // Act
    const records = parseCsv('h1,h2\r\n"one\r\ntwo\nthree",x\r\nnext,y\r\n');

    // Assert
    expect(records).toEqual([
      { fields: ['h1', 'h2'], line: 1 },
      { fields: ['one\r\ntwo\nthree', 'x'], line: 2 },
      { fields: ['next', 'y'], line: 5 },
    ]);
  });

  it('drops a UTF-8 byte order mark at the start only', () => {
    expect(fieldsOf(parseCsv('\uFEFFEmail,Name\r\n\uFEFFx,y'))).toEqual([['Email', 'Name'], ['\uFEFFx', 'y']]);
  });

  it('skips blank lines but keeps a line of empty fields', () => {
    expect(parseCsv('a\r\n\r\n\n,\r\n""\r\n')).toEqual([
      { fields: ['a'], line: 1 },
      { fields: ['', ''], line: 4 },
      { fields: [''], line: 5 },
    ]);
  });

  it('keeps a quote inside an unquoted field as a character', () => {
    expect(fieldsOf(parseCsv('5" screen,ok'))).toEqual([['5" screen', 'ok']]);
  });

  it('marks a record with text after a closing quote, and carries on with the next one', () => {
    // Act
    const records = parseCsv('"ab"c,d\r\nnext,row');

    // Assert
    expect(records[0]).toMatchObject({ line: 1, error: 'unexpected text after a closing quote on line 1' });
    expect(records[1]).toEqual({ fields: ['next', 'row'], line: 2 });
  });

  it('reports a quote that is never closed with the line it was opened on', () => {
    const records = parseCsv('a,b\r\n1,"open\r\n2,3\r\n');
    expect(records[1]).toMatchObject({ line: 2, error: 'a quoted field opened on line 2 is never closed' });
  });

  it('refuses a runaway field instead of reading the whole file into memory', () => {
    const parser = new CsvParser({ maxFieldChars: 10 });
    expect(() => parser.push('a,"0123456789abc')).toThrow(CsvFieldTooLongError);
  });

  it('gives the same records however the text is cut into chunks', () => {
    const cell = fc.oneof(
      fc.constantFrom('', 'a', '"', '""', ',', '\r\n', '\n', '\r', 'x"y', 'é', '😀'),
      fc.string({ maxLength: 6 }),
    );
    const quote = (value: string) => (/[",\r\n]/.test(value) || value === '' ? `"${value.replace(/"/g, '""')}"` : value);
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('\r\n', '\n'),
        (rows, cuts, newline) => {
          // Arrange: an RFC 4180 rendering of the rows (every field quoted when it has to be)
          const text = rows.map((row) => row.map(quote).join(',')).join(newline) + newline;

          // Act: feed it in chunks of the given sizes
          const parser = new CsvParser();
          const records: CsvRecord[] = [];
          let at = 0;
          for (let i = 0; at < text.length; i += 1) {
            const size = cuts[i % cuts.length]!;
            records.push(...parser.push(text.slice(at, at + size)));
            at += size;
          }
          records.push(...parser.end());

          // Assert
          expect(records).toEqual(parseCsv(text));
          expect(fieldsOf(records)).toEqual(rows);
        },
      ),
      { numRuns: 300 },
    );
  });
});
