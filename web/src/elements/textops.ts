// Text edits as json0 ops and carets moved through them. Offsets are UTF-16
// code units, as JS strings (and json0's `si`/`sd`) count them.

import type { Json0Component } from 'sharedb/lib/client';

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * The components turning `prev` into `next` at `path` (e.g. `["text"]`):
 * one `sd` and/or one `si` at the changed span. `caret` (the selection end
 * after the edit, if known) picks the span when repeated characters make it
 * ambiguous: an insertion ends at the caret. Never splits a surrogate pair.
 */
export function diffOps(prev: string, next: string, path: (string | number)[], caret?: number): Json0Component[] {
  if (prev === next) return [];
  const min = Math.min(prev.length, next.length);
  let maxSuffix = min;
  if (caret !== undefined && caret >= 0 && caret <= next.length) maxSuffix = Math.min(maxSuffix, next.length - caret);
  let suffix = 0;
  while (suffix < maxSuffix && prev.charCodeAt(prev.length - 1 - suffix) === next.charCodeAt(next.length - 1 - suffix)) suffix++;
  let prefix = 0;
  const maxPrefix = min - suffix;
  while (prefix < maxPrefix && prev.charCodeAt(prefix) === next.charCodeAt(prefix)) prefix++;
  // Keep surrogate pairs whole on both edges of the span.
  if (prefix > 0 && (isHigh(prev.charCodeAt(prefix - 1)) || isHigh(next.charCodeAt(prefix - 1)))) prefix--;
  if (suffix > 0 && (isLow(prev.charCodeAt(prev.length - suffix)) || isLow(next.charCodeAt(next.length - suffix)))) suffix--;
  const removed = prev.slice(prefix, prev.length - suffix);
  const inserted = next.slice(prefix, next.length - suffix);
  const ops: Json0Component[] = [];
  if (removed) ops.push({ p: [...path, prefix], sd: removed });
  if (inserted) ops.push({ p: [...path, prefix], si: inserted });
  return ops;
}

/** Text edits of an op at `["text"]`, json0 `si`/`sd` or a text0 subtype. */
function textEdits(op: Json0Component[], field: string): ({ at: number; ins: number } | { at: number; del: number } | { reset: true })[] {
  const out: ({ at: number; ins: number } | { at: number; del: number } | { reset: true })[] = [];
  for (const c of op) {
    if (!c || !Array.isArray(c.p) || c.p[0] !== field) continue;
    if (c.p.length === 2 && typeof c.p[1] === 'number') {
      if (typeof c.sd === 'string') out.push({ at: c.p[1], del: c.sd.length });
      if (typeof c.si === 'string') out.push({ at: c.p[1], ins: c.si.length });
    } else if (c.p.length === 1) {
      const sub = c as Json0Component & { t?: string; o?: { p: number; i?: string; d?: string }[] };
      if (sub.t === 'text0' && Array.isArray(sub.o)) {
        for (const t of sub.o) {
          if (typeof t.d === 'string') out.push({ at: t.p, del: t.d.length });
          if (typeof t.i === 'string') out.push({ at: t.p, ins: t.i.length });
        }
      } else if ('oi' in c || 'od' in c) {
        out.push({ reset: true });
      }
    }
  }
  return out;
}

/**
 * Where `pos` is after `op`. An insertion exactly at `pos` pushes it along
 * only when `after` (our own typing); someone else's stays after our caret.
 */
export function transformCaret(pos: number, op: Json0Component[], after = false, field = 'text'): number {
  for (const e of textEdits(op, field)) {
    if ('reset' in e) return pos;
    if ('ins' in e) {
      if (pos > e.at || (pos === e.at && after)) pos += e.ins;
    } else if (pos > e.at) {
      pos -= Math.min(e.del, pos - e.at);
    }
  }
  return pos;
}
