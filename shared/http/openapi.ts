import * as z from 'zod';
import packageJson from '../../package.json';
import { MAX_CANONICAL_BODY_BYTES, MAX_SIGNUPS_PER_REQUEST, MAX_SOURCE_BODY_BYTES } from '../http-input/limits';
import { PROBLEM_CONTENT_TYPE, problemDocumentSchema } from '../http-input/problem-document';
import { ingestResultSchema, QUEUE_RETRY_AFTER_SECONDS } from '../ingest/ingest-signups';
import { CANONICAL_SOURCE_ID } from '../ingest/ingest-sources';
import { signupSchema } from '../signup/signup-schema';
import { htmlFormJsonReplySchema } from '../sources/adapters/html-form';
import { SOURCE_KINDS } from '../sources/source-config';
import { INGEST_ROUTES, type IngestRoute, routeKey } from './routes';

/**
 * The OpenAPI 3.1 document of the ingest API, generated from the zod schemas the handler validates
 * with (zod 4's JSON Schema output, draft 2020-12, which OpenAPI 3.1 uses as is) and from the route
 * table. `npm run openapi` writes it to docs/openapi.json; test/unit/openapi.test.ts fails when the
 * committed file differs from what this module generates.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };
type JsonObject = { [key: string]: Json | undefined };

const ref = (kind: 'schemas' | 'responses' | 'parameters', name: string): JsonObject => ({ $ref: `#/components/${kind}/${name}` });

const OPT_OUT_PROPERTIES = ['email', 'opt_out', 'event_id', 'occurred_at'] as const;

/**
 * The signup schema refuses an opt-out that carries anything but email, event_id and occurred_at (a
 * refinement JSON Schema cannot see), so the document states it as two shapes: a signup, or an opt-out.
 * A signup without both names is accepted only with marketing consent under the default nameless policy.
 */
function splitOptOut(signup: JsonObject): JsonObject {
  const properties = signup['properties'] as JsonObject;
  const { opt_out: optOut, ...details } = properties;
  return {
    SignupDetails: {
      ...signup,
      properties: details,
      // The default nameless policy ("subscriber", shared/signup/nameless-policy.ts): without both names a
      // signup must consent to marketing, since it can only become a newsletter subscriber.
      anyOf: [
        { required: ['first_name', 'last_name'] },
        { required: ['consent'], properties: { consent: { type: 'object', required: ['marketing'], properties: { marketing: { const: true } } } } },
      ],
    },
    OptOut: {
      type: 'object',
      description: 'An unsubscribe: the store stops mailing this email (its newsletter consent is withdrawn).',
      properties: Object.fromEntries(OPT_OUT_PROPERTIES.map((name) => [name, name === 'opt_out' ? optOut : properties[name]])),
      required: ['email', 'opt_out'],
      additionalProperties: false,
    },
    Signup: { anyOf: [ref('schemas', 'SignupDetails'), ref('schemas', 'OptOut')] },
  };
}

/** Named schemas, generated together so that they refer to each other by $ref. */
function componentSchemas(): JsonObject {
  const registry = z.registry<{ id: string }>();
  registry.add(signupSchema, { id: 'Signup' });
  registry.add(z.union([signupSchema, z.array(signupSchema).min(1).max(MAX_SIGNUPS_PER_REQUEST)]), { id: 'SignupBatch' });
  registry.add(ingestResultSchema, { id: 'IngestResult' });
  registry.add(problemDocumentSchema, { id: 'Problem' });
  registry.add(htmlFormJsonReplySchema, { id: 'HtmlFormReply' });
  // Requests are described as senders write them (before trimming and defaults).
  const { schemas } = z.toJSONSchema(registry, { io: 'input', uri: (id) => `#/components/schemas/${id}` });
  const components: JsonObject = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _dialect, $id: _id, ...rest } = schema as JsonObject;
    components[id] = rest;
  }
  Object.assign(components, splitOptOut(components['Signup'] as JsonObject));
  components['SourcePayload'] = {
    // Every kind's payload is a JSON object (Standard Webhooks also takes an array of canonical signups).
    type: ['object', 'array'],
    description:
      "The sender's own format (a Typeform, Kit, Tally, Webflow, Shopify, HubSpot or Standard Webhooks JSON payload); see docs/sources.md for the source's kind.",
  };
  components['FormFields'] = {
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Form fields as the sender posts them (Mailchimp `data[...]`, ActiveCampaign `contact[...]`, Jotform `rawRequest`, an HTML form).',
  };
  return components;
}

const problem = (description: string, headers?: JsonObject): JsonObject => ({
  description,
  ...(headers ? { headers } : {}),
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('schemas', 'Problem') } },
});

function componentResponses(): JsonObject {
  return {
    Accepted: {
      description: 'Every signup of the request is in the queue.',
      content: { 'application/json': { schema: ref('schemas', 'IngestResult') } },
    },
    BadRequest: problem('Malformed body: invalid JSON, invalid UTF-8, empty body, or a broken form encoding.'),
    Unauthorized: problem(
      'Missing or invalid signature or token, or an unknown source id: every case gets the same answer, and never 404 or 410 ' +
        '(Typeform disables a webhook on 404/410, ActiveCampaign on 410).',
    ),
    ContentTooLarge: problem(`Body too large, or more than ${MAX_SIGNUPS_PER_REQUEST} signups in one request.`),
    UnsupportedMediaType: problem('A content type this route does not read.'),
    UnprocessableContent: problem('A signup failed validation: `errors` lists every failing field as a JSON Pointer, without its value. Nothing was enqueued.'),
    Conflict: problem(
      "The id of this request (the signup's `event_id`, else the signed `webhook-id`) was already used for a different signup within the delivery " +
        "ledger's retention: `errors` names `event_id` (or `detail` the `webhook-id`). Nothing was enqueued. A retry must send the same signup; " +
        'a new signup needs a new id. (The same id with the same signup is a repeat: 202 with `delivery-repeated: true`.)',
    ),
    InternalError: problem(
      'An internal or configuration error (for instance a source without a usable secret). Nothing was enqueued; retrying later may succeed.',
    ),
    ServiceUnavailable: problem('The queue (or the sources secret) is temporarily unavailable. Nothing was enqueued: retry after `Retry-After` seconds.', {
      'Retry-After': { description: `Seconds to wait (${QUEUE_RETRY_AFTER_SECONDS})`, schema: { type: 'integer', minimum: 1 } },
    }),
  };
}

const sourceIdParameter: JsonObject = {
  name: 'sourceId',
  in: 'path',
  required: true,
  description:
    "A configured source's path segment (its stack output SourceUrl…): `<id>-<routeToken>` for a webhook source, the `id` for an html-form. " +
    "Anything else, a webhook's bare id included, is answered 401.",
  schema: { type: 'string', pattern: '^[a-z0-9](?:[a-z0-9-]{0,127}[a-z0-9])?$' },
};

const corsHeaders: JsonObject = {
  'Access-Control-Allow-Origin': { description: "The request's Origin, when it is on the html-form source's allow-list", schema: { type: 'string' } },
  Vary: { schema: { type: 'string' } },
};

const responseRef = (name: string): JsonObject => ref('responses', name);

const confirmPage = (description: string, headers?: JsonObject): JsonObject => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'text/html': { schema: { type: 'string' } } },
});

const tokenParameter: JsonObject = {
  name: 'token',
  in: 'path',
  required: true,
  description: 'The signed token of a double opt-in mail (`<payload>.<mac>`, base64url): only the sync makes them.',
  schema: { type: 'string', maxLength: 400 },
};

/** The answers both confirm routes share: pages for a person, never problem documents. */
const confirmRefusals: JsonObject = {
  '404': confirmPage('The link is not one of ours, or was changed; or no source of this deployment asks for double opt-in.'),
  '410': confirmPage('The link expired, or the request it confirms no longer exists (withdrawn, erased, superseded): nothing subscribed.'),
  '500': responseRef('InternalError'),
  '503': confirmPage('The consent table or the queue is unavailable right now; open the link again later.', {
    'Retry-After': { schema: { type: 'integer' } },
  }),
};

/** One operation per route key; a route without one fails generation (and so the test). */
const OPERATIONS: Readonly<Record<string, (route: IngestRoute) => JsonObject>> = {
  'POST /signups': (route) => ({
    operationId: 'postSignups',
    summary: route.summary,
    description:
      `Our canonical format. Authenticated with the \`${CANONICAL_SOURCE_ID}\` entry of the sources secret: a Standard Webhooks signature ` +
      '(`webhook-id`, `webhook-timestamp` within 5 minutes, `webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>`), or ' +
      "`Authorization: Bearer <secret>`. A signed request's `webhook-id` is the event id (idempotency key) of signups without `event_id`. " +
      'The same id with the same signup again is a repeat (202, nothing enqueued again); with another signup it is refused with 409. ' +
      `The request is accepted or refused as a whole; at most ${MAX_CANONICAL_BODY_BYTES} bytes.`,
    security: [{ standardWebhooks: [] }, { bearerToken: [] }],
    parameters: [
      { name: 'webhook-id', in: 'header', required: false, schema: { type: 'string' }, description: 'Standard Webhooks message id (stable across retries)' },
      { name: 'webhook-timestamp', in: 'header', required: false, schema: { type: 'string', pattern: '^\\d+$' }, description: 'Unix seconds' },
    ],
    requestBody: { required: true, content: { 'application/json': { schema: ref('schemas', 'SignupBatch') } } },
    responses: {
      '202': responseRef('Accepted'),
      '400': responseRef('BadRequest'),
      '401': responseRef('Unauthorized'),
      '409': responseRef('Conflict'),
      '413': responseRef('ContentTooLarge'),
      '415': responseRef('UnsupportedMediaType'),
      '422': responseRef('UnprocessableContent'),
      '500': responseRef('InternalError'),
      '503': responseRef('ServiceUnavailable'),
    },
  }),
  'POST /sources/{sourceId}': (route) => ({
    operationId: 'postSource',
    summary: route.summary,
    description:
      `A delivery from a configured source of kind ${SOURCE_KINDS.map((kind) => `\`${kind}\``).join(', ')}. Authentication depends on the kind: ` +
      "the sender's signature header (verified on the raw bytes, in constant time, with a 5-minute tolerance where the scheme has a timestamp), " +
      'a `token` query parameter for senders that cannot sign (Mailchimp, Jotform, ActiveCampaign, unsigned Webflow), or the Origin allow-list ' +
      `for html forms. At most ${MAX_SOURCE_BODY_BYTES} bytes and ${MAX_SIGNUPS_PER_REQUEST} signups. An html-form source answers native form ` +
      'posts with 303 to its thank-you or error page, and fetch posts that accept JSON with `HtmlFormReply`.',
    security: [{ sourceUrlToken: [] }, {}],
    requestBody: {
      required: true,
      content: {
        'application/json': { schema: ref('schemas', 'SourcePayload') },
        'application/x-www-form-urlencoded': { schema: ref('schemas', 'FormFields') },
        'multipart/form-data': { schema: ref('schemas', 'FormFields') },
      },
    },
    responses: {
      '200': {
        description: 'Authentic, but not a signup (another event type, a URL check): nothing enqueued.',
        content: { 'application/json': { schema: ref('schemas', 'IngestResult') } },
      },
      '202': {
        description: 'Every signup of the delivery is in the queue.',
        headers: corsHeaders,
        content: { 'application/json': { schema: { oneOf: [ref('schemas', 'IngestResult'), ref('schemas', 'HtmlFormReply')] } } },
      },
      '303': {
        description:
          "html-form, native post: redirect to the source's thank-you page (accepted) or error page (anything else). When signup fields failed " +
          'validation, the error URL carries them as `fields=email,last_name` (field names, nested with dots: `address.city`; never values).',
        headers: {
          Location: {
            description: 'The allow-listed thankYouUrl, or errorUrl (with `fields` after a validation failure)',
            schema: { type: 'string', format: 'uri' },
          },
        },
      },
      '400': responseRef('BadRequest'),
      '401': responseRef('Unauthorized'),
      '403': problem("html-form: the request's Origin (or Referer) is not on the source's allow-list."),
      '405': problem('A method this source does not use.', { Allow: { schema: { type: 'string' } } }),
      '413': responseRef('ContentTooLarge'),
      '415': responseRef('UnsupportedMediaType'),
      '429': {
        description:
          "html-form: the client posted more often than the source's `clientLimit` allows (a native post is redirected to the error page instead). Nothing was enqueued.",
        headers: { 'Retry-After': { description: 'Seconds until the client may post again', schema: { type: 'integer' } } },
        content: {
          [PROBLEM_CONTENT_TYPE]: { schema: ref('schemas', 'Problem') },
          'application/json': { schema: ref('schemas', 'HtmlFormReply') },
        },
      },
      '422': {
        description: 'A signup failed validation (problem document; html-form fetch posts get `HtmlFormReply`). Nothing was enqueued.',
        content: {
          [PROBLEM_CONTENT_TYPE]: { schema: ref('schemas', 'Problem') },
          'application/json': { schema: ref('schemas', 'HtmlFormReply') },
        },
      },
      '500': responseRef('InternalError'),
      '503': responseRef('ServiceUnavailable'),
    },
  }),
  'GET /sources/{sourceId}': (route) => ({
    operationId: 'getSource',
    summary: route.summary,
    description: 'Mailchimp sends a GET when a webhook is saved and needs a 200; it carries no token. Other kinds answer 405.',
    responses: {
      '200': { description: 'Handshake answered.', content: { 'text/plain': { schema: { type: 'string' } } } },
      '401': responseRef('Unauthorized'),
      '405': problem('This source has no handshake.', { Allow: { schema: { type: 'string' } } }),
      '500': responseRef('InternalError'),
      '503': responseRef('ServiceUnavailable'),
    },
  }),
  'OPTIONS /sources/{sourceId}': (route) => ({
    operationId: 'preflightSource',
    summary: route.summary,
    description: 'Answered for html-form sources only, and only for an allow-listed Origin asking for POST.',
    parameters: [
      { name: 'Origin', in: 'header', required: true, schema: { type: 'string' } },
      { name: 'Access-Control-Request-Method', in: 'header', required: false, schema: { type: 'string', enum: ['POST'] } },
    ],
    responses: {
      '204': {
        description: 'Preflight allowed.',
        headers: {
          ...corsHeaders,
          'Access-Control-Allow-Methods': { schema: { type: 'string' } },
          'Access-Control-Allow-Headers': { schema: { type: 'string' } },
          'Access-Control-Max-Age': { schema: { type: 'integer' } },
        },
      },
      '401': responseRef('Unauthorized'),
      '403': problem('Origin not allowed, or a method other than POST.'),
      '405': problem('Not an html-form source.', { Allow: { schema: { type: 'string' } } }),
      '500': responseRef('InternalError'),
      '503': responseRef('ServiceUnavailable'),
    },
  }),
  'GET /confirm/{token}': (route) => ({
    operationId: 'getConfirmation',
    summary: route.summary,
    description:
      'Opens the confirmation page of a double opt-in mail. It confirms nothing by itself: mail scanners open links before people do, ' +
      "so only the page's Confirm button (POST to the same address) confirms.",
    responses: { '200': confirmPage('The confirmation page (with the Confirm button), or "already confirmed".'), ...confirmRefusals },
  }),
  'POST /confirm/{token}': (route) => ({
    operationId: 'postConfirmation',
    summary: route.summary,
    description: 'The Confirm button: queues the confirmation; the sync then writes the subscriber with `marketing_newsletter` and the consent evidence.',
    responses: {
      '200': confirmPage('Confirmed (or confirmed already).'),
      '303': { description: "Confirmed: to the source's `doubleOptIn.confirmedUrl`.", headers: { Location: { schema: { type: 'string', format: 'uri' } } } },
      ...confirmRefusals,
    },
  }),
};

export function buildOpenApiDocument(): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const route of INGEST_ROUTES) {
    const operation = OPERATIONS[routeKey(route)];
    if (!operation) throw new Error(`No OpenAPI operation for route ${routeKey(route)}: add one to shared/http/openapi.ts`);
    paths[route.path] ??= route.path.includes('{sourceId}')
      ? { parameters: [sourceIdParameter] }
      : route.path.includes('{token}')
        ? { parameters: [tokenParameter] }
        : {};
    const item = paths[route.path]!;
    item[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'signup-sync ingest API',
      version: packageJson.version,
      description:
        'Receives signups (our canonical JSON, or a configured source: Mailchimp, HubSpot, Typeform, Webflow, Tally, Kit, Shopify, Jotform, ' +
        'ActiveCampaign, Standard Webhooks senders, HTML forms), validates them and queues them for BigCommerce. 2xx only once SQS has ' +
        'every message. Errors are RFC 9457 problem documents. Generated from the zod schemas by shared/http/openapi.ts: do not edit.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'The `ApiUrl` output of the stack (or your custom domain)',
        variables: { apiId: { default: 'abc123' }, region: { default: 'us-east-1' } },
      },
    ],
    paths,
    components: {
      schemas: componentSchemas(),
      responses: componentResponses(),
      securitySchemes: {
        standardWebhooks: {
          type: 'apiKey',
          in: 'header',
          name: 'webhook-signature',
          description:
            'Standard Webhooks v1: `v1,<base64 HMAC-SHA256>` over `{webhook-id}.{webhook-timestamp}.{raw body}`, keyed with the base64-decoded ' +
            `secret (without its \`whsec_\` prefix) of the \`${CANONICAL_SOURCE_ID}\` entry of the sources secret. Space-separated entries are allowed (rotation).`,
        },
        bearerToken: {
          type: 'http',
          scheme: 'bearer',
          description: `The \`${CANONICAL_SOURCE_ID}\` entry of the sources secret, as is. No replay protection: prefer signatures.`,
        },
        sourceUrlToken: {
          type: 'apiKey',
          in: 'query',
          name: 'token',
          description: "For senders that cannot sign: the source's entry of the sources secret (parameter name configurable per source as `tokenParam`).",
        },
      },
    },
  };
}

/** The document as committed: two-space JSON with a final newline. */
export const renderOpenApiDocument = (): string => `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`;
