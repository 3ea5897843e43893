import * as path from 'node:path';
import { buildSync } from 'esbuild';

/**
 * A config module per function: each Lambda bundle carries its own environment schema and not the
 * other function's. Bundled as infra/constructs/node-function.ts bundles them (AWS SDK external).
 */

const ROOT = path.join(__dirname, '..', '..');

function bundledFiles(entry: string): string[] {
  const result = buildSync({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs).map((input) => path.relative(ROOT, path.resolve(ROOT, input)).split(path.sep).join('/'));
}

describe('configuration modules per function', () => {
  it('the ingest bundle holds the ingest config and not the sync config', () => {
    const files = bundledFiles('functions/ingest/handler.ts');
    expect(files).toContain('shared/config/ingest-config.ts');
    expect(files).not.toContain('shared/config/sync-config.ts');
    expect(files.filter((file) => file.startsWith('shared/sync/'))).toEqual([]);
  });

  it('the sync bundle holds the sync config and not the ingest config', () => {
    const files = bundledFiles('functions/sync/handler.ts');
    expect(files).toContain('shared/config/sync-config.ts');
    expect(files).not.toContain('shared/config/ingest-config.ts');
    expect(files.filter((file) => file.startsWith('shared/sources/'))).toEqual([]);
  });

  it.each([['functions/ingest/handler.ts'], ['functions/sync/handler.ts']])(
    '%s loads its schemas on zod/mini, never full zod (cold start, docs/benchmarks.md)',
    (entry) => {
      const files = bundledFiles(entry);
      expect(files.some((file) => file.startsWith('node_modules/zod/v4/mini/'))).toBe(true);
      expect(files.filter((file) => file.startsWith('node_modules/zod/v4/classic/'))).toEqual([]);
    },
  );
});
