import { randomInt } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { ROUTE_TOKEN_PATTERN, sourceRouteSegment } from '../shared/sources/source-config';
import { CliError } from './errors';

/**
 * `signup-sync route-tokens`: gives every webhook source in cdk.json a `routeToken` once, so its URL is
 * /sources/<id>-<routeToken> and cannot be guessed from the id (docs/security.md, "Guessable routes and a
 * flood of bad signatures"). The token lives in cdk.json because a sender keeps the URL it was given:
 * it must survive every redeploy, and synth cannot read a secret. Tokens already there are kept; html-form
 * sources get none (their URL is printed in the page).
 *
 * cdk.json is edited in place, one property inserted after each source's `"id"`, so its formatting and
 * everything else in it stay as they were; the result is parsed back and compared before it is written.
 */

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
/** 20 characters of 36: about 103 bits, far beyond guessing at any request rate API Gateway allows. */
const TOKEN_LENGTH = 20;

export function newRouteToken(): string {
  let token = '';
  for (let index = 0; index < TOKEN_LENGTH; index += 1) token += ALPHABET[randomInt(ALPHABET.length)];
  return token;
}

type RawSource = Record<string, unknown> & { id?: unknown; kind?: unknown; routeToken?: unknown };

export type RouteTokensResult = Readonly<{
  /** cdk.json's new text (unchanged when nothing was added). */
  text: string;
  /** Ids that got a token now. */
  added: readonly string[];
  /** Every source's path, as the stack serves it after the next deploy. */
  paths: readonly Readonly<{ id: string; kind: string; path: string }>[];
}>;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Inserts `"routeToken": …` after the only `"id": "<id>"` of the text, in the style of the object around it. */
function insertAfterId(text: string, id: string, token: string): string | undefined {
  const matches = [...text.matchAll(new RegExp(`"id"\\s*:\\s*"${escapeRegExp(id)}"`, 'g'))];
  if (matches.length !== 1) return undefined;
  const end = matches[0]!.index! + matches[0]![0].length;
  const after = text.slice(end);
  const lineStart = text.lastIndexOf('\n', matches[0]!.index!) + 1;
  const indent = /^[ \t]*/.exec(text.slice(lineStart))![0];
  // One property per line: put the token on a line of its own, indented like the id.
  const multiline = /^[ \t]*,?[ \t]*\r?\n/.test(after);
  const property = `"routeToken": "${token}"`;
  return `${text.slice(0, end)}${multiline ? `,\n${indent}${property}` : `, ${property}`}${after}`;
}

function sourcesOf(parsed: unknown): RawSource[] | undefined {
  const sources = (parsed as { context?: { signupSync?: { sources?: unknown } } } | undefined)?.context?.signupSync?.sources;
  return Array.isArray(sources) ? (sources as RawSource[]) : undefined;
}

/** Adds the missing route tokens to cdk.json's text. Throws when the text is not a cdk.json it can edit. */
export function addRouteTokens(text: string, generate: () => string = newRouteToken): RouteTokensResult {
  const parsed = JSON.parse(text) as unknown;
  const sources = sourcesOf(parsed);
  if (sources === undefined) return { text, added: [], paths: [] };
  const expected = JSON.parse(text) as unknown;
  const expectedSources = sourcesOf(expected)!;
  let edited = text;
  let inPlace = true;
  const added: string[] = [];
  sources.forEach((source, index) => {
    if (typeof source !== 'object' || source === null || typeof source.id !== 'string') return;
    if (source.kind === 'html-form' || source.routeToken !== undefined) return;
    const token = generate();
    if (!ROUTE_TOKEN_PATTERN.test(token)) throw new Error('route-tokens: a generated token does not fit the pattern');
    expectedSources[index]!.routeToken = token;
    added.push(source.id);
    const next = inPlace ? insertAfterId(edited, source.id, token) : undefined;
    if (next === undefined) inPlace = false;
    else edited = next;
  });
  let result = edited;
  // The in-place edit must yield exactly the intended object; otherwise the whole file is written anew.
  if (!inPlace || !isDeepStrictEqual(safeParse(edited), expected)) result = `${JSON.stringify(expected, null, 2)}\n`;
  const paths = expectedSources
    .filter((source): source is RawSource & { id: string } => typeof source === 'object' && source !== null && typeof source.id === 'string')
    .map((source) => ({
      id: source.id,
      kind: String(source.kind),
      path: `/sources/${sourceRouteSegment({ id: source.id, ...(typeof source.routeToken === 'string' ? { routeToken: source.routeToken } : {}) })}`,
    }));
  return { text: added.length > 0 ? result : text, added, paths };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The command: edits cdk.json (when a token is missing) and prints every source's path. */
export function runRouteTokens(cdkJsonPath: string, io: Readonly<{ out: (text: string) => void }>): number {
  let text: string;
  try {
    text = readFileSync(cdkJsonPath, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${cdkJsonPath}: ${(error as Error).message}`, { cause: error });
  }
  let result: RouteTokensResult;
  try {
    result = addRouteTokens(text);
  } catch (error) {
    throw new CliError(`${cdkJsonPath} is not JSON this command can edit: ${(error as Error).message}`, { cause: error });
  }
  if (result.added.length > 0) writeFileSync(cdkJsonPath, result.text);
  const width = Math.max(0, ...result.paths.map((source) => source.id.length));
  io.out(
    [
      result.added.length > 0
        ? `Added a routeToken to ${result.added.join(', ')} in ${cdkJsonPath}.`
        : `Every webhook source in ${cdkJsonPath} already has a routeToken; nothing changed.`,
      ...(result.paths.length > 0 ? ['', "Paths after the next `cdk deploy` (prefix each with the stack's ApiUrl output):"] : []),
      ...result.paths.map((source) => `  ${source.id.padEnd(width)}  ${source.path}`),
      ...(result.added.length > 0
        ? [
            '',
            'Next: cdk deploy, then give each sender its new URL (the SourceUrl… outputs; `signup-sync doctor` lists them). Until then a',
            "sender's old URL /sources/<id> is answered 401. Keep cdk.json's tokens: a new token is a new URL at every sender.",
          ]
        : []),
    ].join('\n'),
  );
  return 0;
}
