import { adapterFor } from '../../../shared/sources/adapters';
import { SourceAuthError } from '../../../shared/sources/errors';
import type { RawRequest } from '../../../shared/sources/source-adapter';
import type { SourceConfig, SourceKind } from '../../../shared/sources/source-config';
import { NOW, SECRETS, SOURCES } from '../../helpers/ingest';
import { KIT_DELIVERY, MAILCHIMP_SUBSCRIBE, SHOPIFY_CUSTOMER, TYPEFORM_FORM_RESPONSE } from './examples';

/**
 * `authenticated` (shared/sources/source-adapter.ts): a delivery re-run from our own dead-letter queue
 * (`signup-sync dlq redrive`) is decoded and mapped without its signature or token, which the stored copy
 * no longer has. Without the flag, the same request is refused as before.
 */

const sourceOf = (kind: SourceKind): SourceConfig => SOURCES.find((source) => source.kind === kind)!;

const unsigned = (body: string, headers: Record<string, string> = {}, contentType = 'application/json'): RawRequest => ({
  method: 'POST',
  headers: { 'content-type': contentType, ...headers },
  query: {},
  publicUrl: 'https://hooks.example.com/sources/x',
  body: Buffer.from(body),
});

const cases: readonly [SourceKind, RawRequest, string][] = [
  [
    'kit',
    unsigned(JSON.stringify({ ...KIT_DELIVERY, events: KIT_DELIVERY.events.map((event) => ({ ...event, type: 'subscriber.activated' })) })),
    'ada@example.com',
  ],
  ['shopify', unsigned(JSON.stringify(SHOPIFY_CUSTOMER), { 'x-shopify-topic': 'customers/create' }), 'bob@biller.com'],
  ['typeform', unsigned(JSON.stringify(TYPEFORM_FORM_RESPONSE)), 'laura@example.com'],
  ['mailchimp', unsigned(MAILCHIMP_SUBSCRIBE, {}, 'application/x-www-form-urlencoded'), 'api@mailchimp.com'],
];

describe.each(cases)('a %s delivery without its signature or token', (kind, request, email) => {
  it('is refused by the ingest path, even with the right secret', () => {
    const secret = kind === 'mailchimp' ? SECRETS.token : SECRETS.signing;
    expect(() => adapterFor(sourceOf(kind)).decide(request, { source: sourceOf(kind), secret, now: NOW })).toThrow(SourceAuthError);
  });

  it('is decoded and mapped when re-run as authenticated, with no secret', () => {
    const decision = adapterFor(sourceOf(kind)).decide(request, { source: sourceOf(kind), secret: '', now: NOW, authenticated: true });
    expect(decision).toMatchObject({ type: 'signups', signups: [{ signup: expect.objectContaining({ email }) }] });
  });
});

it('keeps the webhook-id of a signed Standard Webhooks delivery as the event id when re-run', () => {
  const source = sourceOf('standard-webhooks');
  const request = unsigned(JSON.stringify({ email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' }), {
    'webhook-id': 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W',
    'webhook-timestamp': '1',
    'webhook-signature': 'v1,stale',
  });
  const decision = adapterFor(source).decide(request, { source, secret: '', now: NOW, authenticated: true });
  expect(decision).toMatchObject({ type: 'signups', signups: [{ signup: { event_id: 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W' } }] });
});
