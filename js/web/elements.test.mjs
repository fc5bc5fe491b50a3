// The element strip through the web client: reordering (drag and drop, and
// the keyboard-reachable move buttons) and renaming (double click, F2, the
// rename button) are seen by the other participant and stored by the server
// (`rooms/<room>`, and the element document's own title); moves made by two
// people at once converge; a late joiner sees the order and titles; a move
// and a rename made while the server restarts arrive after the reconnect.
// Camera and microphone stay off (CPU).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `strip-${Date.now().toString(36)}`;
let server;
let browser;
let ana;
let bruno;
let carla;

before(async () => {
  server = await h.startServer();
  browser = await h.launchBrowser();
});

const serverSnapshot = (collection, id) => h.serverSnapshot(server, ROOM, collection, id);

/** The strip as a page shows it: `[{id, title}]` in order. */
const strip = (page) =>
  page.$$eval(h.byTestId('element-tab'), (els) => els.map((e) => ({ id: e.dataset.elementId, title: e.textContent.trim() })));
const order = async (page) => (await strip(page)).map((e) => e.id);

const tab = (page, id) => page.locator(`${h.byTestId('element-tab')}[data-element-id="${id}"]`);
const tool = (page, testid, id) => page.locator(`${h.byTestId(testid)}[data-element-id="${id}"]`);

/** Waits until every page shows `expected` (ids in order), and resolves it. */
async function sameOrder(pages, what, expected) {
  let last = [];
  return h.waitUntil(
    async () => {
      last = await Promise.all(pages.map(order));
      const want = expected ?? last[0];
      return last.every((o) => h.show(o) === h.show(want)) ? want : null;
    },
    { what, describe: () => h.show(last) },
  );
}

async function waitTitle(pages, id, title, what) {
  let last = [];
  await h.waitUntil(
    async () => {
      last = await Promise.all(pages.map(async (p) => (await strip(p)).find((e) => e.id === id)?.title));
      return last.every((t) => t === title);
    },
    { what, describe: () => h.show(last) },
  );
}

async function serverOrder(expected, what) {
  let last;
  await h.waitUntil(
    async () => {
      last = (await serverSnapshot('rooms', ROOM)).elements.map((e) => e.id);
      return h.show(last) === h.show(expected);
    },
    { what, describe: () => h.show(last) },
  );
}

test('three elements added by one show, in order, for the other', { timeout: 90_000 }, async () => {
  [ana, bruno] = await h.joinWithoutMedia(browser, server, ROOM, ['Ana', 'Bruno']);
  for (let i = 1; i <= 3; i++) {
    await ana.page.getByTestId('elements-add-notes').click();
    await h.waitUntil(async () => (await order(ana.page)).length === i, { what: `Ana: ${i} element tabs` });
  }
  const ids = await sameOrder([ana.page, bruno.page], 'both pages to show the three tabs');
  assert.equal(ids.length, 3);
  assert.deepEqual((await strip(bruno.page)).map((e) => e.title), ['Notes', 'Notes 2', 'Notes 3']);
  h.assertNoConsoleErrors(ana, bruno);
});

test('dragging a chip reorders the strip for everyone and on the server', { timeout: 60_000 }, async () => {
  const [a, b, c] = await order(ana.page);
  // The third chip dropped on the left half of the first: it goes first.
  await tab(ana.page, c).dragTo(tab(ana.page, a), { targetPosition: { x: 4, y: 8 } });
  const want = [c, a, b];
  await sameOrder([ana.page, bruno.page], 'both strips in the dragged order', want);
  await serverOrder(want, 'the room document in the dragged order');
  // Dropped on the right half of the last: it goes last.
  const box = await tab(bruno.page, b).boundingBox();
  await tab(bruno.page, c).dragTo(tab(bruno.page, b), { targetPosition: { x: box.width - 4, y: 8 } });
  await sameOrder([ana.page, bruno.page], "Bruno's drag on both strips", [a, b, c]);
  await serverOrder([a, b, c], "the room document in Bruno's order");
  h.assertNoConsoleErrors(ana, bruno);
});

test('the move buttons work from the keyboard and keep its focus', { timeout: 60_000 }, async () => {
  const [a, b, c] = await order(bruno.page);
  await tool(bruno.page, 'element-menu', a).click();
  const right = tool(bruno.page, 'element-move-right', a);
  await right.focus();
  await bruno.page.keyboard.press('Enter');
  await sameOrder([ana.page, bruno.page], 'the first element moved one place right', [b, a, c]);
  // The focus stayed on the button, so a second Enter moves it again.
  await bruno.page.keyboard.press('Enter');
  await sameOrder([ana.page, bruno.page], 'the element moved to the end', [b, c, a]);
  assert.equal(await right.isDisabled(), true, 'move right is disabled at the end');
  await tool(bruno.page, 'element-move-left', a).click();
  await sameOrder([ana.page, bruno.page], 'moved back left once', [b, a, c]);
  await serverOrder([b, a, c], 'the room document after the keyboard moves');
  await bruno.page.keyboard.press('Escape');
  await h.waitUntil(async () => (await bruno.page.getByTestId('element-move-left').count()) === 0, { what: 'Escape to close the tools' });
  h.assertNoConsoleErrors(ana, bruno);
});

test('renaming (double click, F2, the rename button) reaches everyone, both documents, and Escape cancels', { timeout: 60_000 }, async () => {
  const [first, second, third] = await order(ana.page);
  const secondTitle = (await strip(ana.page))[1].title;
  // Double click: the chip does not toggle focus twice, an input opens with the title selected.
  await tab(ana.page, first).dblclick();
  const input = ana.page.getByTestId('element-rename-input');
  await input.waitFor({ state: 'visible' });
  await ana.page.keyboard.type('Plan B <b>bold</b>');
  await ana.page.keyboard.press('Enter');
  await waitTitle([ana.page, bruno.page], first, 'Plan B <b>bold</b>', 'the new title (as text) on both strips');
  await h.waitUntil(
    async () => {
      const room = await serverSnapshot('rooms', ROOM);
      const el = await serverSnapshot('elements', `${ROOM}:${first}`);
      return room.elements.find((e) => e.id === first)?.title === 'Plan B <b>bold</b>' && el.title === 'Plan B <b>bold</b>';
    },
    { what: 'the room document and the element document to carry the new title' },
  );
  assert.equal(await bruno.page.locator(`${h.byTestId('element-tab')} b`).count(), 0, 'no markup from a title');

  // F2 from the keyboard, then Escape: nothing changes.
  await tab(bruno.page, second).focus();
  await bruno.page.keyboard.press('F2');
  await bruno.page.getByTestId('element-rename-input').waitFor({ state: 'visible' });
  await bruno.page.keyboard.type('Never mind');
  await bruno.page.keyboard.press('Escape');
  await bruno.page.getByTestId('element-rename-input').waitFor({ state: 'detached' });
  // The rename button in the tools; blur (a click elsewhere) saves; spaces are trimmed.
  await tool(bruno.page, 'element-menu', third).click();
  await tool(bruno.page, 'element-rename', third).click();
  await bruno.page.getByTestId('element-rename-input').fill('   Agenda   ');
  await bruno.page.locator('.topbar').click({ position: { x: 5, y: 5 } });
  await waitTitle([ana.page, bruno.page], third, 'Agenda', "Bruno's rename on both strips");
  assert.equal((await strip(ana.page)).find((e) => e.id === second).title, secondTitle, 'Escape left the title alone');
  await tool(bruno.page, 'element-menu', third).click();
  h.assertNoConsoleErrors(ana, bruno);
});

test('moves made by two people at once converge, with every element kept', { timeout: 90_000 }, async () => {
  const start = await order(ana.page);
  const [x, , y] = start;
  await tool(ana.page, 'element-menu', x).click();
  await tool(bruno.page, 'element-menu', y).click();
  // Each moves one chip back and forth as fast as the page takes clicks
  // (a disabled button at an end does nothing; the other direction is used).
  const shuffle = async (page, id, rounds) => {
    for (let i = 0; i < rounds; i++) {
      await page.evaluate((eid) => {
        const pick = (t) => document.querySelector(`[data-testid="${t}"][data-element-id="${eid}"]`);
        const first = Math.random() < 0.5 ? 'element-move-left' : 'element-move-right';
        const b = pick(first);
        (b && !b.disabled ? b : pick(first === 'element-move-left' ? 'element-move-right' : 'element-move-left'))?.click();
      }, id);
      await h.delay(Math.floor(Math.random() * 30));
    }
  };
  await Promise.all([shuffle(ana.page, x, 20), shuffle(bruno.page, y, 20)]);
  const final = await sameOrder([ana.page, bruno.page], 'both strips to agree after the concurrent moves');
  assert.deepEqual([...final].sort(), [...start].sort(), 'no element lost or doubled');
  await serverOrder(final, 'the room document to hold the order both pages show');
  await tool(ana.page, 'element-menu', x).click();
  await tool(bruno.page, 'element-menu', y).click();
  h.assertNoConsoleErrors(ana, bruno);
});

test('two renames of the same element at once end with one title everywhere', { timeout: 60_000 }, async () => {
  const [id] = await order(ana.page);
  for (const p of [ana.page, bruno.page]) {
    await tab(p, id).dblclick();
    await p.getByTestId('element-rename-input').waitFor({ state: 'visible' });
  }
  await Promise.all([ana.page.keyboard.type('From Ana'), bruno.page.keyboard.type('From Bruno')]);
  await Promise.all([ana.page.keyboard.press('Enter'), bruno.page.keyboard.press('Enter')]);
  let titles = [];
  await h.waitUntil(
    async () => {
      titles = await Promise.all([ana.page, bruno.page].map(async (p) => (await strip(p)).find((e) => e.id === id).title));
      return titles[0] === titles[1] && ['From Ana', 'From Bruno'].includes(titles[0]);
    },
    { what: 'both strips to show the same one of the two titles', describe: () => h.show(titles) },
  );
  const room = await serverSnapshot('rooms', ROOM);
  assert.equal(room.elements.find((e) => e.id === id).title, titles[0]);
  h.assertNoConsoleErrors(ana, bruno);
});

test('a late joiner sees the order and the titles', { timeout: 60_000 }, async () => {
  const expected = await strip(ana.page);
  [carla] = await h.joinWithoutMedia(browser, server, ROOM, ['Carla']);
  await h.waitUntil(async () => h.show(await strip(carla.page)) === h.show(expected), {
    what: "Carla's strip to equal Ana's",
    describe: async () => h.show(await strip(carla.page)),
  });
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('a move and a rename made while the server restarts arrive after the reconnect', { timeout: 120_000 }, async () => {
  for (const p of [ana, bruno, carla]) p.allow(h.OUTAGE_ERRORS);
  const [a, b, c] = await order(ana.page);
  await server.restart({
    whileDown: async () => {
      await h.waitForSocketDown(ana);
      // From the keyboard: the reconnecting banner covers the strip meanwhile.
      await tool(ana.page, 'element-menu', c).focus();
      await ana.page.keyboard.press('Enter');
      await tool(ana.page, 'element-move-left', c).focus();
      await ana.page.keyboard.press('Enter');
      await ana.page.keyboard.press('Enter');
      await h.waitUntil(async () => h.show(await order(ana.page)) === h.show([c, a, b]), { what: "Ana's offline move on her strip" });
      await ana.page.keyboard.press('Escape');
      await tab(ana.page, b).focus();
      await ana.page.keyboard.press('F2');
      await ana.page.getByTestId('element-rename-input').fill('Offline title');
      await ana.page.keyboard.press('Enter');
    },
  });
  await h.waitForReconnect([ana, bruno, carla]);
  const pages = [ana.page, bruno.page, carla.page];
  await sameOrder(pages, 'the offline move on every page', [c, a, b]);
  await waitTitle(pages, b, 'Offline title', 'the offline rename on every page');
  await serverOrder([c, a, b], 'the room document to have the offline move');
  // Editing goes on after the restart.
  await tool(bruno.page, 'element-menu', c).click();
  await tool(bruno.page, 'element-move-right', c).click();
  await sameOrder(pages, 'a move after the restart on every page', [a, c, b]);
  await tool(bruno.page, 'element-menu', c).click();
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('screenshots of the strip with its tools open and a rename under way (1280×800 and 375×700)', { timeout: 60_000 }, async () => {
  const [a, b] = await order(ana.page);
  await ana.page.setViewportSize({ width: 1280, height: 800 });
  await tool(ana.page, 'element-menu', a).click();
  await tab(ana.page, b).dblclick();
  await ana.page.getByTestId('element-rename-input').waitFor({ state: 'visible' });
  await h.delay(300);
  await h.screenshot(ana.page, 'elements-1280x800');
  await ana.page.keyboard.press('Escape');
  await bruno.page.setViewportSize({ width: 375, height: 700 });
  await tool(bruno.page, 'element-menu', a).click();
  await h.delay(300);
  await h.screenshot(bruno.page, 'elements-375x700');
  // Every add button is on the page and inside the viewport's width at 375 px.
  const adds = await bruno.page.$$eval('[data-testid^="elements-add-"]', (els) =>
    els.map((e) => {
      // A file input is hidden; what shows is its label (if it sits in one).
      const target = e.type === 'file' ? e.closest('label') : e;
      const r = target ? target.getBoundingClientRect() : null;
      return { id: e.dataset.testid, shown: !!target, left: r && r.left, right: r && r.right, width: r && r.width };
    }),
  );
  for (const id of ['elements-add-notes', 'elements-add-slides', 'elements-add-map']) assert.ok(adds.some((x) => x.id === id && x.shown), `${id}: ${h.show(adds)}`);
  for (const add of adds.filter((x) => x.shown)) {
    assert.ok(add.width > 0 && add.left >= 0 && add.right <= 375, `${add.id} within 375 px: ${h.show(adds)}`);
  }
  await tool(bruno.page, 'element-menu', a).click();
  await bruno.page.setViewportSize({ width: 1280, height: 720 });
  h.assertNoConsoleErrors(ana, bruno, carla);
});
