// The shared whiteboard through the web client: one adds it, everyone sees it
// focused; two people drawing at the same moment both keep their strokes
// (on every page and in the server's snapshot); undo removes only one's own
// stroke, for everyone, and redo brings it back; a stroke in progress shows
// to the others; shapes, text and colours;
// the eraser (and undoing it); clear after a confirm (and undoing it); a
// late joiner sees everything; a server restart mid-session loses nothing
// and drawing goes on, including a stroke drawn while it was down; drawing
// over a slide shows on the same page for the other. Camera and microphone
// stay off (CPU).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `wb-${Date.now().toString(36)}`;
let server;
let browser;
let ana;
let bruno;
let carla;
let boardId;

before(async () => {
  server = await h.startServer();
  browser = await h.launchBrowser();
});

const serverSnapshot = (collection, id) => h.serverSnapshot(server, ROOM, collection, id);
const serverStrokes = async (id = boardId) => (await serverSnapshot('elements', `${ROOM}:${id}`))?.strokes ?? null;

/** The ids of the strokes a page last drew on board `key` (window.__tertulia.boardStrokes). */
const drawnIds = (page, key = boardId) => page.evaluate((k) => window.__tertulia.boardStrokes[k] ?? null, key);

/** Waits until every page drew the same strokes and `pred(ids)` holds; resolves the ids. */
async function converged(pages, what, pred, key = boardId) {
  let last = [];
  return h.waitUntil(
    async () => {
      last = await Promise.all(pages.map((p) => drawnIds(p.page, key)));
      const same = last.every((ids) => JSON.stringify(ids) === JSON.stringify(last[0]));
      return same && last[0] && pred(last[0]) ? last[0] : null;
    },
    { what, describe: () => h.show(Object.fromEntries(pages.map((p, i) => [p.label, last[i]]))) },
  );
}

/** Waits until the server's snapshot has exactly the strokes `ids`, in order; resolves the strokes. */
async function serverHas(ids, what, id = boardId) {
  let last;
  return h.waitUntil(
    async () => {
      last = await serverStrokes(id);
      return last && JSON.stringify(last.map((s) => s.id)) === JSON.stringify(ids) ? last : null;
    },
    { what, describe: () => h.show(last?.map((s) => [s.id, s.by, s.tool, s.page])) },
  );
}

/** Drags the mouse through `points` (ratios of the box of `testId`, or of `box`). */
async function drag(page, points, { testId = 'wb-canvas', box } = {}) {
  const b = box ?? (await page.getByTestId(testId).boundingBox());
  const at = ([x, y]) => [b.x + x * b.width, b.y + y * b.height];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 6 });
  await page.mouse.up();
}

const tool = (page, name) => page.locator(`${h.byTestId('wb-tool')}[data-tool="${name}"]`).click();
const color = (page, c) => page.locator(`${h.byTestId('wb-color')}[data-color="${c}"]`).click();

async function waitBoard(page, label) {
  await page.getByTestId('wb-canvas').waitFor({ state: 'visible', timeout: h.UI_TIMEOUT_MS });
  await h.waitUntil(async () => (await drawnIds(page)) !== null && (await page.getByTestId('wb-undo').count()) === 1, {
    what: `${label}: the whiteboard drawn`,
  });
}

test('a whiteboard added by one shows, focused, for the other', { timeout: 90_000 }, async () => {
  [ana, bruno] = await h.joinWithoutMedia(browser, server, ROOM, ['Ana', 'Bruno']);
  await h.waitForTiles(bruno.page, (ts) => ts.length === 2, 'Bruno: 2 tiles');

  await ana.page.getByTestId('elements-add-whiteboard').click();
  for (const p of [ana, bruno]) await h.waitForElementTabs(p, 'whiteboard');
  boardId = await bruno.page.locator(`${h.byTestId('element-tab')}[data-kind="whiteboard"]`).getAttribute('data-element-id');
  await waitBoard(ana.page, 'Ana');
  await waitBoard(bruno.page, 'Bruno');
  const room = await serverSnapshot('rooms', ROOM);
  assert.equal(room.focus, boardId);
  assert.deepEqual(await serverSnapshot('elements', `${ROOM}:${boardId}`), { kind: 'whiteboard', title: 'Whiteboard', over: null, strokes: [] });
  assert.equal(await ana.page.getByTestId('wb-canvas').getAttribute('data-strokes'), '0');
  h.assertNoConsoleErrors(ana, bruno);
});

test('strokes drawn at the same moment by two people both persist; undo removes only one’s own', { timeout: 90_000 }, async () => {
  await color(bruno.page, '#0090ff');
  // Both draw at once, crossing each other's path.
  await Promise.all([
    drag(ana.page, [
      [0.1, 0.2],
      [0.3, 0.5],
      [0.5, 0.3],
      [0.7, 0.6],
    ]),
    drag(bruno.page, [
      [0.1, 0.6],
      [0.3, 0.3],
      [0.5, 0.6],
      [0.7, 0.25],
    ]),
  ]);
  const both = await converged([ana, bruno], 'both strokes on both pages', (ids) => ids.length === 2);
  const strokes = await serverHas(both, 'the server to have both strokes');
  const byOf = Object.fromEntries(strokes.map((s) => [s.by, s]));
  assert.ok(byOf[ana.self.id] && byOf[bruno.self.id], `one stroke each: ${h.show(strokes.map((s) => s.by))}`);
  assert.equal(byOf[bruno.self.id].color, '#0090ff');
  assert.equal(byOf[ana.self.id].tool, 'pen');
  assert.ok(byOf[ana.self.id].points.length >= 4, 'the pen kept the path');
  for (const p of [ana.page, bruno.page]) assert.equal(await p.getByTestId('wb-canvas').getAttribute('data-strokes'), '2');
  const anaStroke = byOf[ana.self.id].id;
  const brunoStroke = byOf[bruno.self.id].id;

  // Bruno draws once more, on top: Ana's stroke is no longer the last one.
  await drag(bruno.page, [
    [0.8, 0.1],
    [0.9, 0.3],
  ]);
  const three = await converged([ana, bruno], 'Bruno’s second stroke on both pages', (ids) => ids.length === 3);

  // Ana's undo removes her stroke only, for everyone.
  await ana.page.getByTestId('wb-undo').click();
  const afterUndo = await converged([ana, bruno], 'Ana’s stroke gone on both pages', (ids) => ids.length === 2);
  assert.deepEqual(afterUndo, three.filter((id) => id !== anaStroke));
  assert.ok(afterUndo.includes(brunoStroke));
  await serverHas(afterUndo, 'the server without Ana’s stroke');
  assert.equal(await ana.page.getByTestId('wb-undo').isDisabled(), true, 'Ana has nothing more to undo');

  // Redo brings it back (on top), the same stroke.
  await ana.page.getByTestId('wb-redo').click();
  const afterRedo = await converged([ana, bruno], 'Ana’s stroke back on both pages', (ids) => ids.length === 3);
  assert.deepEqual(afterRedo, [...afterUndo, anaStroke]);
  await serverHas(afterRedo, 'the server with Ana’s stroke again');
  h.assertNoConsoleErrors(ana, bruno);
});

test('a stroke being drawn shows to the others before it is finished', { timeout: 60_000 }, async () => {
  const before = await drawnIds(bruno.page);
  const box = await ana.page.getByTestId('wb-canvas').boundingBox();
  await ana.page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.1);
  await ana.page.mouse.down();
  await ana.page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2, { steps: 6 });
  const drafts = () => bruno.page.getByTestId('wb-canvas').getAttribute('data-drafts');
  await h.waitUntil(async () => (await drafts()) === '1', { what: 'Bruno: Ana’s stroke in progress' });
  assert.deepEqual(await drawnIds(bruno.page), before, 'not a stroke of the board yet');
  await ana.page.mouse.up();
  await converged([ana, bruno], 'the finished stroke on both pages', (ids) => ids.length === before.length + 1);
  await h.waitUntil(async () => (await drafts()) === '0', { what: 'Bruno: no stroke in progress any more' });
  // Ctrl+Z right after drawing (the board took the focus) undoes it.
  await ana.page.keyboard.press('Control+z');
  await converged([ana, bruno], 'the stroke undone by Ctrl+Z on both pages', (ids) => JSON.stringify(ids) === JSON.stringify(before));
  h.assertNoConsoleErrors(ana, bruno);
});

test('shapes, text and colours; the eraser removes a stroke for everyone and undo puts it back', { timeout: 90_000 }, async () => {
  const before = await drawnIds(ana.page);
  await color(ana.page, '#30a46c');
  await tool(ana.page, 'rect');
  await drag(ana.page, [
    [0.55, 0.55],
    [0.8, 0.85],
  ]);
  await color(ana.page, '#8e4ec6');
  await tool(ana.page, 'ellipse');
  await drag(ana.page, [
    [0.1, 0.7],
    [0.3, 0.95],
  ]);
  await color(ana.page, '#e5484d');
  await tool(ana.page, 'arrow');
  await drag(ana.page, [
    [0.35, 0.9],
    [0.5, 0.75],
  ]);
  await tool(ana.page, 'line');
  await drag(ana.page, [
    [0.05, 0.05],
    [0.45, 0.05],
  ]);
  await color(ana.page, '#1f2328');
  await tool(ana.page, 'text');
  const box = await ana.page.getByTestId('wb-canvas').boundingBox();
  await ana.page.mouse.click(box.x + box.width * 0.58, box.y + box.height * 0.62);
  const input = ana.page.getByTestId('wb-text-input');
  await input.waitFor({ state: 'visible' });
  await h.waitUntil(() => input.evaluate((el) => el === document.activeElement), { what: 'the text input to have the focus' });
  await ana.page.keyboard.type('Hello board', { delay: 10 });
  await ana.page.keyboard.press('Enter');
  await input.waitFor({ state: 'detached' });
  const all = await converged([ana, bruno], 'the shapes and the text on both pages', (ids) => ids.length === before.length + 5);
  const strokes = await serverHas(all, 'the server with the shapes and the text');
  const added = strokes.slice(before.length);
  assert.deepEqual(
    added.map((s) => [s.tool, s.color]),
    [
      ['rect', '#30a46c'],
      ['ellipse', '#8e4ec6'],
      ['arrow', '#e5484d'],
      ['line', '#e5484d'],
      ['text', '#1f2328'],
    ],
  );
  assert.equal(added[4].text, 'Hello board');
  assert.deepEqual(added[0].points.map((p) => p.map((v) => Math.round(v * 100) / 100)), [
    [0.55, 0.55],
    [0.8, 0.85],
  ]);

  // Bruno erases Ana's rectangle by dragging across its left edge.
  await tool(bruno.page, 'eraser');
  await drag(bruno.page, [
    [0.52, 0.7],
    [0.58, 0.7],
  ]);
  const rect = added[0].id;
  const erased = await converged([ana, bruno], 'the rectangle erased on both pages', (ids) => !ids.includes(rect));
  assert.equal(erased.length, all.length - 1, `only the rectangle went: ${h.show(erased)}`);
  await serverHas(erased, 'the server without the rectangle');
  // Bruno's undo puts Ana's rectangle back where it was.
  await bruno.page.getByTestId('wb-undo').click();
  await converged([ana, bruno], 'the rectangle back on both pages', (ids) => JSON.stringify(ids) === JSON.stringify(all));
  await serverHas(all, 'the server with the rectangle again');

  for (const [w, hgt] of [
    [1280, 800],
    [375, 700],
  ]) {
    await ana.page.setViewportSize({ width: w, height: hgt });
    await h.waitUntil(async () => JSON.stringify(await drawnIds(ana.page)) === JSON.stringify(all), { what: `Ana: redrawn at ${w}×${hgt}` });
    await h.delay(300);
    await h.screenshot(ana.page, `whiteboard-${w}x${hgt}`);
  }
  await ana.page.setViewportSize({ width: 1280, height: 720 });
  await tool(ana.page, 'pen');
  await tool(bruno.page, 'pen');
  h.assertNoConsoleErrors(ana, bruno);
});

test('clear asks first and removes every stroke; undo brings them back', { timeout: 60_000 }, async () => {
  const all = await drawnIds(ana.page);
  assert.ok(all.length > 5);
  const dialogs = ana.dialogs.length;
  await ana.page.getByTestId('wb-clear').click();
  assert.equal(ana.dialogs.length, dialogs + 1);
  assert.equal(ana.dialogs.at(-1).type, 'confirm');
  await converged([ana, bruno], 'an empty board on both pages', (ids) => ids.length === 0);
  await serverHas([], 'an empty board on the server');
  assert.equal(await bruno.page.getByTestId('wb-canvas').getAttribute('data-strokes'), '0');
  await ana.page.getByTestId('wb-undo').click();
  await converged([ana, bruno], 'every stroke back on both pages', (ids) => JSON.stringify(ids) === JSON.stringify(all));
  await serverHas(all, 'every stroke back on the server');
  h.assertNoConsoleErrors(ana, bruno);
});

test('a late joiner sees every stroke', { timeout: 60_000 }, async () => {
  const all = await drawnIds(ana.page);
  [carla] = await h.joinWithoutMedia(browser, server, ROOM, ['Carla']);
  await waitBoard(carla.page, 'Carla');
  await converged([ana, bruno, carla], 'Carla’s board equal to the others', (ids) => JSON.stringify(ids) === JSON.stringify(all));
  assert.equal(await carla.page.getByTestId('wb-canvas').getAttribute('data-strokes'), String(all.length));
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('after a server restart every stroke is there and drawing goes on', { timeout: 120_000 }, async () => {
  // Whatever an earlier test left selected, these are pen strokes.
  await tool(ana.page, 'pen');
  await tool(bruno.page, 'pen');
  const before = await drawnIds(ana.page);
  for (const p of [ana, bruno, carla]) p.allow(h.OUTAGE_ERRORS);
  await server.restart({
    whileDown: async () => {
      await h.waitForSocketDown(ana);
      // Drawn while the server is away: kept as a pending op, sent after the reconnect.
      await drag(ana.page, [
        [0.2, 0.4],
        [0.25, 0.45],
        [0.3, 0.4],
      ]);
    },
  });
  await h.waitForReconnect([ana, bruno, carla]);
  await drag(bruno.page, [
    [0.6, 0.1],
    [0.65, 0.2],
  ]);
  const now = await converged([ana, bruno, carla], 'the strokes from around the restart on every page', (ids) => ids.length === before.length + 2);
  assert.deepEqual(now.slice(0, before.length), before, 'nothing from before the restart was lost');
  const strokes = await serverHas(now, 'the server to have the strokes from around the restart');
  assert.deepEqual(
    strokes.slice(before.length).map((s) => s.by).sort(),
    [ana.self.id, bruno.self.id].sort(),
  );
  // Undo still works after the reconnect: Bruno's stroke goes, nobody else's.
  await bruno.page.getByTestId('wb-undo').click();
  const afterUndo = await converged([ana, bruno, carla], 'Bruno’s stroke undone after the restart', (ids) => ids.length === now.length - 1);
  assert.deepEqual(afterUndo, now.filter((id) => id !== strokes.find((s) => s.by === bruno.self.id && !before.includes(s.id)).id));
  await serverHas(afterUndo, 'the server after Bruno’s undo');
  h.assertNoConsoleErrors(ana, bruno, carla);
});

/** The pages of the deck drawn over: "Page i" in dark blue on a light background. */
const LIGHT_PDF_PAGE = (i) => `0.95 0.95 0.9 rg 0 0 960 540 re f 0.1 0.2 0.5 rg BT /F1 120 Tf 200 230 Td (Page ${i}) Tj ET`;

test('a stroke drawn over a slide shows for the other over the same page', { timeout: 90_000 }, async () => {
  await ana.page.getByTestId('elements-add-slides').setInputFiles({ name: 'Deck.pdf', mimeType: 'application/pdf', buffer: h.makePdf(3, LIGHT_PDF_PAGE) });
  const deckTab = (p) => p.locator(`${h.byTestId('element-tab')}[data-kind="slides"]`);
  await h.waitForElementTabs(bruno, 'slides');
  const deckId = await deckTab(bruno.page).getAttribute('data-element-id');
  const ink = `${deckId}-ink`;
  const rendered = (p, n) =>
    h.waitUntil(async () => (await p.getByTestId('slides-canvas').getAttribute('data-page')) === String(n), { what: `page ${n} rendered` });
  await ana.page.locator(`${h.byTestId('slides-thumb')}[data-page="2"]`).click();
  await rendered(ana.page, 2);
  await rendered(bruno.page, 2);

  await ana.page.getByTestId('slides-draw').click();
  assert.equal(await ana.page.getByTestId('slides-draw').getAttribute('aria-pressed'), 'true');
  // The drawings' board is made on first use; drawing waits for it.
  await h.waitUntil(async () => (await serverSnapshot('elements', `${ROOM}:${ink}`))?.over === deckId, { what: 'the drawings board over the deck' });
  await h.waitUntil(async () => (await ana.page.locator('.wb-layer.drawing').count()) === 1, { what: 'Ana: ready to draw' });
  const page = await ana.page.getByTestId('slides-canvas').boundingBox();
  await drag(
    ana.page,
    [
      [0.2, 0.3],
      [0.5, 0.7],
      [0.8, 0.3],
    ],
    { box: page },
  );
  const ids = await converged([ana, bruno], 'the stroke over page 2 on both pages', (l) => l.length === 1, ink);
  const [stroke] = await serverHas(ids, 'the server to have the stroke over page 2', ink);
  assert.equal(stroke.page, 2);
  assert.equal(stroke.color, '#e5484d', 'red by default over slides');
  assert.equal(await bruno.page.getByTestId('slides-ink').getAttribute('data-strokes'), '1');
  // At the same ratios of the page for both, whatever their stage.
  assert.ok(Math.abs(stroke.points[0][0] - 0.2) < 0.02 && Math.abs(stroke.points[0][1] - 0.3) < 0.02, h.show(stroke.points[0]));

  // Another page has none of it; back on page 2 it is there again.
  await ana.page.getByTestId('slides-next').click();
  await rendered(bruno.page, 3);
  await converged([ana, bruno], 'no stroke over page 3', (l) => l.length === 0, ink);
  await ana.page.getByTestId('slides-prev').click();
  await rendered(bruno.page, 2);
  await converged([ana, bruno], 'the stroke over page 2 again', (l) => l.length === 1, ink);
  await ana.page.setViewportSize({ width: 1280, height: 800 });
  await h.delay(500);
  await h.screenshot(ana.page, 'slides-drawing-1280x800');
  await ana.page.setViewportSize({ width: 1280, height: 720 });
  h.assertNoConsoleErrors(ana, bruno, carla);
});
