// The HTTP surface the sync tests rely on, the WebSocket handshake, and the
// rule that a connection which never sends room-control messages receives
// nothing but ShareDB messages, whatever happens in its room.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  attemptUpgrade,
  assertShareDbOnly,
  cb,
  connect,
  createDoc,
  delay,
  httpRequest,
  join,
  joinRoom,
  rawConnect,
  show,
  startServer,
  submitOp,
  subscribeDoc,
  waitUntil,
  whenNothingPending,
} from './harness.mjs';

const ROOM = 'proto';
const COLLECTION = 'scratch';

describe('http and handshake', { timeout: 90_000 }, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server && server.stop());

  it('GET /healthz is 200', async () => {
    const res = await httpRequest(server, 'GET', '/healthz');
    assert.equal(res.status, 200);
  });

  it('join returns a token, the room, the participant and an expiry', async (t) => {
    const before = Math.floor(Date.now() / 1000);
    const first = await joinRoom(server, 'fresh-room_1', 'Ana');
    assert.equal(typeof first.token, 'string');
    assert.ok(first.token.length > 0);
    assert.equal(first.room, 'fresh-room_1');
    assert.equal(first.participant.name, 'Ana');
    assert.equal(typeof first.participant.id, 'string');
    assert.ok(['moderator', 'participant'].includes(first.participant.role), show(first));
    assert.ok(Number.isInteger(first.expiresAt) && first.expiresAt > before, `expiresAt ${first.expiresAt}`);
    const second = await joinRoom(server, 'fresh-room_1', 'Bea');
    assert.ok(['moderator', 'participant'].includes(second.participant.role), show(second));
    t.diagnostic(`roles: first joiner ${first.participant.role}, second ${second.participant.role}`);
    assert.notEqual(second.participant.id, first.participant.id);
    assert.notEqual(second.token, first.token);
  });

  it('invalid room names are refused with 400 invalid_room', async () => {
    for (const room of ['', 'a b', 'a.b', 'ñ', 'x'.repeat(65), 'a:b', 'a/b']) {
      const res = await httpRequest(server, 'POST', `/api/rooms/${encodeURIComponent(room)}/join`, { name: 'Ana' });
      if (room === '' || room === 'a/b') {
        // These do not even reach the join route.
        assert.ok(res.status >= 400 && res.status < 500, `room ${show(room)}: HTTP ${res.status}`);
        continue;
      }
      assert.equal(res.status, 400, `room ${show(room)}: HTTP ${res.status} ${res.body}`);
      assert.equal(res.json?.error?.code, 'invalid_room', `room ${show(room)}: ${res.body}`);
      assert.equal(typeof res.json.error.message, 'string');
    }
    const ok = await httpRequest(server, 'POST', `/api/rooms/${'x'.repeat(64)}/join`, { name: 'Ana' });
    assert.equal(ok.status, 200, '64 characters is fine');
  });

  it('the WebSocket upgrade needs a valid token (401 otherwise)', async () => {
    assert.equal((await attemptUpgrade(server.wsUrl(null))).status, 401, 'no token');
    assert.equal((await attemptUpgrade(server.wsUrl(''))).status, 401, 'empty token');
    assert.equal((await attemptUpgrade(server.wsUrl('not-a-token'))).status, 401, 'garbage token');
    const token = await join(server, ROOM, 'Ana');
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    assert.equal((await attemptUpgrade(server.wsUrl(tampered))).status, 401, 'tampered token');
    assert.equal((await attemptUpgrade(server.wsUrl(token))).status, 101, 'valid token');
  });

  // The server allows a few seconds of clock skew past `exp`
  // (crates/server/src/auth.rs: leeway = 5 s), so this waits that long.
  const EXPIRY_LEEWAY_S = 5;

  it('an expired token is refused at upgrade (--token-ttl 1)', { timeout: 15_000 }, async () => {
    const shortLived = await startServer({ args: ['--token-ttl', '1'] });
    try {
      const joined = await joinRoom(shortLived, ROOM, 'Ana');
      assert.ok(joined.expiresAt <= Math.floor(Date.now() / 1000) + 2, `expiresAt ${joined.expiresAt}`);
      assert.equal((await attemptUpgrade(shortLived.wsUrl(joined.token))).status, 101, 'fresh token');
      await waitUntil(() => Date.now() / 1000 > joined.expiresAt + EXPIRY_LEEWAY_S + 1, {
        timeout: (EXPIRY_LEEWAY_S + 4) * 1000,
        interval: 50,
        what: 'the token to expire',
      });
      assert.equal((await attemptUpgrade(shortLived.wsUrl(joined.token))).status, 401, 'expired token');
    } finally {
      await shortLived.stop();
    }
  });

  it('the server speaks first with init (protocol 1.2, json0), then answers hs', async (t) => {
    const raw = await rawConnect(server, await join(server, ROOM, 'Ana'), { handshake: false });
    const init = await raw.take();
    assert.equal(init.a, 'init', `first message: ${show(init)}`);
    assert.equal(init.protocol, 1);
    assert.equal(init.protocolMinor, 2);
    assert.equal(init.type, 'http://sharejs.org/types/JSONv0');
    assert.equal(typeof init.id, 'string');
    const hs = await raw.request({ a: 'hs', id: null, protocol: 1, protocolMinor: 2 }, (m) => m.a === 'hs');
    assert.deepEqual(
      { a: hs.a, protocol: hs.protocol, protocolMinor: hs.protocolMinor, type: hs.type, error: hs.error },
      { a: 'hs', protocol: 1, protocolMinor: 2, type: 'http://sharejs.org/types/JSONv0', error: undefined },
    );
    assert.equal(typeof hs.id, 'string');
    // A reconnecting sharedb client presents its previous id. ShareDB's
    // server adopts it (agent.src = hs.id); the client does not depend on
    // that, because it resends in-flight ops with their original `src`
    // explicitly, so this is reported, not asserted.
    const again = await rawConnect(server, await join(server, ROOM, 'Ana'), { handshake: false });
    await again.take((m) => m.a === 'init');
    const hs2 = await again.request({ a: 'hs', id: hs.id, protocol: 1, protocolMinor: 2 }, (m) => m.a === 'hs');
    assert.equal(hs2.error, undefined, show(hs2));
    assert.equal(typeof hs2.id, 'string');
    t.diagnostic(`hs with a previous id: the server ${hs2.id === hs.id ? 'adopts it (as ShareDB does)' : `assigns a new one (${hs.id} -> ${hs2.id}); ShareDB adopts it`}`);
    raw.close();
    again.close();
  });
});

describe('only ShareDB messages', { timeout: 90_000 }, () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server && server.stop());

  it('a connection that never sends room-control messages receives only ShareDB messages', { timeout: 30_000 }, async () => {
    const observer = await connect(server, await join(server, ROOM, 'observer'));
    const rawObserver = await rawConnect(server, await join(server, ROOM, 'raw-observer'));
    const doc = observer.connection.get(COLLECTION, `${ROOM}:board`);
    await createDoc(doc, { items: [], n: 0 });
    await subscribeDoc(doc);
    rawObserver.send({ a: 's', c: COLLECTION, d: `${ROOM}:board` });
    rawObserver.send({ a: 'ps', ch: ROOM, seq: 1 });
    const presence = observer.connection.getPresence(ROOM);
    await cb('presence subscribe', (done) => presence.subscribe(done));
    const mine = presence.create('observer-cursor');
    await cb('presence submit', (done) => mine.submit({ at: 0 }, done));

    // Room life goes on around the observers: people join and leave, edit,
    // publish presence, and the first joiner (a moderator) comes and goes.
    for (let round = 0; round < 4; round++) {
      const other = await connect(server, await join(server, ROOM, `guest-${round}`));
      const otherDoc = other.connection.get(COLLECTION, `${ROOM}:board`);
      await subscribeDoc(otherDoc);
      const otherPresence = other.connection.getPresence(ROOM);
      await cb('guest presence subscribe', (done) => otherPresence.subscribe(done));
      await cb('guest presence submit', (done) => otherPresence.create(`guest-${round}`).submit({ at: round }, done));
      for (let i = 0; i < 5; i++) await submitOp(otherDoc, [{ p: ['items', 0], li: `r${round}-${i}` }, { p: ['n'], na: 1 }]);
      await submitOp(doc, [{ p: ['n'], na: 10 }]);
      other.socket.terminate();
      await join(server, ROOM, `drive-by-${round}`);
      await delay(10);
    }
    await whenNothingPending(observer.connection);
    await waitUntil(() => doc.data.n === 60, { what: 'observer to see every edit', describe: () => show(doc.data) });
    // Round trips on both observers, so anything the server queued for them has arrived.
    await cb('observer ping', (done) => {
      observer.connection.once('pong', () => done());
      observer.connection.ping();
    });
    await rawObserver.ping();

    assert.ok(observer.received.length > 20, `observer received ${observer.received.length} messages`);
    assertShareDbOnly(observer.received, 'sharedb observer');
    assertShareDbOnly(rawObserver.all, 'raw observer');
    assert.deepEqual(rawObserver.all.filter((m) => m.error), [], 'no errors');
    assert.deepEqual(observer.errors, []);
  });
});
