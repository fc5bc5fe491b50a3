// YouTube: reading a video id out of what people paste, and loading the
// IFrame API (https://www.youtube.com/iframe_api) only when a YouTube
// element is shown. The server's CSP allows that script and YouTube's
// frames; when YouTube cannot be reached, the element says so instead.

/// <reference types="youtube" />

const ID = /^[A-Za-z0-9_-]{11}$/;
const HOSTS = new Set(['youtube.com', 'www.youtube.com', 'm.youtube.com', 'music.youtube.com', 'youtube-nocookie.com', 'www.youtube-nocookie.com']);
const PATH_PREFIXES = ['embed', 'shorts', 'live', 'v', 'e'];

/** `42`, `90s`, `1m30s`, `1h2m3s` → seconds; anything else 0. */
function startOf(t: string | null): number {
  if (!t) return 0;
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(t);
  if (!m) return 0;
  return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

/**
 * The video id (and start time, seconds) in a YouTube link or a bare
 * 11-character id: youtube.com/watch?v=…, youtu.be/…, /embed/…, /shorts/…,
 * /live/…; null for anything else.
 */
export function parseYouTube(input: string): { id: string; start: number } | null {
  const text = input.trim();
  if (ID.test(text)) return { id: text, start: 0 };
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `https://${text}`);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const host = url.hostname.toLowerCase();
  const parts = url.pathname.split('/').filter(Boolean);
  let id: string | null | undefined = null;
  if (host === 'youtu.be' || host === 'www.youtu.be') id = parts[0];
  else if (HOSTS.has(host)) {
    if (parts[0] === 'watch') id = url.searchParams.get('v');
    else if (parts[0] && PATH_PREFIXES.includes(parts[0])) id = parts[1];
  }
  if (!id || !ID.test(id)) return null;
  const start = startOf(url.searchParams.get('t') ?? url.searchParams.get('start'));
  return { id, start: Number.isFinite(start) ? start : 0 };
}

declare global {
  interface Window {
    onYouTubeIframeAPIReady?: () => void;
  }
}

const API_URL = 'https://www.youtube.com/iframe_api';
const LOAD_TIMEOUT_MS = 15_000;
let api: Promise<typeof YT> | null = null;

/**
 * The IFrame API, loaded once. Rejects (and may be tried again) when the
 * script cannot be fetched or never announces itself: offline, blocked by
 * a network filter, or by the page's CSP.
 */
export function loadYouTubeApi(): Promise<typeof YT> {
  const ready = window.YT;
  if (ready && typeof ready.Player === 'function') return Promise.resolve(ready);
  if (api) return api;
  const p = new Promise<typeof YT>((resolve, reject) => {
    const script = document.createElement('script');
    const fail = () => {
      clearTimeout(timer);
      script.remove();
      api = null;
      reject(new Error('YouTube could not be reached from this browser (offline, or blocked by a filter). Try again later.'));
    };
    const timer = setTimeout(fail, LOAD_TIMEOUT_MS);
    const previous = window.onYouTubeIframeAPIReady;
    window.onYouTubeIframeAPIReady = () => {
      clearTimeout(timer);
      previous?.();
      resolve(window.YT);
    };
    script.src = API_URL;
    script.async = true;
    script.onerror = fail;
    document.head.appendChild(script);
  });
  api = p;
  return p;
}
