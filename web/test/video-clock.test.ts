import { afterEach, describe, expect, it, vi } from 'vitest';
import { bestSample, sampleOf, ServerClock, localNow } from '../src/elements/clock';

describe('server clock readings', () => {
  it('assumes the reading is from the middle of the round trip', () => {
    expect(sampleOf(1000, 1040, 5020)).toEqual({ offset: 4000, rtt: 40, taken: 1040 });
  });
  it('trusts the shortest recent round trip', () => {
    const s = [
      { offset: 100, rtt: 30, taken: 0 },
      { offset: 90, rtt: 5, taken: 1000 },
      { offset: 120, rtt: 80, taken: 2000 },
      { offset: 50, rtt: 1, taken: -100_000 },
    ];
    expect(bestSample(s, 2000, 60_000)?.offset).toBe(90);
    expect(bestSample([], 0, 1000)).toBeNull();
    expect(bestSample([{ offset: NaN, rtt: 1, taken: 0 }], 0, 1000)).toBeNull();
  });
});

describe('ServerClock', () => {
  afterEach(() => vi.useRealTimers());

  it('estimates the offset from a few requests, and follows the server', async () => {
    // A server 5 s ahead, answering after a varying delay.
    const delays = [30, 2, 50, 10, 40];
    let i = 0;
    const ask = () =>
      new Promise<number>((resolve) => {
        const d = delays[i++ % delays.length]!;
        const sent = localNow();
        setTimeout(() => resolve(sent + d / 2 + 5000), d);
      });
    const clock = new ServerClock(ask);
    clock.resync();
    await vi.waitFor(() => expect(i).toBe(5), { timeout: 3000 });
    await new Promise((r) => setTimeout(r, 80));
    clock.stop();
    expect(clock.estimate).not.toBeNull();
    expect(Math.abs(clock.now() - (localNow() + 5000))).toBeLessThan(15);
  });

  it('keeps the local clock when the server cannot be asked', async () => {
    const clock = new ServerClock(() => Promise.reject(new Error('down')));
    clock.resync();
    await new Promise((r) => setTimeout(r, 10));
    clock.stop();
    expect(clock.estimate).toBeNull();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(50);
  });
});
