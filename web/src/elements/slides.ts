// Slides: uploading a file (XMLHttpRequest, for its upload progress events),
// waiting for an office document's PDF conversion, and pdf.js (loaded on
// first use; its worker is a same-origin asset bundled by Vite).

import type { PDFDocumentProxy } from 'pdfjs-dist';

export interface SlidesData {
  kind: 'slides';
  title: string;
  blob: string;
  pages: number;
  page: number;
  zoom: number;
  pan: [number, number];
}

export interface UploadResult {
  sha256: string;
  size: number;
  contentType: string;
  url: string;
  new: boolean;
  conversion?: { state: string; url: string } | null;
}

export class UploadError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const SHA = /^[0-9a-f]{64}$/;
export const isSha = (s: unknown): s is string => typeof s === 'string' && SHA.test(s);

/**
 * Uploads the file picked in `input` (cleared, so the same file can be
 * picked again) to `room`, telling `progress` its name and 0…1. Resolves
 * with the result and the file's name, or null when nothing was picked;
 * rejects with an `UploadError` (`not_joined` without a `token`).
 */
export async function uploadPicked(
  input: HTMLInputElement,
  room: string,
  token: string | null,
  progress: (name: string, fraction: number) => void,
): Promise<{ res: UploadResult; name: string; token: string } | null> {
  const file = input.files?.[0];
  input.value = '';
  if (!file) return null;
  if (!token) throw new UploadError('not_joined', 'Join the room before uploading.');
  const name = file.name;
  progress(name, 0);
  const res = await uploadFile(room, token, file, (fraction) => progress(name, fraction));
  return { res, name, token };
}

/** POSTs `file` to the room's uploads; `progress` gets 0…1. */
export function uploadFile(room: string, token: string, file: Blob, progress: (f: number) => void): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/rooms/${encodeURIComponent(room)}/uploads`);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) progress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new UploadError('network', 'The upload failed: the connection to the server broke.'));
    xhr.onabort = () => reject(new UploadError('aborted', 'The upload was cancelled.'));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // not JSON
      }
      if (xhr.status === 201 || xhr.status === 200) {
        const r = body as UploadResult | null;
        if (r && isSha(r.sha256)) return resolve(r);
        return reject(new UploadError('bad_response', 'The server answered the upload strangely.'));
      }
      const c = (body as { code?: unknown } | null)?.code;
      const code = typeof c === 'string' ? c : `http_${xhr.status}`;
      if (xhr.status === 413) return reject(new UploadError('file_too_large', 'This file is too large for this server.'));
      if (xhr.status === 415) return reject(new UploadError('unsupported_type', 'This kind of file cannot be shown as slides: use a PDF (or PPTX, ODP, DOCX, ODT).'));
      reject(new UploadError(code, `The upload failed (${xhr.status}).`));
    };
    xhr.send(file);
  });
}

const CONVERSION_MESSAGES: Record<string, string> = {
  converter_missing: 'This server cannot convert office documents (LibreOffice is not installed). Upload a PDF instead.',
  conversion_timeout: 'Converting this document took too long. Try exporting it to PDF yourself.',
  too_busy: 'The server is busy converting other documents. Try again in a moment.',
  conversion_failed: 'This document could not be converted to PDF.',
};

/** Polls an office document's conversion until it is a PDF; resolves its sha256. */
export async function waitConversion(url: string, token: string, signal?: AbortSignal): Promise<string> {
  if (!url.startsWith('/api/conversions/')) throw new UploadError('bad_response', 'The server answered the upload strangely.');
  for (;;) {
    if (signal?.aborted) throw new UploadError('aborted', 'Cancelled.');
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
    const body = (await res.json().catch(() => null)) as { state?: string; sha256?: string; code?: string } | null;
    if (!res.ok || !body) throw new UploadError(`http_${res.status}`, `Could not follow the conversion (${res.status}).`);
    if (body.state === 'done' && isSha(body.sha256)) return body.sha256;
    if (body.state === 'failed') {
      const code = typeof body.code === 'string' ? body.code : 'conversion_failed';
      throw new UploadError(code, CONVERSION_MESSAGES[code] ?? CONVERSION_MESSAGES.conversion_failed!);
    }
    await new Promise((r) => setTimeout(r, 700));
  }
}

type PdfJs = typeof import('pdfjs-dist');
let pdfjsPromise: Promise<PdfJs> | null = null;

export function pdfjs(): Promise<PdfJs> {
  if (!pdfjsPromise) {
    pdfjsPromise = Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')]).then(([lib, worker]) => {
      lib.GlobalWorkerOptions.workerSrc = worker.default;
      return lib;
    });
  }
  return pdfjsPromise;
}

const cache = new Map<string, Promise<PDFDocumentProxy>>();

/** The PDF stored as blob `sha`, loaded once per page. */
export function loadPdf(sha: string): Promise<PDFDocumentProxy> {
  let p = cache.get(sha);
  if (!p) {
    p = pdfjs().then(
      (lib) =>
        lib.getDocument({
          url: `/blobs/${sha}`,
          // Errors only: pdf.js's warnings would read as console noise.
          verbosity: 0,
        }).promise,
    );
    p.catch(() => cache.delete(sha));
    cache.set(sha, p);
  }
  return p;
}

/** Title from a file name: no extension, at most 200 characters. */
export function titleOf(name: string): string {
  const t = name.replace(/\.[A-Za-z0-9]{1,5}$/, '').trim();
  return (t || 'Slides').slice(0, 200);
}

export const clampInt = (n: unknown, lo: number, hi: number, dflt: number): number =>
  typeof n === 'number' && Number.isFinite(n) ? Math.max(lo, Math.min(hi, Math.round(n))) : dflt;
export const clampNum = (n: unknown, lo: number, hi: number, dflt: number): number =>
  typeof n === 'number' && Number.isFinite(n) ? Math.max(lo, Math.min(hi, n)) : dflt;

// ---- zoom and pan -----------------------------------------------------------
// The document's `zoom` is relative to the page fitted to the stage (1 = the
// whole page) and `pan` is the point of the page (ratios) at the middle of
// the view, so every screen, whatever its size, shows the same place. A
// stage of another shape keeps the page from leaving a gap at an edge.

export const MIN_ZOOM = 1;
export const MAX_ZOOM = 8;

export interface Size {
  w: number;
  h: number;
}

/** Where the page is on the stage, in CSS pixels of the stage. */
export interface PageGeom {
  dx: number;
  dy: number;
  w: number;
  h: number;
}

export interface ZoomPan {
  zoom: number;
  pan: [number, number];
}

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

/** One axis: centred while the page is smaller than the stage, else the pan point in the middle, no gap at the edges. */
function offset(stage: number, len: number, pan: number): number {
  // Half a pixel of slack: float error must not turn a fitted page into a pannable one.
  return len <= stage + 0.5 ? (stage - len) / 2 : clamp(stage / 2 - pan * len, stage - len, 0);
}

/** The page (`base`: its size at scale 1) on a `stage` at `zoom` and `pan`. */
export function pageGeom(base: Size, stage: Size, zoom: number, pan: readonly [number, number]): PageGeom {
  const fit = Math.min(stage.w / base.w, stage.h / base.h);
  const z = clamp(zoom, MIN_ZOOM, MAX_ZOOM);
  const w = base.w * fit * z;
  const h = base.h * fit * z;
  return { dx: offset(stage.w, w, pan[0]), dy: offset(stage.h, h, pan[1]), w, h };
}

/** The pan that `g` shows: the page point in the middle of the stage, rounded (short ops). */
export function panOf(g: PageGeom, stage: Size): [number, number] {
  const r = (n: number) => Math.round(clamp(n, 0, 1) * 10_000) / 10_000;
  return [r((stage.w / 2 - g.dx) / g.w), r((stage.h / 2 - g.dy) / g.h)];
}

/** Zooms to `zoom` keeping the page point under (`ax`, `ay`) (stage pixels) where it is. */
export function zoomAt(base: Size, stage: Size, from: ZoomPan, zoom: number, ax: number, ay: number): ZoomPan {
  const g = pageGeom(base, stage, from.zoom, from.pan);
  const rx = (ax - g.dx) / g.w;
  const ry = (ay - g.dy) / g.h;
  const z = Math.round(clamp(zoom, MIN_ZOOM, MAX_ZOOM) * 1000) / 1000;
  const fit = Math.min(stage.w / base.w, stage.h / base.h);
  const w = base.w * fit * z;
  const h = base.h * fit * z;
  // Where the page would be with that point kept still, then clamped like any pan.
  const pan: [number, number] = [clamp((stage.w / 2 - (ax - rx * w)) / w, 0, 1), clamp((stage.h / 2 - (ay - ry * h)) / h, 0, 1)];
  return { zoom: z, pan: panOf(pageGeom(base, stage, z, pan), stage) };
}

/** Moves the page by (`dx`, `dy`) stage pixels (a drag). */
export function panBy(base: Size, stage: Size, from: ZoomPan, dx: number, dy: number): ZoomPan {
  const g = pageGeom(base, stage, from.zoom, from.pan);
  const moved = { ...g, dx: g.dx + dx, dy: g.dy + dy };
  const pan = panOf(moved, stage);
  return { zoom: from.zoom, pan: panOf(pageGeom(base, stage, from.zoom, pan), stage) };
}

/**
 * The part of the page worth rendering (ratios): what is in view plus a
 * `margin` (a fraction of the stage) around it, so a small pan shows
 * rendered page while the next render runs.
 */
export function renderRect(g: PageGeom, stage: Size, margin: number): { x0: number; y0: number; x1: number; y1: number } {
  const mx = margin * stage.w;
  const my = margin * stage.h;
  return {
    x0: clamp((-mx - g.dx) / g.w, 0, 1),
    y0: clamp((-my - g.dy) / g.h, 0, 1),
    x1: clamp((stage.w + mx - g.dx) / g.w, 0, 1),
    y1: clamp((stage.h + my - g.dy) / g.h, 0, 1),
  };
}
