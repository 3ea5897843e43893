import { checkSourceSecrets } from '../../../shared/sources/adapters';
import { SourceConfigError } from '../../../shared/sources/errors';
import { parseSourcesConfig } from '../../../shared/sources/source-config';
import { SECRETS } from './fixtures';

const form = {
  id: 'newsletter-form',
  kind: 'html-form',
  allowedOrigins: ['https://www.example.com'],
  thankYouUrl: 'https://www.example.com/thanks',
  errorUrl: 'https://www.example.com/oops',
};

function issuesOf(input: unknown): readonly string[] {
  try {
    parseSourcesConfig(input);
  } catch (error) {
    if (error instanceof SourceConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a SourceConfigError');
}

describe('parseSourcesConfig', () => {
  it('applies defaults', () => {
    // Act
    const [html, mailchimp, hubspot, kit] = parseSourcesConfig([
      form,
      { id: 'mc', kind: 'mailchimp', fieldMap: { FIRSTNAME: 'first_name' } },
      { id: 'hs', kind: 'hubspot', publicUrl: 'https://hooks.example.com/sources/hs' },
      { id: 'kit', kind: 'kit', lastNamePolicy: { placeholder: '-' } },
    ]);
    // Assert
    expect(html).toMatchObject({ lastNamePolicy: 'reject', submissionIdField: 'submission_id', tokenField: 'form_token', allowMissingOrigin: false });
    expect(mailchimp).toMatchObject({ tokenParam: 'token', includeProfileUpdates: false, fieldMap: { FIRSTNAME: 'first_name' } });
    expect(hubspot).toMatchObject({ auth: { type: 'signature', allowReplayableV2: false }, toleranceSeconds: 300 });
    expect(kit).toMatchObject({ eventTypes: ['subscriber.activated', 'subscriber.subscribed_to_form'], lastNamePolicy: { placeholder: '-' } });
  });

  it('defaults intent to signup and incomplete to dead-letter (as before), and Kit to signed webhooks', () => {
    // Act
    const [typeform, kit] = parseSourcesConfig([
      { id: 'tf', kind: 'typeform' },
      { id: 'kit', kind: 'kit' },
    ]);
    // Assert
    expect(typeform).toMatchObject({ intent: 'signup', incomplete: 'dead-letter' });
    expect(typeform?.consentVersion).toBeUndefined();
    expect(kit).toMatchObject({ auth: 'signature', tokenParam: 'token' });
  });

  it('takes a newsletter intent with its consent version, incomplete "ignore" on webhook kinds, and Kit legacy webhooks by URL token', () => {
    // Act
    const [footer, survey, kit] = parseSourcesConfig([
      { ...form, id: 'footer', intent: 'newsletter', consentVersion: ' 2026-11 footer box ' },
      { id: 'survey', kind: 'tally', incomplete: 'ignore' },
      { id: 'kit-legacy', kind: 'kit', auth: 'url-token', tokenParam: 'key' },
    ]);
    // Assert
    expect(footer).toMatchObject({ intent: 'newsletter', consentVersion: '2026-11 footer box' });
    expect(survey).toMatchObject({ incomplete: 'ignore' });
    expect(kit).toMatchObject({ auth: 'url-token', tokenParam: 'key' });
  });

  it('names a missing consent version even when another source of the list is wrong too', () => {
    // Act
    const issues = issuesOf([
      { id: 'footer', kind: 'webflow', intent: 'newsletter' },
      { id: 'x', kind: 'nope' },
    ]);
    // Assert
    expect(issues).toEqual(
      expect.arrayContaining([expect.stringMatching(/^sources\[0\]\.consentVersion: required/), expect.stringMatching(/^sources\[1\]\.kind/)]),
    );
  });

  it('allows http only for loopback hosts (local mode)', () => {
    // Act
    const [source] = parseSourcesConfig([
      { ...form, allowedOrigins: ['http://localhost:3000'], thankYouUrl: 'http://localhost:3000/thanks', errorUrl: 'http://127.0.0.1:3000/oops' },
    ]);
    // Assert
    expect(source?.kind).toBe('html-form');
  });

  it.each([
    ['a thank-you URL that is not https', [{ ...form, thankYouUrl: 'http://www.example.com/thanks' }], 'sources[0].thankYouUrl: must be an absolute https URL'],
    ['an origin with a path', [{ ...form, allowedOrigins: ['https://www.example.com/'] }], 'sources[0].allowedOrigins[0]: must be an origin'],
    ['an unknown kind', [{ id: 'x', kind: 'zapier' }], 'sources[0].kind: kind must be one of standard-webhooks, html-form'],
    ['duplicate ids', [form, { ...form }], 'sources[1].id: duplicate source id "newsletter-form" (also sources[0])'],
    ['an id that is not a slug', [{ ...form, id: 'Newsletter Form' }], 'sources[0].id: must be a URL-safe slug'],
    ['an unknown fieldMap target', [{ ...form, fieldMap: { surname: 'lastname' } }], 'sources[0].fieldMap.surname: must be one of email'],
    ['a misspelt option', [{ ...form, honeypot: 'website' }], 'sources[0]: Unrecognized key: "honeypot"'],
    [
      'a bad last-name policy',
      [{ ...form, lastNamePolicy: 'guess' }],
      "sources[0].lastNamePolicy: must be 'reject', 'split-full-name' or { placeholder: string }",
    ],
    [
      'an api-key auth with both places',
      [{ id: 'hs', kind: 'hubspot', auth: { type: 'api-key', header: 'x-key', queryParam: 'key' } }],
      'sources[0].auth: set exactly one of header or queryParam',
    ],
    ['a form without origins', [{ ...form, allowedOrigins: [] }], 'sources[0].allowedOrigins: list at least one origin'],
    [
      'a newsletter intent without a consent version, saying how to fix it',
      [{ id: 'footer', kind: 'webflow', intent: 'newsletter' }],
      'sources[0].consentVersion: required with intent "newsletter": the form is the opt-in, so name the consent wording it shows, e.g. "consentVersion": "2026-11 footer box"',
    ],
    [
      'a newsletter intent with a nameless policy that refuses email-only submissions',
      [{ id: 'footer', kind: 'webflow', intent: 'newsletter', consentVersion: 'v1', nameless: 'reject' }],
      'sources[0].nameless: intent "newsletter" takes email-only submissions',
    ],
    ['an unknown intent', [{ id: 'tf', kind: 'typeform', intent: 'survey' }], 'sources[0].intent: must be one of signup, newsletter'],
    ['an unknown incomplete policy', [{ id: 'tf', kind: 'typeform', incomplete: 'drop' }], 'sources[0].incomplete: must be one of dead-letter, ignore'],
    ['incomplete: "ignore" on an html form', [{ ...form, incomplete: 'ignore' }], 'sources[0].incomplete: does not apply to html-form'],
    ['an empty consent version', [{ id: 'tf', kind: 'typeform', consentVersion: ' ' }], 'sources[0].consentVersion: consentVersion must not be empty'],
    ['a Kit auth that does not exist', [{ id: 'kit', kind: 'kit', auth: 'api-key' }], "sources[0].auth: must be 'signature' or 'url-token'"],
  ])('reports %s readably', (_label, input, expected) => {
    // Act
    const issues = issuesOf(input);
    // Assert
    expect(issues.some((issue) => issue.startsWith(expected))).toBe(true);
  });

  it('lists every problem in one error, as a 500 that is not exposed', () => {
    // Act
    const act = () =>
      parseSourcesConfig([
        { ...form, thankYouUrl: 'ftp://x' },
        { id: 'x', kind: 'nope' },
      ]);
    // Assert
    expect(act).toThrow(SourceConfigError);
    expect(act).toThrow(
      expect.objectContaining({
        statusCode: 500,
        expose: false,
        issues: expect.arrayContaining([expect.stringMatching(/^sources\[0\]/), expect.stringMatching(/^sources\[1\]/)]),
      }),
    );
  });
});

describe('checkSourceSecrets', () => {
  const sources = parseSourcesConfig([form, { id: 'sw', kind: 'standard-webhooks' }, { id: 'mc', kind: 'mailchimp' }, { id: 'tf', kind: 'typeform' }]);

  it('returns the secrets per source, none for an html form without a token', () => {
    // Act
    const secrets = checkSourceSecrets(sources, { sw: SECRETS.standardWebhooks, mc: SECRETS.token, tf: SECRETS.signing });
    // Assert
    expect(secrets.get('newsletter-form')).toEqual({ values: [] });
    expect(secrets.get('mc')).toEqual({ values: [SECRETS.token] });
  });

  it('lists every missing or unusable secret without revealing values', () => {
    // Arrange
    const table = { sw: 'whsec_tooshort', mc: 'short-token', tf: 42 };
    // Act
    const act = () => checkSourceSecrets(sources, table);
    // Assert
    expect(act).toThrow(SourceConfigError);
    try {
      act();
    } catch (error) {
      const { issues, message } = error as SourceConfigError;
      expect(issues).toEqual([
        'sw: A standard-webhooks secret must be whsec_ followed by the base64 of 24 to 64 bytes',
        'mc: The secret of a mailchimp source must be at least 16 characters',
        'tf: the secret must be a string, a list of strings (newest first), or { "secret": ..., "captchaSecret": "..." }',
      ]);
      expect(message).not.toContain('short-token');
      expect(message).not.toContain('tooshort');
    }
  });

  it('reports a source that needs a secret and has none', () => {
    // Act
    const act = () => checkSourceSecrets(sources, { sw: SECRETS.standardWebhooks, mc: SECRETS.token });
    // Assert
    expect(act).toThrow('tf: no secret (a typeform source needs one)');
  });
});
