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
