import type { PDFDocumentProxy, RenderTask } from 'pdfjs-dist';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Json0Component } from 'sharedb/lib/client';
import type { Call } from '../call';
import { elementDocId, watchDoc, type ElementRef } from '../elements/store';
import {
  clampInt,
  clampNum,
  isSha,
  loadPdf,
  MAX_ZOOM,
  MIN_ZOOM,
  pageGeom,
  panBy,
  renderRect,
  titleOf,
  uploadPicked,
  UploadError,
  waitConversion,
  zoomAt,
  type PageGeom,
  type Size,
  type SlidesData,
  type ZoomPan,
} from '../elements/slides';
import { COLORS } from '../elements/whiteboard';
import { hook, nowAbs } from '../hook';
import { KindIcon } from './KindIcon';
import { BoardLayer, BoardTools, DEFAULT_TOOLS, undoKeys, useBoard, type ToolState } from './Whiteboard';

type UploadState =
  | { phase: 'idle' }
  | { phase: 'uploading'; fraction: number; name: string }
  | { phase: 'converting'; name: string }
  | { phase: 'preparing'; name: string }
  | { phase: 'error'; code: string; message: string };

/** "+ Slides": pick a PDF (or office document), upload it, add it focused. */
export function SlidesUpload({ call }: { call: Call }) {
  const [state, setState] = useState<UploadState>({ phase: 'idle' });
  const busy = state.phase === 'uploading' || state.phase === 'converting' || state.phase === 'preparing';

  const onFile = async (input: HTMLInputElement) => {
    try {
      const picked = await uploadPicked(input, call.room, call.authToken(), (name, fraction) => setState({ phase: 'uploading', fraction, name }));
      if (!picked) return;
      const { res, name, token } = picked;
      let sha = res.sha256;
      if (res.conversion && typeof res.conversion.url === 'string') {
        setState({ phase: 'converting', name });
        sha = await waitConversion(res.conversion.url, token);
      } else if (res.contentType !== 'application/pdf') {
        throw new UploadError('unsupported_type', 'This kind of file cannot be shown as slides: use a PDF (or PPTX, ODP, DOCX, ODT).');
      }
      setState({ phase: 'preparing', name });
      let pages: number;
      try {
        pages = (await loadPdf(sha)).numPages;
      } catch {
        throw new UploadError('bad_pdf', 'This PDF could not be read.');
      }
      await call.elements.addSlides(titleOf(name), sha, clampInt(pages, 1, 10000, 1));
      setState({ phase: 'idle' });
    } catch (e) {
      const code = e instanceof UploadError ? e.code : 'failed';
      setState({ phase: 'error', code, message: e instanceof Error ? e.message : String(e) });
    }
  };

  return (
    <span class="slides-upload">
      <label class={`element-add${busy ? ' disabled' : ''}`} title="Upload a PDF (or PPTX, ODP, DOCX, ODT) to show as slides">
        + <KindIcon kind="slides" /> <span class="element-add-label">Slides</span>
        <input
          type="file"
          class="visually-hidden"
          data-testid="elements-add-slides"
          accept="application/pdf,.pdf,.pptx,.odp,.docx,.odt"
          disabled={busy}
          onChange={(e) => void onFile(e.currentTarget)}
        />
      </label>
      {state.phase === 'uploading' && (
        <progress class="upload-progress" data-testid="upload-progress" max={1} value={state.fraction} aria-label={`Uploading ${state.name}`} />
      )}
      {state.phase === 'converting' && <span class="upload-status muted-text">converting…</span>}
      {state.phase === 'preparing' && <span class="upload-status muted-text">preparing…</span>}
      {state.phase === 'error' && (
        <span class="upload-error" role="alert" data-testid="upload-error" data-code={state.code}>
          {state.message}
          <button type="button" class="element-remove" aria-label="Dismiss" onClick={() => setState({ phase: 'idle' })}>
            ×
          </button>
        </span>
      )}
    </span>
  );
}

interface PointerPresence {
  x: number;
  y: number;
  page: number;
  name: string;
}

interface RemotePointer {
  key: string;
  participant: string;
  name: string;
  page: number;
  x: number;
  y: number;
}

interface View {
  ready: boolean;
  blob: string | null;
  pages: number;
  page: number;
  zoom: number;
  pan: [number, number];
}

/** What we render from a document we do not trust: everything clamped. */
function viewOf(d: Partial<SlidesData> | null | undefined, realPages: number | null): View {
  if (!d || typeof d !== 'object') return { ready: false, blob: null, pages: 1, page: 1, zoom: 1, pan: [0.5, 0.5] };
  const pages = realPages ?? clampInt(d.pages, 1, 10000, 1);
  const pan = Array.isArray(d.pan) ? d.pan : [];
  return {
    ready: true,
    blob: isSha(d.blob) ? d.blob : null,
    pages,
    page: clampInt(d.page, 1, pages, 1),
    zoom: clampNum(d.zoom, MIN_ZOOM, MAX_ZOOM, 1),
    pan: [clampNum(pan[0], 0, 1, 0.5), clampNum(pan[1], 0, 1, 0.5)],
  };
}

// A rendered bitmap never exceeds this many pixels, whatever the screen.
const MAX_PIXELS = 16_000_000;
const ZOOM_STEP = 1.25;
// While zooming or panning, the page is re-rendered sharp at most this often;
// in between, the last bitmap is stretched and moved by CSS.
const RERENDER_MS = 120;

type Rendered = { page: number; x0: number; y0: number; x1: number; y1: number };

export function Slides({ call, el }: { call: Call; el: ElementRef }) {
  const stageRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [data, setData] = useState<Partial<SlidesData> | null>(null);
  const [pdf, setPdf] = useState<PDFDocumentProxy | null>(null);
  const [pdfError, setPdfError] = useState<string | null>(null);
  const [follow, setFollow] = useState(true);
  const [localPage, setLocalPage] = useState(1);
  const [localZoom, setLocalZoom] = useState<ZoomPan>({ zoom: 1, pan: [0.5, 0.5] });
  const [size, setSize] = useState<Size>({ w: 0, h: 0 });
  // The shown page's size at scale 1 (PDF units), known once it rendered.
  const [base, setBase] = useState<(Size & { page: number }) | null>(null);
  const [pointers, setPointers] = useState<RemotePointer[]>([]);
  const [draw, setDraw] = useState(false);
  const [tools, setTools] = useState<ToolState>({ ...DEFAULT_TOOLS, color: COLORS[1] });
  const [panning, setPanning] = useState(false);
  const pointerRef = useRef<((v: PointerPresence | null) => void) | null>(null);
  const docRef = useRef<ReturnType<typeof call.share.connection.get<SlidesData>> | null>(null);
  // Drawings over the deck: a whiteboard of their own, made on first use.
  const ink = useBoard(call, `${el.id}-ink`);

  const view = viewOf(data, pdf ? pdf.numPages : null);
  const shown = follow ? view.page : clampInt(localPage, 1, view.pages, 1);
  const zp: ZoomPan = follow ? { zoom: view.zoom, pan: view.pan } : localZoom;
  const geom = base && size.w > 1 && size.h > 1 ? pageGeom(base, size, zp.zoom, zp.pan) : null;
  // The zoom and pan as of the latest gesture step, read by the next one
  // before a re-render (several pointer events can arrive in one frame).
  const zpNow = useRef(zp);
  zpNow.current = zp;

  // The element document.
  useEffect(() => {
    const doc = call.share.connection.get<SlidesData>('elements', elementDocId(call.room, el.id));
    docRef.current = doc;
    const unwatch = watchDoc(doc, 'slides', () => setData(doc.type && doc.data ? { ...doc.data } : null));
    return () => {
      unwatch();
      docRef.current = null;
    };
  }, [call, el.id]);

  // The presenter's pointer: presence `{x, y, page, name}` (ratios of the page).
  useEffect(() => {
    const connection = call.share.connection;
    const presence = connection.getDocPresence<PointerPresence>('elements', elementDocId(call.room, el.id));
    presence.subscribe((err) => err && console.warn(`slides: presence: ${err.message}`));
    const selfId = call.store.state.peek().selfId ?? 'anon';
    const local = presence.create(`${selfId}:${Math.random().toString(36).slice(2, 8)}`);
    const read = () => {
      const list: RemotePointer[] = [];
      for (const [key, v] of Object.entries(presence.remotePresences)) {
        if (!v || typeof v.x !== 'number' || typeof v.y !== 'number' || !Number.isFinite(v.x) || !Number.isFinite(v.y)) continue;
        list.push({
          key,
          participant: key.split(':')[0] ?? key,
          name: typeof v.name === 'string' ? v.name.slice(0, 60) : '?',
          page: clampInt(v.page, 1, 10000, 1),
          x: clampNum(v.x, 0, 1, 0.5),
          y: clampNum(v.y, 0, 1, 0.5),
        });
      }
      setPointers(list);
    };
    presence.on('receive', read);
    let pending: PointerPresence | null | undefined;
    let frame = 0;
    pointerRef.current = (v) => {
      pending = v;
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        if (pending === undefined) return;
        local.submit(pending, (e) => e && console.warn(`slides: presence submit: ${e.message}`));
        pending = undefined;
      });
    };
    return () => {
      if (frame) cancelAnimationFrame(frame);
      pointerRef.current = null;
      presence.off('receive', read);
      local.destroy();
      presence.unsubscribe();
    };
  }, [call, el.id]);

  // The PDF.
  useEffect(() => {
    if (!view.blob) return;
    let live = true;
    setPdfError(null);
    loadPdf(view.blob).then(
      (p) => live && setPdf(p),
      (e: unknown) => {
        console.warn(`slides: PDF: ${e instanceof Error ? e.message : String(e)}`);
        if (live) setPdfError('This PDF could not be loaded.');
      },
    );
    return () => {
      live = false;
    };
  }, [view.blob]);

  // The stage's size.
  useEffect(() => {
    const stage = stageRef.current;
    if (!stage) return;
    const ro = new ResizeObserver(() => setSize({ w: stage.clientWidth, h: stage.clientHeight }));
    ro.observe(stage);
    setSize({ w: stage.clientWidth, h: stage.clientHeight });
    return () => ro.disconnect();
  }, []);

  // Rendering. Only the part of the page in view (and a margin) is rendered,
  // at the device's resolution for the current zoom: sharp at any zoom, and
  // the bitmap stays about the size of the stage.
  const task = useRef<RenderTask | null>(null);
  const seq = useRef(0);
  const rendered = useRef<Rendered | null>(null);
  const want = useRef({ pdf, page: shown, size, zp });
  want.current = { pdf, page: shown, size, zp };
  const geomRef = useRef(geom);
  geomRef.current = geom;

  /** Puts the last bitmap where its part of the page is now (stretched by CSS until the next render). */
  const place = (g: PageGeom | null = geomRef.current) => {
    const c = canvasRef.current;
    const r = rendered.current;
    if (!c || !r || !g) return;
    c.style.left = `${g.dx + r.x0 * g.w}px`;
    c.style.top = `${g.dy + r.y0 * g.h}px`;
    c.style.width = `${(r.x1 - r.x0) * g.w}px`;
    c.style.height = `${(r.y1 - r.y0) * g.h}px`;
  };
  useLayoutEffect(() => place());

  const renderNow = async () => {
    const { pdf, page, size, zp } = want.current;
    const canvas = canvasRef.current;
    if (!pdf || !canvas || size.w < 2 || size.h < 2) return;
    const n = ++seq.current;
    const p = await pdf.getPage(page);
    if (n !== seq.current) return;
    const unit = p.getViewport({ scale: 1 });
    const b = { w: unit.width, h: unit.height };
    const g = pageGeom(b, size, zp.zoom, zp.pan);
    const r = renderRect(g, size, zp.zoom > 1 ? 0.25 : 0);
    const cssW = (r.x1 - r.x0) * g.w;
    const cssH = (r.y1 - r.y0) * g.h;
    if (cssW < 1 || cssH < 1) return;
    let dpr = Math.min(window.devicePixelRatio || 1, 3);
    if (cssW * cssH * dpr * dpr > MAX_PIXELS) dpr = Math.sqrt(MAX_PIXELS / (cssW * cssH));
    const vp = p.getViewport({ scale: (g.w / b.w) * dpr });
    // Render off-screen, then swap in one go: no blank frame between pages.
    const off = document.createElement('canvas');
    off.width = Math.max(1, Math.ceil(cssW * dpr));
    off.height = Math.max(1, Math.ceil(cssH * dpr));
    task.current?.cancel();
    const t = p.render({
      canvas: off,
      canvasContext: off.getContext('2d')!,
      viewport: vp,
      transform: [1, 0, 0, 1, -r.x0 * g.w * dpr, -r.y0 * g.h * dpr],
    });
    task.current = t;
    try {
      await t.promise;
    } catch {
      return; // cancelled by a newer render
    }
    if (n !== seq.current) return;
    canvas.width = off.width;
    canvas.height = off.height;
    canvas.getContext('2d')!.drawImage(off, 0, 0);
    rendered.current = { page, ...r };
    place(g);
    setBase((prev) => (prev && prev.page === page && prev.w === b.w && prev.h === b.h ? prev : { page, ...b }));
    canvas.dataset.page = String(page);
    canvas.dataset.zoom = String(zp.zoom);
    hook.slidesRenderedAt.push({ page, at: nowAbs() });
    if (hook.slidesRenderedAt.length > 1000) hook.slidesRenderedAt.splice(0, 500);
  };
  const timer = useRef(0);
  const lastKey = useRef('');
  const renderSoon = (urgent: boolean) => {
    const run = () => void renderNow().catch((e: unknown) => console.warn(`slides: render: ${e instanceof Error ? e.message : String(e)}`));
    if (urgent) {
      clearTimeout(timer.current);
      timer.current = 0;
      run();
    } else if (!timer.current) {
      timer.current = window.setTimeout(() => {
        timer.current = 0;
        run();
      }, RERENDER_MS);
    }
  };
  useEffect(() => {
    if (!pdf) return;
    // A new page or stage size renders at once; zoom and pan steps are throttled.
    const key = `${view.blob}|${shown}|${size.w}x${size.h}`;
    renderSoon(key !== lastKey.current);
    lastKey.current = key;
  }, [pdf, shown, size.w, size.h, zp.zoom, zp.pan[0], zp.pan[1]]);
  useEffect(() => () => clearTimeout(timer.current), []);

  const go = (target: number) => {
    const page = clampInt(target, 1, view.pages, 1);
    if (!follow) return setLocalPage(page);
    const doc = docRef.current;
    if (!doc || !doc.type || !doc.data) return;
    const cur = doc.data.page;
    if (cur === page) return;
    hook.slidesChangedAt.push({ page, at: nowAbs() });
    if (hook.slidesChangedAt.length > 1000) hook.slidesChangedAt.splice(0, 500);
    doc.submitOp([{ p: ['page'], od: cur, oi: page }], { source: 'local' }, (err) => err && console.warn(`slides: op refused: ${err.code}`));
  };

  /** Zoom and pan: for everyone while following (one op; the later one wins), else for us alone. */
  const applyZoom = (next: ZoomPan) => {
    zpNow.current = next;
    if (!follow) return setLocalZoom(next);
    const doc = docRef.current;
    if (!doc || !doc.type || !doc.data) return;
    const d = doc.data;
    const ops: Json0Component[] = [];
    if (d.zoom !== next.zoom) ops.push({ p: ['zoom'], od: d.zoom, oi: next.zoom });
    if (!Array.isArray(d.pan) || d.pan[0] !== next.pan[0] || d.pan[1] !== next.pan[1]) ops.push({ p: ['pan'], od: d.pan, oi: next.pan });
    if (ops.length) doc.submitOp(ops, { source: 'local' }, (err) => err && console.warn(`slides: op refused: ${err.code}`));
  };
  const zoomTo = (zoom: number, ax = size.w / 2, ay = size.h / 2) => {
    if (!base) return;
    applyZoom(zoomAt(base, size, zpNow.current, zoom, ax, ay));
  };
  const movePage = (dx: number, dy: number) => {
    if (!base || zpNow.current.zoom <= 1) return;
    applyZoom(panBy(base, size, zpNow.current, dx, dy));
  };
  const resetZoom = () => applyZoom({ zoom: 1, pan: [0.5, 0.5] });

  const onKey = (e: KeyboardEvent) => {
    if ((e.target as HTMLElement).tagName === 'INPUT') return; // typing on the board
    if (draw) undoKeys(ink, e);
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    let to: number | null = null;
    if (e.key === 'ArrowRight' || e.key === 'PageDown') to = shown + 1;
    else if (e.key === 'ArrowLeft' || e.key === 'PageUp') to = shown - 1;
    else if (e.key === 'Home') to = 1;
    else if (e.key === 'End') to = view.pages;
    else if (e.key === '+' || e.key === '=') zoomTo(zp.zoom * ZOOM_STEP);
    else if (e.key === '-') zoomTo(zp.zoom / ZOOM_STEP);
    else if (e.key === '0') resetZoom();
    else return;
    e.preventDefault();
    if (to !== null) go(to);
  };

  // Ctrl+wheel (and a trackpad's pinch, which Chrome sends as one) zooms at
  // the cursor; a plain wheel pans while zoomed. Not passive: it must be able
  // to stop the page from zooming or scrolling.
  const wheel = useRef<(e: WheelEvent) => void>(() => {});
  wheel.current = (e: WheelEvent) => {
    const stage = stageRef.current;
    if (!stage) return;
    const r = stage.getBoundingClientRect();
    const k = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? size.h : 1;
    if (e.ctrlKey || e.metaKey) {
      e.preventDefault();
      const dy = Math.max(-100, Math.min(100, e.deltaY * k));
      zoomTo(zpNow.current.zoom * Math.exp(-dy * 0.0025), e.clientX - r.left, e.clientY - r.top);
    } else if (zpNow.current.zoom > 1) {
      e.preventDefault();
      movePage(-e.deltaX * k, -e.deltaY * k);
    }
  };
  useEffect(() => {
    const stage = stageRef.current;
    if (!stage) return;
    const onWheel = (e: WheelEvent) => wheel.current(e);
    stage.addEventListener('wheel', onWheel, { passive: false });
    return () => stage.removeEventListener('wheel', onWheel);
  }, []);

  // Dragging pans a zoomed page; two fingers pinch-zoom (and pan).
  const touches = useRef(new Map<number, { x: number; y: number }>());
  const drag = useRef<{ id: number; x: number; y: number } | null>(null);
  const pinch = useRef<{ dist: number; x: number; y: number } | null>(null);
  const stagePoint = (e: PointerEvent) => {
    const r = stageRef.current!.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  const twoFingers = () => {
    const [a, b] = [...touches.current.values()];
    return { dist: Math.max(1, Math.hypot(a!.x - b!.x, a!.y - b!.y)), x: (a!.x + b!.x) / 2, y: (a!.y + b!.y) / 2 };
  };
  const onPointerDown = (e: PointerEvent) => {
    if (draw || (e.pointerType === 'mouse' && e.button !== 0)) return;
    touches.current.set(e.pointerId, stagePoint(e));
    (e.currentTarget as HTMLElement).setPointerCapture(e.pointerId);
    if (touches.current.size === 2) {
      drag.current = null;
      pinch.current = twoFingers();
    } else if (touches.current.size === 1 && zpNow.current.zoom > 1) {
      drag.current = { id: e.pointerId, ...stagePoint(e) };
      setPanning(true);
    }
  };
  const onPointerEnd = (e: PointerEvent) => {
    touches.current.delete(e.pointerId);
    if (drag.current?.id === e.pointerId) drag.current = null;
    if (touches.current.size < 2) pinch.current = null;
    if (!drag.current) setPanning(false);
  };

  const onPointerMove = (e: PointerEvent) => {
    if (touches.current.has(e.pointerId)) {
      const pt = stagePoint(e);
      touches.current.set(e.pointerId, pt);
      const pin = pinch.current;
      if (pin && touches.current.size === 2 && base) {
        const now = twoFingers();
        const zoomed = zoomAt(base, size, zpNow.current, zpNow.current.zoom * (now.dist / pin.dist), now.x, now.y);
        applyZoom(zpNow.current.zoom > 1 || zoomed.zoom > 1 ? panBy(base, size, zoomed, now.x - pin.x, now.y - pin.y) : zoomed);
        pinch.current = now;
        return;
      }
      const d = drag.current;
      if (d && d.id === e.pointerId) {
        movePage(pt.x - d.x, pt.y - d.y);
        drag.current = { id: d.id, ...pt };
        return;
      }
    }
    if (!follow || !geom || geom.w < 1 || geom.h < 1) return;
    const rect = (e.currentTarget as HTMLElement).getBoundingClientRect();
    const x = (e.clientX - rect.left - geom.dx) / geom.w;
    const y = (e.clientY - rect.top - geom.dy) / geom.h;
    if (x < 0 || x > 1 || y < 0 || y > 1) return pointerRef.current?.(null);
    pointerRef.current?.({ x, y, page: shown, name: call.selfName() });
  };
  const onPointerLeave = () => pointerRef.current?.(null);

  const toggleFollow = () => {
    if (follow) {
      setLocalPage(view.page);
      setLocalZoom({ zoom: view.zoom, pan: view.pan });
      setFollow(false);
    } else setFollow(true);
  };

  const toggleDraw = () => {
    if (!draw) ink.ensure({ kind: 'whiteboard', title: `${el.title.slice(0, 180)} · drawings`, over: el.id, strokes: [] });
    setDraw(!draw);
  };
  const pageHasInk = ink.strokes.value.some((s) => s.page === shown);

  return (
    <div class="slides">
      <div class="slides-head">
        <h2 class="notes-title">{el.title}</h2>
        <div class="slides-nav">
          <button type="button" class="btn btn-ghost btn-small" data-testid="slides-prev" aria-label="Previous page" disabled={shown <= 1} onClick={() => go(shown - 1)}>
            ‹
          </button>
          <span class="slides-page" data-testid="slides-page" aria-live="polite">
            {shown} / {view.pages}
          </span>
          <button type="button" class="btn btn-ghost btn-small" data-testid="slides-next" aria-label="Next page" disabled={shown >= view.pages} onClick={() => go(shown + 1)}>
            ›
          </button>
          <span class="slides-zoom" role="group" aria-label="Zoom">
            <button type="button" class="btn btn-ghost btn-small" data-testid="slides-zoom-out" aria-label="Zoom out" disabled={zp.zoom <= MIN_ZOOM} onClick={() => zoomTo(zp.zoom / ZOOM_STEP)}>
              −
            </button>
            <button
              type="button"
              class="btn btn-ghost btn-small slides-zoom-level"
              data-testid="slides-zoom-reset"
              data-zoom={zp.zoom}
              data-pan={`${zp.pan[0]},${zp.pan[1]}`}
              title="Fit the whole page"
              onClick={resetZoom}
            >
              {Math.round(zp.zoom * 100)}%
            </button>
            <button type="button" class="btn btn-ghost btn-small" data-testid="slides-zoom-in" aria-label="Zoom in" disabled={zp.zoom >= MAX_ZOOM} onClick={() => zoomTo(zp.zoom * ZOOM_STEP)}>
              +
            </button>
          </span>
          <button
            type="button"
            class="btn btn-ghost btn-small"
            data-testid="slides-draw"
            aria-pressed={draw ? 'true' : 'false'}
            title={draw ? 'Stop drawing (drag pans again)' : 'Draw over the slides, for everyone'}
            onClick={toggleDraw}
          >
            ✏️ {draw ? 'Drawing' : 'Draw'}
          </button>
          <button
            type="button"
            class="btn btn-ghost btn-small"
            data-testid="slides-follow"
            aria-pressed={follow ? 'true' : 'false'}
            title={follow ? 'Look at other pages without moving everyone' : 'Follow the shared page again'}
            onClick={toggleFollow}
          >
            {follow ? 'Following · browse alone' : 'Back to the presenter'}
          </button>
        </div>
      </div>
      {draw && (
        <div class="slides-draw-tools">
          <BoardTools
            board={ink}
            tools={tools}
            setTools={setTools}
            clearable={pageHasInk}
            clearQuestion={`Clear the drawings on page ${shown} for everyone?`}
            onClear={() => ink.clear((s) => s.page === shown)}
          />
        </div>
      )}
      <div
        class={`slides-stage${zp.zoom > 1 && !draw ? ' zoomed' : ''}${panning ? ' panning' : ''}`}
        ref={stageRef}
        tabIndex={0}
        onKeyDown={onKey}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerEnd}
        onPointerCancel={onPointerEnd}
        onPointerLeave={onPointerLeave}
        aria-label={`${el.title}, page ${shown} of ${view.pages}`}
      >
        <canvas ref={canvasRef} class="slides-canvas" data-testid="slides-canvas" />
        {geom && (
          <BoardLayer
            board={ink}
            hookKey={`${el.id}-ink`}
            testId="slides-ink"
            frame={{ x: geom.dx, y: geom.dy, w: geom.w, h: geom.h }}
            width={size.w}
            height={size.h}
            page={shown}
            tools={draw ? tools : null}
          />
        )}
        {geom &&
          pointers
            .filter((p) => p.page === shown)
            .map((p) => ({ p, x: geom.dx + p.x * geom.w, y: geom.dy + p.y * geom.h }))
            .filter(({ x, y }) => x >= 0 && x <= size.w && y >= 0 && y <= size.h)
            .map(({ p, x, y }) => (
              <span key={p.key} class="slides-pointer" data-testid="slides-pointer" data-participant={p.participant} title={p.name} style={{ left: `${x}px`, top: `${y}px` }} />
            ))}
        {!view.ready && <p class="slides-msg muted-text">Loading…</p>}
        {pdfError && <p class="slides-msg muted-text">{pdfError}</p>}
      </div>
      {pdf && <Thumbs pdf={pdf} pages={view.pages} current={shown} onPick={go} />}
    </div>
  );
}

function Thumbs({ pdf, pages, current, onPick }: { pdf: PDFDocumentProxy; pages: number; current: number; onPick: (n: number) => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const n = Math.min(pages, pdf.numPages, 500);
  useEffect(() => {
    const strip = ref.current;
    if (!strip) return;
    const done = new Set<number>();
    const io = new IntersectionObserver(
      (entries) => {
        for (const e of entries) {
          if (!e.isIntersecting) continue;
          const canvas = e.target as HTMLCanvasElement;
          const page = Number(canvas.dataset.page);
          if (done.has(page)) continue;
          done.add(page);
          io.unobserve(canvas);
          void pdf
            .getPage(page)
            .then((p) => {
              const base = p.getViewport({ scale: 1 });
              const vp = p.getViewport({ scale: 80 / base.height });
              canvas.width = Math.max(1, Math.floor(vp.width));
              canvas.height = Math.max(1, Math.floor(vp.height));
              return p.render({ canvas, canvasContext: canvas.getContext('2d')!, viewport: vp }).promise;
            })
            .catch(() => done.delete(page));
        }
      },
      { root: strip, rootMargin: '200px' },
    );
    strip.querySelectorAll('canvas').forEach((c) => io.observe(c));
    return () => io.disconnect();
  }, [pdf, n]);

  useEffect(() => {
    ref.current?.querySelector(`[data-page="${current}"]`)?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [current]);

  return (
    <div class="slides-thumbs" ref={ref} aria-label="Pages">
      {Array.from({ length: n }, (_, i) => i + 1).map((page) => (
        <button
          key={page}
          type="button"
          class={`slides-thumb${page === current ? ' current' : ''}`}
          data-testid="slides-thumb"
          data-page={page}
          aria-label={`Page ${page}`}
          aria-current={page === current ? 'page' : undefined}
          onClick={() => onPick(page)}
        >
          <canvas data-page={page} width={60} height={80} />
          <span>{page}</span>
        </button>
      ))}
    </div>
  );
}
