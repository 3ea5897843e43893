import { deadLetterKeysOf, deriveDeadLetterKey, letterSignature, letterSignatureMatches } from '../../../shared/ingest/dead-letter-keys';
import { parseIngestSources } from '../../../shared/ingest/ingest-sources';
import { storedRequest } from '../../../shared/ingest/unmappable';
import { adapterFor, sourceAdapters } from '../../../shared/sources/adapters';
import { type CredentialPlaces, SIGNED_ONLY } from '../../../shared/sources/source-adapter';
import { SOURCE_KINDS, type SourceConfigInput, type SourceKind } from '../../../shared/sources/source-config';
import { ERROR_URL, FORM_ORIGIN, THANK_YOU_URL } from '../../helpers/ingest';

/**
 * Where each adapter says its credentials travel (shared/sources/source-adapter.ts `credentials`), read
 * from the source's configuration; the dead-letter copy of a request drops exactly those
 * (test/unit/security/dead-letter-credentials.test.ts sends the attacks through the handler).
 */

const minimal: Readonly<Record<SourceKind, SourceConfigInput>> = {
  'standard-webhooks': { id: 's', kind: 'standard-webhooks' },
  'html-form': { id: 's', kind: 'html-form', allowedOrigins: [FORM_ORIGIN], thankYouUrl: THANK_YOU_URL, errorUrl: ERROR_URL },
  mailchimp: { id: 's', kind: 'mailchimp' },
  hubspot: { id: 's', kind: 'hubspot' },
  typeform: { id: 's', kind: 'typeform' },
  webflow: { id: 's', kind: 'webflow' },
  tally: { id: 's', kind: 'tally' },
  kit: { id: 's', kind: 'kit' },
  shopify: { id: 's', kind: 'shopify' },
  jotform: { id: 's', kind: 'jotform' },
  activecampaign: { id: 's', kind: 'activecampaign' },
};

const placesOf = (input: SourceConfigInput): CredentialPlaces => {
  const [source] = parseIngestSources([input]);
  return adapterFor(source!).credentials(source!);
};

describe('each adapter declares where its credentials travel', () => {
  it.each([
    ['standard-webhooks', minimal['standard-webhooks'], SIGNED_ONLY],
    ['standard-webhooks with a bearer token (in Authorization, never kept)', { id: 's', kind: 'standard-webhooks', acceptBearerToken: true }, SIGNED_ONLY],
    ['html-form: its form token field', { ...minimal['html-form'], tokenField: 'ft' }, { ...SIGNED_ONLY, bodyFields: ['ft'] }],
    ['mailchimp: its tokenParam', minimal.mailchimp, { ...SIGNED_ONLY, query: ['token'] }],
    ['jotform: a custom tokenParam', { id: 's', kind: 'jotform', tokenParam: 'k' }, { ...SIGNED_ONLY, query: ['k'] }],
    ['activecampaign: its tokenParam', minimal.activecampaign, { ...SIGNED_ONLY, query: ['token'] }],
    ['hubspot signature', minimal.hubspot, SIGNED_ONLY],
    ['hubspot api-key in a header', { id: 's', kind: 'hubspot', auth: { type: 'api-key', header: 'X-Api-Key' } }, { ...SIGNED_ONLY, headers: ['x-api-key'] }],
    ['hubspot api-key in the query', { id: 's', kind: 'hubspot', auth: { type: 'api-key', queryParam: 'key' } }, { ...SIGNED_ONLY, query: ['key'] }],
    ['webflow signature', minimal.webflow, SIGNED_ONLY],
    ['webflow url-token', { id: 's', kind: 'webflow', auth: 'url-token', tokenParam: 'wf' }, { ...SIGNED_ONLY, query: ['wf'] }],
    ['typeform', minimal.typeform, SIGNED_ONLY],
    ['tally', minimal.tally, SIGNED_ONLY],
    ['kit', minimal.kit, SIGNED_ONLY],
    ['shopify', minimal.shopify, SIGNED_ONLY],
  ] as const)('%s', (_name, input, expected) => {
    expect(placesOf(input as SourceConfigInput)).toEqual(expected);
  });

  it('covers every kind', () => {
    expect(Object.keys(sourceAdapters).sort()).toEqual([...SOURCE_KINDS].sort());
    for (const kind of SOURCE_KINDS) expect(() => placesOf(minimal[kind])).not.toThrow();
  });
});

describe('the stored copy of a request (storedRequest)', () => {
  const request = {
    method: 'POST',
    headers: { 'content-type': 'application/json', Authorization: 'Bearer t', 'X-Api-Key': 'k', 'x-hubspot-signature-v3': 'sig' },
    query: { key: 'k', page: '2' },
    publicUrl: 'https://hooks.example.com/base/sources/crm-7f3k9q2x?key=k&page=2',
    body: Buffer.from('{}'),
  };

  it('drops the declared headers (any case) and query parameters, from the query and the public URL, and names what it dropped', () => {
    expect(storedRequest(request, { ...SIGNED_ONLY, headers: ['x-api-key'], query: ['key'] })).toEqual({
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hubspot-signature-v3': 'sig' },
      query: { page: '2' },
      public_url: 'https://hooks.example.com/base/sources/crm-7f3k9q2x?page=2',
      body_base64: Buffer.from('{}').toString('base64'),
      removed: { headers: ['authorization', 'x-api-key'], query: ['key'] },
    });
  });

  it('keeps no path when the path is a credential (a capability URL)', () => {
    expect(storedRequest(request, { ...SIGNED_ONLY, path: true })?.public_url).toBe('https://hooks.example.com/base/sources/-?key=k&page=2');
  });

  it('keeps no raw request at all when a credential is a field of the body', () => {
    expect(storedRequest(request, { ...SIGNED_ONLY, bodyFields: ['form_token'] })).toBeUndefined();
  });
});

describe('dead-letter keys (shared/ingest/dead-letter-keys.ts)', () => {
  const content = { kind: 'unmappable-delivery', version: 2, source: { id: 'a', kind: 'kit' }, candidate: { b: 1, a: [1, { y: 2, x: 1 }] } };

  it('signs the content whatever its key order, and verifies with any key of the list (rotation)', () => {
    const newest = 'n'.repeat(32);
    const older = 'o'.repeat(32);
    const signed = { ...content, hmac: letterSignature(content, older) };
    const reordered = JSON.parse(
      JSON.stringify({ hmac: signed.hmac, candidate: { a: [1, { x: 1, y: 2 }], b: 1 }, source: content.source, version: 2, kind: content.kind }),
    );
    expect(letterSignatureMatches(reordered, [newest, older])).toBe(true);
    expect(letterSignatureMatches(reordered, [newest])).toBe(false);
    expect(letterSignatureMatches({ ...reordered, version: 3 }, [newest, older])).toBe(false);
    expect(letterSignatureMatches({ ...content }, [newest, older])).toBe(false);
  });

  it('takes the deadLetters entry when present (a string or a list, newest first), else derives from the api secrets', () => {
    expect(deadLetterKeysOf({ deadLetters: ['a'.repeat(32), 'b'.repeat(32)] }, ['api'])).toEqual({
      keys: ['a'.repeat(32), 'b'.repeat(32)],
      origin: 'entry',
      problems: [],
    });
    expect(deadLetterKeysOf({}, ['new-api', 'old-api'])).toEqual({
      keys: [deriveDeadLetterKey('new-api'), deriveDeadLetterKey('old-api')],
      origin: 'derived-from-api',
      problems: [],
    });
    expect(deriveDeadLetterKey('new-api')).not.toContain('new-api');
    expect(deadLetterKeysOf({}, [])).toEqual({ keys: [], origin: 'none', problems: [] });
  });

  it('refuses a malformed entry rather than falling back, naming the entry and never its value', () => {
    for (const value of ['short', 42, [], ['a'.repeat(32), 7], Array.from({ length: 6 }, () => 'k'.repeat(32))]) {
      const keys = deadLetterKeysOf({ deadLetters: value }, ['api']);
      expect(keys).toMatchObject({ keys: [], origin: 'none' });
      expect(keys.problems).toHaveLength(1);
      expect(keys.problems[0]).toMatch(/^deadLetters: /);
      expect(keys.problems[0]).not.toContain('short');
    }
  });
});
