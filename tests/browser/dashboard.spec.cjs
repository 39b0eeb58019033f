#!/usr/bin/env node
// Browser test of the operations dashboard (docs/operations.md, "Dashboard"), run by CTest:
//   node dashboard.spec.cjs <path to callgate> <output dir>
// Starts the Cal.com stand-in and `callgate serve` on free loopback ports with a throwaway SQLite
// database, creates a platform admin and token with the CLI, plays a call with
// `callgate simulate-call`, inserts one failed job, then in headless Chromium (Debian's package,
// driven by playwright-core — no browser download) signs in with the token, waits for the call
// to appear, retries the failed job and sees it gone, and saves a screenshot to <output dir>.
// Everything started here is stopped in all cases; the whole run is bounded (TOTAL_MS).
// Exit codes: 0 pass, 1 fail, 77 skipped (chromium or node_modules missing and CI unset).
'use strict';

const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const TOTAL_MS = 55_000;
const SKIP = 77;
const CHROMIUM = process.env.CALLGATE_CHROMIUM || '/usr/bin/chromium';
const CALL_ID = 'call_browser_' + process.pid + '_' + Date.now();
const RETELL_KEY = 'retell_browser_test_key_0815';

const [binaryArg, outDirArg] = process.argv.slice(2);
const binary = binaryArg && path.resolve(binaryArg);
const outDir = path.resolve(outDirArg || process.cwd());
const started = [];  // child processes, stopped in cleanup()
let browser = null;
let tmp = null;

function log(...args) { console.log('[dashboard.spec]', ...args); }

function skipOrFail(reason) {
  if (process.env.CI) {
    console.error('[dashboard.spec] FAIL (CI is set): ' + reason);
    process.exit(1);
  }
  console.log('[dashboard.spec] SKIP: ' + reason);
  process.exit(SKIP);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs a command to completion (bounded); rejects with its output on failure.
function run(file, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 20_000, maxBuffer: 4 << 20, ...options },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
        else resolve(stdout);
      });
  });
}

// Starts a long-running process; its output goes to <tmp>/<name>.log.
function start(name, file, args, env) {
  const logFile = path.join(tmp, name + '.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(file, args, { cwd: tmp, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.logFile = logFile;
  child.on('error', (e) => console.error(`[dashboard.spec] ${name}: ${e.message}`));
  child.exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  started.push(child);
  return child;
}

async function waitFor(what, check, timeoutMs, intervalMs = 100) {
  const deadline = Date.now() + timeoutMs;
  let last = null;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (e) { last = e; }
    await sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}` + (last ? `: ${last.message}` : ''));
}

async function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const done = await Promise.race([child.exited, sleep(5_000).then(() => null)]);
  if (!done) { child.kill('SIGKILL'); await Promise.race([child.exited, sleep(2_000)]); }
}

async function cleanup() {
  if (browser) { await Promise.race([browser.close().catch(() => {}), sleep(5_000)]); browser = null; }
  await Promise.all(started.splice(0).map(stop));
  if (tmp) { fs.rmSync(tmp, { recursive: true, force: true }); tmp = null; }
}

function dumpLogs() {
  for (const child of started) {
    try { console.error(`---- ${child.logFile} ----\n` + fs.readFileSync(child.logFile, 'utf8').split('\n').slice(-40).join('\n')); } catch (_) {}
  }
}

async function main() {
  if (!binary || !fs.existsSync(binary)) throw new Error('usage: dashboard.spec.cjs <callgate binary> [output dir]');
  if (!fs.existsSync(CHROMIUM)) skipOrFail(`${CHROMIUM} not found (scripts/setup installs the chromium package)`);
  let chromium;
  try { ({ chromium } = require('playwright-core')); } catch (_) {
    skipOrFail('playwright-core is not installed (npm ci --prefix tests/browser)');
  }
  fs.mkdirSync(outDir, { recursive: true });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'callgate-browser-'));
  const dbFile = path.join(tmp, 'callgate.db');
  const env = {
    PATH: process.env.PATH,
    HOME: tmp,
    APP_ENV: 'local',
    CALLGATE_DATABASE_URL: 'sqlite://' + dbFile,
    CALLGATE_LOG_LEVEL: 'warn',
    CALLGATE_WORKERS: '0',  // the retried job stays queued: nothing runs it into failure again
    RETELL_API_KEY: RETELL_KEY,
    CALCOM_API_KEY: 'cal_browser_test_key',
    ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=0',
  };

  // Cal.com stand-in.
  const fake = start('fake-calcom', binary, ['fake-calcom', '--port', '0'], env);
  env.CALCOM_BASE_URL = await waitFor('fake-calcom to serve', () => {
    const m = /serving on (\S+)/.exec(fs.readFileSync(fake.logFile, 'utf8'));
    if (fake.exitCode !== null) throw new Error('fake-calcom exited');
    return m && m[1];
  }, 10_000);

  // Schema, demo tenant, platform admin and token.
  await run(binary, ['migrate'], { cwd: tmp, env });
  await run(binary, ['seed', '--demo'], { cwd: tmp, env });
  await run(binary, ['admin', 'create-user', '--email', 'ops@example.com', '--role', 'platform_admin'],
            { cwd: tmp, env });
  const tokenOut = await run(binary, ['admin', 'create-token', '--email', 'ops@example.com',
                                      '--name', 'browser test'], { cwd: tmp, env });
  const token = (/\b(cg_[A-Za-z0-9_\-.]+)/.exec(tokenOut) || [])[1];
  if (!token) throw new Error('no token in create-token output: ' + tokenOut);

  // The server.
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = start('serve', binary, ['serve'], { ...env, CALLGATE_LISTEN: `127.0.0.1:${port}` });
  await waitFor('callgate serve /health', async () => {
    if (server.exitCode !== null) throw new Error('callgate serve exited');
    const r = await fetch(base + '/health');
    return r.ok;
  }, 15_000);

  // One call, and one failed job.
  await run(binary, ['simulate-call', '--url', base, '--key', RETELL_KEY, '--call-id', CALL_ID],
            { cwd: tmp, env });
  const now = Date.now();
  const failedId = (await run('sqlite3', [dbFile,
    "INSERT INTO failed_jobs (job_id, queue, type, payload, attempts, error, request_id, failed_at, created_at, updated_at) " +
    `VALUES (4711, 'low', 'browser_probe', '{}', 3, 'probe: Cal.com answered 503', 'req-browser', ${now}, ${now}, ${now}); ` +
    'SELECT last_insert_rowid();'], { env })).trim();
  if (!/^\d+$/.test(failedId)) throw new Error('could not insert a failed job: ' + failedId);
  // An open callback request due two weeks ago: overdue under any SLA and opening hours.
  await run('sqlite3', [dbFile,
    'INSERT INTO callback_requests (company_id, branch_id, phone, name, reason, status, due_at, ' +
    `created_at, updated_at) SELECT company_id, id, '+4915112345678', 'Browser', 'probe', 'open', ` +
    `${now - 14 * 86_400_000}, ${now}, ${now} FROM branches ORDER BY id LIMIT 1;`], { env });
  log(`server ${base}, call ${CALL_ID}, failed job ${failedId}`);

  // The dashboard in Chromium.
  // A fresh profile per run (launchPersistentContext is how Playwright takes --user-data-dir).
  browser = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: CHROMIUM,
    headless: true,
    timeout: 15_000,
    viewport: { width: 1400, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] || await browser.newPage();
  page.setDefaultTimeout(15_000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(base + '/dashboard');
  await page.fill('#token', token);
  await page.click('#login-button');
  await page.waitForSelector('#app:not([hidden])');
  await page.waitForSelector(`#calls tr[data-call-id="${CALL_ID}"]`);
  const callsToday = Number(await page.textContent('#kpi-calls'));
  if (!(callsToday >= 1)) throw new Error('calls today should count the simulated call, shows ' + callsToday);
  // The overdue callback is marked in its branch's row.
  await page.waitForSelector('#callback-branches tr.overdue');
  const row = `#failed-jobs tr[data-failed-job-id="${failedId}"]`;
  await page.waitForSelector(row);
  await page.click(`${row} button.retry`);
  await page.waitForSelector(row, { state: 'detached' });
  await page.locator('#retry-status', { hasText: `Failed job ${failedId} queued again` }).waitFor();
  const left = (await run('sqlite3', [dbFile, `SELECT COUNT(*) FROM failed_jobs WHERE id = ${failedId};`], { env })).trim();
  if (left !== '0') throw new Error('the failed job is still in failed_jobs');
  const queued = (await run('sqlite3', [dbFile, "SELECT COUNT(*) FROM jobs WHERE type = 'browser_probe';"], { env })
    .catch(() => '?')).trim();
  if (pageErrors.length) throw new Error('page errors: ' + pageErrors.join('; '));
  const shot = path.join(outDir, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  log(`PASS: call shown, overdue callback marked, failed job ${failedId} retried (queued: ${queued}), screenshot ${shot}`);
}

let exitCode = 1;
const overall = setTimeout(() => {
  console.error(`[dashboard.spec] FAIL: took longer than ${TOTAL_MS} ms`);
  dumpLogs();
  cleanup().finally(() => process.exit(1));
}, TOTAL_MS);
process.on('uncaughtException', (e) => {
  console.error('[dashboard.spec] FAIL: ' + (e && e.stack || e));
  dumpLogs();
  cleanup().finally(() => process.exit(1));
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => { cleanup().finally(() => process.exit(1)); });
}
main()
  .then(() => { exitCode = 0; })
  .catch((e) => { console.error('[dashboard.spec] FAIL: ' + (e && e.stack || e)); dumpLogs(); })
  .finally(async () => {
    clearTimeout(overall);
    await cleanup();
    process.exit(exitCode);
  });
