/**
 * The status page: plain HTML and a little JS polling /_local/api/status and
 * /_local/api/dead-letters. Everything shown is ids, counts and reasons; values are set with
 * textContent, never parsed as HTML.
 */
export const STATUS_PAGE_HTML = `<!doctype html>
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
<div class="muted"><span id="mode">connecting…</span> · <span id="updated"></span></div>

<div class="cards">
  <div class="card"><div class="value" id="created" data-testid="created">–</div><div class="label">customers created</div></div>
  <div class="card"><div class="value" id="existed" data-testid="existed">–</div><div class="label">signups for existing customers</div></div>
  <div class="card"><div class="value" id="in-store" data-testid="in-store">–</div><div class="label">customers in the store</div></div>
  <div class="card" id="rejected-card"><div class="value" id="rejected" data-testid="rejected">–</div><div class="label">rejected (to the DLQ)</div></div>
  <div class="card"><div class="value" id="deferred" data-testid="deferred">–</div><div class="label">deferred (retried)</div></div>
  <div class="card"><div class="value" id="queue" data-testid="queue">–</div><div class="label">signups queue: waiting / in flight</div></div>
  <div class="card" id="dlq-card"><div class="value" id="dlq" data-testid="dlq">–</div><div class="label">dead-letter queue</div></div>
  <div class="card"><div class="value" id="bc-requests" data-testid="bc-requests">–</div><div class="label">BigCommerce requests (per customer)</div></div>
</div>

<h2>Dead letters</h2>
<div class="row">
  <button id="redrive" data-testid="redrive" disabled>Redrive to the signups queue</button>
  <span id="redrive-result" data-testid="redrive-result" class="muted"></span>
</div>
<p class="muted">Fix the cause first (the reason says what BigCommerce refused), then redrive. Same as <code>npx signup-sync dlq redrive</code>.</p>
<table>
  <thead><tr><th>reason</th><th>HTTP</th><th>age</th><th>source</th><th>detail</th><th>message id</th></tr></thead>
  <tbody id="dead-letters" data-testid="dead-letters"><tr><td colspan="6" class="muted">none</td></tr></tbody>
</table>

<h2>Recent outcomes</h2>
<table>
  <thead><tr><th>time</th><th>status</th><th>customer</th><th>reason</th><th>source</th><th>message id</th></tr></thead>
  <tbody id="recent" data-testid="recent"><tr><td colspan="6" class="muted">nothing synced yet</td></tr></tbody>
</table>

<p class="muted" id="links"></p>

<script>
(function () {
  var api = './api/';
  var lastDlq = -1;
  var $ = function (id) { return document.getElementById(id); };
  var text = function (id, value) { $(id).textContent = value; };
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
    text('updated', 'updated ' + new Date(s.at).toLocaleTimeString());
    text('created', s.customers.created);
    text('existed', s.outcomes.existed + s.outcomes.updated);
    text('in-store', s.customers.inStore === undefined ? 'n/a' : s.customers.inStore);
    text('rejected', s.outcomes.rejected);
    text('deferred', s.outcomes.deferred);
    $('rejected-card').className = 'card' + (s.outcomes.rejected > 0 ? ' bad' : '');
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
      cell(rows[i], new Date(o.at).toLocaleTimeString());
      cell(rows[i], o.status, 'status-' + o.status);
      cell(rows[i], o.customerId);
      cell(rows[i], [o.reason, o.httpStatus, o.detail].filter(function (x) { return x !== undefined; }).join(' · '));
      cell(rows[i], o.sourceId);
      cell(rows[i], o.messageId, 'id');
    });
    var links = $('links');
    if (s.urls.sandboxCustomers && !links.firstChild) {
      links.appendChild(document.createTextNode('BigCommerce sandbox: '));
      var a = document.createElement('a'); a.href = s.urls.sandboxCustomers; a.textContent = s.urls.sandboxCustomers;
      links.appendChild(a);
    }
  }
  function loadDeadLetters() {
    fetch(api + 'dead-letters').then(function (r) { return r.json(); }).then(function (body) {
      var list = body.deadLetters;
      var rows = fill($('dead-letters'), list, 6, 'none');
      list.forEach(function (d, i) {
        cell(rows[i], d.reason); cell(rows[i], d.httpStatus); cell(rows[i], age(d.ageSeconds));
        cell(rows[i], d.sourceId); cell(rows[i], d.detail); cell(rows[i], d.messageId, 'id');
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
        text('redrive-result', res.ok ? 'moved ' + res.body.moved + ' message(s) back to the signups queue' : 'redrive failed: ' + res.body.message);
      })
      .catch(function (e) { text('redrive-result', 'redrive failed: ' + e); })
      .then(function () { redriving = false; lastDlq = -1; });
  });
  function tick() {
    fetch(api + 'status').then(function (r) { return r.json(); }).then(renderStatus)
      .catch(function () { text('mode', 'local mode is not answering (stopped?)'); })
      .then(function () { setTimeout(tick, 1000); });
  }
  tick();
  setInterval(function () { if (lastDlq > 0) loadDeadLetters(); }, 5000);
})();
</script>
</body>
</html>
`;
