// The shared video element's model (docs/elements.md): the document says
// where playback was at a server time — `{playing, position, rate, at}` —
// and every client computes where it is now from its estimate of the
// server's clock, then steers its own player there: a seek when it is off
// by more than half a second, a slightly faster or slower playbackRate for
// less. Every action replaces the four fields in one op, so of two actions
// at once the later one (server order) wins whole. No client is special:
// whoever is left in the room keeps computing the same position.

import type { Json0Component } from 'sharedb/lib/client';
import { clampNum, isSha } from './slides';

export type VideoSource = { blob: string } | { youtube: string };

export interface VideoData {
  kind: 'video';
  title: string;
  source: VideoSource;
  playing: boolean;
  position: number;
  rate: number;
  /** Server time (Unix ms) at which playback was at `position`. */
  at: number;
  duration?: number;
}

/** The playback fields every action replaces together. */
export interface Playback {
  playing: boolean;
  position: number;
  rate: number;
  at: number;
}

export interface VideoState extends Playback {
  source: VideoSource | null;
  duration: number | null;
}

export const MIN_RATE = 0.25;
export const MAX_RATE = 4;
const MAX_POSITION = 1e7;
/** The speeds offered in the menu (a document may hold others in range). */
export const RATES = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2];

const YOUTUBE_ID = /^[A-Za-z0-9_-]{11}$/;

/** What we act on from a document we do not trust: every field checked or clamped. */
export function videoStateOf(d: unknown): VideoState | null {
  if (!d || typeof d !== 'object') return null;
  const v = d as Partial<Record<keyof VideoData, unknown>>;
  const src = v.source as { blob?: unknown; youtube?: unknown } | null | undefined;
  let source: VideoSource | null = null;
  if (src && typeof src === 'object') {
    if (isSha(src.blob)) source = { blob: src.blob };
    else if (typeof src.youtube === 'string' && YOUTUBE_ID.test(src.youtube)) source = { youtube: src.youtube };
  }
  const duration = typeof v.duration === 'number' && Number.isFinite(v.duration) && v.duration > 0 ? Math.min(v.duration, MAX_POSITION) : null;
  return {
    source,
    playing: v.playing === true,
    position: clampNum(v.position, 0, MAX_POSITION, 0),
    rate: clampNum(v.rate, MIN_RATE, MAX_RATE, 1),
    at: clampNum(v.at, 0, 1e15, 0),
    duration,
  };
}

/** The length to clamp to: the player's when it knows, else the document's. */
export function lengthOf(s: VideoState, playerDuration: number | null): number {
  if (playerDuration !== null && Number.isFinite(playerDuration) && playerDuration > 0) return playerDuration;
  return s.duration ?? Infinity;
}

/** Where playback is at server time `now` (ms), within the media. */
export function expectedPosition(s: Playback, now: number, length: number): number {
  const elapsed = s.playing ? ((now - s.at) / 1000) * s.rate : 0;
  return Math.max(0, Math.min(length, s.position + elapsed));
}

// Playing and this close to the end (seconds) counts as having ended.
const END_EPSILON_S = 0.05;

export const atEnd = (s: Playback, now: number, length: number): boolean =>
  s.playing && Number.isFinite(length) && expectedPosition(s, now, length) >= length - END_EPSILON_S;

/**
 * The playback after an action at server time `now`: only what `change`
 * says differs; the position is where playback is now unless a seek says
 * otherwise. Play on an ended video starts it over.
 */
export function nextPlayback(s: Playback, now: number, length: number, change: { playing?: boolean; position?: number; rate?: number }): Playback {
  let position = change.position ?? expectedPosition(s, now, length);
  if (change.playing === true && change.position === undefined && atEnd(s, now, length)) position = 0;
  const end = Number.isFinite(length) ? length : MAX_POSITION;
  return {
    playing: change.playing ?? s.playing,
    position: Math.max(0, Math.min(end, MAX_POSITION, position)),
    rate: clampNum(change.rate ?? s.rate, MIN_RATE, MAX_RATE, 1),
    at: Math.round(now),
  };
}

/**
 * The op replacing all four playback fields of `current` (the document's
 * data as it is) with `next`: concurrent actions resolve whole, the later
 * one winning every field.
 */
export function playbackOp(current: Partial<Record<string, unknown>>, next: Playback): Json0Component[] {
  return (['playing', 'position', 'rate', 'at'] as const).map((k) => ({ p: [k], od: current[k], oi: next[k] }));
}

/** The op recording the media's length, or null if the document already has it. */
export function durationOp(current: Partial<Record<string, unknown>>, duration: number): Json0Component[] | null {
  if (!Number.isFinite(duration) || duration <= 0 || duration > MAX_POSITION) return null;
  const had = current.duration;
  if (typeof had === 'number' && Math.abs(had - duration) < 0.5) return null;
  return [had === undefined ? { p: ['duration'], oi: duration } : { p: ['duration'], od: had, oi: duration }];
}

// ---- steering a player toward the shared position --------------------------

/** Off by more than this (seconds), the player seeks. */
export const SEEK_THRESHOLD_S = 0.5;
/** Off by less than this, the player runs at the shared rate. */
const NUDGE_MIN_S = 0.03;
/** Rate correction per second of drift, capped at ±NUDGE_MAX. */
const NUDGE_GAIN = 0.5;
const NUDGE_MAX = 0.1;
/** A paused player is moved to the shared frame when off by more than this. */
const PAUSED_TOLERANCE_S = 0.05;

/** What a player reports at one instant. */
export interface PlayerReading {
  /** It has metadata: it can seek and play. */
  ready: boolean;
  current: number;
  paused: boolean;
  ended: boolean;
  seeking: boolean;
  /** Its media's length, or null while unknown. */
  duration: number | null;
}

export interface SteerOptions {
  /** Can play at any rate (an HTML video) rather than a few fixed ones (YouTube). */
  canNudge: boolean;
  /** How long ago our last seek was (ms). */
  sinceSeekMs: number;
  /** No new seek sooner than this after the last (ms): for players that do not report seeking. */
  minReseekMs: number;
  /** A seek lands this much later (s): aim ahead by it when playing. */
  seekLead: number;
}

export interface Steer {
  expected: number;
  /** Player minus expected (seconds). */
  drift: number;
  ended: boolean;
  seek: number | null;
  play: boolean;
  pause: boolean;
  rate: number;
}

/** One step of the control loop: what to do to `p` so it shows `s` at server time `now`. */
export function steer(s: Playback, now: number, p: PlayerReading, o: SteerOptions): Steer {
  const length = Number.isFinite(p.duration ?? NaN) && (p.duration ?? 0) > 0 ? (p.duration as number) : Infinity;
  const expected = expectedPosition(s, now, length);
  const drift = p.current - expected;
  const ended = atEnd(s, now, length);
  const out: Steer = { expected, drift, ended, seek: null, play: false, pause: false, rate: s.rate };
  if (!p.ready) return out;
  if (ended) {
    // Let a player that is nearly there run out by itself; one far away
    // shows the last frame. Never play(): that would start over.
    if (!p.ended && p.current < length - SEEK_THRESHOLD_S && !p.seeking) {
      out.seek = length;
      out.pause = !p.paused;
    }
    return out;
  }
  if (!s.playing) {
    out.pause = !p.paused;
    if (Math.abs(drift) > PAUSED_TOLERANCE_S && !p.seeking) out.seek = expected;
    return out;
  }
  out.play = p.paused;
  if (p.seeking) return out;
  if (Math.abs(drift) > SEEK_THRESHOLD_S) {
    if (o.sinceSeekMs >= o.minReseekMs) out.seek = Math.min(length, expected + o.seekLead * s.rate);
    return out;
  }
  if (o.canNudge && Math.abs(drift) > NUDGE_MIN_S) {
    const k = Math.max(-NUDGE_MAX, Math.min(NUDGE_MAX, drift * NUDGE_GAIN));
    out.rate = s.rate * (1 - k);
  }
  return out;
}

/** `75.4` → `1:15`; `3725` → `1:02:05`. */
export function formatTime(seconds: number): string {
  const t = Number.isFinite(seconds) && seconds > 0 ? Math.floor(seconds) : 0;
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const s = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

/** Title from a file name: no extension, at most 200 characters. */
export function videoTitle(name: string): string {
  const t = name.replace(/\.[A-Za-z0-9]{1,5}$/, '').trim();
  return (t || 'Video').slice(0, 200);
}
