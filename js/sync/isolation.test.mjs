// A token for room A reaches only documents `A` and `A:…` (any collection)
// and presence channels `A`, `A:…`, `<collection>.A…`; everything else is
// refused with ERR_FORBIDDEN and nothing is read or written.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  cb,
  connect,
  createDoc,
  fetchDoc,
  join,
  rawConnect,
  serverSnapshot,
  show,
  startServer,
  submitOp,
  subscribeDoc,
} from './harness.mjs';

const JSON0 = 'http://sharejs.org/types/JSONv0';
const COLLECTION = 'scratch';

describe('room isolation', { timeout: 90_000 }, () => {
  let server;
  let tokenA;
  let tokenB;
  /** Room B's documents as created by B, to check they never change. */
  const bDocs = {};

  before(async () => {
    server = await startServer();
    tokenA = await join(server, 'alpha', 'ana');
    tokenB = await join(server, 'beta', 'bea');
    const b = await connect(server, tokenB);
    for (const [c, d] of [[COLLECTION, 'beta'], [COLLECTION, 'beta:x'], ['notes', 'beta']]) {
      const doc = b.connection.get(c, d);
      await createDoc(doc, { secret: `${c}/${d}`, n: 1 });
      await submitOp(doc, [{ p: ['n'], na: 1 }]);
      bDocs[`${c}/${d}`] = { v: doc.version, data: structuredClone(doc.data) };
    }
    b.close();
  });
  after(() => server && server.stop());

  async function assertBUnchanged() {
    for (const [key, want] of Object.entries(bDocs)) {
      const [c, d] = key.split('/');
      const snap = await serverSnapshot(server, 'beta', c, d);
      assert.deepEqual({ v: snap.v, data: snap.data }, want, `${key} unchanged (read with a beta token)`);
    }
    const fresh = await serverSnapshot(server, 'beta', COLLECTION, 'beta:new');
    assert.equal(fresh.exists, false, `beta:new was not created: ${show(fresh)}`);
  }

  function assertForbidden(reply, request) {
    assert.ok(reply.error, `expected an error reply to ${show(request)}, got ${show(reply)}`);
    assert.equal(reply.error.code, 'ERR_FORBIDDEN', `error code for ${show(request)}: ${show(reply)}`);
    assert.equal(typeof reply.error.message, 'string');
    assert.equal(reply.a, request.a, 'the error reply echoes the action');
    assert.equal(reply.data, undefined, `no data leaked: ${show(reply)}`);
  }

  it('the sharedb client with an alpha token cannot fetch or subscribe beta documents', async () => {
    const a = await connect(server, tokenA);
    for (const [c, d] of [[COLLECTION, 'beta'], [COLLECTION, 'beta:x'], ['notes', 'beta'], [COLLECTION, 'alpha2'], [COLLECTION, 'alph']]) {
      const doc = a.connection.get(c, d);
      await assert.rejects(fetchDoc(doc), (err) => err.code === 'ERR_FORBIDDEN', `fetch ${c}/${d}`);
      assert.equal(doc.data, undefined, 'nothing was read');
      const doc2 = a.connection.get(c, `${d}`);
      await assert.rejects(subscribeDoc(doc2), (err) => err.code === 'ERR_FORBIDDEN', `subscribe ${c}/${d}`);
      assert.equal(doc2.data, undefined);
    }
    // The room's own documents are fine, in any collection.
    for (const [c, d] of [[COLLECTION, 'alpha'], [COLLECTION, 'alpha:notes'], ['notes', 'alpha'], ['other', 'alpha:x:y']]) {
      const doc = a.connection.get(c, d);
      await createDoc(doc, { ok: true });
      await fetchDoc(doc);
      assert.deepEqual(doc.data, { ok: true }, `${c}/${d} is reachable with an alpha token`);
    }
    assert.deepEqual(a.errors, []);
    a.close();
  });

  it('raw requests on beta documents with an alpha token get ERR_FORBIDDEN and change nothing', async () => {
    const raw = await rawConnect(server, tokenA);
    const requests = [];
    for (const [c, d] of [[COLLECTION, 'beta'], [COLLECTION, 'beta:x'], ['notes', 'beta'], [COLLECTION, 'alpha2'], [COLLECTION, 'alphabeta:x'], [COLLECTION, 'beta:new']]) {
      requests.push(
        { a: 'f', c, d },
        { a: 'f', c, d, v: 0 },
        { a: 's', c, d },
        { a: 's', c, d, v: 1 },
        { a: 'op', c, d, v: null, seq: requests.length + 1, create: { type: JSON0, data: { pwned: true } }, x: {} },
        { a: 'op', c, d, v: 2, seq: requests.length + 2, op: [{ p: ['n'], na: 100 }], x: {} },
        { a: 'op', c, d, v: 2, seq: requests.length + 3, del: true, x: {} },
        { a: 'nf', id: requests.length + 1, c, d, v: null },
        { a: 'nf', id: requests.length + 2, c, d, v: 1 },
        { a: 'nt', id: requests.length + 3, c, d, ts: Date.now() },
      );
    }
    for (const req of requests) {
      const reply = await raw.request(req, (m) => m.a === req.a, `reply to ${show(req)}`);
      if (req.a === 'nt') {
        // Snapshots by timestamp are not part of the contract; whatever the
        // refusal, it must not read anything.
        assert.ok(reply.error, `nt refused: ${show(reply)}`);
        assert.equal(reply.data, undefined, show(reply));
        continue;
      }
      assertForbidden(reply, req);
      assert.equal(reply.c, req.c);
      assert.equal(reply.d, req.d);
    }
    // No op was ever pushed to this socket.
    assert.deepEqual(raw.all.filter((m) => m.a === 'op' && !m.error), []);
    assert.deepEqual((await raw.ping()).a, 'pp', 'the socket still works');
    await assertBUnchanged();
    raw.close();
  });

  it('bulk requests mixing rooms leak nothing from beta', async () => {
    const raw = await rawConnect(server, tokenA);
    for (const req of [
      { a: 'bf', c: COLLECTION, b: ['alpha:notes', 'beta:x'] },
      { a: 'bs', c: COLLECTION, b: ['alpha:notes', 'beta:x'] },
      { a: 'bs', c: COLLECTION, b: { 'alpha:notes': 0, 'beta:x': 0 } },
    ]) {
      const reply = await raw.request(req, (m) => m.a === req.a, `reply to ${show(req)}`);
      const text = JSON.stringify(reply);
      assert.ok(!text.includes('"secret"'), `no beta data in ${text}`);
      if (reply.error) {
        assert.equal(reply.error.code, 'ERR_FORBIDDEN', text);
      } else {
        const entry = reply.data && reply.data['beta:x'];
        assert.ok(entry && entry.error && entry.error.code === 'ERR_FORBIDDEN', `beta:x refused per document: ${text}`);
      }
    }
    // No beta op ever arrives, even if another client edits beta:x now.
    const b = await connect(server, tokenB);
    const doc = b.connection.get(COLLECTION, 'beta:x');
    await subscribeDoc(doc);
    await submitOp(doc, [{ p: ['n'], na: 1 }]);
    bDocs[`${COLLECTION}/beta:x`] = { v: doc.version, data: structuredClone(doc.data) };
    await raw.ping();
    assert.deepEqual(raw.all.filter((m) => m.d === 'beta:x' && m.a === 'op'), [], 'no beta ops pushed to alpha');
    b.close();
    raw.close();
  });

  it('presence channels outside the room are refused', async () => {
    const raw = await rawConnect(server, tokenA);
    for (const ch of ['beta', 'beta:cursor', `${COLLECTION}.beta`, `${COLLECTION}.beta:x`, 'alpha2', `${COLLECTION}.alpha2`, 'x.alpha.y']) {
      const ps = { a: 'ps', ch, seq: 1 };
      assertForbidden(await raw.request(ps, (m) => m.a === 'ps'), ps);
      const p = { a: 'p', ch, id: 'intruder', p: { x: 1 }, pv: 0 };
      assertForbidden(await raw.request(p, (m) => m.a === 'p'), p);
    }
    for (const ch of ['alpha', 'alpha:cursor', `${COLLECTION}.alpha`, `${COLLECTION}.alpha:notes`]) {
      const reply = await raw.request({ a: 'ps', ch, seq: 2 }, (m) => m.a === 'ps');
      assert.equal(reply.error, undefined, `channel ${ch} is allowed: ${show(reply)}`);
    }
    raw.close();
  });

  it('presence published with an alpha token never reaches a beta subscriber', async () => {
    const a = await connect(server, tokenA);
    const b = await connect(server, tokenB);
    const presB = b.connection.getPresence('beta');
    await cb('beta subscribe', (done) => presB.subscribe(done));
    const raw = await rawConnect(server, tokenA);
    const p = { a: 'p', ch: 'beta', id: 'intruder', p: { x: 1 }, pv: 0 };
    assertForbidden(await raw.request(p, (m) => m.a === 'p'), p);
    await cb('b ping', (done) => {
      b.connection.once('pong', () => done());
      b.connection.ping();
    });
    assert.deepEqual(Object.keys(presB.remotePresences), [], 'nothing reached beta');
    a.close();
    b.close();
    raw.close();
  });

  it("another participant cannot pre-empt a client's op by reusing its src and next seq", async () => {
    // Ops are deduplicated by src + seq, and every subscriber sees other
    // clients' src in broadcast ops. If the server accepted any src, a
    // participant could submit under a victim's src with the victim's next
    // seq, and the victim's real op would be acked as a duplicate and lost.
    const victim = await connect(server, tokenA);
    const doc = victim.connection.get(COLLECTION, 'alpha:victim');
    await createDoc(doc, { log: [] });
    await subscribeDoc(doc);
    const mallory = await rawConnect(server, await join(server, 'alpha', 'mallory'));
    const seq = victim.connection.seq;
    const spoof = { a: 'op', c: COLLECTION, d: 'alpha:victim', v: 1, src: victim.connection.id, seq, op: [{ p: ['log', 0], li: 'mallory' }], x: {} };
    const reply = await mallory.request(spoof, (m) => m.a === 'op' && m.seq === seq);
    if (reply.error) assert.equal(reply.error.code, 'ERR_FORBIDDEN', show(reply));
    await submitOp(doc, [{ p: ['log', 0], li: 'victim' }]);
    const snap = await serverSnapshot(server, 'alpha', COLLECTION, 'alpha:victim');
    assert.ok(snap.data.log.includes('victim'), `the victim's op was applied: ${show(snap)} (reply to the spoof: ${show(reply)})`);
    assert.equal(doc.version, snap.v);
    assert.deepEqual(doc.data, snap.data, 'the victim converged with the server');
    victim.close();
    mallory.close();
  });
});
