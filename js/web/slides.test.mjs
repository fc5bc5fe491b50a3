// Slides through the web client: one uploads a PDF (made here by hand, five
// pages, each with its number in big letters), the other sees it focused and
// follows page changes; the latency from one's click to the other's finished
// render is measured over 50 changes; simultaneous page changes converge to
// the server's order; "browse alone" leaves the shared page alone; a late
// joiner sees the current page; a file that is not a PDF is refused with a
// clear message. Camera and microphone stay off (CPU).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';


import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `slides-${Date.now().toString(36)}`;
const NO_MEDIA = { mic: false, cam: false };
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

/** A minimal valid PDF: `n` landscape pages, each showing "Page i" in Helvetica. */
function makePdf(n) {
  const objects = [];
  const font = 3 + 2 * n;
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  const kids = [];
  for (let i = 1; i <= n; i++) {
    const pageObj = 1 + 2 * i;
    const contentObj = pageObj + 1;
    kids.push(`${pageObj} 0 R`);
    objects[pageObj] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 960 540] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${contentObj} 0 R >>`;
    const stream = `0.1 0.3 0.6 rg 0 0 960 540 re f 1 1 1 rg BT /F1 160 Tf 150 210 Td (Page ${i}) Tj ET`;
    objects[contentObj] = `<< /Length ${Buffer.byteLength(stream)} >>\nstream\n${stream}\nendstream`;
  }
  objects[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${n} >>`;
  objects[font] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
  let out = '%PDF-1.4\n';
  const offsets = [];
  for (let i = 1; i < objects.length; i++) {
    offsets[i] = Buffer.byteLength(out);
    out += `${i} 0 obj\n${objects[i]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let i = 1; i < objects.length; i++) out += `${String(offsets[i]).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

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
  ana = await browser.newParticipant(server, 'Ana');
  bruno = await browser.newParticipant(server, 'Bruno');
  await h.joinRoom(ana.page, ROOM, 'Ana', NO_MEDIA);
  await h.joinRoom(bruno.page, ROOM, 'Bruno', NO_MEDIA);
  await h.waitForTiles(bruno.page, (ts) => ts.length === 2, 'Bruno: 2 tiles');

  await ana.page.getByTestId('elements-add-slides').setInputFiles({ name: 'Quarterly deck.pdf', mimeType: 'application/pdf', buffer: makePdf(PAGES) });
  for (const [p, label] of [
    [ana.page, 'Ana'],
    [bruno.page, 'Bruno'],
  ]) {
    await h.waitUntil(async () => (await p.locator(`${h.byTestId('element-tab')}[data-kind="slides"]`).count()) === 1, {
      what: `${label}: the slides tab`,
    });
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

test('a late joiner sees the current page', { timeout: 60_000 }, async () => {
  const cur = await indicatorPage(ana.page);
  const target = cur === 4 ? 2 : 4;
  await ana.page.locator(`${h.byTestId('slides-thumb')}[data-page="${target}"]`).click();
  await waitRendered(bruno.page, target, `Bruno: page ${target}`);
  carla = await browser.newParticipant(server, 'Carla');
  await h.joinRoom(carla.page, ROOM, 'Carla', NO_MEDIA);
  await waitRendered(carla.page, target, `Carla: page ${target} on arrival`);
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
