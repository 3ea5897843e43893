import * as fc from 'fast-check';
import { HttpProblemError } from '../../../shared/http-input/errors';
import { sourceAdapters } from '../../../shared/sources/adapters';
import { SourceConfigError } from '../../../shared/sources/errors';
import type { AdapterDecision, RawRequest } from '../../../shared/sources/source-adapter';
import { SOURCE_KINDS, type SourceKind } from '../../../shared/sources/source-config';
import { FUZZ_HEADER_NAMES } from '../../helpers/fuzz-headers';
import { authQuery, makeSource, NOW, secretFor, signatureHeaders } from './fixtures';

/**
 * Property: whatever arrives (random bytes, headers, methods, queries; or well-signed garbage that
 * gets past authentication into the parsers), an adapter either decides or throws one of the typed
 * source errors with a 4xx status. Never a TypeError, a RangeError, a URIError or a 5xx.
 */

const BOUNDARY = 'fuzzB0undary';

const sources = Object.fromEntries(
  SOURCE_KINDS.map((kind) => [
    kind,
    kind === 'html-form'
      ? makeSource('html-form', {
          allowedOrigins: ['https://www.example.com'],
          thankYouUrl: 'https://www.example.com/thanks',
          errorUrl: 'https://www.example.com/oops',
          honeypotField: 'website',
          lastNamePolicy: 'split-full-name',
        })
      : kind === 'kit'
        ? makeSource('kit', { eventTypes: ['subscriber.created', 'subscriber.activated'] })
        : makeSource(kind, { lastNamePolicy: 'split-full-name' } as never),
  ]),
) as Record<SourceKind, ReturnType<typeof makeSource>>;

const formKey = fc.oneof(
  fc.constantFrom('type', 'email', 'name', 'website', 'formID', 'submissionID', 'rawRequest', 'token', 'form_token', '__proto__', 'constructor'),
  fc.string({ maxLength: 12 }),
  fc
    .tuple(
      fc.constantFrom('data', 'contact', '__proto__'),
      fc.array(fc.constantFrom('merges', 'FNAME', 'email', '', '__proto__', 'ADDRESS', 'id'), { maxLength: 4 }),
    )
    .map(([head, rest]) => `${head}${rest.map((segment) => `[${segment}]`).join('')}`),
);
const formValue = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.stringify(value)),
  fc.constantFrom('subscribe', 'profile', '%', '%zz', '+'),
);

const urlencodedBody = fc
  .array(fc.tuple(formKey, formValue, fc.boolean()), { maxLength: 12 })
  .map((pairs) => pairs.map(([key, value, encode]) => `${encodeURIComponent(key)}=${encode ? encodeURIComponent(value) : value}`).join('&'));

const multipartBody = fc
  .array(fc.tuple(formKey, formValue, fc.boolean()), { maxLength: 6 })
  .chain((parts) =>
    fc
      .constantFrom('\r\n', '\n')
      .map((eol) =>
        [
          ...parts.map(([name, value, file]) =>
            [`--${BOUNDARY}`, `Content-Disposition: form-data; name="${name.replace(/"/g, '')}"${file ? '; filename="f.bin"' : ''}`, '', value].join(eol),
          ),
          `--${BOUNDARY}--`,
        ].join(eol),
      ),
  );

const jsonish = fc.jsonValue({ maxDepth: 4 });
const payloadLike = fc.oneof(
  jsonish,
  fc.record({
    event_type: fc.constantFrom('form_response', 'x'),
    event_id: jsonish,
    form_response: fc.record({ answers: fc.array(jsonish), hidden: jsonish, submitted_at: jsonish }),
  }),
  fc.record({
    triggerType: fc.constantFrom('form_submission', undefined),
    payload: fc.record({ data: jsonish, schema: jsonish, formId: jsonish, name: jsonish }),
  }),
  fc.record({
    eventType: fc.constant('FORM_RESPONSE'),
    eventId: jsonish,
    data: fc.record({ fields: fc.array(fc.record({ key: jsonish, label: jsonish, type: jsonish, value: jsonish, options: jsonish })) }),
  }),
  fc.record({
    delivery_id: jsonish,
    events: fc.array(
      fc.record({
        id: jsonish,
        type: fc.constantFrom('subscriber.created', 'subscriber.activated'),
        created: jsonish,
        data: fc.record({ subscriber: jsonish }),
      }),
    ),
  }),
  fc.record({ type: fc.string(), timestamp: jsonish, data: jsonish }),
  fc.array(fc.record({ email: jsonish, first_name: jsonish, last_name: jsonish, properties: jsonish, subscriptionType: fc.option(jsonish) })),
  fc.record({ email: jsonish, default_address: jsonish, addresses: jsonish, first_name: jsonish }),
);

/** A body and the content type that would naturally come with it. */
const typedBody: fc.Arbitrary<[Buffer, string | undefined]> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes): [Buffer, string | undefined] => [Buffer.from(bytes), undefined]),
  payloadLike.map((value): [Buffer, string | undefined] => [Buffer.from(JSON.stringify(value) ?? 'null'), 'application/json']),
  urlencodedBody.map((text): [Buffer, string | undefined] => [Buffer.from(text), 'application/x-www-form-urlencoded']),
  multipartBody.map((text): [Buffer, string | undefined] => [Buffer.from(text), `multipart/form-data; boundary=${BOUNDARY}`]),
);
const body = typedBody.map(([bytes]) => bytes);

const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/x-www-form-urlencoded',
  `multipart/form-data; boundary=${BOUNDARY}`,
  `multipart/form-data; boundary="${BOUNDARY}"`,
  'multipart/form-data',
  'text/plain',
  'application/xml',
  ';;;',
);

const headerName = fc.oneof(fc.constantFrom(...FUZZ_HEADER_NAMES), fc.string({ maxLength: 10 }));
const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom('https://www.example.com', 'null', 'v1,abc', 't=1,v1=zz', 'sha256=', 'customers/create', '9999999999999999'),
);

const method = fc.oneof(fc.constantFrom('POST', 'GET', 'OPTIONS', 'HEAD', 'PUT', 'DELETE'), fc.string({ maxLength: 6 }));
const query = fc.oneof(fc.constant(authQuery), fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 }), { maxKeys: 3 }));

function outcome(kind: SourceKind, request: RawRequest): AdapterDecision | HttpProblemError {
  try {
    return sourceAdapters[kind].decide(request, { source: sources[kind], secret: secretFor(kind), now: NOW });
  } catch (error) {
    // The one error family: SourceError subclasses and the input layer's PayloadError.
    if (error instanceof HttpProblemError) return error;
    throw error;
  }
}

function expectTypedOutcome(result: AdapterDecision | HttpProblemError): void {
  if (result instanceof HttpProblemError) {
    expect(result).not.toBeInstanceOf(SourceConfigError);
    expect(result.statusCode).toBeGreaterThanOrEqual(400);
    expect(result.statusCode).toBeLessThan(500);
    return;
  }
  expect(['signups', 'ignore', 'reply']).toContain(result.type);
  if (result.type === 'signups') {
    for (const { signup } of result.signups) expect(() => JSON.stringify(signup)).not.toThrow();
  }
}

describe.each(SOURCE_KINDS)('%s adapter under random input', (kind) => {
  it('throws nothing but typed 4xx HTTP problem errors for arbitrary requests', () => {
    fc.assert(
      fc.property(method, fc.dictionary(headerName, headerValue, { maxKeys: 6 }), body, query, (verb, headers, bytes, params) => {
        expectTypedOutcome(outcome(kind, { method: verb, headers, body: bytes, query: params, publicUrl: 'https://hooks.example.com/sources/test' }));
      }),
      { numRuns: 150 },
    );
  });

  it('throws nothing but typed 4xx HTTP problem errors for authentic requests with arbitrary bodies', () => {
    fc.assert(
      fc.property(typedBody, contentType, fc.boolean(), fc.boolean(), ([bytes, naturalType], otherType, natural, wantsJson) => {
        const type = natural ? naturalType : otherType;
        const headers: Record<string, string> = {
          ...signatureHeaders(kind, bytes),
          origin: 'https://www.example.com',
          ...(type ? { 'content-type': type } : {}),
          ...(wantsJson ? { accept: 'application/json' } : {}),
        };
        expectTypedOutcome(outcome(kind, { method: 'POST', headers, body: bytes, query: authQuery, publicUrl: 'https://hooks.example.com/sources/test' }));
      }),
      { numRuns: 200 },
    );
  });
});
