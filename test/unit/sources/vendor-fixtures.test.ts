import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SOURCE_KINDS } from '../../../shared/sources/source-config';
import { deliveryBody, loadVendorDeliveries } from '../../helpers/vendor-fixtures';

/**
 * The vendor corpus's bookkeeping (test/fixtures/vendor/, run end to end by
 * test/local/vendor-corpus.e2e.test.ts): every sender kind has examples, each says where it comes from and
 * what was changed, captured-style ones say so, and docs/sources.md lists each with its source.
 */

const deliveries = loadVendorDeliveries();
const sourcesDoc = readFileSync(path.join(__dirname, '../../../docs/sources.md'), 'utf8');

describe('the vendor corpus', () => {
  it('has examples for all 11 sender kinds, with unique ids', () => {
    expect([...new Set(deliveries.map((delivery) => delivery.kind))]).toEqual([...SOURCE_KINDS]);
    expect(new Set(deliveries.map((delivery) => delivery.id)).size).toBe(deliveries.length);
  });

  it.each(deliveries.map((delivery) => [delivery.id, delivery] as const))(
    '%s: has its source, its changes, and a row in docs/sources.md linking the source',
    (id, delivery) => {
      // Assert
      expect(delivery.sourceUrl).toMatch(/^https?:\/\/[^/]+\//);
      if (delivery.provenance === 'captured-style') expect(delivery.changes.join(' ')).toMatch(/^captured-style/);
      const row = sourcesDoc.split('\n').find((line) => line.startsWith(`| \`${delivery.kind}\` | \`${id}\` |`));
      expect(row).toBeDefined();
      expect(row).toContain(`](${delivery.sourceUrl})`);
      expect(row).toContain(delivery.provenance === 'captured-style' ? '**captured-style**' : '| vendor');
      // The body is what gets signed: it must encode without loss.
      expect(deliveryBody(delivery).bytes.length).toBeGreaterThan(0);
    },
  );

  it('keeps the ids of Shopify deliveries exact (64-bit ids are text, not JSON numbers that would lose digits)', () => {
    const shopify = deliveries.filter((delivery) => delivery.kind === 'shopify');
    for (const delivery of shopify) expect(deliveryBody(delivery).bytes.toString()).toContain('706405506930370084');
  });
});
