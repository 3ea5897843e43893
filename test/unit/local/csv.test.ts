import fc from 'fast-check';
import { CsvReader, type CsvRecord, parseCsv } from '../../../ops/csv';
import { CliError } from '../../../ops/errors';

/** The import's CSV reader: csv-parse with the options the import relies on, and physical line numbers. */

const fieldsOf = (records: readonly CsvRecord[]) => records.map((record) => record.fields);

describe('CsvReader', () => {
  it('reads plain and quoted fields, escaped quotes and CRLF', () => {
    expect(fieldsOf(parseCsv('a,b,c\r\n1,"two, with comma","say ""hi"""\r\n'))).toEqual([
      ['a', 'b', 'c'],
      ['1', 'two, with comma', 'say "hi"'],
    ]);
  });

  it('accepts LF and lone CR line breaks in one file, and a last line without one', () => {
    expect(parseCsv('a,b\n1,2\r3,4')).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
      { fields: ['3', '4'], line: 3 },
    ]);
  });

  it('keeps line breaks inside quoted fields and numbers records by the physical line they start on', () => {
    // Act
    const records = parseCsv('h1,h2\r\n"one\r\ntwo\nthree",x\r\nnext,y\r\n"a\r\nb",z\r\nlast,row\r\n');

    // Assert: a CRLF inside quotes is one line (csv-parse's own count makes it two)
    expect(records).toEqual([
      { fields: ['h1', 'h2'], line: 1 },
      { fields: ['one\r\ntwo\nthree', 'x'], line: 2 },
      { fields: ['next', 'y'], line: 5 },
      { fields: ['a\r\nb', 'z'], line: 6 },
      { fields: ['last', 'row'], line: 8 },
    ]);
  });

  it('drops a UTF-8 byte order mark at the start only, also when split between chunks', () => {
    // Arrange
    const bytes = Buffer.from('\uFEFFEmail,Name\r\n\uFEFFx,y');
    const reader = new CsvReader();

    // Act
    const records = [...reader.push(bytes.subarray(0, 1)), ...reader.push(bytes.subarray(1, 2)), ...reader.push(bytes.subarray(2)), ...reader.end()];

    // Assert
    expect(records).toEqual([
      { fields: ['Email', 'Name'], line: 1 },
      { fields: ['\uFEFFx', 'y'], line: 2 },
    ]);
  });

  it('skips blank lines but keeps a line of empty fields, counting the blank lines', () => {
    expect(parseCsv('a\r\n\r\n\n,\r\n""\r\n')).toEqual([
      { fields: ['a'], line: 1 },
      { fields: ['', ''], line: 4 },
      { fields: [''], line: 5 },
    ]);
  });

  it('keeps a quote inside an unquoted field, and text after a closing quote, as written', () => {
    expect(fieldsOf(parseCsv('5" screen,ok\r\n"ab"c,d\r\nnext,row'))).toEqual([
      ['5" screen', 'ok'],
      ['"ab"c', 'd'],
      ['next', 'row'],
    ]);
  });

  it('reads another delimiter, quoted where it is part of a value', () => {
    expect(fieldsOf(parseCsv('a;b\r\n"x;y";z\r\n', { delimiter: ';' }))).toEqual([
      ['a', 'b'],
      ['x;y', 'z'],
    ]);
    expect(() => new CsvReader({ delimiter: '"' })).toThrow(RangeError);
  });

  it('reports a quote that is never closed as a record error on the line it starts', () => {
    const records = parseCsv('a,b\r\n1,2\r\n\r\n3,"open\r\n4,5\r\n');
    expect(records).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
      { fields: [], line: 4, error: expect.stringContaining('quoted field is never closed') },
    ]);
  });

  it('refuses a runaway record, naming its line, instead of reading the whole file into memory', () => {
    const reader = new CsvReader({ maxRecordBytes: 10 });
    let thrown: unknown;
    try {
      reader.push('a\r\nb\r\nc,"0123456789abcdefghijklmnop');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliError);
    expect((thrown as Error).message).toBe('The record starting on line 3 is longer than 10 bytes; is a quote left open?');
  });

  it('gives the same records and lines however the bytes are cut into chunks', () => {
    const cell = fc.oneof(fc.constantFrom('', 'a', '"', '""', ',', '\r\n', '\n', '\r', 'x"y', 'é', '😀'), fc.string({ maxLength: 6 }));
    const quote = (value: string) => (/[",\r\n]/.test(value) || value === '' ? `"${value.replace(/"/g, '""')}"` : value);
    const lineBreaks = (text: string) => (text.match(/\r\n|\r|\n/g) ?? []).length;
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 20 }),
        fc.constantFrom('\r\n', '\n', '\r'),
        (rows, cuts, newline) => {
          // Arrange: an RFC 4180 rendering of the rows (every field quoted when it has to be), in bytes
          const rendered = rows.map((row) => row.map(quote).join(','));
          const bytes = Buffer.from(rendered.join(newline) + newline);
          const expectedLines = rendered.map((_, index) => 1 + index + rendered.slice(0, index).reduce((sum, row) => sum + lineBreaks(row), 0));

          // Act: feed it in chunks of the given sizes (a cut may split a UTF-8 character or a CRLF)
          const reader = new CsvReader();
          const records: CsvRecord[] = [];
          let at = 0;
          for (let i = 0; at < bytes.length; i += 1) {
            const size = cuts[i % cuts.length]!;
            records.push(...reader.push(bytes.subarray(at, at + size)));
            at += size;
          }
          records.push(...reader.end());

          // Assert
          expect(fieldsOf(records)).toEqual(rows);
          expect(records.map((record) => record.line)).toEqual(expectedLines);
        },
      ),
      { numRuns: 300 },
    );
  });
});
