// `window.__tertulia`: what the browser tests read (docs/web-test-contract.md).
// One object for the page's lifetime; the client writes to it, nothing reads
// it back.

import type { Role } from './protocol';
import type { WsState } from './socket';

export interface TestHook {
  self: { id: string; name: string; role: Role } | null;
  peers: Map<string, RTCPeerConnection>;
  joinClickedAt: number | null;
  firstRemoteFrameAt: number | null;
  wsState: WsState;
  /** Slides pages this page rendered: `{page, at}`, `at` = timeOrigin + now. */
  slidesRenderedAt: { page: number; at: number }[];
  /** Shared page changes this page made: `{page, at}`, at the click. */
  slidesChangedAt: { page: number; at: number }[];
  /** Per whiteboard (element id, or `<slides id>-ink` for drawings over slides): the ids of the strokes last drawn, in order. */
  boardStrokes: Record<string, string[]>;
  /** The estimated server clock: `offset` = server − local ms, `rtt` of the trusted reading. */
  serverClock: { offset: number; rtt: number } | null;
  /** The focused video's sync loop (null when no video is shown). */
  video: VideoHook | null;
}

export interface VideoHook {
  /** Where shared playback is now (seconds), by this page's clock estimate. */
  expected(): number | null;
  /** Seeks the loop made to catch up, and ticks it spent nudging the rate. */
  seeks: number;
  nudges: number;
}

declare global {
  interface Window {
    __tertulia: TestHook;
  }
}

export const hook: TestHook = {
  self: null,
  peers: new Map(),
  joinClickedAt: null,
  firstRemoteFrameAt: null,
  wsState: 'closed',
  slidesRenderedAt: [],
  slidesChangedAt: [],
  boardStrokes: {},
  serverClock: null,
  video: null,
};

/** Wall-clock milliseconds comparable across pages of one machine. */
export const nowAbs = (): number => performance.timeOrigin + performance.now();

if (typeof window !== 'undefined') window.__tertulia = hook;

/** Marks the first presented remote video frame, once per page. */
export function watchFirstFrame(video: HTMLVideoElement): void {
  if (hook.firstRemoteFrameAt !== null) return;
  if (typeof video.requestVideoFrameCallback !== 'function') return;
  video.requestVideoFrameCallback(() => {
    if (hook.firstRemoteFrameAt === null) hook.firstRemoteFrameAt = performance.now();
  });
}
