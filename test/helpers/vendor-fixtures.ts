import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';
import { SOURCE_KINDS, type SourceKind } from '../../shared/sources/source-config';

/**
 * The vendor corpus (test/fixtures/vendor/<kind>.json): example deliveries the senders publish, or, where
 * a sender publishes none, captured-style deliveries in its documented shape. Each records where it comes
 * from (`sourceUrl`), what the vendor's page calls it, and every change made to it. Run end to end by
 * test/local/vendor-corpus.e2e.test.ts and listed in docs/sources.md ("Vendor examples").
 */

export const VENDOR_FIXTURES_DIR = path.join(__dirname, '..', 'fixtures', 'vendor');

const pairs = z.array(z.tuple([z.string(), z.string()]));

const deliverySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  vendorName: z.string().min(1),
  sourceUrl: z.url({ protocol: /^https?$/ }),
  provenance: z.enum(['vendor-published', 'captured-style']),
  changes: z.array(z.string().min(1)).min(1),
  request: z.strictObject({
    method: z.literal('POST'),
    headers: z.record(z.string(), z.string()),
    body: z.union([
      z.strictObject({ json: z.unknown() }),
      z.strictObject({ text: z.string() }),
      z.strictObject({ form: pairs }),
      z.strictObject({ multipart: pairs }),
    ]),
  }),
});

const fileSchema = z.strictObject({ $comment: z.string(), kind: z.enum(SOURCE_KINDS), deliveries: z.array(deliverySchema).min(1) });

export type VendorDelivery = z.output<typeof deliverySchema> & Readonly<{ kind: SourceKind }>;

/** Every delivery of the corpus, kind by kind in SOURCE_KINDS order, each file in its own order. */
export function loadVendorDeliveries(dir = VENDOR_FIXTURES_DIR): VendorDelivery[] {
  const files = readdirSync(dir).filter((name) => name.endsWith('.json'));
  const parsed = files.map((name) => {
    const result = fileSchema.safeParse(JSON.parse(readFileSync(path.join(dir, name), 'utf8')));
    if (!result.success) throw new Error(`${name}: ${result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    if (`${result.data.kind}.json` !== name) throw new Error(`${name}: holds kind ${result.data.kind}; name the file after its kind`);
    return result.data;
  });
  return SOURCE_KINDS.flatMap((kind) =>
    parsed.filter((file) => file.kind === kind).flatMap((file) => file.deliveries.map((delivery) => ({ ...delivery, kind }))),
  );
}

const MULTIPART_BOUNDARY = '------------------------vendorCorpus7d1f';

/** The delivery's body as the exact bytes to send (and sign), with the content type a multipart body needs. */
export function deliveryBody(delivery: VendorDelivery): { bytes: Buffer; contentType?: string } {
  const { body } = delivery.request;
  if ('json' in body) return { bytes: Buffer.from(JSON.stringify(body.json)) };
  if ('text' in body) return { bytes: Buffer.from(body.text) };
  if ('form' in body) return { bytes: Buffer.from(new URLSearchParams(body.form).toString()) };
  const parts = body.multipart.map(([name, value]) => `--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
  return { bytes: Buffer.from(`${parts.join('')}--${MULTIPART_BOUNDARY}--\r\n`), contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}` };
}
