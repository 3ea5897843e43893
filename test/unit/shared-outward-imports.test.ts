import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * shared/ is the product's code: it imports nothing from infra/, local/, ops/, bench/ or test/
 * (docs/architecture.md). Imports between its own folders: test/unit/shared-imports.test.ts.
 */

const ROOT = path.join(__dirname, '..', '..');
const SHARED = path.join(ROOT, 'shared');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** `from '../x/y'` imports of every file under shared/, resolved to repo-relative paths. */
function imports(): { from: string; to: string }[] {
  return sourceFiles(SHARED).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((match) => ({
      from: path.relative(ROOT, file).split(path.sep).join('/'),
      to: path
        .relative(ROOT, path.resolve(path.dirname(file), match[1]!))
        .split(path.sep)
        .join('/'),
    })),
  );
}

describe('shared/ imports', () => {
  it('imports nothing from infra/, local/, ops/, bench/ or test/', () => {
    const all = imports();
    // Guards the regex: a walker that found nothing would pass.
    expect(all).toContainEqual({ from: 'shared/aws/sqs-signup-queue.ts', to: 'shared/ingest/signup-queue' });
    expect(all.filter(({ to }) => /^(infra|local|ops|bench|test)\//.test(to))).toEqual([]);
  });
});
