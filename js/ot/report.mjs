#!/usr/bin/env node
// Prints the side-by-side result of scripts/bench-ot: the Rust port's
// criterion medians next to ot-json0's ops/s on the same corpus, with the
// ratio, then the apply document-size sweep.
//
//   node js/ot/report.mjs <criterion dir> <corpus.json> <js-result.json>...
//
// Each js-result file is one `bench.mjs --json` line; the median over them
// is reported. Criterion's median is per iteration, and one iteration runs
// the whole corpus section, so ops/s = cases / median seconds.

import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const [criterionDir, corpusPath, ...jsFiles] = process.argv.slice(2);
if (!criterionDir || !corpusPath || jsFiles.length === 0) {
  throw new Error('usage: report.mjs <criterion dir> <corpus.json> <js-result.json>...');
}
const corpus = JSON.parse(readFileSync(corpusPath, 'utf8'));
const jsRuns = jsFiles.map((f) => JSON.parse(readFileSync(f, 'utf8')));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const medianNs = (dir) => JSON.parse(readFileSync(join(dir, 'new', 'estimates.json'), 'utf8')).median.point_estimate;
const fmt = (n) => Math.round(n).toLocaleString('en-US').padStart(13);

console.log(`OT benchmark: ${corpus.transform.length} transform, ${corpus.compose.length} compose, ${corpus.apply.length} apply cases`);
console.log(`(Rust: criterion median; ot-json0 1.1.0: median of ${jsRuns.length} runs)\n`);
console.log(`${'function'.padEnd(10)}${'Rust ops/s'.padStart(13)}${'ot-json0 ops/s'.padStart(16)}${'ratio'.padStart(9)}`);
const summary = {};
for (const fn of ['transform', 'compose', 'apply']) {
  const rust = corpus[fn].length / (medianNs(join(criterionDir, 'corpus', fn)) / 1e9);
  const js = median(jsRuns.map((r) => r[fn]));
  summary[fn] = { rust, js, ratio: rust / js };
  console.log(`${fn.padEnd(10)}${fmt(rust)}${fmt(js).padStart(16)}${(rust / js).toFixed(1).padStart(8)}x`);
}

const sweepDir = join(criterionDir, 'apply_doc_size');
if (existsSync(sweepDir)) {
  const rows = new Map();
  const sizes = new Set();
  for (const entry of readdirSync(sweepDir)) {
    const m = /^(.*)_(\d+)$/.exec(entry);
    if (!m || !existsSync(join(sweepDir, entry, 'new', 'estimates.json'))) continue;
    const [, name, size] = m;
    sizes.add(Number(size));
    if (!rows.has(name)) rows.set(name, new Map());
    // Each iteration applies the op and its inverse: halve for one apply.
    rows.get(name).set(Number(size), medianNs(join(sweepDir, entry)) / 2);
  }
  const cols = [...sizes].sort((a, b) => a - b);
  console.log('\napply of one 1-component op, ns per apply, by document size (elements):');
  console.log(`${'op'.padEnd(18)}${cols.map((c) => String(c).padStart(10)).join('')}`);
  for (const [name, bySize] of [...rows].sort()) {
    console.log(`${name.padEnd(18)}${cols.map((c) => (bySize.has(c) ? bySize.get(c).toFixed(0) : '-').padStart(10)).join('')}`);
  }
}
console.log(`\n${JSON.stringify(summary)}`);
