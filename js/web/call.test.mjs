// Three people in one room with camera and microphone: everyone sees and
// hears the two others, media state and raised hands show on the others'
// tiles, and a reloaded page rejoins as one participant with media flowing
// again. At most three pages with media at once (2 cores).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `call-${Date.now().toString(36)}`;
let server;
let browser;
/** name -> {p: participant, self: {id, name, role}} */
const people = {};
const names = ['Ana', 'Bruno', 'Carla'];
const others = (name) => names.filter((n) => n !== name);
const idOf = (name) => people[name].self.id;

before(async () => {
  server = await h.startServer();
  browser = await h.launchBrowser();
});

function checkConsole() {
  h.assertNoConsoleErrors(Object.values(people).map((x) => x.p));
}

test('three participants each see two remote videos and hear two remote audio streams', { timeout: 180_000 }, async () => {
  for (const name of names) {
    const p = await browser.newParticipant(server, name);
    const self = await h.joinRoom(p.page, ROOM, name);
    people[name] = { p, self };
    assert.equal(self.name, name, `${name}'s window.__tertulia.self.name`);
  }
  assert.equal(people.Ana.self.role, 'moderator', 'the first joiner is the moderator');
  assert.equal(people.Bruno.self.role, 'participant');
  assert.equal(people.Carla.self.role, 'participant');

  for (const name of names) {
    const { page } = people[name].p;
    const want = others(name).map(idOf);
    // One tile per person: ours (data-self) and one per other participant.
    const t = await h.waitForTiles(
      page,
      (ts) => ts.length === 3 && ts.filter((x) => x.self).length === 1 && want.every((id) => ts.filter((x) => x.participant === id).length === 1),
      `${name}: 3 tiles (self + ${others(name).join(', ')})`,
    );
    for (const other of others(name)) {
      const tile = t.find((x) => x.participant === idOf(other));
      assert.equal(tile.name, other, `${name} sees ${other}'s name on the tile`);
      assert.equal(tile.muted, false, `${name}: ${other}'s muted-indicator while the mic is on`);
      assert.equal(tile.camOff, false, `${name}: ${other}'s cam-off while the camera is on`);
    }
    assert.equal(t.find((x) => x.self).participant, idOf(name), `${name}'s own tile has data-participant=${idOf(name)}`);
  }

  for (const name of names) {
    const { page } = people[name].p;
    const s = await h.waitForRemoteMedia(page, 2, { ids: others(name).map(idOf), label: name });
    for (const [id, peer] of Object.entries(s.peers)) {
      assert.ok(peer.video.frameWidth > 0, `${name}: inbound video from ${id} has a frame width`);
    }
    const rendered = await h.waitForRemoteVideosRendered(page, 2, { label: name });
    for (const tile of rendered.filter((x) => !x.self)) {
      assert.equal(tile.video.muted, false, `${name}: the <video> of ${tile.name} is not muted (remote audio plays from it)`);
    }
  }
  await h.screenshot(people.Ana.p.page, 'call-three-participants');
  checkConsole();
});

test('mute and camera-off show on the others\' tiles, and a muted microphone is not heard', { timeout: 120_000 }, async () => {
  const bruno = people.Bruno;
  const carla = people.Carla;
  await h.setToggle(bruno.p.page, 'toggle-mic', false);
  await h.setToggle(carla.p.page, 'toggle-cam', false);
  for (const name of names) {
    const { page } = people[name].p;
    await h.waitForTiles(
      page,
      (ts) => {
        const b = ts.find((x) => x.participant === idOf('Bruno'));
        const c = ts.find((x) => x.participant === idOf('Carla'));
        return b && c && b.muted && !b.camOff && c.camOff && !c.muted;
      },
      `${name}: Bruno's tile shows muted-indicator (not cam-off), Carla's shows cam-off (not muted-indicator)`,
    );
  }
  await h.screenshot(people.Ana.p.page, 'call-muted-and-cam-off');

  // Ana still hears Carla but no longer Bruno: Bruno's audio energy barely
  // moves (after a second for what was already in Ana's jitter buffer).
  await h.delay(1_000);
  const s0 = await h.mediaSample(people.Ana.p.page);
  await h.waitUntil(
    async () => {
      const s1 = await h.mediaSample(people.Ana.p.page);
      return s1.peers[idOf('Carla')].audio.totalAudioEnergy > s0.peers[idOf('Carla')].audio.totalAudioEnergy;
    },
    { timeout: h.MEDIA_TIMEOUT_MS, what: "Ana to keep hearing Carla (totalAudioEnergy rising)" },
  );
  await h.delay(2_000);
  const s2 = await h.mediaSample(people.Ana.p.page);
  const energy = (s, who) => s.peers[idOf(who)].audio.totalAudioEnergy;
  const brunoDelta = energy(s2, 'Bruno') - energy(s0, 'Bruno');
  const carlaDelta = energy(s2, 'Carla') - energy(s0, 'Carla');
  assert.ok(
    brunoDelta <= carlaDelta / 100,
    `Ana still hears Bruno after he muted: his audio energy rose by ${brunoDelta}, Carla's (unmuted) by ${carlaDelta}`,
  );

  await h.setToggle(bruno.p.page, 'toggle-mic', true);
  await h.setToggle(carla.p.page, 'toggle-cam', true);
  for (const name of names) {
    await h.waitForTiles(
      people[name].p.page,
      (ts) => ts.length === 3 && ts.every((x) => !x.muted && !x.camOff),
      `${name}: no muted-indicator and no cam-off once Bruno unmuted and Carla turned her camera back on`,
    );
  }
  // Media flows again everywhere after the toggles.
  for (const name of names) {
    await h.waitForRemoteMedia(people[name].p.page, 2, { ids: others(name).map(idOf), label: `${name} after unmute/camera on` });
  }
  checkConsole();
});

test('a raised hand shows on the others\' tiles', { timeout: 60_000 }, async () => {
  const ana = people.Ana;
  await ana.p.page.getByTestId('raise-hand').click();
  for (const name of others('Ana')) {
    await h.waitForTiles(
      people[name].p.page,
      (ts) => ts.some((x) => x.participant === idOf('Ana') && x.hand) && ts.filter((x) => x.hand).length === 1,
      `${name}: hand-indicator on Ana's tile (and only there)`,
    );
  }
  await h.screenshot(people.Bruno.p.page, 'call-hand-raised');
  await ana.p.page.getByTestId('raise-hand').click();
  for (const name of others('Ana')) {
    await h.waitForTiles(people[name].p.page, (ts) => ts.length === 3 && ts.every((x) => !x.hand), `${name}: no hand-indicator once Ana lowered her hand`);
  }
  checkConsole();
});

test('a participant who reloads the page rejoins: the others see one tile for her, media flows again', { timeout: 180_000 }, async () => {
  const carla = people.Carla;
  const before = carla.self;
  await carla.p.page.reload({ waitUntil: 'domcontentloaded' });
  const self = await h.rejoinAfterReload(carla.p.page, 'Carla');
  assert.equal(self.id, before.id, 'the reloaded page rejoins as the same participant (token kept in sessionStorage)');
  people.Carla.self = self;

  for (const name of others('Carla')) {
    const { page } = people[name].p;
    await h.waitForTiles(
      page,
      (ts) => ts.length === 3 && ts.filter((x) => x.participant === idOf('Carla')).length === 1,
      `${name}: exactly 3 tiles, one of them Carla's, after Carla reloaded`,
    );
  }
  await h.waitForTiles(carla.p.page, (ts) => ts.length === 3, 'Carla: 3 tiles after her reload');
  for (const name of names) {
    await h.waitForRemoteMedia(people[name].p.page, 2, { ids: others(name).map(idOf), label: `${name} after Carla's reload` });
    await h.waitForRemoteVideosRendered(people[name].p.page, 2, { label: `${name} after Carla's reload` });
  }
  // Still one tile each a moment later (no ghost tile coming back).
  await h.delay(1_000);
  for (const name of names) {
    const ts = await h.tiles(people[name].p.page);
    assert.equal(ts.length, 3, `${name}: 3 tiles a second after the reload: ${h.show(ts)}`);
  }
  await h.screenshot(people.Ana.p.page, 'call-after-reload');
  await h.screenshot(carla.p.page, 'call-after-reload-reloaded-page');
  checkConsole();
});

test('leaving removes the tile for the others', { timeout: 60_000 }, async () => {
  await people.Carla.p.page.getByTestId('leave').click();
  for (const name of others('Carla')) {
    await h.waitForTiles(
      people[name].p.page,
      (ts) => ts.length === 2 && !ts.some((x) => x.participant === idOf('Carla')),
      `${name}: Carla's tile gone after she left`,
    );
    await h.waitUntil(
      async () => {
        const s = await h.mediaSample(people[name].p.page);
        return !s.error && !Object.entries(s.peers).some(([id, p]) => id === idOf('Carla') && p.state !== 'closed');
      },
      { what: `${name}: the peer connection with Carla closed or dropped from window.__tertulia.peers` },
    );
  }
  checkConsole();
  for (const name of names) await people[name].p.close();
});
