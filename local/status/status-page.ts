import type { DeadLetter } from '../../ops/dead-letters';
import type { QueueDepth } from '../../ops/queue-ops';
import type { IgnoredCount, OutcomeCounts, RecentOutcome, RefusalCount } from './outcome-recorder';

/**
 * The status page. The server renders it with the numbers in it (a page read before or without its
 * script shows them); a little JS then polls /_local/api/status and /_local/api/dead-letters and
 * re-fills the same elements. Everything shown is ids, counts and reasons; the server escapes every
 * value and the script sets them with textContent, never as HTML.
 */

/** What the page shows (local-mode.ts's StatusSnapshot adds the poller's figures). */
export type StatusView = Readonly<{
  at: string;
  mode: Readonly<{ sqs: string; bigCommerce: string }>;
  urls: Readonly<Record<string, string>>;
  outcomes: OutcomeCounts;
  /** `created`: distinct customers the sync created; `inStore`: every customer in the sandbox. */
  customers: Readonly<{ created: number; inStore?: number }>;
  queues?: Readonly<{ signups: QueueDepth; deadLetters: QueueDepth }>;
  bigCommerce: Readonly<{ requests?: number; requestsPerCustomer?: number }>;
  recent: readonly RecentOutcome[];
  /** Requests the API refused (4xx/5xx, and html-form posts sent to their error page), by source and status. */
  refusals: readonly RefusalCount[];
  /** Answered 2xx and kept nowhere: incomplete signups a source ignores, events that are not signups. */
  ignored: readonly IgnoredCount[];
}>;

/** A dead letter with the id of the signup it carries (the id its outcome row shows). */
export type DeadLetterView = DeadLetter & Readonly<{ signupId?: string }>;

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: unknown): string =>
  (value === undefined || value === null ? '' : String(value)).replace(/[&<>"']/g, (char) => ESCAPES[char]!);

/** HH:MM:SS UTC, the same on the server and in the script. */
const clock = (iso: string): string => new Date(iso).toISOString().slice(11, 19);

function age(seconds: number | undefined): string {
  if (seconds === undefined) return '';
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 129600) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

const row = (cells: readonly (readonly [unknown, string?])[]): string =>
  `<tr>${cells.map(([value, className]) => `<td${className ? ` class="${className}"` : ''}>${escapeHtml(value)}</td>`).join('')}</tr>`;
const emptyRow = (columns: number, text: string): string => `<tr><td colspan="${columns}" class="muted">${escapeHtml(text)}</td></tr>`;

/** Newsletter parts: subscribed (incl. resubscribed) / unsubscribed (incl. opt-outs with no subscriber). */
function newsletterText(outcomes: OutcomeCounts): string {
  const subscribed = (outcomes.subscribed ?? 0) + (outcomes.resubscribed ?? 0);
  const unsubscribed = (outcomes.unsubscribed ?? 0) + (outcomes['not-subscribed'] ?? 0);
  return `${subscribed} / ${unsubscribed}`;
}

function cards(s: StatusView) {
  const dlq = s.queues ? s.queues.deadLetters.visible + s.queues.deadLetters.inFlight : undefined;
  const bc = s.bigCommerce;
  return {
    created: String(s.customers.created),
    existed: String(s.outcomes.existed + s.outcomes.updated),
    inStore: s.customers.inStore === undefined ? 'n/a' : String(s.customers.inStore),
    rejected: String(s.outcomes.rejected),
    deferred: String(s.outcomes.deferred),
    newsletter: newsletterText(s.outcomes),
    queue: s.queues ? `${s.queues.signups.visible} / ${s.queues.signups.inFlight}` : 'unavailable',
    dlq: dlq === undefined ? 'unavailable' : String(dlq),
    dlqCount: dlq ?? 0,
    refused: String(s.refusals.reduce((sum, refusal) => sum + refusal.count, 0)),
    incomplete: String(s.ignored.filter((entry) => entry.what === 'incomplete').reduce((sum, entry) => sum + entry.count, 0)),
    requests: bc.requests === undefined ? 'n/a' : `${bc.requests}${bc.requestsPerCustomer === undefined ? '' : ` (${bc.requestsPerCustomer.toFixed(3)})`}`,
  };
}

const recentRow = (o: RecentOutcome): string =>
  row([
    [clock(o.at)],
    [o.status, `status-${o.status}`],
    [o.customerId],
    [[o.reason, o.httpStatus, o.detail].filter((x) => x !== undefined).join(' · ')],
    [o.sourceId],
    [o.signupId, 'id'],
  ]);
const deadLetterRow = (d: DeadLetterView): string => row([[d.reason], [d.httpStatus], [age(d.ageSeconds)], [d.sourceId], [d.detail], [d.signupId, 'id']]);
const refusalRow = (r: RefusalCount): string => row([[r.sourceId], [r.status], [r.count]]);
const ignoredRow = (i: IgnoredCount): string => row([[i.sourceId], [i.what], [i.count]]);

export function renderStatusPage(s: StatusView, deadLetters: readonly DeadLetterView[] = []): string {
  const c = cards(s);
  const card = (id: string, value: string, label: string, bad = false) =>
    `<div class="card${bad ? ' bad' : ''}" id="${id}-card"><div class="value" id="${id}" data-testid="${id}">${escapeHtml(value)}</div><div class="label">${label}</div></div>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>signup-sync · local mode</title>
<style>
  :root { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2433; background: #f6f7f9; }
  body { margin: 0 auto; max-width: 1100px; padding: 1.5rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
  .muted { color: #667085; font-size: .85rem; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: .75rem; margin-top: 1rem; }
  .card { background: #fff; border: 1px solid #e4e7ec; border-radius: 8px; padding: .75rem 1rem; }
  .card .value { font-size: 1.6rem; font-weight: 600; font-variant-numeric: tabular-nums; }
  .card .label { color: #667085; font-size: .8rem; }
  .bad .value { color: #b42318; }
  table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #e4e7ec; border-radius: 8px; font-size: .85rem; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #f0f1f3; vertical-align: top; }
  th { color: #667085; font-weight: 500; }
  td.id { font-family: ui-monospace, monospace; font-size: .78rem; }
  .status-created, .status-existed, .status-updated { color: #067647; }
  .status-rejected { color: #b42318; }
  .status-deferred { color: #b54708; }
  button { font: inherit; padding: .45rem .9rem; border-radius: 6px; border: 1px solid #1d4ed8; background: #2563eb; color: #fff; cursor: pointer; }
  button:disabled { background: #98a2b3; border-color: #98a2b3; cursor: default; }
  .row { display: flex; align-items: center; gap: 1rem; }
  a { color: #1d4ed8; }
</style>
</head>
<body>
<h1>signup-sync · local mode</h1>
<div class="muted"><span id="mode">${escapeHtml(`SQS: ${s.mode.sqs} · BigCommerce: ${s.mode.bigCommerce}`)}</span> · <span id="updated">updated ${clock(s.at)} UTC</span></div>

<div class="cards">
  ${card('created', c.created, 'customers created')}
  ${card('existed', c.existed, 'signups for existing customers')}
  ${card('in-store', c.inStore, 'customers in the store')}
  ${card('rejected', c.rejected, 'rejected (to the DLQ)', s.outcomes.rejected > 0)}
  ${card('deferred', c.deferred, 'deferred (retried)')}
  ${card('newsletter', c.newsletter, 'newsletter: subscribed / unsubscribed')}
  ${card('queue', c.queue, 'signups queue: waiting / in flight')}
  ${card('dlq', c.dlq, 'dead-letter queue', c.dlqCount > 0)}
  ${card('refused', c.refused, 'requests refused', c.refused !== '0')}
  ${card('incomplete', c.incomplete, 'incomplete, ignored (2xx, no alarm)')}
  ${card('bc-requests', c.requests, 'BigCommerce requests by the sync (per customer)')}
</div>

<h2>Dead letters</h2>
<div class="row">
  <button id="redrive" data-testid="redrive"${c.dlqCount === 0 ? ' disabled' : ''}>Redrive to the signups queue</button>
  <span id="redrive-result" data-testid="redrive-result" class="muted"></span>
</div>
<p class="muted">Fix the cause first (the reason says what BigCommerce refused), then redrive. Same as <code>npx signup-sync dlq redrive</code>.</p>
<table>
  <thead><tr><th>reason</th><th>HTTP</th><th>age</th><th>source</th><th>detail</th><th>signup id</th></tr></thead>
  <tbody id="dead-letters" data-testid="dead-letters">${deadLetters.length === 0 ? emptyRow(6, 'none') : deadLetters.map(deadLetterRow).join('')}</tbody>
</table>

<h2>Recent outcomes</h2>
<p class="muted">The signup id is the id the API answered with (<code>ids</code> of the 202).</p>
<table>
  <thead><tr><th>time (UTC)</th><th>status</th><th>customer</th><th>reason</th><th>source</th><th>signup id</th></tr></thead>
  <tbody id="recent" data-testid="recent">${s.recent.length === 0 ? emptyRow(6, 'nothing synced yet') : s.recent.map(recentRow).join('')}</tbody>
</table>

<h2>Refused requests</h2>
<p class="muted">By source (<code>api</code> is POST /signups) and the status answered; 303 is a form post sent to its error page.</p>
<table>
  <thead><tr><th>source</th><th>HTTP status</th><th>requests</th></tr></thead>
  <tbody id="refusals" data-testid="refusals">${s.refusals.length === 0 ? emptyRow(3, 'none') : s.refusals.map(refusalRow).join('')}</tbody>
</table>

<h2>Ignored (answered 2xx, kept nowhere)</h2>
<p class="muted">Incomplete submissions of a source with <code>incomplete: "ignore"</code> (no email, or no names and no consent: a survey), and events that are not signups. Counted as SignupsIncomplete and EventsIgnored; no alarm.</p>
<table>
  <thead><tr><th>source</th><th>what</th><th>count</th></tr></thead>
  <tbody id="ignored" data-testid="ignored">${s.ignored.length === 0 ? emptyRow(3, 'none') : s.ignored.map(ignoredRow).join('')}</tbody>
</table>

<p class="muted" id="links">${s.urls['sandboxCustomers'] ? `BigCommerce sandbox: <a href="${escapeHtml(s.urls['sandboxCustomers'])}">${escapeHtml(s.urls['sandboxCustomers'])}</a> · ` : ''}<a href="./form">demo signup form</a></p>

<script>
(function () {
  var api = './api/';
  var lastDlq = ${c.dlqCount};
  var $ = function (id) { return document.getElementById(id); };
  var text = function (id, value) { $(id).textContent = value; };
  var clock = function (iso) { return new Date(iso).toISOString().slice(11, 19); };
  function cell(row, value, className) {
    var td = document.createElement('td');
    td.textContent = value === undefined || value === null ? '' : String(value);
    if (className) td.className = className;
    row.appendChild(td);
  }
  function fill(tbody, rows, columns, empty) {
    tbody.textContent = '';
    if (rows.length === 0) {
      var tr = document.createElement('tr');
      var td = document.createElement('td');
      td.colSpan = columns; td.className = 'muted'; td.textContent = empty;
      tr.appendChild(td); tbody.appendChild(tr);
    }
    return rows.map(function () { var tr = document.createElement('tr'); tbody.appendChild(tr); return tr; });
  }
  function age(seconds) {
    if (seconds === undefined) return '';
    if (seconds < 90) return seconds + ' s';
    if (seconds < 5400) return Math.round(seconds / 60) + ' min';
    if (seconds < 129600) return Math.round(seconds / 3600) + ' h';
    return Math.round(seconds / 86400) + ' d';
  }
  function renderStatus(s) {
    text('mode', 'SQS: ' + s.mode.sqs + ' · BigCommerce: ' + s.mode.bigCommerce);
    text('updated', 'updated ' + clock(s.at) + ' UTC');
    text('created', s.customers.created);
    text('existed', s.outcomes.existed + s.outcomes.updated);
    text('in-store', s.customers.inStore === undefined ? 'n/a' : s.customers.inStore);
    text('rejected', s.outcomes.rejected);
    text('deferred', s.outcomes.deferred);
    var o = s.outcomes;
    text('newsletter', ((o.subscribed || 0) + (o.resubscribed || 0)) + ' / ' + ((o.unsubscribed || 0) + (o['not-subscribed'] || 0)));
    $('rejected-card').className = 'card' + (s.outcomes.rejected > 0 ? ' bad' : '');
    var refused = s.refusals.reduce(function (sum, r) { return sum + r.count; }, 0);
    text('refused', refused);
    $('refused-card').className = 'card' + (refused > 0 ? ' bad' : '');
    if (s.queues) {
      text('queue', s.queues.signups.visible + ' / ' + s.queues.signups.inFlight);
      var dlq = s.queues.deadLetters.visible + s.queues.deadLetters.inFlight;
      text('dlq', dlq);
      $('dlq-card').className = 'card' + (dlq > 0 ? ' bad' : '');
      $('redrive').disabled = dlq === 0 || redriving;
      if (dlq !== lastDlq) { lastDlq = dlq; loadDeadLetters(); }
    } else {
      text('queue', 'unavailable');
    }
    var bc = s.bigCommerce;
    text('bc-requests', bc.requests === undefined ? 'n/a' : bc.requests + (bc.requestsPerCustomer === undefined ? '' : ' (' + bc.requestsPerCustomer.toFixed(3) + ')'));
    var rows = fill($('recent'), s.recent, 6, 'nothing synced yet');
    s.recent.forEach(function (o, i) {
      cell(rows[i], clock(o.at));
      cell(rows[i], o.status, 'status-' + o.status);
      cell(rows[i], o.customerId);
      cell(rows[i], [o.reason, o.httpStatus, o.detail].filter(function (x) { return x !== undefined; }).join(' · '));
      cell(rows[i], o.sourceId);
      cell(rows[i], o.signupId, 'id');
    });
    var refusalRows = fill($('refusals'), s.refusals, 3, 'none');
    s.refusals.forEach(function (r, i) { cell(refusalRows[i], r.sourceId); cell(refusalRows[i], r.status); cell(refusalRows[i], r.count); });
    text('incomplete', s.ignored.filter(function (i) { return i.what === 'incomplete'; }).reduce(function (sum, i) { return sum + i.count; }, 0));
    var ignoredRows = fill($('ignored'), s.ignored, 3, 'none');
    s.ignored.forEach(function (e, i) { cell(ignoredRows[i], e.sourceId); cell(ignoredRows[i], e.what); cell(ignoredRows[i], e.count); });
  }
  function loadDeadLetters() {
    fetch(api + 'dead-letters').then(function (r) { return r.json(); }).then(function (body) {
      var list = body.deadLetters;
      var rows = fill($('dead-letters'), list, 6, 'none');
      list.forEach(function (d, i) {
        cell(rows[i], d.reason); cell(rows[i], d.httpStatus); cell(rows[i], age(d.ageSeconds));
        cell(rows[i], d.sourceId); cell(rows[i], d.detail); cell(rows[i], d.signupId, 'id');
      });
    }).catch(function () {});
  }
  var redriving = false;
  $('redrive').addEventListener('click', function () {
    redriving = true;
    $('redrive').disabled = true;
    text('redrive-result', 'redriving…');
    fetch(api + 'dead-letters/redrive', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (res) {
        var refused = res.ok && res.body.unmappable ? res.body.unmappable.refused : 0;
        text('redrive-result', res.ok ? 'moved ' + res.body.moved + ' message(s) back to the signups queue' + (refused > 0 ? '; refused ' + refused + ' unmappable letter(s) that fail their signature or changed kind' : '') : 'redrive failed: ' + res.body.message);
      })
      .catch(function (e) { text('redrive-result', 'redrive failed: ' + e); })
      .then(function () { redriving = false; lastDlq = -1; });
  });
  function tick() {
    fetch(api + 'status').then(function (r) { return r.json(); }).then(renderStatus)
      .catch(function () { text('mode', 'local mode is not answering (stopped?)'); })
      .then(function () { setTimeout(tick, 1000); });
  }
  setTimeout(tick, 1000);
  setInterval(function () { if (lastDlq > 0) loadDeadLetters(); }, 5000);
})();
</script>
</body>
</html>
`;
}
