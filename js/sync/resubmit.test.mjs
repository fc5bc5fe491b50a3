// Offline resubmission: a client whose socket dies with one op in flight and
// more pending resubmits them after reconnecting, and each applies exactly
// once (deduplicated by src + seq), while other clients keep editing.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  assertShareDbOnly,
  connect,
  createDoc,
  delay,
  fetchDoc,
  join,
  rawConnect,
  serverSnapshot,
  show,
  startServer,
  submitOp,
  subscribeDoc,
  waitUntil,
  whenNothingPending,
} from './harness.mjs';

const ROOM = 'resub';
const COLLECTION = 'scratch';

/** Appends `marker` at the end of `doc.data.log` (valid on the client's current data). */
function append(doc, marker, callback) {
  doc.submitOp([{ p: ['log', doc.data.log.length], li: marker }], callback);
}

function countMarkers(log) {
  const counts = new Map();
  for (const m of log) counts.set(m, (counts.get(m) || 0) + 1);
  return counts;
}

describe('offline resubmission', { timeout: 90_000 }, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server && server.stop());

  it('ops in flight and pending when the socket dies apply exactly once after reconnect', { timeout: 30_000 }, async (t) => {
    const docId = `${ROOM}:log`;
    const [a, b, c] = await Promise.all(['A', 'B', 'C'].map(async (name) => connect(server, await join(server, ROOM, name))));
    const [docA, docB, docC] = [a, b, c].map((cl) => cl.connection.get(COLLECTION, docId));
    await createDoc(docA, { log: [] });
    await Promise.all([docA, docB, docC].map((d) => subscribeDoc(d)));

    const expected = [];
    const ackErrors = [];
    const acked = new Set();
    const submit = (doc, marker) => {
      expected.push(marker);
      append(doc, marker, (err) => {
        if (err) ackErrors.push({ marker, code: err.code, message: err.message });
        else acked.add(marker);
      });
    };

    // Each round cuts A's socket in a different way:
    // - 'terminate-after-send': the first op has been written to the socket
    //   (so the server usually commits it) but its ack can never arrive;
    // - 'terminate-before-send': nothing was sent yet, all ops are pending;
    // - 'close-after-send': a clean close handshake right after sending.
    const modes = ['terminate-after-send', 'terminate-before-send', 'close-after-send', 'terminate-after-send', 'terminate-after-send'];
    let committedBeforeCut = 0;
    for (const [round, mode] of modes.entries()) {
      const first = `A${round}-inflight`;
      submit(docA, first);
      if (mode !== 'terminate-before-send') {
        // The client flushes on the next tick: afterwards the op is in flight.
        await new Promise(setImmediate);
        assert.ok(docA.inflightOp, 'first op is in flight');
      }
      submit(docA, `A${round}-pending-1`);
      submit(docA, `A${round}-pending-2`);
      if (mode.startsWith('terminate')) a.socket.terminate();
      else a.socket.close();
      await waitUntil(() => a.connection.state === 'disconnected', { what: 'A to notice the disconnect' });
      assert.ok(docA.hasWritePending(), 'A still has its ops after the disconnect');

      // The others keep editing while A is offline, and A queues more.
      for (let i = 0; i < 3; i++) {
        submit(docB, `B${round}-${i}`);
        submit(docC, `C${round}-${i}`);
        submit(docA, `A${round}-offline-${i}`);
        await delay(1);
      }
      await Promise.all([whenNothingPending(b.connection), whenNothingPending(c.connection)]);
      // B is subscribed: if A's in-flight op reached the server before the
      // cut, B has it now although A never got the ack.
      await delay(20);
      if (docB.data.log.includes(first)) committedBeforeCut++;

      await a.reconnect();
      await whenNothingPending(a.connection, 10_000);
    }
    t.diagnostic(`${committedBeforeCut} of ${modes.length} in-flight ops were committed before the cut (resubmitted with their src/seq)`);

    assert.deepEqual(ackErrors, [], 'every op is eventually acknowledged without error');
    assert.equal(acked.size, expected.length, 'every op is acknowledged');

    const snap = await serverSnapshot(server, ROOM, COLLECTION, docId);
    const counts = countMarkers(snap.data.log);
    const wrong = expected.filter((m) => counts.get(m) !== 1).map((m) => `${m}: ${counts.get(m) || 0}`);
    assert.deepEqual(wrong, [], `every marker exactly once in the server snapshot; log=${show(snap.data.log, 2000)}`);
    assert.equal(snap.data.log.length, expected.length, 'no extra entries');

    await waitUntil(() => [docA, docB, docC].every((d) => d.version === snap.v), {
      what: `clients to reach version ${snap.v}`,
      describe: () => show([docA, docB, docC].map((d) => d.version)),
    });
    for (const [name, doc] of [['A', docA], ['B', docB], ['C', docC]]) {
      assert.deepEqual(doc.data, snap.data, `${name} converged with the server`);
    }
    for (const [name, cl] of [['A', a], ['B', b], ['C', c]]) {
      assert.deepEqual(cl.errors, [], `${name} connection emitted no errors`);
      assertShareDbOnly(cl.received, name);
    }
  });

  it('a resent op (same src, seq, v) on a new connection is acked, not applied twice', async () => {
    const docId = `${ROOM}:dedup`;
    const token = await join(server, ROOM, 'raw');
    const first = await rawConnect(server, token);
    const src = first.id;
    const create = await first.request(
      { a: 'op', c: COLLECTION, d: docId, v: null, seq: 1, create: { type: 'http://sharejs.org/types/JSONv0', data: { log: [] } }, x: {} },
      (m) => m.a === 'op' && m.seq === 1,
    );
    assert.equal(create.error, undefined, `create acked: ${show(create)}`);
    const op = { a: 'op', c: COLLECTION, d: docId, v: 1, seq: 2, op: [{ p: ['log', 0], li: 'once' }], x: {} };
    const ack = await first.request(op, (m) => m.a === 'op' && m.seq === 2);
    assert.equal(ack.error, undefined, `op acked: ${show(ack)}`);
    assert.equal(ack.v, 1, 'ack carries the version the op was applied at');
    first.ws.terminate();

    // Someone else edits in between, so the resent op is at an old version.
    const other = await rawConnect(server, token);
    const otherAck = await other.request(
      { a: 'op', c: COLLECTION, d: docId, v: 2, seq: 1, op: [{ p: ['log', 1], li: 'other' }], x: {} },
      (m) => m.a === 'op' && m.seq === 1,
    );
    assert.equal(otherAck.error, undefined, `other op acked: ${show(otherAck)}`);

    // Reconnect as the same client: hs with the old id, then resend the op
    // with its original src and seq, as the sharedb client does.
    const again = await rawConnect(server, token, { handshake: false });
    await again.take((m) => m.a === 'init');
    const hs = await again.request({ a: 'hs', id: src, protocol: 1, protocolMinor: 2 }, (m) => m.a === 'hs');
    assert.equal(hs.error, undefined);
    const reAck = await again.request({ ...op, src }, (m) => m.a === 'op' && m.seq === 2 && (m.src === src || m.error));
    assert.equal(reAck.error, undefined, `resent op is acknowledged, not refused: ${show(reAck)}`);

    const snap = await serverSnapshot(server, ROOM, COLLECTION, docId);
    assert.deepEqual(snap.data.log, ['once', 'other'], 'the resent op was not applied a second time');
    assert.equal(snap.v, 3, 'create + 2 ops');
    for (const r of [first, other, again]) assertShareDbOnly(r.all.filter((m) => !m.error), 'raw');
  });

  it('a client that reconnects after others edited catches up and keeps its pending edits', async () => {
    const docId = `${ROOM}:catchup`;
    const [a, b] = await Promise.all(['A', 'B'].map(async (n) => connect(server, await join(server, ROOM, n))));
    const docA = a.connection.get(COLLECTION, docId);
    const docB = b.connection.get(COLLECTION, docId);
    await createDoc(docA, { log: [], n: 0 });
    await subscribeDoc(docA);
    await subscribeDoc(docB);
    a.socket.terminate();
    await waitUntil(() => a.connection.state === 'disconnected');
    for (let i = 0; i < 20; i++) await submitOp(docB, [{ p: ['n'], na: 1 }, { p: ['log', 0], li: `b${i}` }]);
    docA.submitOp([{ p: ['n'], na: 100 }]);
    await a.reconnect();
    await whenNothingPending(a.connection);
    const snap = await serverSnapshot(server, ROOM, COLLECTION, docId);
    assert.equal(snap.data.n, 120);
    await waitUntil(() => docA.version === snap.v && docB.version === snap.v, { what: 'both clients at the server version' });
    assert.deepEqual(docA.data, snap.data);
    assert.deepEqual(docB.data, snap.data);
    await fetchDoc(docA);
    assert.equal(docA.version, snap.v);
  });
});
