import { describe, expect, it } from 'vitest';
// @ts-expect-error ot-json0 ships no types; the tests only apply and transform with it.
import { type as json0 } from 'ot-json0';
import {
  addMarkerOp,
  clip,
  labelOp,
  mapConfigOf,
  markersOf,
  newMap,
  removeMarkerOp,
  viewOf,
  viewOps,
  wrapLng,
  type MarkerData,
} from '../src/elements/map';

const marker = (id: string, label = ''): MarkerData => ({ id, by: 'p1', lat: 40.4, lng: -3.7, label });

describe('map documents', () => {
  it('clamps the shared view to what Leaflet can show', () => {
    expect(viewOf({ center: [40.4, -3.7], zoom: 12 })).toEqual({ center: [40.4, -3.7], zoom: 12 });
    expect(viewOf({ center: [120, 530], zoom: 99 })).toEqual({ center: [90, 170], zoom: 22 });
    expect(viewOf({ center: [10, 190], zoom: 2.6 })).toEqual({ center: [10, -170], zoom: 3 });
    expect(viewOf({ center: 'x', zoom: NaN })).toEqual(viewOf(null));
    expect(viewOf(null)).toEqual({ center: [20, 0], zoom: 2 });
  });

  it('wraps longitudes into -180…180', () => {
    expect(wrapLng(0)).toBe(0);
    expect(wrapLng(180)).toBe(180);
    expect(wrapLng(-180)).toBe(-180);
    expect(wrapLng(190)).toBe(-170);
    expect(wrapLng(-190)).toBe(170);
    expect(wrapLng(540 + 10)).toBe(-170);
  });

  it('keeps only well-formed markers, first of a repeated id, clamped', () => {
    const list = markersOf({
      markers: [
        marker('a', 'Here'),
        { id: 'bad id!', by: 'p', lat: 1, lng: 1, label: '' },
        marker('a', 'again'),
        { id: 'b', lat: 100, lng: -500, label: 7 },
        { id: 'c', lat: '1', lng: 2 },
        null,
      ],
    });
    expect(list).toEqual([
      { id: 'a', by: 'p1', lat: 40.4, lng: -3.7, label: 'Here' },
      { id: 'b', by: '', lat: 90, lng: -180, label: '' },
    ]);
    expect(markersOf({ markers: 'no' })).toEqual([]);
  });

  it('clips labels by Unicode characters, as the server counts', () => {
    expect(clip('😀'.repeat(250), 200)).toBe('😀'.repeat(200));
    expect(Array.from(markersOf({ markers: [marker('a', 'x'.repeat(300))] })[0]!.label)).toHaveLength(200);
  });

  it('sends only what changed in the view', () => {
    const doc = newMap('Map');
    expect(viewOps(doc, { center: [20, 0], zoom: 2 })).toEqual([]);
    expect(viewOps(doc, { center: [20, 0], zoom: 5 })).toEqual([{ p: ['zoom'], od: 2, oi: 5 }]);
    expect(viewOps(doc, { center: [1, 370], zoom: 2 })).toEqual([{ p: ['center'], od: [20, 0], oi: [1, 10] }]);
  });

  it('concurrent marker adds both survive, whichever the server orders first', () => {
    const doc = { ...newMap('Map'), markers: [marker('m0')] };
    const a = addMarkerOp(doc.markers, marker('ma'));
    const b = addMarkerOp(doc.markers, marker('mb'));
    const ab = json0.apply(json0.apply(structuredClone(doc), a), json0.transform(b, a, 'right'));
    const ba = json0.apply(json0.apply(structuredClone(doc), b), json0.transform(a, b, 'left'));
    expect(ab).toEqual(ba);
    expect(ab.markers.map((m: MarkerData) => m.id).sort()).toEqual(['m0', 'ma', 'mb']);
  });

  it('edits and removes a marker where it is now', () => {
    const markers = [marker('a', 'one'), marker('b', 'two')];
    expect(labelOp(markers, 'b', 'deux')).toEqual([{ p: ['markers', 1, 'label'], od: 'two', oi: 'deux' }]);
    expect(labelOp(markers, 'b', 'two')).toEqual([]);
    expect(labelOp(markers, 'zz', 'x')).toEqual([]);
    expect(removeMarkerOp(markers, 'b')).toEqual([{ p: ['markers', 1], ld: markers[1] }]);
    expect(removeMarkerOp(markers, 'zz')).toEqual([]);
    // A removal that crosses someone's edit of the same marker still removes it.
    const doc = { markers };
    const rm = removeMarkerOp(markers, 'a');
    const edit = labelOp(markers, 'a', 'uno');
    const after = json0.apply(json0.apply(structuredClone(doc), rm), json0.transform(edit, rm, 'left'));
    expect(after.markers.map((m: MarkerData) => m.id)).toEqual(['b']);
  });

  it('accepts only a usable tile template', () => {
    expect(mapConfigOf({ tiles: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png', attribution: '© OSM' })).toEqual({
      tiles: 'https://tile.openstreetmap.org/{z}/{x}/{y}.png',
      attribution: '© OSM',
    });
    expect(mapConfigOf({ tiles: 'javascript:alert(1)//{z}{x}{y}', attribution: '' })).toBeNull();
    expect(mapConfigOf({ tiles: 'https://a.org/tiles.png' })).toBeNull();
    expect(mapConfigOf(undefined)).toBeNull();
    expect(mapConfigOf({ tiles: 'http://127.0.0.1:9/{z}/{x}/{y}.png', attribution: 5 })?.attribution).toBe('');
  });
});
