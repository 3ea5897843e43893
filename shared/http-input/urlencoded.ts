import { PayloadError } from './errors';
import { MAX_FORM_FIELDS, MAX_FORM_NESTING_DEPTH } from './limits';

/**
 * application/x-www-form-urlencoded, parsed on the raw bytes (WHATWG URL "urlencoded parser"):
 * '+' is a space, %XX is a byte, a malformed % sequence stays literal, and the bytes are UTF-8.
 * Bracketed names (`data[merges][FNAME]`, `tags[]`) can then be nested with `nestFormFields`.
 * Hand-written on purpose: on the Lambda path it measured faster than library parsers, and adds no dependency.
 */

export type FormField = Readonly<{ name: string; value: string }>;

const AMPERSAND = 0x26;
const EQUALS = 0x3d;
const PLUS = 0x2b;
const PERCENT = 0x25;
const SPACE = 0x20;

const utf8 = new TextDecoder('utf-8');

function hexDigit(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

/** Percent-decodes `bytes[start, end)` with '+' as space, then decodes UTF-8 (invalid bytes become U+FFFD). */
export function decodeFormComponent(bytes: Buffer, start = 0, end = bytes.length): string {
  const out = Buffer.allocUnsafe(end - start);
  let length = 0;
  for (let index = start; index < end; index += 1) {
    const byte = bytes[index] as number;
    if (byte === PLUS) {
      out[length++] = SPACE;
    } else if (byte === PERCENT && index + 2 < end && hexDigit(bytes[index + 1]) >= 0 && hexDigit(bytes[index + 2]) >= 0) {
      out[length++] = hexDigit(bytes[index + 1]) * 16 + hexDigit(bytes[index + 2]);
      index += 2;
    } else {
      out[length++] = byte;
    }
  }
  return utf8.decode(out.subarray(0, length));
}

/** Parses a urlencoded body into fields, in order. Empty names are skipped; more than `maxFields` is a 413. */
export function parseUrlEncoded(body: Buffer, maxFields = MAX_FORM_FIELDS): FormField[] {
  const fields: FormField[] = [];
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf(AMPERSAND, start);
    if (end === -1) end = body.length;
    if (end > start) {
      let equals = body.indexOf(EQUALS, start);
      if (equals === -1 || equals > end) equals = end;
      const name = decodeFormComponent(body, start, equals);
      if (name !== '') {
        if (fields.length >= maxFields) {
          throw new PayloadError(`The form has more than ${maxFields} fields`, { statusCode: 413 });
        }
        fields.push({ name, value: equals < end ? decodeFormComponent(body, equals + 1, end) : '' });
      }
    }
    start = end + 1;
  }
  return fields;
}

/** A nested form: `a[b][c]=1` -> { a: { b: { c: '1' } } }, `t[]=x&t[]=y` -> { t: ['x', 'y'] }. */
export interface FormTree {
  readonly [key: string]: FormValue;
}
export type FormValue = string | readonly string[] | FormTree;

type MutableTree = { [key: string]: string | string[] | MutableTree };

const newTree = (): MutableTree => Object.create(null) as MutableTree;

/** `data[merges][FNAME]` -> ['data', 'merges', 'FNAME']; `tags[]` -> ['tags', '']; malformed -> [name]. */
export function splitBracketName(name: string): string[] {
  const open = name.indexOf('[');
  if (open <= 0) return [name];
  const segments = [name.slice(0, open)];
  let rest = name.slice(open);
  while (rest.length > 0) {
    const match = /^\[([^[\]]*)\]/.exec(rest);
    if (!match || segments.length > MAX_FORM_NESTING_DEPTH) {
      // Unbalanced or too deep: the remainder is one literal key segment (as PHP and qs do).
      segments.push(rest);
      break;
    }
    segments.push(match[1] ?? '');
    rest = rest.slice(match[0].length);
  }
  return segments;
}

/**
 * Nests bracketed field names. On conflicts (`a=1&a[b]=2`) the first value wins and the later field is
 * dropped; `[]` appends to a list. The result has null-prototype objects: `__proto__` is a plain key.
 */
export function nestFormFields(fields: readonly FormField[]): FormTree {
  const root = newTree();
  for (const { name, value } of fields) {
    const segments = splitBracketName(name);
    const appends = segments.length > 1 && segments[segments.length - 1] === '';
    const path = appends ? segments.slice(0, -1) : segments;
    const parent = walkOrCreate(root, path.slice(0, -1));
    if (!parent) continue;
    const key = path[path.length - 1] as string;
    const existing = parent[key];
    if (appends) {
      if (existing === undefined) parent[key] = [value];
      else if (Array.isArray(existing)) existing.push(value);
    } else if (existing === undefined) {
      parent[key] = value;
    }
  }
  return root;
}

/** Descends `path`, creating missing levels; undefined when a level is already a value (a conflict). */
function walkOrCreate(root: MutableTree, path: readonly string[]): MutableTree | undefined {
  let node: MutableTree = root;
  for (const segment of path) {
    const next = node[segment];
    if (next === undefined) {
      const child = newTree();
      node[segment] = child;
      node = child;
    } else if (typeof next === 'object' && !Array.isArray(next)) {
      node = next;
    } else {
      return undefined;
    }
  }
  return node;
}

/** The value at a path in a nested form (own keys only), or undefined. */
export function formValueAt(tree: FormTree, path: readonly string[]): FormValue | undefined {
  let node: FormValue | undefined = tree;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    const record = node as FormTree;
    node = Object.hasOwn(record, segment) ? record[segment] : undefined;
  }
  return node;
}
