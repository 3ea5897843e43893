import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as fc from 'fast-check';
import type { SourceKind } from '../../shared/sources/source-config';
import { FUZZ_HEADER_NAMES } from '../helpers/fuzz-headers';
import {
  anHttpEvent,
  anIngestHandler,
  ERROR_URL,
  FORM_ORIGIN,
  fakeQueue,
  publicUrlOf,
  SECRETS,
  senderHeaders,
  sourceIdOf,
  standardWebhookHeaders,
  THANK_YOU_URL,
} from '../helpers/ingest';
import { BOUNDARY, DELIVERIES } from '../helpers/ingest-deliveries';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Property: whatever reaches the ingest handler (random and mutated requests on every route, random
 * content types, oversized bodies, broken base64 and UTF-8, deep nesting, `__proto__` keys, huge
 * arrays; unsigned, or correctly signed so they get past authentication into the parsers), the
 * handler answers, and:
 * - no exception escapes, and no 5xx except 503 when the queue was told to fail and was called;
 * - every refusal (4xx) is a problem document, or an html-form source's own JSON answer;
 * - a 3xx is only an html-form's 303 to its thank-you or error page;
 * - a 2xx never follows a failed enqueue, and a 202 reports exactly what was enqueued;
 * - a source route never answers 404 or 410, and no answer contains a secret.
 */

const KINDS = Object.keys(DELIVERIES) as SourceKind[];
const queueFake = fakeQueue();
const ingest = anIngestHandler({ queue: queueFake.queue });
const SECRET_VALUES = Object.values(SECRETS);
let requests = 0;
/** Answers seen, so the test also proves the fuzz reached past authentication (202, 422, 503 ...). */
const statuses = new Map<number, number>();

type Target = Readonly<{ kind: SourceKind | 'canonical' | 'unknown'; path: string }>;

const canonical: Target = { kind: 'canonical', path: '/signups' };
const sourceTarget = fc.constantFrom(...KINDS).map((kind): Target => ({ kind, path: `/sources/${sourceIdOf(kind)}` }));
const unknownTarget = fc
  .oneof(
    fc.stringMatching(/^[a-z0-9-]{1,24}$/),
    fc.constantFrom('api', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '%zz', '%2F', 'kit-src%00', 'KIT-SRC', 'a'.repeat(300)),
  )
  .filter((id) => !KINDS.some((kind) => sourceIdOf(kind) === id))
  .map((id): Target => ({ kind: 'unknown', path: `/sources/${id}` }));
const target = fc.oneof(fc.constant(canonical), sourceTarget, unknownTarget);

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-8',
  'application/x-www-form-urlencoded',
  `multipart/form-data; boundary=${BOUNDARY}`,
  'multipart/form-data; boundary=other',
  'multipart/form-data',
  'text/plain',
  'application/xml',
  'application/problem+json',
  ';;;',
  'application/json; charset="unterminated',
);

// Precomputed, so that thousands of runs stay fast.
const SPECIAL_BODIES: readonly Buffer[] = [
  Buffer.from(`${'['.repeat(100_000)}${']'.repeat(100_000)}`),
  Buffer.from(`${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`),
  Buffer.from(`{"email":${'['.repeat(200_000)}"x@example.com"${']'.repeat(200_000)},"first_name":"A","last_name":"B"}`),
  Buffer.from(`email=${'%5B'.repeat(10_000)}&website=`),
  Buffer.from('{"__proto__":{"email":"p@example.com","first_name":"Proto","last_name":"Type","admin":true},"constructor":{"prototype":{"x":1}}}'),
  Buffer.from('[{"__proto__":{"polluted":true},"email":"a@example.com","first_name":"A","last_name":"B"}]'),
  Buffer.from('__proto__[email]=a%40example.com&constructor[prototype][x]=1&data[__proto__][email]=x&contact[__proto__][first_name]=y'),
  Buffer.from(JSON.stringify(Array.from({ length: 150 }, (_, index) => ({ email: `p${index}@example.com`, first_name: 'A', last_name: 'B' })))),
  Buffer.from(JSON.stringify({ events: Array.from({ length: 5_000 }, () => ({ id: 'x', type: 'subscriber.created', data: {} })) })),
  Buffer.from(JSON.stringify(Array.from({ length: 200_000 }, (_, index) => index))),
  Buffer.from(JSON.stringify({ email: 'big@example.com', first_name: 'A', last_name: 'B', notes: 'x'.repeat(300 * 1024) })),
  Buffer.alloc(1_100_000, 0x61),
  Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]),
  Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"email":"bom@example.com","first_name":"A","last_name":"B"}')]),
  Buffer.from('\u0000\u0001\u0002'),
  Buffer.alloc(0),
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="rawRequest"\r\n\r\n${'{'.repeat(10_000)}\r\n--${BOUNDARY}--\r\n`),
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="email"\r\n\r\nunterminated`),
];

const formKey = fc.oneof(
  fc.constantFrom(
    'type',
    'email',
    'full_name',
    'first_name',
    'last_name',
    'website',
    'newsletter',
    'formID',
    'submissionID',
    'rawRequest',
    'token',
    '__proto__',
    'constructor',
  ),
  fc.string({ maxLength: 10 }),
  fc
    .tuple(fc.constantFrom('data', 'contact', '__proto__'), fc.array(fc.constantFrom('merges', 'FNAME', 'email', '', '__proto__', 'id'), { maxLength: 3 }))
    .map(([head, rest]) => `${head}${rest.map((segment) => `[${segment}]`).join('')}`),
);
const formValue = fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('subscribe', 'a@example.com', 'Ada Lovelace', '%', '%zz', '+', 'on'));
const urlencoded = fc
  .array(fc.tuple(formKey, formValue, fc.boolean()), { maxLength: 10 })
  .map((pairs) => pairs.map(([key, value, encode]) => `${encodeURIComponent(key)}=${encode ? encodeURIComponent(value) : value}`).join('&'));
const multipartBody = fc
  .array(fc.tuple(formKey, formValue, fc.boolean()), { maxLength: 6 })
  .map((parts) =>
    [
      ...parts.map(
        ([name, value, file]) =>
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name.replace(/"/g, '')}"${file ? '; filename="f"' : ''}\r\n\r\n${value}\r\n`,
      ),
      `--${BOUNDARY}--\r\n`,
    ].join(''),
  );

const signupLike = fc.record(
  {
    email: fc.oneof(fc.emailAddress(), fc.string({ maxLength: 30 }), fc.constant('  MiXeD@Example.COM ')),
    first_name: fc.oneof(fc.string({ maxLength: 120 }), fc.constant('Ada')),
    last_name: fc.oneof(fc.string({ maxLength: 120 }), fc.constant('Lovelace')),
    company: fc.string({ maxLength: 300 }),
    consent: fc.oneof(fc.record({ marketing: fc.boolean() }), fc.jsonValue({ maxDepth: 1 })),
    occurred_at: fc.oneof(
      fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      fc.string({ maxLength: 10 }),
    ),
    event_id: fc.string({ maxLength: 250 }),
    address: fc.record(
      { address1: fc.string({ maxLength: 10 }), city: fc.string({ maxLength: 10 }), country_code: fc.string({ maxLength: 3 }) },
      { requiredKeys: [] },
    ),
    custom_fields: fc.array(
      fc.record({
        name: fc.string({ maxLength: 5 }),
        value: fc.oneof(fc.string({ maxLength: 5 }), fc.double(), fc.array(fc.string({ maxLength: 3 }), { maxLength: 3 })),
      }),
      { maxLength: 3 },
    ),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

/** Replaces, removes or adds a value somewhere in a JSON document (at most a few levels deep). */
function mutateJson(value: unknown, path: readonly number[], replacement: unknown, mode: number): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return mode === 0 ? replacement : value;
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[path[0]! % entries.length]!;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  if (mode === 1 && path.length === 1 && !Array.isArray(copy)) delete copy[key];
  else (copy as Record<string, unknown>)[key] = mutateJson(child, path.slice(1), replacement, mode);
  return copy;
}

const mutatedExample = fc
  .tuple(fc.constantFrom(...KINDS), fc.array(fc.nat(20), { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 }), fc.nat(2))
  .map(([kind, path, replacement, mode]) => {
    const body = DELIVERIES[kind].body;
    try {
      return JSON.stringify(mutateJson(JSON.parse(body), path, replacement, mode));
    } catch {
      // A form body: cut it, or splice garbage in.
      const at = path[0] ?? 0;
      return `${body.slice(0, at * 7)}${JSON.stringify(replacement)}${body.slice(at * 7 + 3)}`;
    }
  });

const body = fc.oneof(
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  { weight: 2, arbitrary: fc.string({ maxLength: 100, unit: 'binary' }).map((text) => Buffer.from(text)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value) ?? 'null')) },
  { weight: 4, arbitrary: signupLike.map((signup) => Buffer.from(JSON.stringify(signup))) },
  { weight: 2, arbitrary: fc.array(signupLike, { maxLength: 12 }).map((signups) => Buffer.from(JSON.stringify(signups))) },
  { weight: 6, arbitrary: mutatedExample.map((text) => Buffer.from(text)) },
  { weight: 3, arbitrary: urlencoded.map((text) => Buffer.from(text)) },
  { weight: 2, arbitrary: multipartBody.map((text) => Buffer.from(text)) },
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL_BODIES) },
);

const headerName = fc.oneof(fc.constantFrom(...FUZZ_HEADER_NAMES), fc.string({ maxLength: 10 }));
const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    FORM_ORIGIN,
    'null',
    'v1,abc',
    't=1,v1=zz',
    'sha256=',
    'customers/create',
    '9999999999999999',
    'application/json',
    `Bearer ${'x'.repeat(20)}`,
  ),
);
const randomHeaders = fc.dictionary(headerName, headerValue, { maxKeys: 5 });
const randomQuery = fc.oneof(
  fc.constant({}),
  fc.constant({ token: SECRETS.token }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }),
);
/** How the body travels: as text, as base64 (API Gateway's binary), or as base64 that is not. */
const encoding = fc.constantFrom('text', 'base64', 'base64', 'broken-base64' as const);

type Request = Readonly<{
  target: Target;
  method: string;
  body: Buffer;
  contentType: string | undefined;
  headers: Record<string, string>;
  query: Record<string, string>;
  encoding: 'text' | 'base64' | 'broken-base64';
  defaultRoute: boolean;
  queueFails: boolean;
}>;

function toEvent(request: Request): APIGatewayProxyEventV2 {
  const event = anHttpEvent(request.target.path, {
    method: request.method,
    body: request.body,
    base64: request.encoding !== 'text',
    query: request.query,
    headers: { ...(request.contentType === undefined ? {} : { 'content-type': request.contentType }), ...request.headers },
    ...(request.defaultRoute ? { routeKey: '$default' } : {}),
  });
  if (request.encoding === 'text') return { ...event, body: request.body.toString('utf8') };
  if (request.encoding === 'broken-base64') return { ...event, body: `${request.body.toString('latin1')}=*%` };
  return event;
}

const isHtmlForm = (request: Request) => request.target.kind === 'html-form';

async function send(request: Request): Promise<void> {
  requests += 1;
  queueFake.messages.length = 0;
  queueFake.state.fail = request.queueFails;
  const callsBefore = queueFake.state.calls;

  const response = await ingest(toEvent(request));

  const status = response.statusCode ?? 0;
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
  const attempted = queueFake.state.calls > callsBefore;
  const enqueued = queueFake.messages.length;
  const headers = response.headers ?? {};
  const text = response.body ?? '';
  expect(Number.isInteger(status)).toBe(true);
  for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
  if (request.target.path.startsWith('/sources/') && ['POST', 'GET', 'OPTIONS'].includes(request.method)) expect([404, 410]).not.toContain(status);

  if (status >= 500) {
    expect(status).toBe(503);
    expect(request.queueFails && attempted).toBe(true);
    expect(headers['retry-after']).toMatch(/^\d+$/);
  }
  if (status >= 400) {
    if (headers['content-type'] === 'application/problem+json') {
      const problem = JSON.parse(text) as { status: unknown; title: unknown; type: unknown };
      expect(problem.status).toBe(status);
      expect(typeof problem.title).toBe('string');
      expect(problem.type).toBe('about:blank');
    } else {
      // An html-form source answering a fetch post in its own JSON shape.
      expect(isHtmlForm(request)).toBe(true);
      expect(headers['content-type']).toBe('application/json');
      expect(JSON.parse(text)).toMatchObject({ ok: false });
    }
  } else if (status >= 300) {
    expect(status).toBe(303);
    expect(isHtmlForm(request)).toBe(true);
    // The error URL may name the fields that failed: canonical names only, never a value.
    expect(headers['location']).toMatch(new RegExp(`^(${escapeRegExp(THANK_YOU_URL)}|${escapeRegExp(ERROR_URL)}(\\?fields=[a-z_.]+(,[a-z_.]+)*)?)$`));
    if (headers['location'] === THANK_YOU_URL) expect(request.queueFails && attempted).toBe(false);
  } else {
    expect([200, 202, 204]).toContain(status);
    expect(request.queueFails && attempted).toBe(false);
    if (status === 202 && !isHtmlForm(request)) expect((JSON.parse(text) as { accepted: number }).accepted).toBe(enqueued);
  }
  if (enqueued > 0) expect(isHtmlForm(request) ? [202, 303] : [202]).toContain(status);
}

/** Signs (or token-authenticates) the request the way its sender would, so it reaches the parsers. */
function authentic(request: Omit<Request, 'headers' | 'query'> & { headers: Record<string, string> }): Request {
  const { target } = request;
  if (target.kind === 'canonical') return { ...request, query: {}, headers: { ...request.headers, ...standardWebhookHeaders(request.body) } };
  if (target.kind === 'unknown') return { ...request, query: {}, headers: request.headers };
  const query = DELIVERIES[target.kind].query ?? {};
  return { ...request, query, headers: { ...request.headers, ...senderHeaders(target.kind, request.body, publicUrlOf(target.path, query)) } };
}

const methodFor = (t: Target) => (t.kind === 'canonical' ? fc.constant('POST') : fc.constantFrom('POST', 'POST', 'POST', 'GET', 'OPTIONS'));

const anyRequest = target.chain((t) =>
  fc.record({
    target: fc.constant(t),
    method: fc.oneof({ weight: 9, arbitrary: methodFor(t) }, { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'HEAD', 'PATCH') }),
    body,
    contentType,
    headers: randomHeaders,
    query: randomQuery,
    encoding,
    defaultRoute: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    queueFails: fc.boolean(),
  }),
);

const signedRequest = target.chain((t) =>
  fc
    .record({
      target: fc.constant(t),
      method: methodFor(t),
      body: fc.oneof(
        { weight: 3, arbitrary: body },
        { weight: 2, arbitrary: fc.constant(t.kind in DELIVERIES ? Buffer.from(DELIVERIES[t.kind as SourceKind].body) : Buffer.from('{}')) },
      ),
      contentType: fc.oneof(contentType, fc.constant(t.kind in DELIVERIES ? DELIVERIES[t.kind as SourceKind].contentType : 'application/json')),
      headers: fc.oneof(fc.constant({}), fc.constant({ accept: 'application/json' }), randomHeaders),
      encoding,
      defaultRoute: fc.constant(false),
      queueFails: fc.boolean(),
    })
    .map(authentic),
);

const specialRequest = fc
  .record({
    target,
    body: fc.constantFrom(...SPECIAL_BODIES),
    contentType,
    encoding,
    queueFails: fc.boolean(),
    sign: fc.boolean(),
  })
  .map(({ sign, ...rest }) => {
    const request = { ...rest, method: 'POST', headers: {}, query: {}, defaultRoute: false };
    return sign ? authentic(request) : request;
  });

// `requests` counts what reached the handler; the runs add up to more than 10,000 requests, times
// FUZZ_SCALE (`npm run test:fuzz` uses 10: over 100,000 requests).
const SCALE = Math.max(1, Math.floor(Number(process.env.FUZZ_SCALE ?? '1')) || 1);
const RUNS = { any: 4_500 * SCALE, signed: 5_000 * SCALE, special: 800 * SCALE } as const;

describe('ingest handler fuzz', () => {
  afterAll(() => {
    expect(requests).toBeGreaterThanOrEqual(10_000 * SCALE);
    // Every kind of answer was reached, not just 401s.
    expect([200, 202, 204, 303, 400, 401, 403, 405, 413, 415, 422, 503].filter((status) => !statuses.has(status))).toEqual([]);
  });

  jest.setTimeout(60_000 * SCALE);

  it(`answers ${RUNS.any} random requests on every route within the contract`, async () => {
    await fc.assert(fc.asyncProperty(anyRequest, send), { numRuns: RUNS.any });
  });

  it(`answers ${RUNS.signed} authentic but mutated requests (past authentication, into the parsers) within the contract`, async () => {
    await fc.assert(fc.asyncProperty(signedRequest, send), { numRuns: RUNS.signed });
  });

  it(`answers ${RUNS.special} oversized, deeply nested, __proto__, huge-array and broken-encoding bodies within the contract`, async () => {
    await fc.assert(fc.asyncProperty(specialRequest, send), { numRuns: RUNS.special });
  });

  it('does not pollute Object.prototype', () => {
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['email']).toBeUndefined();
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });
});
