import { doctorExitCode, formatReport, reportJson } from '../../../ops/doctor/report';
import type { CheckResult } from '../../../ops/doctor/types';

const CHECKS: CheckResult[] = [
  { id: 'bigcommerce.token', status: 'pass', summary: 'BigCommerce accepts the token for store abc123' },
  { id: 'aws.alarm-subscriptions', status: 'fail', summary: 'Nobody is subscribed to the alarm topic', fix: 'aws sns subscribe …' },
  { id: 'bigcommerce.channels', status: 'unconfirmed', summary: 'Cannot list channels (403)', fix: 'not printed: only failures get a fix line' },
  { id: 'aws.delivery-ledger', status: 'skipped', summary: 'This stack has no delivery ledger (no DeliveryLedgerTableName output)' },
];
const REPORT = { target: 'stack SignupSync', bigCommerce: { storeHash: 'abc123', apiUrl: 'https://api.bigcommerce.com' }, checks: CHECKS };

describe('the doctor report', () => {
  it('prints one marked line per check, a fix under each ✘ only, and the counts', () => {
    const lines = formatReport(REPORT).split('\n');
    expect(lines[0]).toBe('signup-sync doctor: stack SignupSync, store abc123');
    expect(lines.filter((line) => /^[✔✘?–] /.test(line)).map((line) => line.slice(0, 2))).toEqual(['✔ ', '✘ ', '? ', '– ']);
    expect(lines.filter((line) => line.trim().startsWith('fix:'))).toEqual([expect.stringContaining('fix: aws sns subscribe …')]);
    expect(lines.at(-1)).toBe('1 ✔  1 ✘  1 ? (unconfirmed)  1 – (skipped)');
  });

  it('exits 1 when any check failed, 0 when none did (unconfirmed and skipped do not fail)', () => {
    expect(doctorExitCode(CHECKS)).toBe(1);
    expect(doctorExitCode(CHECKS.filter((check) => check.status !== 'fail'))).toBe(0);
  });

  it('prints JSON with ok, target, the store, counts and the checks in order', () => {
    expect(JSON.parse(reportJson(REPORT))).toEqual({
      ok: false,
      target: 'stack SignupSync',
      bigCommerce: { storeHash: 'abc123', apiUrl: 'https://api.bigcommerce.com' },
      counts: { pass: 1, fail: 1, unconfirmed: 1, skipped: 1 },
      checks: CHECKS,
    });
  });
});
