// A relay-only call through a real coturn (TURN REST API credentials minted
// by the server from the shared secret): with ?iceTransportPolicy=relay the
// selected candidate pair's local candidate is a relay one, and frames decode.

import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `relay-${Date.now().toString(36)}`;
let turn;
let server;
let browser;

before(async () => {
  turn = await h.startTurn();
  server = await h.startServer({ args: turn.serverArgs() });
  browser = await h.launchBrowser();
});

test('the join endpoint hands out the TURN server with REST API credentials', async () => {
  const res = await server.joinApi(`${ROOM}-api`, 'probe');
  assert.equal(res.status, 200, res.body);
  const ice = res.json.iceServers;
  assert.ok(Array.isArray(ice), `iceServers is an array: ${res.body}`);
  const turnEntry = ice.find((s) => [].concat(s.urls).some((u) => u.startsWith(`turn:127.0.0.1:${turn.port}`)));
  assert.ok(turnEntry, `iceServers lists turn:127.0.0.1:${turn.port}: ${h.show(ice)}`);
  assert.equal(typeof turnEntry.username, 'string');
  const expiry = Number(turnEntry.username.split(':')[0]);
  assert.ok(expiry > Date.now() / 1000, `the username starts with a future expiry time: ${turnEntry.username}`);
  const expected = crypto.createHmac('sha1', turn.secret).update(turnEntry.username).digest('base64');
  assert.equal(turnEntry.credential, expected, 'credential = base64(HMAC-SHA1(secret, username))');
});

test('a relay-only call through coturn: relay candidates selected, frames and audio flow', { timeout: 120_000 }, async () => {
  const ana = await browser.newParticipant(server, 'Ana');
  const bruno = await browser.newParticipant(server, 'Bruno');
  const opts = { query: '?iceTransportPolicy=relay' };
  const a = await h.joinRoom(ana.page, ROOM, 'Ana', opts);
  const b = await h.joinRoom(bruno.page, ROOM, 'Bruno', opts);
  for (const [who, p, other] of [['Ana', ana, b], ['Bruno', bruno, a]]) {
    const s = await h.waitForRemoteMedia(p.page, 1, { ids: [other.id], label: who });
    const peer = s.peers[other.id];
    assert.ok(peer.pair, `${who}: a selected candidate pair in getStats: ${h.show(peer)}`);
    assert.equal(peer.pair.local, 'relay', `${who}: the selected pair's local candidate is a relay candidate: ${h.show(peer.pair)}`);
    const [, port] = peer.pair.localAddress.split(':').map(Number);
    assert.ok(
      port >= turn.relayRange.min && port <= turn.relayRange.max,
      `${who}: the relay address ${peer.pair.localAddress} is one of our coturn's (${turn.relayRange.min}-${turn.relayRange.max})`,
    );
    await h.waitForRemoteVideosRendered(p.page, 1, { label: who });
  }
  await h.screenshot(bruno.page, 'relay-call');
  h.assertNoConsoleErrors(ana, bruno);
  await ana.close();
  await bruno.close();
});
