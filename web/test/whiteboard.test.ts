import { describe, expect, it } from 'vitest';
// @ts-expect-error ot-json0 ships no types; the tests only apply and transform with it.
import { type as json0 } from 'ot-json0';
import type { Json0Component } from 'sharedb/lib/client';
import { addOps, chunkOps, cleanStroke, hitStroke, History, removeOps, restoreOps, strokesOf, type Stroke } from '../src/elements/whiteboard';

const stroke = (id: string, by = 'ana', extra: Partial<Stroke> = {}): Stroke => ({
  id,
  by,
  tool: 'pen',
  color: '#e5484d',
  width: 6,
  points: [
    [0.1, 0.1],
    [0.2, 0.2],
  ],
  ...extra,
});

type Doc = { strokes: Stroke[] };
const apply = (doc: Doc, ops: Json0Component[]): Doc => json0.apply(doc, ops) as Doc;
const ids = (doc: Doc) => doc.strokes.map((s) => s.id);

describe('cleanStroke', () => {
  it('keeps a valid stroke and clamps what is out of range', () => {
    const s = cleanStroke({ ...stroke('a'), width: 500, points: [[5, -9, 3]], page: 2.4 });
    expect(s).toMatchObject({ id: 'a', width: 64, points: [[2, -1, 1]], page: 2 });
  });
  it('refuses what cannot be drawn', () => {
    for (const bad of [
      null,
      'x',
      { ...stroke('a'), id: '../x' },
      { ...stroke('a'), tool: 'laser' },
      { ...stroke('a'), color: 'red' },
      { ...stroke('a'), width: NaN },
      { ...stroke('a'), points: [] },
      { ...stroke('a'), points: [[0.1, 'x']] },
      { ...stroke('a'), tool: 'text' },
    ]) {
      expect(cleanStroke(bad)).toBeNull();
    }
    expect(strokesOf({ strokes: [stroke('a'), { id: 'bad' }, stroke('b')] }).map((s) => s.id)).toEqual(['a', 'b']);
    expect(strokesOf({ strokes: 'nope' })).toEqual([]);
  });
});

describe('ops by stroke id', () => {
  it('removes by id from the highest index down, and restores where they were', () => {
    const doc: Doc = { strokes: [stroke('a'), stroke('b'), stroke('c'), stroke('d')] };
    const r = removeOps(doc.strokes, new Set(['b', 'd']));
    expect(r.ops.map((c) => c.p[1])).toEqual([3, 1]);
    const after = apply(structuredClone(doc), r.ops);
    expect(ids(after)).toEqual(['a', 'c']);
    const back = restoreOps(after.strokes, r.items);
    expect(ids(apply(after, back.ops))).toEqual(['a', 'b', 'c', 'd']);
  });
  it('splits big changes into ops under a size limit, in order', () => {
    const many = Array.from({ length: 50 }, (_, i) => stroke(`s${i}`));
    const ops = addOps(0, many);
    const parts = chunkOps(ops, 2000);
    expect(parts.length).toBeGreaterThan(1);
    expect(parts.flat()).toEqual(ops);
    for (const p of parts) expect(JSON.stringify(p).length).toBeLessThan(2000 + 200);
  });
});

describe('History (per-user undo and redo)', () => {
  it('undo removes only our stroke, wherever others’ inserts moved it', () => {
    // Ana adds a1 at index 1; meanwhile Bruno inserted two strokes before it.
    let doc: Doc = { strokes: [stroke('x', 'bruno')] };
    const ana = new History();
    const a1 = stroke('a1');
    const add = addOps(doc.strokes.length, [a1]);
    ana.record({ type: 'add', strokes: [a1] });
    const bruno: Json0Component[] = [{ p: ['strokes', 0], li: stroke('b1', 'bruno') }];
    // Server order: Bruno's op first; Ana's is transformed past it.
    doc = apply(doc, bruno);
    doc = apply(doc, json0.transform(add, bruno, 'left'));
    doc = apply(doc, [{ p: ['strokes', 0], li: stroke('b2', 'bruno') }]);
    expect(ids(doc)).toEqual(['b2', 'b1', 'x', 'a1']);
    // A json0 invert of Ana's original `li` (at 1) would now delete Bruno's b1.
    const naive = json0.invert(add) as Json0Component[];
    expect(doc.strokes[naive[0]!.p[1] as number]!.id).toBe('b1');
    // By id it removes a1, and only a1.
    doc = apply(doc, ana.undo(doc.strokes));
    expect(ids(doc)).toEqual(['b2', 'b1', 'x']);
    expect(ana.canUndo).toBe(false);
    doc = apply(doc, ana.redo(doc.strokes));
    expect(ids(doc)).toEqual(['b2', 'b1', 'x', 'a1']);
  });

  it('undoes an erase (even of others’ strokes) by putting them back, and a clear as one step', () => {
    let doc: Doc = { strokes: [stroke('b1', 'bruno'), stroke('a1'), stroke('b2', 'bruno')] };
    const ana = new History();
    const erase = removeOps(doc.strokes, new Set(['b1']));
    ana.record({ type: 'remove', items: erase.items });
    doc = apply(doc, erase.ops);
    const clear = removeOps(doc.strokes, new Set(ids(doc)));
    ana.record({ type: 'remove', items: clear.items });
    doc = apply(doc, clear.ops);
    expect(ids(doc)).toEqual([]);
    doc = apply(doc, ana.undo(doc.strokes));
    expect(ids(doc)).toEqual(['a1', 'b2']);
    doc = apply(doc, ana.undo(doc.strokes));
    expect(ids(doc)).toEqual(['b1', 'a1', 'b2']);
    doc = apply(doc, ana.redo(doc.strokes));
    expect(ids(doc)).toEqual(['a1', 'b2']);
  });

  it('skips steps whose strokes someone else already removed, and a new action ends redo', () => {
    let doc: Doc = { strokes: [] };
    const ana = new History();
    for (const id of ['a1', 'a2']) {
      const s = stroke(id);
      ana.record({ type: 'add', strokes: [s] });
      doc = apply(doc, addOps(doc.strokes.length, [s]));
    }
    // Bruno erases a2: Ana's undo goes straight to a1.
    doc = apply(doc, removeOps(doc.strokes, new Set(['a2'])).ops);
    doc = apply(doc, ana.undo(doc.strokes));
    expect(ids(doc)).toEqual([]);
    expect(ana.undo(doc.strokes)).toEqual([]);
    expect(ana.canRedo).toBe(true);
    ana.record({ type: 'add', strokes: [stroke('a3')] });
    expect(ana.canRedo).toBe(false);
  });
});

describe('hitStroke', () => {
  const f = { w: 1000, h: 500 };
  it('finds lines, shape outlines and text boxes', () => {
    const line = stroke('l', 'ana', { tool: 'line', points: [[0.1, 0.5], [0.9, 0.5]] });
    expect(hitStroke(line, 0.5, 0.505, f, 4)).toBe(true);
    expect(hitStroke(line, 0.5, 0.6, f, 4)).toBe(false);
    const rect = stroke('r', 'ana', { tool: 'rect', points: [[0.2, 0.2], [0.4, 0.6]] });
    expect(hitStroke(rect, 0.2, 0.4, f, 4)).toBe(true);
    expect(hitStroke(rect, 0.3, 0.4, f, 4)).toBe(false); // inside, not on the outline
    const ellipse = stroke('e', 'ana', { tool: 'ellipse', points: [[0.2, 0.2], [0.4, 0.6]] });
    expect(hitStroke(ellipse, 0.3, 0.2, f, 4)).toBe(true);
    const text = stroke('t', 'ana', { tool: 'text', points: [[0.5, 0.5]], text: 'Hello' });
    expect(hitStroke(text, 0.52, 0.52, f, 4)).toBe(true);
    expect(hitStroke(text, 0.45, 0.52, f, 4)).toBe(false);
  });
});
