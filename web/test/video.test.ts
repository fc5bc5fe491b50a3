import { describe, expect, it } from 'vitest';
import {
  atEnd,
  durationOp,
  expectedPosition,
  formatTime,
  nextPlayback,
  playbackOp,
  SEEK_THRESHOLD_S,
  steer,
  videoStateOf,
  videoTitle,
  type Playback,
  type PlayerReading,
  type SteerOptions,
} from '../src/elements/video';
import { parseYouTube } from '../src/elements/youtube';

const SHA = 'ab'.repeat(32);
const T0 = 1_700_000_000_000;

describe('video documents from others are checked', () => {
  it('keeps a good document', () => {
    const s = videoStateOf({ kind: 'video', title: 't', source: { blob: SHA }, playing: true, position: 3.5, rate: 1.5, at: T0, duration: 20 });
    expect(s).toEqual({ source: { blob: SHA }, playing: true, position: 3.5, rate: 1.5, at: T0, duration: 20 });
  });
  it('clamps or drops what is out of range', () => {
    const s = videoStateOf({ source: { blob: '../../etc/passwd' }, playing: 'yes', position: -5, rate: 99, at: 'now', duration: Infinity });
    expect(s).toEqual({ source: null, playing: false, position: 0, rate: 4, at: 0, duration: null });
    expect(videoStateOf({ source: { youtube: 'javascript:1' } })?.source).toBeNull();
    expect(videoStateOf({ source: { youtube: 'dQw4w9WgXcQ' } })?.source).toEqual({ youtube: 'dQw4w9WgXcQ' });
    expect(videoStateOf(null)).toBeNull();
    expect(videoStateOf('x')).toBeNull();
  });
});

describe('where playback is now', () => {
  const s: Playback = { playing: true, position: 10, rate: 2, at: T0 };
  it('extrapolates at the shared rate from the server time', () => {
    expect(expectedPosition(s, T0 + 1500, Infinity)).toBeCloseTo(13);
    expect(expectedPosition({ ...s, playing: false }, T0 + 1500, Infinity)).toBe(10);
  });
  it('stays within the media', () => {
    expect(expectedPosition(s, T0 + 60_000, 20)).toBe(20);
    expect(expectedPosition({ ...s, position: 0 }, T0 - 5_000, 20)).toBe(0);
    expect(atEnd(s, T0 + 60_000, 20)).toBe(true);
    expect(atEnd(s, T0 + 1_000, 20)).toBe(false);
    expect(atEnd(s, T0 + 60_000, Infinity)).toBe(false);
  });
});

describe('actions', () => {
  const s: Playback = { playing: true, position: 4, rate: 1, at: T0 };
  it('pause stores where playback is now', () => {
    expect(nextPlayback(s, T0 + 2000, 20, { playing: false })).toEqual({ playing: false, position: 6, rate: 1, at: T0 + 2000 });
  });
  it('seek keeps playing; rate keeps the position continuous', () => {
    expect(nextPlayback(s, T0 + 1000, 20, { position: 12 })).toEqual({ playing: true, position: 12, rate: 1, at: T0 + 1000 });
    expect(nextPlayback(s, T0 + 1000, 20, { position: 99 }).position).toBe(20);
    expect(nextPlayback(s, T0 + 1000, 20, { rate: 1.5 })).toEqual({ playing: true, position: 5, rate: 1.5, at: T0 + 1000 });
    expect(nextPlayback(s, T0, 20, { rate: 10 }).rate).toBe(4);
  });
  it('play on an ended video starts over', () => {
    const ended = nextPlayback(s, T0 + 60_000, 20, {});
    expect(ended.position).toBe(20);
    expect(nextPlayback(s, T0 + 60_000, 20, { playing: true }).position).toBe(0);
  });
  it('replaces all four fields in one op, so the later action wins whole', () => {
    const cur = { kind: 'video', playing: true, position: 4, rate: 1, at: T0 };
    const next = nextPlayback(s, T0 + 500, 20, { playing: false });
    expect(playbackOp(cur, next)).toEqual([
      { p: ['playing'], od: true, oi: false },
      { p: ['position'], od: 4, oi: 4.5 },
      { p: ['rate'], od: 1, oi: 1 },
      { p: ['at'], od: T0, oi: T0 + 500 },
    ]);
  });
  it('records the duration once', () => {
    expect(durationOp({}, 20)).toEqual([{ p: ['duration'], oi: 20 }]);
    expect(durationOp({ duration: 20.1 }, 20)).toBeNull();
    expect(durationOp({ duration: 10 }, 20)).toEqual([{ p: ['duration'], od: 10, oi: 20 }]);
    expect(durationOp({}, NaN)).toBeNull();
    expect(durationOp({}, Infinity)).toBeNull();
  });
});

describe('steering a player', () => {
  const opts: SteerOptions = { canNudge: true, sinceSeekMs: 10_000, minReseekMs: 0, seekLead: 0.1 };
  const reading = (r: Partial<PlayerReading>): PlayerReading => ({ ready: true, current: 0, paused: false, ended: false, seeking: false, duration: 20, ...r });
  const playing: Playback = { playing: true, position: 5, rate: 1, at: T0 };

  it('does nothing before the metadata', () => {
    const st = steer(playing, T0, reading({ ready: false }), opts);
    expect([st.seek, st.play, st.pause]).toEqual([null, false, false]);
  });
  it('seeks (aiming ahead by the seek lag) when off by more than half a second', () => {
    const st = steer(playing, T0 + 1000, reading({ current: 5 + 1 - SEEK_THRESHOLD_S - 0.01 }), opts);
    expect(st.seek).toBeCloseTo(6.1);
    expect(steer({ ...playing, rate: 2 }, T0, reading({ current: 9 }), opts).seek).toBeCloseTo(5.2);
  });
  it('nudges the rate for a small drift, proportionally and within 10 %', () => {
    const ahead = steer(playing, T0, reading({ current: 5.2 }), opts);
    expect(ahead.seek).toBeNull();
    expect(ahead.rate).toBeCloseTo(0.9);
    const behind = steer(playing, T0, reading({ current: 4.9 }), opts);
    expect(behind.rate).toBeCloseTo(1.05);
    expect(steer(playing, T0, reading({ current: 5.01 }), opts).rate).toBe(1);
    expect(steer(playing, T0, reading({ current: 5.2 }), { ...opts, canNudge: false }).rate).toBe(1);
  });
  it('starts a paused player and stops a playing one', () => {
    expect(steer(playing, T0, reading({ current: 5, paused: true }), opts).play).toBe(true);
    const paused = steer({ ...playing, playing: false }, T0 + 5000, reading({ current: 5.3 }), opts);
    expect(paused.pause).toBe(true);
    expect(paused.seek).toBe(5);
    expect(steer({ ...playing, playing: false }, T0, reading({ current: 5.01, paused: true }), opts).seek).toBeNull();
  });
  it('does not seek again while a seek is under way, or sooner than allowed', () => {
    expect(steer(playing, T0, reading({ current: 9, seeking: true }), opts).seek).toBeNull();
    expect(steer(playing, T0, reading({ current: 9 }), { ...opts, sinceSeekMs: 500, minReseekMs: 1500 }).seek).toBeNull();
  });
  it('at the end: never plays (that would start over), shows the last frame', () => {
    const late = T0 + 60_000;
    const ran = steer(playing, late, reading({ current: 20, paused: true, ended: true }), opts);
    expect([ran.ended, ran.seek, ran.play, ran.pause]).toEqual([true, null, false, false]);
    const far = steer(playing, late, reading({ current: 3, paused: true }), opts);
    expect([far.seek, far.play]).toEqual([20, false]);
    const nearly = steer(playing, late, reading({ current: 19.8 }), opts);
    expect([nearly.seek, nearly.pause, nearly.play]).toEqual([null, false, false]);
  });
});

describe('YouTube links', () => {
  const id = 'dQw4w9WgXcQ';
  it.each([
    [id, 0],
    [`https://www.youtube.com/watch?v=${id}`, 0],
    [`https://youtube.com/watch?feature=share&v=${id}&t=42`, 42],
    [`www.youtube.com/watch?v=${id}`, 0],
    [`https://m.youtube.com/watch?v=${id}&t=1m30s`, 90],
    [`https://youtu.be/${id}`, 0],
    [`https://youtu.be/${id}?t=75`, 75],
    [`youtu.be/${id}`, 0],
    [`https://www.youtube.com/embed/${id}?start=12`, 12],
    [`https://www.youtube-nocookie.com/embed/${id}`, 0],
    [`https://www.youtube.com/shorts/${id}`, 0],
    [`https://www.youtube.com/live/${id}?si=abc`, 0],
    [`  https://www.youtube.com/watch?v=${id}  `, 0],
  ])('%s', (text, start) => {
    expect(parseYouTube(text)).toEqual({ id, start });
  });
  it.each([
    '',
    'hello',
    'dQw4w9WgXc',
    'dQw4w9WgXcQQ',
    'https://vimeo.com/123456789',
    `https://evil.example/watch?v=${id}`,
    `https://www.youtube.com.evil.example/watch?v=${id}`,
    'https://www.youtube.com/watch?v=short',
    'https://www.youtube.com/watch?v=<script>xx',
    `javascript:alert('${id}')`,
    `ftp://youtu.be/${id}`,
  ])('refuses %s', (text) => {
    expect(parseYouTube(text)).toBeNull();
  });
});

describe('labels', () => {
  it('formats times', () => {
    expect(formatTime(0)).toBe('0:00');
    expect(formatTime(75.4)).toBe('1:15');
    expect(formatTime(3725)).toBe('1:02:05');
    expect(formatTime(NaN)).toBe('0:00');
    expect(formatTime(-3)).toBe('0:00');
  });
  it('titles from file names', () => {
    expect(videoTitle('Holiday clip.webm')).toBe('Holiday clip');
    expect(videoTitle('.mp4')).toBe('Video');
  });
});
