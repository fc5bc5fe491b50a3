#!/usr/bin/env node
// Times ot-json0 1.1.0 on a corpus written by js/ot/corpus.mjs, as the
// baseline for the Rust port's benchmark on the same file:
//
//   node js/ot/bench.mjs --corpus js/out/ot-corpus.json [--seconds 2] [--json]
//
// For each function: warm up for a quarter of the time budget, then run whole
// passes over the corpus until `--seconds` of timed work have accumulated.
// One iteration is one call:
// - transform: json0.transform(a, b, "left") — one side only;
// - compose:   json0.compose(a, b);
// - apply:     json0.apply(snapshot, op) on a fresh copy of the document.
//   json0.apply mutates its snapshot, so before each pass (outside the timed
//   region) every document of the corpus is copied; only the apply calls are
//   timed. (json0.apply still clones the *op* internally; that is its cost.)
// Prints ops/s per function, or with --json one line:
//   {"transform":opsPerSec,"compose":opsPerSec,"apply":opsPerSec}

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import json0pkg from 'ot-json0';

const json0 = json0pkg.type;

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    seconds: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});
if (!values.corpus) throw new Error('need --corpus <file> (write one with js/ot/corpus.mjs)');
const seconds = Number(values.seconds);
if (!(seconds > 0)) throw new Error('--seconds must be positive');
const corpus = JSON.parse(readFileSync(values.corpus, 'utf8'));

// Parsing one string is the cheapest way to get fresh copies of all documents.
const applyDocs = JSON.stringify(corpus.apply.map(([doc]) => doc));

// Results are summed into this so the calls cannot be optimised away.
let sink = 0;

/**
 * Times passes of `run(inputs)` (which returns its call count) until `budget`
 * seconds of timed work; `prepare()` makes each pass's inputs, untimed.
 */
function timePasses(prepare, run, budget) {
  let calls = 0;
  let ns = 0n;
  while (Number(ns) / 1e9 < budget) {
    const inputs = prepare();
    const t0 = process.hrtime.bigint();
    calls += run(inputs);
    ns += process.hrtime.bigint() - t0;
  }
  return calls / (Number(ns) / 1e9);
}

const benches = {
  transform: {
    prepare: () => corpus.transform,
    run(pairs) {
      for (const [a, b] of pairs) sink += json0.transform(a, b, 'left').length;
      return pairs.length;
    },
  },
  compose: {
    prepare: () => corpus.compose,
    run(pairs) {
      for (const [a, b] of pairs) sink += json0.compose(a, b).length;
      return pairs.length;
    },
  },
  apply: {
    prepare: () => JSON.parse(applyDocs).map((doc, i) => [doc, corpus.apply[i][1]]),
    run(cases) {
      for (const [doc, op] of cases) sink += json0.apply(doc, op) === undefined ? 0 : 1;
      return cases.length;
    },
  },
};

const results = {};
for (const [name, { prepare, run }] of Object.entries(benches)) {
  timePasses(prepare, run, seconds / 4); // warm-up: let the JIT settle
  results[name] = Math.round(timePasses(prepare, run, seconds));
  if (!values.json) console.log(`${name.padEnd(9)} ${results[name].toLocaleString('en-US').padStart(12)} ops/s`);
}
if (values.json) console.log(JSON.stringify(results));
if (sink === -1) console.log(''); // keeps `sink` observable
