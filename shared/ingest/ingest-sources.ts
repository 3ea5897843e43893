import { checkSourceSecrets, type SourceSecret } from '../sources/adapters';
import { SourceConfigError } from '../sources/errors';
import { parseSourcesConfig, type SourceConfig, type SourceConfigOf, sourceConfigSchema } from '../sources/source-config';
import { type DeadLetterKeys, deadLetterKeysOf } from './dead-letter-keys';

/**
 * The sources the ingest serves, and their secrets.
 *
 * - `POST /signups` (our canonical format) authenticates like a Standard Webhooks sender: a
 *   `webhook-signature` over the raw body, or `Authorization: Bearer <secret>`. Its secret is the
 *   `api` entry of the sources secret, so `api` is reserved and cannot be a configured source id.
 * - `/sources/{sourceId}` serves each configured source (the stack config's `sources`).
 * - One Secrets Manager secret holds a JSON object `{ "<sourceId>": "<secret>", ... }`; an entry may
 *   list several secrets, newest first, while one rotates (`["new", "old"]`), and an html-form entry
 *   may carry its CAPTCHA secret (`{ "secret": ..., "captchaSecret": ... }`).
 * - Its `deadLetters` entry (optional) holds the keys that sign `unmappable` dead letters
 *   (shared/ingest/dead-letter-keys.ts).
 */

export const CANONICAL_SOURCE_ID = 'api';

/** The canonical API as a source: a Standard Webhooks sender that may also use a bearer token. */
export const CANONICAL_SOURCE_CONFIG: SourceConfigOf<'standard-webhooks'> = sourceConfigSchema.parse({
  id: CANONICAL_SOURCE_ID,
  kind: 'standard-webhooks',
  acceptBearerToken: true,
}) as SourceConfigOf<'standard-webhooks'>;

/**
 * `parseSourcesConfig` plus the ingest's own rule (the reserved `api` id). Throws one SourceConfigError
 * listing every problem as `sources[2].thankYouUrl: ...`. Run at synth (shared/deployment/stack-config.ts) and at
 * cold start (shared/config/ingest-config.ts).
 */
export function parseIngestSources(input: unknown): SourceConfig[] {
  let sources: SourceConfig[] = [];
  let issues: string[] = [];
  try {
    sources = parseSourcesConfig(input);
  } catch (error) {
    if (!(error instanceof SourceConfigError)) throw error;
    issues = [...error.issues];
  }
  if (Array.isArray(input)) {
    input.forEach((source: unknown, index) => {
      if (typeof source === 'object' && source !== null && (source as { id?: unknown }).id === CANONICAL_SOURCE_ID) {
        issues.push(
          `sources[${index}].id: "${CANONICAL_SOURCE_ID}" is reserved for POST /signups (its secret is the "${CANONICAL_SOURCE_ID}" entry of the sources secret)`,
        );
      }
    });
  }
  if (issues.length > 0) throw new SourceConfigError('Invalid sources configuration:', { issues: [...issues].sort((a, b) => indexOf(a) - indexOf(b)) });
  return sources;
}

/** The N of an issue about `sources[N]...` (issues about the whole list first), for a stable, readable order. */
const indexOf = (issue: string): number => Number(/^sources\[(\d+)\]/.exec(issue)?.[1] ?? -1);

/** What the sources secret yields: the usable secret per source id, and what is wrong with the rest. */
export type SourceSecrets = Readonly<{
  /** Source id -> its checked entry (secrets newest first; none for a source that needs none). Absent: unusable. */
  secrets: ReadonlyMap<string, SourceSecret>;
  /** `sourceId: problem` lines, naming ids only, never values (for the logs). */
  problems: readonly string[];
  /** What `unmappable` dead letters are signed and verified with (shared/ingest/dead-letter-keys.ts). */
  deadLetterKeys: DeadLetterKeys;
}>;

/**
 * Parses the sources secret's SecretString and checks every source's entry (`checkSourceSecrets`),
 * one source at a time: a source whose secret is missing or unusable fails on its own (500, logged),
 * and the others keep working. Never throws: a value that is not a JSON object makes every source
 * unusable, with that problem listed once per source (and cached like a good value, so a broken secret
 * does not turn every request into a Secrets Manager call).
 */
export function parseSourceSecrets(secretString: string | undefined, sources: readonly SourceConfig[]): SourceSecrets {
  const all = [CANONICAL_SOURCE_CONFIG, ...sources];
  let table: unknown;
  try {
    table = JSON.parse(secretString ?? '');
    checkSourceSecrets([], table);
  } catch {
    return {
      secrets: new Map(),
      problems: all.map((source) => `${source.id}: the sources secret is not a JSON object of source id -> secret`),
      deadLetterKeys: { keys: [], origin: 'none', problems: [] },
    };
  }
  const secrets = new Map<string, SourceSecret>();
  const problems: string[] = [];
  for (const source of all) {
    try {
      const checked = checkSourceSecrets([source], table);
      secrets.set(source.id, checked.get(source.id) ?? { values: [] });
    } catch (error) {
      if (!(error instanceof SourceConfigError)) throw error;
      problems.push(...(error.issues.length > 0 ? error.issues : [`${source.id}: ${error.message}`]));
    }
  }
  const deadLetterKeys = deadLetterKeysOf(table as Record<string, unknown>, secrets.get(CANONICAL_SOURCE_ID)?.values ?? []);
  return { secrets, problems: [...problems, ...deadLetterKeys.problems], deadLetterKeys };
}
