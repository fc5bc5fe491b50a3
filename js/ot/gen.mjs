// Seeded random JSON documents and json0 operations, for differential testing
// of the Rust port (crates/ot) against the npm reference ot-json0 1.1.0.
//
// Written in the spirit of the generators that ship with ottypes/json0
// (test/json0-generator.coffee, test/text0-generator.coffee): pick a random
// node of the document, pick an instruction that makes sense there, apply it
// to a working copy, and repeat, so every component of an op is valid on the
// document as left by the components before it.
//
// What is generated:
// - Documents (`randomDoc`): an object (mostly), a list or a scalar at the
//   root; nested objects and lists up to `maxDepth` levels; small integers,
//   negative numbers, non-integer floats, booleans, null; strings mixing ASCII,
//   JSON escapes, multi-byte (é, 中) and astral characters (😀, 𝄞, which are
//   surrogate pairs in JavaScript). Keys come from a small vocabulary so that
//   concurrent ops collide often; `__proto__` and `constructor` never appear.
// - Ops (`genOp`): 0-4 components of every kind: na, li, ld, li+ld, lm, oi,
//   od, oi+od (also on the root), and string edits in one of two styles chosen
//   by the caller: `si`/`sd`, or `{t: "text0", o: [...]}` with 1-3 text0
//   components. A case must use one style for all its ops, because ot-json0
//   1.1.0 does not transform si/sd against text0 on the same string (the Rust
//   port refuses that pair with `mixed_string_ops`). Deleted values (ld, od,
//   sd, text0 d) are exactly what the document holds; `oi` alone only targets
//   absent keys; string offsets are UTF-16 code units as JavaScript counts them
//   but always on code point boundaries.
// - Hostile ops (`hostilize`): a valid op with one defect injected (wrong
//   deleted value, index out of range, path through a missing key or through
//   a number, na on a string, mismatching sd, missing or non-array p, no
//   instruction, unknown subtype, surrogate split, reserved key, ...), to check
//   that both implementations fail, or that the port refuses with a code that
//   marks the reference as unsound there.
//
// `strictApply` is an independent, strict applier used to check that the
// generator only produces valid ops (the fuzzer's --self-test runs it).
//
// All randomness comes from `Rng`, so a seed reproduces a run exactly.

/** A small seeded PRNG (mulberry32): fast, 32-bit state, good enough for fuzzing. */
export class Rng {
  constructor(seed) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next() {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n) {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo, hi) {
    return lo + this.int(hi - lo + 1);
  }

  chance(p) {
    return this.next() < p;
  }

  pick(items) {
    return items[this.int(items.length)];
  }

  /** An independent generator for a sub-task, derived from this one. */
  fork() {
    return new Rng(this.int(2 ** 32));
  }

  /** Picks from `[[weight, value], ...]`. */
  weighted(table) {
    let total = 0;
    for (const [w] of table) total += w;
    let x = this.next() * total;
    for (const [w, v] of table) {
      if ((x -= w) < 0) return v;
    }
    return table[table.length - 1][1];
  }
}

/** Derives an independent seed per label, so `--fn compose` alone replays the same cases as a full run. */
export function deriveSeed(seed, label) {
  let h = 0x811c9dc5; // FNV-1a
  for (const ch of `${seed}:${label}`) {
    h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
  }
  return h;
}

export const clone = (v) => JSON.parse(JSON.stringify(v));

export const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** JSON with object keys sorted, so two values compare equal regardless of key order. */
export function canon(v) {
  if (Array.isArray(v)) return `[${v.map(canon).join(',')}]`;
  if (isObject(v)) {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canon(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

// ---------------------------------------------------------------------------
// Values

const ASCII = [...'abcdefxyzAZ019 -_.,'];
const ESCAPES = ['"', '\\', '\n', '\t', '/'];
const MULTI = ['é', 'ü', 'ß', 'ñ', 'ж', '中', '文', '€'];
// Each of these is one or two astral code points, i.e. surrogate pairs in UTF-16.
const ASTRAL = ['😀', '🎉', '𝄞', '👍🏽', '🦀'];

// A small vocabulary, so that concurrent `oi`s on the same new key are common.
const KEYS = ['a', 'b', 'c', 'd', 'id', 'name', 'tags', 'x', 'y', 'ü', '键', '😀', '0', '10', ''];
export const RESERVED_KEYS = ['__proto__', 'constructor'];

// Includes doubles whose shortest decimal form is long or extreme, which a
// JSON parser must round correctly to get the same double as JavaScript.
const FLOATS = [
  0.5, -0.5, 1.5, -2.25, 0.1, 0.2, 3.14, 1e-7, 123456.789, 1e21,
  0.30000000000000004, 1.1400000000000001, 1000000000000000.5, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
];
const BIG_INTS = [2147483647, -2147483648, 1e15, 4294967296];

const CHAR_CLASSES = [
  [60, ASCII],
  [5, ESCAPES],
  [20, MULTI],
  [15, ASTRAL],
];

function randomChar(rng) {
  return rng.pick(rng.weighted(CHAR_CLASSES));
}

/** A string of `min..max` code points (astral characters count as one). */
export function randomString(rng, min = 0, max = 8) {
  let s = '';
  for (let n = rng.range(min, max); n > 0; n--) s += randomChar(rng);
  return s;
}

function randomNumber(rng) {
  return rng.weighted([
    [75, () => rng.range(-20, 50)],
    [20, () => rng.pick(FLOATS)],
    [5, () => rng.pick(BIG_INTS)],
  ])();
}

function freshKey(rng, obj) {
  for (let tries = 0; tries < 8; tries++) {
    const k = rng.pick(KEYS);
    if (!Object.hasOwn(obj, k)) return k;
  }
  // The vocabulary is exhausted for this object; fall back to a unique key.
  let i = 0;
  while (Object.hasOwn(obj, `k${i}`)) i++;
  return `k${i}`;
}

/** A random JSON value nesting at most `depth` more levels of containers. */
export function randomValue(rng, depth, width = 4) {
  const kind = rng.weighted([
    [1, 'null'],
    [1, 'bool'],
    [3, 'number'],
    [4, 'string'],
    [depth > 0 ? 2 : 0, 'object'],
    [depth > 0 ? 3 : 0, 'list'],
  ]);
  switch (kind) {
    case 'null':
      return null;
    case 'bool':
      return rng.chance(0.5);
    case 'number':
      return randomNumber(rng);
    case 'string':
      return randomString(rng);
    case 'object': {
      const obj = {};
      for (let n = rng.range(0, width); n > 0; n--) obj[freshKey(rng, obj)] = randomValue(rng, depth - 1, width);
      return obj;
    }
    default: {
      const list = [];
      for (let n = rng.range(0, width); n > 0; n--) list.push(randomValue(rng, depth - 1, width));
      return list;
    }
  }
}

/**
 * A random document. `keys` is the maximum number of root keys; `width` the
 * maximum size of nested containers.
 */
export function randomDoc(rng, { maxDepth = 4, keys = 5, width = 4 } = {}) {
  const root = rng.weighted([
    [80, 'object'],
    [15, 'list'],
    [5, 'scalar'],
  ]);
  if (root === 'scalar') return rng.chance(0.5) ? randomString(rng, 0, 10) : randomNumber(rng);
  if (root === 'list') {
    const list = [];
    for (let n = rng.range(0, keys); n > 0; n--) list.push(randomValue(rng, maxDepth - 1, width));
    return list;
  }
  const obj = {};
  for (let n = rng.range(1, keys); n > 0; n--) obj[freshKey(rng, obj)] = randomValue(rng, maxDepth - 1, width);
  return obj;
}

// ---------------------------------------------------------------------------
// Ops

/** UTF-16 offsets of every code point boundary of `s`, including 0 and s.length. */
export function boundaries(s) {
  const out = [0];
  let i = 0;
  for (const ch of s) out.push((i += ch.length));
  return out;
}

/** Picks a random edit of `s` at code point boundaries: `{p, i}` or `{p, d}`, and the edited string. */
function randomTextEdit(rng, s) {
  const b = boundaries(s);
  if (s.length === 0 || rng.chance(0.5)) {
    const p = rng.pick(b);
    // Empty inserts are legal in the reference (text0 drops them when composing).
    const i = rng.chance(0.02) ? '' : randomString(rng, 1, 4);
    return [{ p, i }, s.slice(0, p) + i + s.slice(p)];
  }
  const from = rng.int(b.length - 1);
  const to = from + rng.range(1, Math.min(4, b.length - 1 - from));
  const d = s.slice(b[from], b[to]);
  return [{ p: b[from], d }, s.slice(0, b[from]) + s.slice(b[to])];
}

/** Walks a random path from the root, descending into non-empty containers. */
function randomPath(rng, root) {
  const path = [];
  let node = root;
  for (;;) {
    const keys = Array.isArray(node) ? node.map((_, i) => i) : isObject(node) ? Object.keys(node) : [];
    // Rarely stop at the root: there only oi/li (or a rare replace) fit.
    if (keys.length === 0 || !rng.chance(path.length === 0 ? 0.9 : 0.6)) return path;
    const k = rng.pick(keys);
    path.push(k);
    node = node[k];
  }
}

/** The slot holding the node at `path`: `parent[key]`, where the root lives in `box.data`. */
function slot(box, path) {
  let parent = box;
  let key = 'data';
  for (const k of path) {
    parent = parent[key];
    key = k;
  }
  return [parent, key];
}

/**
 * Generates one valid component on `box.data`, applies it to `box.data` in
 * place, and returns it. `style` is 'si' or 'text0'.
 */
function genComponent(rng, box, style, maxDepth) {
  const path = randomPath(rng, box.data);
  const [parent, key] = slot(box, path);
  const node = parent[key];
  const room = Math.max(0, maxDepth - path.length);

  // Weighted so that list, object, number and string edits all come up often
  // even though most documents have an object at the root.
  const actions = [];
  if (path.length === 0) {
    if (rng.chance(0.03)) actions.push([1, 'replaceRoot']);
  } else if (Array.isArray(parent)) {
    actions.push([2, 'ld'], [2, 'lr'], [3, 'lm'], [2, 'liHere']);
  } else {
    actions.push([2, 'od'], [2, 'or']);
  }
  if (typeof node === 'number') actions.push([4, 'na']);
  if (typeof node === 'string') actions.push([6, 'text']);
  if (Array.isArray(node)) actions.push([3, 'li']);
  if (isObject(node)) actions.push([1, 'oi']);
  // A root of null or a boolean (left by an earlier root replace) can only be replaced.
  if (actions.length === 0) actions.push([1, 'replaceRoot']);

  const v = () => randomValue(rng, room);
  switch (rng.weighted(actions)) {
    case 'replaceRoot':
    case 'or': {
      const oi = v();
      parent[key] = oi;
      return { p: path, od: node, oi: clone(oi) };
    }
    case 'od':
      delete parent[key];
      return { p: path, od: node };
    case 'ld':
      parent.splice(key, 1);
      return { p: path, ld: node };
    case 'lr': {
      const li = v();
      parent[key] = li;
      return { p: path, ld: node, li: clone(li) };
    }
    case 'lm': {
      const to = rng.int(parent.length);
      parent.splice(key, 1);
      parent.splice(to, 0, node);
      return { p: path, lm: to };
    }
    case 'liHere': {
      const at = key + rng.int(2); // before or after the chosen element
      const li = v();
      parent.splice(at, 0, li);
      return { p: [...path.slice(0, -1), at], li: clone(li) };
    }
    case 'li': {
      const at = rng.int(node.length + 1);
      const li = randomValue(rng, room - 1);
      node.splice(at, 0, li);
      return { p: [...path, at], li: clone(li) };
    }
    case 'oi': {
      const k = freshKey(rng, node);
      const oi = randomValue(rng, room - 1);
      node[k] = oi;
      return { p: [...path, k], oi: clone(oi) };
    }
    case 'na': {
      const na = rng.weighted([
        [85, () => rng.range(-5, 10)],
        [15, () => rng.pick([0.5, -0.25, 0.1, 1.5])],
      ])();
      parent[key] = node + na;
      return { p: path, na };
    }
    case 'text': {
      if (style === 'si') {
        const [e, s] = randomTextEdit(rng, node);
        parent[key] = s;
        return e.i !== undefined ? { p: [...path, e.p], si: e.i } : { p: [...path, e.p], sd: e.d };
      }
      const o = [];
      let s = node;
      for (let n = rng.weighted([[60, 1], [25, 2], [15, 3]]); n > 0; n--) {
        const [e, next] = randomTextEdit(rng, s);
        o.push(e);
        s = next;
      }
      parent[key] = s;
      return { p: path, t: 'text0', o };
    }
    default:
      throw new Error('unreachable: unknown action');
  }
}

/**
 * Generates an op valid on `doc` (which is not modified).
 * Returns `{ op, doc }` where `doc` is the document after the op.
 * Options: `style` ('si' | 'text0'), `maxComponents` (default 4), `maxDepth`.
 */
export function genOp(rng, doc, { style = 'si', maxComponents = 4, maxDepth = 4 } = {}) {
  const box = { data: clone(doc) };
  const n = rng.chance(0.02)
    ? 0
    : rng.weighted([
        [45, 1],
        [30, 2],
        [15, 3],
        [10, 4],
      ].filter(([, k]) => k <= maxComponents));
  const op = [];
  for (let i = 0; i < n; i++) op.push(clone(genComponent(rng, box, style, maxDepth)));
  return { op, doc: box.data };
}

// ---------------------------------------------------------------------------
// Hostile ops

/** Paths of all nodes satisfying `pred`. */
function findPaths(doc, pred, path = [], out = []) {
  if (pred(doc)) out.push(path);
  if (Array.isArray(doc)) doc.forEach((v, i) => findPaths(v, pred, [...path, i], out));
  else if (isObject(doc)) for (const k of Object.keys(doc)) findPaths(doc[k], pred, [...path, k], out);
  return out;
}

const hasAstral = (v) => typeof v === 'string' && /[\uD800-\uDBFF]/.test(v);

/**
 * Returns a copy of `op` (valid on `doc`) with one defect injected, or a new
 * one-component op that is wrong on `doc`. The result may still happen to be
 * accepted by the reference: the point is to compare how both sides react.
 *
 * Reserved keys only ever appear as the last path element: in the reference
 * a path *through* `__proto__` reaches Object.prototype and would pollute
 * every object of this process.
 */
export function hostilize(rng, doc, op) {
  op = clone(op);
  const comp = () => {
    if (op.length === 0) op.push({ p: [], na: 1 });
    return op[rng.int(op.length)];
  };
  const strings = findPaths(doc, (v) => typeof v === 'string');
  const numbers = findPaths(doc, (v) => typeof v === 'number');
  const objects = findPaths(doc, isObject);
  const lists = findPaths(doc, Array.isArray);
  const at = (path) => path.reduce((node, k) => node[k], doc);
  const add = (c) => op.splice(rng.int(op.length + 1), 0, c);

  const mutations = [
    // Deleted values that do not match the document (not checked by the reference).
    () => {
      const c = comp();
      if ('ld' in c) c.ld = { wrong: c.ld };
      else if ('od' in c) c.od = [c.od, 1];
      else {
        const l = lists.filter((p) => at(p).length > 0);
        add(l.length ? { p: [...rng.pick(l), 0], ld: 'not this' } : { p: ['nope'], od: 1 });
      }
    },
    // List index or lm target out of range, or negative.
    () => {
      const l = lists.length ? rng.pick(lists) : [];
      const len = lists.length ? at(l).length : 0;
      add(rng.pick([
        { p: [...l, len + rng.range(1, 3)], li: 'x' },
        { p: [...l, len], ld: null },
        { p: [...l, -1], li: 1 },
        { p: [...l, 0], lm: len + 2 },
        { p: [...l, 0.5], li: 1 },
      ]));
    },
    // Path through a missing key, or continuing below a number or string.
    () => {
      const c = comp();
      if (Array.isArray(c.p)) c.p = ['missing key', ...c.p];
      else add({ p: ['missing key', 'x'], oi: 1 });
    },
    () => add({ p: [...(numbers.length ? rng.pick(numbers) : ['n']), 'x'], oi: 1 }),
    () => add({ p: [...(strings.length ? rng.pick(strings) : ['s']), 0], li: 'x' }),
    // Instructions on the wrong type of value.
    () => add({ p: strings.length ? rng.pick(strings) : [], na: 1 }),
    () => add({ p: [...(objects.length ? rng.pick(objects) : []), 'k'], li: 1 }),
    () => add({ p: [...(numbers.length ? rng.pick(numbers) : []), 0], si: 'x' }),
    () => add({ p: lists.length ? rng.pick(lists) : [], t: 'text0', o: [{ p: 0, i: 'x' }] }),
    () => add({ p: numbers.length ? rng.pick(numbers) : [], na: rng.pick(['1', null, true, [1]]) }),
    // Text deletes that do not match, and ill-formed text0 components.
    () => {
      const s = strings.length ? rng.pick(strings) : [];
      add(rng.pick([
        { p: [...s, 0], sd: 'Q' },
        { p: s, t: 'text0', o: [{ p: 0, d: 'Q' }] },
        { p: s, t: 'text0', o: [{ p: -1, i: 'x' }] },
        { p: s, t: 'text0', o: [{ p: 0 }] },
        { p: s, t: 'text0', o: [{ p: 0, i: 'x', d: 'y' }] },
        { p: s, t: 'text0', o: [{ p: 1e6, i: 'x' }] },
      ]));
    },
    // Offsets inside a surrogate pair.
    () => {
      const s = findPaths(doc, hasAstral);
      if (!s.length) return add({ p: ['x'], si: 'x' });
      const p = rng.pick(s);
      const mid = at(p).search(/[\uD800-\uDBFF]/) + 1;
      add(rng.chance(0.5) ? { p: [...p, mid], si: 'x' } : { p, t: 'text0', o: [{ p: mid, i: 'é' }] });
    },
    // Malformed components.
    () => delete comp().p,
    () => (comp().p = rng.pick(['a', 0, { 0: 'a' }, null])),
    () => {
      const c = comp();
      for (const k of Object.keys(c)) if (k !== 'p') delete c[k];
    },
    () => add({ p: strings.length ? rng.pick(strings) : [], t: 'rich-text', o: [{ p: 0, i: 'x' }] }),
    () => (comp().extra = 1),
    // Reference-unsound but accepted: oi over an existing key, reserved keys, list index as string.
    () => {
      const o = objects.filter((p) => Object.keys(at(p)).length > 0);
      if (!o.length) return add({ p: [], od: clone(doc) });
      const p = rng.pick(o);
      add({ p: [...p, rng.pick(Object.keys(at(p)))], oi: 'over' });
    },
    () => add({ p: [...(objects.length ? rng.pick(objects) : []), rng.pick(RESERVED_KEYS)], oi: rng.pick([1, 'x']) }),
    () => {
      const l = lists.filter((p) => at(p).length > 0);
      if (l.length) add({ p: [...rng.pick(l), '0'], ld: 'x' });
      else add({ p: [0], oi: 1 });
    },
    // Numbers that overflow to Infinity.
    () => {
      const p = numbers.length ? rng.pick(numbers) : [];
      add({ p, na: 1.7e308 });
      add({ p, na: 1.7e308 });
    },
  ];
  rng.pick(mutations)();
  return op;
}

// ---------------------------------------------------------------------------
// Strict validation

const SHAPES = new Set(['na', 'li', 'ld', 'ld,li', 'lm', 'oi', 'od', 'od,oi', 'si', 'sd', 'o,t']);

function fail(msg, c) {
  throw new Error(`${msg}: ${JSON.stringify(c)}`);
}

/** Walks `path` strictly (every step must exist) and returns the slot `[parent, key]`. */
function strictSlot(box, path, c) {
  let parent = box;
  let key = 'data';
  for (const k of path) {
    const node = parent[key];
    if (Array.isArray(node)) {
      if (!Number.isInteger(k) || k < 0 || k >= node.length) fail('bad list index', c);
    } else if (isObject(node)) {
      if (typeof k !== 'string' || RESERVED_KEYS.includes(k) || !Object.hasOwn(node, k)) fail('bad object key', c);
    } else {
      fail('path below a scalar', c);
    }
    parent = node;
    key = k;
  }
  return [parent, key];
}

function strictText(s, o, c) {
  if (typeof s !== 'string') fail('text op on a non-string', c);
  for (const e of o) {
    const shape = Object.keys(e).sort().join(',');
    const b = boundaries(s);
    if (!Number.isInteger(e.p) || !b.includes(e.p)) fail('text offset not on a code point boundary', c);
    if (shape === 'i,p' && typeof e.i === 'string') {
      s = s.slice(0, e.p) + e.i + s.slice(e.p);
    } else if (shape === 'd,p' && typeof e.d === 'string') {
      if (s.slice(e.p, e.p + e.d.length) !== e.d || !b.includes(e.p + e.d.length)) fail('text delete mismatch', c);
      s = s.slice(0, e.p) + s.slice(e.p + e.d.length);
    } else {
      fail('bad text component', c);
    }
  }
  return s;
}

/**
 * Applies `op` to a copy of `doc`, throwing unless every component is
 * unambiguously valid: well-formed, paths that exist, deleted values equal to
 * the document's, in-range indices, `oi` alone only on absent keys, string
 * offsets on code point boundaries. Returns the new document.
 */
export function strictApply(doc, op) {
  if (!Array.isArray(op)) fail('op is not a list', op);
  const box = { data: clone(doc) };
  for (const c of op) {
    if (!isObject(c) || !Array.isArray(c.p)) fail('no path', c);
    const shape = Object.keys(c).filter((k) => k !== 'p').sort().join(',');
    if (!SHAPES.has(shape)) fail('bad shape', c);
    const p = c.p;
    const last = p[p.length - 1];
    if (shape === 'na' || shape === 'o,t') {
      const [parent, key] = strictSlot(box, p, c);
      if (shape === 'na') {
        if (typeof parent[key] !== 'number' || typeof c.na !== 'number') fail('bad na', c);
        parent[key] += c.na;
      } else {
        if (c.t !== 'text0' || !Array.isArray(c.o)) fail('bad subtype op', c);
        parent[key] = strictText(parent[key], c.o, c);
      }
    } else if (shape === 'si' || shape === 'sd') {
      const [parent, key] = strictSlot(box, p.slice(0, -1), c);
      const e = shape === 'si' ? { p: last, i: c.si } : { p: last, d: c.sd };
      parent[key] = strictText(parent[key], [e], c);
    } else if (p.length === 0) {
      if (shape !== 'od,oi') fail('only replace is allowed on the root', c);
      if (canon(box.data) !== canon(c.od)) fail('od does not match', c);
      box.data = clone(c.oi);
    } else {
      const [pp, pk] = strictSlot(box, p.slice(0, -1), c);
      const container = pp[pk];
      if (shape[0] === 'l') {
        if (!Array.isArray(container) || !Number.isInteger(last) || last < 0) fail('bad list op', c);
        const len = container.length;
        if (last > len || (shape !== 'li' && last === len)) fail('list index out of range', c);
        if ('ld' in c && canon(container[last]) !== canon(c.ld)) fail('ld does not match', c);
        if (shape === 'li') container.splice(last, 0, clone(c.li));
        else if (shape === 'ld') container.splice(last, 1);
        else if (shape === 'ld,li') container[last] = clone(c.li);
        else {
          if (!Number.isInteger(c.lm) || c.lm < 0 || c.lm >= len) fail('lm out of range', c);
          container.splice(c.lm, 0, container.splice(last, 1)[0]);
        }
      } else {
        if (!isObject(container) || typeof last !== 'string' || RESERVED_KEYS.includes(last)) fail('bad object op', c);
        const exists = Object.hasOwn(container, last);
        if ('od' in c ? !exists || canon(container[last]) !== canon(c.od) : exists) fail('od does not match', c);
        if ('oi' in c) container[last] = clone(c.oi);
        else delete container[last];
      }
    }
  }
  return box.data;
}
