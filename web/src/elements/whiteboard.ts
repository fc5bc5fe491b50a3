// Whiteboard: the stroke model (ratios of the board, every remote stroke
// validated before use), per-user undo/redo, hit testing for the eraser,
// canvas drawing (perfect-freehand for the pen) and `Board`, which keeps one
// whiteboard document and the presence of strokes being drawn.
//
// Undo is per person and by stroke id. json0's `invert` of our `li` at index
// i is an `ld` at i, but by the time we undo, others may have inserted or
// removed strokes before i (and sharedb transforms only pending ops, not our
// history), so that index can point at someone else's stroke. Undo therefore
// rebuilds the inverse against the list as it is now: it finds each of our
// strokes by id and removes it where it is (or re-inserts what we erased).

import { signal } from '@preact/signals';
import getStroke from 'perfect-freehand';
import type { Connection, Doc, Json0Component, LocalPresence, Presence } from 'sharedb/lib/client';
import { watchDoc } from './store';

export const TOOLS = ['pen', 'line', 'rect', 'ellipse', 'arrow', 'text'] as const;
export type Tool = (typeof TOOLS)[number];

export interface Stroke {
  id: string;
  /** Participant id of who drew it. */
  by: string;
  tool: Tool;
  color: string;
  /** Thickness in thousandths of the board's width (text: its size). */
  width: number;
  /** `[x, y]` or `[x, y, pressure]`, ratios of the board. Shapes: two corners; text: its top left. */
  points: number[][];
  text?: string;
  /** The slide it was drawn on, for a board over a slides element. */
  page?: number;
}

export interface WhiteboardData {
  kind: 'whiteboard';
  title: string;
  over: string | null;
  strokes: Stroke[];
}

// The server's limits (crates/elements).
export const MAX_STROKES = 20_000;
export const MAX_POINTS = 10_000;
export const MAX_TEXT = 1000;

export const COLORS = ['#1f2328', '#e5484d', '#f5a524', '#30a46c', '#0090ff', '#8e4ec6', '#ffffff'] as const;
export const SIZES = [
  { label: 'S', width: 3 },
  { label: 'M', width: 6 },
  { label: 'L', width: 14 },
] as const;

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const COLOR = /^#[0-9a-fA-F]{6}$/;

export function newStrokeId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);
const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));
/** Four decimals: a tenth of a pixel on a 1000-pixel board, and short ops. */
export const round4 = (n: number): number => Math.round(n * 10_000) / 10_000;

const cleaned = new WeakMap<object, Stroke | null>();

/**
 * A stroke we can draw, from whatever a document or a presence holds, or
 * null. Coordinates are clamped to the board's margin (-1…2), sizes to the
 * schema's range. Unchanged list items keep their identity under json0, so
 * the answer is cached per object.
 */
export function cleanStroke(v: unknown): Stroke | null {
  if (!v || typeof v !== 'object') return null;
  const hit = cleaned.get(v);
  if (hit !== undefined) return hit;
  const s = v as Record<string, unknown>;
  let out: Stroke | null = null;
  const tool = s.tool as Tool;
  if (
    typeof s.id === 'string' &&
    ID.test(s.id) &&
    typeof s.by === 'string' &&
    TOOLS.includes(tool) &&
    typeof s.color === 'string' &&
    COLOR.test(s.color) &&
    finite(s.width) &&
    Array.isArray(s.points) &&
    s.points.length >= 1 &&
    s.points.length <= MAX_POINTS &&
    (tool !== 'text' || typeof s.text === 'string')
  ) {
    const points: number[][] = [];
    for (const p of s.points as unknown[]) {
      if (!Array.isArray(p) || !finite(p[0]) || !finite(p[1])) {
        points.length = 0;
        break;
      }
      const q = [clamp(p[0], -1, 2), clamp(p[1], -1, 2)];
      if (finite(p[2])) q.push(clamp(p[2], 0, 1));
      points.push(q);
    }
    if (points.length) {
      out = { id: s.id, by: s.by.slice(0, 128), tool, color: s.color, width: clamp(s.width, 0.5, 64), points };
      if (typeof s.text === 'string') out.text = s.text.slice(0, MAX_TEXT);
      if (finite(s.page)) out.page = clamp(Math.round(s.page), 1, 10_000);
    }
  }
  cleaned.set(v, out);
  return out;
}

/** The strokes of a document we do not trust: the valid ones, in order. */
export function strokesOf(data: unknown): Stroke[] {
  const list = data && typeof data === 'object' ? (data as { strokes?: unknown }).strokes : null;
  if (!Array.isArray(list)) return [];
  const out: Stroke[] = [];
  for (const v of list.slice(0, MAX_STROKES)) {
    const s = cleanStroke(v);
    if (s) out.push(s);
  }
  return out;
}

// ---- ops and history -------------------------------------------------------

type Listed = readonly unknown[];
const idOf = (v: unknown): unknown => (v && typeof v === 'object' ? (v as { id?: unknown }).id : undefined);

/** A change one person made, as they can undo it. */
export type Action = { type: 'add'; strokes: Stroke[] } | { type: 'remove'; items: { stroke: Stroke; index: number }[] };

/** `li`s appending `strokes` to a list of `length` items. */
export function addOps(length: number, strokes: readonly Stroke[]): Json0Component[] {
  return strokes.map((s, i) => ({ p: ['strokes', length + i], li: s }));
}

/**
 * `ld`s removing the strokes with `ids` from `list` (the document's list as
 * it is now), highest index first so each index still holds when the
 * components apply in order. Also says what was removed and where.
 */
export function removeOps(list: Listed, ids: ReadonlySet<string>): { ops: Json0Component[]; items: { stroke: Stroke; index: number }[] } {
  const items: { stroke: Stroke; index: number }[] = [];
  const ops: Json0Component[] = [];
  for (let i = list.length - 1; i >= 0; i--) {
    const id = idOf(list[i]);
    if (typeof id !== 'string' || !ids.has(id)) continue;
    ops.push({ p: ['strokes', i], ld: list[i] });
    const s = cleanStroke(list[i]);
    if (s) items.unshift({ stroke: s, index: i });
  }
  return { ops, items };
}

/**
 * `li`s putting removed strokes back where they were (clamped to the list
 * as it is now), lowest index first; strokes already there are skipped.
 */
export function restoreOps(list: Listed, items: readonly { stroke: Stroke; index: number }[]): { ops: Json0Component[]; items: { stroke: Stroke; index: number }[] } {
  const present = new Set(list.map(idOf));
  const todo = items.filter((it) => !present.has(it.stroke.id)).sort((a, b) => a.index - b.index);
  let length = list.length;
  const ops: Json0Component[] = [];
  const done: { stroke: Stroke; index: number }[] = [];
  for (const it of todo) {
    const index = Math.min(it.index, length);
    ops.push({ p: ['strokes', index], li: it.stroke });
    done.push({ stroke: it.stroke, index });
    length++;
  }
  return { ops, items: done };
}

/**
 * One person's undo and redo stacks. Each step is computed against the
 * list as it is at that moment (see the top of this file); a step whose
 * strokes are all gone (someone else erased them) is skipped.
 */
export class History {
  private undos: Action[] = [];
  private redos: Action[] = [];

  constructor(private readonly limit = 200) {}

  get canUndo(): boolean {
    return this.undos.length > 0;
  }
  get canRedo(): boolean {
    return this.redos.length > 0;
  }

  /** A new action of ours: redo is no longer possible. */
  record(a: Action): void {
    this.undos.push(a);
    if (this.undos.length > this.limit) this.undos.shift();
    this.redos = [];
  }

  /** Components undoing our latest action that still applies, or []. */
  undo(list: Listed): Json0Component[] {
    for (let a = this.undos.pop(); a; a = this.undos.pop()) {
      if (a.type === 'add') {
        // Only our own strokes are in an 'add': undo never removes another's.
        const r = removeOps(list, new Set(a.strokes.map((s) => s.id)));
        if (!r.ops.length) continue;
        this.redos.push({ type: 'add', strokes: r.items.map((it) => it.stroke) });
        return r.ops;
      }
      const r = restoreOps(list, a.items);
      if (!r.ops.length) continue;
      this.redos.push({ type: 'remove', items: r.items });
      return r.ops;
    }
    return [];
  }

  /** Components redoing the latest undone action, or []. */
  redo(list: Listed): Json0Component[] {
    for (let a = this.redos.pop(); a; a = this.redos.pop()) {
      if (a.type === 'add') {
        const present = new Set(list.map(idOf));
        const strokes = a.strokes.filter((s) => !present.has(s.id));
        if (!strokes.length) continue;
        this.undos.push({ type: 'add', strokes });
        return addOps(list.length, strokes);
      }
      const r = removeOps(list, new Set(a.items.map((it) => it.stroke.id)));
      if (!r.ops.length) continue;
      this.undos.push({ type: 'remove', items: r.items });
      return r.ops;
    }
    return [];
  }
}

/**
 * Splits components into ops of at most `maxBytes` of JSON each (the
 * server refuses messages over 1 MiB): clearing a big board is several ops.
 * Components keep their order, so indices computed for one sequence hold.
 */
export function chunkOps(ops: readonly Json0Component[], maxBytes = 256 * 1024): Json0Component[][] {
  const out: Json0Component[][] = [];
  let cur: Json0Component[] = [];
  let size = 0;
  for (const c of ops) {
    const n = JSON.stringify(c).length;
    if (cur.length && size + n > maxBytes) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(c);
    size += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

// ---- geometry ---------------------------------------------------------------

/** Where the board's (0,0)…(1,1) lands, in CSS pixels of a canvas. */
export interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** CSS pixels per width unit: a width of 1000 spans the board. */
export const unitOf = (f: { w: number }): number => f.w / 1000;
/** A text stroke's font size in CSS pixels. */
export const fontPx = (width: number, f: { w: number }): number => (width * 3 + 8) * unitOf(f);
const LINE_HEIGHT = 1.25;

function segDist(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const t = len > 0 ? clamp(((px - ax) * dx + (py - ay) * dy) / len, 0, 1) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** The outline of a shape as a polyline, in pixels of a `w`×`h` board. */
function outline(s: Stroke, w: number, h: number): number[][] {
  const pts = s.points.map((p) => [p[0]! * w, p[1]! * h]);
  const a = pts[0]!;
  const b = pts[pts.length - 1]!;
  if (s.tool === 'rect') return [a, [b[0]!, a[1]!], b, [a[0]!, b[1]!], a];
  if (s.tool === 'ellipse') {
    const cx = (a[0]! + b[0]!) / 2;
    const cy = (a[1]! + b[1]!) / 2;
    const rx = Math.abs(b[0]! - a[0]!) / 2;
    const ry = Math.abs(b[1]! - a[1]!) / 2;
    return Array.from({ length: 33 }, (_, i) => [cx + rx * Math.cos((i / 32) * 2 * Math.PI), cy + ry * Math.sin((i / 32) * 2 * Math.PI)]);
  }
  if (s.tool === 'line' || s.tool === 'arrow') return [a, b];
  return pts;
}

/** The box a text stroke covers (approximate: no canvas needed), in pixels. */
export function textBox(s: Stroke, f: { w: number; h: number }): { x: number; y: number; w: number; h: number } {
  const size = fontPx(s.width, f);
  const lines = (s.text ?? '').split('\n');
  const longest = Math.max(1, ...lines.map((l) => l.length));
  return { x: s.points[0]![0]! * f.w, y: s.points[0]![1]! * f.h, w: longest * size * 0.6, h: lines.length * size * LINE_HEIGHT };
}

/** True if the point (`x`, `y`, ratios) is within `tol` pixels of the stroke's ink. */
export function hitStroke(s: Stroke, x: number, y: number, f: { w: number; h: number }, tol: number): boolean {
  const px = x * f.w;
  const py = y * f.h;
  if (s.tool === 'text') {
    const b = textBox(s, f);
    return px >= b.x - tol && px <= b.x + b.w + tol && py >= b.y - tol && py <= b.y + b.h + tol;
  }
  const reach = tol + (s.width * unitOf(f)) / 2;
  const pts = outline(s, f.w, f.h);
  if (pts.length === 1) return Math.hypot(px - pts[0]![0]!, py - pts[0]![1]!) <= reach;
  for (let i = 1; i < pts.length; i++) {
    if (segDist(px, py, pts[i - 1]![0]!, pts[i - 1]![1]!, pts[i]![0]!, pts[i]![1]!) <= reach) return true;
  }
  return false;
}

// ---- drawing ----------------------------------------------------------------

const pens = new WeakMap<Stroke, { w: number; h: number; path: Path2D }>();

/** A pen stroke's outline (perfect-freehand), relative to the frame's corner, cached per size. */
function penPath(s: Stroke, f: Frame): Path2D {
  const hit = pens.get(s);
  if (hit && hit.w === f.w && hit.h === f.h) return hit.path;
  const pressure = s.points.every((p) => p.length > 2);
  const outlinePts = getStroke(
    s.points.map((p) => (pressure ? [p[0]! * f.w, p[1]! * f.h, p[2]!] : [p[0]! * f.w, p[1]! * f.h])),
    { size: Math.max(1, s.width * unitOf(f)), thinning: 0.35, smoothing: 0.5, streamline: 0.4, simulatePressure: !pressure, last: true },
  );
  const path = new Path2D();
  if (outlinePts.length) {
    path.moveTo(outlinePts[0]![0]!, outlinePts[0]![1]!);
    for (let i = 1; i < outlinePts.length; i++) {
      const [x0, y0] = outlinePts[i]!;
      const [x1, y1] = outlinePts[(i + 1) % outlinePts.length]!;
      path.quadraticCurveTo(x0!, y0!, (x0! + x1!) / 2, (y0! + y1!) / 2);
    }
    path.closePath();
  }
  pens.set(s, { w: f.w, h: f.h, path });
  return path;
}

/** Draws one stroke on `ctx` (in CSS pixels) with the board at `f`. */
export function drawStroke(ctx: CanvasRenderingContext2D, s: Stroke, f: Frame): void {
  ctx.save();
  ctx.translate(f.x, f.y);
  ctx.fillStyle = s.color;
  ctx.strokeStyle = s.color;
  ctx.lineWidth = Math.max(1, s.width * unitOf(f));
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  const a = s.points[0]!;
  const b = s.points[s.points.length - 1]!;
  const ax = a[0]! * f.w;
  const ay = a[1]! * f.h;
  const bx = b[0]! * f.w;
  const by = b[1]! * f.h;
  switch (s.tool) {
    case 'pen':
      ctx.fill(penPath(s, f));
      break;
    case 'line':
    case 'arrow': {
      ctx.beginPath();
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
      if (s.tool === 'arrow' && (ax !== bx || ay !== by)) {
        const head = Math.max(10, ctx.lineWidth * 4);
        const angle = Math.atan2(by - ay, bx - ax);
        for (const side of [-1, 1]) {
          ctx.moveTo(bx, by);
          ctx.lineTo(bx - head * Math.cos(angle + (side * Math.PI) / 7), by - head * Math.sin(angle + (side * Math.PI) / 7));
        }
      }
      ctx.stroke();
      break;
    }
    case 'rect':
      ctx.strokeRect(Math.min(ax, bx), Math.min(ay, by), Math.abs(bx - ax), Math.abs(by - ay));
      break;
    case 'ellipse':
      ctx.beginPath();
      ctx.ellipse((ax + bx) / 2, (ay + by) / 2, Math.abs(bx - ax) / 2, Math.abs(by - ay) / 2, 0, 0, 2 * Math.PI);
      ctx.stroke();
      break;
    case 'text': {
      const size = fontPx(s.width, f);
      ctx.font = `600 ${size}px system-ui, sans-serif`;
      ctx.textBaseline = 'top';
      (s.text ?? '').split('\n').forEach((line, i) => ctx.fillText(line, ax, ay + i * size * LINE_HEIGHT));
      break;
    }
  }
  ctx.restore();
}

/** Sizes `canvas` to `w`×`h` CSS pixels at the device's resolution; resolves its context, cleared and scaled to CSS pixels. */
export function prepareCanvas(canvas: HTMLCanvasElement, w: number, h: number): CanvasRenderingContext2D | null {
  const dpr = Math.min(window.devicePixelRatio || 1, 3);
  const pw = Math.max(1, Math.round(w * dpr));
  const ph = Math.max(1, Math.round(h * dpr));
  if (canvas.width !== pw) canvas.width = pw;
  if (canvas.height !== ph) canvas.height = ph;
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.clearRect(0, 0, pw, ph);
  ctx.setTransform(pw / Math.max(1, w), 0, 0, ph / Math.max(1, h), 0, 0);
  return ctx;
}

// ---- the document -------------------------------------------------------------

/** Someone else's stroke in progress (presence). */
export interface Draft {
  key: string;
  participant: string;
  name: string;
  stroke: Stroke;
}

interface DraftPresence {
  stroke: Stroke;
  name: string;
}

/**
 * One whiteboard document (`elements/<room>:<id>`) and its presence: the
 * strokes as signals, adding and erasing, and our own undo/redo.
 */
export class Board {
  /** The valid strokes, in document order. */
  readonly strokes = signal<Stroke[]>([]);
  /** The document exists (and is not being created by us right now). */
  readonly exists = signal(false);
  readonly drafts = signal<Draft[]>([]);
  readonly canUndo = signal(false);
  readonly canRedo = signal(false);

  private doc: Doc<WhiteboardData> | null = null;
  private presence: Presence<DraftPresence | null> | null = null;
  private local: LocalPresence<DraftPresence | null> | null = null;
  private readonly history = new History();
  private creating = false;
  private frame = 0;
  private pending: DraftPresence | null | undefined;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly connection: Connection,
    private readonly docId: string,
    /** Who we are: our participant id goes into each stroke's `by`. */
    readonly self: () => { id: string; name: string },
  ) {}

  start(): void {
    if (this.doc) return;
    const doc = this.connection.get<WhiteboardData>('elements', this.docId);
    this.doc = doc;
    const update = () => {
      this.exists.value = !!doc.type && !!doc.data && !this.creating;
      this.strokes.value = doc.type ? strokesOf(doc.data) : [];
    };
    const onError = (e: { code?: string; message: string }) => console.warn(`whiteboard: ${e.code ?? ''} ${e.message}`);
    doc.on('error', onError);
    const unwatch = watchDoc(doc, 'whiteboard', update);
    this.cleanups.push(() => {
      doc.off('error', onError);
      unwatch();
    });

    const presence = this.connection.getDocPresence<DraftPresence | null>('elements', this.docId);
    this.presence = presence;
    presence.subscribe((err) => err && console.warn(`whiteboard: presence: ${err.message}`));
    this.local = presence.create(`${this.self().id}:${Math.random().toString(36).slice(2, 8)}`);
    const read = () => {
      const list: Draft[] = [];
      for (const [key, v] of Object.entries(presence.remotePresences)) {
        const stroke = v && typeof v === 'object' ? cleanStroke(v.stroke) : null;
        if (!stroke) continue;
        list.push({ key, participant: key.split(':')[0] ?? key, name: typeof v!.name === 'string' ? v!.name.slice(0, 60) : '?', stroke });
      }
      this.drafts.value = list;
    };
    presence.on('receive', read);
    this.cleanups.push(() => {
      presence.off('receive', read);
      this.local?.destroy();
      presence.unsubscribe();
    });
  }

  stop(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    while (this.cleanups.length) this.cleanups.pop()!();
    this.doc = null;
    this.presence = null;
    this.local = null;
    this.pending = undefined;
    this.drafts.value = [];
  }

  /** Creates the document with `data` unless it exists (a board over slides is made on first use). */
  ensure(data: WhiteboardData): void {
    const doc = this.doc;
    if (!doc || doc.type || this.creating) return;
    this.creating = true;
    doc.create(data, (err) => {
      this.creating = false;
      // Someone else made it first: sharedb fetches theirs.
      if (err && err.code !== 'ERR_DOC_ALREADY_CREATED') console.warn(`whiteboard: create: ${err.code} ${err.message}`);
      this.exists.value = !!doc.type && !!doc.data;
      this.strokes.value = doc.type ? strokesOf(doc.data) : [];
    });
  }

  private list(): unknown[] {
    const d = this.doc?.data as { strokes?: unknown } | undefined;
    return this.doc?.type && d && Array.isArray(d.strokes) ? d.strokes : [];
  }

  private submit(ops: Json0Component[]): void {
    const doc = this.doc;
    if (!doc || !doc.type || !ops.length) return;
    for (const part of chunkOps(ops)) {
      doc.submitOp(part, { source: 'local' }, (err) => err && console.warn(`whiteboard: op refused: ${err.code} ${err.message}`));
    }
    this.syncHistory();
  }

  private syncHistory(): void {
    this.canUndo.value = this.history.canUndo;
    this.canRedo.value = this.history.canRedo;
  }

  /** Adds our stroke on top of everything (an `li` at the end: concurrent adds all survive). */
  add(stroke: Stroke): void {
    const list = this.list();
    if (!this.exists.peek() || list.length >= MAX_STROKES) return;
    this.history.record({ type: 'add', strokes: [stroke] });
    this.submit(addOps(list.length, [stroke]));
  }

  /**
   * Erases the strokes with `ids` (anyone's). With `into`, what is erased
   * joins that action (one eraser drag is one undo step); resolves the action.
   */
  erase(ids: string[], into?: Action & { type: 'remove' }): (Action & { type: 'remove' }) | undefined {
    const r = removeOps(this.list(), new Set(ids));
    if (!r.ops.length) return into;
    let action = into;
    if (action) action.items.push(...r.items);
    else {
      action = { type: 'remove', items: r.items };
      this.history.record(action);
    }
    this.submit(r.ops);
    return action;
  }

  /** Removes every stroke `which` picks (one undo step brings them all back). */
  clear(which: (s: Stroke) => boolean = () => true): void {
    const ids = this.strokes.peek().filter(which).map((s) => s.id);
    if (ids.length) this.erase(ids);
  }

  undo(): void {
    this.submit(this.history.undo(this.list()));
    this.syncHistory();
  }

  redo(): void {
    this.submit(this.history.redo(this.list()));
    this.syncHistory();
  }

  /** Shows our stroke in progress to the others (null: none), at most once a frame. */
  draft(stroke: Stroke | null): void {
    if (!this.local) return;
    this.pending = stroke ? { stroke, name: this.self().name } : null;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.pending === undefined || !this.local) return;
      this.local.submit(this.pending, (e) => e && console.warn(`whiteboard: presence submit: ${e.message}`));
      this.pending = undefined;
    });
  }
}

/** A new, empty whiteboard element. */
export function newWhiteboard(title: string): WhiteboardData {
  return { kind: 'whiteboard', title, over: null, strokes: [] };
}
