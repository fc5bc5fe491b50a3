// Splits chat text into plain text and links. Pure: the chat component turns
// the pieces into DOM nodes (text nodes and <a> elements), so no message can
// ever inject markup, and only http(s) URLs become links — never
// `javascript:`, `data:` or anything else a URL parser would accept.

export type Piece = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

// A candidate starts with http:// or https:// or www. and runs to the next
// whitespace; trailing punctuation is trimmed below.
const CANDIDATE = /\b(?:https?:\/\/|www\.)[^\s<>"]+/gi;

// Punctuation that usually ends a sentence rather than a URL.
const TRAILING = /[.,;:!?'"*_~]+$/;

/** Cuts trailing punctuation and unbalanced closing brackets off a URL. */
function trimUrl(raw: string): string {
  let url = raw;
  for (;;) {
    const before = url;
    url = url.replace(TRAILING, '');
    const last = url.at(-1);
    const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
    if (last !== undefined && last in pairs) {
      const open = pairs[last]!;
      const opens = url.split(open).length - 1;
      const closes = url.split(last).length - 1;
      if (closes > opens) url = url.slice(0, -1);
    }
    if (url === before) return url;
  }
}

/** The href for a candidate, or null when it is not a safe http(s) URL. */
export function safeHref(text: string): string | null {
  const withScheme = /^www\./i.test(text) ? `https://${text}` : text;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (!url.hostname) return null;
  return url.href;
}

export function linkify(text: string): Piece[] {
  const pieces: Piece[] = [];
  let plain = '';
  let last = 0;
  for (const m of text.matchAll(CANDIDATE)) {
    const start = m.index ?? 0;
    const url = trimUrl(m[0]);
    const href = url.length > 0 ? safeHref(url) : null;
    if (href === null) continue;
    plain += text.slice(last, start);
    if (plain) pieces.push({ kind: 'text', text: plain });
    plain = '';
    pieces.push({ kind: 'link', text: url, href });
    last = start + url.length;
  }
  plain += text.slice(last);
  if (plain) pieces.push({ kind: 'text', text: plain });
  return pieces;
}
