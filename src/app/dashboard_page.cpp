// The operations dashboard page (GET /dashboard): one self-contained HTML document with inline
// CSS and JavaScript, no external resources. Everything shown is inserted with textContent, never
// as HTML, since call data comes from outside.
#include "app/dashboard_api.hpp"

namespace callgate::app {
namespace {

constexpr std::string_view kPage = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>callgate · operations</title>
<style>
  :root { --bg:#f5f6f8; --card:#fff; --fg:#1d2330; --muted:#667085; --ok:#127a3a; --warn:#b54708; --bad:#b42318; --line:#e4e7ec; }
  * { box-sizing: border-box; }
  body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--fg); }
  header { display:flex; align-items:center; gap:1rem; padding:.75rem 1.25rem; background:#101828; color:#fff; }
  header h1 { font-size:1.1rem; margin:0; font-weight:600; }
  header .who { margin-left:auto; color:#d0d5dd; font-size:.85rem; }
  header button { background:transparent; color:#fff; border:1px solid #475467; border-radius:6px; padding:.25rem .6rem; cursor:pointer; }
  main { padding:1rem 1.25rem; display:grid; gap:1rem; grid-template-columns:repeat(auto-fit, minmax(420px, 1fr)); }
  section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:.9rem 1rem; overflow:auto; }
  section.wide { grid-column: span 2; }
  @media (max-width: 900px) { section.wide { grid-column: auto; } }
  section h2 { font-size:.95rem; margin:0 0 .6rem; }
  .kpis { display:grid; grid-template-columns:repeat(auto-fit, minmax(110px, 1fr)); gap:.6rem; grid-column:1 / -1; }
  .kpi { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:.6rem .8rem; }
  .kpi .label { color:var(--muted); font-size:.75rem; text-transform:uppercase; letter-spacing:.03em; }
  .kpi .value { font-size:1.4rem; font-weight:600; font-variant-numeric:tabular-nums; }
  table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
  th, td { text-align:left; padding:.35rem .5rem; border-bottom:1px solid var(--line); white-space:nowrap; }
  th { color:var(--muted); font-weight:500; font-size:.8rem; }
  td.err { white-space:normal; max-width:22rem; color:var(--bad); }
  .pill { display:inline-block; padding:0 .45rem; border-radius:999px; font-size:.78rem; background:#eef2f6; }
  .pill.ok, .pill.booked, .pill.successful, .pill.closed, .pill.resolved { background:#dcfae6; color:var(--ok); }
  .pill.bad, .pill.unsuccessful, .pill.open, .pill.firing, .pill.critical { background:#fee4e2; color:var(--bad); }
  .pill.half_open, .pill.warning, .pill.reminder { background:#fef0c7; color:var(--warn); }
  .pill.overdue, tr.overdue .pill { background:#fee4e2; color:var(--bad); }
  .empty { color:var(--muted); }
  button.retry { border:1px solid #d0d5dd; background:#fff; border-radius:6px; padding:.15rem .55rem; cursor:pointer; }
  #login { max-width:420px; margin:12vh auto; background:var(--card); border:1px solid var(--line); border-radius:12px; padding:1.5rem; }
  #login h1 { margin-top:0; font-size:1.2rem; }
  #login input { width:100%; padding:.5rem; border:1px solid #d0d5dd; border-radius:6px; font:inherit; }
  #login button { margin-top:.75rem; padding:.5rem 1rem; border:0; border-radius:6px; background:#1d4ed8; color:#fff; font:inherit; cursor:pointer; }
  #login .error, #status.error { color:var(--bad); }
  #status { font-size:.8rem; color:#d0d5dd; }
  [hidden] { display:none !important; }
</style>
</head>
<body>
<form id="login" hidden>
  <h1>callgate operations dashboard</h1>
  <p>Sign in with an admin API token (<code>callgate admin create-token</code>). It is kept in this tab only.</p>
  <label for="token">Admin token</label>
  <input id="token" name="token" type="password" autocomplete="off" placeholder="cg_…" required>
  <button id="login-button" type="submit">Sign in</button>
  <p id="login-error" class="error" role="alert"></p>
</form>
<div id="app" hidden>
  <header>
    <h1>callgate · operations</h1>
    <span id="status">connecting…</span>
    <span class="who" id="who"></span>
    <button id="logout" type="button">Sign out</button>
  </header>
  <main>
    <div class="kpis">
      <div class="kpi platform"><div class="label">Requests/s</div><div class="value" id="kpi-rate">–</div></div>
      <div class="kpi platform"><div class="label">p50 ms</div><div class="value" id="kpi-p50">–</div></div>
      <div class="kpi platform"><div class="label">p95 ms</div><div class="value" id="kpi-p95">–</div></div>
      <div class="kpi platform"><div class="label">p99 ms</div><div class="value" id="kpi-p99">–</div></div>
      <div class="kpi platform"><div class="label">Error rate</div><div class="value" id="kpi-errors">–</div></div>
      <div class="kpi"><div class="label">Calls today</div><div class="value" id="kpi-calls">–</div></div>
      <div class="kpi"><div class="label">Bookings today</div><div class="value" id="kpi-bookings">–</div></div>
    </div>
    <section><h2>Today per company (UTC)</h2>
      <table id="companies"><thead><tr><th>Company</th><th>Calls</th><th>Bookings</th></tr></thead><tbody></tbody></table></section>
    <section class="wide"><h2>Open callbacks per branch <span id="callback-sla" class="empty"></span></h2>
      <table id="callback-branches"><thead><tr><th>Company</th><th>Branch</th><th>Open</th><th>Overdue</th><th>Oldest overdue was due</th></tr></thead><tbody></tbody></table>
      <table id="callbacks-next" class="company-only"><thead><tr><th>Due</th><th>Name</th><th>Number</th><th>Reason</th><th>Status</th></tr></thead><tbody></tbody></table></section>
    <section class="wide"><h2>Recent calls</h2>
      <table id="calls"><thead><tr><th>Time</th><th>Company</th><th>Call</th><th>From</th><th>Status</th><th>Outcome</th></tr></thead><tbody></tbody></table></section>
    <section class="platform"><h2>Queues</h2>
      <table id="queues"><thead><tr><th>Queue</th><th>Ready</th><th>Delayed</th><th>Running</th></tr></thead><tbody></tbody></table></section>
    <section class="platform"><h2>Failed jobs</h2>
      <p id="retry-status" class="empty" role="status"></p>
      <table id="failed-jobs"><thead><tr><th>Id</th><th>Type</th><th>Queue</th><th>Tries</th><th>Failed at</th><th>Error</th><th></th></tr></thead><tbody></tbody></table></section>
    <section class="platform"><h2>Circuit breakers</h2>
      <table id="breakers"><thead><tr><th>Key</th><th>State</th><th>Failures</th></tr></thead><tbody></tbody></table></section>
    <section class="platform"><h2>Recent alerts</h2>
      <table id="alerts"><thead><tr><th>At</th><th>Rule</th><th>Severity</th><th>Kind</th><th>Message</th></tr></thead><tbody></tbody></table></section>
  </main>
</div>
<script>
(() => {
  'use strict';
  const POLL_MS = 3000;
  const KEY = 'callgate.dashboard.token';
  const $ = (id) => document.getElementById(id);
  let timer = null;
  let me = null;

  const token = () => sessionStorage.getItem(KEY);

  async function api(path, options = {}) {
    const response = await fetch(path, Object.assign({}, options, {
      headers: { 'Authorization': 'Bearer ' + token(), 'Accept': 'application/json' },
      cache: 'no-store', credentials: 'omit'
    }));
    if (response.status === 401) { signOut('Token rejected or expired — sign in again.'); throw new Error('unauthenticated'); }
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((body.error && body.error.message) || ('HTTP ' + response.status));
    return body;
  }

  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '–' : String(text);
    if (cls) td.className = cls;
    return td;
  }
  function pill(text) {
    const td = document.createElement('td');
    const span = document.createElement('span');
    span.className = 'pill ' + String(text);
    span.textContent = String(text);
    td.appendChild(span);
    return td;
  }
  function fill(tableId, rows, render, emptyText) {
    const body = $(tableId).tBodies[0];
    body.replaceChildren();
    if (!rows.length) {
      const tr = document.createElement('tr');
      const td = cell(emptyText, 'empty');
      td.colSpan = $(tableId).tHead.rows[0].cells.length;
      tr.appendChild(td);
      body.appendChild(tr);
      return;
    }
    for (const row of rows) {
      const tr = document.createElement('tr');
      for (const td of render(row, tr)) tr.appendChild(td);
      body.appendChild(tr);
    }
  }
  const time = (iso) => iso ? new Date(iso).toLocaleTimeString() : '–';
  const num = (v, digits = 0) => v === null || v === undefined ? '–' : Number(v).toFixed(digits);

  async function refreshOverview() {
    const o = await api('/api/admin/dashboard/overview');
    $('kpi-calls').textContent = o.totals.calls_today;
    $('kpi-bookings').textContent = o.totals.bookings_today;
    fill('companies', o.companies, (c) => [cell(c.name), cell(c.calls_today), cell(c.bookings_today)], 'no companies');
    fill('calls', o.recent_calls, (c, tr) => {
      tr.dataset.callId = c.retell_call_id;
      return [cell(time(c.created_at)), cell(c.company_name), cell(c.retell_call_id), cell(c.from_number),
              pill(c.status), pill(c.outcome)];
    }, 'no calls yet');
    const cb = o.callbacks || {branches: [], next: [], sla: null, overdue: 0};
    $('callback-sla').textContent = cb.sla ? '(overdue ' + cb.sla.minutes + ' min after due' +
        (cb.sla.business_hours ? ', in opening hours)' : ')') : '';
    fill('callback-branches', cb.branches, (b, tr) => {
      if (b.overdue > 0) tr.className = 'overdue';
      return [cell(b.company_name), cell(b.branch_name || '(no branch)'), cell(b.open),
              b.overdue > 0 ? pill('overdue ' + b.overdue) : cell(0), cell(b.oldest_overdue_due ? new Date(b.oldest_overdue_due).toLocaleString() : null)];
    }, 'no open callbacks');
    $('callbacks-next').hidden = o.role === 'platform_admin';
    fill('callbacks-next', cb.next, (c, tr) => {
      if (c.overdue) tr.className = 'overdue';
      return [cell(new Date(c.due_at).toLocaleString()), cell(c.name), cell(c.phone), cell(c.reason),
              c.overdue ? pill('overdue') : pill(c.status)];
    }, 'nothing to call back');
  }

  async function refreshSystem() {
    const s = await api('/api/admin/dashboard/system');
    const t = s.traffic;
    $('kpi-rate').textContent = num(t.request_rate_per_s, 2);
    $('kpi-p50').textContent = num(t.latency_ms.p50, 1);
    $('kpi-p95').textContent = num(t.latency_ms.p95, 1);
    $('kpi-p99').textContent = num(t.latency_ms.p99, 1);
    $('kpi-errors').textContent = t.error_rate === null ? '–' : (t.error_rate * 100).toFixed(2) + ' %';
    fill('queues', s.queues, (q) => [cell(q.queue), cell(q.ready), cell(q.delayed), cell(q.reserved)], 'no queues');
    fill('breakers', s.circuit_breakers, (b) => [cell(b.key), pill(b.state), cell(b.consecutive_failures)], 'no breaker used yet');
    fill('alerts', s.alerts, (a) => [cell(time(a.at)), cell(a.rule), pill(a.severity), pill(a.kind), cell(a.text, 'err')], 'no alerts');
  }

  async function refreshFailedJobs() {
    const f = await api('/api/admin/dashboard/failed-jobs');
    fill('failed-jobs', f.items, (j, tr) => {
      tr.dataset.failedJobId = j.id;
      const action = document.createElement('td');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'retry';
      button.textContent = 'Retry';
      button.addEventListener('click', () => retry(j.id, button));
      action.appendChild(button);
      return [cell(j.id), cell(j.type), cell(j.queue), cell(j.attempts), cell(time(j.failed_at)), cell(j.error, 'err'), action];
    }, 'no failed jobs');
  }

  async function retry(id, button) {
    button.disabled = true;
    try {
      const r = await api('/api/admin/dashboard/failed-jobs/' + encodeURIComponent(id) + '/retry', { method: 'POST' });
      $('retry-status').textContent = 'Failed job ' + r.retried + ' queued again as job ' + r.job_id + '.';
      await refreshFailedJobs();
    } catch (e) {
      $('retry-status').textContent = 'Retry failed: ' + e.message;
      button.disabled = false;
    }
  }

  async function refresh() {
    const tasks = [refreshOverview()];
    if (me && me.role === 'platform_admin') tasks.push(refreshSystem(), refreshFailedJobs());
    const results = await Promise.allSettled(tasks);
    const failed = results.find((r) => r.status === 'rejected');
    $('status').className = failed ? 'error' : '';
    $('status').textContent = failed ? 'update failed: ' + failed.reason.message
                                     : 'updated ' + new Date().toLocaleTimeString();
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(async () => { if (!token()) return; await refresh().catch(() => {}); schedule(); }, POLL_MS);
  }

  async function start() {
    me = await api('/api/admin/me');
    $('who').textContent = me.role + (me.company_id ? ' · company ' + me.company_id : '');
    for (const el of document.querySelectorAll('.platform')) el.hidden = me.role !== 'platform_admin';
    $('login').hidden = true;
    $('app').hidden = false;
    await refresh();
    schedule();
  }

  function signOut(message) {
    clearTimeout(timer);
    sessionStorage.removeItem(KEY);
    me = null;
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').textContent = message || '';
  }

  $('login').addEventListener('submit', async (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, $('token').value.trim());
    $('token').value = '';
    try { await start(); } catch (e) { if (e.message !== 'unauthenticated') signOut('Sign-in failed: ' + e.message); }
  });
  $('logout').addEventListener('click', () => signOut(''));

  if (token()) start().catch(() => {}); else signOut('');
})();
</script>
</body>
</html>
)HTML";

}  // namespace

std::string_view DashboardHtml() noexcept { return kPage; }

}  // namespace callgate::app
