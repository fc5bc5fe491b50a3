// Random json0 ops that are valid on a given document, for the convergence
// and resubmission tests.
//
// `randomOp(rng, data)` looks at the document as the client currently sees it
// (`doc.data`) and returns an op of 1-3 components that applies cleanly to it:
// `na` on integers, `li`/`ld`/`lm` on lists, `oi`/`od` on objects and `si`/`sd`
// on strings. String offsets are UTF-16 code units, as in JavaScript, but
// always on code point boundaries so no surrogate pair is ever split: the
// texts mix ASCII, accents, CJK and astral emoji (surrogate pairs).
//
// Numbers are integers only: `na` is commutative on integers, while float
// additions applied in different orders by different clients could differ in
// the last bit and make a correct server look divergent.
//
// The document keeps its root keys (`n`, `list`, `obj`, `text`, `items`) so
// every client always has targets; everything below them is fair game.

import { clone, json0Type } from './harness.mjs';

const ROOT_KEYS = ['n', 'list', 'obj', 'text', 'items'];
const KEYS = ['a', 'b', 'c', 'id', 'name', 'ü', '键', '😀', 'x', 'y'];
const CHARS = [...'abcdefxyz ', 'é', 'ñ', 'ß', '中', '文', '😀', '🎉', '🦀', '👍🏽', '𝄞'];
const MAX_LIST = 12;
const MAX_TEXT = 60;
const MAX_DEPTH = 4;

export function initialDoc() {
  return {
    n: 0,
    list: [1, 'two 😀', { a: 3 }],
    obj: { a: 'héllo', b: 2, c: [] },
    text: 'Tertulia 🎉 sync — ñandú 中文',
    items: [{ name: 'α', n: 0 }, { name: '🦀 crab', n: 1 }],
  };
}

export function randomText(rng, min = 1, max = 4) {
  let s = '';
  for (let i = rng.range(min, max); i > 0; i--) s += rng.pick(CHARS);
  return s;
}

function randomValue(rng, depth = 1) {
  switch (rng.int(depth > 0 ? 6 : 4)) {
    case 0:
      return rng.range(-5, 20);
    case 1:
    case 2:
      return randomText(rng, 0, 5);
    case 3:
      return rng.pick([null, true, false]);
    case 4: {
      const o = {};
      for (let i = rng.int(3); i > 0; i--) o[rng.pick(KEYS)] = randomValue(rng, depth - 1);
      return o;
    }
    default: {
      const l = [];
      for (let i = rng.int(3); i > 0; i--) l.push(randomValue(rng, depth - 1));
      return l;
    }
  }
}

/** UTF-16 offsets of every code point boundary of `s`, including 0 and s.length. */
function boundaries(s) {
  const out = [0];
  let i = 0;
  for (const ch of s) {
    i += ch.length;
    out.push(i);
  }
  return out;
}

/** Every node of `data` with its path, depth-first, down to MAX_DEPTH. */
function nodes(data, path = [], out = []) {
  out.push({ path, value: data });
  if (path.length >= MAX_DEPTH) return out;
  if (Array.isArray(data)) data.forEach((v, i) => nodes(v, [...path, i], out));
  else if (data !== null && typeof data === 'object') for (const k of Object.keys(data)) nodes(data[k], [...path, k], out);
  return out;
}

/** One valid component for `data`, or null if the picked node offers none. */
function randomComponent(rng, data) {
  const all = nodes(data);
  const { path, value } = rng.pick(all);

  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return null;
    return { p: path, na: rng.range(-3, 7) };
  }
  if (typeof value === 'string') {
    const b = boundaries(value);
    if (value.length > 0 && (value.length >= MAX_TEXT || rng.chance(0.35))) {
      const i = rng.int(b.length - 1);
      const j = rng.range(i + 1, Math.min(b.length - 1, i + 4));
      return { p: [...path, b[i]], sd: value.slice(b[i], b[j]) };
    }
    return { p: [...path, rng.pick(b)], si: randomText(rng) };
  }
  if (Array.isArray(value)) {
    const r = rng.next();
    if (value.length > 0 && (value.length >= MAX_LIST || r < 0.3)) {
      const i = rng.int(value.length);
      return { p: [...path, i], ld: clone(value[i]) };
    }
    if (value.length > 1 && r < 0.5) {
      const from = rng.int(value.length);
      let to = rng.int(value.length - 1);
      if (to >= from) to++;
      return { p: [...path, from], lm: to };
    }
    if (value.length > 0 && r < 0.58) {
      const i = rng.int(value.length);
      return { p: [...path, i], ld: clone(value[i]), li: randomValue(rng) };
    }
    return { p: [...path, rng.int(value.length + 1)], li: randomValue(rng) };
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => !(path.length === 0 && ROOT_KEYS.includes(k)));
    const k = rng.pick(KEYS);
    if (keys.length > 0 && rng.chance(0.35)) {
      const key = rng.pick(keys);
      return { p: [...path, key], od: clone(value[key]) };
    }
    if (Object.hasOwn(value, k)) {
      if (path.length === 0 && ROOT_KEYS.includes(k)) return null;
      return { p: [...path, k], od: clone(value[k]), oi: randomValue(rng) };
    }
    return { p: [...path, k], oi: randomValue(rng) };
  }
  // null and booleans have no component of their own.
  return null;
}

/**
 * An op of 1-3 components valid on `data` (which is not modified). Each
 * component is generated against the document as left by the previous ones.
 */
export function randomOp(rng, data) {
  let working = clone(data);
  const op = [];
  const n = rng.pick([1, 1, 1, 2, 2, 3]);
  for (let tries = 0; op.length < n && tries < 50; tries++) {
    const c = randomComponent(rng, working);
    if (!c) continue;
    working = json0Type.apply(working, [clone(c)]);
    op.push(c);
  }
  return op;
}
