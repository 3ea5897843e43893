import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as z from 'zod';

/**
 * The per-kind examples of docs/examples/sources.json: loaded and checked here, turned into requests
 * (signed at the moment they are sent) for local/demo/send-example.ts and the tests, and into curl
 * lines for the start banner and docs/sources.md.
 */

export const EXAMPLES_FILE = path.join(__dirname, '../../docs/examples/sources.json');
/** Stands for local mode's URL in paths, headers and expected redirects. */
export const BASE_PLACEHOLDER = '{base}';
export const DEFAULT_BASE_URL = 'http://127.0.0.1:3000';

const SIGNED_SCHEMES = ['standard-webhooks', 'hubspot-v3', 'typeform', 'webflow', 'tally', 'kit', 'shopify'] as const;
export type SignedScheme = (typeof SIGNED_SCHEMES)[number];

const authSchema = z.discriminatedUnion('scheme', [
  z.strictObject({ scheme: z.literal('bearer'), secret: z.string().min(16), description: z.string() }),
  z.strictObject({ scheme: z.enum(['url-token', 'origin']), description: z.string() }),
  z.strictObject({ scheme: z.enum(SIGNED_SCHEMES), secret: z.string().min(16), description: z.string() }),
]);

const bodySchema = z.union([
  z.strictObject({ json: z.unknown() }),
  z.strictObject({ urlencoded: z.string() }),
  z.strictObject({ multipart: z.record(z.string(), z.string()) }),
]);

const exampleSchema = z.strictObject({
  kind: z.string().min(1),
  title: z.string().min(1),
  sourceId: z.string().min(1),
  method: z.literal('POST'),
  path: z.string().startsWith('/'),
  headers: z.record(z.string(), z.string()),
  body: bodySchema,
  auth: authSchema,
  expect: z.strictObject({
    status: z.int(),
    location: z.string().optional(),
    outcome: z.string().min(1),
    customer: z.strictObject({ email: z.string(), first_name: z.string(), last_name: z.string() }).optional(),
  }),
});

export type SourceExample = z.output<typeof exampleSchema>;

export function loadExamples(file: string = EXAMPLES_FILE): SourceExample[] {
  const parsed = z.strictObject({ $comment: z.string().optional(), examples: z.array(exampleSchema).min(1) }).safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return parsed.data.examples;
}

/** The example for a kind or source id (`typeform`, `demo-typeform`). */
export function findExample(examples: readonly SourceExample[], name: string): SourceExample | undefined {
  return examples.find((example) => example.kind === name || example.sourceId === name);
}

export const withBase = (text: string, base: string): string => text.split(BASE_PLACEHOLDER).join(base.replace(/\/$/, ''));

const MULTIPART_BOUNDARY = 'signup-sync-example-boundary';

function bodyBytes(body: SourceExample['body']): { bytes: Buffer; contentType?: string } {
  if ('json' in body) return { bytes: Buffer.from(JSON.stringify(body.json)) };
  if ('urlencoded' in body) return { bytes: Buffer.from(body.urlencoded) };
  const parts = Object.entries(body.multipart).map(
    ([name, value]) => `--${MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return { bytes: Buffer.from(`${parts.join('')}--${MULTIPART_BOUNDARY}--\r\n`), contentType: `multipart/form-data; boundary=${MULTIPART_BOUNDARY}` };
}

const hmac = (key: string | Buffer, ...parts: (string | Buffer)[]): Buffer => {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
};

/** The headers a sender of `scheme` adds to `body` at `now` (what its docs describe; see each example's auth.description). */
export function signatureHeaders(scheme: SignedScheme, secret: string, body: Buffer, url: string, now: Date): Record<string, string> {
  const seconds = String(Math.floor(now.getTime() / 1000));
  const millis = String(now.getTime());
  switch (scheme) {
    case 'standard-webhooks': {
      const id = `msg_${randomUUID()}`;
      const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
      return { 'webhook-id': id, 'webhook-timestamp': seconds, 'webhook-signature': `v1,${hmac(key, `${id}.${seconds}.`, body).toString('base64')}` };
    }
    case 'hubspot-v3':
      return { 'x-hubspot-request-timestamp': millis, 'x-hubspot-signature-v3': hmac(secret, `POST${url}`, body, millis).toString('base64') };
    case 'typeform':
      return { 'typeform-signature': `sha256=${hmac(secret, body).toString('base64')}` };
    case 'tally':
      return { 'tally-signature': hmac(secret, body).toString('base64') };
    case 'shopify':
      return { 'x-shopify-hmac-sha256': hmac(secret, body).toString('base64') };
    case 'webflow':
      return { 'x-webflow-timestamp': millis, 'x-webflow-signature': hmac(secret, `${millis}:`, body).toString('hex') };
    case 'kit':
      return { 'x-kit-signature': `t=${seconds},v1=${hmac(secret, `${seconds}.`, body).toString('hex')}` };
  }
}

export type ExampleRequest = Readonly<{ url: string; method: string; headers: Record<string, string>; body: Buffer }>;

/** The example as a request to local mode at `base`, signed (where its kind signs) at `now`. */
export function buildRequest(example: SourceExample, base: string = DEFAULT_BASE_URL, now: Date = new Date()): ExampleRequest {
  const url = `${base.replace(/\/$/, '')}${withBase(example.path, base)}`;
  const { bytes, contentType } = bodyBytes(example.body);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(example.headers)) headers[name.toLowerCase()] = withBase(value, base);
  if (contentType) headers['content-type'] = contentType;
  const { auth } = example;
  if (auth.scheme === 'bearer') headers['authorization'] = `Bearer ${auth.secret}`;
  else if (auth.scheme !== 'url-token' && auth.scheme !== 'origin' && 'secret' in auth)
    Object.assign(headers, signatureHeaders(auth.scheme, auth.secret, bytes, url, now));
  return { url, method: example.method, headers, body: bytes };
}

export const isSigned = (example: SourceExample): boolean => !['bearer', 'url-token', 'origin'].includes(example.auth.scheme);

const shellQuote = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/**
 * A curl line for the example. Signed kinds get the signature of `now`, which the sender's timestamp
 * tolerance (5 minutes) lets through only briefly: for those, `npx tsx local/demo/send-example.ts <kind>`
 * signs at the moment it sends.
 */
export function curlLine(example: SourceExample, base: string = DEFAULT_BASE_URL, now: Date = new Date()): string {
  const request = buildRequest(example, base, now);
  const parts = ['curl', '-i', shellQuote(request.url)];
  const { body } = example;
  for (const [name, value] of Object.entries(request.headers)) {
    if ('multipart' in body && name === 'content-type') continue;
    parts.push('-H', shellQuote(`${name}: ${value}`));
  }
  if ('multipart' in body) for (const [name, value] of Object.entries(body.multipart)) parts.push('--form-string', shellQuote(`${name}=${value}`));
  else parts.push('--data-binary', shellQuote(request.body.toString('utf8')));
  return parts.join(' ');
}

/** What to paste for the example: the curl line, or the signing command for signed kinds. */
export function pasteLine(example: SourceExample, base: string = DEFAULT_BASE_URL): string {
  if (!isSigned(example)) return curlLine(example, base);
  const flag = base.replace(/\/$/, '') === DEFAULT_BASE_URL ? '' : ` --url ${base}`;
  return `npx tsx local/demo/send-example.ts ${example.kind}${flag}`;
}
