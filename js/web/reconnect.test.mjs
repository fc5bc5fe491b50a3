// A dropped WebSocket (the page lives on, same session) rejoins within the
// grace period: the others keep one tile and the same peer connection, and
// media never stops. Two participants with media.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `reconnect-${Date.now().toString(36)}`;
let server;
let browser;

before(async () => {
  server = await h.startServer();
  browser = await h.launchBrowser();
});

/** Marks every RTCPeerConnection in `window.__tertulia.peers` with `tag`. */
const tagPeers = (page, tag) =>
  page.evaluate((t) => {
    for (const pc of window.__tertulia.peers.values()) pc.__testTag = t;
  }, tag);
const peerTags = (page) => page.evaluate(() => [...window.__tertulia.peers].map(([id, pc]) => [id, pc.__testTag || null]));

test('a dropped WebSocket rejoins with the same session: one tile, same peer connection, media flowing', { timeout: 120_000 }, async () => {
  const ana = await browser.newParticipant(server, 'Ana');
  const bruno = await browser.newParticipant(server, 'Bruno');
  const a = await h.joinRoom(ana.page, ROOM, 'Ana');
  const b = await h.joinRoom(bruno.page, ROOM, 'Bruno');
  await h.waitForRemoteMedia(ana.page, 1, { ids: [b.id], label: 'Ana' });
  await h.waitForRemoteMedia(bruno.page, 1, { ids: [a.id], label: 'Bruno' });
  await tagPeers(ana.page, 'before-drop');
  await tagPeers(bruno.page, 'before-drop');

  assert.equal(await h.dropSocket(bruno.page), true, "Bruno's page has an open WebSocket to drop");
  // Bruno's page reconnects and joins again by itself.
  await h.waitUntil(
    async () => (await h.rcTrace(bruno.page)).filter((r) => r[1] === 'in' && r[2] === 'joined').length >= 2,
    { what: "Bruno's page to join again after the drop (a second 'joined')", describe: async () => h.show(await h.rcTrace(bruno.page)) },
  );
  await h.waitUntil(() => bruno.page.evaluate(() => window.__tertulia.wsState === 'open'), { what: "Bruno's wsState back to open" });

  for (const [who, p, other] of [['Ana', ana, b], ['Bruno', bruno, a]]) {
    await h.waitForRemoteMedia(p.page, 1, { ids: [other.id], label: `${who} after Bruno's socket dropped` });
    assert.deepEqual(await peerTags(p.page), [[other.id, 'before-drop']], `${who} kept the same RTCPeerConnection (same session)`);
    const ts = await h.tiles(p.page);
    assert.equal(ts.length, 2, `${who}: 2 tiles after the drop: ${h.show(ts)}`);
  }
  await h.waitUntil(async () => !(await bruno.page.getByTestId('reconnecting').isVisible()), {
    what: "Bruno's reconnecting banner to go away",
  });
  assert.equal((await bruno.page.evaluate(() => window.__tertulia.self)).id, b.id, 'Bruno is the same participant');
  h.assertNoConsoleErrors(ana, bruno);
  await ana.close();
  await bruno.close();
});
