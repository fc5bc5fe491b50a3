// The shared video: "+ Video" in the strip (upload a WebM/MP4, or paste a
// YouTube link), and the focused element with shared controls. The
// document holds `{playing, position, rate, at}` (elements/video.ts); a
// control loop steers this page's player to the position that implies at
// the server's time now. Volume and mute are this page's own.

/// <reference types="youtube" />

import { useEffect, useRef, useState } from 'preact/hooks';
import type { Doc } from 'sharedb/lib/client';
import type { Call } from '../call';
import { hook } from '../hook';
import { uploadPicked, UploadError } from '../elements/slides';
import { elementDocId, watchDoc, type ElementRef } from '../elements/store';
import {
  durationOp,
  expectedPosition,
  formatTime,
  lengthOf,
  nextPlayback,
  playbackOp,
  RATES,
  steer,
  videoStateOf,
  videoTitle,
  type PlayerReading,
  type VideoData,
  type VideoState,
} from '../elements/video';
import { loadYouTubeApi, parseYouTube } from '../elements/youtube';
import { KindIcon } from './KindIcon';

// Inline SVG icons (paths from Google's Material Icons, Apache-2.0): emoji
// have no font on many machines.
const ICONS = {
  play: 'M8 5v14l11-7z',
  pause: 'M6 19h4V5H6v14zm8-14v14h4V5h-4z',
  replay: 'M12 5V1L7 6l5 5V7c3.31 0 6 2.69 6 6s-2.69 6-6 6-6-2.69-6-6H4c0 4.42 3.58 8 8 8s8-3.58 8-8-3.58-8-8-8z',
  sound: 'M3 9v6h4l5 5V4L7 9H3zm13.5 3c0-1.77-1.02-3.29-2.5-4.03v8.05c1.48-.73 2.5-2.25 2.5-4.02zM14 3.23v2.06c2.89.86 5 3.54 5 6.71s-2.11 5.85-5 6.71v2.06c4.01-.91 7-4.49 7-8.77s-2.99-7.86-7-8.77z',
  muted:
    'M16.5 12c0-1.77-1.02-3.29-2.5-4.03v2.21l2.45 2.45c.03-.2.05-.41.05-.63zm2.5 0c0 .94-.2 1.82-.54 2.64l1.51 1.51C20.63 14.91 21 13.5 21 12c0-4.28-2.99-7.86-7-8.77v2.06c2.89.86 5 3.54 5 6.71zM4.27 3L3 4.27 7.73 9H3v6h4l5 5v-6.73l4.25 4.25c-.67.52-1.42.93-2.25 1.18v2.06c1.38-.31 2.63-.95 3.69-1.81L19.73 21 21 19.73l-9-9L4.27 3zM12 4L9.91 6.09 12 8.18V4z',
};

function Svg({ name, size = 20 }: { name: keyof typeof ICONS; size?: number }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d={ICONS[name]} fill="currentColor" />
    </svg>
  );
}

type AddState =
  | { phase: 'idle' }
  | { phase: 'uploading'; fraction: number; name: string }
  | { phase: 'checking'; name: string }
  | { phase: 'error'; code: string; message: string };

const PROBE_TIMEOUT_MS = 20_000;

/** The length of the video at `url`, read by a detached player; rejects if this browser cannot play it. */
function probeDuration(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const v = document.createElement('video');
    const done = (f: () => void) => {
      clearTimeout(timer);
      v.onloadedmetadata = v.onerror = null;
      v.removeAttribute('src');
      v.load();
      f();
    };
    const unplayable = () => new UploadError('unplayable', 'This video cannot be played in this browser: use a WebM (VP8/VP9) or MP4 (H.264) file.');
    const timer = setTimeout(() => done(() => reject(unplayable())), PROBE_TIMEOUT_MS);
    v.preload = 'metadata';
    v.muted = true;
    v.onloadedmetadata = () => {
      const d = v.duration;
      done(() => (Number.isFinite(d) && d > 0 ? resolve(d) : reject(unplayable())));
    };
    v.onerror = () => done(() => reject(unplayable()));
    v.src = url;
  });
}

/** "+ Video": opens a small form to upload a file or paste a YouTube link. */
export function VideoAdd({ call }: { call: Call }) {
  const [open, setOpen] = useState(false);
  const [link, setLink] = useState('');
  const [state, setState] = useState<AddState>({ phase: 'idle' });
  const busy = state.phase === 'uploading' || state.phase === 'checking';

  const add = (data: Omit<VideoData, 'kind' | 'title' | 'at'>, title: string) =>
    call.elements.addElement({ kind: 'video', title, ...data, at: Math.round(call.clock.now()) });

  const onFile = async (input: HTMLInputElement) => {
    try {
      const picked = await uploadPicked(input, call.room, call.authToken(), (name, fraction) => setState({ phase: 'uploading', fraction, name }));
      if (!picked) return;
      const { res, name } = picked;
      if (!res.contentType.startsWith('video/')) throw new UploadError('unsupported_type', 'This file is not a video: upload a WebM or MP4 file.');
      setState({ phase: 'checking', name });
      const duration = await probeDuration(`/blobs/${res.sha256}`);
      await add({ source: { blob: res.sha256 }, playing: false, position: 0, rate: 1, duration }, videoTitle(name));
      setState({ phase: 'idle' });
      setOpen(false);
    } catch (e) {
      const code = e instanceof UploadError ? e.code : 'failed';
      const message = code === 'unsupported_type' ? 'This file is not a video: upload a WebM or MP4 file.' : e instanceof Error ? e.message : String(e);
      setState({ phase: 'error', code, message });
    }
  };

  const onLink = (e: Event) => {
    e.preventDefault();
    const yt = parseYouTube(link);
    if (!yt) return setState({ phase: 'error', code: 'bad_link', message: 'That is not a YouTube link (youtube.com/watch?v=…, youtu.be/…).' });
    setState({ phase: 'idle' });
    const taken = (call.elements.layout.peek()?.elements ?? []).filter((e) => e.title.startsWith('YouTube video')).length;
    add({ source: { youtube: yt.id }, playing: false, position: yt.start, rate: 1 }, taken ? `YouTube video ${taken + 1}` : 'YouTube video').then(
      () => {
        setLink('');
        setOpen(false);
      },
      (err: unknown) => setState({ phase: 'error', code: 'failed', message: err instanceof Error ? err.message : String(err) }),
    );
  };

  return (
    <span class="video-add">
      <button type="button" class="element-add" data-testid="elements-add-video-menu" aria-expanded={open ? 'true' : 'false'} onClick={() => setOpen(!open)}>
        + <KindIcon kind="video" /> <span class="element-add-label">Video</span>
      </button>
      {/* Always in the page, so tests (and the label) can reach it. */}
      <input
        id="video-file-input"
        type="file"
        class="visually-hidden"
        data-testid="elements-add-video"
        accept="video/webm,video/mp4,.webm,.mp4,.m4v"
        disabled={busy}
        onChange={(e) => void onFile(e.currentTarget)}
      />
      {open && (
        <form class="video-add-form" onSubmit={onLink}>
          <label for="video-file-input" class={`element-add${busy ? ' disabled' : ''}`} title="Upload a WebM or MP4 file; everyone downloads it from the server">
            Upload a file…
          </label>
          <input
            type="text"
            class="video-link"
            data-testid="video-youtube-url"
            placeholder="or a YouTube link"
            aria-label="YouTube link"
            value={link}
            onInput={(e) => setLink(e.currentTarget.value)}
          />
          <button type="submit" class="element-add" data-testid="video-youtube-add" disabled={!link.trim()}>
            Add
          </button>
        </form>
      )}
      {state.phase === 'uploading' && (
        <progress class="upload-progress" data-testid="video-upload-progress" max={1} value={state.fraction} aria-label={`Uploading ${state.name}`} />
      )}
      {state.phase === 'checking' && <span class="upload-status muted-text">checking the video…</span>}
      {state.phase === 'error' && (
        <span class="upload-error" role="alert" data-testid="video-upload-error" data-code={state.code}>
          {state.message}
          <button type="button" class="element-remove" aria-label="Dismiss" onClick={() => setState({ phase: 'idle' })}>
            ×
          </button>
        </span>
      )}
    </span>
  );
}

// ---- players ----------------------------------------------------------------

/** What the control loop drives: a <video> or a YouTube player. */
interface Player {
  read(): PlayerReading;
  play(): void;
  pause(): void;
  seek(t: number): void;
  setRate(r: number): void;
  setVolume(volume: number, muted: boolean): void;
  canNudge: boolean;
  minReseekMs: number;
  seekLead(): number;
}

interface PlayerEvents {
  /** The browser refused to play with sound, so it plays muted. */
  onAutoMuted(): void;
  /** Playing was refused even muted (true), or works again (false). */
  onBlocked(blocked: boolean): void;
}

const TICK_MS = 250;
const NOT_READY: PlayerReading = { ready: false, current: 0, paused: true, ended: false, seeking: false, duration: null };

function htmlPlayer(v: HTMLVideoElement, ev: PlayerEvents): Player {
  let pending = false;
  let seekStart = 0;
  let seekTarget = 0;
  // How late playback resumes after a seek while playing (s): the seek
  // itself, then the decoder's preroll. Learned from the last seeks.
  let lead = 0.1;
  const learn = () => {
    if (!seekStart || v.seeking) return;
    if (v.paused) seekStart = 0; // a paused seek needs no lead
    else if (v.currentTime > seekTarget + 0.05) {
      // Moving again: it started from the target this long after the seek.
      const lag = (performance.now() - seekStart) / 1000 - (v.currentTime - seekTarget) / v.playbackRate;
      lead = Math.max(0, Math.min(2, 0.5 * lead + 0.5 * lag));
      seekStart = 0;
    }
  };
  const player = {
    canNudge: true,
    // <video> reports `seeking`, so no extra guard is needed.
    minReseekMs: 0,
    seekLead: () => lead,
    read: (): PlayerReading => {
      learn();
      return {
        ready: v.readyState >= HTMLMediaElement.HAVE_METADATA,
        current: v.currentTime,
        paused: v.paused,
        ended: v.ended,
        seeking: v.seeking,
        duration: Number.isFinite(v.duration) && v.duration > 0 ? v.duration : null,
      };
    },
    play(): void {
      if (pending) return;
      pending = true;
      v.play().then(
        () => {
          pending = false;
          ev.onBlocked(false);
        },
        (e: unknown) => {
          pending = false;
          // AbortError: a pause or seek interrupted it; the next tick decides again.
          if (!(e instanceof DOMException) || e.name !== 'NotAllowedError') return;
          if (!v.muted) {
            // No user gesture on this page yet: the browser allows muted playback.
            v.muted = true;
            ev.onAutoMuted();
            player.play();
          } else ev.onBlocked(true);
        },
      );
    },
    pause: () => v.pause(),
    seek(t: number): void {
      seekStart = performance.now();
      seekTarget = t;
      v.currentTime = t;
    },
    setRate(r: number): void {
      if (Math.abs(v.playbackRate - r) > 0.002) v.playbackRate = r;
    },
    setVolume(volume: number, muted: boolean): void {
      v.volume = volume;
      v.muted = muted;
    },
  };
  return player;
}

// YouTube's player states (YT.PlayerState; the enum exists only once the API loaded).
const YT_ENDED = 0;
const YT_PLAYING = 1;
const YT_BUFFERING = 3;
// A play() that has not started after this long is taken as refused autoplay.
const YT_AUTOPLAY_WAIT_MS = 2_500;

function youtubePlayer(p: YT.Player, ev: PlayerEvents): Player {
  let askedAt = 0;
  return {
    // YouTube offers a few fixed speeds, so drift is corrected by seeking
    // only; it does not report seeks, so they are spaced out.
    canNudge: false,
    minReseekMs: 1_500,
    seekLead: () => 0.2,
    read(): PlayerReading {
      const st = p.getPlayerState();
      const d = p.getDuration();
      return {
        ready: true,
        current: p.getCurrentTime() || 0,
        paused: st !== YT_PLAYING && st !== YT_BUFFERING,
        ended: st === YT_ENDED,
        seeking: false,
        duration: Number.isFinite(d) && d > 0 ? d : null,
      };
    },
    play(): void {
      const now = performance.now();
      if (!askedAt) askedAt = now;
      else if (now - askedAt > YT_AUTOPLAY_WAIT_MS && !p.isMuted()) {
        p.mute();
        ev.onAutoMuted();
        askedAt = now;
      }
      p.playVideo();
    },
    pause(): void {
      askedAt = 0;
      p.pauseVideo();
    },
    seek: (t: number) => p.seekTo(t, true),
    setRate(r: number): void {
      const rates = p.getAvailablePlaybackRates();
      if (!rates.length) return;
      const best = rates.reduce((a, b) => (Math.abs(b - r) < Math.abs(a - r) ? b : a));
      if (p.getPlaybackRate() !== best) p.setPlaybackRate(best);
    },
    setVolume(volume: number, muted: boolean): void {
      p.setVolume(Math.round(volume * 100));
      if (muted) p.mute();
      else p.unMute();
    },
  };
}

const YT_ERRORS: Record<number, string> = {
  2: 'This YouTube link does not name a video.',
  5: 'YouTube cannot play this video in this browser.',
  100: 'This YouTube video was removed or is private.',
  101: 'The owner of this YouTube video does not allow it to be shown on other sites.',
  150: 'The owner of this YouTube video does not allow it to be shown on other sites.',
};

// ---- the element ------------------------------------------------------------

interface View {
  current: number;
  length: number;
  ended: boolean;
  ready: boolean;
}

export function VideoElement({ call, el }: { call: Call; el: ElementRef }) {
  const mediaRef = useRef<HTMLVideoElement>(null);
  const ytRef = useRef<HTMLDivElement>(null);
  const docRef = useRef<Doc<VideoData> | null>(null);
  const stateRef = useRef<VideoState | null>(null);
  const playerRef = useRef<Player | null>(null);
  const tickRef = useRef<() => void>(() => {});
  const [state, setState] = useState<VideoState | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [view, setView] = useState<View>({ current: 0, length: 0, ended: false, ready: false });
  const [drag, setDrag] = useState<number | null>(null);
  const [volume, setVolume] = useState(1);
  const [muted, setMuted] = useState(false);
  const [autoMuted, setAutoMuted] = useState(false);
  const [blocked, setBlocked] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [retry, setRetry] = useState(0);
  const audio = useRef({ volume, muted });
  audio.current = { volume, muted };

  const events: PlayerEvents = {
    onAutoMuted: () => {
      setMuted(true);
      setAutoMuted(true);
    },
    onBlocked: setBlocked,
  };

  // The element document.
  useEffect(() => {
    const doc = call.share.connection.get<VideoData>('elements', elementDocId(call.room, el.id));
    docRef.current = doc;
    const unwatch = watchDoc(doc, 'video', () => {
      const s = doc.type ? videoStateOf(doc.data) : null;
      stateRef.current = s;
      setState(s);
      setLoaded(true);
      tickRef.current();
    });
    return () => {
      unwatch();
      docRef.current = null;
    };
  }, [call, el.id]);

  const blob = state?.source && 'blob' in state.source ? state.source.blob : null;
  const youtube = state?.source && 'youtube' in state.source ? state.source.youtube : null;

  const recordDuration = (d: number) => {
    const doc = docRef.current;
    const op = doc?.type && doc.data ? durationOp(doc.data as unknown as Record<string, unknown>, d) : null;
    if (doc && op) doc.submitOp(op, { source: 'local' }, (err) => err && console.warn(`video: duration refused: ${err.code}`));
  };

  // An uploaded file.
  useEffect(() => {
    const v = mediaRef.current;
    if (!blob || !v) return;
    setError(null);
    const player = htmlPlayer(v, events);
    player.setVolume(audio.current.volume, audio.current.muted);
    playerRef.current = player;
    const onMeta = () => {
      if (Number.isFinite(v.duration)) recordDuration(v.duration);
      tickRef.current();
    };
    const onError = () => setError('This video could not be loaded.');
    v.addEventListener('loadedmetadata', onMeta);
    v.addEventListener('error', onError);
    if (v.readyState >= HTMLMediaElement.HAVE_METADATA) onMeta();
    return () => {
      v.removeEventListener('loadedmetadata', onMeta);
      v.removeEventListener('error', onError);
      playerRef.current = null;
    };
  }, [blob]);

  // A YouTube video: the API only loads now.
  useEffect(() => {
    const box = ytRef.current;
    if (!youtube || !box) return;
    let live = true;
    let yt: YT.Player | null = null;
    setError(null);
    loadYouTubeApi().then(
      (api) => {
        if (!live) return;
        // The API replaces this node with its iframe: one Preact does not own.
        const host = document.createElement('div');
        box.replaceChildren(host);
        yt = new api.Player(host, {
          videoId: youtube,
          host: 'https://www.youtube-nocookie.com',
          playerVars: { controls: 0, disablekb: 1, fs: 0, rel: 0, playsinline: 1, iv_load_policy: 3, origin: location.origin },
          events: {
            onReady: () => {
              if (!live || !yt) return;
              const player = youtubePlayer(yt, events);
              player.setVolume(audio.current.volume, audio.current.muted);
              playerRef.current = player;
              const d = yt.getDuration();
              if (d > 0) recordDuration(d);
              tickRef.current();
            },
            onStateChange: () => tickRef.current(),
            onError: (e) => live && setError(YT_ERRORS[e.data] ?? 'YouTube could not play this video.'),
          },
        });
      },
      (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
      playerRef.current = null;
      yt?.destroy();
      box.replaceChildren();
    };
  }, [youtube, retry]);

  // The control loop: on every change of the document and a few times a second.
  useEffect(() => {
    let lastSeek = 0;
    let lastAt = -1;
    let shownKey = '';
    const counters = { seeks: 0, nudges: 0 };
    const tick = () => {
      const s = stateRef.current;
      const p = playerRef.current;
      if (!s) return;
      // A new action must be followed at once, whatever the seek spacing.
      if (s.at !== lastAt) {
        lastAt = s.at;
        lastSeek = 0;
      }
      const now = call.clock.now();
      const r0 = p ? p.read() : NOT_READY;
      const r = { ...r0, duration: r0.duration ?? s.duration };
      const t = performance.now();
      const st = steer(s, now, r, { canNudge: !!p?.canNudge, sinceSeekMs: t - lastSeek, minReseekMs: p?.minReseekMs ?? 0, seekLead: p?.seekLead() ?? 0 });
      if (p && r.ready) {
        if (st.pause) p.pause();
        if (st.seek !== null) {
          p.seek(st.seek);
          lastSeek = t;
          counters.seeks++;
        }
        if (st.play) p.play();
        p.setRate(st.rate);
        if (st.rate !== s.rate) counters.nudges++;
      }
      const length = lengthOf(s, r.duration);
      // Without a player (still loading, or YouTube unreachable) the controls
      // show where the others are.
      const current = r.ready ? (st.seek ?? r.current) : st.expected;
      const next: View = { current, length: Number.isFinite(length) ? length : 0, ended: st.ended, ready: r.ready };
      // Re-render only for what the controls show (tenths of a second).
      const key = `${Math.round(next.current * 10)}|${next.length}|${next.ended}|${next.ready}`;
      if (key !== shownKey) {
        shownKey = key;
        setView(next);
      }
    };
    tickRef.current = tick;
    const hookView = {
      expected: () => {
        const s = stateRef.current;
        return s ? expectedPosition(s, call.clock.now(), lengthOf(s, playerRef.current?.read().duration ?? null)) : null;
      },
      get seeks() {
        return counters.seeks;
      },
      get nudges() {
        return counters.nudges;
      },
    };
    hook.video = hookView;
    const timer = setInterval(tick, TICK_MS);
    tick();
    return () => {
      clearInterval(timer);
      tickRef.current = () => {};
      if (hook.video === hookView) hook.video = null;
    };
  }, [call]);

  // ---- actions: one op each, replacing the four playback fields ------------

  const act = (change: { playing?: boolean; position?: number; rate?: number }) => {
    const doc = docRef.current;
    const s = stateRef.current;
    if (!doc || !doc.type || !doc.data || !s) return;
    const r = playerRef.current?.read();
    const next = nextPlayback(s, call.clock.now(), lengthOf(s, r?.duration ?? null), change);
    doc.submitOp(playbackOp(doc.data as unknown as Record<string, unknown>, next), { source: 'local' }, (err) => err && console.warn(`video: action refused: ${err.code}`));
    // The op applied locally already: steer now, inside the click, so the
    // browser counts play() as started by the user.
    tickRef.current();
  };

  const playing = !!state?.playing && !view.ended;
  const togglePlay = () => act({ playing: !playing });
  const seekBy = (d: number) => act({ position: Math.max(0, Math.min(view.length || Infinity, view.current + d)) });

  const applyVolume = (v: number, m: boolean) => {
    setVolume(v);
    setMuted(m);
    // Inside the click: unmuting counts as the user's choice.
    playerRef.current?.setVolume(v, m);
  };
  const unmute = () => {
    setAutoMuted(false);
    applyVolume(volume || 1, false);
  };
  const joinPlayback = () => {
    setBlocked(false);
    playerRef.current?.play();
  };

  const rates = state && !RATES.includes(state.rate) ? [...RATES, state.rate].sort((a, b) => a - b) : RATES;
  const shown = drag ?? view.current;
  const status = !loaded ? 'Loading…' : !state ? 'This video is gone.' : view.ended ? 'Ended' : state.playing ? (state.rate !== 1 ? `Playing · ${state.rate}×` : 'Playing') : 'Paused';

  return (
    <div class="video-el" data-testid="video-element" data-playing={state?.playing ? 'true' : 'false'}>
      <div class="notes-head">
        <h2 class="notes-title">{el.title}</h2>
        <span class="video-status muted-text" data-testid="video-status" aria-live="polite">
          {status}
        </span>
      </div>
      <div class="video-stage">
        {blob && <video ref={mediaRef} class="video-media" data-testid="video-player" src={`/blobs/${blob}`} preload="auto" playsInline />}
        {youtube && (
          <>
            <div ref={ytRef} class="video-yt" data-testid="video-youtube" />
            {/* YouTube's own clicks would only change this page: the shared controls are below. */}
            <div class="video-shield" aria-hidden="true" />
          </>
        )}
        {error && (
          <div class="video-msg" role="alert" data-testid="video-error">
            <p>{error}</p>
            {youtube && (
              <button type="button" class="btn btn-ghost btn-small" onClick={() => setRetry((n) => n + 1)}>
                Try again
              </button>
            )}
          </div>
        )}
        {!error && loaded && !state?.source && <p class="video-msg muted-text">This video cannot be shown.</p>}
        {autoMuted && muted && (
          <button type="button" class="video-unmute" data-testid="video-unmute" onClick={unmute}>
            <Svg name="muted" size={18} /> Playing without sound here: click to unmute
          </button>
        )}
        {blocked && (
          <button type="button" class="video-join" data-testid="video-join-playback" onClick={joinPlayback}>
            <Svg name="play" /> Click to join playback
          </button>
        )}
      </div>
      <div class="video-controls">
        <button
          type="button"
          class="btn btn-ghost btn-small video-play"
          data-testid="video-play"
          aria-pressed={playing ? 'true' : 'false'}
          aria-label={playing ? 'Pause for everyone' : 'Play for everyone'}
          disabled={!state}
          onClick={togglePlay}
        >
          <Svg name={playing ? 'pause' : view.ended ? 'replay' : 'play'} size={22} />
        </button>
        <button type="button" class="btn btn-ghost btn-small" data-testid="video-back" aria-label="Back 10 seconds" disabled={!state} onClick={() => seekBy(-10)}>
          −10
        </button>
        <button type="button" class="btn btn-ghost btn-small" data-testid="video-forward" aria-label="Forward 10 seconds" disabled={!state} onClick={() => seekBy(10)}>
          +10
        </button>
        <span class="video-time" data-testid="video-time">
          {formatTime(shown)}
          {view.length ? ` / ${formatTime(view.length)}` : ''}
        </span>
        <input
          type="range"
          class="video-seek"
          data-testid="video-seek"
          aria-label="Position (for everyone)"
          min={0}
          max={view.length || 0}
          step={0.1}
          value={shown}
          disabled={!state || !view.length}
          onInput={(e) => setDrag(Number(e.currentTarget.value))}
          onChange={(e) => {
            setDrag(null);
            act({ position: Number(e.currentTarget.value) });
          }}
        />
        <select
          class="video-rate"
          data-testid="video-rate"
          aria-label="Speed (for everyone)"
          value={String(state?.rate ?? 1)}
          disabled={!state}
          onChange={(e) => act({ rate: Number(e.currentTarget.value) })}
        >
          {rates.map((r) => (
            <option key={r} value={String(r)}>
              {r}×
            </option>
          ))}
        </select>
        <span class="video-audio">
          <button
            type="button"
            class="btn btn-ghost btn-small"
            data-testid="video-mute"
            aria-pressed={muted ? 'true' : 'false'}
            aria-label={muted ? 'Unmute (only here)' : 'Mute (only here)'}
            onClick={() => (muted ? unmute() : applyVolume(volume, true))}
          >
            <Svg name={muted ? 'muted' : 'sound'} />
          </button>
          <input
            type="range"
            class="video-volume"
            data-testid="video-volume"
            aria-label="Volume (only here)"
            min={0}
            max={1}
            step={0.05}
            value={muted ? 0 : volume}
            onInput={(e) => {
              const v = Number(e.currentTarget.value);
              if (v > 0) setAutoMuted(false);
              applyVolume(v, v === 0);
            }}
          />
        </span>
      </div>
    </div>
  );
}
