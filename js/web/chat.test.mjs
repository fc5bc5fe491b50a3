// Chat: a message reaches the others (with an unread badge while their chat
// is closed), markup is shown as text and links become safe anchors, and a
// late joiner sees the history. Camera and microphone stay off (CPU).

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as h from './harness.mjs';

after(h.cleanup);

const ROOM = `chat-${Date.now().toString(36)}`;
let server;
let browser;
let ana;
let bruno;
let carla;

before(async () => {
  server = await h.startServer();
  browser = await h.launchBrowser();
});

const XSS = '<img src=x onerror=alert(1)>';
const LINK = 'https://example.com/a?b=1&c=2';
const HOSTILE = `${XSS} read ${LINK} and javascript:alert(2)`;

function waitForChat(page, pred, what) {
  return h.waitUntil(
    async () => {
      const msgs = await h.chatMessages(page);
      return pred(msgs) ? msgs : null;
    },
    { what, describe: async () => h.show(await h.chatMessages(page)) },
  );
}

test('a chat message reaches the others; an unread badge shows while their chat is closed', { timeout: 90_000 }, async () => {
  [ana, bruno] = await h.joinWithoutMedia(browser, server, ROOM, ['Ana', 'Bruno']);
  await h.waitForTiles(bruno.page, (ts) => ts.length === 2, 'Bruno: 2 tiles');

  await h.sendChat(ana.page, 'hola from Ana');
  await waitForChat(ana.page, (m) => m.some((t) => t.includes('hola from Ana')), "Ana's own message in her chat");
  await bruno.page.getByTestId('chat-unread').waitFor({ state: 'visible', timeout: h.UI_TIMEOUT_MS });
  await h.openChat(bruno.page);
  const msgs = await waitForChat(bruno.page, (m) => m.some((t) => t.includes('hola from Ana')), "Ana's message in Bruno's chat");
  assert.equal(msgs.filter((t) => t.includes('hola from Ana')).length, 1, `the message shows once: ${h.show(msgs)}`);
  await bruno.page.getByTestId('chat-unread').waitFor({ state: 'hidden', timeout: h.UI_TIMEOUT_MS });

  await h.sendChat(bruno.page, 'hola Ana, Bruno here');
  await waitForChat(ana.page, (m) => m.some((t) => t.includes('Bruno here')), "Bruno's reply in Ana's chat");
  h.assertNoConsoleErrors(ana, bruno);
});

test('markup in a message shows as text and a link becomes a safe anchor', { timeout: 60_000 }, async () => {
  await h.sendChat(ana.page, HOSTILE);
  for (const [who, p] of [['Ana', ana], ['Bruno', bruno]]) {
    await waitForChat(p.page, (m) => m.some((t) => t.includes(XSS)), `${who}: the message with ${XSS} shown literally`);
    const view = await p.page.$$eval('[data-testid="chat-message"]', (els) => {
      const el = els.find((e) => e.textContent.includes('<img src=x'));
      return {
        html: el.innerHTML,
        imgs: el.querySelectorAll('img, script, iframe, object, embed, svg').length,
        handlers: [...el.querySelectorAll('*')].flatMap((n) => [...n.attributes].map((a) => a.name)).filter((a) => a.startsWith('on')),
        anchors: [...el.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), text: a.textContent, target: a.getAttribute('target'), rel: a.getAttribute('rel') || '' })),
      };
    });
    assert.equal(view.imgs, 0, `${who}: no element was created from the message's markup: ${view.html}`);
    assert.deepEqual(view.handlers, [], `${who}: no event-handler attributes in the rendered message: ${view.html}`);
    const link = view.anchors.find((a) => a.href === LINK);
    assert.ok(link, `${who}: ${LINK} is an anchor with exactly that href: ${h.show(view.anchors)}`);
    assert.equal(link.text, LINK, `${who}: the anchor's text is the URL`);
    if (link.target === '_blank') {
      assert.match(link.rel, /noopener/, `${who}: a target=_blank anchor has rel=noopener: ${h.show(link)}`);
    }
    const unsafe = view.anchors.filter((a) => !/^https?:\/\//i.test(a.href || ''));
    assert.deepEqual(unsafe, [], `${who}: only http(s) anchors (javascript: stays text): ${view.html}`);
    assert.deepEqual(p.dialogs, [], `${who}: no dialog opened (alert from the message)`);
  }
  await h.screenshot(bruno.page, 'chat-markup-and-link');
  h.assertNoConsoleErrors(ana, bruno);
});

test('a reaction floats on the others\' screens', { timeout: 60_000 }, async () => {
  await ana.page.getByTestId('react').click();
  // The picker's buttons are not in the contract; pick by the emoji itself.
  await ana.page.getByRole('menuitem').filter({ hasText: '🎉' }).first().click();
  for (const [who, p] of [['Bruno', bruno], ['Ana', ana]]) {
    await h.waitUntil(() => p.page.getByTestId('reaction').filter({ hasText: '🎉' }).first().isVisible(), {
      what: `${who}: a 🎉 reaction element on screen`,
    });
  }
  h.assertNoConsoleErrors(ana, bruno);
});

test('a late joiner sees the chat history, oldest first', { timeout: 60_000 }, async () => {
  [carla] = await h.joinWithoutMedia(browser, server, ROOM, ['Carla']);
  await h.openChat(carla.page);
  const msgs = await waitForChat(carla.page, (m) => m.length >= 3, 'Carla (late joiner): the 3 earlier messages');
  const order = ['hola from Ana', 'Bruno here', XSS].map((s) => msgs.findIndex((t) => t.includes(s)));
  assert.ok(order.every((i) => i >= 0), `all three earlier messages in the history: ${h.show(msgs)}`);
  assert.deepEqual([...order].sort((a, b) => a - b), order, `history is oldest first: ${h.show(msgs)}`);
  assert.equal(msgs.length, 3, `the history holds each message once: ${h.show(msgs)}`);
  const anchors = await carla.page.$$eval('[data-testid="chat-message"] a', (as) => as.map((a) => a.getAttribute('href')));
  assert.deepEqual(anchors, [LINK], 'history renders the link as the same safe anchor');
  assert.equal(await carla.page.locator('[data-testid="chat-message"] img').count(), 0, 'history renders markup as text');

  await h.sendChat(carla.page, 'Carla arrived');
  await waitForChat(ana.page, (m) => m.some((t) => t.includes('Carla arrived')), "Carla's message reaches Ana");
  await waitForChat(bruno.page, (m) => m.some((t) => t.includes('Carla arrived')), "Carla's message reaches Bruno");
  await h.screenshot(carla.page, 'chat-late-joiner-history');
  h.assertNoConsoleErrors(ana, bruno, carla);
  for (const p of [ana, bruno, carla]) await p.close();
});
