import { ConfigError } from '../../shared/config/errors';
import { loadSyncConfig } from '../../shared/config/sync-config';
import { DEFERRAL_BACKOFF_SECONDS } from '../../shared/sync/redelivery-delay';

const REQUIRED = {
  SIGNUP_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups',
  DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/signups-dlq',
  BIGCOMMERCE_STORE_HASH: 'abc123',
  BIGCOMMERCE_TOKEN_SECRET: 'signup-sync/bigcommerce-token',
};

describe('sync configuration: DEFERRAL_BACKOFF_SECONDS', () => {
  it('defaults to the deployed schedule: 1 min, 5 min, 30 min, 2 h, 12 h', () => {
    // Act
    const config = loadSyncConfig(REQUIRED);

    // Assert
    expect(config.deferralBackoffSeconds).toEqual([...DEFERRAL_BACKOFF_SECONDS]);
    expect(config.deferralBackoffSeconds).toEqual([60, 300, 1_800, 7_200, 43_200]);
  });

  it('takes a shorter schedule (tests and chaos runs shorten it with the visibility timeout)', () => {
    expect(loadSyncConfig({ ...REQUIRED, DEFERRAL_BACKOFF_SECONDS: '5,25,150' }).deferralBackoffSeconds).toEqual([5, 25, 150]);
  });

  it.each(['', '60,,300', '1.5', '-1', '0,60', '60,50000', 'soon'])('refuses %j at cold start, naming the variable', (value) => {
    // Act
    const load = () => loadSyncConfig({ ...REQUIRED, DEFERRAL_BACKOFF_SECONDS: value });

    // Assert
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/DEFERRAL_BACKOFF_SECONDS: /);
  });
});
