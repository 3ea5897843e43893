import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CAPTCHA_PROVIDERS } from '../../../shared/captcha/verify-captcha';
import { MAX_SOURCES_CONFIG_BYTES, stackConfigSchema } from '../../../shared/deployment/stack-config';
import { MAX_CANONICAL_BODY_BYTES, MAX_SIGNUPS_PER_REQUEST, MAX_SOURCE_BODY_BYTES } from '../../../shared/http-input/limits';
import { DEFAULT_DELIVERY_RETENTION_SECONDS } from '../../../shared/ingest/delivery-ledger';
import { DEAD_LETTER_RETENTION_SECONDS, SIGNUP_RETENTION_SECONDS } from '../../../shared/queue/queue-settings';
import { MAX_CUSTOMERS_PER_REQUEST } from '../../../shared/sync/sync-engine';

/**
 * What the docs say about limits and features, read from the docs and compared with the code's own
 * constants (imported, never copied here): body size per route, signups per request, customers per
 * BigCommerce request, the CAPTCHA providers (and no sentence saying CAPTCHA is not verified), the
 * retention of the delivery ledger, the queues and the logs, every default in configuration.md's
 * settings tables, the README's size and its monthly cost figure against docs/benchmarks.md.
 * A failure names the file and line, what it says, and what the code says.
 */

const ROOT = path.resolve(__dirname, '../../..');

type Doc = Readonly<{ file: string; text: string; lines: readonly string[] }>;

function readDoc(file: string): Doc {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  return { file, text, lines: text.split('\n') };
}

/** Every page a reader of the repository meets: README, docs/*.md, the sandbox's README. */
const DOCS: readonly Doc[] = [
  'README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  'local/bigcommerce-sandbox/README.md',
].map(readDoc);

/** Written by `npm run bench` and `npm run chaos`: measurements, not statements of limits (the cost figure is read from benchmarks.md on its own). */
const GENERATED = new Set(['docs/benchmarks.md', 'docs/chaos.md']);

const doc = (file: string): Doc => DOCS.find((candidate) => candidate.file === file) ?? readDoc(file);

/** Each line of every doc, with where it is. */
const allLines = (docs: readonly Doc[] = DOCS.filter((d) => !GENERATED.has(d.file))) =>
  docs.flatMap((d) => d.lines.map((line, index) => ({ where: `${d.file}:${index + 1}`, line })));

// ---------------------------------------------------------------------------------------------------
// Sizes

const UNITS: Readonly<Record<string, number>> = { KiB: 1024, MiB: 1024 * 1024, KB: 1000, kB: 1000, MB: 1000 * 1000, bytes: 1 };
const SIZE = /(\d[\d,]*(?:\.\d+)?)\s?(KiB|MiB|KB|kB|MB|bytes)\b/g;

function sizesIn(line: string): { bytes: number; index: number; text: string }[] {
  return [...line.matchAll(SIZE)].map((match) => ({ bytes: Number(match[1]!.replace(/,/g, '')) * UNITS[match[2]!]!, index: match.index, text: match[0] }));
}

/** How the docs write a limit: 262144 -> "256 KiB", 1048576 -> "1 MiB". */
function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes.toLocaleString('en-US')} bytes`;
}

const ROUTE_LIMITS = [
  { route: '/signups', pattern: /\/signups\b/g, bytes: MAX_CANONICAL_BODY_BYTES },
  { route: '/sources/{id}', pattern: /\/sources\b/g, bytes: MAX_SOURCE_BODY_BYTES },
] as const;

/**
 * A body limit statement: a line with a size that speaks of a body (or of 413, the answer to one too
 * large). Each size must be the limit of the route named nearest to it; a 413 line covers both routes,
 * so it must give both limits.
 */
export function bodyLimitProblems(where: string, line: string): string[] {
  const sizes = sizesIn(line);
  const routes = ROUTE_LIMITS.flatMap((limit) => [...line.matchAll(limit.pattern)].map((match) => ({ ...limit, index: match.index })));
  const is413 = /\b413\b/.test(line);
  if (sizes.length === 0 || !(is413 || /\bbod(?:y|ies)\b/i.test(line))) return [];
  const problems: string[] = [];
  for (const size of sizes) {
    const nearest = [...routes].sort((a, b) => Math.abs(a.index - size.index) - Math.abs(b.index - size.index))[0];
    if (!nearest) {
      problems.push(
        `${where}: "${size.text}" is given as a body limit without naming the route (/signups takes ${formatBytes(MAX_CANONICAL_BODY_BYTES)}, /sources/{id} ${formatBytes(MAX_SOURCE_BODY_BYTES)})`,
      );
    } else if (size.bytes !== nearest.bytes) {
      problems.push(`${where}: "${size.text}" for ${nearest.route}, whose body limit is ${formatBytes(nearest.bytes)} (shared/http-input/limits.ts)`);
    }
  }
  if (is413) {
    for (const limit of ROUTE_LIMITS) {
      if (!sizes.some((size) => size.bytes === limit.bytes) || [...line.matchAll(limit.pattern)].length === 0)
        problems.push(`${where}: the 413 answer is documented without ${limit.route}'s body limit of ${formatBytes(limit.bytes)}`);
    }
  }
  return problems;
}

describe('docs agree with the code: body size limits', () => {
  it('gives each route its own body limit wherever a limit is stated', () => {
    const problems = allLines().flatMap(({ where, line }) => bodyLimitProblems(where, line));
    expect(problems).toEqual([]);
  });

  it('states both routes’ limits in sources.md, where the answers are listed', () => {
    const statements = doc('docs/sources.md').lines.filter((line) => /\b413\b/.test(line) && sizesIn(line).length > 0);
    expect(statements.length).toBeGreaterThan(0);
  });

  it('catches the statement this test was written for: one size for both routes', () => {
    expect(
      bodyLimitProblems('docs/sources.md:39', '| `400` / `413` / `415` problem | malformed body, more than 1 MiB or 100 signups, unsupported content type |'),
    ).toEqual([
      'docs/sources.md:39: "1 MiB" is given as a body limit without naming the route (/signups takes 256 KiB, /sources/{id} 1 MiB)',
      "docs/sources.md:39: the 413 answer is documented without /signups's body limit of 256 KiB",
      "docs/sources.md:39: the 413 answer is documented without /sources/{id}'s body limit of 1 MiB",
    ]);
    expect(bodyLimitProblems('x.md:1', 'POST /signups takes bodies up to 1 MiB')).toEqual([
      'x.md:1: "1 MiB" for /signups, whose body limit is 256 KiB (shared/http-input/limits.ts)',
    ]);
  });

  it('gives the sources list the size its environment variable may take', () => {
    const stated = allLines().flatMap(({ where, line }) =>
      [...line.matchAll(/(\d[\d,]*) bytes of JSON/g)].map((match) => ({ where, bytes: Number(match[1]!.replace(/,/g, '')) })),
    );
    expect(stated.length).toBeGreaterThanOrEqual(2);
    expect(stated.filter((statement) => statement.bytes !== MAX_SOURCES_CONFIG_BYTES)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Batches

const WORD_NUMBERS: Readonly<Record<string, number>> = { ten: 10, hundred: 100, 'a hundred': 100 };
const toNumber = (text: string): number => WORD_NUMBERS[text.toLowerCase()] ?? Number(text.replace(/,/g, ''));

const lineAt = (where: string): string => {
  const [file, line] = where.split(':');
  return doc(file!).lines[Number(line) - 1] ?? '';
};

/** `pattern`'s first group, as a number, everywhere in the docs. */
function statedNumbers(pattern: RegExp): { where: string; text: string; value: number }[] {
  return allLines().flatMap(({ where, line }) => [...line.matchAll(pattern)].map((match) => ({ where, text: match[0], value: toNumber(match[1]!) })));
}

describe('docs agree with the code: batch limits', () => {
  it(`say ${MAX_SIGNUPS_PER_REQUEST} signups per request wherever they give a number`, () => {
    // Lines about POST /signups; "10 signups per request" elsewhere is a BigCommerce request (below).
    const stated = [
      ...statedNumbers(/(?:up to|at most|more than|≤)\s+(\d[\d,]*|ten|a hundred)\s+signups\b(?!\s+(?:a|per)\s+(?:second|minute|hour|day))/gi),
      ...statedNumbers(/\barray of up to (\d+)/gi),
    ].filter((statement) => /\/signups\b/.test(lineAt(statement.where)));
    expect(stated.length).toBeGreaterThanOrEqual(3);
    expect(stated.filter((statement) => statement.value !== MAX_SIGNUPS_PER_REQUEST)).toEqual([]);
  });

  it(`say ${MAX_CUSTOMERS_PER_REQUEST} customers per BigCommerce request wherever they give a number`, () => {
    const stated = [
      ...statedNumbers(/(?:up to|at most|≤)\s*(\d+|ten)\s+customers\b/gi),
      ...statedNumbers(/\/v3\/customers`?\s*\((?:≤|up to)\s*(\d+)/g),
      ...statedNumbers(/\/v3\/customers`?\s+(?:of|with) up to (\d+)/g),
      // doctor's drain ceiling: signups one BigCommerce request creates.
      ...statedNumbers(/drain ceiling \((\d+) signups per request\)/g),
    ];
    expect(stated.length).toBeGreaterThanOrEqual(5);
    expect(stated.filter((statement) => statement.value !== MAX_CUSTOMERS_PER_REQUEST)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// CAPTCHA

/** How the docs name each provider in prose; the test fails when a provider is added without a name here. */
const PROVIDER_NAMES: Readonly<Record<(typeof CAPTCHA_PROVIDERS)[number], string>> = {
  turnstile: 'Turnstile',
  hcaptcha: 'hCaptcha',
  'recaptcha-v3': 'reCAPTCHA v3',
};

/** Sentences that say CAPTCHA is not verified or not supported (what docs/sources.md once said of html-form). */
const CAPTCHA_DENIALS = [
  /captcha[^.|]*\b(?:is|are)\s+not\s+(?:yet\s+)?(?:done|verified|checked|supported|implemented)\b/i,
  /\bno\s+captcha\s+(?:verification|support|check)/i,
  /\b(?:does|do)\s+not\s+(?:verify|check|support)\s+(?:the\s+)?captcha/i,
  /captcha[^.|]*\bnot\s+(?:yet\s+)?(?:supported|available)\b/i,
];

export const captchaDenials = (lines: readonly { where: string; line: string }[]) =>
  lines.filter(({ line }) => CAPTCHA_DENIALS.some((pattern) => pattern.test(line))).map(({ where, line }) => `${where}: ${line.trim()}`);

describe('docs agree with the code: CAPTCHA', () => {
  it('names every provider the code supports', () => {
    expect(Object.keys(PROVIDER_NAMES).sort()).toEqual([...CAPTCHA_PROVIDERS].sort());
  });

  it("lists exactly the code's providers in the html-form option and the providers table", () => {
    const option = doc('docs/sources.md').text.match(/"provider":\s*((?:"[a-z0-9-]+"\s*\|\s*)+"[a-z0-9-]+")/);
    expect(option).not.toBeNull();
    expect([...option![1]!.matchAll(/"([a-z0-9-]+)"/g)].map((match) => match[1]).sort()).toEqual([...CAPTCHA_PROVIDERS].sort());

    const tableRows = doc('docs/trust.md').lines.filter((line) => /^\| `[a-z0-9-]+`(?: \([^)]*\))? \| `[a-z-]+-response` \|/.test(line));
    expect(tableRows.map((line) => /^\| `([a-z0-9-]+)`/.exec(line)![1]).sort()).toEqual([...CAPTCHA_PROVIDERS].sort());
  });

  it('names all providers wherever it names more than one', () => {
    const names = Object.values(PROVIDER_NAMES);
    const partial = allLines()
      .map(({ where, line }) => ({ where, named: names.filter((name) => line.includes(name)) }))
      .filter(({ named }) => named.length >= 2 && named.length < names.length);
    expect(partial).toEqual([]);
  });

  it('says nowhere that CAPTCHA is not verified, while the code verifies it', () => {
    expect(CAPTCHA_PROVIDERS.length).toBeGreaterThan(0);
    expect(captchaDenials(allLines())).toEqual([]);
  });

  it('catches the contradiction this test was written for', () => {
    const lines = [
      { where: 'a.md:1', line: '  `submission_id`, so a double submit is recognised. CAPTCHA verification is not done.' },
      { where: 'a.md:2', line: 'Kit’s legacy unsigned webhooks. (CAPTCHA verification is done: trust.md.)' },
      { where: 'a.md:3', line: 'This form does not verify the CAPTCHA token.' },
    ];
    expect(captchaDenials(lines)).toEqual([
      'a.md:1: `submission_id`, so a double submit is recognised. CAPTCHA verification is not done.',
      'a.md:3: This form does not verify the CAPTCHA token.',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------------
// Retention and defaults

const DEFAULTS = stackConfigSchema.parse({ storeHash: 'docs' }) as Record<string, unknown>;
const SHAPE = stackConfigSchema.shape as Record<string, unknown>;

/** Rows of configuration.md's settings tables: | `setting` | `default` | meaning |. */
function settingRows(): { where: string; setting: string; cell: string }[] {
  const d = doc('docs/configuration.md');
  return d.lines.flatMap((line, index) => {
    const match = /^\| `([A-Za-z]+)` \| `([^`]+)` \|/.exec(line);
    return match && Object.hasOwn(SHAPE, match[1]!) ? [{ where: `${d.file}:${index + 1}`, setting: match[1]!, cell: match[2]! }] : [];
  });
}

describe('docs agree with the code: retention and defaults', () => {
  it("gives every setting in configuration.md's tables the default the schema applies", () => {
    const rows = settingRows();
    const mismatches = rows.flatMap(({ where, setting, cell }) => {
      const actual = DEFAULTS[setting];
      if (actual === undefined) return [];
      const documented: unknown = typeof actual === 'string' ? cell : JSON.parse(cell);
      return JSON.stringify(documented) === JSON.stringify(actual)
        ? []
        : [`${where}: ${setting} documented as ${cell}, the schema's default is ${JSON.stringify(actual)}`];
    });
    // The retention settings are among them.
    expect(rows.map((row) => row.setting)).toEqual(expect.arrayContaining(['logRetentionDays', 'deliveryRetentionHours', 'maxReceiveCount', 'apiThrottle']));
    expect(mismatches).toEqual([]);
  });

  it("gives the delivery ledger's retention as the schema's default and the ingest's, in hours and seconds", () => {
    const hours = DEFAULTS['deliveryRetentionHours'] as number;
    expect(DEFAULT_DELIVERY_RETENTION_SECONDS).toBe(hours * 3600);
    const trust = doc('docs/trust.md').text;
    expect(trust.match(/`deliveryRetentionHours` in cdk\.json \(default (\d+)\)/)?.[1]).toBe(String(hours));
    expect(trust.match(/Covered by (\d+) h/)?.[1]).toBe(String(hours));
    const row = doc('docs/configuration.md').lines.find((line) => line.startsWith('| `DELIVERY_RETENTION_SECONDS` |'));
    expect(row?.match(/default `(\d+)` \((\d+) h\)/)?.slice(1)).toEqual([String(DEFAULT_DELIVERY_RETENTION_SECONDS), String(hours)]);
  });

  it("gives the queues' retention as the stack sets it", () => {
    const days = (seconds: number) => String(seconds / 86_400);
    const operations = doc('docs/operations.md').lines;
    expect(operations.find((line) => line.startsWith('| dead-letter queue |'))?.match(/(\d+)-day retention/)?.[1]).toBe(days(DEAD_LETTER_RETENTION_SECONDS));
    expect(operations.find((line) => line.startsWith('| signups queue |'))?.match(/(\d+)-day retention/)?.[1]).toBe(days(SIGNUP_RETENTION_SECONDS));
    expect(doc('docs/configuration.md').text.match(/the queue keeps a\s+message for (\d+) days/)?.[1]).toBe(days(SIGNUP_RETENTION_SECONDS));
    // Any other line that gives a queue's retention in days.
    const stated = allLines().flatMap(({ where, line }) =>
      [...line.matchAll(/(\d+)[- ]days?\b[^|]{0,20}retention|retention[^|]{0,20}?(\d+)[- ]days?\b/g)].map((match) => ({
        where,
        line,
        days: match[1] ?? match[2],
      })),
    );
    const wrong = stated.filter(({ line, days: stated }) =>
      /signups queue/.test(line)
        ? stated !== days(SIGNUP_RETENTION_SECONDS)
        : /dead-letter|DLQ/.test(line)
          ? stated !== days(DEAD_LETTER_RETENTION_SECONDS)
          : false,
    );
    expect(wrong).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------
// README

/** GitHub's anchor for a heading. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

describe('README', () => {
  const readme = doc('README.md');

  it('stays within 12 KB', () => {
    expect(Buffer.byteLength(readme.text)).toBeLessThanOrEqual(12 * 1024);
  });

  it('states the fixed monthly cost docs/benchmarks.md measures, and links to it', () => {
    const benchmarks = doc('docs/benchmarks.md').text;
    const section = /^### (An idle deployment per month[^\n]*)\n([\s\S]*?)(?=\n#{2,3} |(?![\s\S]))/m.exec(benchmarks);
    expect(section).not.toBeNull();
    const measured = /^\|\s*\|\s*total per month\s*\|[^|\n]*\|[^|\n]*\|\s*\$(\d+(?:\.\d+)?)\s*\|/m.exec(section![2]!)?.[1];
    const stated = /\*\*\$(\d+(?:\.\d+)?) a month\*\*/.exec(readme.text)?.[1];

    expect(measured).toBeDefined();
    expect(stated).toBe(measured);
    expect(readme.text).toContain(`(docs/benchmarks.md#${slug(section![1]!)})`);
  });
});
