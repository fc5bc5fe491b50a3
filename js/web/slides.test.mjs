// Slides through the web client: one uploads a PDF (written by h.makePdf: five
// pages, each with its number in big letters), the other sees it focused and
// follows page changes; the latency from one's click to the other's finished
// render is measured over 50 changes; simultaneous page changes converge to
// the server's order; "browse alone" leaves the shared page alone; zoom
// (buttons, ctrl+wheel, pinch, keyboard) and pan (drag) are shared while following
// and one's own while browsing alone, rendered sharp; a late joiner sees the
// current page and zoom; a file that is not a PDF is refused with a clear
// message. Camera and microphone stay off (CPU).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';


import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `slides-${Date.now().toString(36)}`;
const PAGES = 5;
let server;
let browser;
let ana;
let bruno;
let carla;
let elementId;

before(async () => {
  server = await h.startServer();
  browser = await h.launchBrowser();
});

const serverSnapshot = (collection, id) => h.serverSnapshot(server, ROOM, collection, id);

const renderedPage = async (page) => Number(await page.getByTestId('slides-canvas').getAttribute('data-page'));
const indicatorPage = async (page) => Number((await page.getByTestId('slides-page').textContent()).split('/')[0].trim());

async function waitRendered(page, n, what) {
  let last;
  await h.waitUntil(
    async () => {
      last = [await renderedPage(page), await indicatorPage(page)];
      return last[0] === n && last[1] === n;
    },
    { what, describe: () => `rendered, indicator: ${h.show(last)}` },
  );
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];

test('a PDF uploaded by one shows, focused, for the other; page changes follow', { timeout: 90_000 }, async () => {
  [ana, bruno] = await h.joinWithoutMedia(browser, server, ROOM, ['Ana', 'Bruno']);
  await h.waitForTiles(bruno.page, (ts) => ts.length === 2, 'Bruno: 2 tiles');

  await ana.page.getByTestId('elements-add-slides').setInputFiles({ name: 'Quarterly deck.pdf', mimeType: 'application/pdf', buffer: h.makePdf(PAGES) });
  for (const who of [ana, bruno]) {
    const { page: p, label } = who;
    await h.waitForElementTabs(who, 'slides');
    await waitRendered(p, 1, `${label}: page 1 rendered`);
    assert.equal(await p.getByTestId('element-tab').getAttribute('aria-pressed'), 'true', `${label}: the slides are focused`);
    assert.equal(await p.getByTestId('slides-follow').getAttribute('aria-pressed'), 'true', `${label}: following by default`);
  }
  assert.equal(await ana.page.getByTestId('upload-error').count(), 0);
  elementId = await bruno.page.getByTestId('element-tab').getAttribute('data-element-id');
  const room = await serverSnapshot('rooms', ROOM);
  assert.equal(room.focus, elementId);
  assert.deepEqual(room.elements.map((e) => [e.id, e.kind, e.title]), [[elementId, 'slides', 'Quarterly deck']]);
  const deck = await serverSnapshot('elements', `${ROOM}:${elementId}`);
  assert.equal(deck.kind, 'slides');
  assert.equal(deck.pages, PAGES);
  assert.equal(deck.page, 1);
  assert.match(deck.blob, /^[0-9a-f]{64}$/);

  // Thumbnails, one per page.
  await h.waitUntil(async () => (await bruno.page.getByTestId('slides-thumb').count()) === PAGES, { what: 'Bruno: 5 thumbnails' });

  // Ana goes to page 3 → Bruno renders page 3.
  await ana.page.locator(`${h.byTestId('slides-thumb')}[data-page="3"]`).click();
  await waitRendered(bruno.page, 3, 'Bruno: page 3 after Ana picked it');
  await waitRendered(ana.page, 3, 'Ana: page 3');
  assert.equal((await serverSnapshot('elements', `${ROOM}:${elementId}`)).page, 3);

  // Keyboard on the stage.
  await ana.page.locator('.slides-stage').focus();
  await ana.page.keyboard.press('End');
  await waitRendered(bruno.page, PAGES, 'Bruno: the last page after End');
  await ana.page.keyboard.press('ArrowLeft');
  await waitRendered(bruno.page, PAGES - 1, 'Bruno: one page back after ←');
  await ana.page.keyboard.press('Home');
  await waitRendered(bruno.page, 1, 'Bruno: page 1 after Home');

  await ana.page.setViewportSize({ width: 1280, height: 800 });
  await waitRendered(ana.page, 1, 'Ana: page 1 after resize');
  await h.delay(300);
  await h.screenshot(ana.page, 'slides-1280x800');
  await ana.page.setViewportSize({ width: 375, height: 700 });
  await h.delay(300);
  await h.screenshot(ana.page, 'slides-375x700');
  await ana.page.setViewportSize({ width: 1280, height: 720 });
  // The canvas is refitted to the new stage (a render after the resize).
  await h.delay(500);
  h.assertNoConsoleErrors(ana, bruno);
});

test('the presenter’s pointer shows to the others as a dot', { timeout: 30_000 }, async () => {
  // Ana's canvas, once it stopped moving (refitted after the resizes).
  let prev = null;
  const box = await h.waitUntil(
    async () => {
      const b = await ana.page.getByTestId('slides-canvas').boundingBox();
      const same = prev && JSON.stringify(b) === JSON.stringify(prev);
      prev = b;
      return same ? b : null;
    },
    { what: 'Ana: the canvas settled', interval: 200 },
  );
  await ana.page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.75, { steps: 4 });
  const dot = bruno.page.getByTestId('slides-pointer');
  await dot.waitFor({ state: 'visible', timeout: h.UI_TIMEOUT_MS });
  const anaId = await ana.page.evaluate(() => window.__tertulia.self.id);
  assert.equal(await dot.getAttribute('data-participant'), anaId);
  // Where Ana points on her page is where Bruno sees it on his (ratios).
  const bc = await bruno.page.getByTestId('slides-canvas').boundingBox();
  const bd = await dot.boundingBox();
  const rx = (bd.x + bd.width / 2 - bc.x) / bc.width;
  const ry = (bd.y + bd.height / 2 - bc.y) / bc.height;
  assert.ok(Math.abs(rx - 0.25) < 0.03 && Math.abs(ry - 0.75) < 0.03, `dot at ${rx.toFixed(3)}, ${ry.toFixed(3)}`);
  await ana.page.mouse.move(2, 2);
  await h.waitUntil(async () => (await dot.count()) === 0, { what: 'Bruno: the dot gone when Ana’s pointer left' });
  h.assertNoConsoleErrors(ana, bruno);
});

test('latency from a click to the other page rendered, over 50 changes', { timeout: 120_000 }, async () => {
  let page = await indicatorPage(ana.page);
  let dir = 1;
  const latencies = [];
  for (let i = 0; i < 50; i++) {
    if (page + dir < 1 || page + dir > PAGES) dir = -dir;
    const target = page + dir;
    const before = await ana.page.evaluate(() => window.__tertulia.slidesChangedAt.length);
    await ana.page.getByTestId(dir > 0 ? 'slides-next' : 'slides-prev').click();
    const clickedAt = await h.waitUntil(
      () =>
        ana.page.evaluate(
          ([n, t]) => {
            const c = window.__tertulia.slidesChangedAt;
            return c.length > n && c[c.length - 1].page === t ? c[c.length - 1].at : null;
          },
          [before, target],
        ),
      { what: `Ana: change ${i} to page ${target} recorded`, interval: 5 },
    );
    const renderedAt = await h.waitUntil(
      () =>
        bruno.page.evaluate(
          ([t, at]) => window.__tertulia.slidesRenderedAt.find((r) => r.page === t && r.at >= at)?.at ?? null,
          [target, clickedAt],
        ),
      { what: `Bruno: page ${target} rendered (change ${i})`, interval: 5 },
    );
    latencies.push(renderedAt - clickedAt);
    page = target;
    await waitRendered(ana.page, target, `Ana: page ${target}`);
  }
  latencies.sort((a, b) => a - b);
  const median = quantile(latencies, 0.5);
  const p95 = quantile(latencies, 0.95);
  console.log(`slides latency: median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms over ${latencies.length} changes`);
  assert.ok(p95 < 200, `p95 ${p95} ms should stay under 200 ms`);
  h.assertNoConsoleErrors(ana, bruno);
});

test('browsing alone leaves the shared page; back to the presenter follows again', { timeout: 60_000 }, async () => {
  await ana.page.locator(`${h.byTestId('slides-thumb')}[data-page="2"]`).click();
  await waitRendered(bruno.page, 2, 'Bruno: page 2');
  await bruno.page.getByTestId('slides-follow').click();
  assert.equal(await bruno.page.getByTestId('slides-follow').getAttribute('aria-pressed'), 'false');
  await bruno.page.getByTestId('slides-next').click();
  await bruno.page.getByTestId('slides-next').click();
  await waitRendered(bruno.page, 4, 'Bruno: page 4, alone');
  await h.delay(300);
  assert.equal(await renderedPage(ana.page), 2, 'Ana stays on page 2');
  assert.equal((await serverSnapshot('elements', `${ROOM}:${elementId}`)).page, 2);
  // The presenter moves on; Bruno, browsing alone, stays where he is.
  await ana.page.getByTestId('slides-prev').click();
  await waitRendered(ana.page, 1, 'Ana: page 1');
  await h.delay(300);
  assert.equal(await renderedPage(bruno.page), 4, 'Bruno still on page 4 while browsing alone');
  await bruno.page.getByTestId('slides-follow').click();
  assert.equal(await bruno.page.getByTestId('slides-follow').getAttribute('aria-pressed'), 'true');
  await waitRendered(bruno.page, 1, 'Bruno: back to the presenter’s page 1');
  h.assertNoConsoleErrors(ana, bruno);
});

test('simultaneous page changes end on the same page as the server', { timeout: 120_000 }, async () => {
  for (let round = 0; round < 20; round++) {
    const cur = await indicatorPage(ana.page);
    const anaButton = cur < PAGES ? 'slides-next' : 'slides-prev';
    const brunoTarget = 1 + ((round * 3 + 1) % PAGES);
    await Promise.all([
      ana.page.getByTestId(anaButton).click(),
      bruno.page.locator(`${h.byTestId('slides-thumb')}[data-page="${brunoTarget}"]`).click(),
    ]);
    let last = [];
    await h.waitUntil(
      async () => {
        const now = [await renderedPage(ana.page), await renderedPage(bruno.page), await indicatorPage(ana.page), await indicatorPage(bruno.page)];
        const same = now.every((v) => v === now[0]) && JSON.stringify(now) === JSON.stringify(last);
        last = now;
        return same;
      },
      { what: `round ${round}: both on the same page`, interval: 150, describe: () => h.show(last) },
    );
  }
  const final = await renderedPage(ana.page);
  assert.equal((await serverSnapshot('elements', `${ROOM}:${elementId}`)).page, final, 'the server agrees');
  assert.equal(await renderedPage(bruno.page), final);
  h.assertNoConsoleErrors(ana, bruno);
});

const zoomOf = async (page) => {
  const b = page.getByTestId('slides-zoom-reset');
  return { zoom: Number(await b.getAttribute('data-zoom')), pan: (await b.getAttribute('data-pan')).split(',').map(Number) };
};

/**
 * The deck's shared zoom and pan once the server has the gesture's last step:
 * a drag or a pinch sends several ops, and the server passes through each, so
 * the first value past a threshold may be an intermediate one. Waits until it
 * also equals what `page` (the one who gestured) shows, and `ok` holds.
 */
async function settledGesture(deck, page, ok, what) {
  return h.waitUntil(async () => {
    const d = await deck();
    const mine = await zoomOf(page);
    return ok(d) && d.zoom === mine.zoom && JSON.stringify(d.pan) === JSON.stringify(mine.pan) ? d : null;
  }, { what });
}

/** Waits until `page` shows `want` ({zoom, pan}) and has rendered at that zoom. */
async function waitZoom(page, want, what) {
  let last;
  await h.waitUntil(
    async () => {
      last = { ...(await zoomOf(page)), rendered: await page.getByTestId('slides-canvas').getAttribute('data-zoom') };
      return last.zoom === want.zoom && JSON.stringify(last.pan) === JSON.stringify(want.pan) && last.rendered === String(want.zoom);
    },
    { what, describe: () => `${h.show(last)}, want ${h.show(want)}` },
  );
}

test('zoom and pan are shared while following, alone while browsing alone, and stay sharp', { timeout: 90_000 }, async () => {
  const deck = () => serverSnapshot('elements', `${ROOM}:${elementId}`);
  // Two clicks on + : 1.25².
  await ana.page.getByTestId('slides-zoom-in').click();
  await ana.page.getByTestId('slides-zoom-in').click();
  await waitZoom(bruno.page, { zoom: 1.563, pan: [0.5, 0.5] }, 'Bruno: zoomed in with Ana');
  assert.deepEqual([(await deck()).zoom, (await deck()).pan], [1.563, [0.5, 0.5]]);
  assert.equal(await bruno.page.getByTestId('slides-zoom-reset').textContent(), '156%');
  // Rendered at the zoomed resolution: one bitmap pixel per CSS pixel (and device pixel ratio).
  const sharpness = (page) =>
    page.evaluate(() => {
      const c = document.querySelector('[data-testid="slides-canvas"]');
      return (c.width / parseFloat(c.style.width)) / (window.devicePixelRatio || 1);
    });
  assert.ok(Math.abs((await sharpness(bruno.page)) - 1) < 0.02, `Bruno's bitmap is sharp: ${await sharpness(bruno.page)}`);

  // One more step, so that the page overflows the stage both ways on any layout.
  await ana.page.getByTestId('slides-zoom-in').click();
  await waitZoom(bruno.page, { zoom: 1.954, pan: [0.5, 0.5] }, 'Bruno: 195%');
  // Ana drags the page up and left: everyone's view moves right and down.
  const stage = await ana.page.locator('.slides-stage').boundingBox();
  const cx = stage.x + stage.width / 2;
  const cy = stage.y + stage.height / 2;
  await ana.page.mouse.move(cx, cy);
  await ana.page.mouse.down();
  await ana.page.mouse.move(cx - 150, cy - 80, { steps: 8 });
  await ana.page.mouse.up();
  const dragged = await settledGesture(deck, ana.page, (d) => d.pan[0] > 0.55 && d.pan[1] > 0.55, 'the server to have Ana’s pan');
  await waitZoom(bruno.page, { zoom: dragged.zoom, pan: dragged.pan }, 'Bruno: panned with Ana');

  // Ctrl+wheel zooms in at the cursor.
  await ana.page.mouse.move(cx + 100, cy + 50);
  await ana.page.keyboard.down('Control');
  await ana.page.mouse.wheel(0, -100);
  await ana.page.keyboard.up('Control');
  const wheeled = await h.waitUntil(async () => {
    const d = await deck();
    return d.zoom > 2.4 && d.zoom < 2.6 ? d : null;
  }, { what: 'the server to have Ana’s ctrl+wheel zoom' });
  await waitZoom(bruno.page, { zoom: wheeled.zoom, pan: wheeled.pan }, 'Bruno: zoomed by Ana’s wheel');
  assert.ok(Math.abs((await sharpness(bruno.page)) - 1) < 0.02, 'still sharp at 2.5×');

  // Screenshots of the zoomed page, at two sizes (the same place in view on both).
  await bruno.page.setViewportSize({ width: 1280, height: 800 });
  await waitZoom(bruno.page, { zoom: wheeled.zoom, pan: wheeled.pan }, 'Bruno: rendered at 1280×800');
  await h.delay(400);
  await h.screenshot(bruno.page, 'slides-zoomed-1280x800');
  await bruno.page.setViewportSize({ width: 375, height: 700 });
  await h.delay(600);
  await h.screenshot(bruno.page, 'slides-zoomed-375x700');
  await bruno.page.setViewportSize({ width: 1280, height: 720 });

  // Browsing alone, Bruno's zoom is his own.
  await bruno.page.getByTestId('slides-follow').click();
  await bruno.page.getByTestId('slides-zoom-out').click();
  await h.waitUntil(async () => (await zoomOf(bruno.page)).zoom < wheeled.zoom, { what: 'Bruno: zoomed out alone' });
  await h.delay(300);
  assert.deepEqual((await deck()).zoom, wheeled.zoom, 'the shared zoom did not move');
  assert.equal((await zoomOf(ana.page)).zoom, wheeled.zoom, 'nor Ana’s');
  await bruno.page.getByTestId('slides-follow').click();
  await waitZoom(bruno.page, { zoom: wheeled.zoom, pan: wheeled.pan }, 'Bruno: back to the shared zoom');

  // Keyboard: 0 fits the page again, for everyone.
  await ana.page.locator('.slides-stage').focus();
  await ana.page.keyboard.press('0');
  await waitZoom(bruno.page, { zoom: 1, pan: [0.5, 0.5] }, 'Bruno: the whole page again');
  assert.deepEqual([(await deck()).zoom, (await deck()).pan], [1, [0.5, 0.5]]);
  // Two fingers spreading apart zoom in (touch events through the DevTools protocol).
  const cdp = await ana.page.context().newCDPSession(ana.page);
  const fingers = (d) => [
    { x: cx - d, y: cy, id: 0 },
    { x: cx + d, y: cy, id: 1 },
  ];
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers(40) });
  for (let d = 50; d <= 120; d += 10) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: fingers(d) });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
  const pinched = await settledGesture(deck, ana.page, (d) => d.zoom > 2.5, 'the server to have Ana’s pinch zoom (about 3×)');
  await waitZoom(bruno.page, { zoom: pinched.zoom, pan: pinched.pan }, 'Bruno: zoomed by Ana’s pinch');
  await ana.page.getByTestId('slides-zoom-reset').click();
  await waitZoom(bruno.page, { zoom: 1, pan: [0.5, 0.5] }, 'Bruno: the whole page after the reset button');
  // Zoomed in again for the late joiner.
  await ana.page.getByTestId('slides-zoom-in').click();
  await waitZoom(bruno.page, { zoom: 1.25, pan: [0.5, 0.5] }, 'Bruno: 125%');
  h.assertNoConsoleErrors(ana, bruno);
});

test('a late joiner sees the current page', { timeout: 60_000 }, async () => {
  const cur = await indicatorPage(ana.page);
  const target = cur === 4 ? 2 : 4;
  await ana.page.locator(`${h.byTestId('slides-thumb')}[data-page="${target}"]`).click();
  await waitRendered(bruno.page, target, `Bruno: page ${target}`);
  [carla] = await h.joinWithoutMedia(browser, server, ROOM, ['Carla']);
  await waitRendered(carla.page, target, `Carla: page ${target} on arrival`);
  await waitZoom(carla.page, { zoom: 1.25, pan: [0.5, 0.5] }, 'Carla: the shared zoom on arrival');
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('after a server restart the deck and its page are intact and presenting goes on', { timeout: 120_000 }, async () => {
  for (const p of [ana, bruno, carla]) p.allow(h.OUTAGE_ERRORS);
  const target = (await indicatorPage(ana.page)) === PAGES ? 1 : PAGES;
  // The keys go to the stage; the reconnecting banner may cover buttons.
  await ana.page.locator('.slides-stage').focus();
  await server.restart({
    whileDown: async () => {
      await h.waitForSocketDown(ana);
      // Changed while the server is away: a pending op, sent after the reconnect.
      await ana.page.keyboard.press(target === 1 ? 'Home' : 'End');
    },
  });
  await h.waitForReconnect([ana, bruno, carla]);
  for (const p of [ana, bruno, carla]) await waitRendered(p.page, target, `${p.label}: page ${target}, changed during the outage`);
  await h.waitUntil(async () => (await serverSnapshot('elements', `${ROOM}:${elementId}`)).page === target, {
    what: 'the server to have the page changed during the outage',
  });
  // The PDF still comes from the restarted server, and presenting goes on.
  const next = target === 1 ? 2 : PAGES - 1;
  await bruno.page.locator(`${h.byTestId('slides-thumb')}[data-page="${next}"]`).click();
  await waitRendered(ana.page, next, `Ana: page ${next} from Bruno after the restart`);
  await waitRendered(carla.page, next, `Carla: page ${next} from Bruno after the restart`);
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('a file that is not a PDF is refused with a clear message', { timeout: 30_000 }, async () => {
  // Chromium logs the refused request itself as a console error.
  h.allowConsoleErrors(carla.page, /status of 415|Failed to load resource/);
  await carla.page.getByTestId('elements-add-slides').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('just text, not slides\n') });
  const err = carla.page.getByTestId('upload-error');
  await err.waitFor({ state: 'visible', timeout: h.UI_TIMEOUT_MS });
  assert.equal(await err.getAttribute('data-code'), 'unsupported_type');
  assert.match(await err.textContent(), /PDF/);
  assert.equal((await serverSnapshot('rooms', ROOM)).elements.length, 1, 'nothing was added');
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('an office document that cannot be converted says why', { timeout: 60_000 }, async () => {
  // Looks like a PPTX to the server's sniffing, but is no real document:
  // without LibreOffice it is `converter_missing`, with it `conversion_failed`.
  const fake = Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('....[Content_Types].xml....ppt/slides/slide1.xml'), Buffer.alloc(256, 0x20)]);
  await carla.page.getByTestId('elements-add-slides').setInputFiles({ name: 'talk.pptx', mimeType: 'application/octet-stream', buffer: fake });
  const err = carla.page.getByTestId('upload-error');
  await h.waitUntil(async () => /converter_missing|conversion_failed|conversion_timeout/.test((await err.getAttribute('data-code').catch(() => '')) ?? ''), {
    timeout: 45_000,
    what: 'Carla: the conversion failure shown',
    describe: async () => h.show(await carla.page.locator('.slides-upload').innerText()),
  });
  assert.ok((await err.textContent()).length > 20, 'a message, not just a code');
  assert.equal((await serverSnapshot('rooms', ROOM)).elements.length, 1, 'nothing was added');
  h.assertNoConsoleErrors(ana, bruno, carla);
});
