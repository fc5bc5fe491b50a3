// Harness for the ShareDB interop suite: starts `tertulia serve`, joins rooms
// over HTTP and drives the unmodified npm `sharedb` 7.0.0 client (and raw
// WebSockets) against it.
//
// Every server and socket a test opens is registered with the test file's
// root `after` hook, so a failing or timed-out test still tears everything
// down (tests also stop their servers themselves when done); a process `exit`
// handler is the last resort that SIGKILLs anything left. Every wait has a
// deadline: nothing here sleeps without a bound.
//
// HTTP goes through node:http with `agent: false` rather than fetch(): fetch's
// pooled keep-alive sockets would stay open after a join, counting against
// `--max-connections-per-ip` and holding connections during shutdown tests.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

import ShareDB from 'sharedb/lib/client/index.js';
import json0 from 'ot-json0';
import WebSocket from 'ws';

import { watchProcess } from '../lib/process.mjs';

export { ShareDB, WebSocket };
export const json0Type = json0.type;

const here = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(here, '..', '..');
export const TERTULIA_BIN = path.resolve(REPO_ROOT, process.env.TERTULIA_BIN || 'target/release/tertulia');

/** Every action of ShareDB's wire protocol 1.2 (lib/message-actions.js). */
export const SHAREDB_ACTIONS = new Set([
  'init', 'hs', 's', 'f', 'u', 'bs', 'bf', 'bu', 'op', 'p', 'ps', 'pu', 'pr', 'pp', 'nf', 'nt', 'qs', 'qf', 'qu', 'q',
]);

const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
export const DEFAULT_TIMEOUT_MS = 5_000;

// ---------------------------------------------------------------------------
// Cleanup

const liveProcesses = new Set();
const tempDirs = new Set();

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

const teardowns = [];

/**
 * Registers `fn` to run when the test file's root suite ends, whatever
 * happened before (failures, timeouts). The hook is registered once, when a
 * test file imports this module, so it belongs to the root suite: `after`
 * called from inside a `before` hook would run as soon as that hook ends.
 */
function onTeardown(fn) {
  teardowns.push(fn);
}

after(async () => {
  while (teardowns.length) {
    const fn = teardowns.pop();
    try {
      await fn();
    } catch (err) {
      console.error('teardown failed:', err);
    }
  }
});

// ---------------------------------------------------------------------------
// Waiting

export class TimeoutError extends Error {}

/** Rejects with a TimeoutError naming `what` unless `promise` settles within `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Re-checks `cond` every `interval` ms until it returns a truthy value (which
 * is returned), failing after `timeout` ms with `what` and, if given, the
 * result of `describe()` to show the state that did not converge.
 */
export async function waitUntil(cond, { timeout = DEFAULT_TIMEOUT_MS, interval = 5, what = 'condition', describe } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await cond();
    if (value) return value;
    if (Date.now() >= deadline) {
      const detail = describe ? `; state: ${describe()}` : '';
      throw new TimeoutError(`timed out after ${timeout} ms waiting for ${what}${detail}`);
    }
    await delay(interval);
  }
}

export const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the arguments of the next `event` from `emitter`. */
export function nextEvent(emitter, event, timeout = DEFAULT_TIMEOUT_MS) {
  return withTimeout(new Promise((resolve) => emitter.once(event, (...args) => resolve(args))), timeout, `event '${event}'`);
}

/** Calls a node-style function and returns a promise with a deadline. */
export function cb(what, fn, timeout = DEFAULT_TIMEOUT_MS) {
  return withTimeout(
    new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value)))),
    timeout,
    what,
  );
}

// ---------------------------------------------------------------------------
// Randomness

// One seeded PRNG for all of js/: the OT fuzzer's (mulberry32).
export { Rng } from '../ot/gen.mjs';

/** The suite's seed: `SYNC_SEED` from the environment, or a fixed default. */
export const SEED = process.env.SYNC_SEED ? Number(process.env.SYNC_SEED) : 20240611;

// ---------------------------------------------------------------------------
// The server process

/**
 * Starts `tertulia serve` on a free loopback port and resolves once it prints
 * `listening on http://127.0.0.1:PORT`. `dataDir` defaults to a fresh temp
 * directory (removed when this process exits); pass the previous server's
 * `dataDir` to restart on the same data.
 */
export async function startServer({ args = [], dataDir, timeout = READY_TIMEOUT_MS } = {}) {
  if (!dataDir) {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tertulia-sync-'));
    tempDirs.add(dataDir);
  }
  const argv = ['serve', '--listen', '127.0.0.1:0', '--data', dataDir, ...args];
  const proc = spawn(TERTULIA_BIN, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { RUST_LOG: 'warn', ...process.env },
  });
  const { exited, tail } = watchProcess(proc, liveProcesses);

  let port;
  try {
    port = await withTimeout(
      new Promise((resolve, reject) => {
        proc.on('line', (line) => {
          const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
          if (m) resolve(Number(m[1]));
        });
        proc.once('error', (err) => reject(new Error(`cannot start ${TERTULIA_BIN}: ${err.message}`)));
        exited.then(({ code, signal }) =>
          reject(new Error(`server exited before listening (code ${code}, signal ${signal}):\n${tail()}`)),
        );
      }),
      timeout,
      `'listening on' from ${TERTULIA_BIN} ${argv.join(' ')}`,
    );
  } catch (err) {
    proc.kill('SIGKILL');
    await withTimeout(exited, STOP_TIMEOUT_MS, 'killed server to exit').catch(() => {});
    err.message += `\n${tail()}`;
    throw err;
  }

  const server = {
    port,
    proc,
    dataDir,
    args,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: (token) => `ws://127.0.0.1:${port}/ws${token == null ? '' : `?token=${encodeURIComponent(token)}`}`,
    exited,
    output: tail,
    get running() {
      return liveProcesses.has(proc);
    },
    /** SIGTERM and wait for the exit; resolves `{code, signal}`. SIGKILLs after 10 s. */
    async stop() {
      if (!liveProcesses.has(proc)) return exited;
      proc.kill('SIGTERM');
      try {
        return await withTimeout(exited, STOP_TIMEOUT_MS, 'graceful shutdown after SIGTERM');
      } catch (err) {
        proc.kill('SIGKILL');
        await exited;
        throw err;
      }
    },
    /** SIGKILL (kill -9) and wait for the exit. */
    async kill9() {
      if (liveProcesses.has(proc)) proc.kill('SIGKILL');
      return withTimeout(exited, STOP_TIMEOUT_MS, 'exit after SIGKILL');
    },
  };
  onTeardown(async () => {
    if (liveProcesses.has(proc)) {
      proc.kill('SIGKILL');
      await withTimeout(exited, STOP_TIMEOUT_MS, 'exit after SIGKILL').catch(() => {});
    }
  });
  return server;
}

// ---------------------------------------------------------------------------
// HTTP

/**
 * One HTTP request on its own connection (no keep-alive pool), so idle pooled
 * sockets never count against the server's per-IP limits nor hold up its
 * graceful shutdown. Resolves `{status, headers, body, json}`.
 */
export function httpRequest(server, method, urlPath, body, { headers = {}, timeout = DEFAULT_TIMEOUT_MS } = {}) {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return withTimeout(
    new Promise((resolve, reject) => {
      const req = http.request(
        `${server.httpUrl}${urlPath}`,
        {
          method,
          agent: false,
          headers: {
            ...(payload !== undefined ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => (text += chunk));
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
    `${method} ${urlPath}`,
  );
}

/** `POST /api/rooms/{room}/join`; resolves the whole 200 reply body. */
export async function joinRoom(server, room, name = 'tester') {
  const res = await httpRequest(server, 'POST', `/api/rooms/${encodeURIComponent(room)}/join`, { name });
  if (res.status !== 200 || !res.json || typeof res.json.token !== 'string') {
    throw new Error(`join ${room} as ${name}: HTTP ${res.status} ${res.body}`);
  }
  return res.json;
}

/** Joins `room` as `name` and resolves the token. */
export async function join(server, room, name = 'tester') {
  return (await joinRoom(server, room, name)).token;
}

// ---------------------------------------------------------------------------
// WebSockets

const liveSockets = new Set();

onTeardown(() => {
  for (const ws of liveSockets) ws.terminate();
});

function trackSocket(ws) {
  liveSockets.add(ws);
  ws.once('close', () => liveSockets.delete(ws));
}

/**
 * Opens a `ws` WebSocket. `ws` already has the browser-like surface the
 * sharedb client uses (readyState, send, close, and onopen/onmessage/onclose/
 * onerror with `event.data` a string for text frames), so it is passed as is.
 */
export function openSocket(url, options = {}) {
  const ws = new WebSocket(url, { maxPayload: 256 * 1024 * 1024, ...options });
  trackSocket(ws);
  // Errors are reported through 'close' / 'unexpected-response'; keep an
  // unhandled 'error' from crashing the test process.
  ws.on('error', () => {});
  return ws;
}

/** Resolves `{code, reason}` when `ws` closes. */
export function socketClosed(ws, timeout = DEFAULT_TIMEOUT_MS) {
  // `ws` keeps the code of an earlier close only in private fields.
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve({ code: ws._closeCode, reason: String(ws._closeMessage ?? '') });
  return withTimeout(
    new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
    timeout,
    'socket close',
  );
}

/**
 * Attempts a WebSocket upgrade that is expected to be refused. Resolves
 * `{status, body}` from the HTTP response, or `{status: 101}` if the upgrade
 * unexpectedly succeeded (the socket is then closed).
 */
export function attemptUpgrade(url, timeout = DEFAULT_TIMEOUT_MS) {
  return withTimeout(
    new Promise((resolve, reject) => {
      const ws = openSocket(url);
      ws.once('unexpected-response', (req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode, body });
        });
        res.on('error', () => resolve({ status: res.statusCode, body }));
      });
      ws.once('open', () => {
        ws.terminate();
        resolve({ status: 101 });
      });
      // Once 'unexpected-response' has resolved, a later error is moot.
      ws.once('error', reject);
    }),
    timeout,
    `upgrade of ${url}`,
  );
}

/**
 * A sharedb client connected over a real WebSocket. Resolves once the
 * connection is in the 'connected' state (init + hs round trip done).
 *
 * Returns `{connection, socket, received, errors, reconnect(), close()}`:
 * `received` holds every message the server sent (parsed), `errors` every
 * 'error' the connection emitted.
 */
export async function connect(server, token, { timeout = DEFAULT_TIMEOUT_MS } = {}) {
  const socket = openSocket(server.wsUrl(token));
  const connection = new ShareDB.Connection(socket);
  const client = {
    connection,
    socket,
    received: [],
    errors: [],
    server,
    token,
    /** Rebinds the connection to a fresh socket, as a reconnecting app would. */
    async reconnect({ wait = true } = {}) {
      const ws = openSocket(server.wsUrl(token));
      client.socket = ws;
      connection.bindToSocket(ws);
      if (wait) await waitConnected(connection, timeout);
      return ws;
    },
    close() {
      client.socket.close();
    },
  };
  connection.on('receive', (request) => client.received.push(request.data));
  connection.on('error', (err) => client.errors.push(err));
  await waitConnected(connection, timeout);
  return client;
}

function waitConnected(connection, timeout) {
  if (connection.state === 'connected') return Promise.resolve();
  return withTimeout(
    new Promise((resolve, reject) => {
      const onState = (state, reason) => {
        if (state === 'connected') {
          connection.off('state', onState);
          resolve();
        } else if (state === 'disconnected' || state === 'closed' || state === 'stopped') {
          connection.off('state', onState);
          const code = reason && reason.code !== undefined ? ` (close code ${reason.code})` : '';
          reject(new Error(`connection ${state} before connecting${code}`));
        }
      };
      connection.on('state', onState);
    }),
    timeout,
    'sharedb connection to reach state connected',
  );
}

/** Fails unless every message in `messages` is a ShareDB message (has a known `a`). */
export function assertShareDbOnly(messages, label = 'client') {
  const foreign = messages.filter((m) => !m || typeof m !== 'object' || Array.isArray(m) || !SHAREDB_ACTIONS.has(m.a));
  if (foreign.length) {
    throw new Error(`${label} received ${foreign.length} non-ShareDB message(s), e.g. ${JSON.stringify(foreign.slice(0, 3))}`);
  }
}

/**
 * A raw WebSocket speaking the ShareDB protocol by hand. By default performs
 * the handshake (waits for `init`, sends `hs`, waits for the `hs` reply).
 *
 * - `send(msg)`: an object is JSON-encoded, a string or Buffer sent as is.
 * - `take(pred?, timeout?)`: removes and returns the first received message
 *   (matching `pred`) not taken yet, waiting for it if needed.
 * - `request(msg, pred?)`: send, then take the first reply matching `pred`
 *   (default: the first message not taken yet).
 * - `all`: every message received, in order; unparseable text is `{raw}`.
 */
export async function rawConnect(server, token, { handshake = true, timeout = DEFAULT_TIMEOUT_MS } = {}) {
  const ws = openSocket(server.wsUrl(token));
  const all = [];
  const pending = [];
  let waiters = [];
  const closed = new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

  ws.on('message', (data, isBinary) => {
    let msg;
    const text = isBinary ? null : data.toString();
    try {
      msg = text === null ? { binary: data } : JSON.parse(text);
    } catch {
      msg = { raw: text };
    }
    all.push(msg);
    pending.push(msg);
    wakeAll();
  });
  ws.once('close', wakeAll);
  function wakeAll() {
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  }

  const raw = {
    ws,
    all,
    closed,
    isOpen: () => ws.readyState === WebSocket.OPEN,
    id: null,
    send(msg) {
      ws.send(typeof msg === 'string' || Buffer.isBuffer(msg) ? msg : JSON.stringify(msg));
    },
    async take(pred = () => true, t = timeout, what = 'a message') {
      const deadline = Date.now() + t;
      for (;;) {
        const i = pending.findIndex(pred);
        if (i >= 0) return pending.splice(i, 1)[0];
        if (ws.readyState === WebSocket.CLOSED) {
          const { code } = await closed;
          throw new Error(`socket closed (code ${code}) while waiting for ${what}; unmatched: ${JSON.stringify(pending).slice(0, 500)}`);
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          throw new TimeoutError(`timed out after ${t} ms waiting for ${what}; unmatched: ${JSON.stringify(pending).slice(0, 500)}`);
        }
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    /** Messages received and not taken yet. */
    pending: () => pending.slice(),
    async request(msg, pred, what) {
      raw.send(msg);
      return raw.take(pred, timeout, what || `reply to ${typeof msg === 'string' ? msg.slice(0, 80) : JSON.stringify(msg).slice(0, 200)}`);
    },
    async ping() {
      return raw.request({ a: 'pp' }, (m) => m.a === 'pp', 'pp reply');
    },
    close() {
      ws.close();
    },
  };

  await withTimeout(
    new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('unexpected-response', (req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
      ws.once('close', (code) => reject(new Error(`socket closed (code ${code}) before open`)));
    }),
    timeout,
    'raw socket open',
  );
  if (handshake) {
    const init = await raw.take((m) => m.a === 'init', timeout, 'init');
    raw.init = init;
    const hs = await raw.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 }, (m) => m.a === 'hs', 'hs reply');
    if (hs.error) throw new Error(`handshake failed: ${JSON.stringify(hs)}`);
    raw.hs = hs;
    raw.id = hs.id;
  }
  return raw;
}

// ---------------------------------------------------------------------------
// Documents

/** Promisified doc.fetch / subscribe / create / submitOp with deadlines. */
export const fetchDoc = (doc, t) => cb(`fetch ${doc.collection}/${doc.id}`, (done) => doc.fetch(done), t);
export const subscribeDoc = (doc, t) => cb(`subscribe ${doc.collection}/${doc.id}`, (done) => doc.subscribe(done), t);
export const createDoc = (doc, data, t) => cb(`create ${doc.collection}/${doc.id}`, (done) => doc.create(data, done), t);
export const submitOp = (doc, op, t) => cb(`ack of op ${JSON.stringify(op).slice(0, 100)}`, (done) => doc.submitOp(op, done), t);
export const whenNothingPending = (connection, t) =>
  cb('connection to have nothing pending', (done) => connection.whenNothingPending(() => done()), t);

/**
 * Reads the server's current snapshot of a document with a fresh client
 * (joined to `room`), so no local state can mask a server bug.
 */
export async function serverSnapshot(server, room, collection, id) {
  const token = await join(server, room, 'snapshot-reader');
  const client = await connect(server, token);
  try {
    const doc = client.connection.get(collection, id);
    await fetchDoc(doc);
    return { v: doc.version, data: doc.data, type: doc.type && doc.type.uri, exists: !!doc.type };
  } finally {
    client.close();
  }
}

export const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
export const deepEqual = isDeepStrictEqual;

/** A short JSON rendering for failure messages. */
export function show(v, max = 400) {
  const s = JSON.stringify(v);
  return s === undefined ? 'undefined' : s.length > max ? `${s.slice(0, max)}…(${s.length} chars)` : s;
}
