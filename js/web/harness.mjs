// Harness for the browser suite: starts `tertulia serve` (serving the web
// client), a real coturn TURN server, and headless Debian Chromium driven by
// playwright-core, and offers helpers that go through the web client the way
// a person does (pre-join page, Join button) and read the result from the DOM
// (data-testid, docs/web-test-contract.md) and from WebRTC's getStats().
//
// Style of js/sync/harness.mjs: every process, browser and temp directory is
// registered for teardown; a test file calls `after(cleanup)` so a failing or
// timed-out test still tears everything down, and a process `exit` handler
// SIGKILLs whatever is left. Every wait has a deadline and says what it was
// waiting for. Everything listens on 127.0.0.1 only.
//
// The harness never downloads Playwright's browsers: it drives
// /usr/bin/chromium (Debian's package; CHROMIUM env overrides).

import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import ShareDB from 'sharedb/lib/client/index.js';
import WebSocket from 'ws';

import { watchProcess } from '../lib/process.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export const TERTULIA_BIN = path.resolve(REPO_ROOT, process.env.TERTULIA_BIN || 'target/release/tertulia');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const TURNSERVER = process.env.TURNSERVER || 'turnserver';
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'target', 'web-artifacts');

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
/** Default deadline for a UI reaction (a tile appearing, a message arriving). */
export const UI_TIMEOUT_MS = 15_000;
/** Default deadline for media to flow (ICE, DTLS, first frames, on 2 busy cores). */
export const MEDIA_TIMEOUT_MS = 30_000;

/** The Chromium flags of the suite (fake camera and microphone, no network chatter). */
export const CHROMIUM_ARGS = [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-gpu',
  // Remote audio must play out for inbound-rtp totalAudioEnergy to be computed.
  '--autoplay-policy=no-user-gesture-required',
];

// ---------------------------------------------------------------------------
// Cleanup

const liveProcesses = new Set();
const tempDirs = new Set();
const cleanups = [];

process.on('exit', () => {
  for (const proc of liveProcesses) {
    try {
      proc.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** Registers `fn` to run (last registered first) when `cleanup()` runs. */
export function onCleanup(fn) {
  cleanups.push(fn);
}

/**
 * Tears down everything started so far (browsers, servers, coturn, temp
 * directories). Test files call `after(cleanup)`; scripts call it in `finally`.
 */
export async function cleanup() {
  while (cleanups.length) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      console.error('teardown failed:', err);
    }
  }
}

function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

// ---------------------------------------------------------------------------
// Waiting

export class TimeoutError extends Error {}

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Rejects with a TimeoutError naming `what` unless `promise` settles within `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Re-evaluates `cond` (may be async) every `interval` ms until it returns a
 * truthy value, which is returned. Fails after `timeout` ms naming `what`
 * and, if given, `describe()` (may be async) to show the state that did not
 * converge.
 */
export async function waitUntil(cond, { timeout = UI_TIMEOUT_MS, interval = 100, what = 'condition', describe } = {}) {
  const deadline = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const value = await cond();
      if (value) return value;
      lastError = undefined;
    } catch (err) {
      if (err && err.fatal) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      let detail = '';
      if (describe) {
        try {
          detail = `; state: ${await describe()}`;
        } catch (err) {
          detail = `; (describing the state failed: ${err.message})`;
        }
      }
      if (lastError) detail += `; last error: ${lastError.message}`;
      throw new TimeoutError(`timed out after ${timeout} ms waiting for ${what}${detail}`);
    }
    await delay(interval);
  }
}

/** A short JSON rendering for failure messages. */
export function show(v, max = 1500) {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}

// ---------------------------------------------------------------------------
// Processes

/**
 * Spawns a long-running process, keeps its last 200 output lines (re-emitted
 * as 'line' events on `proc`) and registers its SIGKILL for teardown.
 */
function spawnTracked(cmd, argv, options) {
  const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  const { exited, tail } = watchProcess(proc, liveProcesses);
  const running = () => liveProcesses.has(proc);
  async function stop(signal = 'SIGTERM') {
    if (!running()) return exited;
    proc.kill(signal);
    try {
      return await withTimeout(exited, STOP_TIMEOUT_MS, `${path.basename(cmd)} to exit after ${signal}`);
    } catch (err) {
      proc.kill('SIGKILL');
      await withTimeout(exited, STOP_TIMEOUT_MS, `${path.basename(cmd)} to exit after SIGKILL`).catch(() => {});
      throw err;
    }
  }
  onCleanup(async () => {
    if (running()) {
      proc.kill('SIGKILL');
      await withTimeout(exited, STOP_TIMEOUT_MS, `${path.basename(cmd)} to exit after SIGKILL`).catch(() => {});
    }
  });
  return { proc, exited, tail, running, stop };
}

// ---------------------------------------------------------------------------
// The Tertulia server

/**
 * Starts `tertulia serve` on a free loopback port with a fresh temp data
 * directory and resolves once it prints `listening on http://127.0.0.1:PORT`
 * (the way js/sync/harness.mjs reads it). `args` are extra flags, e.g.
 * `['--max-participants', '2']` or `turn.serverArgs()`. `restart()` stops it
 * (SIGTERM) and starts it again on the same port and data directory, so the
 * pages' reconnects find it where it was.
 */
export async function startServer({ args = [], timeout = READY_TIMEOUT_MS, env = {} } = {}) {
  const dataDir = tempDir('tertulia-web-');
  // Registered first, so it runs after the server's kill (cleanups run last first).
  onCleanup(() => removeTempDir(dataDir));
  let { p, port } = await spawnServer({ dataDir, listen: '127.0.0.1:0', args, timeout, env });
  const httpUrl = `http://127.0.0.1:${port}`;
  const server = {
    port,
    args,
    dataDir,
    httpUrl,
    proc: p.proc,
    output: (n) => p.tail(n),
    get running() {
      return p.running();
    },
    stop: () => p.stop('SIGTERM'),
    /**
     * Stops the server and starts it again on the same port and data
     * directory; `whileDown` (async) runs in between.
     */
    restart: async ({ whileDown } = {}) => {
      await p.stop('SIGTERM');
      if (whileDown) await whileDown();
      // The port was just released; another process could take it, so try a few times.
      let lastErr;
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          ({ p } = await spawnServer({ dataDir, listen: `127.0.0.1:${port}`, args, timeout, env }));
          server.proc = p.proc;
          return server;
        } catch (err) {
          lastErr = err;
          await delay(250);
        }
      }
      throw lastErr;
    },
    /** `POST /api/rooms/{room}/join` outside the browser; resolves `{status, json, body}`. */
    joinApi: (room, name, password) =>
      httpRequest(httpUrl, 'POST', `/api/rooms/${encodeURIComponent(room)}/join`, password == null ? { name } : { name, password }),
  };
  return server;
}

async function spawnServer({ dataDir, listen, args, timeout, env }) {
  const argv = ['serve', '--listen', listen, '--data', dataDir, ...args];
  const p = spawnTracked(TERTULIA_BIN, argv, { cwd: REPO_ROOT, env: { RUST_LOG: 'warn', ...process.env, ...env } });

  let port;
  try {
    port = await withTimeout(
      new Promise((resolve, reject) => {
        p.proc.on('line', (line) => {
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
          if (m) resolve(Number(m[1]));
        });
        p.exited.then(({ code, signal, error }) =>
          reject(
            new Error(
              error
                ? `cannot start ${TERTULIA_BIN}: ${error.message} (build it: cargo build --release -p tertulia, or set TERTULIA_BIN)`
                : `server exited before listening (code ${code}, signal ${signal}):\n${p.tail()}`,
            ),
          ),
        );
      }),
      timeout,
      `'listening on' from ${TERTULIA_BIN} ${argv.join(' ')}`,
    );
  } catch (err) {
    p.proc.kill('SIGKILL');
    await withTimeout(p.exited, STOP_TIMEOUT_MS, 'killed server to exit').catch(() => {});
    err.message += `\n${p.tail()}`;
    throw err;
  }
  return { p, port };
}

/** One HTTP request on its own connection; resolves `{status, headers, body, json}`. */
export function httpRequest(base, method, urlPath, body, { timeout = 5_000 } = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return withTimeout(
    new Promise((resolve, reject) => {
      const req = http.request(
        `${base}${urlPath}`,
        {
          method,
          agent: false,
          headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => {
            let json;
            try {
              json = JSON.parse(text);
            } catch {
              json = undefined;
            }
            resolve({ status: res.statusCode, headers: res.headers, body: text, json });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    }),
    timeout,
    `${method} ${base}${urlPath}`,
  );
}

// ---------------------------------------------------------------------------
// coturn

/** A free loopback port, free for both UDP and TCP (TURN listens on both). */
async function freeUdpTcpPort() {
  for (let attempt = 0; attempt < 50; attempt++) {
    const udp = dgram.createSocket('udp4');
    const port = await new Promise((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, '127.0.0.1', () => resolve(udp.address().port));
    });
    const tcpOk = await new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    udp.close();
    if (tcpOk) return port;
  }
  throw new Error('no free loopback port for both UDP and TCP after 50 attempts');
}

/** A range of `size` consecutive loopback UDP ports that are free now. */
async function freeUdpRange(size) {
  const isFree = (port) =>
    new Promise((resolve) => {
      const s = dgram.createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    // Below Linux's default ephemeral range (32768–60999), where Chromium's
    // own ICE sockets land.
    const min = 20_000 + crypto.randomInt(0, 12_000 - size);
    let ok = true;
    for (let port = min; port < min + size && ok; port++) ok = await isFree(port);
    if (ok) return { min, max: min + size - 1 };
  }
  throw new Error(`no free range of ${size} loopback UDP ports after 50 attempts`);
}

/** Sends a STUN Binding Request to 127.0.0.1:port over UDP; resolves true on any answer within `ms`. */
function stunPing(port, ms = 300) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    const txid = crypto.randomBytes(12);
    const msg = Buffer.concat([Buffer.from([0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42]), txid]);
    const done = (ok) => {
      clearTimeout(timer);
      s.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), ms);
    s.once('error', () => done(false));
    s.on('message', (reply) => {
      if (reply.length >= 20 && reply.subarray(8, 20).equals(txid)) done(true);
    });
    s.send(msg, port, '127.0.0.1');
  });
}

/**
 * Starts Debian's coturn (`turnserver` 4.6) on a free loopback port with the
 * TURN REST API shared secret (`--use-auth-secret`), relaying on 127.0.0.1
 * within a free port range, and resolves once it answers a STUN binding
 * request. `serverArgs()` gives the matching `tertulia serve` flags.
 */
export async function startTurn({ timeout = READY_TIMEOUT_MS, relayPorts = 100 } = {}) {
  const dir = tempDir('tertulia-turn-');
  onCleanup(() => removeTempDir(dir));
  const port = await freeUdpTcpPort();
  const range = await freeUdpRange(relayPorts);
  const secret = crypto.randomBytes(24).toString('hex');
  const realm = 'tertulia';
  const argv = [
    '-n', // no configuration file (ignore /etc/turnserver.conf): everything below
    '--listening-ip', '127.0.0.1',
    '--relay-ip', '127.0.0.1',
    '--listening-port', String(port),
    '--use-auth-secret',
    '--static-auth-secret', secret,
    '--realm', realm,
    '--allow-loopback-peers',
    '--no-cli',
    '--no-tls',
    '--no-dtls',
    '--no-rfc5780', // no alternate listener on port+1
    '--min-port', String(range.min),
    '--max-port', String(range.max),
    '--log-file', 'stdout',
    '--simple-log',
    '--pidfile', path.join(dir, 'turnserver.pid'),
    '--db', path.join(dir, 'turndb'), // not /var/lib/turn/turndb
    '--no-software-attribute',
  ];
  const p = spawnTracked(TURNSERVER, argv, { cwd: dir });
  try {
    await waitUntil(
      async () => {
        if (!p.running()) {
          const { code, signal, error } = await p.exited;
          throw Object.assign(
            new Error(
              error
                ? `cannot start ${TURNSERVER}: ${error.message} (apt-get install coturn)`
                : `turnserver exited (code ${code}, signal ${signal}):\n${p.tail()}`,
            ),
            { fatal: true },
          );
        }
        return stunPing(port);
      },
      { timeout, interval: 100, what: `turnserver on 127.0.0.1:${port} to answer STUN`, describe: () => p.tail(20) },
    );
  } catch (err) {
    p.proc.kill('SIGKILL');
    await withTimeout(p.exited, STOP_TIMEOUT_MS, 'killed turnserver to exit').catch(() => {});
    throw err;
  }
  return {
    port,
    secret,
    realm,
    relayRange: range,
    urls: [`turn:127.0.0.1:${port}?transport=udp`, `turn:127.0.0.1:${port}?transport=tcp`],
    output: p.tail,
    stop: () => p.stop('SIGTERM'),
    /** Flags for `tertulia serve` pointing at this coturn (no STUN servers). */
    serverArgs: () => ['--turn-urls', `turn:127.0.0.1:${port}?transport=udp,turn:127.0.0.1:${port}?transport=tcp`, '--turn-secret', secret],
    /** TURN REST API credentials, as the server is expected to mint them. */
    credentials(user = 'test', ttlSecs = 3600) {
      const username = `${Math.floor(Date.now() / 1000) + ttlSecs}:${user}`;
      const credential = crypto.createHmac('sha1', secret).update(username).digest('base64');
      return { username, credential };
    },
  };
}

// ---------------------------------------------------------------------------
// The browser

const pageErrors = new WeakMap();

/**
 * Launches headless /usr/bin/chromium with the suite's flags. One browser per
 * test file; `newParticipant()` opens one BrowserContext (own cookies and
 * storage: one person) per participant.
 *
 * Playwright refuses a `--user-data-dir` argument in `launch()` and instead
 * mkdtemps a fresh profile in os.tmpdir() and removes it on close; the harness
 * points that at a directory of its own (TMPDIR during the launch) so the
 * profile is removed in teardown even if Chromium or Playwright died.
 */
export async function launchBrowser({ args = [], timeout = READY_TIMEOUT_MS } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install chromium (the suite never downloads Playwright's browsers)`);
  }
  const profileRoot = tempDir('tertulia-chromium-');
  const savedTmp = process.env.TMPDIR;
  let browser;
  process.env.TMPDIR = profileRoot;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_ARGS, ...args],
      timeout,
      env: { ...process.env, TMPDIR: savedTmp ?? os.tmpdir() },
    });
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
  const profile = fs.readdirSync(profileRoot).find((d) => d.startsWith('playwright_chromiumdev_profile-'));
  onCleanup(async () => {
    await withTimeout(browser.close(), STOP_TIMEOUT_MS, 'Chromium to close').catch((err) => console.error(err.message));
    removeTempDir(profileRoot);
  });
  return {
    browser,
    userDataDir: profile ? path.join(profileRoot, profile) : profileRoot,
    /**
     * A new participant: its own BrowserContext and page on `server`, with
     * console errors, page errors, crashes and dialogs collected on the page
     * (see `assertNoConsoleErrors`). Dialogs: `confirm` is accepted (e.g. a
     * "remove this participant?" question), anything else dismissed; all are
     * recorded in `dialogs`.
     */
    async newParticipant(server, label = 'participant') {
      const context = await browser.newContext({
        baseURL: server.httpUrl,
        viewport: { width: 1280, height: 720 },
        permissions: ['camera', 'microphone'],
      });
      await context.addInitScript(traceRoomControl);
      const page = await context.newPage();
      page.setDefaultTimeout(UI_TIMEOUT_MS);
      const errors = trackPage(page, label);
      return {
        label,
        context,
        page,
        errors,
        dialogs: errors.dialogs,
        /** Expects console errors matching `re` from now on (e.g. a refused join's 403). */
        allow: (re) => errors.allowed.push(re),
        close: () => withTimeout(context.close(), STOP_TIMEOUT_MS, `context of ${label} to close`),
      };
    },
    close: () => browser.close(),
  };
}

/**
 * Runs in every page before the client: keeps the last 400 room-control
 * messages (`rc`) in and out of the page's WebSockets in `window.__rcTrace`
 * as `[ms, 'in'|'out', rc, detail, peer]` (signal payloads reduced to their
 * kind), so a failure can show the signaling that led to it. The client's
 * sockets are real WebSockets; only `send` and an extra 'message' listener
 * are added.
 */
function traceRoomControl() {
  const trace = [];
  const sockets = [];
  Object.defineProperty(window, '__rcTrace', { value: trace });
  // The page's sockets, newest last, so a test can drop one (`dropSocket`).
  Object.defineProperty(window, '__rcSockets', { value: sockets });
  const t0 = performance.now();
  const note = (dir, text) => {
    // Not only `startsWith('{"rc"')`: the key order is the sender's business.
    if (typeof text !== 'string' || !text.includes('"rc"')) return;
    try {
      const m = JSON.parse(text);
      if (!m || typeof m.rc !== 'string') return;
      const d = m.data || {};
      const detail = m.rc === 'signal' ? (d.description ? d.description.type : d.candidate ? 'candidate' : '?') : m.code || m.reason || '';
      const peer = m.from || m.to || m.target || m.id || (m.participant && `${m.participant.id}/${m.participant.session}`) || '';
      trace.push([Math.round(performance.now() - t0), dir, m.rc, detail, typeof peer === 'string' ? peer : String(peer)]);
      if (trace.length > 400) trace.shift();
    } catch {
      // Not JSON: not ours to trace.
    }
  };
  const Native = window.WebSocket;
  const send = Native.prototype.send;
  Native.prototype.send = function (data) {
    note('out', data);
    return send.call(this, data);
  };
  window.WebSocket = class WebSocket extends Native {
    constructor(...args) {
      super(...args);
      sockets.push(this);
      if (sockets.length > 20) sockets.shift();
      this.addEventListener('message', (e) => note('in', e.data));
    }
  };
}

/**
 * Closes the page's newest open WebSocket from the client side with `code`
 * (not one the client treats as final), as a network drop looks to the
 * server: no `leave`. Resolves false if there was no open socket.
 */
export function dropSocket(page, code = 4000) {
  return page.evaluate((c) => {
    const open = window.__rcSockets.filter((ws) => ws.readyState === WebSocket.OPEN);
    if (!open.length) return false;
    open[open.length - 1].close(c, 'dropped by the test');
    return true;
  }, code);
}

/** The page's room-control trace (see `traceRoomControl`), signal candidates left out. */
export async function rcTrace(page, { candidates = false } = {}) {
  return page.evaluate((withCandidates) => (window.__rcTrace || []).filter((r) => withCandidates || r[3] !== 'candidate'), candidates).catch((err) => [`(no trace: ${err.message})`]);
}

function trackPage(page, label) {
  const errors = { label, list: [], allowed: [], dialogs: [] };
  pageErrors.set(page, errors);
  const add = (what) => {
    if (!errors.allowed.some((re) => re.test(what))) errors.list.push(what);
  };
  page.on('console', (msg) => {
    if (msg.type() === 'error') {
      const loc = msg.location();
      add(`console.error: ${msg.text()}${loc && loc.url ? ` (${loc.url}:${loc.lineNumber})` : ''}`);
    }
  });
  page.on('pageerror', (err) => add(`pageerror: ${err.stack || err.message}`));
  page.on('crash', () => add('page crashed'));
  page.on('dialog', async (dialog) => {
    errors.dialogs.push({ type: dialog.type(), message: dialog.message() });
    try {
      if (dialog.type() === 'confirm') await dialog.accept();
      else await dialog.dismiss();
    } catch {
      // The page went away.
    }
  });
  return errors;
}

/** Fails with every console error, page error or crash seen on these pages. */
export function assertNoConsoleErrors(...pages) {
  const found = [];
  for (const page of pages.flat()) {
    const errors = pageErrors.get(page.page || page);
    if (errors && errors.list.length) found.push(`${errors.label}:\n  ${errors.list.join('\n  ')}`);
  }
  if (found.length) throw new Error(`console errors in the browser:\n${found.join('\n')}`);
}

/** Lets `re` match expected console errors on `page` (e.g. the 403 of a refused join). */
export function allowConsoleErrors(page, re) {
  const errors = pageErrors.get(page.page || page);
  if (errors) errors.allowed.push(re);
}

// ---------------------------------------------------------------------------
// The web client

export const byTestId = (id) => `[data-testid="${id}"]`;

/** Sets a toggle (`aria-pressed`) to `on`, clicking it if needed, and waits for it. */
export async function setToggle(page, testId, on, { timeout = UI_TIMEOUT_MS } = {}) {
  const el = page.getByTestId(testId);
  const pressed = async () => (await el.getAttribute('aria-pressed', { timeout })) === 'true';
  if ((await pressed()) !== on) await el.click({ timeout });
  await waitUntil(async () => (await pressed()) === on, {
    timeout,
    what: `${testId} to show aria-pressed=${on}`,
    describe: () => el.getAttribute('aria-pressed'),
  });
}

/** The `join-error` the page shows now: `{code, text}` or null. */
function joinErrorNow(page) {
  return page.evaluate(() => {
    const err = document.querySelector('[data-testid="join-error"]');
    if (!err) return null;
    const code = err.getAttribute('data-code');
    const visible = !!(err.offsetWidth || err.offsetHeight || err.getClientRects().length);
    return code && visible ? { code, text: (err.textContent || '').trim() } : null;
  });
}

/**
 * What the page shows about joining: `{self}` once joined, `{error: {code,
 * text}}` for a `join-error` other than `ignoreCode` (one that was already
 * shown before the click, e.g. a device warning), or null.
 */
async function joinState(page, ignoreCode) {
  const self = await page.evaluate(() => (window.__tertulia && window.__tertulia.self) || null);
  if (self) return { self };
  const error = await joinErrorNow(page);
  return error && error.code !== ignoreCode ? { error } : null;
}

async function describeJoinPage(page) {
  return page.evaluate(() => {
    const ids = [...document.querySelectorAll('[data-testid]')].map((e) => e.getAttribute('data-testid'));
    const t = window.__tertulia;
    return JSON.stringify({
      url: location.href,
      testids: [...new Set(ids)],
      hook: t ? { self: t.self, wsState: t.wsState, peers: t.peers ? t.peers.size : undefined } : null,
      body: document.body ? document.body.innerText.slice(0, 300) : '',
    });
  });
}

/**
 * Fills in the pre-join page of `room` and clicks Join. Options:
 * `password`, `mic`/`cam` (pre-join toggles, default on), `query` (e.g.
 * `?iceTransportPolicy=relay`), `navigate: false` to use the page as it is
 * (e.g. after a reload). Resolves `{self}` or `{error: {code, text}}` (from
 * `join-error`).
 */
export async function submitJoin(page, room, name, { password, mic = true, cam = true, query = '', navigate = true, timeout = UI_TIMEOUT_MS } = {}) {
  if (navigate) await page.goto(`/r/${encodeURIComponent(room)}${query}`, { waitUntil: 'domcontentloaded', timeout });
  await page.getByTestId('display-name').fill(name, { timeout });
  if (password != null) await page.getByTestId('password').fill(password, { timeout });
  await setToggle(page, 'prejoin-mic', mic, { timeout });
  await setToggle(page, 'prejoin-cam', cam, { timeout });
  const shownBefore = await joinErrorNow(page);
  await page.getByTestId('join').click({ timeout });
  return waitUntil(() => joinState(page, shownBefore && shownBefore.code), {
    timeout,
    what: `${name} to join room ${room} (window.__tertulia.self) or a join-error`,
    describe: () => describeJoinPage(page),
  });
}

/** Joins `room` through the pre-join page (see `submitJoin`); resolves `self` ({id, name, role}). */
export async function joinRoom(page, room, name, opts = {}) {
  const res = await submitJoin(page, room, name, opts);
  if (res.error) throw new Error(`${name} could not join ${room}: join-error ${res.error.code}: ${res.error.text}`);
  // The room UI: our own tile is there.
  await page.locator(`${byTestId('tile')}[data-self="true"]`).first().waitFor({ timeout: opts.timeout ?? UI_TIMEOUT_MS });
  return res.self;
}

/** Tries to join and expects a refusal; resolves the `join-error` data-code. */
export async function joinRefused(page, room, name, opts = {}) {
  const res = await submitJoin(page, room, name, opts);
  if (!res.error) throw new Error(`${name} joined ${room} as ${show(res.self)} although a refusal was expected`);
  return res.error.code;
}

/**
 * After a reload of a joined page: clicks Join again if the pre-join page
 * shows (the client may also rejoin by itself), and resolves `self`.
 */
export async function rejoinAfterReload(page, name, { timeout = UI_TIMEOUT_MS } = {}) {
  const st = await waitUntil(
    async () => {
      const s = await joinState(page);
      if (s) return s;
      if (await page.getByTestId('join').isVisible()) return { prejoin: true };
      return null;
    },
    { timeout, what: `${name}'s reloaded page to show the pre-join page or rejoin`, describe: () => describeJoinPage(page) },
  );
  if (st.error) throw new Error(`${name} could not rejoin: join-error ${st.error.code}: ${st.error.text}`);
  if (st.self) return st.self;
  const name0 = await page.getByTestId('display-name').inputValue();
  await page.getByTestId('join').click({ timeout });
  const res = await waitUntil(() => joinState(page), {
    timeout,
    what: `${name} (prefilled name ${show(name0)}) to rejoin after reload`,
    describe: () => describeJoinPage(page),
  });
  if (res.error) throw new Error(`${name} could not rejoin: join-error ${res.error.code}: ${res.error.text}`);
  return res.self;
}

/** Every participant tile on the page, as the DOM shows it. */
export async function tiles(page) {
  return page.$$eval(byTestId('tile'), (els) =>
    els.map((el) => {
      const has = (id) => {
        const e = el.querySelector(`[data-testid="${id}"]`);
        return !!(e && (e.offsetWidth || e.offsetHeight || e.getClientRects().length));
      };
      const v = el.querySelector('video');
      const nameEl = el.querySelector('[data-testid="tile-name"]');
      return {
        participant: el.getAttribute('data-participant'),
        self: el.getAttribute('data-self') === 'true',
        name: nameEl ? nameEl.textContent.trim() : null,
        muted: has('muted-indicator'),
        camOff: has('cam-off'),
        hand: has('hand-indicator'),
        video: v
          ? { width: v.videoWidth, height: v.videoHeight, readyState: v.readyState, paused: v.paused, muted: v.muted, hasStream: !!v.srcObject }
          : null,
      };
    }),
  );
}

/** Waits until `pred(tiles)` holds on `page`; resolves the tiles. */
export function waitForTiles(page, pred, what, { timeout = UI_TIMEOUT_MS } = {}) {
  return waitUntil(
    async () => {
      const t = await tiles(page);
      return pred(t) ? t : null;
    },
    { timeout, what, describe: async () => show(await tiles(page)) },
  );
}

/** The tile of `participantId` on `page` (fails unless exactly one). */
export async function tileOf(page, participantId) {
  const mine = (await tiles(page)).filter((t) => t.participant === participantId);
  if (mine.length !== 1) throw new Error(`expected one tile for ${participantId}, found ${mine.length}`);
  return mine[0];
}

/** Texts of the `chat-message` elements. */
export async function chatMessages(page) {
  return page.$$eval(byTestId('chat-message'), (els) => els.map((e) => e.textContent.trim()));
}

/** Opens the chat panel unless the chat input is already visible. */
export async function openChat(page) {
  if (!(await page.getByTestId('chat-input').isVisible())) await page.getByTestId('open-chat').click();
  await page.getByTestId('chat-input').waitFor({ state: 'visible' });
}

/** Sends a chat message through the UI. */
export async function sendChat(page, text) {
  await openChat(page);
  await page.getByTestId('chat-input').fill(text);
  await page.getByTestId('chat-send').click();
}

/** Opens the participants panel unless a participant row is already visible. */
export async function openParticipants(page) {
  if (!(await page.getByTestId('participant-row').first().isVisible())) await page.getByTestId('open-participants').click();
  await page.getByTestId('participant-row').first().waitFor({ state: 'visible' });
}

/** Saves a PNG of `page` to target/web-artifacts/<name>.png; resolves the path. */
export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name.replace(/[^A-Za-z0-9_.-]+/g, '-')}.png`);
  await page.screenshot({ path: file, timeout: UI_TIMEOUT_MS });
  return file;
}

// ---------------------------------------------------------------------------
// Media (getStats)

/**
 * One getStats() sample of every peer connection in `window.__tertulia.peers`:
 * `{peers: {id: {state, ice, video: {count, framesDecoded}, audio: {count,
 * totalAudioEnergy}, pair: {local, remote, localProtocol, relayProtocol}}}}`.
 */
export async function mediaSample(page) {
  return page.evaluate(async () => {
    const t = window.__tertulia;
    if (!t || !(t.peers instanceof Map)) return { error: 'window.__tertulia.peers is not a Map' };
    const peers = {};
    for (const [id, pc] of t.peers) {
      const p = {
        state: pc.connectionState,
        ice: pc.iceConnectionState,
        signaling: pc.signalingState,
        transceivers: pc.getTransceivers().length,
        video: { count: 0, framesDecoded: 0, frameWidth: 0 },
        audio: { count: 0, totalAudioEnergy: 0 },
        pair: null,
      };
      if (pc.connectionState !== 'closed') {
        const stats = await pc.getStats();
        let selected = null;
        stats.forEach((r) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video') {
            p.video.count++;
            p.video.framesDecoded += r.framesDecoded || 0;
            p.video.frameWidth = Math.max(p.video.frameWidth, r.frameWidth || 0);
          } else if (r.type === 'inbound-rtp' && r.kind === 'audio') {
            p.audio.count++;
            p.audio.totalAudioEnergy += r.totalAudioEnergy || 0;
          } else if (r.type === 'transport' && r.selectedCandidatePairId) {
            selected = stats.get(r.selectedCandidatePairId);
          }
        });
        if (!selected) {
          stats.forEach((r) => {
            if (!selected && r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') selected = r;
          });
        }
        if (selected) {
          const l = stats.get(selected.localCandidateId);
          const rc = stats.get(selected.remoteCandidateId);
          p.pair = {
            local: l && l.candidateType,
            remote: rc && rc.candidateType,
            localAddress: l && `${l.address}:${l.port}`,
            localProtocol: l && l.protocol,
            relayProtocol: l && l.relayProtocol,
          };
        }
      }
      peers[id] = p;
    }
    return { peers };
  });
}

/** Frames a video must decode during `waitForRemoteMedia` to count as flowing. */
export const MIN_NEW_FRAMES = 5;
/**
 * totalAudioEnergy a remote audio stream must gain during
 * `waitForRemoteMedia` to count as heard. Chromium's fake microphone (a beep)
 * adds about 0.2 per second once played out; a muted or silent track about
 * 1e-9 per second, so "rising at all" would not tell sound from silence.
 */
export const AUDIBLE_ENERGY = 1e-3;

/**
 * Waits until `page` has exactly `n` live peer connections (or exactly the
 * participants `ids`) and each of them shows, since this call began (or since
 * the peer appeared), an inbound-rtp video whose framesDecoded grew by
 * MIN_NEW_FRAMES and an inbound-rtp audio whose totalAudioEnergy grew by
 * AUDIBLE_ENERGY (the remote audio is played out and not silence).
 * `audio: false` / `video: false` skip a kind. Resolves the last sample.
 */
export async function waitForRemoteMedia(page, n, { ids, video = true, audio = true, timeout = MEDIA_TIMEOUT_MS, label = 'page' } = {}) {
  const base = {};
  const ok = {};
  let last;
  const live = (s) => Object.entries(s.peers).filter(([, p]) => p.state !== 'closed');
  return waitUntil(
    async () => {
      const s = await mediaSample(page);
      last = s;
      if (s.error) throw new Error(s.error);
      const peers = live(s);
      for (const [id, p] of peers) {
        const b = base[id];
        if (!b) {
          base[id] = p;
          ok[id] = { video: !video, audio: !audio };
          continue;
        }
        if (video && p.video.count > 0 && p.video.framesDecoded - b.video.framesDecoded >= MIN_NEW_FRAMES) ok[id].video = true;
        if (audio && p.audio.count > 0 && p.audio.totalAudioEnergy - b.audio.totalAudioEnergy >= AUDIBLE_ENERGY) ok[id].audio = true;
      }
      const liveIds = peers.map(([id]) => id).sort();
      if (ids && show(liveIds) !== show([...ids].sort())) return null;
      if (liveIds.length !== n) return null;
      return peers.every(([id, p]) => ok[id] && ok[id].video && ok[id].audio && p.state === 'connected') ? s : null;
    },
    {
      timeout,
      interval: 250,
      what: `${label}: ${n} peer connection(s)${ids ? ` with ${show(ids)}` : ''} with ${[video && 'inbound video framesDecoded', audio && 'audio totalAudioEnergy'].filter(Boolean).join(' and ')} increasing`,
      describe: async () => `${show({ last, progress: ok }, 3000)}; room-control trace of ${label}: ${show(await rcTrace(page), 4000)}`,
    },
  );
}

/** Waits until the page shows every remote tile's <video> playing frames (videoWidth > 0). */
export function waitForRemoteVideosRendered(page, n, { timeout = MEDIA_TIMEOUT_MS, label = 'page' } = {}) {
  return waitForTiles(
    page,
    (t) => {
      const remote = t.filter((x) => !x.self);
      return remote.length === n && remote.every((x) => x.video && x.video.width > 0 && x.video.readyState >= 2 && !x.video.paused);
    },
    `${label}: ${n} remote tile(s) whose <video> plays (videoWidth > 0, not paused)`,
    { timeout },
  );
}

/**
 * The server's snapshot data of `collection/id`, read by a fresh sharedb
 * client joined to `room` (so no page's local state can mask a server bug).
 */
export async function serverSnapshot(server, room, collection, id) {
  const res = await server.joinApi(room, 'snapshot-reader');
  if (res.status !== 200) throw new Error(`join for the snapshot: ${res.status} ${res.body}`);
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${encodeURIComponent(res.json.token)}`);
  const connection = new ShareDB.Connection(ws);
  try {
    const doc = connection.get(collection, id);
    await withTimeout(
      new Promise((resolve, reject) => doc.fetch((err) => (err ? reject(err) : resolve()))),
      10_000,
      `fetch of ${collection}/${id}`,
    );
    return doc.data;
  } finally {
    connection.close();
    ws.terminate();
  }
}

// ---------------------------------------------------------------------------
// Rooms without media (the chat, moderation and shared-element tests)

/** Pre-join options with camera and microphone off (saves CPU where media is not under test). */
export const NO_MEDIA = { mic: false, cam: false };

/**
 * Console errors Chromium logs for a refused WebSocket upgrade or fetch while
 * the server is down (during `server.restart()`): the network, not the client.
 */
export const OUTAGE_ERRORS = /ERR_CONNECTION_REFUSED|WebSocket connection to .* failed|Failed to load resource/;

/**
 * Opens a participant (`browser.newParticipant`) for each of `names`, then
 * joins them to `room` one after the other with camera and microphone off;
 * resolves the participants in that order, each with its `self` ({id, name, role}).
 */
export async function joinWithoutMedia(browser, server, room, names) {
  const participants = [];
  for (const name of names) participants.push(await browser.newParticipant(server, name));
  for (const p of participants) p.self = await joinRoom(p.page, room, p.label, NO_MEDIA);
  return participants;
}

/**
 * Waits until participant `p`'s element strip shows exactly `count` tabs of
 * `kind` (whiteboard, slides, video…); `what` names the wait in a failure.
 */
export function waitForElementTabs(p, kind, { count = 1, what = `${p.label}: the ${kind} tab` } = {}) {
  return waitUntil(async () => (await p.page.locator(`${byTestId('element-tab')}[data-kind="${kind}"]`).count()) === count, { what });
}

/** Waits until participant `p`'s WebSocket is no longer open (the server went away). */
export function waitForSocketDown(p) {
  return waitUntil(async () => (await p.page.evaluate(() => window.__tertulia.wsState)) !== 'open', {
    what: `${p.label}'s socket to notice the server is gone`,
  });
}

/** Waits, one after the other, until every participant's WebSocket is open again after a `server.restart()`. */
export async function waitForReconnect(participants) {
  for (const p of participants) {
    await waitUntil(async () => (await p.page.evaluate(() => window.__tertulia.wsState)) === 'open', {
      timeout: 30_000,
      what: `${p.label} to reconnect after the restart`,
    });
  }
}

/** What a page of `makePdf` draws by default: "Page i" in white on blue. */
const BLUE_PDF_PAGE = (i) => `0.1 0.3 0.6 rg 0 0 960 540 re f 1 1 1 rg BT /F1 160 Tf 150 210 Td (Page ${i}) Tj ET`;

/**
 * A minimal valid PDF written by hand: `n` landscape pages (960×540) in
 * Helvetica, page i drawn by the content stream `content(i)` (by default
 * "Page i" in big white letters on blue).
 */
export function makePdf(n, content = BLUE_PDF_PAGE) {
  const objects = [];
  const font = 3 + 2 * n;
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  const kids = [];
  for (let i = 1; i <= n; i++) {
    const pageObj = 1 + 2 * i;
    const contentObj = pageObj + 1;
    kids.push(`${pageObj} 0 R`);
    objects[pageObj] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 960 540] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${contentObj} 0 R >>`;
    const stream = content(i);
    objects[contentObj] = `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`;
  }
  objects[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${n} >>`;
  objects[font] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  let out = '%PDF-1.4\n';
  const offsets = [];
  for (let i = 1; i < objects.length; i++) {
    offsets[i] = Buffer.byteLength(out);
    out += `${i} 0 obj\n${objects[i]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let i = 1; i < objects.length; i++) out += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}
