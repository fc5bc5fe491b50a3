// The shared video through the web client: one uploads a small WebM (made
// here with ffmpeg: 20 s of test pattern and a tone), everyone sees it
// focused; play, seek, pause and speed from different people keep every
// page's real <video>.currentTime within half a second of the others and of
// the position the shared state implies; actions at the same moment end in
// one state for all; a late joiner starts at the right place; a page that
// never had a user gesture plays muted and offers to unmute; the server
// restarts mid-session and playback and control carry on; the end of the
// media is shown as ended without a seek loop; whoever started playback can
// leave; a YouTube link fails gracefully when YouTube cannot be reached.
//
// The browser keeps Chromium's real autoplay policy (the suite's default
// flag turns it off for WebRTC audio), and resolves YouTube's hosts to
// nothing, so nothing leaves the machine. Camera and microphone stay off.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `video-${Date.now().toString(36)}`;
const LENGTH_S = 20;
/** The sync requirement: positions agree within this many seconds. */
const TOLERANCE_S = 0.5;
const FFMPEG = process.env.FFMPEG || 'ffmpeg';

let server;
let browser;
let webm;
let ana;
let bruno;
let carla;
let elementId;
/** Every cross-page spread measured while in sync, for the summary line. */
const spreads = [];

before(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tertulia-video-'));
  h.onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  webm = path.join(dir, 'Test pattern.webm');
  try {
    // Keyframes every second, so a seek decodes little.
    execFileSync(
      FFMPEG,
      [
        '-hide_banner', '-loglevel', 'error', '-y',
        '-f', 'lavfi', '-i', `testsrc=duration=${LENGTH_S}:size=320x240:rate=15`,
        '-f', 'lavfi', '-i', `sine=frequency=440:duration=${LENGTH_S}`,
        '-c:v', 'libvpx', '-b:v', '150k', '-g', '15', '-deadline', 'realtime', '-cpu-used', '8',
        '-c:a', 'libopus', '-b:a', '32k', '-shortest', webm,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 },
    );
  } catch (err) {
    throw new Error(`ffmpeg could not make the test video (apt-get install ffmpeg; scripts/test does): ${err.message}`);
  }
  // Four pages at once, plus the test's own snapshot reader.
  server = await h.startServer({ args: ['--max-participants', '8'] });
  browser = await h.launchBrowser({
    args: [
      // Later flags win: Chromium's default policy, so a page without a user gesture cannot start sound.
      '--autoplay-policy=document-user-activation-required',
      '--host-resolver-rules=MAP www.youtube.com ~NOTFOUND, MAP www.youtube-nocookie.com ~NOTFOUND',
    ],
  });
});

const serverSnapshot = (collection, id) => h.serverSnapshot(server, ROOM, collection, id);
const videoDoc = () => serverSnapshot('elements', `${ROOM}:${elementId}`);

/** Where the shared state says playback is at Unix ms `now` (same machine as the server). */
function expectedAt(doc, now) {
  const p = doc.position + (doc.playing ? ((now - doc.at) / 1000) * doc.rate : 0);
  return Math.max(0, Math.min(doc.duration ?? Infinity, p));
}

/** One reading of a page's real <video>, with the wall-clock instant it was taken. */
function reading(page) {
  return page.evaluate(() => {
    const v = document.querySelector('[data-testid="video-player"]');
    if (!v) return null;
    return {
      t: v.currentTime,
      at: performance.timeOrigin + performance.now(),
      paused: v.paused,
      ended: v.ended,
      muted: v.muted,
      rate: v.playbackRate,
      ready: v.readyState,
    };
  });
}

/**
 * Every page's position carried to one instant (`ref`, Unix ms): the pages
 * are read at once, but a playing video moves on between the readings.
 */
async function positions(people) {
  const rs = await Promise.all(people.map((p) => reading(p.page)));
  if (rs.some((r) => !r || r.ready < 1)) return null;
  const ref = Math.max(...rs.map((r) => r.at));
  const list = rs.map((r, i) => ({ who: people[i].label, ...r, pos: r.t + (r.paused ? 0 : ((ref - r.at) / 1000) * r.rate) }));
  const ps = list.map((r) => r.pos);
  return { ref, list, spread: Math.max(...ps) - Math.min(...ps) };
}

const fmt = (s) => s && { spread: +s.spread.toFixed(3), at: s.list.map((r) => [r.who, +r.pos.toFixed(2), r.paused ? 'paused' : `x${r.rate.toFixed(2)}`]) };

/**
 * Waits until every page plays (or is paused) as `playing` says (`null`:
 * as the server's state says), within TOLERANCE_S of each other and of the
 * server's state, then checks it stays so over `samples` readings.
 * Resolves the last reading.
 */
async function inSync(people, playing, what, { samples = 6, interval = 300, timeout = 15_000 } = {}) {
  let last;
  let doc;
  const ok = async () => {
    doc = await videoDoc();
    const s = await positions(people);
    last = s;
    if (!s || (playing !== null && doc.playing !== playing)) return false;
    const want = expectedAt(doc, s.ref);
    return s.list.every((r) => r.paused === !doc.playing && Math.abs(r.pos - want) <= TOLERANCE_S) && s.spread <= TOLERANCE_S;
  };
  const describe = () => h.show({ doc, last: fmt(last) });
  await h.waitUntil(ok, { what: `${what}: in sync`, timeout, interval: 200, describe });
  for (let i = 0; i < samples; i++) {
    await h.delay(interval);
    assert.ok(await ok(), `${what}: stays in sync (sample ${i}): ${describe()}`);
    spreads.push(last.spread);
  }
  return last;
}

const play = (p) => p.page.getByTestId('video-play');
const isPlayingButton = async (p) => (await play(p).getAttribute('aria-pressed')) === 'true';

test('a video uploaded by one shows, focused, for the other', { timeout: 90_000 }, async () => {
  [ana, bruno] = await h.joinWithoutMedia(browser, server, ROOM, ['Ana', 'Bruno']);
  await h.waitForTiles(bruno.page, (ts) => ts.length === 2, 'Bruno: 2 tiles');

  await ana.page.getByTestId('elements-add-video-menu').click();
  await ana.page.getByTestId('elements-add-video').setInputFiles(webm);
  for (const p of [ana, bruno]) {
    await h.waitForElementTabs(p, 'video');
    assert.equal(await p.page.getByTestId('element-tab').getAttribute('aria-pressed'), 'true', `${p.label}: the video is focused`);
    await h.waitUntil(async () => (await reading(p.page))?.ready >= 1, { what: `${p.label}: the video's metadata loaded` });
  }
  assert.equal(await ana.page.getByTestId('video-upload-error').count(), 0);
  elementId = await bruno.page.getByTestId('element-tab').getAttribute('data-element-id');
  const room = await serverSnapshot('rooms', ROOM);
  assert.equal(room.focus, elementId);
  assert.deepEqual(room.elements.map((e) => [e.kind, e.title]), [['video', 'Test pattern']]);
  const doc = await videoDoc();
  assert.match(doc.source.blob, /^[0-9a-f]{64}$/);
  assert.equal(doc.playing, false);
  assert.equal(doc.position, 0);
  assert.equal(doc.rate, 1);
  assert.ok(Math.abs(doc.duration - LENGTH_S) < 0.3, `duration ${doc.duration}`);
  assert.ok(Math.abs(doc.at - Date.now()) < 10_000, 'at is server time (Unix ms)');
  assert.equal(await bruno.page.getByTestId('video-status').textContent(), 'Paused');
  const clock = await bruno.page.evaluate(() => window.__tertulia.serverClock);
  assert.ok(clock && Math.abs(clock.offset) < 100 && clock.rtt < 200, `Bruno's clock estimate ${h.show(clock)} (server on the same machine)`);
  h.assertNoConsoleErrors(ana, bruno);
});

test('play: both pages play, within half a second', { timeout: 60_000 }, async () => {
  const clicked = Date.now();
  await play(ana).click();
  let s;
  await h.waitUntil(async () => (s = await positions([ana, bruno])) && s.list.every((r) => !r.paused && r.t > 0) && s.spread <= TOLERANCE_S, {
    what: 'both playing, together',
    interval: 20,
    describe: () => h.show(fmt(s)),
  });
  console.log(`video: both pages playing within ${TOLERANCE_S} s of each other ${Date.now() - clicked} ms after the click`);
  const first = await inSync([ana, bruno], true, 'after play');
  // It really plays: the positions move on with the clock.
  await h.delay(1500);
  const later = await positions([ana, bruno]);
  const moved = later.list[0].pos - first.list[0].pos;
  assert.ok(moved > 1.0 && moved < 2.5, `moved ${moved.toFixed(2)} s in ~1.5 s`);
  assert.ok(await isPlayingButton(bruno), 'Bruno’s button shows pause');

  await ana.page.setViewportSize({ width: 1280, height: 800 });
  await h.delay(300);
  await h.screenshot(ana.page, 'video-1280x800');
  await ana.page.setViewportSize({ width: 375, height: 700 });
  await h.delay(300);
  await h.screenshot(ana.page, 'video-375x700');
  await ana.page.setViewportSize({ width: 1280, height: 720 });
  h.assertNoConsoleErrors(ana, bruno);
});

test('seek: one moves to 12 s, both follow', { timeout: 60_000 }, async () => {
  await ana.page.getByTestId('video-seek').fill('12');
  const doc = await h.waitUntil(async () => {
    const d = await videoDoc();
    return d.position === 12 && d;
  }, { what: 'the server’s state at 12 s' });
  assert.equal(doc.playing, true, 'a seek keeps playing');
  const s = await inSync([ana, bruno], true, 'after the seek to 12 s');
  assert.ok(s.list.every((r) => r.pos >= 12 && r.pos < 16), h.show(fmt(s)));
  h.assertNoConsoleErrors(ana, bruno);
});

test('pause by the other: both paused at the same frame', { timeout: 60_000 }, async () => {
  await play(bruno).click();
  const s = await inSync([ana, bruno], false, 'after Bruno paused', { samples: 3 });
  assert.ok(s.spread < 0.1, `paused pages show the same frame: ${h.show(fmt(s))}`);
  const doc = await videoDoc();
  assert.ok(doc.position > 12 && doc.position < 18, `paused at ${doc.position}`);
  assert.equal(await ana.page.getByTestId('video-status').textContent(), 'Paused');
  h.assertNoConsoleErrors(ana, bruno);
});

test('speed: 1.5× for everyone, still in sync', { timeout: 60_000 }, async () => {
  await bruno.page.getByTestId('video-back').click();
  await bruno.page.getByTestId('video-rate').selectOption('1.5');
  await play(ana).click();
  const a = await inSync([ana, bruno], true, 'at 1.5×');
  assert.equal((await videoDoc()).rate, 1.5);
  assert.ok(a.list.every((r) => Math.abs(r.rate - 1.5) <= 0.16), `playbackRate near 1.5: ${h.show(fmt(a))}`);
  await h.delay(1000);
  const b = await positions([ana, bruno]);
  const speed = (b.list[0].pos - a.list[0].pos) / ((b.ref - a.ref) / 1000);
  assert.ok(speed > 1.3 && speed < 1.7, `moves at ${speed.toFixed(2)}×`);
  await ana.page.getByTestId('video-rate').selectOption('1');
  await inSync([ana, bruno], true, 'back at 1×', { samples: 2 });
  h.assertNoConsoleErrors(ana, bruno);
});

test('actions at the same moment end in one state for all (server order)', { timeout: 120_000 }, async () => {
  for (let round = 0; round < 6; round++) {
    const target = String(2 + round);
    const [toggler, seeker] = round % 2 ? [bruno, ana] : [ana, bruno];
    await Promise.all([play(toggler).click(), seeker.page.getByTestId('video-seek').fill(target)]);
    // Whichever the server took last wins whole: either the toggle (with the
    // position it saw) or the seek (with the playing state it saw).
    await h.delay(300);
    await inSync([ana, bruno], null, `round ${round}`, { samples: 2, interval: 200 });
    const doc = await videoDoc();
    assert.equal(await isPlayingButton(ana), doc.playing);
    assert.equal(await isPlayingButton(bruno), doc.playing);
  }
  if (!(await videoDoc()).playing) await play(ana).click();
  await inSync([ana, bruno], true, 'playing again');
  h.assertNoConsoleErrors(ana, bruno);
});

test('a late joiner starts at the current position', { timeout: 60_000 }, async () => {
  await ana.page.getByTestId('video-seek').fill('3');
  await inSync([ana, bruno], true, 'before Carla', { samples: 1 });
  [carla] = await h.joinWithoutMedia(browser, server, ROOM, ['Carla']);
  await inSync([ana, bruno, carla], true, 'with Carla');
  // She clicked Join, a user gesture: sound is allowed.
  assert.equal((await reading(carla.page)).muted, false);
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('a page without a user gesture plays muted and offers to unmute', { timeout: 60_000 }, async () => {
  await ana.page.getByTestId('video-seek').fill('1');
  const dora = await browser.newParticipant(server, 'Dora');
  // Every Playwright action and evaluation counts as a user gesture, so
  // this page joins by itself (untrusted clicks from a script) and reports
  // on the console once its video plays; the test touches it only after.
  // It has no camera or microphone: Chromium lets a page that is capturing
  // them play sound without a gesture.
  await dora.context.addInitScript((room) => {
    if (location.pathname !== `/r/${room}`) return;
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('no devices on this page', 'NotFoundError'));
    const q = (id) => document.querySelector(`[data-testid="${id}"]`);
    let joined = false;
    const timer = setInterval(() => {
      const name = q('display-name');
      if (!joined && name && q('join')) {
        // One step per tick: the page re-renders between them.
        if (name.value !== 'Dora') {
          Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(name, 'Dora');
          return name.dispatchEvent(new Event('input', { bubbles: true }));
        }
        const on = ['prejoin-mic', 'prejoin-cam'].map(q).filter((b) => b && b.getAttribute('aria-pressed') === 'true');
        if (on.length) return on.forEach((b) => b.click());
        joined = true;
        q('join').click();
      }
      const v = q('video-player');
      if (v && !v.paused && v.currentTime > 0) {
        clearInterval(timer);
        console.log(`dora-autoplay ${JSON.stringify({ muted: v.muted, activation: navigator.userActivation.hasBeenActive })}`);
      }
    }, 100);
  }, ROOM);
  try {
    await doraPlaysMuted(dora);
  } finally {
    // Dora leaves whatever happened: the later tests count three pages.
    await dora.page.getByTestId('leave').click({ timeout: 5_000 }).catch(() => {});
    await dora.close();
  }
});

async function doraPlaysMuted(dora) {
  const report = new Promise((resolve) => dora.page.on('console', (m) => m.text().startsWith('dora-autoplay ') && resolve(JSON.parse(m.text().slice(14)))));
  await dora.page.goto(`/r/${encodeURIComponent(ROOM)}`, { waitUntil: 'domcontentloaded' });
  const r = await h.withTimeout(report, 30_000, 'Dora’s page to join by itself and play');
  assert.deepEqual(r, { muted: true, activation: false }, 'no gesture: the browser allowed only muted playback');
  await dora.page.getByTestId('video-unmute').waitFor({ state: 'visible' });
  await inSync([ana, bruno, dora], true, 'with Dora (muted)', { samples: 2 });
  await h.screenshot(dora.page, 'video-unmute-1280x720');
  await dora.page.getByTestId('video-unmute').click();
  await h.waitUntil(async () => (await reading(dora.page)).muted === false, { what: 'Dora: unmuted' });
  await h.delay(500);
  const after = await reading(dora.page);
  assert.equal(after.paused, false, 'unmuting with a click keeps it playing');
  assert.equal(await dora.page.getByTestId('video-unmute').count(), 0);
  h.assertNoConsoleErrors(ana, bruno, carla, dora);
}

test('the server restarts mid-session: state intact, playback and control carry on', { timeout: 90_000 }, async () => {
  const people = [ana, bruno, carla];
  await bruno.page.getByTestId('video-seek').fill('1');
  await inSync(people, true, 'before the restart', { samples: 1 });
  const before = await videoDoc();
  // Reconnect attempts while the server is down are logged by Chromium.
  for (const p of people) p.allow(h.OUTAGE_ERRORS);
  await server.restart({
    whileDown: async () => {
      await h.waitForSocketDown(carla);
      // Without the server, every page still plays on in step.
      const s = await positions(people);
      assert.ok(s.list.every((r) => !r.paused) && s.spread <= TOLERANCE_S, `while the server is down: ${h.show(fmt(s))}`);
    },
  });
  for (const p of people) {
    await h.waitUntil(() => p.page.evaluate(() => window.__tertulia.wsState === 'open' && !!window.__tertulia.self), {
      what: `${p.label}: reconnected`,
      timeout: 30_000,
    });
  }
  const after = await videoDoc();
  for (const k of ['source', 'playing', 'position', 'rate', 'at', 'duration']) assert.deepEqual(after[k], before[k], `${k} survived`);
  await inSync(people, true, 'after the restart');
  // A new action works.
  await play(carla).click();
  await inSync(people, false, 'Carla paused after the restart', { samples: 2 });
  await play(bruno).click();
  await inSync(people, true, 'Bruno played again', { samples: 2 });
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('the end of the video: shown as ended, no seek loop, play starts over', { timeout: 60_000 }, async () => {
  const people = [ana, bruno, carla];
  await bruno.page.getByTestId('video-seek').fill('17');
  await inSync(people, true, 'near the end', { samples: 1, interval: 100 });
  for (const p of people) {
    await h.waitUntil(async () => (await p.page.getByTestId('video-status').textContent()) === 'Ended', { what: `${p.label}: ended`, timeout: 10_000 });
  }
  const seeks = () => Promise.all(people.map((p) => p.page.evaluate(() => window.__tertulia.video.seeks)));
  const before = await seeks();
  await h.delay(1500);
  assert.deepEqual(await seeks(), before, 'no seeks while ended');
  for (const p of people) {
    const r = await reading(p.page);
    assert.ok(r.paused && r.t > LENGTH_S - 0.6, `${p.label} rests at the end: ${h.show(r)}`);
  }
  await play(carla).click();
  const s = await inSync(people, true, 'started over');
  assert.ok(s.list.every((r) => r.pos < 5), h.show(fmt(s)));
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('whoever started playback leaves; the others play on in sync and still control it', { timeout: 60_000 }, async () => {
  // Ana acts last before leaving: the state she leaves behind is hers.
  await ana.page.getByTestId('video-seek').fill('2');
  await inSync([ana, bruno, carla], true, 'Ana’s last seek', { samples: 1 });
  await ana.page.getByTestId('leave').click();
  await ana.close();
  await h.waitForTiles(bruno.page, (ts) => ts.length === 2, 'Bruno: 2 tiles after Ana left');
  const a = await inSync([bruno, carla], true, 'without Ana');
  await h.delay(1500);
  const b = await positions([bruno, carla]);
  assert.ok(b.list[0].pos - a.list[0].pos > 1, 'still moving');
  await play(bruno).click();
  await inSync([bruno, carla], false, 'Bruno paused without Ana', { samples: 2 });
  h.assertNoConsoleErrors(bruno, carla);
  const spread = [...spreads].sort((x, y) => x - y);
  const q = (f) => spread[Math.min(spread.length - 1, Math.ceil(f * spread.length) - 1)];
  console.log(`video sync: spread between pages median ${(q(0.5) * 1000).toFixed(0)} ms, p95 ${(q(0.95) * 1000).toFixed(0)} ms, max ${(spread[spread.length - 1] * 1000).toFixed(0)} ms over ${spread.length} readings`);
  const counts = await Promise.all([bruno, carla].map((p) => p.page.evaluate(() => ({ seeks: window.__tertulia.video.seeks, nudges: window.__tertulia.video.nudges }))));
  console.log(`video control loop: Bruno ${h.show(counts[0])}, Carla ${h.show(counts[1])} (seeks; ticks nudging the rate)`);
});

test('a file that is not a video is refused with a clear message', { timeout: 30_000 }, async () => {
  // Chromium logs the refused request itself.
  carla.allow(/status of 415|Failed to load resource/);
  await carla.page.getByTestId('elements-add-video').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just text, not a video\n') });
  const err = carla.page.getByTestId('video-upload-error');
  await err.waitFor({ state: 'visible' });
  assert.equal(await err.getAttribute('data-code'), 'unsupported_type');
  assert.match(await err.textContent(), /WebM or MP4/);
  assert.equal((await serverSnapshot('rooms', ROOM)).elements.length, 1, 'nothing was added');
  await err.getByRole('button', { name: 'Dismiss' }).click();
  h.assertNoConsoleErrors(bruno, carla);
});

test('a YouTube link: parsed, added, and a clear message when YouTube cannot be reached', { timeout: 60_000 }, async () => {
  // Chromium reports the failed script load itself.
  for (const p of [bruno, carla]) p.allow(/youtube|ERR_NAME_NOT_RESOLVED|Content Security Policy|Failed to load resource/i);
  await bruno.page.getByTestId('elements-add-video-menu').click();
  await bruno.page.getByTestId('video-youtube-url').fill('not a link');
  await bruno.page.getByTestId('video-youtube-add').click();
  assert.equal(await bruno.page.getByTestId('video-upload-error').getAttribute('data-code'), 'bad_link');
  await bruno.page.getByTestId('video-youtube-url').fill('https://youtu.be/dQw4w9WgXcQ?t=42');
  await bruno.page.getByTestId('video-youtube-add').click();
  for (const p of [bruno, carla]) {
    await h.waitForElementTabs(p, 'video', { count: 2, what: `${p.label}: two video tabs` });
    const err = p.page.getByTestId('video-error');
    await err.waitFor({ state: 'visible', timeout: 25_000 });
    assert.match(await err.textContent(), /YouTube could not be reached/);
  }
  const room = await serverSnapshot('rooms', ROOM);
  const yt = await serverSnapshot('elements', `${ROOM}:${room.focus}`);
  assert.deepEqual(yt.source, { youtube: 'dQw4w9WgXcQ' });
  assert.equal(yt.position, 42);
  await h.screenshot(carla.page, 'video-youtube-unreachable');
  h.assertNoConsoleErrors(bruno, carla);
});
