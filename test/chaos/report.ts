import { type ChaosReport, chaosDeferralBackoff } from './chaos-run';
import { describeSchedule } from './schedule';

const n = (value: number) => value.toLocaleString('en-US');
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const list = (record: Readonly<Record<string, number>>) =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([key, value]) => `${key}: ${n(value)}`)
    .join(', ') || 'none';
const times = (ratio: number) => `${ratio.toFixed(2)}×`;
/** The least time the sync's requests take at the store's quota: 150 requests per (30 s × time scale). */
export const quotaFloorMs = (report: ChaosReport) => (report.bigCommerce.requests / 150) * 30_000 * report.options.timeScale;
const sample = (emails: readonly string[]) => (emails.length > 0 ? `  (${emails.slice(0, 5).join(', ')}${emails.length > 5 ? ', …' : ''})` : '');

/** The human-readable summary `npm run chaos` prints (the JSON report has the same figures). */
export function formatReport(report: ChaosReport): string {
  const r = report.reconciliation;
  const o = report.options;
  const bc = report.bigCommerce;
  const verdict = passed(report) ? 'PASSED' : 'FAILED';
  const lines = [
    `Chaos run ${verdict}: ${n(o.signups)} signups, seed ${o.seed}, elapsed ${seconds(report.elapsedMs)} (traffic ${seconds(report.trafficMs)}, settling ${seconds(report.settleMs)}${report.settled ? '' : ', DID NOT SETTLE'})`,
    '',
    `Traffic phase (schedule ${seconds(o.durationMs)})`,
    `  signup requests     all answered at ${seconds(report.signupsAnsweredMs)} (${times(report.signupsAnsweredMs / o.durationMs)} the schedule)`,
    `  opt-outs            all answered at ${seconds(report.optOutsAnsweredMs)} (${times(report.optOutsAnsweredMs / o.durationMs)}): each is sent once its subscription is in the store, so it waits for the sync`,
    `  quota floor         the sync's ${n(bc.requests)} requests need at least ${seconds(quotaFloorMs(report))} of the store's quota (150 per ${seconds(30_000 * o.timeScale)})`,
    '',
    'Reconciliation (accepted signups vs BigCommerce customers vs dead letters)',
    `  lost                ${n(r.lost.length)}${sample(r.lost)}`,
    `  duplicated          ${n(r.duplicated.length)} customers, ${n(r.duplicatedSubscribers.length)} subscribers${sample([...r.duplicated, ...r.duplicatedSubscribers])}`,
    `  wrong newsletter    ${n(r.wrongNewsletterState.length)} (subscribed after an accepted opt-out, or not subscribed without one)${sample(r.wrongNewsletterState)}`,
    `  wrongly rejected    ${n(r.wronglyRejected.length)}${sample(r.wronglyRejected)}`,
    `  wrongly accepted    ${n(r.wronglyAccepted.length)}${sample(r.wronglyAccepted)}`,
    `  unexpected          ${n(r.unexpectedCustomers.length)} customers, ${n(r.unexpectedSubscribers.length)} subscribers, ${n(r.unexpectedDeadLetters.length)} dead letters${sample([...r.unexpectedCustomers, ...r.unexpectedSubscribers, ...r.unexpectedDeadLetters])}`,
    `  not accepted        ${n(r.notAccepted)} (senders gave up)`,
    `  accepted            ${n(r.accepted)} signups (${n(r.acceptedValid)} valid, ${n(r.acceptedInvalid)} that BigCommerce refuses), plus ${n(r.extraAcceptedCopies)} duplicate deliveries`,
    `  customers           ${n(r.customers)}`,
    `  subscribers         ${n(r.subscribers)} (${n(r.subscribed)} with marketing consent; ${n(r.optOuts)} opt-outs accepted)`,
    `  double opt-in       ${n(r.doubleOptIn.accepted)} accepted, ${n(r.doubleOptIn.mails)} mails, ${n(r.doubleOptIn.confirmed)} confirmed, ${n(r.doubleOptIn.unconfirmed)} never confirmed`,
    `  subscribed without confirmation ${n(r.subscribedWithoutConfirmation.length)}${sample(r.subscribedWithoutConfirmation)}; no mail ${n(r.doubleOptInWithoutMail.length)}${sample(r.doubleOptInWithoutMail)}; more than one mail ${n(r.doubleOptInTooManyMails.length)}${sample(r.doubleOptInTooManyMails)}`,
    `  dead letters        ${n(r.deadLetters)} (${list(r.deadLettersByReason)}); ${n(r.extraDeadLetterCopies)} are extra copies of a refused signup delivered twice; ${n(r.redundantDeadLetters)} redundant (one message dead-lettered twice)`,
    '',
    "BigCommerce (the sync's requests)",
    `  requests            ${n(bc.requests)} = ${bc.requestsPerCustomer.toFixed(3)} per customer`,
    `  429 answers         ${n(bc.rateLimited)} (another app on the store: ${n(bc.otherApp.requests)} requests, ${n(bc.otherApp.rateLimited)} of them 429)`,
    `  answers             ${list(bc.byStatus)}`,
    `  faults injected     ${list(bc.faultsInjected)}`,
    '',
    'Ingest and queue',
    `  ingest answers      ${list(report.ingestAnswers)}`,
    `  sender answers      ${list(report.sender.answers)}${report.sender.answers['network'] ? " (network: no answer: the sender's 15 s timeout or a connection error)" : ''}`,
    `  503s answered       ${n(report.sender.answers['503'] ?? 0)}; retries ${n(report.sender.retries)}; slowest acceptance ${seconds(report.sender.slowestAcceptMs)}`,
    `  sync outcomes       ${list(report.sync.outcomes)}; deferred messages by reason: ${list(report.logs.deferredByReason)}`,
    `  pollers             ${report.sync.poller.invocations} invocations, ${report.sync.poller.failedInvocations} failed (${report.sync.poller.timeouts} timeouts), ${report.sync.poller.receiveErrors} receive errors`,
    `  deliveries          ${n(report.sync.messagesDelivered)} messages; per message ${list(report.sync.deliveriesHistogram)} (max ${report.sync.maxDeliveries}; DLQ after ${o.maxReceiveCount})`,
    `  warnings logged     ${n(report.logs.warnOrError)}: ${
      Object.entries(report.logs.byMessage)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 6)
        .map(([message, count]) => `${message} (${n(count)})`)
        .join('; ') || 'none'
    }`,
    '',
    `Scenarios exercised  ${report.exercised
      .filter((item) => item.count > 0)
      .map((item) => `${item.what} (${n(item.count)})`)
      .join('; ')}`,
    ...(report.exercised.some((item) => item.count <= 0)
      ? [
          `NOT exercised        ${report.exercised
            .filter((item) => item.count <= 0)
            .map((item) => `${item.what}${item.required ? ' [required: fails the run]' : ''}`)
            .join('; ')}`,
        ]
      : []),
    '',
    `Settings: quota 150 / 30 s × ${o.timeScale} (${seconds(30_000 * o.timeScale)} windows), ${o.maxConcurrency} pollers, batching window ${seconds(o.batchingWindowMs)}, sync timeout ${seconds(o.syncTimeoutMs)}, visibility ${o.visibilityTimeoutSeconds} s, deferral backoff ${chaosDeferralBackoff(o.visibilityTimeoutSeconds).join('/')} s, BigCommerce request timeout ${seconds(o.requestTimeoutMs)}, DLQ after ${o.maxReceiveCount} receives`,
  ];
  return lines.join('\n');
}

/** Nothing lost, duplicated or wrongly rejected, the queue settled, and every required scenario happened. */
export function passed(report: ChaosReport): boolean {
  return !report.reconciliation.failed && report.settled && report.exercised.every((item) => !item.required || item.count > 0);
}

export function formatSchedule(durationMs: number): string {
  return `Schedule over the ${seconds(durationMs)} traffic phase:\n${describeSchedule()}`;
}
