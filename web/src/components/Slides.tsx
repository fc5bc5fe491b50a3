import type { PDFDocumentProxy, RenderTask } from 'pdfjs-dist';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Call } from '../call';
import { elementDocId, type ElementRef } from '../elements/store';
import { clampInt, clampNum, isSha, loadPdf, titleOf, uploadFile, UploadError, waitConversion, type SlidesData } from '../elements/slides';
import { hook, nowAbs } from '../hook';

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
    const file = input.files?.[0];
    input.value = '';
    if (!file) return;
    const token = call.authToken();
    if (!token) return setState({ phase: 'error', code: 'not_joined', message: 'Join the room before uploading.' });
    const name = file.name;
    try {
      setState({ phase: 'uploading', fraction: 0, name });
      const res = await uploadFile(call.room, token, file, (fraction) => setState({ phase: 'uploading', fraction, name }));
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
        + Slides
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
    zoom: clampNum(d.zoom, 1, 8, 1),
    pan: [clampNum(pan[0], 0, 1, 0.5), clampNum(pan[1], 0, 1, 0.5)],
  };
}

// Canvases are capped at this many pixels, whatever the zoom.
const MAX_PIXELS = 16_000_000;

export function Slides({ call, el }: { call: Call; el: ElementRef }) {
  const stageRef = useRef<HTMLDivElement>(null);
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [data, setData] = useState<Partial<SlidesData> | null>(null);
  const [pdf, setPdf] = useState<PDFDocumentProxy | null>(null);
  const [pdfError, setPdfError] = useState<string | null>(null);
  const [follow, setFollow] = useState(true);
  const [localPage, setLocalPage] = useState(1);
  const [size, setSize] = useState<{ w: number; h: number }>({ w: 0, h: 0 });
  const [geom, setGeom] = useState<{ dx: number; dy: number; w: number; h: number } | null>(null);
  const [pointers, setPointers] = useState<RemotePointer[]>([]);
  const pointerRef = useRef<((v: PointerPresence | null) => void) | null>(null);
  const docRef = useRef<ReturnType<typeof call.share.connection.get<SlidesData>> | null>(null);

  const view = viewOf(data, pdf ? pdf.numPages : null);
  const shown = follow ? view.page : clampInt(localPage, 1, view.pages, 1);

  // The element document.
  useEffect(() => {
    const doc = call.share.connection.get<SlidesData>('elements', elementDocId(call.room, el.id));
    docRef.current = doc;
    const update = () => setData(doc.type && doc.data ? { ...doc.data } : null);
    doc.on('op', update);
    doc.on('load', update);
    doc.on('create', update);
    doc.on('del', update);
    doc.subscribe((err) => {
      if (err) console.warn(`slides: subscribe: ${err.code} ${err.message}`);
      update();
    });
    return () => {
      doc.off('op', update);
      doc.off('load', update);
      doc.off('create', update);
      doc.off('del', update);
      doc.unsubscribe();
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

  // Rendering the shown page.
  const task = useRef<RenderTask | null>(null);
  const seq = useRef(0);
  useEffect(() => {
    const canvas = canvasRef.current;
    if (!pdf || !canvas || size.w < 2 || size.h < 2) return;
    const n = ++seq.current;
    const page = shown;
    const { zoom, pan } = view;
    void (async () => {
      const p = await pdf.getPage(page);
      if (n !== seq.current) return;
      const base = p.getViewport({ scale: 1 });
      const fit = Math.min(size.w / base.width, size.h / base.height);
      const dpr = Math.min(window.devicePixelRatio || 1, 3);
      let scale = fit * zoom * dpr;
      const px = base.width * base.height * scale * scale;
      if (px > MAX_PIXELS) scale *= Math.sqrt(MAX_PIXELS / px);
      const vp = p.getViewport({ scale });
      // Render off-screen, then swap in one go: no blank frame between pages.
      const off = document.createElement('canvas');
      off.width = Math.max(1, Math.floor(vp.width));
      off.height = Math.max(1, Math.floor(vp.height));
      task.current?.cancel();
      const t = p.render({ canvas: off, canvasContext: off.getContext('2d')!, viewport: vp });
      task.current = t;
      try {
        await t.promise;
      } catch {
        return; // cancelled by a newer page
      }
      if (n !== seq.current) return;
      const cssW = (base.width * fit * zoom) | 0;
      const cssH = (base.height * fit * zoom) | 0;
      canvas.width = off.width;
      canvas.height = off.height;
      canvas.getContext('2d')!.drawImage(off, 0, 0);
      canvas.style.width = `${cssW}px`;
      canvas.style.height = `${cssH}px`;
      // Zoomed: the pan ratios pick which part of the page is in view.
      const dx = cssW > size.w ? -(cssW - size.w) * pan[0] : (size.w - cssW) / 2;
      const dy = cssH > size.h ? -(cssH - size.h) * pan[1] : (size.h - cssH) / 2;
      canvas.style.transform = `translate(${dx | 0}px, ${dy | 0}px)`;
      setGeom({ dx: dx | 0, dy: dy | 0, w: cssW, h: cssH });
      canvas.dataset.page = String(page);
      hook.slidesRenderedAt.push({ page, at: nowAbs() });
      if (hook.slidesRenderedAt.length > 1000) hook.slidesRenderedAt.splice(0, 500);
    })().catch((e: unknown) => console.warn(`slides: render: ${e instanceof Error ? e.message : String(e)}`));
  }, [pdf, shown, size.w, size.h, view.zoom, view.pan[0], view.pan[1]]);

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

  const onKey = (e: KeyboardEvent) => {
    let to: number | null = null;
    if (e.key === 'ArrowRight' || e.key === 'PageDown') to = shown + 1;
    else if (e.key === 'ArrowLeft' || e.key === 'PageUp') to = shown - 1;
    else if (e.key === 'Home') to = 1;
    else if (e.key === 'End') to = view.pages;
    if (to === null) return;
    e.preventDefault();
    go(to);
  };

  const onPointerMove = (e: PointerEvent) => {
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
      setFollow(false);
    } else setFollow(true);
  };

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
      <div
        class="slides-stage"
        ref={stageRef}
        tabIndex={0}
        onKeyDown={onKey}
        onPointerMove={onPointerMove}
        onPointerLeave={onPointerLeave} aria-label={`${el.title}, page ${shown} of ${view.pages}`}>
        <canvas ref={canvasRef} class="slides-canvas" data-testid="slides-canvas" />
        {geom &&
          pointers
            .filter((p) => p.page === shown)
            .map((p) => (
              <span
                key={p.key}
                class="slides-pointer"
                data-testid="slides-pointer"
                data-participant={p.participant}
                title={p.name}
                style={{ left: `${geom.dx + p.x * geom.w}px`, top: `${geom.dy + p.y * geom.h}px` }}
              />
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
