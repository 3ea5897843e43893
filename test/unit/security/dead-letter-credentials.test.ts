import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import type { UnmappableLetter } from '../../../shared/ingest/unmappable';
import type { SourceConfigInput, SourceKind } from '../../../shared/sources/source-config';
import { anHttpEvent, anIngestHandler, fakeQueue, publicUrlOf, SECRETS, senderHeaders, standardWebhookHeaders } from '../../helpers/ingest';
import { DELIVERIES } from '../../helpers/ingest-deliveries';

/**
 * Credentials kept in dead letters (docs/security.md): an unmappable delivery becomes a dead letter that
 * holds the raw request for 14 days, readable by anyone who may read the DLQ. Each case sends, as the
 * sender (or a proxy in front of us) would, a delivery whose signups cannot be mapped, with its
 * credential where that kind carries it, and checks that the letter keeps it nowhere: not in its
 * headers, its query, its public URL, nor anywhere else in the letter.
 */

/** Every kind's signups become unmappable: the email comes from a field that does not exist. */
const unmappable = { fieldMap: { no_such_email_field: 'email' } } as const;

const HUBSPOT_KEY = 'hubspot-api-key-0123456789abcdef';
/** A credential someone's proxy or browser adds: never ours to keep. */
const STRAY = { authorization: 'Bearer stray-proxy-credential-1234', 'proxy-authorization': 'Basic c3RyYXk6cHJveHk=', cookie: 'session=stray-cookie-5678' };
const STRAY_VALUES = ['stray-proxy-credential-1234', 'c3RyYXk6cHJveHk=', 'stray-cookie-5678'];

type Case = Readonly<{
  name: string;
  source: SourceConfigInput;
  /** The source's entry in the sources secret. */
  secret: string;
  headers?: (body: string, url: string) => Record<string, string>;
  query?: Record<string, string>;
  /** What must appear nowhere in the letter. */
  credentials: readonly string[];
  /** Header and query names that must be gone. */
  goneHeaders?: readonly string[];
  goneQuery?: readonly string[];
  /** Headers that must stay (a re-run reads ids from them; they are not credentials). */
  keptHeaders?: readonly string[];
}>;

const source = (kind: SourceKind, extra: Record<string, unknown> = {}): SourceConfigInput =>
  ({ id: `${kind}-x`, kind, ...unmappable, ...extra }) as SourceConfigInput;

const CASES: readonly Case[] = [
  {
    name: 'hubspot api-key in the configured header x-api-key',
    source: source('hubspot', { auth: { type: 'api-key', header: 'x-api-key' } }),
    secret: HUBSPOT_KEY,
    headers: () => ({ 'x-api-key': HUBSPOT_KEY }),
    credentials: [HUBSPOT_KEY],
    goneHeaders: ['x-api-key'],
  },
  {
    name: 'hubspot api-key in the ?key= query parameter',
    source: source('hubspot', { auth: { type: 'api-key', queryParam: 'key' } }),
    secret: HUBSPOT_KEY,
    query: { key: HUBSPOT_KEY, campaign: 'spring' },
    credentials: [HUBSPOT_KEY],
    goneQuery: ['key'],
  },
  {
    name: 'hubspot api-key in the default Authorization header',
    source: source('hubspot', { auth: { type: 'api-key', header: 'authorization' } }),
    secret: HUBSPOT_KEY,
    headers: () => ({ authorization: HUBSPOT_KEY }),
    credentials: [HUBSPOT_KEY],
    goneHeaders: ['authorization'],
  },
  {
    name: 'hubspot v3 signature, with a stray proxy Authorization and Cookie',
    source: source('hubspot'),
    secret: SECRETS.signing,
    headers: (body, url) => ({ ...senderHeaders('hubspot', body, url), ...STRAY }),
    credentials: STRAY_VALUES,
    goneHeaders: ['authorization', 'proxy-authorization', 'cookie'],
    keptHeaders: ['x-hubspot-signature-v3'],
  },
  {
    name: 'standard-webhooks bearer token (acceptBearerToken)',
    source: source('standard-webhooks', { acceptBearerToken: true }),
    secret: SECRETS.standardWebhooks,
    headers: () => ({ authorization: `Bearer ${SECRETS.standardWebhooks}` }),
    credentials: [SECRETS.standardWebhooks],
    goneHeaders: ['authorization'],
  },
  {
    name: 'standard-webhooks signature, with a stray Authorization',
    source: source('standard-webhooks'),
    secret: SECRETS.standardWebhooks,
    headers: (body) => ({ ...standardWebhookHeaders(body, { secret: SECRETS.standardWebhooks }), ...STRAY }),
    credentials: STRAY_VALUES,
    goneHeaders: ['authorization'],
    keptHeaders: ['webhook-id', 'webhook-signature'],
  },
  ...(['mailchimp', 'jotform', 'activecampaign'] as const).flatMap((kind): Case[] => [
    {
      name: `${kind} URL token in ?token=`,
      source: source(kind),
      secret: SECRETS.token,
      query: { token: SECRETS.token },
      credentials: [SECRETS.token],
      goneQuery: ['token'],
    },
    {
      name: `${kind} URL token in a custom tokenParam`,
      source: source(kind, { tokenParam: 'sig' }),
      secret: SECRETS.token,
      query: { sig: SECRETS.token, token: 'not-the-credential-here' },
      credentials: [SECRETS.token],
      goneQuery: ['sig'],
    },
  ]),
  {
    name: 'webflow URL token (auth url-token)',
    source: source('webflow', { auth: 'url-token', tokenParam: 'wf' }),
    secret: SECRETS.signing,
    query: { wf: SECRETS.signing },
    credentials: [SECRETS.signing],
    goneQuery: ['wf'],
  },
  ...(['webflow', 'typeform', 'tally', 'kit', 'shopify'] as const).map(
    (kind): Case => ({
      name: `${kind} signature, with a stray proxy Authorization and Cookie`,
      // Kit's example event is a subscriber.created, which a Kit source keeps only when asked to.
      source: source(kind, kind === 'kit' ? { eventTypes: ['subscriber.created'] } : {}),
      secret: SECRETS.signing,
      headers: (body) => ({ ...senderHeaders(kind, body), ...STRAY }),
      credentials: STRAY_VALUES,
      goneHeaders: ['authorization', 'proxy-authorization', 'cookie'],
      keptHeaders: Object.keys(senderHeaders(kind, '')),
    }),
  ),
];

/** A canonical signup without an email (Standard Webhooks senders send our own shape, which no fieldMap renames). */
const NO_EMAIL = { body: JSON.stringify({ first_name: 'Ada', last_name: 'Lovelace' }), contentType: 'application/json' };

async function deadLetterOf(testCase: Case): Promise<UnmappableLetter> {
  const delivery = testCase.source.kind === 'standard-webhooks' ? NO_EMAIL : DELIVERIES[testCase.source.kind];
  const letters: UnmappableLetter[] = [];
  const routeToken = (testCase.source as { routeToken?: string }).routeToken;
  const path = `/sources/${testCase.source.id}${routeToken ? `-${routeToken}` : ''}`;
  const query: Record<string, string> = { ...('query' in delivery ? delivery.query : {}), ...testCase.query };
  // The URL-token kinds' example deliveries carry ?token=; a case with its own tokenParam replaces it.
  if (testCase.goneQuery && !testCase.goneQuery.includes('token') && query.token === SECRETS.token) delete query.token;
  const response = await anIngestHandler({
    queue: fakeQueue().queue,
    sources: parseIngestSources([testCase.source]),
    secretJson: JSON.stringify({ api: SECRETS.api, [testCase.source.id]: testCase.secret }),
    unmappable: { send: async (batch) => void letters.push(...(JSON.parse(JSON.stringify(batch)) as UnmappableLetter[])) },
  })(
    anHttpEvent(path, {
      body: delivery.body,
      query,
      headers: { 'content-type': delivery.contentType, ...testCase.headers?.(delivery.body, publicUrlOf(path, query)) },
    }),
  );
  expect(response.statusCode).toBe(202);
  expect(letters.length).toBeGreaterThan(0);
  return letters[0]!;
}

describe.each(CASES)('an unmappable delivery: $name', (testCase) => {
  it('becomes a dead letter that keeps none of its credentials: not in headers, query, public_url or anywhere else', async () => {
    const letter = await deadLetterOf(testCase);
    const request = letter.request!;
    expect(request).toBeDefined();

    for (const name of testCase.goneHeaders ?? []) expect(Object.keys(request.headers).map((header) => header.toLowerCase())).not.toContain(name);
    for (const name of testCase.goneQuery ?? []) {
      expect(Object.keys(request.query)).not.toContain(name);
      expect(new URL(request.public_url).searchParams.has(name)).toBe(false);
    }
    for (const name of testCase.keptHeaders ?? []) expect(request.headers[name]).toBeDefined();
    const everything = JSON.stringify(letter);
    for (const credential of testCase.credentials) {
      expect(everything).not.toContain(credential);
      expect(everything).not.toContain(encodeURIComponent(credential));
    }
  });
});

it('keeps the query parameters that are not credentials, in the query and the public URL', async () => {
  const letter = await deadLetterOf(CASES[1]!);
  expect(letter.request!.query).toEqual({ campaign: 'spring' });
  expect(new URL(letter.request!.public_url).search).toBe('?campaign=spring');
});

it("keeps no route token: a source's unguessable URL (/sources/<id>-<routeToken>) is not learnt from its dead letters", async () => {
  const routeToken = 'k1tr0utet0ken0abcdef99';
  const letter = await deadLetterOf({
    name: 'kit with a route token',
    source: source('kit', { eventTypes: ['subscriber.created'], routeToken }),
    secret: SECRETS.signing,
    headers: (body) => senderHeaders('kit', body),
    credentials: [routeToken],
  });
  expect(new URL(letter.request!.public_url).pathname).toBe('/sources/-');
  expect(letter.request!.removed).toMatchObject({ path: true });
  expect(letter.source.id).toBe('kit-x');
  expect(JSON.stringify(letter)).not.toContain(routeToken);
});
