// The shared map through the web client, with tiles from a tile server of
// our own on loopback (`--map-tiles`; the browser fetching from it proves
// the configured URL and the page's CSP): one adds a map, the other sees
// it focused; one drags and zooms, the other's view follows (already while
// the mouse is down); markers added at the same moment by both survive; a
// label edited by one and a marker removed by the other reach everyone; a
// label with markup shows as text; a late joiner sees the view and the
// markers; after a server restart (with a marker added and a zoom made
// while it was down) everything is intact and editing goes on. Camera and
// microphone stay off (CPU).

import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import zlib from 'node:zlib';

import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `map-${Date.now().toString(36)}`;
const ATTRIBUTION = 'Test tiles <b>&amp;</b> friends';
let tiles;
let server;
let browser;
let ana;
let bruno;
let carla;
let elementId;

// ---------------------------------------------------------------------------
// A tile server: any /tiles/{z}/{x}/{y}.png is a 256×256 PNG, a checkerboard
// square with a darker border, so a screenshot shows the grid move.

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

function png(light) {
  const size = 256;
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    const row = y * (size * 3 + 1);
    raw[row] = 0; // filter: none
    for (let x = 0; x < size; x++) {
      const edge = x < 2 || y < 2;
      const v = edge ? 120 : light ? 214 : 190;
      raw.set([v, edge ? 130 : v + 8, edge ? 140 : v - 10], row + 1 + x * 3);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

async function startTiles() {
  const images = [png(false), png(true)];
  const hits = [];
  const srv = http.createServer((req, res) => {
    const m = /^\/tiles\/(\d+)\/(-?\d+)\/(-?\d+)\.png$/.exec(req.url);
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const [z, x, y] = m.slice(1).map(Number);
    hits.push({ z, x, y });
    res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' });
    res.end(images[Math.abs(x + y) % 2]);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  h.onCleanup(
    () =>
      new Promise((resolve) => {
        srv.closeAllConnections();
        srv.close(resolve);
      }),
  );
  return { port: srv.address().port, hits };
}

before(async () => {
  tiles = await startTiles();
  server = await h.startServer({
    args: ['--map-tiles', `http://127.0.0.1:${tiles.port}/tiles/{z}/{x}/{y}.png`, '--map-attribution', ATTRIBUTION],
  });
  browser = await h.launchBrowser();
});

const serverSnapshot = (collection, id) => h.serverSnapshot(server, ROOM, collection, id);
const mapDoc = () => serverSnapshot('elements', `${ROOM}:${elementId}`);

/** The view a page shows (`map-view`'s data attributes). */
const viewOf = (page) =>
  page.getByTestId('map-view').evaluate((el) => ({ lat: Number(el.dataset.lat), lng: Number(el.dataset.lng), zoom: Number(el.dataset.zoom) }));

/** Two views are the same: one zoom, centers within two pixels at that zoom. */
function sameView(a, b) {
  const tol = (2 * 360) / (256 * 2 ** a.zoom);
  return a.zoom === b.zoom && Math.abs(a.lat - b.lat) <= tol && Math.abs(a.lng - b.lng) <= tol;
}

async function waitSameView(pages, what) {
  let last = [];
  return h.waitUntil(
    async () => {
      last = await Promise.all(pages.map(viewOf));
      return last.every((v) => Number.isFinite(v.zoom) && sameView(last[0], v)) ? last[0] : null;
    },
    { what, describe: () => h.show(last) },
  );
}

/** Markers a page shows: `[{id, label}]` sorted by id. */
const markersOn = (page) =>
  page.$$eval(h.byTestId('map-marker'), (els) =>
    els.map((e) => ({ id: e.dataset.markerId, label: e.querySelector('.map-pin-label').textContent })).sort((a, b) => (a.id < b.id ? -1 : 1)),
  );

async function waitMarkers(pages, pred, what) {
  let last = [];
  return h.waitUntil(
    async () => {
      last = await Promise.all(pages.map(markersOn));
      return last.every((m) => h.show(m) === h.show(last[0])) && pred(last[0]) ? last[0] : null;
    },
    { what, describe: () => h.show(last) },
  );
}

const pin = (page, id) => page.locator(`${h.byTestId('map-marker')}[data-marker-id="${id}"] .map-pin-dot`);

/** Adds a marker at `fx`, `fy` (fractions of the map) and labels it; resolves nothing (the id comes from the pages). */
async function addMarker(page, fx, fy, label) {
  await page.getByTestId('map-add-marker').click();
  await h.waitUntil(async () => (await page.getByTestId('map-add-marker').getAttribute('aria-pressed')) === 'true', { what: 'add-marker mode' });
  const box = await page.getByTestId('map-view').boundingBox();
  await page.getByTestId('map-view').click({ position: { x: box.width * fx, y: box.height * fy } });
  const input = page.getByTestId('map-marker-label');
  await input.waitFor({ state: 'visible' });
  await h.waitUntil(() => input.evaluate((el) => document.activeElement === el), { what: 'the new marker label field to have the focus' });
  await page.keyboard.type(label, { delay: 5 });
  await page.keyboard.press('Enter');
}

async function waitReady(page, label) {
  await page.getByTestId('map-view').waitFor({ state: 'visible' });
  await h.waitUntil(async () => page.getByTestId('map-add-marker').isEnabled(), { what: `${label}: the map to be ready` });
}

test('a map added by one shows, focused, for the other, with tiles from the configured server', { timeout: 90_000 }, async () => {
  [ana, bruno] = await h.joinWithoutMedia(browser, server, ROOM, ['Ana', 'Bruno']);

  await ana.page.getByTestId('elements-add-map').click();
  await bruno.page.locator(`${h.byTestId('element-tab')}[data-kind="map"]`).waitFor({ timeout: h.UI_TIMEOUT_MS });
  elementId = await bruno.page.getByTestId('element-tab').getAttribute('data-element-id');
  await waitReady(ana.page, 'Ana');
  await waitReady(bruno.page, 'Bruno');

  const doc = await mapDoc();
  assert.deepEqual(doc, { kind: 'map', title: 'Map', center: [20, 0], zoom: 2, markers: [] });
  const room = await serverSnapshot('rooms', ROOM);
  assert.equal(room.focus, elementId);
  const initial = await waitSameView([ana.page, bruno.page], 'both maps on the initial view');
  assert.ok(sameView(initial, { lat: 20, lng: 0, zoom: 2 }), h.show(initial));

  // Tiles came from our tile server, at the map's zoom.
  await h.waitUntil(() => tiles.hits.some((t) => t.z === 2), { what: 'the browser to fetch zoom-2 tiles from the tile server', describe: () => h.show(tiles.hits) });
  await h.waitUntil(() => bruno.page.locator('.leaflet-tile-loaded').count(), { what: 'loaded tiles on Bruno’s map' });
  // The attribution is text, whatever it holds.
  assert.equal(await bruno.page.getByTestId('map-attribution').textContent(), ATTRIBUTION);
  assert.equal(await bruno.page.locator(`${h.byTestId('map-attribution')} b`).count(), 0);
  h.assertNoConsoleErrors(ana, bruno);
});

test("one drags and zooms; the other's view follows, already during the drag", { timeout: 60_000 }, async () => {
  const start = await viewOf(bruno.page);
  const box = await ana.page.getByTestId('map-view').boundingBox();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await ana.page.mouse.move(cx, cy);
  await ana.page.mouse.down();
  for (let i = 1; i <= 10; i++) await ana.page.mouse.move(cx - 12 * i, cy + 6 * i);
  // The mouse is still down: Bruno already moved (the drag's throttled ops).
  await h.waitUntil(async () => (await viewOf(bruno.page)).lng !== start.lng, { what: "Bruno's map to move while Ana is still dragging" });
  for (let i = 11; i <= 20; i++) await ana.page.mouse.move(cx - 12 * i, cy + 6 * i);
  await ana.page.mouse.up();
  const dragged = await waitSameView([ana.page, bruno.page], 'both maps on the dragged view');
  assert.ok(dragged.lng > start.lng + 10, `dragging left moves east: ${h.show({ start, dragged })}`);

  const zoomIn = ana.page.getByRole('button', { name: 'Zoom in' });
  await zoomIn.click();
  await h.waitUntil(async () => (await viewOf(ana.page)).zoom === 3, { what: "Ana's map at zoom 3" });
  await zoomIn.click();
  await h.waitUntil(async () => (await viewOf(ana.page)).zoom === 4, { what: "Ana's map at zoom 4" });
  const zoomed = await waitSameView([ana.page, bruno.page], 'both maps at the zoomed view');
  assert.equal(zoomed.zoom, 4);
  await h.waitUntil(
    async () => {
      const d = await mapDoc();
      return sameView({ lat: d.center[0], lng: d.center[1], zoom: d.zoom }, await viewOf(ana.page));
    },
    { what: "the server's center and zoom to be Ana's" },
  );
  await h.waitUntil(() => tiles.hits.some((t) => t.z === 4), { what: 'zoom-4 tiles from the tile server' });
  h.assertNoConsoleErrors(ana, bruno);
});

test('markers added by both at the same moment all survive, on both pages and the server', { timeout: 60_000 }, async () => {
  await Promise.all([addMarker(ana.page, 0.3, 0.4, 'Ana’s café'), addMarker(bruno.page, 0.7, 0.6, 'Bruno’s bar')]);
  const shown = await waitMarkers(
    [ana.page, bruno.page],
    (m) => m.length === 2 && m.some((x) => x.label === 'Ana’s café') && m.some((x) => x.label === 'Bruno’s bar'),
    'both markers with their labels on both pages',
  );
  const doc = await h.waitUntil(
    async () => {
      const d = await mapDoc();
      return d.markers.length === 2 && d.markers.every((m) => m.label) ? d : null;
    },
    { what: 'both labelled markers on the server' },
  );
  const byLabel = Object.fromEntries(doc.markers.map((m) => [m.label, m]));
  assert.equal(byLabel['Ana’s café'].by, ana.self.id);
  assert.equal(byLabel['Bruno’s bar'].by, bruno.self.id);
  assert.ok(byLabel['Ana’s café'].lng < byLabel['Bruno’s bar'].lng && byLabel['Ana’s café'].lat > byLabel['Bruno’s bar'].lat, h.show(doc.markers));
  assert.deepEqual(shown.map((m) => m.id).sort(), doc.markers.map((m) => m.id).sort());
  // Same view, same viewport: each marker sits on the same pixel on both pages.
  for (const m of doc.markers) {
    const [a, b] = await Promise.all([pin(ana.page, m.id).boundingBox(), pin(bruno.page, m.id).boundingBox()]);
    assert.ok(Math.abs(a.x - b.x) <= 3 && Math.abs(a.y - b.y) <= 3, `${m.label}: ${h.show({ a, b })}`);
  }
  h.assertNoConsoleErrors(ana, bruno);
});

test("one edits the other's label, the other removes a marker; both reach everyone", { timeout: 60_000 }, async () => {
  const doc = await mapDoc();
  const cafe = doc.markers.find((m) => m.by === ana.self.id);
  const bar = doc.markers.find((m) => m.by === bruno.self.id);
  await pin(bruno.page, cafe.id).click();
  const input = bruno.page.getByTestId('map-marker-label');
  assert.equal(await input.inputValue(), 'Ana’s café');
  await input.fill('Café (closed Mondays)');
  await input.press('Enter');
  await waitMarkers([ana.page, bruno.page], (m) => m.some((x) => x.id === cafe.id && x.label === 'Café (closed Mondays)'), 'the edited label on both pages');

  await pin(ana.page, bar.id).click();
  await ana.page.getByTestId('map-marker-remove').click();
  await waitMarkers([ana.page, bruno.page], (m) => m.length === 1 && m[0].id === cafe.id, 'only the café left on both pages');
  await h.waitUntil(async () => h.show((await mapDoc()).markers.map((m) => [m.id, m.label])) === h.show([[cafe.id, 'Café (closed Mondays)']]), {
    what: 'the server to hold the edit and the removal',
  });
  h.assertNoConsoleErrors(ana, bruno);
});

test('a label with markup shows as text', { timeout: 60_000 }, async () => {
  const evil = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
  await addMarker(ana.page, 0.5, 0.3, evil);
  await waitMarkers([ana.page, bruno.page], (m) => m.some((x) => x.label === evil), 'the markup label, as text, on both pages');
  for (const p of [ana.page, bruno.page]) {
    assert.equal(await p.locator(`${h.byTestId('map-view')} img:not(.leaflet-tile), ${h.byTestId('map-view')} b`).count(), 0);
    assert.equal(await p.evaluate(() => window.__pwned), undefined);
  }
  h.assertNoConsoleErrors(ana, bruno);
});

test('a late joiner sees the view and the markers', { timeout: 60_000 }, async () => {
  const expected = await markersOn(ana.page);
  [carla] = await h.joinWithoutMedia(browser, server, ROOM, ['Carla']);
  await waitReady(carla.page, 'Carla');
  await waitSameView([ana.page, carla.page], "Carla's map on Ana's view");
  await waitMarkers([ana.page, carla.page], (m) => h.show(m) === h.show(expected), "Carla's markers to be Ana's");
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('after a server restart the map is intact and editing goes on', { timeout: 120_000 }, async () => {
  for (const p of [ana, bruno, carla]) p.allow(h.OUTAGE_ERRORS);
  const before = await markersOn(ana.page);
  await server.restart({
    whileDown: async () => {
      await h.waitForSocketDown(ana);
      // Made while the server is away: pending ops, sent after the reconnect.
      await addMarker(ana.page, 0.6, 0.5, 'offline');
      await ana.page.getByRole('button', { name: 'Zoom in' }).click();
      await h.waitUntil(async () => (await viewOf(ana.page)).zoom === 5, { what: "Ana's map at zoom 5 while offline" });
    },
  });
  await h.waitForReconnect([ana, bruno, carla]);
  const pages = [ana.page, bruno.page, carla.page];
  await waitMarkers(pages, (m) => m.length === before.length + 1 && m.some((x) => x.label === 'offline'), 'the offline marker on every page');
  const view = await waitSameView(pages, 'every map on the offline zoom');
  assert.equal(view.zoom, 5);

  await addMarker(bruno.page, 0.4, 0.6, 'after restart');
  const final = await waitMarkers(pages, (m) => m.some((x) => x.label === 'after restart'), 'a marker added after the restart on every page');
  await h.waitUntil(
    async () => {
      const d = await mapDoc();
      return d.zoom === 5 && h.show(d.markers.map((m) => m.id).sort()) === h.show(final.map((m) => m.id));
    },
    { what: 'the server to hold every marker and the zoom' },
  );
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('screenshots of the map (1280×800 and 375×700)', { timeout: 60_000 }, async () => {
  await ana.page.setViewportSize({ width: 1280, height: 800 });
  const [first] = await markersOn(ana.page);
  await pin(ana.page, first.id).click();
  await h.delay(600);
  await h.screenshot(ana.page, 'map-1280x800');
  await bruno.page.setViewportSize({ width: 375, height: 700 });
  await h.delay(600);
  await h.screenshot(bruno.page, 'map-375x700');
  // A narrow page keeps the shared view (its size changed, not the view).
  await waitSameView([ana.page, bruno.page], 'the narrow map on the shared view');
  await bruno.page.setViewportSize({ width: 1280, height: 720 });
  h.assertNoConsoleErrors(ana, bruno, carla);
});
