import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { createSourceSecretsProvider } from '../../shared/aws/sources-secret';
import { ConfigError } from '../../shared/config/errors';
import { loadIngestConfig } from '../../shared/config/ingest-config';
import { parseIngestSources, parseSourceSecrets } from '../../shared/ingest/ingest-sources';
import { createLogger } from '../../shared/logger';
import { SECRETS, SOURCE_INPUTS, SOURCES, sourcesSecretJson } from '../helpers/ingest';

/** The ingest's configuration (SOURCES_CONFIG, validated at cold start) and the cached sources secret. */

const ENV = {
  SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
  SOURCES_SECRET: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sources-AbCdEf',
  DELIVERY_LEDGER_TABLE: 'SignupSync-DeliveryLedgerTable',
};

/** The test sources as a deployment must list them: a CAPTCHA decision per form, a route token per webhook. */
const DEPLOYABLE_INPUTS = SOURCE_INPUTS.map((source) =>
  source.kind === 'html-form'
    ? { ...source, captcha: false, captchaReason: 'tests of the configuration only' }
    : { ...source, routeToken: 'testroutetoken0123456' },
);

describe('loadIngestConfig', () => {
  it('reads the sources (defaults applied), the secret id and its cache time', () => {
    // Act
    const config = loadIngestConfig({ ...ENV, SOURCES_CONFIG: JSON.stringify(DEPLOYABLE_INPUTS), SOURCES_SECRET_CACHE_TTL_SECONDS: '60' });

    // Assert
    expect(config.sources).toEqual(parseIngestSources(DEPLOYABLE_INPUTS));
    expect(config.sources.map((source) => source.id)).toEqual(SOURCES.map((source) => source.id));
    expect(config.sources.find((source) => source.kind === 'mailchimp')).toMatchObject({ tokenParam: 'token', lastNamePolicy: 'reject' });
    expect(config).toMatchObject({ sourcesSecretId: ENV.SOURCES_SECRET, sourcesSecretTtlMs: 60_000 });
    expect(loadIngestConfig(ENV)).toMatchObject({ sources: [], sourcesSecretTtlMs: 300_000 });
  });

  it('fails at cold start with every problem named, and never without the sources secret', () => {
    expect(() => loadIngestConfig({ SIGNUP_QUEUE_URL: ENV.SIGNUP_QUEUE_URL })).toThrow(/SOURCES_SECRET: must be the name or ARN/);
    expect(() => loadIngestConfig({ ...ENV, SOURCES_CONFIG: '{not json' })).toThrow(/SOURCES_CONFIG: must be valid JSON/);
    expect(() => loadIngestConfig({ ...ENV, SOURCES_CONFIG: '{}' })).toThrow(/SOURCES_CONFIG: must be a JSON array/);
    const bad = JSON.stringify([
      { id: 'api', kind: 'typeform' },
      { id: 'form', kind: 'html-form' },
    ]);
    expect(() => loadIngestConfig({ ...ENV, SOURCES_CONFIG: bad })).toThrow(ConfigError);
    expect(() => loadIngestConfig({ ...ENV, SOURCES_CONFIG: bad })).toThrow(/sources\[0\]\.id: "api" is reserved[\s\S]*sources\[1\]\.allowedOrigins/);
  });

  it('reads the delivery ledger table, its retention (72 h unless set) and in-progress window, and needs the table', () => {
    expect(loadIngestConfig(ENV).deliveryLedger).toEqual({ tableName: ENV.DELIVERY_LEDGER_TABLE, retentionSeconds: 72 * 3600, inProgressSeconds: 10 });
    expect(loadIngestConfig({ ...ENV, DELIVERY_RETENTION_SECONDS: '3600', DELIVERY_IN_PROGRESS_SECONDS: '15' }).deliveryLedger).toMatchObject({
      retentionSeconds: 3600,
      inProgressSeconds: 15,
    });
    const { DELIVERY_LEDGER_TABLE: _table, ...withoutTable } = ENV;
    expect(() => loadIngestConfig(withoutTable)).toThrow(/DELIVERY_LEDGER_TABLE: must be the name of the delivery ledger table/);
    expect(() => loadIngestConfig({ ...ENV, DELIVERY_RETENTION_SECONDS: '0' })).toThrow(/DELIVERY_RETENTION_SECONDS/);
  });
});

describe('sources secret', () => {
  it('yields each usable secret, and lists the problems of the others by source id only', () => {
    // Arrange
    const sources = parseIngestSources([
      { id: 'kit', kind: 'kit' },
      { id: 'hooks', kind: 'standard-webhooks' },
      { id: 'chimp', kind: 'mailchimp' },
      {
        id: 'form',
        kind: 'html-form',
        allowedOrigins: ['https://www.example.com'],
        thankYouUrl: 'https://www.example.com/t',
        errorUrl: 'https://www.example.com/e',
      },
    ]);
    const value = JSON.stringify({ api: SECRETS.api, kit: SECRETS.signing, hooks: 'whsec_tooshort', chimp: 42 });

    // Act
    const { secrets, problems } = parseSourceSecrets(value, sources);

    // Assert
    expect(Object.fromEntries(secrets)).toEqual({ api: { values: [SECRETS.api] }, kit: { values: [SECRETS.signing] }, form: { values: [] } });
    expect(problems).toEqual([expect.stringMatching(/^hooks: /), expect.stringMatching(/^chimp: the secret must be a string, a list of strings/)]);
    expect(problems.join(' ')).not.toContain('tooshort');
  });

  it('makes every source unusable (without throwing) when the value is not a JSON object', () => {
    for (const value of ['not json', '[]', '"x"', undefined]) {
      const { secrets, problems } = parseSourceSecrets(value, SOURCES);
      expect(secrets.size).toBe(0);
      expect(problems).toHaveLength(SOURCES.length + 1);
    }
  });

  it('is read once and cached for its TTL, and the problems are logged once per read', async () => {
    // Arrange
    const secretsMock = mockClient(SecretsManagerClient);
    const table = JSON.parse(sourcesSecretJson()) as Record<string, string>;
    delete table['kit-src'];
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(table) });
    const lines: string[] = [];
    let now = 1_000;
    const provider = createSourceSecretsProvider({
      client: new SecretsManagerClient({ region: 'us-east-1' }),
      secretId: 'sources',
      ttlMs: 60_000,
      sources: SOURCES,
      logger: createLogger('test', { write: (line) => lines.push(line) }),
      now: () => now,
    });

    // Act
    const first = await provider();
    await Promise.all([provider(), provider()]);
    now += 61_000;
    await provider();

    // Assert
    expect(first.secrets.get('typeform-src')).toEqual({ values: [SECRETS.signing] });
    expect(first.problems).toEqual(['kit-src: no secret (a kit source needs one)']);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(lines.filter((line) => line.includes('kit-src'))).toHaveLength(2);
    expect(lines.join('\n')).not.toContain(SECRETS.signing);
    secretsMock.restore();
  });
});
