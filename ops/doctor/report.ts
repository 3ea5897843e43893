import type { CheckResult, CheckStatus } from './types';

/** The checklist as text (one line per check, a fix under each ✘) and as JSON (docs/operations.md). */

const MARK: Readonly<Record<CheckStatus, string>> = { pass: '✔', fail: '✘', unconfirmed: '?', skipped: '–' };

export type DoctorReport = Readonly<{
  target: string;
  bigCommerce: Readonly<{ storeHash?: string; apiUrl?: string }>;
  checks: readonly CheckResult[];
}>;

export function countByStatus(checks: readonly CheckResult[]): Record<CheckStatus, number> {
  const counts: Record<CheckStatus, number> = { pass: 0, fail: 0, unconfirmed: 0, skipped: 0 };
  for (const check of checks) counts[check.status] += 1;
  return counts;
}

export const doctorExitCode = (checks: readonly CheckResult[]): number => (checks.some((check) => check.status === 'fail') ? 1 : 0);

export function formatReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((check) => check.id.length));
  const store = report.bigCommerce.storeHash ? `, store ${report.bigCommerce.storeHash}` : '';
  const lines = [`signup-sync doctor: ${report.target}${store}`, ''];
  for (const check of report.checks) {
    lines.push(`${MARK[check.status]} ${check.id.padEnd(width)}  ${check.summary}`);
    if (check.status === 'fail' && check.fix) lines.push(`  ${' '.repeat(width)}  fix: ${check.fix}`);
    for (const detail of check.details ?? []) lines.push(`  ${' '.repeat(width)}  ${detail}`);
  }
  const counts = countByStatus(report.checks);
  lines.push('', `${counts.pass} ✔  ${counts.fail} ✘  ${counts.unconfirmed} ? (unconfirmed)  ${counts.skipped} – (skipped)`);
  return lines.join('\n');
}

export function reportJson(report: DoctorReport): string {
  const counts = countByStatus(report.checks);
  return JSON.stringify({ ok: counts.fail === 0, target: report.target, bigCommerce: report.bigCommerce, counts, checks: report.checks }, null, 2);
}
