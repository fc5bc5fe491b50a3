import { describe, expect, it } from 'vitest';
import { pageGeom, panBy, panOf, renderRect, zoomAt } from '../src/elements/slides';

const page = { w: 960, h: 540 };

describe('slides zoom and pan', () => {
  it('fits the page at zoom 1 and centres it', () => {
    const g = pageGeom(page, { w: 1000, h: 1000 }, 1, [0.2, 0.9]);
    expect(g.dx).toBeCloseTo(0);
    expect(g.dy).toBeCloseTo(218.75);
    expect(g.w).toBeCloseTo(1000);
    expect(g.h).toBeCloseTo(562.5);
  });

  it('shows the pan point in the middle of any stage', () => {
    for (const stage of [
      { w: 1280, h: 720 },
      { w: 375, h: 500 },
    ]) {
      const g = pageGeom(page, stage, 4, [0.3, 0.6]);
      expect((stage.w / 2 - g.dx) / g.w).toBeCloseTo(0.3);
      expect((stage.h / 2 - g.dy) / g.h).toBeCloseTo(0.6);
    }
  });

  it('never leaves a gap at an edge when zoomed', () => {
    const stage = { w: 1280, h: 720 };
    const g = pageGeom(page, stage, 2, [0, 1]);
    expect(g.dx).toBe(0);
    expect(g.dy).toBe(stage.h - g.h);
    expect(panOf(g, stage)).toEqual([0.25, 0.75]);
  });

  it('zooms at a point keeping that point still', () => {
    const stage = { w: 1280, h: 720 };
    const from = { zoom: 1, pan: [0.5, 0.5] as [number, number] };
    const to = zoomAt(page, stage, from, 2, 320, 180);
    expect(to.zoom).toBe(2);
    const g = pageGeom(page, stage, to.zoom, to.pan);
    // The page point under (320, 180) was (0.25, 0.25); it still is.
    expect((320 - g.dx) / g.w).toBeCloseTo(0.25, 3);
    expect((180 - g.dy) / g.h).toBeCloseTo(0.25, 3);
    expect(zoomAt(page, stage, to, 99, 0, 0).zoom).toBe(8);
    expect(zoomAt(page, stage, to, 0.1, 0, 0)).toEqual({ zoom: 1, pan: [0.5, 0.5] });
  });

  it('pans by a drag, stopping at the edges', () => {
    const stage = { w: 1280, h: 720 };
    const from = { zoom: 2, pan: [0.5, 0.5] as [number, number] };
    const moved = panBy(page, stage, from, 256, 0);
    expect(moved.pan[0]).toBeCloseTo(0.4);
    expect(moved.pan[1]).toBe(0.5);
    expect(panBy(page, stage, from, 1e6, -1e6).pan).toEqual([0.25, 0.75]);
  });

  it('renders what is in view, and a margin around it', () => {
    const stage = { w: 1280, h: 720 };
    const g = pageGeom(page, stage, 4, [0.5, 0.5]);
    const r = renderRect(g, stage, 0);
    expect(r.x0).toBeCloseTo(0.375);
    expect(r.x1).toBeCloseTo(0.625);
    const m = renderRect(g, stage, 0.25);
    expect(m.x0).toBeCloseTo(0.3125);
    expect(renderRect(pageGeom(page, stage, 1, [0.5, 0.5]), stage, 0.25)).toEqual({ x0: 0, y0: 0, x1: 1, y1: 1 });
  });
});
