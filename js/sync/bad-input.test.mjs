// Hostile or broken input over a raw WebSocket gets an error reply with the
// right code; the socket keeps working and other clients are unaffected.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  assertShareDbOnly,
  connect,
  createDoc,
  delay,
  join,
  rawConnect,
  serverSnapshot,
  show,
  socketClosed,
  startServer,
  submitOp,
  subscribeDoc,
  waitUntil,
  whenNothingPending,
} from './harness.mjs';

const ROOM = 'bad';
const COLLECTION = 'scratch';
const DOC_ID = 'bad:doc';
const LIMIT = 4096;

const BADLY_FORMED = 'ERR_MESSAGE_BADLY_FORMED';

describe('bad input', { timeout: 90_000 }, () => {
  let server;
  let token;
  let bystander;
  let bystanderDoc;
  let editing;
  let stopEditing = false;
  let bystanderOps = 0;

  before(async () => {
    server = await startServer({ args: ['--max-message-bytes', String(LIMIT)] });
    token = await join(server, ROOM, 'mallory');
    bystander = await connect(server, await join(server, ROOM, 'bystander'));
    bystanderDoc = bystander.connection.get(COLLECTION, DOC_ID);
    await createDoc(bystanderDoc, { n: 0, list: [], text: 'abc' });
    await subscribeDoc(bystanderDoc);
    // Another client keeps editing the same document the whole time.
    editing = (async () => {
      while (!stopEditing) {
        await submitOp(bystanderDoc, [{ p: ['n'], na: 1 }, { p: ['list', 0], li: bystanderOps }]);
        bystanderOps++;
        // About 50 ops/s: well under the default rate limit.
        await delay(20);
      }
    })();
  });
  after(async () => {
    stopEditing = true;
    await editing?.catch(() => {});
    await server?.stop();
  });

  /** Sends `payload` and returns the first error reply, checking its code and that the socket still works. */
  async function expectError(raw, payload, code, label) {
    raw.send(payload);
    const reply = await raw.take((m) => m.error !== undefined, 5000, `error reply to ${label}`);
    assert.equal(reply.error.code, code, `${label}: ${show(reply)}`);
    assert.equal(typeof reply.error.message, 'string', `${label}: error has a message`);
    if (payload && typeof payload === 'object' && !Buffer.isBuffer(payload) && !Array.isArray(payload)) {
      assert.equal(reply.a, payload.a, `${label}: the error reply echoes the action: ${show(reply)}`);
    }
    const pong = await raw.ping();
    assert.deepEqual(pong, { a: 'pp' }, `${label}: the socket still answers pp`);
    return reply;
  }

  const cases = [
    ['malformed JSON', '{"a":"f",', BADLY_FORMED],
    ['a JSON array', '[1,2,3]', BADLY_FORMED],
    ['a number', '42', BADLY_FORMED],
    ['a string', '"hs"', BADLY_FORMED],
    ['null', 'null', BADLY_FORMED],
    ['an empty object', {}, BADLY_FORMED],
    ['an unknown action', { a: 'zz', c: COLLECTION, d: DOC_ID }, BADLY_FORMED],
    ['a non-string action', { a: 5 }, BADLY_FORMED],
    ['a string version', { a: 'f', c: COLLECTION, d: DOC_ID, v: 'x' }, BADLY_FORMED],
    ['a negative version', { a: 's', c: COLLECTION, d: DOC_ID, v: -1 }, BADLY_FORMED],
    ['a numeric collection', { a: 'f', c: 5, d: DOC_ID }, BADLY_FORMED],
    ['a non-string doc id', { a: 's', c: COLLECTION, d: ['bad:doc'] }, BADLY_FORMED],
    ['a string seq', { a: 'op', c: COLLECTION, d: DOC_ID, v: 1, seq: 'x', op: [{ p: ['n'], na: 1 }] }, BADLY_FORMED],
    ['a bulk fetch with a non-list body', { a: 'bf', c: COLLECTION, b: 7 }, BADLY_FORMED],
    ['a presence message without id', { a: 'p', ch: ROOM, p: {}, pv: 0 }, BADLY_FORMED],
    ['a query fetch', { a: 'qf', id: 1, c: COLLECTION, q: {} }, 'ERR_QUERIES_NOT_SUPPORTED'],
    ['a query subscribe', { a: 'qs', id: 2, c: COLLECTION, q: { $sort: { n: 1 } } }, 'ERR_QUERIES_NOT_SUPPORTED'],
    ['an op on a missing doc', { a: 'op', c: COLLECTION, d: 'bad:missing', v: 0, seq: 100, op: [{ p: ['x'], oi: 1 }] }, 'ERR_DOC_DOES_NOT_EXIST'],
    ['an op component with a non-array path', { a: 'op', c: COLLECTION, d: DOC_ID, v: 1, seq: 101, op: [{ p: 'n', na: 1 }] }, 'ERR_OT_OP_BADLY_FORMED'],
    ['an op component without instruction', { a: 'op', c: COLLECTION, d: DOC_ID, v: 1, seq: 102, op: [{ p: ['n'] }] }, 'ERR_OT_OP_BADLY_FORMED'],
    ['na with a string', { a: 'op', c: COLLECTION, d: DOC_ID, v: 1, seq: 103, op: [{ p: ['n'], na: 'x' }] }, 'ERR_OT_OP_BADLY_FORMED'],
    ['na on a string', { a: 'op', c: COLLECTION, d: DOC_ID, v: 1, seq: 104, op: [{ p: ['text'], na: 1 }] }, 'ERR_OT_OP_NOT_APPLIED'],
    ['a path through a missing key', { a: 'op', c: COLLECTION, d: DOC_ID, v: 1, seq: 105, op: [{ p: ['nope', 'x'], oi: 1 }] }, 'ERR_OT_OP_NOT_APPLIED'],
    ['sd that does not match', { a: 'op', c: COLLECTION, d: DOC_ID, v: 1, seq: 106, op: [{ p: ['text', 0], sd: 'zzz' }] }, 'ERR_OT_OP_NOT_APPLIED'],
    ['a message over --max-message-bytes', JSON.stringify({ a: 'op', c: COLLECTION, d: DOC_ID, v: 1, seq: 107, op: [{ p: ['text', 0], si: 'x'.repeat(LIMIT) }] }), 'ERR_MESSAGE_TOO_LARGE'],
  ];

  it('each bad message gets its error code on the same socket, which keeps working', { timeout: 30_000 }, async () => {
    const raw = await rawConnect(server, token);
    const versionBefore = (await serverSnapshot(server, ROOM, COLLECTION, DOC_ID)).v;
    assert.ok(versionBefore >= 1);
    for (const [label, payload, code] of cases) {
      await expectError(raw, payload, code, label);
    }
    // None of the refused ops was applied: only the bystander's edits are there.
    const snap = await serverSnapshot(server, ROOM, COLLECTION, DOC_ID);
    assert.equal(snap.data.text, 'abc', `text untouched: ${show(snap.data)}`);
    assert.deepEqual(Object.keys(snap.data).sort(), ['list', 'n', 'text']);
    assert.equal((await serverSnapshot(server, ROOM, COLLECTION, 'bad:missing')).exists, false);

    // The socket can still do real work.
    const f = await raw.request({ a: 'f', c: COLLECTION, d: DOC_ID }, (m) => m.a === 'f');
    assert.equal(f.error, undefined, show(f));
    assert.equal(f.data.data.text, 'abc');
    assertShareDbOnly(raw.all.filter((m) => m.error === undefined), 'raw (non-error messages)');
    raw.close();
  });

  it('a binary frame does not break the socket', async () => {
    const raw = await rawConnect(server, token);
    raw.send(Buffer.from([0x7b, 0x00, 0xff, 0xfe]));
    const pong = await raw.ping();
    assert.deepEqual(pong, { a: 'pp' });
    for (const m of raw.all.filter((m) => m.error)) assert.equal(m.error.code, BADLY_FORMED, `reply to a binary frame: ${show(m)}`);
    raw.close();
  });

  it('a message over 4x --max-message-bytes closes the socket with 1009', async () => {
    const raw = await rawConnect(server, token);
    const closed = socketClosed(raw.ws, 5000);
    raw.send(JSON.stringify({ a: 'f', c: COLLECTION, d: DOC_ID, pad: 'x'.repeat(4 * LIMIT + 100) }));
    const { code } = await closed;
    assert.equal(code, 1009, 'close code');
    // The server is fine: a new socket works.
    const again = await rawConnect(server, token);
    assert.deepEqual(await again.ping(), { a: 'pp' });
    again.close();
  });

  it("the bystander's editing was unaffected", async () => {
    const before = bystanderOps;
    await waitUntil(() => bystanderOps >= before + 5, { what: 'the bystander to keep editing' });
    stopEditing = true;
    await editing;
    await whenNothingPending(bystander.connection);
    const snap = await serverSnapshot(server, ROOM, COLLECTION, DOC_ID);
    assert.equal(snap.data.n, bystanderOps, 'every bystander op applied once');
    assert.equal(snap.data.list.length, bystanderOps);
    assert.equal(snap.v, bystanderOps + 1);
    assert.deepEqual(bystanderDoc.data, snap.data);
    assert.deepEqual(bystander.errors, []);
    assertShareDbOnly(bystander.received, 'bystander');
  });
});
