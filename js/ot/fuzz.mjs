#!/usr/bin/env node
// Differential fuzzer: the Rust json0 port (`tertulia ot`) against the npm
// reference ot-json0 1.1.0.
//
//   node js/ot/fuzz.mjs --bin target/release/tertulia [--seed 1] [--iterations 20000]
//                       [--fn apply,transform,compose,invert]
//   node js/ot/fuzz.mjs --self-test   # same run against ot-json0 itself, in process
//   node js/ot/fuzz.mjs --serve       # speak the `tertulia ot` protocol, backed by ot-json0
// `--report FILE` writes every mismatch, and every skip of a valid (non-hostile)
// case, as one JSON line, for triage.
//
// `--iterations` is per function. A transform iteration makes two cases,
// transform(a, b, "left") and transform(b, a, "right"), the two sides of the
// OT diamond. `normalize` can be named in --fn but is not run by default.
//
// The binary is spawned once as `<bin> ot`; it reads one JSON request per
// line and answers each with one line, in order:
//   {"fn":"apply","snapshot":S,"op":O}                          -> {"ok":S2}
//   {"fn":"transform","op":O,"other":O2,"side":"left"|"right"}  -> {"ok":O3}
//   {"fn":"compose","op":O,"other":O2}                          -> {"ok":O3}
//   {"fn":"invert","op":O} / {"fn":"normalize","op":O}          -> {"ok":O2}
//   any failure                        -> {"error":{"code":"...","message":"..."}}
// Requests go out in batches of BATCH lines; the next batch is generated
// while the binary works on the current one.
//
// Verdicts. The reference sees exactly the request line the binary sees
// (parsed from the same JSON text), and its result is JSON round-tripped.
// - both ok: results must be equal as JSON (key order ignored, numbers by value);
// - both fail: pass;
// - reference fails, port ok: mismatch;
// - reference ok, port fails: skipped if the code is one of SKIP_CODES (inputs
//   where ot-json0 1.1.0 returns a wrong result, see crates/ot/src/lib.rs),
//   otherwise mismatch.
// A root `od` makes the reference return `undefined`; that is compared as null.
//
// Output ends with `ot-fuzz: N passed, M failed` (N excludes skipped cases),
// then one `ot-fuzz: skipped <code>: <count>` line per code. Exit status is 1
// on any mismatch or protocol failure.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import json0pkg from 'ot-json0';
import { Rng, canon, deriveSeed, genOp, hostilize, isObject, randomDoc, strictApply } from './gen.mjs';

const json0 = json0pkg.type;

// The refusals documented in crates/ot/src/lib.rs ("Where this crate refuses
// what the reference accepts"); OtError::is_reference_unsound() is true for
// exactly these.
const SKIP_CODES = new Set([
  'missing_path',
  'too_deep',
  'path_type_mismatch',
  'object_insert_overwrites',
  'index_out_of_range',
  'reserved_key',
  'ill_formed_component',
  'unknown_subtype',
  'not_a_string',
  'not_a_container',
  'mixed_string_ops',
  'surrogate_split',
  'number_overflow',
  'root_delete',
]);
const DEFAULT_FNS = ['apply', 'transform', 'compose', 'invert'];
const ALL_FNS = [...DEFAULT_FNS, 'normalize'];
const BATCH = 500;
const HOSTILE_RATE = 0.05;
const BATCH_TIMEOUT_MS = 30_000;
const MAX_REPORTED = 5;
// Small documents, so that concurrent ops touch the same paths often.
const DOC_SHAPE = { maxDepth: 4, keys: 5, width: 4 };

// ---------------------------------------------------------------------------
// The reference

/** Runs a parsed request through ot-json0. Throws what ot-json0 throws. */
function reference(req) {
  switch (req.fn) {
    case 'apply':
      return json0.apply(req.snapshot, req.op);
    case 'transform':
      return json0.transform(req.op, req.other, req.side);
    case 'compose':
      return json0.compose(req.op, req.other);
    case 'invert':
      return json0.invert(req.op);
    case 'normalize':
      return json0.normalize(req.op);
    default:
      throw new Error(`unknown fn ${JSON.stringify(req.fn)}`);
  }
}

/** `{ok: value}` or `{threw: message}`, from a request line (parsed afresh: ot-json0 mutates its inputs). */
function runReference(line) {
  try {
    const result = reference(JSON.parse(line));
    return { ok: result === undefined ? null : JSON.parse(JSON.stringify(result)) };
  } catch (e) {
    return { threw: String(e?.message ?? e) };
  }
}

/** One protocol response from ot-json0, standing in for `tertulia ot`. */
function serveLine(line) {
  const r = runReference(line);
  // Reverse key order, so the self-test proves that comparison ignores it.
  return 'ok' in r ? JSON.stringify({ ok: reverseKeys(r.ok) }) : JSON.stringify({ error: { code: 'js_error', message: r.threw } });
}

function reverseKeys(v) {
  if (Array.isArray(v)) return v.map(reverseKeys);
  if (!isObject(v)) return v;
  const out = {};
  for (const k of Object.keys(v).reverse()) out[k] = reverseKeys(v[k]);
  return out;
}

// ---------------------------------------------------------------------------
// Backends: the spawned binary, or the in-process fake.

class ChildBackend {
  constructor(bin) {
    this.bin = bin;
    this.child = spawn(bin, ['ot'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = [];
    this.wanted = 0;
    this.gotLines = () => {};
    this.exit = null;
    // Rejects once the child is gone, so that no wait on it can hang.
    this.dead = new Promise((_, reject) => {
      this.child.on('error', (e) => reject(new Error(`cannot run ${bin} ot: ${e.message}`)));
      // 'close' rather than 'exit': it comes after stdout has been read to the end.
      this.child.on('close', (code, signal) => {
        this.exit = signal ?? code;
        reject(new Error(`${bin} ot exited with ${signal ?? `status ${code}`} while requests were pending`));
      });
    });
    this.dead.catch(() => {});
    // A broken pipe surfaces through 'close' above; unhandled, it would crash the fuzzer.
    this.child.stdin.on('error', () => {});
    // Always reading, even while a write waits for 'drain', so neither side can block the other.
    createInterface({ input: this.child.stdout, crlfDelay: Infinity }).on('line', (line) => {
      this.lines.push(line);
      if (this.lines.length >= this.wanted) this.gotLines();
    });
  }

  async send(lines) {
    try {
      if (!this.child.stdin.write(lines.join('\n') + '\n')) {
        await Promise.race([once(this.child.stdin, 'drain'), this.dead]);
      }
    } catch (e) {
      // EPIPE says little; the exit status, if it comes soon, says more.
      await Promise.race([this.dead, new Promise((resolve) => setTimeout(resolve, 1000))]);
      throw e;
    }
  }

  async receive(n) {
    if (this.lines.length < n) {
      let timer;
      try {
        await Promise.race([
          this.dead,
          new Promise((resolve, reject) => {
            this.wanted = n;
            this.gotLines = resolve;
            timer = setTimeout(() => reject(new Error(`no response within ${BATCH_TIMEOUT_MS} ms`)), BATCH_TIMEOUT_MS);
          }),
        ]);
      } finally {
        clearTimeout(timer);
        this.wanted = 0;
      }
    }
    return this.lines.splice(0, n);
  }

  /** Closes stdin and waits for a clean exit; returns an error message otherwise. */
  async close() {
    this.child.stdin.end();
    if (this.exit === null) {
      const timeout = new Promise((resolve) => setTimeout(resolve, 5000).unref());
      await Promise.race([this.dead.catch(() => {}), timeout]);
    }
    if (this.exit === null) {
      this.child.kill();
      return `${this.bin} ot did not exit within 5 s of its stdin closing`;
    }
    if (this.lines.length > 0) return `${this.bin} ot wrote ${this.lines.length} unexpected extra lines`;
    return this.exit === 0 ? null : `${this.bin} ot exited with ${this.exit}`;
  }
}

class FakeBackend {
  constructor() {
    this.pending = [];
  }

  async send(lines) {
    this.pending.push(...lines.map(serveLine));
  }

  async receive(n) {
    return this.pending.splice(0, n);
  }

  async close() {
    return null;
  }
}

// ---------------------------------------------------------------------------
// Cases

/** Builds the requests of one iteration of `fn`, with the documents each op must be valid on. */
function makeCases(fn, rng) {
  const hostile = rng.chance(HOSTILE_RATE);
  // One string-edit style per iteration: ot-json0 does not transform si/sd against text0.
  const style = rng.chance(0.5) ? 'si' : 'text0';
  const doc = randomDoc(rng, DOC_SHAPE);
  const gen = (d) => genOp(rng, d, { style, maxDepth: DOC_SHAPE.maxDepth });
  const spoil = (d, op) => (hostile ? hostilize(rng, d, op) : op);
  // `valid` lists [doc, op] pairs that the self-test checks with strictApply.
  switch (fn) {
    case 'apply': {
      const { op } = gen(doc);
      return { hostile, valid: [[doc, op]], reqs: [{ fn, snapshot: doc, op: spoil(doc, op) }] };
    }
    case 'transform': {
      const a = gen(doc).op;
      const b = gen(doc).op;
      const [a2, b2] = rng.chance(0.5) ? [spoil(doc, a), b] : [a, spoil(doc, b)];
      return {
        hostile,
        valid: [[doc, a], [doc, b]],
        reqs: [
          { fn, op: a2, other: b2, side: 'left' },
          { fn, op: b2, other: a2, side: 'right' },
        ],
      };
    }
    case 'compose': {
      const a = gen(doc);
      const b = gen(a.doc);
      const [a2, b2] = rng.chance(0.5) ? [spoil(doc, a.op), b.op] : [a.op, spoil(a.doc, b.op)];
      return { hostile, valid: [[doc, a.op], [a.doc, b.op]], reqs: [{ fn, op: a2, other: b2 }] };
    }
    default: {
      // invert, normalize
      const { op } = gen(doc);
      return { hostile, valid: [[doc, op]], reqs: [{ fn, op: spoil(doc, op) }] };
    }
  }
}

/** Builds the next batch of cases: about BATCH request lines, fewer at the end of the run. */
function buildBatch(fn, rng, iterations, selfTest, stats) {
  const batch = [];
  while (batch.length < BATCH && stats.iterations < iterations) {
    stats.iterations++;
    const { hostile, valid, reqs } = makeCases(fn, rng);
    if (selfTest && !hostile) {
      // The generator promises ops a strict applier accepts; hold it to that.
      for (const [doc, op] of valid) {
        try {
          strictApply(doc, op);
        } catch (e) {
          stats.generatorErrors.push(`${e.message} in ${JSON.stringify({ doc, op })}`);
        }
      }
    }
    for (const req of reqs) {
      const line = JSON.stringify(req);
      const js = runReference(line);
      if (selfTest && !hostile && 'threw' in js) stats.generatorErrors.push(`ot-json0 threw ${js.threw} on valid ${line}`);
      batch.push({ line, hostile, js });
    }
  }
  return batch;
}

// ---------------------------------------------------------------------------
// Verdicts

/** Parses a response line; returns `{ok}` / `{code, message}`, or `{bad: why}`. */
function parseResponse(line) {
  if (line === undefined) return { bad: 'no response' };
  let r;
  try {
    r = JSON.parse(line);
  } catch {
    return { bad: 'response is not JSON' };
  }
  if (!isObject(r)) return { bad: 'response is not an object' };
  const keys = Object.keys(r).join(',');
  if (keys === 'ok') return { ok: r.ok };
  const e = r.error;
  if (keys === 'error' && isObject(e) && typeof e.code === 'string' && typeof e.message === 'string') {
    return { code: e.code, message: e.message };
  }
  return { bad: 'response is neither {"ok":…} nor {"error":{"code":…,"message":…}}' };
}

/** 'pass' | 'skip' | a string saying why the case failed. */
function verdict(js, rust) {
  if (rust.bad) return rust.bad;
  if ('ok' in js) {
    if ('ok' in rust) return canon(js.ok) === canon(rust.ok) ? 'pass' : 'results differ';
    return SKIP_CODES.has(rust.code) ? 'skip' : `reference accepted, port refused with ${rust.code}`;
  }
  return 'ok' in rust ? 'reference threw, port accepted' : 'pass';
}

// ---------------------------------------------------------------------------
// Main

function parseCli() {
  const { values } = parseArgs({
    options: {
      bin: { type: 'string' },
      seed: { type: 'string', default: '1' },
      iterations: { type: 'string', default: '20000' },
      fn: { type: 'string', default: DEFAULT_FNS.join(',') },
      'self-test': { type: 'boolean', default: false },
      serve: { type: 'boolean', default: false },
      report: { type: 'string' },
    },
  });
  const fns = values.fn.split(',').filter(Boolean);
  for (const f of fns) if (!ALL_FNS.includes(f)) throw new Error(`unknown --fn ${f}; expected some of ${ALL_FNS.join(',')}`);
  const iterations = Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 0) throw new Error('--iterations must be a non-negative integer');
  if (!values.serve && !values['self-test'] && !values.bin) throw new Error('need --bin <path to tertulia>, --self-test or --serve');
  return { ...values, fns, iterations, selfTest: values['self-test'] };
}

async function serve() {
  for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    if (!process.stdout.write(serveLine(line) + '\n')) await once(process.stdout, 'drain');
  }
}

async function fuzz(opts) {
  const backend = opts.selfTest ? new FakeBackend() : new ChildBackend(opts.bin);
  let passed = 0;
  let failed = 0;
  const skipped = new Map();
  const reports = [];
  const generatorErrors = [];
  let fatal = null;
  const log = opts.report ? createWriteStream(opts.report) : null;

  for (const fn of opts.fns) {
    const started = performance.now();
    const rng = new Rng(deriveSeed(opts.seed, fn));
    const stats = { iterations: 0, generatorErrors };
    const tally = { cases: 0, okOk: 0, errErr: 0, skipped: 0, validSkipped: 0, failed: 0, hostile: 0 };
    let batch = buildBatch(fn, rng, opts.iterations, opts.selfTest, stats);
    try {
      while (batch.length > 0) {
        await backend.send(batch.map((c) => c.line));
        // Generate the next batch while the binary works on this one.
        const next = buildBatch(fn, rng, opts.iterations, opts.selfTest, stats);
        const responses = await backend.receive(batch.length);
        batch.forEach((c, i) => {
          const rust = parseResponse(responses[i]);
          const v = verdict(c.js, rust);
          tally.cases++;
          if (c.hostile) tally.hostile++;
          if (v === 'pass') {
            passed++;
            if ('ok' in c.js) tally.okOk++;
            else tally.errErr++;
          } else if (v === 'skip') {
            tally.skipped++;
            skipped.set(rust.code, (skipped.get(rust.code) ?? 0) + 1);
            // Valid ops should never need a skip; worth a look when they do.
            if (!c.hostile) {
              tally.validSkipped++;
              log?.write(JSON.stringify({ why: `skipped: ${rust.code}`, hostile: false, request: JSON.parse(c.line), js: c.js, rust: responses[i] }) + '\n');
            }
          } else {
            failed++;
            tally.failed++;
            const report = { why: v, hostile: c.hostile, request: JSON.parse(c.line), js: c.js, rust: responses[i] };
            if (reports.length < MAX_REPORTED) reports.push(report);
            log?.write(JSON.stringify(report) + '\n');
          }
        });
        batch = next;
      }
    } catch (e) {
      fatal = `${fn}: ${e.message}`;
    }
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    console.log(
      `${fn.padEnd(9)} ${tally.cases} cases (${tally.hostile} hostile) in ${secs} s: ` +
        `${tally.okOk} both ok, ${tally.errErr} both failed, ` +
        `${tally.skipped} skipped (${tally.validSkipped} of them valid), ${tally.failed} failed`,
    );
    if (fatal) break;
  }
  if (log) await new Promise((resolve) => log.end(resolve));
  const closeError = await backend.close();
  fatal ??= closeError;

  for (const r of reports) {
    console.log(`\nMISMATCH (${r.why}${r.hostile ? ', hostile case' : ''})`);
    console.log(`  request: ${JSON.stringify(r.request)}`);
    console.log(`  ot-json0: ${JSON.stringify(r.js)}`);
    console.log(`  port:     ${r.rust}`);
  }
  if (failed > reports.length) console.log(`\n(${failed - reports.length} more mismatches not shown)`);
  for (const g of generatorErrors.slice(0, MAX_REPORTED)) console.log(`\nGENERATOR ERROR: ${g}`);
  if (Object.keys(Object.prototype).length > 0) fatal ??= 'Object.prototype was polluted by a generated op';
  if (fatal) console.log(`\nFATAL: ${fatal}`);

  console.log(`\not-fuzz: ${passed} passed, ${failed} failed`);
  if (skipped.size === 0) console.log('ot-fuzz: skipped none');
  for (const [code, n] of [...skipped].sort()) console.log(`ot-fuzz: skipped ${code}: ${n}`);
  return failed === 0 && generatorErrors.length === 0 && !fatal ? 0 : 1;
}

const opts = parseCli();
if (opts.serve) await serve();
else process.exitCode = await fuzz(opts);
