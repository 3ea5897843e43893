import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * The design material the project started from lives outside the repo; code and comments must cite only
 * files in the repo, so the next engineer can follow every pointer. This is the acceptance grep of the
 * "one codebase" issue, judged per hit: a `../shared` path that resolves inside the repo (an import of
 * the repo's own shared/ folder) is fine; one that climbs out of the repo, or a design/reference file
 * name that does not exist in the repo, is not.
 */
const ROOT = path.resolve(__dirname, '../../..');
const PATTERN = /(?:\.\.\/)+shared[\w./-]*|design\.md|style\.md|toolchain\.md|reference\/[a-z]+\.md/g;

function trackedFilesOutsideDocs(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return listed
    .split('\n')
    .filter((file) => file && !file.startsWith('docs/') && existsSync(path.join(ROOT, file)))
    .filter((file) => !/\.(png|jpg|ico|lock)$|package-lock\.json$/.test(file));
}

function outsidePointers(file: string, text = readFileSync(path.join(ROOT, file), 'utf8')): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const match of line.matchAll(PATTERN)) {
      const cited = match[0];
      if (cited.startsWith('../')) {
        const resolved = path.resolve(ROOT, path.dirname(file), cited.replace(/[./]+$/, ''));
        const inRepo = resolved.startsWith(`${ROOT}${path.sep}`) && ['', '.ts', '.js', '/index.ts'].some((ending) => existsSync(`${resolved}${ending}`));
        if (!inRepo) problems.push(`${file}:${index + 1}: ${cited}`);
      } else {
        problems.push(`${file}:${index + 1}: ${cited}`);
      }
    }
  });
  return problems;
}

describe('pointers in code and comments', () => {
  it('cite only files in this repo (no ../shared design material, no outside reference files)', () => {
    const files = trackedFilesOutsideDocs();
    expect(files.length).toBeGreaterThan(100);
    expect(files.filter((file) => file !== 'test/unit/repo/no-outside-citations.test.ts').flatMap((file) => outsidePointers(file))).toEqual([]);
  });

  it("tells an import of the repo's shared/ folder from a pointer out of the repo", () => {
    const text = [
      "import { x } from '../../shared/logger';",
      '// see ../../shared/design.md',
      '// toolchain.md #5',
      "import { y } from '../../shared/sync/outcome';",
      '// ../../../shared/reference',
    ].join('\n');
    expect(outsidePointers('functions/sync/example.ts', text)).toEqual([
      'functions/sync/example.ts:2: ../../shared/design.md',
      'functions/sync/example.ts:3: toolchain.md',
      'functions/sync/example.ts:5: ../../../shared/reference',
    ]);
  });
});
