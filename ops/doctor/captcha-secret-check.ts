import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parseIngestSources } from '../../shared/ingest/ingest-sources';
import type { SourceConfig } from '../../shared/sources/source-config';
import type { CheckResult } from './types';

/**
 * `aws.captcha-secrets`: every html-form source with `captcha` has, in its sources-secret entry, a
 * `captchaSecret` shaped like a provider's secret key (docs/trust.md, "CAPTCHA, verified server-side").
 * The ingest refuses such a source without one at cold start; a value that is there but plainly not a
 * key (a placeholder, text with spaces, the form token) passes that check and would make siteverify
 * refuse every post, so every visitor would land on the error page. Shapes only: no value is printed
 * or sent anywhere.
 */

const ID = 'aws.captcha-secrets';

/** Turnstile, hCaptcha and reCAPTCHA secret keys are letters, digits, `_` and `-`, a few dozen characters long. */
export function looksLikeCaptchaSecret(value: string): boolean {
  return /^[A-Za-z0-9_-]{20,200}$/.test(value);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The sources that require a CAPTCHA (only html-form sources can). */
export const captchaSources = (sources: readonly SourceConfig[]): SourceConfig[] =>
  sources.filter((source) => source.kind === 'html-form' && source.captcha !== undefined && source.captcha !== false);

/**
 * `sourceId: problem` lines for the CAPTCHA secrets of `sources`, read from the sources secret's
 * SecretString (a JSON object source id -> entry). Names source ids and providers, never values.
 */
export function captchaSecretProblems(sources: readonly SourceConfig[], secretString: string | undefined): string[] {
  const wanted = captchaSources(sources);
  if (wanted.length === 0) return [];
  let table: unknown;
  try {
    table = JSON.parse(secretString ?? '');
  } catch {
    table = undefined;
  }
  if (!isRecord(table)) return wanted.map((source) => `${source.id}: the sources secret is not a JSON object of source id -> secret`);
  return wanted.flatMap((source): string[] => {
    const provider = source.kind === 'html-form' && source.captcha ? source.captcha.provider : undefined;
    const entry = Object.hasOwn(table, source.id) ? table[source.id] : undefined;
    if (entry === undefined) return [`${source.id}: no entry (it needs {"captchaSecret": ...})`];
    if (!isRecord(entry)) return [`${source.id}: the entry is a plain secret, with no captchaSecret (write it as {"secret": ..., "captchaSecret": ...})`];
    const captchaSecret = entry['captchaSecret'];
    if (captchaSecret === undefined) return [`${source.id}: no captchaSecret for its ${provider} CAPTCHA`];
    if (typeof captchaSecret !== 'string' || captchaSecret.trim() === '') return [`${source.id}: captchaSecret is not a non-empty string`];
    if (!looksLikeCaptchaSecret(captchaSecret))
      return [
        `${source.id}: captchaSecret is not shaped like a ${provider} secret key (a placeholder, spaces, or too short; ${captchaSecret.length} characters)`,
      ];
    const formTokens = typeof entry['secret'] === 'string' ? [entry['secret']] : Array.isArray(entry['secret']) ? entry['secret'] : [];
    // The form token is printed in the page for every visitor: a secret key equal to it is public.
    if (formTokens.includes(captchaSecret)) return [`${source.id}: captchaSecret equals the form token, which the page shows to every visitor`];
    return [];
  });
}

export type CaptchaFixTarget = Readonly<{ sourcesSecretArn?: string; local?: boolean }>;

/** The check's line from the problems found (and the ids of the sources with a CAPTCHA). */
export function captchaSecretsResult(problems: readonly string[], withCaptcha: readonly string[], where: CaptchaFixTarget = {}): CheckResult {
  if (withCaptcha.length === 0) return { id: ID, status: 'skipped', summary: 'No source configures a CAPTCHA' };
  if (problems.length === 0) return { id: ID, status: 'pass', summary: `Source(s) ${withCaptcha.join(', ')} have a key-shaped captchaSecret (not shown)` };
  const failing = withCaptcha.filter((id) => problems.some((problem) => problem.startsWith(`${id}: `)));
  const entry = `${failing.map((id) => `"${id}": {"captchaSecret": "<the provider's secret key>"}`).join(', ')} (keep "secret" when the form posts a token)`;
  const put = where.local
    ? 'in LOCAL_SOURCES_SECRET, then restart local mode'
    : `in the sources secret: aws secretsmanager put-secret-value --secret-id ${where.sourcesSecretArn ?? '<SourcesSecretArn>'} --secret-string file://sources.json`;
  return {
    id: ID,
    status: 'fail',
    summary: `Unusable CAPTCHA secret(s): ${problems.join('; ')}`,
    fix: `Copy the secret key (not the site key) from the CAPTCHA provider's dashboard for ${failing.join(', ')} and set ${entry} ${put}`,
  };
}

/** Reads the sources secret and checks the CAPTCHA secrets of the configured sources. */
export async function checkCaptchaSecrets(
  secrets: SecretsManagerClient,
  sourcesSecretArn: string | undefined,
  configuredSources: readonly unknown[],
): Promise<CheckResult> {
  let sources: SourceConfig[];
  try {
    sources = parseIngestSources(configuredSources);
  } catch {
    return { id: ID, status: 'unconfirmed', summary: 'The sources in cdk.json are invalid, so their CAPTCHAs cannot be read (see aws.source-secrets)' };
  }
  const withCaptcha = captchaSources(sources).map((source) => source.id);
  if (withCaptcha.length === 0) return captchaSecretsResult([], withCaptcha);
  if (!sourcesSecretArn)
    return {
      id: ID,
      status: 'unconfirmed',
      summary: `The sources secret is unknown, so the CAPTCHA secrets of ${withCaptcha.join(', ')} cannot be read (see aws.source-secrets)`,
    };
  let secretString: string | undefined;
  try {
    secretString = (await secrets.send(new GetSecretValueCommand({ SecretId: sourcesSecretArn }))).SecretString;
  } catch {
    return {
      id: ID,
      status: 'unconfirmed',
      summary: `The sources secret cannot be read, so the CAPTCHA secrets of ${withCaptcha.join(', ')} are unchecked (see aws.source-secrets)`,
    };
  }
  return captchaSecretsResult(captchaSecretProblems(sources, secretString), withCaptcha, { sourcesSecretArn });
}
