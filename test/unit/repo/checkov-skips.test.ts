import { readFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * checkov's accepted findings live in one place, test/infra/checkov-skips.txt (check-template.sh passes
 * them as its skip list), and each is reasoned in docs/security.md, "Scanner findings". This keeps the
 * two equal: a rule skipped without a reason, or reasoned but not skipped (or for another variant), fails.
 */

const root = path.join(__dirname, '../../..');

function skipsFile(): Map<string, string> {
  const lines = readFileSync(path.join(root, 'test/infra/checkov-skips.txt'), 'utf8').split('\n');
  const entries = lines.filter((line) => line.trim() !== '' && !line.startsWith('#')).map((line) => line.trim().split(/\s+/));
  for (const entry of entries) expect(entry).toEqual([expect.stringMatching(/^CKV2?_AWS_\d+$/), expect.stringMatching(/^(all|aws-managed)$/)]);
  return new Map(entries.map(([id, variant]) => [id!, variant!]));
}

/** The checkov table's rows: `| CKV_AWS_27 | what | accepted under `aws-managed`; fixed by … | why |`. */
function documented(): Map<string, string> {
  const text = readFileSync(path.join(root, 'docs/security.md'), 'utf8');
  const section = text.slice(text.indexOf('## Scanner findings'), text.indexOf('\n## ', text.indexOf('## Scanner findings') + 1));
  const rows = section.split('\n').filter((line) => /^\| CKV2?_AWS_\d+ \|/.test(line));
  return new Map(
    rows.map((row) => {
      const [, id, , decision, why] = row.split('|').map((cell) => cell.trim());
      expect(why!.length).toBeGreaterThan(40);
      return [
        id!,
        /accepted under `aws-managed`; fixed by `customer-managed`/.test(decision!) ? 'aws-managed' : decision === 'accepted' ? 'all' : `unclear: ${decision}`,
      ];
    }),
  );
}

it('skips exactly the checkov rules docs/security.md accepts, for the same variants', () => {
  const skips = skipsFile();
  expect(skips.size).toBeGreaterThan(0);
  expect(Object.fromEntries([...documented()].sort())).toEqual(Object.fromEntries([...skips].sort()));
});
