import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { RUNBOOK_ENTRIES } from '../../infra/constructs/source-alarms';
import { DEFAULT_SOURCE_ALARM, parseStackConfig } from '../../shared/deployment/stack-config';
import { Metric, SERVICE } from '../../shared/observability/metric-names';
import { synthStack } from '../helpers/synth';
import { undeliverableAlarmActions } from './alarm-delivery';

/**
 * Alarms per source (infra/constructs/source-alarms.ts): each configured source gets a silence alarm and
 * a signature-failure alarm on the ingest's per-source metrics, each naming its source and linking its
 * runbook entry, which must exist in docs/operations.md; without sources there are none (idle cost unchanged).
 */

const FORM = {
  id: 'newsletter',
  kind: 'html-form',
  allowedOrigins: ['https://www.example.com'],
  thankYouUrl: 'https://www.example.com/thanks',
  errorUrl: 'https://www.example.com/oops',
  captcha: false,
  captchaReason: 'a test form: its alarms are under test',
};
const SHOP = { id: 'shop', kind: 'shopify', routeToken: 'shoproutetoken0123456' };
const KIT = { id: 'kit-news', kind: 'kit', routeToken: 'kitnewsroutetoken0123' };
const SOURCES = [FORM, SHOP, KIT];

type AlarmResource = {
  Properties: {
    AlarmName: { 'Fn::Join': [string, unknown[]] } | string;
    AlarmDescription: string;
    MetricName: string;
    Namespace: string;
    Dimensions: { Name: string; Value: string }[];
    Period: number;
    Statistic: string;
    Threshold: number;
    EvaluationPeriods: number;
    DatapointsToAlarm?: number;
    ComparisonOperator: string;
    TreatMissingData: string;
  };
};

function alarmsOf(template: ReturnType<typeof synthStack>['template'], metricName: string): AlarmResource[] {
  return Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: metricName } })) as AlarmResource[];
}

const sourceOf = (alarm: AlarmResource) => alarm.Properties.Dimensions.find((dimension) => dimension.Name === 'SourceId')?.Value;

/** GitHub's heading anchors: lower case, spaces to hyphens, punctuation but hyphens and underscores dropped. */
function anchorsOf(markdown: string): Set<string> {
  return new Set(
    markdown
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) =>
        line
          .replace(/^#+ /, '')
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/\s/g, '-'),
      ),
  );
}

const OPERATIONS_MD = readFileSync(path.join(__dirname, '../../docs/operations.md'), 'utf8');

describe('alarms per source', () => {
  const { template } = synthStack({ sources: SOURCES, sourceAlarms: { 'kit-news': { silenceAfterHours: 72 } } });
  const silence = alarmsOf(template, Metric.SourceDeliveries);
  const signatures = alarmsOf(template, Metric.SourceAuthFailures);

  it('gives every configured source a silence alarm and a signature-failure alarm on its own metrics', () => {
    expect(silence.map(sourceOf).sort()).toEqual(['kit-news', 'newsletter', 'shop']);
    expect(signatures.map(sourceOf).sort()).toEqual(['kit-news', 'newsletter', 'shop']);
    for (const alarm of [...silence, ...signatures]) {
      expect(alarm.Properties.Namespace).toBe('SignupSync');
      // Powertools adds the service dimension to every metric: the alarm must name it too, or it sees nothing.
      expect(alarm.Properties.Dimensions).toEqual(expect.arrayContaining([{ Name: 'service', Value: SERVICE.ingest }]));
      expect(alarm.Properties.Statistic).toBe('Sum');
    }
  });

  it('fires a silence alarm after the window of one-hour periods without a delivery, counting missing data as silence', () => {
    const shop = silence.find((alarm) => sourceOf(alarm) === 'shop')!;
    expect(shop.Properties).toMatchObject({
      Period: 3600,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: DEFAULT_SOURCE_ALARM.silenceAfterHours,
      DatapointsToAlarm: DEFAULT_SOURCE_ALARM.silenceAfterHours,
      TreatMissingData: 'breaching',
    });
    // A source's own window.
    expect(silence.find((alarm) => sourceOf(alarm) === 'kit-news')!.Properties).toMatchObject({ EvaluationPeriods: 72, DatapointsToAlarm: 72 });
  });

  it('fires a signature-failure alarm on a spike of 401s in 5 minutes, silent without data', () => {
    for (const alarm of signatures) {
      expect(alarm.Properties).toMatchObject({
        Period: 300,
        Threshold: DEFAULT_SOURCE_ALARM.authFailuresPerFiveMinutes,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('names its source in every description and links a runbook entry that exists in docs/operations.md', () => {
    const anchors = anchorsOf(OPERATIONS_MD);
    expect(Object.values(RUNBOOK_ENTRIES).every((entry) => anchors.has(entry))).toBe(true);
    for (const [alarms, entry] of [
      [silence, RUNBOOK_ENTRIES.silent],
      [signatures, RUNBOOK_ENTRIES.signatureFailures],
    ] as const) {
      for (const alarm of alarms) {
        const description = alarm.Properties.AlarmDescription;
        expect(description).toContain(`Source "${sourceOf(alarm)}"`);
        const link = /Runbook: (\S+)$/.exec(description)?.[1];
        expect(link).toBe(`docs/operations.md#${entry}`);
        // Walk to it: the file the link names, and the heading the anchor names.
        const [file, anchor] = link!.split('#');
        expect(anchorsOf(readFileSync(path.join(__dirname, '../..', file!), 'utf8')).has(anchor!)).toBe(true);
        expect(description.length).toBeLessThanOrEqual(1024);
      }
    }
  });

  it('names every alarm after the stack and lets each one reach the alarm topic', () => {
    for (const alarm of [...silence, ...signatures]) expect(JSON.stringify(alarm.Properties.AlarmName)).toMatch(/-Source(Silent|SignatureFailures)-/);
    expect(undeliverableAlarmActions(template.toJSON() as never)).toEqual([]);
  });

  it('links the runbook where runbookUrl says, and leaves out the silence alarm of a source that asks', () => {
    const { template: custom } = synthStack({
      sources: SOURCES,
      runbookUrl: 'https://git.example.com/acme/signup-sync/blob/main/docs/operations.md',
      sourceAlarms: { newsletter: { silenceAfterHours: false } },
    });
    expect(alarmsOf(custom, Metric.SourceDeliveries).map(sourceOf).sort()).toEqual(['kit-news', 'shop']);
    expect(alarmsOf(custom, Metric.SourceAuthFailures)[0]!.Properties.AlarmDescription).toMatch(
      /Runbook: https:\/\/git\.example\.com\/acme\/signup-sync\/blob\/main\/docs\/operations\.md#source-signature-failures$/,
    );
  });

  it('adds none without sources, so the default stack costs what it did', () => {
    const { template: plain } = synthStack();
    expect(alarmsOf(plain, Metric.SourceDeliveries)).toEqual([]);
    expect(alarmsOf(plain, Metric.SourceAuthFailures)).toEqual([]);
  });

  it('refuses a window CloudWatch cannot look back over, and settings for a source that is not configured', () => {
    expect(() => parseStackConfig({ storeHash: 'abc', sources: [SHOP], sourceAlarm: { silenceAfterHours: 200 } })).toThrow(/silenceAfterHours/);
    expect(() => parseStackConfig({ storeHash: 'abc', sources: [SHOP], sourceAlarms: { nope: { silenceAfterHours: 12 } } })).toThrow(
      /signupSync\.sourceAlarms\.nope: no configured source has this id/,
    );
  });
});
