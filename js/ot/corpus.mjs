#!/usr/bin/env node
// Writes a fixed benchmark corpus, so ot-json0 (js/ot/bench.mjs) and the Rust
// port are timed on exactly the same inputs:
//
//   node js/ot/corpus.mjs [--seed 1] [--count 2000] --out js/out/ot-corpus.json
//
// Output: { "transform": [[a, b], ...], "compose": [[a, b], ...], "apply": [[doc, op], ...] }
// - transform: a and b are both valid on a common document (as two clients
//   editing concurrently);
// - compose: a is valid on some document d, b on apply(d, a);
// - apply: op is valid on doc.
// Ops have 1-3 components and no hostile defects; documents are of moderate
// size (up to 24 root keys, about 0.5 KB of JSON on average, containers of up to 6 entries, depth 4), larger
// than the fuzzer's, which favours collisions over realism. Every case is
// checked with strictApply and run once through ot-json0 before it is written.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import json0pkg from 'ot-json0';
import { Rng, clone, deriveSeed, genOp, randomDoc, strictApply } from './gen.mjs';

const json0 = json0pkg.type;
const DOC_SHAPE = { maxDepth: 4, keys: 24, width: 6 };

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    count: { type: 'string', default: '2000' },
    out: { type: 'string' },
  },
});
if (!values.out) throw new Error('need --out <file>');
const count = Number(values.count);
if (!Number.isInteger(count) || count <= 0) throw new Error('--count must be a positive integer');

const rng = new Rng(deriveSeed(values.seed, 'corpus'));

/** A document with some content, and a non-empty op valid on it (regenerated if the op came out empty). */
function docAndOp(doc, style) {
  for (;;) {
    const r = genOp(rng, doc, { style, maxComponents: 3, maxDepth: DOC_SHAPE.maxDepth });
    if (r.op.length > 0) return r;
  }
}

const corpus = { transform: [], compose: [], apply: [] };
for (let i = 0; i < count; i++) {
  // Per case, one string style for both ops (ot-json0 does not transform si/sd against text0).
  const style = rng.chance(0.5) ? 'si' : 'text0';

  let doc = randomDoc(rng, DOC_SHAPE);
  const a = docAndOp(doc, style);
  const b = docAndOp(doc, style);
  strictApply(doc, a.op);
  strictApply(doc, b.op);
  json0.transform(a.op, b.op, 'left');
  corpus.transform.push([a.op, b.op]);

  doc = randomDoc(rng, DOC_SHAPE);
  const c1 = docAndOp(doc, style);
  const c2 = docAndOp(c1.doc, style);
  strictApply(c1.doc, c2.op);
  json0.compose(c1.op, c2.op);
  corpus.compose.push([c1.op, c2.op]);

  doc = randomDoc(rng, DOC_SHAPE);
  const { op } = docAndOp(doc, style);
  strictApply(doc, op);
  json0.apply(clone(doc), op);
  corpus.apply.push([doc, op]);
}

mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, JSON.stringify(corpus));
console.log(`wrote ${values.out}: ${count} cases each of transform, compose, apply`);
