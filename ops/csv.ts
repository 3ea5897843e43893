import { type Parser, parse } from 'csv-parse';
import { CliError } from './errors';

/**
 * The import's CSV reader: csv-parse, fed the file chunk by chunk, with the physical line each record
 * starts on (what an editor shows, and what `--from-line` takes).
 *
 * csv-parse reads quoted fields, "" escapes, line breaks inside quotes and a UTF-8 byte order mark.
 * Options: CRLF, LF and a lone CR all end a record (exports mix them); blank lines are no record; a
 * quote inside an unquoted field, or text after a closing quote, is kept as written (`relax_quotes`);
 * a row's field count is checked by the import, which names the line (`relax_column_count`).
 * csv-parse's own `info.lines` counts a CRLF inside a quoted field twice, so lines are counted here
 * from the byte offset each record ends at.
 */

export type CsvRecord = Readonly<{
  fields: string[];
  /** 1-based physical line the record starts on. */
  line: number;
  /** Set when the record could not be read (a quote never closed); `fields` is then empty. */
  error?: string;
}>;

export type CsvReaderOptions = Readonly<{
  delimiter?: string;
  /** Longest record accepted, in bytes, so an unclosed quote cannot take the whole file into memory. */
  maxRecordBytes?: number;
}>;

const CR = 0x0d;
const LF = 0x0a;

/** Counts physical lines over the bytes fed so far; keeps only the bytes not yet scanned. */
class LineCounter {
  private pending: Buffer[] = [];
  /** Line of the next byte to scan. */
  private line = 1;
  private afterCr = false;

  feed(chunk: Buffer): void {
    if (chunk.length > 0) this.pending.push(chunk);
  }

  /**
   * Scans `bytes` further bytes (one record and the blank lines before it); returns the line of its
   * first byte that is not a line break, i.e. the line the record starts on.
   */
  advance(bytes: number): number {
    let startLine: number | undefined;
    let left = bytes;
    while (left > 0 && this.pending.length > 0) {
      const chunk = this.pending[0]!;
      const take = Math.min(left, chunk.length);
      for (let i = 0; i < take; i += 1) {
        const byte = chunk[i];
        if (byte === CR) {
          this.line += 1;
          this.afterCr = true;
        } else if (byte === LF) {
          if (!this.afterCr) this.line += 1;
          this.afterCr = false;
        } else {
          startLine ??= this.line;
          this.afterCr = false;
        }
      }
      left -= take;
      if (take === chunk.length) this.pending.shift();
      else this.pending[0] = chunk.subarray(take);
    }
    return startLine ?? this.line;
  }
}

export class CsvReader {
  private readonly parser: Parser;
  private readonly lines = new LineCounter();
  private readonly maxRecordBytes: number;
  private records: CsvRecord[] = [];
  /** Byte offset after the last record handed out. */
  private consumed = 0;
  private fed = 0;
  private failed = false;

  constructor({ delimiter = ',', maxRecordBytes = 1024 * 1024 }: CsvReaderOptions = {}) {
    if (delimiter.length !== 1 || /["\r\n]/.test(delimiter)) throw new RangeError('The delimiter must be one character other than a quote or a line break');
    this.maxRecordBytes = maxRecordBytes;
    this.parser = parse({
      bom: true,
      delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      skip_empty_lines: true,
      relax_quotes: true,
      relax_column_count: true,
      max_record_size: maxRecordBytes,
      // Records are taken here, synchronously, as each chunk is written; none reach the stream's
      // readable side, so a parse error at the end cannot discard records already read.
      on_record: (record: string[]) => {
        // `info.bytes` is the offset just after this record (its line break included).
        const { bytes } = this.parser.info;
        this.records.push({ fields: record, line: this.lines.advance(bytes - this.consumed) });
        this.consumed = bytes;
        return null;
      },
    });
    // Errors are read from `parser.errored` after each write; the listener keeps them from being thrown.
    this.parser.on('error', () => undefined);
  }

  /** Parses a chunk of the file; returns the records it completed. */
  push(chunk: Buffer | string): CsvRecord[] {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.fed += bytes.length;
    this.lines.feed(bytes);
    this.parser.write(bytes);
    return this.take();
  }

  /** Ends the input; returns the last records, if any. */
  end(): CsvRecord[] {
    this.parser.end();
    return this.take();
  }

  private take(): CsvRecord[] {
    const records = this.records;
    this.records = [];
    const error = this.parser.errored as (Error & { code?: string }) | null;
    if (error && !this.failed) {
      this.failed = true;
      // The record the error is about starts after the last one read.
      const line = this.lines.advance(this.fed - this.consumed);
      this.consumed = this.fed;
      if (error.code === 'CSV_MAX_RECORD_SIZE')
        throw new CliError(`The record starting on line ${line} is longer than ${this.maxRecordBytes} bytes; is a quote left open?`, { cause: error });
      if (error.code === 'CSV_QUOTE_NOT_CLOSED')
        records.push({ fields: [], line, error: 'a quoted field is never closed (the rest of the file would be in it)' });
      else throw error;
    }
    return records;
  }
}

/** Parses a whole text (tests, small inputs). */
export function parseCsv(text: string, options?: CsvReaderOptions): CsvRecord[] {
  const reader = new CsvReader(options);
  return [...reader.push(text), ...reader.end()];
}
