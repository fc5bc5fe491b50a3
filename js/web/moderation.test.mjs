// Moderation and admission: the moderator asks to mute and removes a
// participant (who sees a clear message), locks the room (a new joiner is
// refused), sets a password (a wrong or missing one is refused), and a full
// room refuses the next joiner. Cameras off (CPU): media is call.test.mjs's.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `mod-${Date.now().toString(36)}`;
const NO_CAM = { cam: false };
// A refused join's HTTP 403 is logged by Chromium as a console error.
const REFUSED = /status of 403|403 \(Forbidden\)/;
let server;
let browser;
let ana;
let bruno;
let anaSelf;
let brunoSelf;

before(async () => {
  server = await h.startServer();
  browser = await h.launchBrowser();
});

/** Clicks `control` (mod-mute, mod-remove) in the participants panel's row of `participantId`. */
async function moderate(page, participantId, control) {
  await h.openParticipants(page);
  const row = page.locator(`[data-testid="participant-row"][data-participant="${participantId}"]`);
  await row.waitFor({ state: 'visible' });
  await row.getByTestId(control).click();
}

test('the moderator asks a participant to mute: the participant sees mute-request', { timeout: 90_000 }, async () => {
  ana = await browser.newParticipant(server, 'Ana');
  bruno = await browser.newParticipant(server, 'Bruno');
  anaSelf = await h.joinRoom(ana.page, ROOM, 'Ana', NO_CAM);
  brunoSelf = await h.joinRoom(bruno.page, ROOM, 'Bruno', NO_CAM);
  assert.equal(anaSelf.role, 'moderator');
  assert.equal(brunoSelf.role, 'participant');
  await h.waitForTiles(ana.page, (ts) => ts.length === 2, 'Ana: 2 tiles');

  // A participant has no moderator controls.
  await h.openParticipants(bruno.page);
  assert.equal(await bruno.page.getByTestId('mod-remove').count(), 0, 'no mod-remove for a participant');
  assert.equal(await bruno.page.getByTestId('mod-lock').count(), 0, 'no mod-lock for a participant');

  await moderate(ana.page, brunoSelf.id, 'mod-mute');
  await bruno.page.getByTestId('mute-request').waitFor({ state: 'visible' });
  await h.screenshot(bruno.page, 'moderation-mute-request');
  h.assertNoConsoleErrors(ana, bruno);
});

test('the moderator removes a participant, who sees removed-message', { timeout: 60_000 }, async () => {
  await moderate(ana.page, brunoSelf.id, 'mod-remove');
  await bruno.page.getByTestId('removed-message').waitFor({ state: 'visible' });
  const text = (await bruno.page.getByTestId('removed-message').textContent()).trim();
  assert.ok(text.length > 0, 'removed-message says something');
  await h.screenshot(bruno.page, 'moderation-removed');
  await h.waitForTiles(ana.page, (ts) => ts.length === 1 && ts[0].self, "Ana: Bruno's tile gone after his removal");
  await h.waitUntil(async () => (await ana.page.locator(`[data-testid="participant-row"][data-participant="${brunoSelf.id}"]`).count()) === 0, {
    what: "Bruno's participant-row gone from Ana's panel",
  });
  // The removed page must not come back by itself (no reconnect loop).
  await h.delay(2_000);
  assert.equal(await bruno.page.getByTestId('removed-message').isVisible(), true, 'removed-message stays');
  assert.equal((await h.tiles(ana.page)).length, 1, 'Bruno did not come back');
  h.assertNoConsoleErrors(ana, bruno);
  await bruno.close();
});

test('a locked room refuses a new joiner with room_locked', { timeout: 60_000 }, async () => {
  await h.openParticipants(ana.page);
  await h.setToggle(ana.page, 'mod-lock', true);
  const dora = await browser.newParticipant(server, 'Dora');
  dora.allow(REFUSED);
  const code = await h.joinRefused(dora.page, ROOM, 'Dora', NO_CAM);
  assert.equal(code, 'room_locked');
  await h.screenshot(dora.page, 'moderation-room-locked');

  await h.setToggle(ana.page, 'mod-lock', false);
  const self = await h.joinRoom(dora.page, ROOM, 'Dora', NO_CAM);
  await h.waitForTiles(ana.page, (ts) => ts.some((t) => t.participant === self.id), "Ana: Dora's tile once the room is unlocked");
  await dora.page.getByTestId('leave').click();
  await h.waitForTiles(ana.page, (ts) => ts.length === 1, 'Ana alone again after Dora left');
  h.assertNoConsoleErrors(ana, dora);
  await dora.close();
});

test('a password-protected room refuses a wrong or missing password', { timeout: 60_000 }, async () => {
  await h.openParticipants(ana.page);
  await ana.page.getByTestId('mod-password-input').fill('sesame');
  await ana.page.getByTestId('mod-password-set').click();
  // Let the room update reach the server before the next join.
  await h.waitUntil(async () => (await server.joinApi(ROOM, 'probe')).status === 403, {
    what: 'the join endpoint to refuse a join without the password',
  });
  const eva = await browser.newParticipant(server, 'Eva');
  eva.allow(REFUSED);
  assert.equal(await h.joinRefused(eva.page, ROOM, 'Eva', { ...NO_CAM, password: 'nope' }), 'wrong_password');
  await h.screenshot(eva.page, 'moderation-wrong-password');
  assert.equal(await h.joinRefused(eva.page, ROOM, 'Eva', { ...NO_CAM, password: '' }), 'password_required');
  const self = await h.joinRoom(eva.page, ROOM, 'Eva', { ...NO_CAM, password: 'sesame' });
  await h.waitForTiles(ana.page, (ts) => ts.some((t) => t.participant === self.id), "Ana: Eva's tile after the right password");
  h.assertNoConsoleErrors(ana, eva);
  await eva.close();
  await ana.close();
});

test('a full room (default limit of 4) refuses the fifth joiner with room_full', { timeout: 120_000 }, async () => {
  const room = `${ROOM}-full`;
  const ps = [];
  for (const name of ['P1', 'P2', 'P3', 'P4']) {
    const p = await browser.newParticipant(server, name);
    await h.joinRoom(p.page, room, name, h.NO_MEDIA);
    ps.push(p);
  }
  await h.waitForTiles(ps[0].page, (ts) => ts.length === 4, 'P1: 4 tiles');
  const fifth = await browser.newParticipant(server, 'P5');
  fifth.allow(REFUSED);
  assert.equal(await h.joinRefused(fifth.page, room, 'P5', h.NO_MEDIA), 'room_full');
  await h.screenshot(fifth.page, 'moderation-room-full');
  h.assertNoConsoleErrors(ps, fifth);
  for (const p of [...ps, fifth]) await p.close();
});

test('--max-participants 2 refuses the third joiner with room_full', { timeout: 60_000 }, async () => {
  const small = await h.startServer({ args: ['--max-participants', '2'] });
  const room = `${ROOM}-two`;
  const ps = [];
  for (const name of ['Q1', 'Q2']) {
    const p = await browser.newParticipant(small, name);
    await h.joinRoom(p.page, room, name, h.NO_MEDIA);
    ps.push(p);
  }
  const third = await browser.newParticipant(small, 'Q3');
  third.allow(REFUSED);
  assert.equal(await h.joinRefused(third.page, room, 'Q3', h.NO_MEDIA), 'room_full');
  h.assertNoConsoleErrors(ps, third);
  for (const p of [...ps, third]) await p.close();
  await small.stop();
});

test('a removed participant who opens the room again is refused (removed), not let back in', { timeout: 60_000 }, async () => {
  const room = `${ROOM}-back`;
  const mod = await browser.newParticipant(server, 'Mod');
  const guest = await browser.newParticipant(server, 'Guest');
  try {
    await h.joinRoom(mod.page, room, 'Mod', h.NO_MEDIA);
    const g = await h.joinRoom(guest.page, room, 'Guest', h.NO_MEDIA);
    await moderate(mod.page, g.id, 'mod-remove');
    await guest.page.getByTestId('removed-message').waitFor({ state: 'visible' });
    await h.waitForTiles(mod.page, (ts) => ts.length === 1, "Mod: Guest's tile gone");
    // The same browser tab opens the room again (its token is still in
    // sessionStorage): the server refuses that identity (ERR_RC_REMOVED).
    guest.allow(REFUSED);
    const res = await h.submitJoin(guest.page, room, 'Guest', h.NO_MEDIA);
    const tiles = await h.tiles(mod.page);
    assert.ok(
      res.error && res.error.code === 'removed',
      `the removed participant is refused with join-error "removed"; instead: ${h.show(res)}; the moderator sees ${tiles.length} tile(s): ${h.show(tiles.map((t) => t.name))}`,
    );
    h.assertNoConsoleErrors(mod, guest);
  } finally {
    await guest.close();
    await mod.close();
  }
});
