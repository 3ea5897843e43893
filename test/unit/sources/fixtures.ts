import { createHash, createHmac } from 'node:crypto';
import { decideSource } from '../../../shared/sources/adapters';
import type { AdapterDecision, RawRequest, SourceSignup } from '../../../shared/sources/source-adapter';
import { type SourceConfig, type SourceConfigInput, type SourceKind, sourceConfigSchema } from '../../../shared/sources/source-config';

/** Factories and signers for the source adapter tests (factories in one place). */

export const NOW = new Date('2026-07-29T14:32:10.000Z');
export const NOW_SECONDS = Math.floor(NOW.getTime() / 1000);

export function makeRequest(overrides: Omit<Partial<RawRequest>, 'body'> & { body?: Buffer | string } = {}): RawRequest {
  const { body = '', ...rest } = overrides;
  return {
    method: 'POST',
    headers: {},
    query: {},
    publicUrl: 'https://hooks.example.com/sources/test',
    ...rest,
    body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body,
  };
}

/** A source config of `kind` with defaults applied (through the real schema). */
export function makeSource<K extends SourceKind>(
  kind: K,
  options: Omit<Extract<SourceConfigInput, { kind: K }>, 'kind' | 'id'> & { id?: string } = {} as never,
): Extract<SourceConfig, { kind: K }> {
  return sourceConfigSchema.parse({ id: `test-${kind}`, kind, ...options }) as Extract<SourceConfig, { kind: K }>;
}

export function decide(request: RawRequest, source: SourceConfig, secret: string, now = NOW): AdapterDecision {
  return decideSource(request, { source, secret, now });
}

/** The signups of a decision, failing the test with the decision shown if it is anything else. */
export function signupsOf(decision: AdapterDecision): readonly SourceSignup[] {
  if (decision.type !== 'signups') throw new Error(`expected signups, got ${JSON.stringify(decision)}`);
  return decision.signups;
}

export const json = (value: unknown): string => JSON.stringify(value);

export const hmacBase64 = (key: string | Buffer, ...parts: (string | Buffer)[]): string => {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest('base64');
};
export const hmacHex = (key: string | Buffer, ...parts: (string | Buffer)[]): string => {
  const hmac = createHmac('sha256', key);
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
};
export const sha256HexOf = (...parts: (string | Buffer)[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
};

/** Secrets used across tests (fake, generated for the tests). */
export const SECRETS = {
  standardWebhooks: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
  signing: 'test-signing-secret-0123456789',
  token: 'url-token-abcdefghijklmnop',
} as const;

export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

/**
 * Headers that authenticate `body` for a signed kind, as its sender would send them at `now`.
 * URL-token kinds are authenticated through the query instead (see `authQuery`).
 */
export function signatureHeaders(kind: SourceKind, body: Buffer, options: { now?: Date; secret?: string; url?: string } = {}): Record<string, string> {
  const now = options.now ?? NOW;
  const seconds = String(Math.floor(now.getTime() / 1000));
  const millis = String(now.getTime());
  switch (kind) {
    case 'standard-webhooks': {
      const secret = options.secret ?? SECRETS.standardWebhooks;
      const id = 'msg_test_1';
      return {
        'webhook-id': id,
        'webhook-timestamp': seconds,
        'webhook-signature': `v1,${hmacBase64(standardWebhooksKey(secret), `${id}.${seconds}.`, body)}`,
      };
    }
    case 'hubspot': {
      const secret = options.secret ?? SECRETS.signing;
      const url = options.url ?? 'https://hooks.example.com/sources/test';
      return {
        'x-hubspot-signature-v3': hmacBase64(secret, `POST${url}`, body, millis),
        'x-hubspot-request-timestamp': millis,
      };
    }
    case 'typeform':
      return { 'typeform-signature': `sha256=${hmacBase64(options.secret ?? SECRETS.signing, body)}` };
    case 'tally':
      return { 'tally-signature': hmacBase64(options.secret ?? SECRETS.signing, body) };
    case 'shopify':
      return { 'x-shopify-hmac-sha256': hmacBase64(options.secret ?? SECRETS.signing, body), 'x-shopify-topic': 'customers/create' };
    case 'webflow':
      return {
        'x-webflow-timestamp': millis,
        'x-webflow-signature': hmacHex(options.secret ?? SECRETS.signing, `${millis}:`, body),
      };
    case 'kit':
      return { 'x-kit-signature': `t=${seconds},v1=${hmacHex(options.secret ?? SECRETS.signing, `${seconds}.`, body)}` };
    default:
      return {};
  }
}

/** The secret each kind is tested with. */
export function secretFor(kind: SourceKind): string {
  if (kind === 'standard-webhooks') return SECRETS.standardWebhooks;
  if (kind === 'mailchimp' || kind === 'jotform' || kind === 'activecampaign') return SECRETS.token;
  if (kind === 'html-form') return '';
  return SECRETS.signing;
}

export const authQuery = { token: SECRETS.token } as const;

/** A request for `kind` carrying `body`, authenticated the way that sender does it. */
export function authenticRequest(kind: SourceKind, body: Buffer | string, overrides: Partial<RawRequest> = {}): RawRequest {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return makeRequest({
    body: bytes,
    query: authQuery,
    ...overrides,
    headers: { ...signatureHeaders(kind, bytes), ...(overrides.headers ?? {}) },
  });
}
