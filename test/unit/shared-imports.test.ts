import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The dependency rules between the folders of shared/ (docs/architecture.md): no two folders import
 * each other, and the HTTP layers point one way: shared/http (the edge: routes, OpenAPI, middlewares)
 * -> shared/ingest -> shared/sources -> shared/http-input, which imports no shared/ folder.
 */

const SHARED = resolve(__dirname, '../../shared');
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.[cm]?[jt]s$/.test(entry.name) ? [path] : [];
  });
}

/** The top folder of shared/ a path lies in, or undefined for files directly in shared/ and paths outside it. */
function folderOf(path: string): string | undefined {
  const parts = relative(SHARED, path).split(sep);
  return parts.length > 1 && parts[0] !== '..' ? parts[0] : undefined;
}

type Edge = Readonly<{ from: string; to: string; file: string }>;

function folderEdges(): Edge[] {
  return sourceFiles(SHARED).flatMap((file) => {
    const from = folderOf(file);
    if (from === undefined) return [];
    return [...readFileSync(file, 'utf8').matchAll(IMPORT)].flatMap(([, specifier = '']) => {
      const to = folderOf(resolve(dirname(file), specifier));
      return to === undefined || to === from ? [] : [{ from, to, file: relative(SHARED, file) }];
    });
  });
}

describe('imports between the folders of shared/', () => {
  const edges = folderEdges();

  it('sees the imports it checks', () => {
    // Guards the regex: a walker that found nothing would pass every rule below.
    expect(edges).toContainEqual({ from: 'ingest', to: 'sources', file: expect.stringMatching(/^ingest\//) });
  });

  it('has no pair of folders importing each other', () => {
    const pairs = new Set<string>();
    for (const edge of edges) {
      const back = edges.find((other) => other.from === edge.to && other.to === edge.from);
      if (back)
        pairs.add(
          [edge, back]
            .map((e) => `${e.file} -> ${e.to}`)
            .sort()
            .join('  <->  '),
        );
    }
    expect([...pairs]).toEqual([]);
  });

  it('keeps the HTTP layers one way: http -> ingest -> sources -> http-input', () => {
    const forbidden = (from: string, to: string) => edges.filter((edge) => edge.from === from && edge.to === to).map((edge) => edge.file);
    expect(edges.filter((edge) => edge.from === 'http-input').map((edge) => `${edge.file} -> ${edge.to}`)).toEqual([]);
    expect([...forbidden('ingest', 'http'), ...forbidden('sources', 'http'), ...forbidden('sources', 'ingest')]).toEqual([]);
  });
});
