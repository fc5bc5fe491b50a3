// Presence through the sharedb client: values reach other subscribers, late
// subscribers get current values, and a disconnect clears the value.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  assertShareDbOnly,
  cb,
  connect,
  deepEqual,
  join,
  show,
  startServer,
  waitUntil,
} from './harness.mjs';

const ROOM = 'room1';

/** Records every ('receive', id, value) of a presence. */
function recordReceives(presence) {
  const log = [];
  presence.on('receive', (id, value) => log.push({ id, value }));
  return log;
}

describe('presence', { timeout: 90_000 }, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server && server.stop());

  it('A submits a value, B receives it; updates follow; A disconnects and B sees it removed', async () => {
    const [a, b] = await Promise.all(['A', 'B'].map(async (n) => connect(server, await join(server, ROOM, n))));
    const presA = a.connection.getPresence(ROOM);
    const presB = b.connection.getPresence(ROOM);
    await cb('A presence subscribe', (done) => presA.subscribe(done));
    await cb('B presence subscribe', (done) => presB.subscribe(done));
    const seenByB = recordReceives(presB);

    const local = presA.create('a-cursor');
    const first = { user: 'Ana', cursor: { index: 3, length: 0 }, emoji: '👋' };
    await cb('A presence submit ack', (done) => local.submit(first, done));
    await waitUntil(() => seenByB.length >= 1, { what: "B to receive A's presence", describe: () => show(seenByB) });
    assert.deepEqual(seenByB[0], { id: 'a-cursor', value: first });
    assert.deepEqual(presB.remotePresences['a-cursor'], first);

    // B's subscribe made the server ask A's client for its presence ('pr'),
    // and A's client may answer that by re-sending the first value, so B can
    // see it more than once; what matters is that B ends with the update.
    const second = { user: 'Ana', cursor: { index: 7, length: 2 } };
    await cb('A presence update ack', (done) => local.submit(second, done));
    await waitUntil(() => deepEqual(presB.remotePresences['a-cursor'], second), {
      what: "B to receive A's update",
      describe: () => show(seenByB),
    });
    assert.deepEqual(seenByB.at(-1), { id: 'a-cursor', value: second });
    assert.ok(
      seenByB.every((r) => r.id === 'a-cursor' && (deepEqual(r.value, first) || deepEqual(r.value, second))),
      `B only saw A's two values: ${show(seenByB)}`,
    );

    // A late subscriber gets A's current value (via the 'pr' request ShareDB sends on subscribe).
    const c = await connect(server, await join(server, ROOM, 'C'));
    const presC = c.connection.getPresence(ROOM);
    const seenByC = recordReceives(presC);
    await cb('C presence subscribe', (done) => presC.subscribe(done));
    await waitUntil(() => presC.remotePresences['a-cursor'], {
      what: "late subscriber C to receive A's current presence",
      describe: () => show(seenByC),
    });
    assert.deepEqual(presC.remotePresences['a-cursor'], { user: 'Ana', cursor: { index: 7, length: 2 } });

    // A's socket dies: the others see the value removed.
    a.socket.terminate();
    await waitUntil(() => seenByB.some((r) => r.id === 'a-cursor' && r.value === null), {
      what: "B to see A's presence removed",
      describe: () => show(seenByB),
    });
    assert.equal(presB.remotePresences['a-cursor'], undefined);
    await waitUntil(() => presC.remotePresences['a-cursor'] === undefined, { what: "C to see A's presence removed" });

    for (const [n, cl] of [['A', a], ['B', b], ['C', c]]) {
      assert.deepEqual(cl.errors, [], `${n} connection emitted no errors`);
      assertShareDbOnly(cl.received, n);
    }
  });

  it('an explicit null (local presence destroyed) reaches the others; own values are not echoed', async () => {
    const [a, b] = await Promise.all(['A2', 'B2'].map(async (n) => connect(server, await join(server, ROOM, n))));
    const channel = `${ROOM}:slides`;
    const presA = a.connection.getPresence(channel);
    const presB = b.connection.getPresence(channel);
    await cb('A subscribe', (done) => presA.subscribe(done));
    await cb('B subscribe', (done) => presB.subscribe(done));
    const seenByA = recordReceives(presA);
    const seenByB = recordReceives(presB);
    const local = presA.create('pointer');
    await cb('submit', (done) => local.submit({ slide: 2 }, done));
    await waitUntil(() => presB.remotePresences.pointer, { what: 'B to receive the pointer' });
    await cb('destroy', (done) => local.destroy(done));
    await waitUntil(() => seenByB.some((r) => r.value === null), { what: 'B to see the pointer removed', describe: () => show(seenByB) });
    assert.equal(presB.remotePresences.pointer, undefined);
    assert.deepEqual(seenByA, [], 'A does not receive its own presence');
    a.close();
    b.close();
  });

  it('unsubscribed clients stop receiving presence', async () => {
    const [a, b] = await Promise.all(['A3', 'B3'].map(async (n) => connect(server, await join(server, ROOM, n))));
    const channel = `${ROOM}:unsub`;
    const presA = a.connection.getPresence(channel);
    const presB = b.connection.getPresence(channel);
    await cb('A subscribe', (done) => presA.subscribe(done));
    await cb('B subscribe', (done) => presB.subscribe(done));
    await cb('B unsubscribe', (done) => presB.unsubscribe(done));
    const local = presA.create('x');
    await cb('submit', (done) => local.submit({ v: 1 }, done));
    // A ping round trip on B after A's ack: a broadcast queued for B before
    // the ack would arrive before the pong.
    await cb('B ping', (done) => {
      b.connection.once('pong', () => done());
      b.connection.ping();
    });
    assert.equal(b.received.filter((m) => m.a === 'p' && m.ch === channel).length, 0, `B got no presence: ${show(b.received)}`);
    a.close();
    b.close();
  });
});
