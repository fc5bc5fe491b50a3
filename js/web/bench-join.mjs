// Join time, measured in the browser: participant A sits in a room with
// camera and microphone; participant B (a fresh BrowserContext and page each
// time) loads /r/<room>, clicks Join, and the time is
// window.__tertulia.firstRemoteFrameAt - window.__tertulia.joinClickedAt on
// B (performance.now() at the click, and when the first remote video frame
// was presented). B leaves between joins. Goal: median < 1 s on loopback.
//
//   node js/web/bench-join.mjs [--runs 10] [--variant direct|relay|both] [--json]
//
// `direct`: host candidates on loopback (no STUN/TURN configured). `relay`:
// both pages with ?iceTransportPolicy=relay through a local coturn.

import path from 'node:path';
import { parseArgs } from 'node:util';

import * as h from './harness.mjs';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    variant: { type: 'string', default: 'both' },
    json: { type: 'boolean', default: false },
    goal: { type: 'string', default: '1000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opts.help) {
  console.log('usage: node js/web/bench-join.mjs [--runs 10] [--variant direct|relay|both] [--goal 1000] [--json]');
  process.exit(0);
}
const RUNS = Number(opts.runs);
const GOAL_MS = Number(opts.goal);
const variants = opts.variant === 'both' ? ['direct', 'relay'] : [opts.variant];
if (!Number.isInteger(RUNS) || RUNS < 1 || variants.some((v) => v !== 'direct' && v !== 'relay')) {
  console.error('bench-join: --runs must be a positive integer and --variant direct, relay or both');
  process.exit(2);
}
const log = (...a) => console.error(...a); // progress on stderr; results on stdout

function stats(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  const p90 = s[Math.ceil(0.9 * n) - 1]; // nearest rank
  return { median, p90, min: s[0], max: s[n - 1] };
}

async function measure(variant) {
  let serverArgs = [];
  if (variant === 'relay') {
    const turn = await h.startTurn();
    serverArgs = turn.serverArgs();
  }
  const server = await h.startServer({ args: serverArgs });
  const browser = await h.launchBrowser();
  const room = `bench-${variant}-${Date.now().toString(36)}`;
  const query = variant === 'relay' ? '?iceTransportPolicy=relay' : '';

  const a = await browser.newParticipant(server, 'A');
  await h.joinRoom(a.page, room, 'Sitter', { query });
  const runs = [];
  for (let i = 0; i < RUNS; i++) {
    const b = await browser.newParticipant(server, `B${i + 1}`);
    await b.page.goto(`/r/${room}${query}`, { waitUntil: 'load' });
    await b.page.getByTestId('display-name').fill(`Joiner ${i + 1}`);
    await h.setToggle(b.page, 'prejoin-mic', true);
    await h.setToggle(b.page, 'prejoin-cam', true);
    // Let the pre-join page settle (camera preview running) before the click.
    await b.page.getByTestId('preview').waitFor({ state: 'visible' });
    await h.waitUntil(() => b.page.evaluate(() => {
      const v = document.querySelector('[data-testid="preview"]');
      return v && v.videoWidth > 0;
    }), { what: `B${i + 1}: the pre-join camera preview to play` });
    await b.page.getByTestId('join').click();
    const t = await h.waitUntil(
      () =>
        b.page.evaluate(() => {
          const t = window.__tertulia;
          return t && t.firstRemoteFrameAt != null && t.joinClickedAt != null
            ? { clicked: t.joinClickedAt, frame: t.firstRemoteFrameAt }
            : null;
        }),
      {
        timeout: 30_000,
        interval: 20,
        what: `B${i + 1}: window.__tertulia.firstRemoteFrameAt after clicking Join`,
        describe: () => b.page.evaluate(() => JSON.stringify({ ...window.__tertulia, peers: window.__tertulia?.peers?.size })),
      },
    );
    const ms = t.frame - t.clicked;
    if (!(ms > 0)) throw new Error(`B${i + 1}: firstRemoteFrameAt (${t.frame}) is not after joinClickedAt (${t.clicked})`);
    if (variant === 'relay') {
      // The figure counts only if the call really went through coturn.
      const sample = await h.mediaSample(b.page);
      const pairs = Object.values(sample.peers || {}).map((p) => p.pair && p.pair.local);
      if (!pairs.length || pairs.some((t) => t !== 'relay')) {
        throw new Error(`B${i + 1}: relay variant but the selected local candidates are ${h.show(pairs)}`);
      }
    }
    runs.push(Math.round(ms * 10) / 10);
    log(`  ${variant} join ${String(i + 1).padStart(2)}: ${ms.toFixed(1)} ms`);
    await b.page.getByTestId('leave').click();
    await h.waitForTiles(a.page, (ts) => ts.length === 1, `A alone again after B${i + 1} left`);
    await b.close();
  }
  h.assertNoConsoleErrors(a);
  await a.close();
  return { variant, runs, ...stats(runs) };
}

const results = [];
try {
  for (const v of variants) {
    log(`bench-join: ${v}, ${RUNS} joins`);
    results.push(await measure(v));
    await h.cleanup(); // one variant's processes gone before the next
  }
} catch (err) {
  console.error(`bench-join failed: ${err.stack || err.message}`);
  await h.cleanup();
  process.exit(1);
}

if (opts.json) {
  console.log(JSON.stringify({ goalMs: GOAL_MS, binary: path.relative(h.REPO_ROOT, h.TERTULIA_BIN), results }, null, 2));
} else {
  console.log(`join time: Join click -> first remote video frame (browser clock), ${RUNS} joins each`);
  for (const r of results) {
    console.log(`${r.variant.padEnd(7)} runs (ms): ${r.runs.map((x) => x.toFixed(0)).join(' ')}`);
    console.log(
      `${r.variant.padEnd(7)} median ${r.median.toFixed(0)} ms, p90 ${r.p90.toFixed(0)} ms, min ${r.min.toFixed(0)}, max ${r.max.toFixed(0)}; goal median < ${GOAL_MS} ms: ${r.median < GOAL_MS ? 'met' : 'NOT met'}`,
    );
  }
}
