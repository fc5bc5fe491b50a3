// Local media: microphone, camera and screen tracks, the device lists, and
// why a device is unavailable.
//
// The microphone track is kept while muted (muting flips `enabled`, so
// unmuting is instant and needs no renegotiation); the camera track is
// stopped when the camera is turned off, so the camera light goes out.

import { computed, signal } from '@preact/signals';

export type Kind = 'audio' | 'video';

/** Why a device is not available, as `join-error[data-code]` names it. */
export type MediaErrorCode = 'permission_denied' | 'no_device' | 'device_busy' | 'unsupported' | 'failed';

export function classifyMediaError(err: unknown): MediaErrorCode {
  const name = err instanceof DOMException || err instanceof Error ? err.name : '';
  switch (name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'permission_denied';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no_device';
    case 'NotReadableError':
    case 'AbortError':
      return 'device_busy';
    case 'TypeError':
      return 'unsupported';
    default:
      return 'failed';
  }
}

const STORE_KEYS: Record<Kind, string> = { audio: 'tertulia.mic', video: 'tertulia.cam' };

function remembered(kind: Kind): string {
  try {
    return localStorage.getItem(STORE_KEYS[kind]) ?? '';
  } catch {
    return '';
  }
}

function remember(kind: Kind, id: string): void {
  try {
    localStorage.setItem(STORE_KEYS[kind], id);
  } catch {
    // Only a convenience.
  }
}

function constraints(kind: Kind, deviceId: string): MediaTrackConstraints {
  const device = deviceId ? { deviceId: { exact: deviceId } } : {};
  if (kind === 'audio') {
    return { ...device, echoCancellation: true, noiseSuppression: true, autoGainControl: true };
  }
  // A mesh sends one copy per participant: 540p keeps three uploads within
  // an ordinary uplink.
  return { ...device, width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: 30, max: 30 } };
}

export const hasMediaDevices = (): boolean => typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getUserMedia;
export const canShareScreen = (): boolean => typeof navigator !== 'undefined' && !!navigator.mediaDevices?.getDisplayMedia;

export class LocalMedia {
  readonly mic = signal<MediaStreamTrack | null>(null);
  readonly cam = signal<MediaStreamTrack | null>(null);
  readonly screen = signal<MediaStreamTrack | null>(null);
  readonly micOn = signal(true);
  readonly camOn = signal(true);
  readonly mics = signal<MediaDeviceInfo[]>([]);
  readonly cams = signal<MediaDeviceInfo[]>([]);
  readonly micId = signal(remembered('audio'));
  readonly camId = signal(remembered('video'));
  readonly micError = signal<MediaErrorCode | null>(null);
  readonly camError = signal<MediaErrorCode | null>(null);
  readonly screenError = signal<string | null>(null);
  /** What the video sender carries: the screen while sharing, else the camera. */
  readonly outgoingVideo = computed(() => this.screen.value ?? (this.camOn.value ? this.cam.value : null));
  /** For the self-view. */
  readonly previewStream = computed(() => {
    const v = this.outgoingVideo.value;
    return v ? new MediaStream([v]) : null;
  });

  // Bumped on every request for a kind, so that a slow getUserMedia that
  // resolves after the user changed their mind is thrown away.
  private generation: Record<Kind, number> = { audio: 0, video: 0 };
  private readonly onDeviceChange = () => void this.refreshDevices();
  private disposed = false;

  constructor() {
    navigator.mediaDevices?.addEventListener?.('devicechange', this.onDeviceChange);
  }

  /** Opens what is switched on, with one permission prompt when possible. */
  async start(): Promise<void> {
    if (!hasMediaDevices()) {
      this.micError.value = 'unsupported';
      this.camError.value = 'unsupported';
      return;
    }
    const wantAudio = this.micOn.value && !this.mic.value;
    const wantVideo = this.camOn.value && !this.cam.value;
    if (wantAudio && wantVideo) {
      const genA = ++this.generation.audio;
      const genV = ++this.generation.video;
      try {
        const stream = await navigator.mediaDevices.getUserMedia({
          audio: constraints('audio', this.micId.value),
          video: constraints('video', this.camId.value),
        });
        const a = stream.getAudioTracks()[0] ?? null;
        const v = stream.getVideoTracks()[0] ?? null;
        if (genA === this.generation.audio && !this.disposed) this.setTrack('audio', a);
        else a?.stop();
        if (genV === this.generation.video && !this.disposed) this.setTrack('video', v);
        else v?.stop();
        this.micError.value = null;
        this.camError.value = null;
        await this.refreshDevices();
        return;
      } catch {
        // One of the two is missing or refused: ask for each alone, so that
        // a missing camera does not cost the microphone.
      }
    }
    await Promise.all([wantAudio ? this.acquire('audio') : null, wantVideo ? this.acquire('video') : null]);
    await this.refreshDevices();
  }

  /** Gets a track of `kind` from the chosen device (or the default). */
  async acquire(kind: Kind): Promise<MediaStreamTrack | null> {
    const gen = ++this.generation[kind];
    const error = kind === 'audio' ? this.micError : this.camError;
    if (!hasMediaDevices()) {
      error.value = 'unsupported';
      return null;
    }
    const id = (kind === 'audio' ? this.micId : this.camId).value;
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints(kind, id) });
    } catch (err) {
      const code = classifyMediaError(err);
      if (code === 'no_device' && id) {
        // The remembered device is gone: fall back to the default one.
        (kind === 'audio' ? this.micId : this.camId).value = '';
        return gen === this.generation[kind] ? this.acquire(kind) : null;
      }
      if (gen === this.generation[kind]) error.value = code;
      return null;
    }
    const track = stream.getTracks()[0] ?? null;
    if (gen !== this.generation[kind] || this.disposed) {
      track?.stop();
      return null;
    }
    error.value = null;
    this.setTrack(kind, track);
    return track;
  }

  private setTrack(kind: Kind, track: MediaStreamTrack | null): void {
    const sig = kind === 'audio' ? this.mic : this.cam;
    const old = sig.peek();
    if (old && old !== track) old.stop();
    if (track) {
      if (kind === 'audio') track.enabled = this.micOn.peek();
      // Unplugged or revoked: drop it so the UI shows the state truthfully.
      track.addEventListener('ended', () => {
        if (sig.peek() === track) {
          sig.value = null;
          void this.refreshDevices();
        }
      });
    }
    sig.value = track;
  }

  async setMic(on: boolean): Promise<void> {
    this.micOn.value = on;
    const t = this.mic.peek();
    if (t) t.enabled = on;
    else if (on) await this.acquire('audio');
  }

  async setCam(on: boolean): Promise<void> {
    this.camOn.value = on;
    if (on) {
      if (!this.cam.peek()) await this.acquire('video');
    } else {
      // Forget any request in flight, and let go of the camera.
      this.generation.video++;
      this.setTrack('video', null);
    }
  }

  async selectDevice(kind: Kind, deviceId: string): Promise<void> {
    (kind === 'audio' ? this.micId : this.camId).value = deviceId;
    remember(kind, deviceId);
    const on = kind === 'audio' ? this.micOn.peek() || !!this.mic.peek() : this.camOn.peek();
    if (on) await this.acquire(kind);
  }

  async refreshDevices(): Promise<void> {
    if (!navigator.mediaDevices?.enumerateDevices) return;
    try {
      const all = await navigator.mediaDevices.enumerateDevices();
      // Before permission is granted the browser hides ids and labels; the
      // pickers then only offer "Default".
      this.mics.value = all.filter((d) => d.kind === 'audioinput' && d.deviceId);
      this.cams.value = all.filter((d) => d.kind === 'videoinput' && d.deviceId);
    } catch {
      // Leave the lists as they were.
    }
  }

  async startScreen(): Promise<boolean> {
    if (!canShareScreen()) {
      this.screenError.value = 'This browser cannot share the screen.';
      return false;
    }
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: { frameRate: { ideal: 15, max: 30 } }, audio: false });
    } catch (err) {
      // Cancelling the picker is a NotAllowedError too: not worth a message.
      const name = err instanceof Error ? err.name : '';
      this.screenError.value = name === 'NotAllowedError' ? null : 'Screen sharing failed.';
      return false;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) return false;
    // Text and slides: keep them sharp rather than smooth.
    track.contentHint = 'detail';
    // The browser's own "Stop sharing" button ends the track.
    track.addEventListener('ended', () => {
      if (this.screen.peek() === track) this.screen.value = null;
    });
    this.screen.peek()?.stop();
    this.screenError.value = null;
    this.screen.value = track;
    return true;
  }

  stopScreen(): void {
    this.screen.peek()?.stop();
    this.screen.value = null;
  }

  /** Stops every track (leaving, removed). */
  stopAll(): void {
    this.generation.audio++;
    this.generation.video++;
    this.mic.peek()?.stop();
    this.cam.peek()?.stop();
    this.screen.peek()?.stop();
    this.mic.value = null;
    this.cam.value = null;
    this.screen.value = null;
  }

  dispose(): void {
    this.disposed = true;
    this.stopAll();
    navigator.mediaDevices?.removeEventListener?.('devicechange', this.onDeviceChange);
  }
}
