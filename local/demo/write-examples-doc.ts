import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_BASE_URL, isSigned, loadExamples, pasteLine, type SourceExample, withBase } from './examples';

/**
 * `npm run docs:examples`: renders docs/examples/sources.json into docs/sources.md between
 * `<!-- examples:start -->` and `<!-- examples:end -->` (the prose around the markers is kept).
 * `--check` only reports whether the file is up to date (test/unit/local/sources-doc.test.ts runs it).
 */

export const SOURCES_DOC = path.join(__dirname, '../../docs/sources.md');
export const START_MARKER = '<!-- examples:start -->';
export const END_MARKER = '<!-- examples:end -->';

function bodyBlock(example: SourceExample): string {
  const { body } = example;
  if ('json' in body) return ['```json', JSON.stringify(body.json, null, 2), '```'].join('\n');
  if ('urlencoded' in body) {
    const fields = [...new URLSearchParams(body.urlencoded)].map(([name, value]) => `${name}=${value}`);
    return ['Form fields (sent `application/x-www-form-urlencoded`):', '', '```text', ...fields, '```'].join('\n');
  }
  return ['Multipart form fields:', '', '```text', ...Object.entries(body.multipart).map(([name, value]) => `${name}=${value}`), '```'].join('\n');
}

function renderExample(example: SourceExample): string {
  const base = DEFAULT_BASE_URL;
  const status = example.expect.location ? `${example.expect.status} (Location: ${withBase(example.expect.location, base)})` : String(example.expect.status);
  const headers = Object.entries(example.headers).map(([name, value]) => `\`${name}: ${withBase(value, base)}\``);
  const lines = [
    `### ${example.title}`,
    '',
    `- Source id: \`${example.sourceId}\` (kind \`${example.kind}\`)`,
    `- Request: \`${example.method} ${withBase(example.path, base)}\`${headers.length > 0 ? `, headers ${headers.join(', ')}` : ''}`,
    `- Authentication: ${withBase(example.auth.description, base)}`,
    `- Answer: **${status}**; ${example.expect.outcome}${example.expect.customer ? ` (\`${example.expect.customer.email}\`, ${example.expect.customer.first_name} ${example.expect.customer.last_name})` : ''}.`,
    '',
  ];
  if (isSigned(example)) {
    lines.push(
      'The signature covers a timestamp (or is easiest made by a script), so this command signs the body now and sends it; add `--print` to see the signed curl line instead:',
      '',
      '```sh',
      pasteLine(example, base),
      '```',
      '',
    );
  } else {
    lines.push('```sh', pasteLine(example, base), '```', '');
  }
  lines.push(bodyBlock(example), '');
  return lines.join('\n');
}

export function renderExamples(examples: readonly SourceExample[] = loadExamples()): string {
  return [
    `<!-- Generated from docs/examples/sources.json by \`npm run docs:examples\`; edit that file, not this section. -->`,
    '',
    ...examples.map(renderExample),
  ].join('\n');
}

/** `doc` with the section between the markers replaced by `rendered`. */
export function withExamples(doc: string, rendered: string): string {
  const start = doc.indexOf(START_MARKER);
  const end = doc.indexOf(END_MARKER);
  if (start === -1 || end === -1 || end < start) throw new Error(`docs/sources.md needs the markers ${START_MARKER} and ${END_MARKER}, in that order`);
  return `${doc.slice(0, start + START_MARKER.length)}\n${rendered}\n${doc.slice(end)}`;
}

export function main(argv: readonly string[], file: string = SOURCES_DOC): number {
  let doc: string;
  try {
    doc = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    doc = `# Signup sources\n\n${START_MARKER}\n${END_MARKER}\n`;
  }
  const updated = withExamples(doc, renderExamples());
  if (argv.includes('--check')) {
    if (updated === doc) return 0;
    process.stderr.write(`${path.relative(process.cwd(), file)} is out of date with docs/examples/sources.json: run npm run docs:examples\n`);
    return 1;
  }
  if (updated !== doc) writeFileSync(file, updated);
  process.stdout.write(`${path.relative(process.cwd(), file)}: ${updated === doc ? 'up to date' : 'examples written'}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
