import { loadIngestConfig } from '../../shared/config/ingest-config';
import { parseStackConfig } from '../../shared/deployment/stack-config';
import { synthStack } from '../helpers/synth';

/**
 * Per-source intent and incomplete-submission policy (docs/sources.md) are validated at synth, by the
 * same source schema the ingest uses at cold start, and reach the ingest function as written.
 */

const FOOTER = { id: 'footer', kind: 'webflow', intent: 'newsletter', consentVersion: '2026-11 footer box', routeToken: 'k7q2m9x4w1c8v5b3n6z0' };
const SURVEY = { id: 'survey', kind: 'typeform', incomplete: 'ignore', routeToken: 's7q2m9x4w1c8v5b3n6z0' };
const KIT_LEGACY = { id: 'kit-legacy', kind: 'kit', auth: 'url-token', routeToken: 'l7q2m9x4w1c8v5b3n6z0' };

describe('intent and incomplete at synth', () => {
  it('refuses a newsletter intent without a consent version, saying how to fix it', () => {
    // Act / Assert
    expect(() => parseStackConfig({ storeHash: 'abc', sources: [{ id: 'footer', kind: 'webflow', intent: 'newsletter' }] })).toThrow(
      /signupSync\.sources\[0\]\.consentVersion: required with intent "newsletter": .*e\.g\. "consentVersion": "2026-11 footer box"/,
    );
  });

  it('refuses incomplete: "ignore" on an html form (the person can fix the form)', () => {
    const form = {
      id: 'f',
      kind: 'html-form',
      allowedOrigins: ['https://www.example.com'],
      thankYouUrl: 'https://www.example.com/t',
      errorUrl: 'https://www.example.com/e',
    };
    expect(() => parseStackConfig({ storeHash: 'abc', sources: [{ ...form, incomplete: 'ignore' }] })).toThrow(
      /signupSync\.sources\[0\]\.incomplete: does not apply to html-form/,
    );
  });

  it('synthesizes the settings into the ingest, whose cold start reads them with the same schema', () => {
    // Act
    const { template } = synthStack({ sources: [FOOTER, SURVEY, KIT_LEGACY] });

    // Assert
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment?: { Variables?: Record<string, unknown> } };
    }[];
    const variables = functions.map((fn) => fn.Properties.Environment?.Variables ?? {}).find((vars) => typeof vars['SOURCES_CONFIG'] === 'string');
    expect(variables).toBeDefined();
    const config = loadIngestConfig({
      SIGNUP_QUEUE_URL: 'https://sqs.test/q',
      SOURCES_SECRET: 'sources',
      DELIVERY_LEDGER_TABLE: 'deliveries',
      SOURCES_CONFIG: variables!['SOURCES_CONFIG'] as string,
    });
    expect(config.sources).toEqual([
      expect.objectContaining({ id: 'footer', intent: 'newsletter', consentVersion: '2026-11 footer box', incomplete: 'dead-letter' }),
      expect.objectContaining({ id: 'survey', intent: 'signup', incomplete: 'ignore' }),
      expect.objectContaining({ id: 'kit-legacy', auth: 'url-token', tokenParam: 'token' }),
    ]);
  });
});
