/**
 * Writes docs/openapi.json from the zod schemas and the route table (shared/http/openapi.ts).
 *   npx tsx test/tools/write-openapi.ts          (npm run openapi)
 * test/unit/openapi.test.ts fails when the committed file is not what this writes.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { renderOpenApiDocument } from '../../shared/http/openapi';

export const OPENAPI_PATH = path.join(__dirname, '../../docs/openapi.json');

if (require.main === module) {
  writeFileSync(OPENAPI_PATH, renderOpenApiDocument());
  process.stdout.write(`wrote ${path.relative(process.cwd(), OPENAPI_PATH)}\n`);
}
