import { loadIngestConfig } from '../../../shared/config/ingest-config';
import { loadSyncConfig } from '../../../shared/config/sync-config';
import { doubleOptInSettings, parseStackConfig, syncSettingsEnvironment } from '../../../shared/deployment/stack-config';
import { parseSourcesConfig } from '../../../shared/sources/source-config';

/** Double opt-in and consent evidence settings, refused at synth and at cold start with the field and the fix. */

const FORM = {
  id: 'news',
  kind: 'html-form',
  allowedOrigins: ['https://shop.example'],
  thankYouUrl: 'https://shop.example/thanks',
  errorUrl: 'https://shop.example/oops',
  captcha: false,
  captchaReason: 'settings under test',
};
const DOUBLE_OPT_IN = { from: 'Shop <news@shop.example>', subject: 'Please confirm', confirmedUrl: 'https://shop.example/welcome' };

const problemsOf = (sources: unknown[]): string[] => {
  try {
    parseSourcesConfig(sources);
    return [];
  } catch (error) {
    return (error as { issues: string[] }).issues;
  }
};

describe('source settings', () => {
  it('requires consentVersion with doubleOptIn, saying why', () => {
    expect(problemsOf([{ ...FORM, doubleOptIn: DOUBLE_OPT_IN }])).toEqual([expect.stringMatching(/^sources\[0\]\.consentVersion: required with doubleOptIn/)]);
    expect(problemsOf([{ ...FORM, consentVersion: 'v1', doubleOptIn: DOUBLE_OPT_IN }])).toEqual([]);
  });

  it('names every bad doubleOptIn field', () => {
    const problems = problemsOf([
      { ...FORM, consentVersion: 'v1', doubleOptIn: { from: 'news', subject: 'x', expiresHours: 0, confirmedUrl: 'http://shop.example/' } },
    ]);
    expect(problems.map((problem) => problem.split(':')[0]).sort()).toEqual(
      ['sources[0].doubleOptIn.confirmedUrl', 'sources[0].doubleOptIn.expiresHours', 'sources[0].doubleOptIn.from'].sort(),
    );
  });

  it('takes recordClientIp on an html form only (a webhook client is the sender)', () => {
    expect(problemsOf([{ ...FORM, recordClientIp: true }])).toEqual([]);
    expect(problemsOf([{ id: 'tf', kind: 'typeform', routeToken: 'settingsroutetoken01', recordClientIp: true }])).toEqual([
      expect.stringMatching(/^sources\[0\]\.recordClientIp: applies to html-form only/),
    ]);
  });
});

describe('stack settings', () => {
  const base = { storeHash: 'abc123' };

  it('refuses doubleOptIn on a stack that writes no subscribers', () => {
    expect(() => parseStackConfig({ ...base, subscribers: false, sources: [{ ...FORM, consentVersion: 'v1', doubleOptIn: DOUBLE_OPT_IN }] })).toThrow(
      /sources\[0\]\.doubleOptIn: the stack writes no subscribers/,
    );
  });

  it('gives the sync the mail settings (without confirmedUrl) and the evidence retention', () => {
    const config = parseStackConfig({ ...base, consentRetentionDays: 730, sources: [{ ...FORM, consentVersion: 'v1', doubleOptIn: DOUBLE_OPT_IN }] });
    expect(doubleOptInSettings(config)).toEqual({
      news: { from: 'Shop <news@shop.example>', subject: 'Please confirm', expiresHours: 48, resendAfterMinutes: 15, maxMails: 3 },
    });
    const env = syncSettingsEnvironment(config);
    expect(env['CONSENT_RETENTION_SECONDS']).toBe(String(730 * 86_400));
    expect(JSON.parse(env['DOUBLE_OPT_IN']!)).toEqual(doubleOptInSettings(config));
    expect(syncSettingsEnvironment(parseStackConfig(base))).not.toHaveProperty('DOUBLE_OPT_IN');
  });

  it('keeps consent evidence three years by default and throttles the confirm routes at 10 rps, bursts of 20', () => {
    expect(parseStackConfig(base)).toMatchObject({ consentRetentionDays: 1095, confirmThrottle: { rateLimit: 10, burstLimit: 20 } });
  });
});

describe('cold start', () => {
  const syncEnv = {
    SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/signups',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/dlq',
    BIGCOMMERCE_STORE_HASH: 'abc123',
    BIGCOMMERCE_TOKEN_SECRET: 'token',
  };

  it('the sync needs the hash key with the consent table, and the table and link URL with double opt-in', () => {
    expect(() => loadSyncConfig({ ...syncEnv, CONSENT_TABLE: 'consent' })).toThrow(/LOG_HASH_KEY: required with CONSENT_TABLE/);
    expect(() => loadSyncConfig({ ...syncEnv, DOUBLE_OPT_IN: JSON.stringify({ news: { from: 'news@shop.example', subject: 'x' } }) })).toThrow(
      /DOUBLE_OPT_IN: needs CONSENT_TABLE and CONFIRM_BASE_URL/,
    );
    const config = loadSyncConfig({
      ...syncEnv,
      CONSENT_TABLE: 'consent',
      LOG_HASH_KEY: 'a-hash-key-of-enough-length',
      DOUBLE_OPT_IN: JSON.stringify({ news: { from: 'news@shop.example', subject: 'x' } }),
      CONFIRM_BASE_URL: 'https://signups.example.com',
    });
    expect(config.consent).toEqual({ tableName: 'consent', retentionSeconds: 1095 * 86_400, hashKey: 'a-hash-key-of-enough-length' });
    expect(config.doubleOptIn.get('news')).toMatchObject({ expiresHours: 48 });
  });

  it('the ingest needs the consent table and the hash key for a double opt-in source', () => {
    const ingestEnv = {
      SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/1/signups',
      SOURCES_SECRET: 'sources',
      DELIVERY_LEDGER_TABLE: 'deliveries',
      SOURCES_CONFIG: JSON.stringify([{ ...FORM, consentVersion: 'v1', doubleOptIn: DOUBLE_OPT_IN }]),
    };
    expect(() => loadIngestConfig(ingestEnv)).toThrow(/CONSENT_TABLE, LOG_HASH_KEY: required for the double opt-in of news/);
    expect(loadIngestConfig({ ...ingestEnv, CONSENT_TABLE: 'consent', LOG_HASH_KEY: 'a-hash-key-of-enough-length' }).confirmations).toEqual({
      tableName: 'consent',
      hashKey: 'a-hash-key-of-enough-length',
    });
  });
});
