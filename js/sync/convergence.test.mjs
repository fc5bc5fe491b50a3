// Ten sharedb clients edit one document concurrently with random json0 ops;
// afterwards every client and the server hold the same data at the same
// version.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  Rng,
  SEED,
  assertShareDbOnly,
  clone,
  connect,
  createDoc,
  delay,
  join,
  json0Type,
  rawConnect,
  serverSnapshot,
  show,
  startServer,
  subscribeDoc,
  waitUntil,
  whenNothingPending,
} from './harness.mjs';
import { initialDoc, randomOp } from './ops.mjs';

const CLIENTS = 10;
const OPS_PER_CLIENT = 200;
const ROOM = 'conv';
const COLLECTION = 'scratch';
const DOC_ID = 'conv:board';

describe('convergence', { timeout: 90_000 }, () => {
  it(`${CLIENTS} clients x ${OPS_PER_CLIENT} random json0 ops converge (seed ${SEED})`, { timeout: 60_000 }, async (t) => {
    const server = await startServer();
    const rng = new Rng(SEED);

    const clients = [];
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(await connect(server, await join(server, ROOM, `client-${i}`)));
    }
    const docs = clients.map((c) => c.connection.get(COLLECTION, DOC_ID));
    // Half the clients send every op on its own (no client-side compose), so
    // the server transforms many more concurrent ops.
    docs.forEach((doc, i) => (doc.preventCompose = i % 2 === 1));
    await createDoc(docs[0], initialDoc());
    await Promise.all(docs.map((doc) => subscribeDoc(doc)));

    const errors = [];
    let acked = 0;
    const run = async (i) => {
      const r = rng.fork();
      const doc = docs[i];
      for (let k = 0; k < OPS_PER_CLIENT; k++) {
        // Generated against what this client sees right now, so it is valid locally.
        const op = randomOp(r, doc.data);
        doc.submitOp(op, (err) => {
          if (err) errors.push({ client: i, op, code: err.code, message: err.message });
          else acked++;
        });
        const wait = r.int(6);
        if (wait > 0) await delay(wait);
        else await new Promise(setImmediate);
      }
    };
    await Promise.all(clients.map((_, i) => run(i)));
    await Promise.all(clients.map((c) => whenNothingPending(c.connection, 30_000)));
    assert.deepEqual(errors, [], 'every op is acknowledged without error');
    assert.equal(acked, CLIENTS * OPS_PER_CLIENT);

    const snap = await serverSnapshot(server, ROOM, COLLECTION, DOC_ID);
    await waitUntil(() => docs.every((d) => d.version === snap.v), {
      timeout: 10_000,
      what: `every client to reach server version ${snap.v}`,
      describe: () => show(docs.map((d) => d.version)),
    });
    t.diagnostic(`server version ${snap.v} after ${CLIENTS * OPS_PER_CLIENT} ops (ops composed by the client count once)`);
    docs.forEach((doc, i) => {
      assert.deepEqual(doc.data, snap.data, `client ${i} data equals the server snapshot (seed ${SEED})`);
    });
    for (const [i, c] of clients.entries()) {
      assert.deepEqual(c.errors, [], `client ${i} connection emitted no errors`);
      assertShareDbOnly(c.received, `client ${i}`);
    }

    // The server's op log replays to its snapshot: fetch every op from v0 and
    // apply them with the JS reference.
    const raw = await rawConnect(server, await join(server, ROOM, 'auditor'));
    const reply = await raw.request({ a: 'f', c: COLLECTION, d: DOC_ID, v: 0 }, (m) => m.a === 'f', 'f from v0');
    assert.equal(reply.error, undefined, show(reply));
    const ops = raw.all.filter((m) => m.a === 'op');
    assert.deepEqual(ops.map((m) => m.v), Array.from({ length: snap.v }, (_, v) => v), 'one op per version, in order');
    assert.ok(ops[0].create, `v0 is the create: ${show(ops[0])}`);
    let data = json0Type.create(clone(ops[0].create.data));
    for (const m of ops.slice(1)) data = json0Type.apply(data, m.op);
    assert.deepEqual(data, snap.data, 'replaying the op log gives the snapshot');
    raw.close();
    await server.stop();
  });
});
