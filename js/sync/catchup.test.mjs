// Late joiners get the current snapshot; subscribing or fetching at an old
// version gets exactly the missing ops, in order, before the reply.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  assertShareDbOnly,
  cb,
  clone,
  connect,
  createDoc,
  fetchDoc,
  join,
  json0Type,
  rawConnect,
  show,
  startServer,
  submitOp,
  subscribeDoc,
  waitUntil,
  withTimeout,
} from './harness.mjs';

const ROOM = 'late';
const COLLECTION = 'scratch';
const DOC_ID = 'late:notes';
const N = 20;

describe('late joiners and catching up by version', { timeout: 90_000 }, () => {
  let server;
  let writer;
  let doc;
  /** history[v] is the document data at version v (history[1] right after create). */
  const history = [];

  before(async () => {
    server = await startServer();
    writer = await connect(server, await join(server, ROOM, 'writer'));
    doc = writer.connection.get(COLLECTION, DOC_ID);
    await createDoc(doc, { title: 'Notas', n: 0, lines: [], text: '' });
    await subscribeDoc(doc);
    history[doc.version] = clone(doc.data);
    for (let i = 0; i < N; i++) {
      await submitOp(doc, [{ p: ['n'], na: 1 }, { p: ['lines', i], li: `línea ${i} 🎉` }, { p: ['text', doc.data.text.length], si: `${i}😀` }]);
      history[doc.version] = clone(doc.data);
    }
  });
  after(() => server && server.stop());

  it('a late joiner gets the current snapshot and version', async () => {
    const late = await connect(server, await join(server, ROOM, 'late'));
    const lateDoc = late.connection.get(COLLECTION, DOC_ID);
    await subscribeDoc(lateDoc);
    assert.equal(lateDoc.version, N + 1);
    assert.deepEqual(lateDoc.data, doc.data);

    // And it then follows live edits.
    await submitOp(doc, [{ p: ['title', 0], si: '¡' }]);
    history[doc.version] = clone(doc.data);
    await waitUntil(() => lateDoc.version === doc.version, { what: 'late joiner to receive the live op' });
    assert.deepEqual(lateDoc.data, doc.data);
    assertShareDbOnly(late.received, 'late joiner');
  });

  for (const action of ['s', 'f']) {
    it(`'${action}' at an old version sends the missing ops in order, then the reply`, async () => {
      const current = doc.version;
      const old = 5;
      const raw = await rawConnect(server, await join(server, ROOM, `raw-${action}`));
      raw.send({ a: action, c: COLLECTION, d: DOC_ID, v: old });
      const reply = await raw.take((m) => m.a === action, 5000, `'${action}' reply`);
      assert.equal(reply.error, undefined, `no error: ${show(reply)}`);
      assert.equal(reply.c, COLLECTION);
      assert.equal(reply.d, DOC_ID);
      // Everything received before the reply.
      const before = raw.all.slice(raw.all.indexOf(raw.hs) + 1, raw.all.indexOf(reply));
      const ops = before.filter((m) => m.a === 'op');
      assert.equal(ops.length, before.length, `only ops precede the reply: ${show(before)}`);
      assert.deepEqual(
        ops.map((m) => m.v),
        Array.from({ length: current - old }, (_, i) => old + i),
        'ops v=OLD..current-1, each once, in order',
      );
      let data = clone(history[old]);
      for (const m of ops) {
        assert.equal(m.c, COLLECTION);
        assert.equal(m.d, DOC_ID);
        assert.ok(Array.isArray(m.op), `op message carries the op: ${show(m)}`);
        data = json0Type.apply(data, m.op);
        assert.deepEqual(data, history[m.v + 1], `applying op v=${m.v} gives the data at v=${m.v + 1}`);
      }
      assert.deepEqual(data, doc.data);

      if (action === 's') {
        // Subscribed: live ops follow.
        await submitOp(doc, [{ p: ['n'], na: 1 }]);
        history[doc.version] = clone(doc.data);
        const live = await raw.take((m) => m.a === 'op' && m.v >= current, 5000, 'live op after subscribing');
        assert.equal(live.v, current);
        assert.deepEqual(live.op, [{ p: ['n'], na: 1 }]);
      }
      assertShareDbOnly(raw.all, `raw ${action}`);
      raw.close();
    });
  }

  it("'f' at the current version sends no ops; 's' with no version sends the snapshot", async () => {
    const raw = await rawConnect(server, await join(server, ROOM, 'raw-now'));
    const current = doc.version;
    const f = await raw.request({ a: 'f', c: COLLECTION, d: DOC_ID, v: current }, (m) => m.a === 'f');
    assert.equal(f.error, undefined);
    assert.deepEqual(raw.all.filter((m) => m.a === 'op'), [], 'no ops when already current');
    const s = await raw.request({ a: 's', c: COLLECTION, d: DOC_ID }, (m) => m.a === 's');
    assert.equal(s.error, undefined);
    assert.equal(s.data.v, current, `snapshot version: ${show(s)}`);
    assert.deepEqual(s.data.data, doc.data);
    assert.ok(s.data.type === undefined || s.data.type === 'http://sharejs.org/types/JSONv0', 'default type omitted or json0');
    raw.close();
  });

  it('a client that missed ops while offline catches up by version on resubscribe', async () => {
    const reader = await connect(server, await join(server, ROOM, 'reader'));
    const readerDoc = reader.connection.get(COLLECTION, DOC_ID);
    await subscribeDoc(readerDoc);
    reader.socket.terminate();
    await waitUntil(() => reader.connection.state === 'disconnected');
    const from = readerDoc.version;
    for (let i = 0; i < 5; i++) {
      await submitOp(doc, [{ p: ['lines', 0], li: `offline ${i}` }]);
      history[doc.version] = clone(doc.data);
    }
    const sent = [];
    reader.connection.on('send', (m) => sent.push(m));
    await reader.reconnect();
    await waitUntil(() => readerDoc.version === doc.version, { what: 'reader to catch up' });
    assert.deepEqual(readerDoc.data, doc.data);
    const resub = sent.find((m) => m.a === 's' && m.d === DOC_ID);
    assert.ok(resub, 'the client resubscribed');
    assert.equal(resub.v, from, 'resubscribed at its known version');
    await fetchDoc(readerDoc);
    assertShareDbOnly(reader.received, 'reader');
  });
});

describe('bulk subscriptions, snapshots by version and deletion', { timeout: 90_000 }, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server && server.stop());

  it('bulk subscribe (bs) and the bulk resubscribe a reconnecting client sends catch up every document', async () => {
    const ids = ['bulk:a', 'bulk:b', 'bulk:c'];
    const writer = await connect(server, await join(server, 'bulk', 'writer'));
    const wdocs = ids.map((id) => writer.connection.get(COLLECTION, id));
    for (const d of wdocs) {
      await createDoc(d, { n: 0 });
      await subscribeDoc(d);
    }

    const reader = await connect(server, await join(server, 'bulk', 'reader'));
    const sent = [];
    reader.connection.on('send', (m) => sent.push(m));
    const rdocs = ids.map((id) => reader.connection.get(COLLECTION, id));
    // Subscriptions issued together go out as one 'bs' message.
    reader.connection.startBulk();
    const subscribed = Promise.all(rdocs.map((d) => subscribeDoc(d)));
    reader.connection.endBulk();
    await subscribed;
    assert.ok(sent.some((m) => m.a === 'bs' && Array.isArray(m.b)), `client sent bs: ${show(sent)}`);
    rdocs.forEach((d) => assert.deepEqual({ v: d.version, data: d.data }, { v: 1, data: { n: 0 } }));

    reader.socket.terminate();
    await waitUntil(() => reader.connection.state === 'disconnected');
    for (const [i, d] of wdocs.entries()) {
      for (let k = 0; k <= i; k++) await submitOp(d, [{ p: ['n'], na: 1 }]);
    }
    sent.length = 0;
    await reader.reconnect();
    await waitUntil(() => rdocs.every((d, i) => d.version === wdocs[i].version), {
      what: 'the reader to catch up on all three documents',
      describe: () => show(rdocs.map((d) => d.version)),
    });
    rdocs.forEach((d, i) => assert.deepEqual(d.data, { n: i + 1 }));
    const bs = sent.find((m) => m.a === 'bs');
    assert.ok(bs && !Array.isArray(bs.b), `the reconnect resubscribed with a version map: ${show(sent)}`);
    assert.deepEqual({ ...bs.b }, { 'bulk:a': 1, 'bulk:b': 1, 'bulk:c': 1 });

    // Bulk fetch and bulk unsubscribe answer too.
    const raw = await rawConnect(server, await join(server, 'bulk', 'raw'));
    const bf = await raw.request({ a: 'bf', c: COLLECTION, b: ids }, (m) => m.a === 'bf');
    assert.equal(bf.error, undefined, show(bf));
    assert.deepEqual(Object.keys(bf.data).sort(), ids);
    ids.forEach((id, i) => assert.deepEqual({ v: bf.data[id].v, data: bf.data[id].data }, { v: 2 + i, data: { n: i + 1 } }));
    const bu = await raw.request({ a: 'bu', c: COLLECTION, b: ids }, (m) => m.a === 'bu');
    assert.equal(bu.error, undefined, show(bu));
    assertShareDbOnly(reader.received, 'reader');
    raw.close();
  });

  it('fetchSnapshot (nf) returns the document at an old version', async () => {
    const client = await connect(server, await join(server, 'snap', 'writer'));
    const doc = client.connection.get(COLLECTION, 'snap:doc');
    await createDoc(doc, { log: [] });
    for (let i = 0; i < 6; i++) await submitOp(doc, [{ p: ['log', i], li: i }]);
    const at3 = await cb('fetchSnapshot v3', (done) => client.connection.fetchSnapshot(COLLECTION, 'snap:doc', 3, done));
    assert.deepEqual({ v: at3.v, data: at3.data }, { v: 3, data: { log: [0, 1] } });
    const latest = await cb('fetchSnapshot latest', (done) => client.connection.fetchSnapshot(COLLECTION, 'snap:doc', null, done));
    assert.deepEqual({ v: latest.v, data: latest.data }, { v: 7, data: { log: [0, 1, 2, 3, 4, 5] } });
    client.close();
  });

  it('a document can be deleted and created again; subscribers follow', async () => {
    const a = await connect(server, await join(server, 'life', 'a'));
    const b = await connect(server, await join(server, 'life', 'b'));
    const docA = a.connection.get(COLLECTION, 'life:doc');
    const docB = b.connection.get(COLLECTION, 'life:doc');
    await createDoc(docA, { n: 1 });
    await subscribeDoc(docA);
    await subscribeDoc(docB);
    const deleted = new Promise((resolve) => docB.once('del', resolve));
    await cb('delete', (done) => docA.del(done));
    await withTimeout(deleted, 5000, 'B to see the delete');
    assert.equal(docB.type, null);
    assert.equal(docB.version, 2);
    const created = new Promise((resolve) => docB.once('create', resolve));
    await createDoc(docA, { n: 2 });
    await withTimeout(created, 5000, 'B to see the re-create');
    assert.deepEqual({ v: docB.version, data: docB.data }, { v: 3, data: { n: 2 } });
    assert.deepEqual(a.errors.concat(b.errors), []);
  });
});

