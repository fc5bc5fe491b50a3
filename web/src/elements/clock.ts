// The server's clock, estimated NTP-style over the room socket: `{"rc":
// "time"}` is answered at once with the server's Unix ms. A reading taken
// between sending at `t0` and receiving at `t1` (local clock) is assumed to
// be from the middle of that round trip, so its error is at most half the
// round trip: of recent readings, the one with the shortest round trip is
// trusted. Shared playback (video `at`) is in server time, so every client
// computes the same position whatever its own clock says.

/** One reading: `offset` = server time − local time, in ms. */
export interface ClockSample {
  offset: number;
  rtt: number;
  /** Local time (ms) of the reading. */
  taken: number;
}

/** A reading from a request sent at local `t0`, answered with `server`, received at local `t1`. */
export function sampleOf(t0: number, t1: number, server: number): ClockSample {
  return { offset: server - (t0 + t1) / 2, rtt: t1 - t0, taken: t1 };
}

/** The reading to trust: the shortest round trip among those younger than `maxAgeMs`. */
export function bestSample(samples: readonly ClockSample[], now: number, maxAgeMs: number): ClockSample | null {
  let best: ClockSample | null = null;
  for (const s of samples) {
    if (now - s.taken > maxAgeMs || !Number.isFinite(s.offset) || !(s.rtt >= 0)) continue;
    if (!best || s.rtt < best.rtt) best = s;
  }
  return best;
}

/**
 * The local clock: monotonic (`performance.now()`), so a system clock
 * adjustment does not move playback; the periodic refresh follows any slow
 * drift between it and the server.
 */
export const localNow = (): number => performance.timeOrigin + performance.now();

const SAMPLES_PER_SYNC = 5;
const SAMPLE_GAP_MS = 60;
const REFRESH_MS = 30_000;
// Older readings are dropped, so a slowly drifting local clock is followed.
const MAX_AGE_MS = 3 * REFRESH_MS + 5_000;
const MAX_SAMPLES = 40;

export class ServerClock {
  private samples: ClockSample[] = [];
  private best: ClockSample | null = null;
  private syncing = false;
  private timer: ReturnType<typeof setInterval> | null = null;

  /** `ask` resolves the server's Unix ms (one `time` request). */
  constructor(
    private readonly ask: () => Promise<number>,
    private readonly onUpdate?: (best: ClockSample) => void,
  ) {}

  /** The server's Unix ms now (the local clock until a first reading). */
  now(): number {
    return this.best ? localNow() + this.best.offset : Date.now();
  }

  /** The trusted reading, or null before the first. */
  get estimate(): ClockSample | null {
    return this.best;
  }

  /**
   * A new connection (perhaps to another server after a restart): forget
   * the old readings, take new ones, and keep refreshing.
   */
  resync(): void {
    this.samples = [];
    void this.sync();
    if (this.timer === null) this.timer = setInterval(() => void this.sync(), REFRESH_MS);
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  private async sync(): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      for (let i = 0; i < SAMPLES_PER_SYNC; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, SAMPLE_GAP_MS));
        const t0 = localNow();
        let server: number;
        try {
          server = await this.ask();
        } catch {
          return; // disconnected: the next connection resyncs
        }
        if (!Number.isFinite(server)) continue;
        this.samples.push(sampleOf(t0, localNow(), server));
        if (this.samples.length > MAX_SAMPLES) this.samples.shift();
        const best = bestSample(this.samples, localNow(), MAX_AGE_MS);
        if (best) {
          this.best = best;
          this.onUpdate?.(best);
        }
      }
    } finally {
      this.syncing = false;
    }
  }
}
