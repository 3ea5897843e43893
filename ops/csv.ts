/**
 * A streaming RFC 4180 CSV parser: quoted fields, "" as an escaped quote, CRLF (and LF, and a lone
 * CR) line breaks, line breaks inside quoted fields, a UTF-8 byte order mark. Text is pushed in
 * chunks of any size (a CRLF or a "" may be split between chunks); complete records come out with the
 * physical line they start on, so errors and `--from-line` refer to what an editor shows.
 *
 * Lenient where real exports are sloppy: a quote inside an unquoted field is kept as a character.
 * Strict where data would be lost: text after a closing quote, and a quote never closed, make the
 * record carry an `error` (the caller reports it; parsing continues with the next record).
 */

export type CsvRecord = Readonly<{
  fields: string[];
  /** 1-based physical line the record starts on. */
  line: number;
  error?: string;
}>;

export class CsvFieldTooLongError extends Error {
  constructor(readonly line: number, limit: number) {
    super(`A field starting on line ${line} is longer than ${limit} characters; is a quote left open?`);
    this.name = 'CsvFieldTooLongError';
  }
}

const State = {
  FieldStart: 0,
  Unquoted: 1,
  Quoted: 2,
  /** Inside a quoted field, just after a quote: an escaped quote, or the end of the field. */
  QuoteInQuoted: 3,
  /** After a closing quote followed by other text (an error), up to the next delimiter. */
  AfterGarbage: 4,
} as const;
type State = (typeof State)[keyof typeof State];

export type CsvParserOptions = Readonly<{
  delimiter?: string;
  /** Longest field accepted, so an unclosed quote cannot take the whole file into memory. */
  maxFieldChars?: number;
}>;

export class CsvParser {
  private readonly delimiter: string;
  private readonly maxFieldChars: number;
  private state: State = State.FieldStart;
  /** The last character of the previous chunk (a CRLF may be split between chunks). */
  private lastChar: string | undefined;
  private field = '';
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private error: string | undefined;
  private started = false;
  /** The previous chunk ended with CR: an LF at the start of this one belongs to it. */
  private skipLf = false;
  private recordHasContent = false;

  constructor({ delimiter = ',', maxFieldChars = 1024 * 1024 }: CsvParserOptions = {}) {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\r' || delimiter === '\n') throw new RangeError('The delimiter must be one character other than a quote or a line break');
    this.delimiter = delimiter;
    this.maxFieldChars = maxFieldChars;
  }

  /** Parses a chunk; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    const records: CsvRecord[] = [];
    let text = chunk;
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const length = text.length;
    for (let i = 0; i < length; i += 1) {
      const char = text[i]!;
      if (this.skipLf) {
        this.skipLf = false;
        if (char === '\n') continue;
      }
      switch (this.state) {
        case State.FieldStart:
          if (char === '"') {
            this.state = State.Quoted;
            this.quoteLine = this.line;
            this.recordHasContent = true;
          } else if (char === this.delimiter) {
            this.endField();
            this.recordHasContent = true;
          } else if (char === '\r' || char === '\n') {
            this.endRecord(records, char);
          } else {
            this.state = State.Unquoted;
            this.recordHasContent = true;
            // Take the run of plain characters at once.
            const end = this.plainRunEnd(text, i);
            this.append(text.slice(i, end));
            i = end - 1;
          }
          break;
        case State.Unquoted:
        case State.AfterGarbage:
          if (char === this.delimiter) this.endField();
          else if (char === '\r' || char === '\n') this.endRecord(records, char);
          else {
            const end = this.plainRunEnd(text, i);
            this.append(text.slice(i, end));
            i = end - 1;
          }
          break;
        case State.Quoted: {
          if (char === '"') {
            this.state = State.QuoteInQuoted;
            break;
          }
          // Everything up to the next quote is content, line breaks included.
          let end = text.indexOf('"', i);
          if (end === -1) end = length;
          const run = text.slice(i, end);
          this.countLines(run, i > 0 ? text[i - 1] : this.lastChar);
          this.append(run);
          i = end - 1;
          break;
        }
        case State.QuoteInQuoted:
          if (char === '"') {
            this.append('"');
            this.state = State.Quoted;
          } else if (char === this.delimiter) {
            this.endField();
          } else if (char === '\r' || char === '\n') {
            this.endRecord(records, char);
          } else {
            this.error ??= `unexpected text after a closing quote on line ${this.line}`;
            this.append(char);
            this.state = State.AfterGarbage;
          }
          break;
      }
    }
    if (length > 0) this.lastChar = text[length - 1];
    return records;
  }

  /** Ends the input; returns the last record, if any. */
  end(): CsvRecord[] {
    const records: CsvRecord[] = [];
    if (this.state === State.Quoted) this.error ??= `a quoted field opened on line ${this.quoteLine} is never closed`;
    if (this.recordHasContent || this.fields.length > 0 || this.field !== '') this.emit(records);
    this.reset();
    return records;
  }

  private plainRunEnd(text: string, from: number): number {
    let end = from;
    while (end < text.length) {
      const c = text[end];
      if (c === this.delimiter || c === '\r' || c === '\n') break;
      end += 1;
    }
    return end;
  }

  /** Line breaks inside a quoted field still count as physical lines (CRLF once). */
  private countLines(run: string, before: string | undefined): void {
    for (let j = 0; j < run.length; j += 1) {
      const c = run[j];
      if (c === '\n') {
        if ((j > 0 ? run[j - 1] : before) !== '\r') this.line += 1;
      } else if (c === '\r') {
        this.line += 1;
      }
    }
  }

  private append(text: string): void {
    this.field += text;
    if (this.field.length > this.maxFieldChars) throw new CsvFieldTooLongError(this.recordLine, this.maxFieldChars);
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
  }

  private endRecord(records: CsvRecord[], lineBreak: string): void {
    // A blank line is no record.
    if (this.recordHasContent || this.fields.length > 0 || this.field !== '') this.emit(records);
    this.reset();
    this.line += 1;
    this.recordLine = this.line;
    if (lineBreak === '\r') this.skipLf = true;
  }

  private emit(records: CsvRecord[]): void {
    this.fields.push(this.field);
    records.push({ fields: this.fields, line: this.recordLine, ...(this.error ? { error: this.error } : {}) });
  }

  private reset(): void {
    this.fields = [];
    this.field = '';
    this.state = State.FieldStart;
    this.error = undefined;
    this.recordHasContent = false;
  }
}

/** Parses a whole string (tests, small inputs). */
export function parseCsv(text: string, options?: CsvParserOptions): CsvRecord[] {
  const parser = new CsvParser(options);
  return [...parser.push(text), ...parser.end()];
}
