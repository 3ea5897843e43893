import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { checkSourceDeliveries, sourceDeliveriesResult } from '../../../ops/doctor/source-deliveries-check';

/** `ingest.source-deliveries`: each source's last delivery and longest silence, from its SourceDeliveries history. */

const NOW = new Date('2026-11-20T12:30:00Z');
const hoursAgo = (hours: number) => new Date(Date.parse('2026-11-20T12:00:00Z') - hours * 3_600_000);

describe('ingest.source-deliveries', () => {
  it('passes when every source delivered within its window, and prints the last delivery and the longest silence', () => {
    const result = sourceDeliveriesResult([{ id: 'shop', silenceAfterHours: 24 }], new Map([['shop', [hoursAgo(20), hoursAgo(10), hoursAgo(2)]]]), NOW);
    expect(result).toMatchObject({
      status: 'pass',
      details: ['shop: last delivery in the hour from 2026-11-20T10:00 UTC, 2 h ago; longest silence in 14 days 9 h (window 24 h)'],
    });
  });

  it('fails for a source silent past its window, with what to look at', () => {
    const result = sourceDeliveriesResult(
      [
        { id: 'shop', silenceAfterHours: 24 },
        { id: 'form', silenceAfterHours: 48 },
      ],
      new Map([
        ['shop', [hoursAgo(30)]],
        ['form', [hoursAgo(30)]],
      ]),
      NOW,
    );
    expect(result).toMatchObject({ status: 'fail', summary: 'Silent past its window: shop', fix: expect.stringContaining('Source silent') });
  });

  it('is unconfirmed for a source that never delivered, or whose quiet spells are longer than its window', () => {
    const never = sourceDeliveriesResult([{ id: 'kit', silenceAfterHours: 24 }], new Map(), NOW);
    expect(never).toMatchObject({ status: 'unconfirmed', summary: expect.stringContaining('No delivery in 14 days from kit') });
    const quiet = sourceDeliveriesResult([{ id: 'form', silenceAfterHours: 24 }], new Map([['form', [hoursAgo(100), hoursAgo(60), hoursAgo(1)]]]), NOW);
    expect(quiet).toMatchObject({ status: 'unconfirmed', summary: expect.stringContaining('form (2 days): raise its sourceAlarms.<id>.silenceAfterHours') });
    // A source without a silence alarm is only reported.
    expect(sourceDeliveriesResult([{ id: 'form', silenceAfterHours: false }], new Map([['form', [hoursAgo(100)]]]), NOW).status).toBe('pass');
  });

  it('reads 14 days of hourly sums per source from CloudWatch, by the dimensions the ingest emits', async () => {
    // Arrange
    const cloudWatch = mockClient(CloudWatchClient);
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 's0', Timestamps: [hoursAgo(3), hoursAgo(5)], Values: [2, 1] },
        { Id: 's1', Timestamps: [hoursAgo(50)], Values: [0] },
      ],
    });

    // Act
    const result = await checkSourceDeliveries(
      new CloudWatchClient({ region: 'eu-west-1' }),
      [
        { id: 'shop', silenceAfterHours: 24 },
        { id: 'kit', silenceAfterHours: 24 },
      ],
      NOW,
    );

    // Assert
    const input = cloudWatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(input.StartTime).toEqual(new Date(NOW.getTime() - 14 * 86_400_000));
    expect(input.MetricDataQueries![0]).toMatchObject({
      MetricStat: {
        Metric: {
          Namespace: 'SignupSync',
          MetricName: 'SourceDeliveries',
          Dimensions: [
            { Name: 'service', Value: 'signup-ingest' },
            { Name: 'SourceId', Value: 'shop' },
          ],
        },
        Period: 3600,
        Stat: 'Sum',
      },
    });
    expect(result).toMatchObject({ status: 'unconfirmed', summary: expect.stringContaining('No delivery in 14 days from kit') });
    expect(result.details![0]).toBe('shop: last delivery in the hour from 2026-11-20T09:00 UTC, 3 h ago; longest silence in 14 days 1 h (window 24 h)');
    cloudWatch.restore();
  });

  it('names the missing permission, and skips without sources', async () => {
    const cloudWatch = mockClient(CloudWatchClient);
    cloudWatch.on(GetMetricDataCommand).rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
    const result = await checkSourceDeliveries(new CloudWatchClient({ region: 'eu-west-1' }), [{ id: 'shop', silenceAfterHours: 24 }], NOW);
    expect(result).toMatchObject({ status: 'unconfirmed', summary: expect.stringContaining('cloudwatch:GetMetricData') });
    expect((await checkSourceDeliveries(new CloudWatchClient({ region: 'eu-west-1' }), [], NOW)).status).toBe('skipped');
    cloudWatch.restore();
  });
});
