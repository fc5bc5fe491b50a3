// Every limit of `tertulia serve` refuses what exceeds it with the documented
// error and loses nothing that was acknowledged. Each limit gets its own
// server, started with a small value for that limit.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  assertShareDbOnly,
  attemptUpgrade,
  connect,
  createDoc,
  delay,
  httpRequest,
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

const JSON0 = 'http://sharejs.org/types/JSONv0';
const COLLECTION = 'scratch';
const ROOM = 'lim';

/** Creates `id` over a raw socket; resolves the ack. */
async function rawCreate(raw, id, data, seq = 1) {
  const ack = await raw.request(
    { a: 'op', c: COLLECTION, d: id, v: null, seq, create: { type: JSON0, data }, x: {} },
    (m) => m.a === 'op' && m.seq === seq && m.d === id,
  );
  assert.equal(ack.error, undefined, `create ${id}: ${show(ack)}`);
  return ack;
}

describe('limits', { timeout: 90_000 }, () => {
  it('--ops-per-second 5: a flood of 50 ops gets ERR_RATE_LIMITED, acked ops are all applied, refused ones never', { timeout: 30_000 }, async () => {
    const server = await startServer({ args: ['--ops-per-second', '5'] });
    try {
      const token = await join(server, ROOM, 'flooder');
      const raw = await rawConnect(server, token);
      const id = `${ROOM}:flood`;
      await rawCreate(raw, id, { log: [] });
      const FLOOD = 50;
      for (let i = 0; i < FLOOD; i++) {
        raw.send({ a: 'op', c: COLLECTION, d: id, v: 1, seq: 100 + i, op: [{ p: ['log', 0], li: `m${i}` }], x: {} });
      }
      const acked = [];
      const refused = [];
      for (let i = 0; i < FLOOD; i++) {
        const seq = 100 + i;
        const reply = await raw.take((m) => m.a === 'op' && m.seq === seq && (m.error || !Array.isArray(m.op)), 10_000, `reply to op seq ${seq}`);
        if (reply.error) {
          assert.equal(reply.error.code, 'ERR_RATE_LIMITED', `op seq ${seq}: ${show(reply)}`);
          refused.push(`m${i}`);
        } else {
          acked.push(`m${i}`);
        }
      }
      assert.ok(refused.length > 0, 'some ops were rate limited');
      assert.ok(acked.length > 0, 'some ops got through');
      assert.ok(acked.length <= 15, `at most about a burst (2 x 5) plus refill got through, got ${acked.length}`);

      // A second connection has its own bucket.
      const other = await rawConnect(server, await join(server, ROOM, 'other'));
      const otherAck = await other.request(
        { a: 'op', c: COLLECTION, d: id, v: 1, seq: 1, op: [{ p: ['log', 0], li: 'other' }], x: {} },
        (m) => m.a === 'op' && m.seq === 1 && (m.error || !Array.isArray(m.op)),
      );
      assert.equal(otherAck.error, undefined, `another connection is not limited: ${show(otherAck)}`);
      acked.push('other');

      // The bucket refills: after a short pause the flooder can edit again.
      await delay(450);
      const later = await raw.request(
        { a: 'op', c: COLLECTION, d: id, v: 1, seq: 1000, op: [{ p: ['log', 0], li: 'later' }], x: {} },
        (m) => m.a === 'op' && m.seq === 1000 && (m.error || !Array.isArray(m.op)),
      );
      assert.equal(later.error, undefined, `after a pause the connection can submit again: ${show(later)}`);
      acked.push('later');

      const snap = await serverSnapshot(server, ROOM, COLLECTION, id);
      assert.deepEqual([...snap.data.log].sort(), [...acked].sort(), 'exactly the acknowledged ops are applied, once each');
      assert.equal(snap.v, 1 + acked.length);
      raw.close();
      other.close();
    } finally {
      await server.stop();
    }
  });

  it('--max-subscriptions 3: the 4th subscription is refused', async () => {
    const server = await startServer({ args: ['--max-subscriptions', '3'] });
    try {
      const token = await join(server, ROOM, 'sub');
      const raw = await rawConnect(server, token);
      for (const i of [1, 2, 3]) {
        const r = await raw.request({ a: 's', c: COLLECTION, d: `${ROOM}:${i}` }, (m) => m.a === 's' && m.d === `${ROOM}:${i}`);
        assert.equal(r.error, undefined, `subscription ${i}: ${show(r)}`);
      }
      const fourth = await raw.request({ a: 's', c: COLLECTION, d: `${ROOM}:4` }, (m) => m.a === 's' && m.d === `${ROOM}:4`);
      assert.equal(fourth.error?.code, 'ERR_TOO_MANY_SUBSCRIPTIONS', show(fourth));
      assert.equal(fourth.data, undefined);
      assert.deepEqual(await raw.ping(), { a: 'pp' }, 'the socket stays open');

      // Subscribing again to a document already subscribed is not a new subscription.
      const again = await raw.request({ a: 's', c: COLLECTION, d: `${ROOM}:1` }, (m) => m.a === 's' && m.d === `${ROOM}:1`);
      assert.equal(again.error, undefined, `re-subscribing an already subscribed doc: ${show(again)}`);

      // Unsubscribing frees a slot.
      const u = await raw.request({ a: 'u', c: COLLECTION, d: `${ROOM}:1` }, (m) => m.a === 'u');
      assert.equal(u.error, undefined, show(u));
      const now = await raw.request({ a: 's', c: COLLECTION, d: `${ROOM}:4` }, (m) => m.a === 's' && m.d === `${ROOM}:4`);
      assert.equal(now.error, undefined, `after an unsubscribe there is room again: ${show(now)}`);

      // The sharedb client sees the refusal as a subscribe error.
      const client = await connect(server, token);
      const results = await Promise.allSettled([1, 2, 3, 4].map((i) => subscribeDoc(client.connection.get(COLLECTION, `${ROOM}:c${i}`))));
      const codes = results.map((r) => (r.status === 'rejected' ? r.reason.code : 'ok'));
      assert.deepEqual(codes, ['ok', 'ok', 'ok', 'ERR_TOO_MANY_SUBSCRIPTIONS']);
      raw.close();
      client.close();
    } finally {
      await server.stop();
    }
  });

  it('--max-op-components 5: a 6-component op is refused and changes nothing', async () => {
    const server = await startServer({ args: ['--max-op-components', '5'] });
    try {
      const raw = await rawConnect(server, await join(server, ROOM, 'ops'));
      const id = `${ROOM}:components`;
      await rawCreate(raw, id, { n: 0 });
      const six = Array.from({ length: 6 }, () => ({ p: ['n'], na: 1 }));
      const refused = await raw.request({ a: 'op', c: COLLECTION, d: id, v: 1, seq: 2, op: six, x: {} }, (m) => m.a === 'op' && m.seq === 2);
      assert.equal(refused.error?.code, 'ERR_OP_TOO_LARGE', show(refused));
      let snap = await serverSnapshot(server, ROOM, COLLECTION, id);
      assert.deepEqual({ v: snap.v, data: snap.data }, { v: 1, data: { n: 0 } }, 'unchanged');
      const five = six.slice(1);
      const ok = await raw.request({ a: 'op', c: COLLECTION, d: id, v: 1, seq: 3, op: five, x: {} }, (m) => m.a === 'op' && m.seq === 3);
      assert.equal(ok.error, undefined, `5 components are fine: ${show(ok)}`);
      snap = await serverSnapshot(server, ROOM, COLLECTION, id);
      assert.deepEqual({ v: snap.v, data: snap.data }, { v: 2, data: { n: 5 } });

      // The sharedb client rolls its local change back on the refusal.
      const client = await connect(server, await join(server, ROOM, 'client'));
      const doc = client.connection.get(COLLECTION, id);
      await subscribeDoc(doc);
      const big = Array.from({ length: 6 }, (_, i) => ({ p: [`k${i}`], oi: i }));
      await assert.rejects(submitOp(doc, big), (err) => err.code === 'ERR_OP_TOO_LARGE');
      assert.deepEqual(doc.data, { n: 5 }, 'client rolled back');
      raw.close();
      client.close();
    } finally {
      await server.stop();
    }
  });

  it('--max-connections-per-ip 3: the 4th upgrade gets HTTP 429; closing one makes room', async () => {
    const server = await startServer({ args: ['--max-connections-per-ip', '3'] });
    try {
      const token = await join(server, ROOM, 'conn');
      const open = [];
      for (let i = 0; i < 3; i++) open.push(await rawConnect(server, token));
      const refused = await attemptUpgrade(server.wsUrl(token));
      assert.equal(refused.status, 429, `4th upgrade: ${show(refused)}`);
      // The three open sockets still work.
      for (const raw of open) assert.deepEqual(await raw.ping(), { a: 'pp' });
      // HTTP itself is not refused.
      const health = await httpRequest(server, 'GET', '/healthz');
      assert.equal(health.status, 200);

      const closed = socketClosed(open[0].ws);
      open[0].close();
      await closed;
      await waitUntil(async () => (await attemptUpgrade(server.wsUrl(token))).status === 101, {
        timeout: 5000,
        interval: 50,
        what: 'a slot to free up after closing one socket',
      });
      for (const raw of open.slice(1)) raw.close();
    } finally {
      await server.stop();
    }
  });

  it('--max-document-bytes 2048: ops that would grow the document past the limit are refused', async () => {
    const server = await startServer({ args: ['--max-document-bytes', '2048'] });
    try {
      const raw = await rawConnect(server, await join(server, ROOM, 'big'));
      const id = `${ROOM}:size`;
      await rawCreate(raw, id, { text: '' });
      const huge = await raw.request(
        { a: 'op', c: COLLECTION, d: id, v: 1, seq: 2, op: [{ p: ['text', 0], si: 'x'.repeat(3000) }], x: {} },
        (m) => m.a === 'op' && m.seq === 2,
      );
      assert.equal(huge.error?.code, 'ERR_DOCUMENT_TOO_LARGE', show(huge));
      let snap = await serverSnapshot(server, ROOM, COLLECTION, id);
      assert.deepEqual({ v: snap.v, data: snap.data }, { v: 1, data: { text: '' } }, 'unchanged');

      // Grow it 100 bytes at a time until refused.
      let seq = 3;
      let accepted = 0;
      let v = 1;
      for (;;) {
        const reply = await raw.request(
          { a: 'op', c: COLLECTION, d: id, v, seq, op: [{ p: ['text', 0], si: 'y'.repeat(100) }], x: {} },
          (m) => m.a === 'op' && m.seq === seq,
        );
        seq++;
        if (reply.error) {
          assert.equal(reply.error.code, 'ERR_DOCUMENT_TOO_LARGE', show(reply));
          break;
        }
        accepted++;
        v++;
        assert.ok(accepted < 40, 'the document keeps growing past 2048 bytes');
      }
      snap = await serverSnapshot(server, ROOM, COLLECTION, id);
      const size = Buffer.byteLength(JSON.stringify(snap.data));
      assert.equal(snap.data.text.length, accepted * 100, 'the refused op was not applied');
      assert.ok(size <= 2048, `document is ${size} bytes`);
      assert.ok(size > 1500, `the limit is about 2048 bytes of JSON, but growth stopped at ${size}`);

      // Creating a document that is too big is refused as well.
      const bigCreate = await raw.request(
        { a: 'op', c: COLLECTION, d: `${ROOM}:born-big`, v: null, seq: 999, create: { type: JSON0, data: { text: 'z'.repeat(3000) } }, x: {} },
        (m) => m.a === 'op' && m.seq === 999,
      );
      assert.equal(bigCreate.error?.code, 'ERR_DOCUMENT_TOO_LARGE', show(bigCreate));
      assert.equal((await serverSnapshot(server, ROOM, COLLECTION, `${ROOM}:born-big`)).exists, false);
      raw.close();
    } finally {
      await server.stop();
    }
  });

  it('--send-queue: a consumer that stops reading is disconnected with 4008 and catches up by version on reconnect', { timeout: 60_000 }, async (t) => {
    const server = await startServer({ args: ['--send-queue', '16', '--ops-per-second', '100000'] });
    try {
      const id = `${ROOM}:firehose`;
      const producer = await connect(server, await join(server, ROOM, 'producer'));
      const pdoc = producer.connection.get(COLLECTION, id);
      await createDoc(pdoc, { text: '', n: 0 });
      await subscribeDoc(pdoc);

      const slow = await connect(server, await join(server, ROOM, 'slow'));
      const sdoc = slow.connection.get(COLLECTION, id);
      await subscribeDoc(sdoc);
      const closed = socketClosed(slow.socket, 30_000);
      slow.socket.pause();

      // ~40 MB of ops: far more than the kernel's socket buffers (4-15 MB on
      // loopback, as measured) plus 16 queued messages.
      const chunk = '🦀'.repeat(32 * 1024); // 128 KiB of UTF-8
      const ROUNDS = 160;
      for (let i = 0; i < ROUNDS; i++) {
        await submitOp(pdoc, [{ p: ['text', 0], si: chunk }, { p: ['n'], na: 1 }], 20_000);
        await submitOp(pdoc, [{ p: ['text', 0], sd: chunk }], 20_000);
      }
      t.diagnostic(`producer at version ${pdoc.version}`);
      slow.socket.resume();
      const { code } = await closed;
      // 4008 when the close frame got through; a reader paused for longer
      // than the server's close deadline (5 s) only sees the drop (1006).
      t.diagnostic(`slow consumer closed with ${code}`);
      assert.ok(code === 4008 || code === 1006, `close code for a slow consumer: ${code}`);

      await slow.reconnect();
      await waitUntil(() => sdoc.version === pdoc.version, {
        timeout: 30_000,
        interval: 20,
        what: `the slow consumer to catch up to version ${pdoc.version}`,
        describe: () => `slow at ${sdoc.version}, state ${slow.connection.state}`,
      });
      assert.deepEqual(sdoc.data, { text: '', n: ROUNDS });
      assert.deepEqual(producer.errors, []);
      assertShareDbOnly(slow.received, 'slow consumer');
    } finally {
      await server.stop();
    }
  });
});
