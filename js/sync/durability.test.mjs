// Acknowledged ops survive kill -9 and a graceful SIGTERM shutdown.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  connect,
  createDoc,
  join,
  rawConnect,
  serverSnapshot,
  show,
  socketClosed,
  startServer,
  submitOp,
  subscribeDoc,
  waitUntil,
} from './harness.mjs';

const ROOM = 'durable';
const COLLECTION = 'scratch';
const N = 60;

describe('durability', { timeout: 90_000 }, () => {
  it(`${N} acknowledged ops survive kill -9 and a restart on the same data dir`, { timeout: 30_000 }, async () => {
    // A small snapshot interval, so recovery goes through snapshots plus op replay.
    const first = await startServer({ args: ['--snapshot-every', '7'] });
    const writerToken = await join(first, ROOM, 'writer');
    const doc = (await connect(first, writerToken)).connection.get(COLLECTION, `${ROOM}:doc`);
    await createDoc(doc, { n: 0, log: [], text: '' });
    for (let i = 0; i < N; i++) {
      await submitOp(doc, [{ p: ['n'], na: 1 }, { p: ['log', i], li: `op ${i} 🦀` }, { p: ['text', doc.data.text.length], si: 'é😀' }]);
    }
    assert.equal(doc.version, N + 1);
    const expected = structuredClone(doc.data);

    const killed = await first.kill9();
    assert.equal(killed.signal, 'SIGKILL');

    const second = await startServer({ dataDir: first.dataDir });
    assert.notEqual(second.port, undefined);
    const snap = await serverSnapshot(second, ROOM, COLLECTION, `${ROOM}:doc`);
    assert.equal(snap.v, N + 1, 'version after restart');
    assert.deepEqual(snap.data, expected, 'data after restart');

    // The op history survived too: a client can catch up from an old version.
    const raw = await rawConnect(second, await join(second, ROOM, 'raw'));
    const reply = await raw.request({ a: 'f', c: COLLECTION, d: `${ROOM}:doc`, v: 3 }, (m) => m.a === 'f');
    assert.equal(reply.error, undefined, show(reply));
    const ops = raw.all.filter((m) => m.a === 'op');
    assert.deepEqual(ops.map((m) => m.v), Array.from({ length: N + 1 - 3 }, (_, i) => 3 + i), 'ops from v=3 after restart');

    // And editing continues at the right version, with a token minted before
    // the crash (the signing secret lives in the data directory).
    const doc2 = (await connect(second, writerToken)).connection.get(COLLECTION, `${ROOM}:doc`);
    await subscribeDoc(doc2);
    await submitOp(doc2, [{ p: ['n'], na: 1 }]);
    assert.equal(doc2.version, N + 2);
    assert.equal(doc2.data.n, N + 1);
    raw.close();
    await second.stop();
  });

  it('kill -9 in the middle of concurrent editing loses no acknowledged op', { timeout: 30_000 }, async (t) => {
    const first = await startServer({ args: ['--snapshot-every', '5'] });
    const id = `${ROOM}:flood`;
    const clients = await Promise.all([0, 1, 2, 3].map(async (i) => connect(first, await join(first, ROOM, `w${i}`))));
    const docs = clients.map((c) => c.connection.get(COLLECTION, id));
    await createDoc(docs[0], { log: [] });
    await Promise.all(docs.map((d) => subscribeDoc(d)));
    const acked = new Set();
    const submitted = [];
    let stop = false;
    const writers = docs.map(async (doc, i) => {
      doc.preventCompose = true;
      for (let k = 0; !stop && k < 2000; k++) {
        const marker = `w${i}-${k}`;
        submitted.push(marker);
        doc.submitOp([{ p: ['log', 0], li: marker }], (err) => {
          if (!err) acked.add(marker);
        });
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    });
    await waitUntil(() => acked.size >= 150, { timeout: 15_000, what: '150 acknowledged ops before the kill' });
    await first.kill9();
    stop = true;
    await Promise.all(writers);
    const ackedAtKill = new Set(acked);
    t.diagnostic(`${ackedAtKill.size} ops acknowledged of ${submitted.length} submitted when the server was killed`);

    const second = await startServer({ dataDir: first.dataDir });
    const snap = await serverSnapshot(second, ROOM, COLLECTION, id);
    const log = snap.data.log;
    const missing = [...ackedAtKill].filter((m) => !log.includes(m));
    assert.deepEqual(missing, [], 'every acknowledged op survived');
    assert.equal(new Set(log).size, log.length, 'no op applied twice');
    assert.ok(log.every((m) => submitted.includes(m)), 'nothing unexpected');
    assert.equal(snap.v, log.length + 1, 'version = create + one op per entry');
    await second.stop();
  });

  it('SIGTERM shuts down gracefully: exit code 0, clients are closed, data kept', { timeout: 30_000 }, async () => {
    const first = await startServer();
    const client = await connect(first, await join(first, ROOM, 'writer'));
    const doc = client.connection.get(COLLECTION, `${ROOM}:term`);
    await createDoc(doc, { n: 0 });
    await subscribeDoc(doc);
    for (let i = 0; i < 10; i++) await submitOp(doc, [{ p: ['n'], na: 2 }]);
    const closed = socketClosed(client.socket, 10_000);
    const started = Date.now();
    const exit = await first.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, `exit status after SIGTERM (output:\n${first.output()})`);
    const { code } = await closed;
    assert.ok(code !== undefined, 'client socket closed');
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 10_000, `shutdown took ${elapsed} ms`);

    const second = await startServer({ dataDir: first.dataDir });
    const snap = await serverSnapshot(second, ROOM, COLLECTION, `${ROOM}:term`);
    assert.deepEqual({ v: snap.v, data: snap.data }, { v: 11, data: { n: 20 } });
    await second.stop();
  });
});
