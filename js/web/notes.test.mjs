// Shared notes through the web client: the room document (`rooms/<room>`)
// lists the element, everyone sees it focused, two people typing at once in
// different places lose no character and end with the server's text, a late
// joiner sees the text, remote carets show with names, and after the server
// restarts (same port and data directory) the text is intact and editing
// goes on, including what was typed while it was down. Camera and
// microphone stay off (CPU).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';


import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `notes-${Date.now().toString(36)}`;
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

const notesValue = (page) => page.getByTestId('notes-text').inputValue();

async function waitForTab(page, what) {
  await h.waitUntil(async () => (await page.getByTestId('element-tab').count()) === 1, {
    what,
    describe: async () => h.show(await page.$$eval(h.byTestId('element-tab'), (els) => els.map((e) => e.outerHTML))),
  });
}

async function waitEditable(page, label) {
  await page.getByTestId('notes-text').waitFor({ state: 'visible', timeout: h.UI_TIMEOUT_MS });
  await h.waitUntil(() => page.getByTestId('notes-text').isEnabled(), { what: `${label}: the notes textarea to be editable` });
}

/** Waits until every page shows the same text, and resolves it. */
async function converged(pages, what, extra = () => true) {
  let last = [];
  return h.waitUntil(
    async () => {
      last = await Promise.all(pages.map(notesValue));
      return last.every((t) => t === last[0]) && extra(last[0]) ? last[0] : null;
    },
    { timeout: 20_000, what, describe: () => h.show(last.map((t) => `${t.length}: ${t.slice(0, 120)}…${t.slice(-60)}`)) },
  );
}

/** Types `text` in bursts of `burst` characters, with a short pause between bursts. */
async function typeInBursts(page, text, burst = 20) {
  for (let i = 0; i < text.length; i += burst) {
    await page.keyboard.type(text.slice(i, i + burst), { delay: 4 });
    await h.delay(30 + Math.floor(Math.random() * 60));
  }
}

/** 200 characters that appear nowhere else: `prefix` letters and a counter. */
function run(letter, n = 200) {
  let s = '';
  for (let i = 0; s.length < n; i++) s += `${letter}${i % 10}`;
  return s.slice(0, n);
}

test('notes added by one appear for the other, focused, and both can type', { timeout: 90_000 }, async () => {
  [ana, bruno] = await h.joinWithoutMedia(browser, server, ROOM, ['Ana', 'Bruno']);
  await h.waitForTiles(bruno.page, (ts) => ts.length === 2, 'Bruno: 2 tiles');

  await ana.page.getByTestId('elements-add-notes').click();
  await waitForTab(ana.page, 'Ana: one element tab after adding notes');
  await waitForTab(bruno.page, 'Bruno: the notes tab Ana added');
  elementId = await bruno.page.getByTestId('element-tab').getAttribute('data-element-id');
  assert.equal(await bruno.page.getByTestId('element-tab').getAttribute('data-kind'), 'notes');
  assert.equal(await ana.page.getByTestId('element-tab').getAttribute('data-element-id'), elementId);

  // Adding focuses it for everyone: both see the textarea on the stage.
  await waitEditable(ana.page, 'Ana');
  await waitEditable(bruno.page, 'Bruno');

  const room = await serverSnapshot('rooms', ROOM);
  assert.deepEqual(room.elements.map((e) => [e.id, e.kind]), [[elementId, 'notes']]);
  assert.equal(room.focus, elementId);

  await ana.page.getByTestId('notes-text').click();
  await ana.page.keyboard.type('Agenda: ', { delay: 10 });
  await converged([ana.page, bruno.page], 'the first words on both pages', (t) => t === 'Agenda: ');
  h.assertNoConsoleErrors(ana, bruno);
});

test('two people typing at once in different places lose no character', { timeout: 120_000 }, async () => {
  // Ana types at the start, Bruno at the end, at the same time.
  await ana.page.getByTestId('notes-text').click();
  await ana.page.keyboard.press('Control+Home');
  await bruno.page.getByTestId('notes-text').click();
  await bruno.page.keyboard.press('Control+End');
  const aText = run('a');
  const bText = run('B');
  await Promise.all([typeInBursts(ana.page, aText), typeInBursts(bruno.page, bText)]);

  const expectedLength = 'Agenda: '.length + aText.length + bText.length;
  const text = await converged([ana.page, bruno.page], 'both textareas to show the same text with every character', (t) => t.length === expectedLength);
  assert.ok(text.includes(aText), `Ana's 200 characters, in order: ${h.show(text)}`);
  assert.ok(text.includes(bText), `Bruno's 200 characters, in order: ${h.show(text)}`);
  assert.ok(text.includes('Agenda: '), h.show(text));
  // Ana's run came before the agenda (she typed at the start), Bruno's after it.
  assert.ok(text.indexOf(aText) < text.indexOf('Agenda: ') && text.indexOf('Agenda: ') < text.indexOf(bText), h.show(text));

  const snap = await h.waitUntil(
    async () => {
      const s = await serverSnapshot('elements', `${ROOM}:${elementId}`);
      return s && s.text === text ? s : null;
    },
    { what: 'the server snapshot to equal the textareas' },
  );
  assert.deepEqual({ kind: snap.kind, title: snap.title }, { kind: 'notes', title: 'Notes' });
  h.assertNoConsoleErrors(ana, bruno);
});

test("a remote caret shows Ana's name and place on Bruno's page", { timeout: 60_000 }, async () => {
  // Ana moves her caret; Bruno sees a marker for her.
  await ana.page.getByTestId('notes-text').click();
  await ana.page.keyboard.press('Control+Home');
  await ana.page.keyboard.press('ArrowRight');
  const marker = bruno.page.locator(`${h.byTestId('remote-caret')}[data-participant="${ana.self.id}"]`);
  await marker.waitFor({ state: 'visible', timeout: h.UI_TIMEOUT_MS });
  assert.match(await marker.textContent(), /Ana/);
  // Bruno's own caret is not drawn on his page.
  assert.equal(await bruno.page.locator(h.byTestId('remote-caret')).count(), 1);
  h.assertNoConsoleErrors(ana, bruno);
});

test("Bruno's typing before Ana's selection keeps what she selected selected", { timeout: 60_000 }, async () => {
  const text = await notesValue(ana.page);
  const from = text.indexOf('Agenda');
  await ana.page.getByTestId('notes-text').focus();
  await ana.page.evaluate(
    ([s, e]) => document.querySelector('[data-testid="notes-text"]').setSelectionRange(s, e),
    [from, from + 'Agenda'.length],
  );
  await bruno.page.getByTestId('notes-text').click();
  await bruno.page.keyboard.press('Control+Home');
  await bruno.page.keyboard.type('xyz', { delay: 10 });
  await converged([ana.page, bruno.page], "Bruno's insertion on both pages", (t) => t === `xyz${text}`);
  const selected = await ana.page.evaluate(() => {
    const ta = document.querySelector('[data-testid="notes-text"]');
    return ta.value.slice(ta.selectionStart, ta.selectionEnd);
  });
  assert.equal(selected, 'Agenda');
  h.assertNoConsoleErrors(ana, bruno);
});

test('a late joiner sees the current text', { timeout: 60_000 }, async () => {
  const before = await notesValue(ana.page);
  [carla] = await h.joinWithoutMedia(browser, server, ROOM, ['Carla']);
  await waitForTab(carla.page, 'Carla: the notes tab');
  await waitEditable(carla.page, 'Carla');
  await converged([ana.page, bruno.page, carla.page], "Carla's textarea to show the text", (t) => t === before);
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('after a server restart the text is intact and editing goes on', { timeout: 120_000 }, async () => {
  const before = await notesValue(ana.page);
  for (const p of [ana, bruno, carla]) p.allow(h.OUTAGE_ERRORS);
  await ana.page.getByTestId('notes-text').click();
  await ana.page.keyboard.press('Control+End');
  await server.restart({
    whileDown: async () => {
      // Typed while the server is away: kept as pending ops and sent after the reconnect.
      await h.waitForSocketDown(ana);
      await ana.page.keyboard.type(' [offline]', { delay: 10 });
    },
  });
  await h.waitForReconnect([ana, bruno, carla]);
  await bruno.page.getByTestId('notes-text').click();
  await bruno.page.keyboard.press('Control+End');
  await bruno.page.keyboard.type(' [after restart]', { delay: 10 });
  const expected = `${before} [offline] [after restart]`;
  await converged([ana.page, bruno.page, carla.page], 'the text with the offline and after-restart edits on every page', (t) => t === expected);
  await h.waitUntil(
    async () => (await serverSnapshot('elements', `${ROOM}:${elementId}`)).text === expected,
    { what: 'the server snapshot to have the edits made around the restart' },
  );
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('screenshots of the room with notes focused (1280×800 and 375×700)', { timeout: 60_000 }, async () => {
  await ana.page.setViewportSize({ width: 1280, height: 800 });
  await ana.page.getByTestId('notes-text').click();
  await ana.page.keyboard.press('Control+Home');
  await bruno.page.getByTestId('notes-text').click();
  await bruno.page.keyboard.press('Control+End');
  await h.delay(500);
  await h.screenshot(ana.page, 'notes-1280x800');
  await bruno.page.setViewportSize({ width: 375, height: 700 });
  await h.delay(300);
  await h.screenshot(bruno.page, 'notes-375x700');
  await bruno.page.setViewportSize({ width: 1280, height: 720 });
  h.assertNoConsoleErrors(ana, bruno, carla);
});

test('export gives a .txt of the text; removing the element (after a confirm) removes it for all', { timeout: 60_000 }, async () => {
  const text = await notesValue(ana.page);
  const [download] = await Promise.all([ana.page.waitForEvent('download'), ana.page.getByTestId('notes-export').click()]);
  assert.match(download.suggestedFilename(), /\.txt$/);
  const body = await new Promise((resolve, reject) => {
    download.createReadStream().then((stream) => {
      let s = '';
      stream.setEncoding('utf8');
      stream.on('data', (c) => (s += c));
      stream.on('end', () => resolve(s));
      stream.on('error', reject);
    }, reject);
  });
  assert.equal(body, text);

  await bruno.page.getByTestId('element-remove').click();
  assert.equal(bruno.dialogs.at(-1)?.type, 'confirm');
  for (const [p, label] of [
    [ana, 'Ana'],
    [bruno, 'Bruno'],
    [carla, 'Carla'],
  ]) {
    await h.waitUntil(async () => (await p.page.getByTestId('element-tab').count()) === 0, { what: `${label}: no element tab after the removal` });
    await p.page.getByTestId('notes-text').waitFor({ state: 'detached', timeout: h.UI_TIMEOUT_MS });
  }
  const room = await serverSnapshot('rooms', ROOM);
  assert.deepEqual(room, { elements: [], focus: null });
  h.assertNoConsoleErrors(ana, bruno, carla);
});
