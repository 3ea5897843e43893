import { sourceOutputKeys } from '../../shared/deployment/source-outputs';
import { type SourceConfigInput, sourceRouteSegment } from '../../shared/sources/source-config';
import type { CheckResult } from './types';

/**
 * `ingest.source-urls`: the URL each sender must be given, as the stack serves it. A webhook's carries its
 * route token (/sources/<id>-<routeToken>, docs/sources.md); the token is not a credential (the signature
 * or URL token is), it only keeps strangers off the route's throttle, so it is printed here as the stack's
 * SourceUrl… outputs print it. For a deployed stack the URLs of cdk.json are compared with those outputs:
 * a difference means cdk.json changed since the last deploy, and senders must keep the deployed URL until then.
 */

const ID = 'ingest.source-urls';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

type Row = Readonly<{ id: string; kind: string; path: string; routeToken: boolean }>;

function rowsOf(sources: readonly SourceConfigInput[]): Row[] {
  return sources.filter(isRecord).map((source) => {
    const id = String(source['id'] ?? '?');
    const routeToken = typeof source['routeToken'] === 'string' ? source['routeToken'] : undefined;
    return {
      id,
      kind: String(source['kind'] ?? '?'),
      path: `/sources/${sourceRouteSegment({ id, ...(routeToken ? { routeToken } : {}) })}`,
      routeToken: routeToken !== undefined,
    };
  });
}

export function checkSourceUrls(
  sources: readonly SourceConfigInput[],
  where: Readonly<{ apiUrl?: string | undefined; outputs?: Readonly<Record<string, string>> | undefined }>,
): CheckResult {
  const rows = rowsOf(sources);
  if (rows.length === 0) return { id: ID, status: 'skipped', summary: 'No sources configured: senders post to <ApiUrl>/signups only' };
  const base = where.apiUrl?.replace(/\/+$/, '');
  const urlOf = (row: Row) => `${base ?? '<ApiUrl>'}${row.path}`;
  const details = rows.map((row) => `${row.id} (${row.kind}): ${urlOf(row)}`);
  const guessable = rows.filter((row) => row.kind !== 'html-form' && !row.routeToken).map((row) => row.id);
  if (guessable.length > 0) {
    return {
      id: ID,
      status: 'fail',
      summary: `Webhook source(s) ${guessable.join(', ')} have no routeToken: their URL is guessable from the id`,
      fix: 'Run `npx signup-sync route-tokens`, deploy, and give each sender the new URL',
      details,
    };
  }
  const outputs = where.outputs;
  if (outputs) {
    const stale = sourceOutputKeys(rows).flatMap(([key, row]) => {
      const deployed = outputs[key];
      return deployed !== undefined && deployed !== urlOf(row) ? [`${row.id} is deployed at ${deployed}`] : [];
    });
    if (stale.length > 0) {
      return {
        id: ID,
        status: 'fail',
        summary: `cdk.json's URL differs from the deployed stack's: ${stale.join('; ')}`,
        fix: 'Deploy (cdk deploy) to serve the URLs of cdk.json, then update each sender; until then senders keep the deployed URL',
        details,
      };
    }
  }
  if (base === undefined) {
    return { id: ID, status: 'unconfirmed', summary: 'The ApiUrl is unknown (no stack outputs): the paths below follow it', details };
  }
  return { id: ID, status: 'pass', summary: `${rows.length} source URL(s), one per sender; a webhook's carries its route token`, details };
}
