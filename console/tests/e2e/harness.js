// Real processes for the browser tests: `smsgate simulate twilio` and
// `smsgate serve` on loopback (like tests/e2e/conftest.py does for pytest),
// an admin API key, a default provider pointing at the simulator, and
// Debian's chromium driven by playwright-core (never a downloaded browser).
//
// SMSGATE_BIN: the binary (default: <repo>/build/src/smsgate).
// CHROMIUM: the browser (default: /usr/bin/chromium).
// Logs and screenshots go under <repo>/build/console-e2e/ (never the tree).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.SMSGATE_BIN || join(REPO, 'build/src/smsgate');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUT = join(REPO, 'build/console-e2e');
export const SHOTS = join(OUT, 'screenshots');

export const ACCOUNT_SID = 'AC' + '0123456789abcdef'.repeat(2);
export const AUTH_TOKEN = 'sim-auth-token-7f3e9a1c5b';
const READY_MS = 20000; // generous: a shared 2-core machine

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll fn until it returns a truthy value (bounded); returns that value. */
export async function waitFor(fn, what, timeoutMs = READY_MS) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(50);
  }
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

/** The environment without the caller's SMSGATE_* settings. */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SMSGATE_')));
}

class Proc {
  constructor(name, args, logDir) {
    this.name = name;
    this.out = join(logDir, `${name}.stdout`);
    this.err = join(logDir, `${name}.stderr`);
    this.child = spawn(BIN, args, {
      env: cleanEnv(),
      stdio: ['ignore', openSync(this.out, 'w'), openSync(this.err, 'w')],
      detached: true, // its own process group, killed as a whole
    });
    this.exited = false;
    this.child.on('exit', () => {
      this.exited = true;
    });
  }

  stdout() {
    return readFileSync(this.out, 'utf8');
  }

  describe() {
    return `${this.name}: ${readFileSync(this.err, 'utf8').slice(-2000)}`;
  }

  async stop() {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    try {
      process.kill(-this.child.pid, 'SIGTERM');
    } catch {
      return;
    }
    const t = setTimeout(() => {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {}
    }, 10000);
    await gone;
    clearTimeout(t);
  }
}

/** Run `smsgate ARGS` to completion: {status, stdout, stderr}. */
export function runCli(args, input) {
  const r = spawnSync(BIN, args, { env: cleanEnv(), input, encoding: 'utf8', timeout: 30000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * Start the simulator and the server; resolve to
 * {url, key, db, sessions, request(method, path, body?), stop()}.
 * sessions: whether this server has POST /v1/session (issue 13's sessions).
 * opts.callbacks: the simulator sends status callbacks (sent, delivered).
 * opts.simArgs: more flags for the simulator (e.g. --undelivered NUMBER).
 */
export async function startGateway(name, opts = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sg-console-'));
  const logs = join(OUT, 'logs', name);
  mkdirSync(logs, { recursive: true });
  const procs = [];
  const stop = async () => {
    for (const p of procs.reverse()) await p.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const sim = new Proc('sim', ['simulate', 'twilio', '--listen', '127.0.0.1:0', '--account-sid', ACCOUNT_SID,
      '--auth-token', AUTH_TOKEN, '--log-level', 'warn', ...(opts.callbacks ? [] : ['--callbacks', 'off']),
      ...(opts.simArgs ?? [])], logs);
    procs.push(sim);
    const simUrl = await waitFor(() => {
      if (sim.exited) throw new Error(sim.describe());
      return /^listening (http:\/\/\S+)$/m.exec(sim.stdout())?.[1];
    }, 'the simulator to listen');

    const db = join(dir, 'smsgate.db');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const srv = new Proc('serve', ['serve', '--db', db, '--listen', `127.0.0.1:${port}`, '--outbound-allow',
      '127.0.0.0/8,::1/128', '--poll-ms', '50', '--log-level', 'info'], logs);
    procs.push(srv);
    await waitFor(async () => {
      if (srv.exited) throw new Error(srv.describe());
      return (await fetch(url + '/healthz')).status === 200;
    }, 'smsgate serve /healthz');

    const kc = runCli(['key', 'create', '--role', 'admin', '--db', db, '--log-level', 'warn']);
    const key = kc.stdout.trim().split('\n').pop().trim();
    if (kc.status !== 0 || !key.startsWith('sgk_')) throw new Error(`key create: ${kc.stderr}`);

    const request = async (method, path, body) => {
      const r = await fetch(url + path, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.text();
      let json = null;
      try {
        json = JSON.parse(text);
      } catch {}
      return { status: r.status, json, text };
    };
    const p = await request('POST', '/v1/providers', {
      name: 'sim', kind: 'twilio', default: true,
      config: { account_sid: ACCOUNT_SID, auth_token: AUTH_TOKEN, from: '+15005550006', base_url: simUrl, mps: 1000 },
    });
    if (p.status !== 201) throw new Error(`create provider: ${p.status} ${p.text}`);
    const probe = await fetch(url + '/v1/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    return { url, key, db, simUrl, sessions: probe.status !== 404, request, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Create a console user through the CLI (issue 13's `user create`). */
export function createUser(db, email, password, role = 'admin') {
  const r = runCli(['user', 'create', '--email', email, '--role', role, '--password-stdin', '--db', db,
    '--log-level', 'warn'], password + '\n');
  if (r.status !== 0) throw new Error(`user create: ${r.status} ${r.stderr}`);
}

export function launchBrowser() {
  // --no-sandbox: the tests may run as root in a container, where chromium's
  // sandbox cannot start; the pages are our own.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'], timeout: 60000 });
}

/**
 * A page that records what would show a broken console: uncaught errors,
 * console errors and CSP violations (listened for before any page script
 * runs). Console errors about a request that was expected to fail (the
 * session probe's 401/404) are left out by `allow` (a predicate on the text
 * and the URL; by default the session probe's).
 */
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 } });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const problems = [];
  // A console opened signed out probes GET /v1/session first: its 401 is the
  // expected answer (issue 13, step 1), logged by the browser, not a fault.
  const allow = opts.allow ?? allowSessionProbe;
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const where = m.location()?.url ?? '';
    if (!allow(m.text(), where)) problems.push(`console.error: ${m.text()} (${where})`);
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const cspViolations = () => page.evaluate(() => window.__cspViolations);
  return { context, page, problems, cspViolations };
}

/** The failed session probe of a signed-out console is expected. */
export const allowSessionProbe = (text, where) =>
  /\/v1\/session$/.test(where) && /status of (401|404)/.test(text);

/**
 * Make the page signed in. With sessions (issue 13, step 1) this signs in
 * through the form as a real user. Without them (POST /v1/session answers
 * 404: the server side is not merged yet) the page's /v1 requests get the
 * admin key added on the way out, and GET /v1/session answers a session for
 * that key, so that the pages are tested against the real API.
 */
export async function signIn(gw, page, user) {
  if (gw.sessions) {
    await page.goto(gw.url + '/console/');
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return;
  }
  await page.route(/\/v1\//, async (route) => {
    const req = route.request();
    if (new URL(req.url()).pathname === '/v1/session' && req.method() === 'GET') {
      await route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ user: { id: 'usr_test', email: user.email, role: user.role ?? 'admin' }, csrf_token: 'test',
          expires_at: new Date(Date.now() + 3600e3).toISOString() }),
      });
      return;
    }
    await route.continue({ headers: { ...req.headers(), authorization: `Bearer ${gw.key}` } });
  });
  await page.goto(gw.url + '/console/');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** When a test fails, what the page showed and what the browser said, on stderr: a timeout alone does not tell. */
async function explainFailure(p, dialogs) {
  try {
    const text = await p.page.locator('body').innerText({ timeout: 2000 });
    process.stderr.write(`--- the page at ${p.page.url()} when the test failed:\n${text.slice(0, 4000)}\n`);
  } catch {
    process.stderr.write('--- the page could not be read when the test failed\n');
  }
  if (p.problems.length) process.stderr.write(`--- browser console: ${JSON.stringify(p.problems).slice(0, 2000)}\n`);
  if (dialogs.length) process.stderr.write(`--- dialogs: ${JSON.stringify(dialogs)}\n`);
}

/**
 * Run fn on a fresh page of browser, then fail on any browser-console error
 * (but the session probe's and those allow(text, url) accepts: the browser logs
 * every 4xx answer a test asked for), page error, CSP violation or dialog
 * (alert/confirm: a sign of text rendered as markup).
 */
export async function withCheckedPage(browser, fn, allow) {
  const p = await newPage(browser, { allow: (t, u) => allowSessionProbe(t, u) || (allow ? allow(t, u) : false) });
  const dialogs = [];
  p.page.on('dialog', async (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    await d.dismiss();
  });
  try {
    try {
      await fn(p);
    } catch (err) {
      await explainFailure(p, dialogs);
      throw err;
    }
    assert.deepEqual(p.problems, [], 'no errors in the browser console');
    assert.deepEqual(await p.cspViolations(), [], 'no CSP violations');
    assert.deepEqual(dialogs, [], 'no dialog opened');
  } finally {
    await p.context.close();
  }
}
