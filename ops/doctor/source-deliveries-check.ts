import { type CloudWatchClient, GetMetricDataCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE, Metric, SERVICE } from '../../shared/observability/metric-names';
import { SOURCE_ID_DIMENSION } from '../../shared/observability/source-metrics';
import type { CheckResult } from './types';

/**
 * `ingest.source-deliveries`: each configured source's last delivery and its longest silence in the last
 * 14 days, from the per-source metric its silence alarm watches (`SourceDeliveries`, hourly sums; local
 * mode: the deliveries it counted since it started). It fails when a source is silent past its
 * `silenceAfterHours` (its alarm is firing or about to), and is unconfirmed when a source delivered
 * nothing in the whole history (new, or not set up at the sender) or when its own quiet spells are longer
 * than its window (the alarm would fire on a normal day: raise the window). This is the "from its
 * history" part of the silence alarm, which CloudWatch cannot keep cheaply (docs/configuration.md).
 */

export const HISTORY_DAYS = 14;
const HOUR_MS = 3_600_000;

export type SourceWindow = Readonly<{ id: string; silenceAfterHours: number | false }>;

/** The hours (their start) in which a source delivered, oldest first. */
export type DeliveryHours = ReadonlyMap<string, readonly Date[]>;

const hoursText = (hours: number) => (hours < 48 ? `${Math.round(hours)} h` : `${Math.round(hours / 24)} days`);

export function sourceDeliveriesResult(sources: readonly SourceWindow[], history: DeliveryHours, now: Date, { local = false } = {}): CheckResult {
  const id = 'ingest.source-deliveries';
  if (sources.length === 0) return { id, status: 'skipped', summary: 'No sources configured' };
  const span = local ? 'since local mode started' : `in ${HISTORY_DAYS} days`;
  const silent: string[] = [];
  const never: string[] = [];
  const tooShort: string[] = [];
  const details = sources.map((source) => {
    const hours = [...(history.get(source.id) ?? [])].sort((a, b) => a.getTime() - b.getTime());
    const window = source.silenceAfterHours === false ? 'no silence alarm' : `window ${source.silenceAfterHours} h`;
    if (hours.length === 0) {
      never.push(source.id);
      return `${source.id}: no delivery ${span} (${window})`;
    }
    const last = hours.at(-1)!;
    // The hour of the last delivery is partly silent already; count silence from its end.
    const since = Math.max(0, (now.getTime() - last.getTime()) / HOUR_MS - 1);
    const gaps = hours.slice(1).map((hour, index) => (hour.getTime() - hours[index]!.getTime()) / HOUR_MS - 1);
    const longest = Math.max(0, ...gaps);
    if (source.silenceAfterHours !== false && since >= source.silenceAfterHours) silent.push(source.id);
    else if (source.silenceAfterHours !== false && longest >= source.silenceAfterHours) tooShort.push(`${source.id} (${hoursText(longest)})`);
    return `${source.id}: last delivery in the hour from ${last.toISOString().slice(0, 13)}:00 UTC, ${hoursText(since)} ago; longest silence ${span} ${hoursText(longest)} (${window})`;
  });
  if (silent.length > 0)
    return {
      id,
      status: 'fail',
      summary: `Silent past its window: ${silent.join(', ')}`,
      fix: 'See docs/operations.md, "Source silent": is the webhook still enabled at the sender, its URL and secret current, the form on the site?',
      details,
    };
  if (never.length > 0 || tooShort.length > 0)
    return {
      id,
      status: 'unconfirmed',
      summary: [
        ...(never.length > 0 ? [`No delivery ${span} from ${never.join(', ')} (new, or not set up at the sender)`] : []),
        ...(tooShort.length > 0 ? [`Quiet spells longer than the silence window: ${tooShort.join(', ')}: raise its sourceAlarms.<id>.silenceAfterHours`] : []),
      ].join('; '),
      details,
    };
  return { id, status: 'pass', summary: `Every source delivered within its window (${sources.length} source(s))`, details };
}

/** The hours each source delivered in, from CloudWatch (GetMetricData, hourly sums over 14 days). */
export async function deliveryHoursFromCloudWatch(cloudWatch: CloudWatchClient, sourceIds: readonly string[], now: Date): Promise<DeliveryHours> {
  const queries: MetricDataQuery[] = sourceIds.map((sourceId, index) => ({
    Id: `s${index}`,
    MetricStat: {
      Metric: {
        Namespace: METRICS_NAMESPACE,
        MetricName: Metric.SourceDeliveries,
        Dimensions: [
          { Name: 'service', Value: SERVICE.ingest },
          { Name: SOURCE_ID_DIMENSION, Value: sourceId },
        ],
      },
      Period: 3600,
      Stat: 'Sum',
    },
    ReturnData: true,
  }));
  const hours = new Map<string, Date[]>(sourceIds.map((sourceId) => [sourceId, []]));
  for (let start = 0; start < queries.length; start += 500) {
    let next: string | undefined;
    do {
      const answer = await cloudWatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries.slice(start, start + 500),
          StartTime: new Date(now.getTime() - HISTORY_DAYS * 24 * HOUR_MS),
          EndTime: now,
          ...(next ? { NextToken: next } : {}),
        }),
      );
      for (const result of answer.MetricDataResults ?? []) {
        const sourceId = sourceIds[Number(result.Id?.slice(1))];
        if (sourceId === undefined) continue;
        (result.Timestamps ?? []).forEach((timestamp, index) => {
          if ((result.Values?.[index] ?? 0) > 0) hours.get(sourceId)!.push(new Date(timestamp));
        });
      }
      next = answer.NextToken;
    } while (next);
  }
  return hours;
}

export async function checkSourceDeliveries(cloudWatch: CloudWatchClient, sources: readonly SourceWindow[], now: Date = new Date()): Promise<CheckResult> {
  if (sources.length === 0) return sourceDeliveriesResult(sources, new Map(), now);
  try {
    return sourceDeliveriesResult(
      sources,
      await deliveryHoursFromCloudWatch(
        cloudWatch,
        sources.map((source) => source.id),
        now,
      ),
      now,
    );
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    return {
      id: 'ingest.source-deliveries',
      status: 'unconfirmed',
      summary: `GetMetricData failed (${error instanceof Error ? `${name}: ${error.message}` : 'unknown error'})${name === 'AccessDeniedException' ? ': the operator needs cloudwatch:GetMetricData' : ''}`,
    };
  }
}
