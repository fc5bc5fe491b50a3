import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Call } from '../call';
import { hook } from '../hook';
import { elementDocId, type ElementRef } from '../elements/store';
import {
  Board,
  COLORS,
  drawStroke,
  fontPx,
  hitStroke,
  MAX_POINTS,
  MAX_TEXT,
  newStrokeId,
  prepareCanvas,
  round4,
  SIZES,
  type Frame,
  type Stroke,
  type Tool,
} from '../elements/whiteboard';

/** What one person draws with (local, never shared). */
export interface ToolState {
  tool: Tool | 'eraser';
  color: string;
  width: number;
}

export const DEFAULT_TOOLS: ToolState = { tool: 'pen', color: COLORS[0], width: SIZES[1].width };

// One Board per whiteboard for the page's lifetime, so that our undo history
// survives looking at another element and coming back.
const boards = new WeakMap<Call, Map<string, Board>>();

/** The whiteboard document `elements/<room>:<id>`, subscribed while the component lives. */
export function useBoard(call: Call, id: string): Board {
  const board = useMemo(() => {
    let mine = boards.get(call);
    if (!mine) boards.set(call, (mine = new Map()));
    let b = mine.get(id);
    if (!b) {
      b = new Board(call.share.connection, elementDocId(call.room, id), () => ({ id: call.store.state.peek().selfId ?? 'anon', name: call.selfName() }));
      mine.set(id, b);
    }
    return b;
  }, [call, id]);
  useEffect(() => {
    board.start();
    return () => board.stop();
  }, [board]);
  return board;
}

/** Ctrl/⌘+Z undoes, Ctrl/⌘+Shift+Z or Ctrl+Y redoes (not while typing in a field). */
export function undoKeys(board: Board, e: KeyboardEvent): void {
  if (!(e.ctrlKey || e.metaKey) || (e.target as HTMLElement | null)?.tagName === 'INPUT') return;
  const k = e.key.toLowerCase();
  if (k === 'z' && !e.shiftKey) board.undo();
  else if ((k === 'z' && e.shiftKey) || k === 'y') board.redo();
  else return;
  e.preventDefault();
}

const TOOL_LABELS: Record<ToolState['tool'], string> = {
  pen: 'Pen',
  line: 'Line',
  arrow: 'Arrow',
  rect: 'Rectangle',
  ellipse: 'Ellipse',
  text: 'Text',
  eraser: 'Eraser',
};

function ToolIcon({ tool }: { tool: ToolState['tool'] | 'undo' | 'redo' | 'clear' }): JSX.Element {
  const p = { fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round', 'stroke-linejoin': 'round' } as const;
  const shapes: Record<typeof tool, JSX.Element> = {
    pen: <path {...p} d="M4 20c3-1 4-6 7-9s6-5 8-3-1 5-4 7-6 3-7 6" />,
    line: <path {...p} d="M5 19L19 5" />,
    arrow: <path {...p} d="M5 19L19 5M11 5h8v8" />,
    rect: <rect {...p} x="4" y="6" width="16" height="12" rx="1" />,
    ellipse: <ellipse {...p} cx="12" cy="12" rx="8" ry="6" />,
    text: <path {...p} d="M6 6h12M12 6v13M9 19h6" />,
    eraser: <path {...p} d="M8 19h11M5 15l8-9 6 6-7 7H9z" />,
    undo: <path {...p} d="M9 8H4V3M4 8c3-4 8-5 12-2s4 9 0 12" />,
    redo: <path {...p} d="M15 8h5V3M20 8c-3-4-8-5-12-2s-4 9 0 12" />,
    clear: <path {...p} d="M5 7h14M10 7V4h4v3M7 7l1 13h8l1-13" />,
  };
  return (
    <svg class="icon" width={20} height={20} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      {shapes[tool]}
    </svg>
  );
}

/** Tools, colours, sizes, undo/redo and clear (`clearQuestion` is asked with confirm() first). */
export function BoardTools({
  board,
  tools,
  setTools,
  clearable,
  clearQuestion,
  onClear,
}: {
  board: Board;
  tools: ToolState;
  setTools: (t: ToolState) => void;
  clearable: boolean;
  clearQuestion: string;
  onClear: () => void;
}) {
  return (
    <div class="wb-tools" role="toolbar" aria-label="Drawing tools">
      <div class="wb-group">
        {(Object.keys(TOOL_LABELS) as ToolState['tool'][]).map((t) => (
          <button
            key={t}
            type="button"
            class="wb-btn"
            data-testid="wb-tool"
            data-tool={t}
            aria-pressed={tools.tool === t ? 'true' : 'false'}
            title={TOOL_LABELS[t]}
            aria-label={TOOL_LABELS[t]}
            onClick={() => setTools({ ...tools, tool: t })}
          >
            <ToolIcon tool={t} />
          </button>
        ))}
      </div>
      <div class="wb-group">
        {COLORS.map((c) => (
          <button
            key={c}
            type="button"
            class="wb-swatch"
            data-testid="wb-color"
            data-color={c}
            aria-pressed={tools.color === c ? 'true' : 'false'}
            aria-label={`Colour ${c}`}
            style={{ background: c }}
            onClick={() => setTools({ ...tools, color: c, tool: tools.tool === 'eraser' ? 'pen' : tools.tool })}
          />
        ))}
        <label class="wb-swatch wb-custom" title="Another colour" style={{ background: (COLORS as readonly string[]).includes(tools.color) ? undefined : tools.color }}>
          <input
            type="color"
            class="visually-hidden"
            data-testid="wb-color-custom"
            value={tools.color}
            onInput={(e) => {
              const c = e.currentTarget.value;
              if (/^#[0-9a-f]{6}$/i.test(c)) setTools({ ...tools, color: c.toLowerCase() });
            }}
          />
        </label>
      </div>
      <div class="wb-group">
        {SIZES.map((s) => (
          <button
            key={s.label}
            type="button"
            class="wb-btn wb-size"
            data-testid="wb-size"
            data-width={s.width}
            aria-pressed={tools.width === s.width ? 'true' : 'false'}
            aria-label={`Size ${s.label}`}
            title={`Size ${s.label}`}
            onClick={() => setTools({ ...tools, width: s.width })}
          >
            <span class="wb-dot" style={{ width: `${4 + s.width * 0.8}px`, height: `${4 + s.width * 0.8}px` }} />
          </button>
        ))}
      </div>
      <div class="wb-group">
        <button type="button" class="wb-btn" data-testid="wb-undo" title="Undo your last change (Ctrl+Z)" aria-label="Undo" disabled={!board.canUndo.value} onClick={() => board.undo()}>
          <ToolIcon tool="undo" />
        </button>
        <button type="button" class="wb-btn" data-testid="wb-redo" title="Redo (Ctrl+Shift+Z)" aria-label="Redo" disabled={!board.canRedo.value} onClick={() => board.redo()}>
          <ToolIcon tool="redo" />
        </button>
        <button
          type="button"
          class="wb-btn"
          data-testid="wb-clear"
          title="Clear for everyone"
          aria-label="Clear"
          disabled={!board.exists.value || !clearable}
          onClick={() => window.confirm(clearQuestion) && onClear()}
        >
          <ToolIcon tool="clear" />
        </button>
      </div>
    </div>
  );
}

interface TextDraft {
  x: number;
  y: number;
  value: string;
}

/**
 * The strokes of `board` on a canvas of `width`×`height` CSS pixels, with
 * the board's (0,0)…(1,1) at `frame`; with `tools`, also drawing. `page`
 * picks a slide's strokes (and is written into new ones). The canvas
 * carries `data-strokes`, how many strokes it drew.
 */
export function BoardLayer({
  board,
  hookKey,
  testId,
  frame,
  width,
  height,
  page,
  tools,
}: {
  board: Board;
  hookKey: string;
  testId: string;
  frame: Frame;
  width: number;
  height: number;
  page?: number;
  tools: ToolState | null;
}) {
  const baseRef = useRef<HTMLCanvasElement>(null);
  const topRef = useRef<HTMLCanvasElement>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const drawing = useRef<{ pointer: number; stroke: Stroke } | null>(null);
  const erasing = useRef<{ pointer: number; action?: ReturnType<Board['erase']> } | null>(null);
  const [text, setTextState] = useState<TextDraft | null>(null);
  // The open text field, read synchronously: Enter and the blur that follows must commit once.
  const textRef = useRef<TextDraft | null>(null);
  const setText = (t: TextDraft | null) => {
    textRef.current = t;
    setTextState(t);
  };
  const strokes = board.strokes.value;
  const drafts = board.drafts.value;
  const visible = useMemo(() => strokes.filter((s) => (s.page ?? undefined) === page), [strokes, page]);
  const { x: fx, y: fy, w: fw, h: fh } = frame;

  const clip = (ctx: CanvasRenderingContext2D) => {
    ctx.beginPath();
    ctx.rect(fx, fy, fw, fh);
    ctx.clip();
  };

  // The committed strokes.
  useLayoutEffect(() => {
    const canvas = baseRef.current;
    if (!canvas || width < 1 || height < 1) return;
    const ctx = prepareCanvas(canvas, width, height);
    if (!ctx) return;
    clip(ctx);
    for (const s of visible) drawStroke(ctx, s, frame);
    canvas.dataset.strokes = String(visible.length);
    hook.boardStrokes[hookKey] = visible.map((s) => s.id);
  }, [visible, fx, fy, fw, fh, width, height, hookKey]);

  // What is being drawn: ours and the others' (theirs a little transparent).
  const drawTop = () => {
    const canvas = topRef.current;
    if (!canvas || width < 1 || height < 1) return;
    const ctx = prepareCanvas(canvas, width, height);
    if (!ctx) return;
    clip(ctx);
    ctx.globalAlpha = 0.6;
    const theirs = board.drafts.peek().filter((d) => (d.stroke.page ?? undefined) === page);
    for (const d of theirs) drawStroke(ctx, d.stroke, frame);
    ctx.globalAlpha = 1;
    if (baseRef.current) baseRef.current.dataset.drafts = String(theirs.length);
    const mine = drawing.current?.stroke;
    // A copy: the stroke grows in place, and drawing caches outlines per object.
    if (mine) drawStroke(ctx, { ...mine }, frame);
  };
  useLayoutEffect(drawTop, [drafts, fx, fy, fw, fh, width, height, page]);
  const frameReq = useRef(0);
  const scheduleTop = () => {
    if (!frameReq.current) {
      frameReq.current = requestAnimationFrame(() => {
        frameReq.current = 0;
        drawTop();
      });
    }
  };
  useEffect(() => () => cancelAnimationFrame(frameReq.current), []);

  // Drawing stops (and nothing half-drawn stays) when the tools go away.
  useEffect(() => {
    if (tools) return;
    drawing.current = null;
    erasing.current = null;
    setText(null);
    board.draft(null);
    scheduleTop();
  }, [tools === null]);

  // Focused before the browser paints it, so that keys typed right after
  // the click land in it (the pointerdown was prevented, so nothing else
  // moves the focus).
  useLayoutEffect(() => {
    if (text) inputRef.current?.focus();
  }, [text !== null]);

  const ratioOf = (e: PointerEvent): [number, number] => {
    const r = topRef.current!.getBoundingClientRect();
    return [round4((e.clientX - r.left - fx) / fw), round4((e.clientY - r.top - fy) / fh)];
  };
  const inBoard = ([x, y]: [number, number]) => x >= 0 && x <= 1 && y >= 0 && y <= 1;
  const clampPt = (v: number) => Math.max(-1, Math.min(2, v));

  const commitText = (t: TextDraft | null) => {
    if (!textRef.current) return;
    setText(null);
    if (!t || !tools) return;
    const value = t.value.replace(/\s+$/, '').slice(0, MAX_TEXT);
    if (!value.trim()) return;
    const stroke: Stroke = { id: newStrokeId(), by: selfOf(board), tool: 'text', color: tools.color, width: tools.width, points: [[t.x, t.y]], text: value };
    if (page !== undefined) stroke.page = page;
    board.add(stroke);
  };

  const eraseAt = (pt: [number, number]) => {
    const er = erasing.current;
    if (!er) return;
    const ids = visible.filter((s) => hitStroke(s, pt[0], pt[1], frame, 8)).map((s) => s.id);
    if (ids.length) er.action = board.erase(ids, er.action);
  };

  const onDown = (e: PointerEvent) => {
    if (!tools || !board.exists.peek() || (e.pointerType === 'mouse' && e.button !== 0)) return;
    if (drawing.current || erasing.current) return; // a second finger: ignored
    const pt = ratioOf(e);
    if (!inBoard(pt)) return;
    e.preventDefault();
    // No mousedown follows a prevented pointerdown, so focus by hand: the
    // stage then gets Ctrl+Z and the other keys.
    (e.currentTarget as HTMLElement).closest<HTMLElement>('[tabindex]')?.focus({ preventScroll: true });
    if (tools.tool === 'text') {
      // A click elsewhere while typing commits what was typed.
      if (text) return commitText(text);
      return setText({ x: pt[0], y: pt[1], value: '' });
    }
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    if (tools.tool === 'eraser') {
      erasing.current = { pointer: e.pointerId };
      return eraseAt(pt);
    }
    const first = e.pointerType === 'pen' ? [pt[0], pt[1], round4(e.pressure)] : [pt[0], pt[1]];
    const stroke: Stroke = {
      id: newStrokeId(),
      by: selfOf(board),
      tool: tools.tool,
      color: tools.color,
      width: tools.width,
      points: tools.tool === 'pen' ? [first] : [first, [pt[0], pt[1]]],
    };
    if (page !== undefined) stroke.page = page;
    drawing.current = { pointer: e.pointerId, stroke };
    scheduleTop();
  };

  const onMove = (e: PointerEvent) => {
    if (erasing.current?.pointer === e.pointerId) {
      for (const ev of e.getCoalescedEvents?.() ?? [e]) eraseAt(ratioOf(ev));
      return;
    }
    const d = drawing.current;
    if (!d || d.pointer !== e.pointerId) return;
    const s = d.stroke;
    for (const ev of e.getCoalescedEvents?.() ?? [e]) {
      const [x, y] = ratioOf(ev).map(clampPt) as [number, number];
      if (s.tool !== 'pen') {
        s.points = [s.points[0]!, [x, y]];
        continue;
      }
      const last = s.points[s.points.length - 1]!;
      // Points closer than a pixel and a half add weight, not shape.
      if (Math.hypot((x - last[0]!) * fw, (y - last[1]!) * fh) < 1.5 || s.points.length >= MAX_POINTS) continue;
      s.points.push(ev.pointerType === 'pen' ? [x, y, round4(ev.pressure)] : [x, y]);
    }
    board.draft(s);
    scheduleTop();
  };

  const onUp = (e: PointerEvent) => {
    if (erasing.current?.pointer === e.pointerId) {
      erasing.current = null;
      return;
    }
    const d = drawing.current;
    if (!d || d.pointer !== e.pointerId) return;
    drawing.current = null;
    board.draft(null);
    scheduleTop();
    if (e.type === 'pointercancel') return;
    const s = d.stroke;
    const a = s.points[0]!;
    const b = s.points[s.points.length - 1]!;
    // A click with a shape tool draws nothing; with the pen, a dot.
    if (s.tool !== 'pen' && Math.hypot((b[0]! - a[0]!) * fw, (b[1]! - a[1]!) * fh) < 3) return;
    board.add(s);
  };

  const interactive = !!tools && board.exists.value;
  return (
    <div class={`wb-layer${interactive ? ' drawing' : ''}${tools?.tool === 'eraser' ? ' erasing' : ''}${tools?.tool === 'text' ? ' typing' : ''}`} style={{ width: `${width}px`, height: `${height}px` }}>
      <canvas ref={baseRef} class="wb-canvas" data-testid={testId} />
      <canvas
        ref={topRef}
        class="wb-canvas wb-top"
        onPointerDown={onDown}
        onPointerMove={onMove}
        onPointerUp={onUp}
        onPointerCancel={onUp}
      />
      {text && tools && (
        <input
          ref={inputRef}
          class="wb-text"
          data-testid="wb-text-input"
          aria-label="Text to place on the board"
          maxLength={MAX_TEXT}
          value={text.value}
          style={{
            left: `${fx + text.x * fw}px`,
            top: `${fy + text.y * fh}px`,
            fontSize: `${fontPx(tools.width, frame)}px`,
            color: tools.color,
          }}
          onInput={(e) => setText({ ...text, value: e.currentTarget.value })}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commitText({ ...text, value: e.currentTarget.value });
            else if (e.key === 'Escape') setText(null);
          }}
          onBlur={(e) => commitText({ ...text, value: e.currentTarget.value })}
        />
      )}
    </div>
  );
}

const selfOf = (board: Board): string => board.self().id.slice(0, 128);

/** The whiteboard element: a 16:9 board, letterboxed in the stage. */
export function Whiteboard({ call, el }: { call: Call; el: ElementRef }) {
  const board = useBoard(call, el.id);
  const [tools, setTools] = useState<ToolState>(DEFAULT_TOOLS);
  const stageRef = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ w: number; h: number }>({ w: 0, h: 0 });

  useEffect(() => {
    const stage = stageRef.current;
    if (!stage) return;
    const measure = () => setSize({ w: stage.clientWidth, h: stage.clientHeight });
    const ro = new ResizeObserver(measure);
    ro.observe(stage);
    measure();
    return () => ro.disconnect();
  }, []);

  const w = Math.floor(Math.min(size.w - 8, ((size.h - 8) * 16) / 9));
  const h = Math.floor((w * 9) / 16);
  const ready = board.exists.value;
  return (
    <div class="whiteboard" onKeyDown={(e) => undoKeys(board, e)}>
      <div class="wb-head">
        <h2 class="notes-title">{el.title}</h2>
        <BoardTools
          board={board}
          tools={tools}
          setTools={setTools}
          clearable={board.strokes.value.length > 0}
          clearQuestion="Clear the whole whiteboard for everyone?"
          onClear={() => board.clear()}
        />
      </div>
      <div class="wb-stage" ref={stageRef} tabIndex={-1}>
        {w > 10 && h > 10 && (
          <div class="wb-board" style={{ width: `${w}px`, height: `${h}px` }}>
            <BoardLayer board={board} hookKey={el.id} testId="wb-canvas" frame={{ x: 0, y: 0, w, h }} width={w} height={h} tools={ready ? tools : null} />
          </div>
        )}
        {!ready && <p class="slides-msg muted-text">Loading…</p>}
      </div>
    </div>
  );
}
