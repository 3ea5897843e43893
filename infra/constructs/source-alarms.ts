import { Duration } from 'aws-cdk-lib';
import { type Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { Metric } from '../../shared/observability/metric-names';
import { SOURCE_ID_DIMENSION } from '../../shared/observability/source-metrics';
import { inventoryMetric, type OperationsMonitoring } from './operations-monitoring';

/** The runbook entries the alarms link: headings of docs/operations.md (a template test walks to each). */
export const RUNBOOK_ENTRIES = { silent: 'source-silent', signatureFailures: 'source-signature-failures' } as const;

export type SourceAlarmSettings = Readonly<{ silenceAfterHours: number | false; authFailuresPerFiveMinutes: number }>;

export type SourceAlarmsProps = Readonly<{
  monitoring: OperationsMonitoring;
  /** The configured sources (id and kind) and each one's settings (shared/deployment/stack-config.ts sourceAlarmFor). */
  sources: readonly Readonly<{ id: string; kind: string; alarm: SourceAlarmSettings }>[];
  /** Where docs/operations.md is: the descriptions link `<runbookUrl>#<entry>`. */
  runbookUrl: string;
}>;

/**
 * Two alarms per configured source, on the ingest's per-source metrics (shared/observability/source-metrics.ts):
 *
 * - **Silent**: no authentic delivery (`SourceDeliveries`) for `silenceAfterHours` hours running: a sender
 *   that disabled its webhook after failures, a secret rotated at the sender only, a form taken off the
 *   site. One-hour periods, every one of them breaching; missing data counts as silence, so a source that
 *   has not delivered yet also alarms once its window has passed since the deploy (it says the sender is
 *   not set up yet). A window "from the source's history" is not something a CloudWatch alarm can keep
 *   cheaply: an alarm sees at most 7 days of one-hour periods, metric math has no "time since the last
 *   datapoint", and an anomaly-detection band (3 alarm metrics per alarm) around a sparse count of
 *   webhooks sits at zero, so silence never falls below it. `signup-sync doctor` reads the history
 *   instead (each source's last delivery and its longest silence in 14 days) and says when the window
 *   is shorter than the source's own quiet spells.
 * - **Signature failures**: at least `authFailuresPerFiveMinutes` requests refused 401 for their signature
 *   or token (`SourceAuthFailures`) in 5 minutes: a secret changed on one side only, or someone probing the
 *   source's URL. Missing data is not breaching (no refusals, no data).
 *
 * Each alarm names its source and links its runbook entry; each costs USD 0.10 a month, and each metric up
 * to USD 0.30 a month (prorated by the hours it is published: docs/configuration.md, "Alarms per source").
 */
export class SourceAlarms extends Construct {
  readonly silence: Readonly<Record<string, Alarm>>;
  readonly signatureFailures: Readonly<Record<string, Alarm>>;
  /** Every alarm of the sources (the opt-in dashboard shows their states). */
  readonly all: readonly Alarm[];

  constructor(scope: Construct, id: string, props: SourceAlarmsProps) {
    super(scope, id);
    const { monitoring, runbookUrl } = props;
    const metric = (name: typeof Metric.SourceDeliveries | typeof Metric.SourceAuthFailures, sourceId: string, period: Duration) =>
      inventoryMetric(name, { [SOURCE_ID_DIMENSION]: sourceId }, 'Sum', period);
    const silence: Record<string, Alarm> = {};
    const signatureFailures: Record<string, Alarm> = {};
    for (const source of props.sources) {
      const { silenceAfterHours, authFailuresPerFiveMinutes } = source.alarm;
      if (silenceAfterHours !== false) {
        silence[source.id] = monitoring.addAlarm(`SourceSilent-${source.id}`, {
          alarmDescription:
            `Source "${source.id}" (${source.kind}) has sent no authentic delivery for ${silenceAfterHours} hours: its sender may have disabled the webhook, ` +
            `or the secret or URL changed at the sender. Runbook: ${runbookUrl}#${RUNBOOK_ENTRIES.silent}`,
          metric: metric(Metric.SourceDeliveries, source.id, Duration.hours(1)),
          threshold: 1,
          comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
          evaluationPeriods: silenceAfterHours,
          datapointsToAlarm: silenceAfterHours,
          treatMissingData: TreatMissingData.BREACHING,
        });
      }
      signatureFailures[source.id] = monitoring.addAlarm(`SourceSignatureFailures-${source.id}`, {
        alarmDescription:
          `Source "${source.id}" (${source.kind}): ${authFailuresPerFiveMinutes} or more requests refused for their signature or token in 5 minutes: ` +
          `a secret changed at one end only, or someone is probing its URL. Runbook: ${runbookUrl}#${RUNBOOK_ENTRIES.signatureFailures}`,
        metric: metric(Metric.SourceAuthFailures, source.id, Duration.minutes(5)),
        threshold: authFailuresPerFiveMinutes,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    }
    this.silence = silence;
    this.signatureFailures = signatureFailures;
    this.all = [...Object.values(silence), ...Object.values(signatureFailures)];
  }
}
