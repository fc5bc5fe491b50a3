// The shared map (docs/elements.md): `{kind: "map", title, center: [lat,
// lng], zoom, markers: [{id, by, lat, lng, label}]}`. Everything here is pure
// (no Leaflet, no DOM) so it can be unit-tested: reading a document we do
// not trust, and the json0 ops that change it. Leaflet itself is loaded on
// first use, with its stylesheet.

import type { Json0Component } from 'sharedb/lib/client';

export interface MarkerData {
  id: string;
  by: string;
  lat: number;
  lng: number;
  label: string;
}

export interface MapData {
  kind: 'map';
  title: string;
  center: [number, number];
  zoom: number;
  markers: MarkerData[];
}

export interface MapView {
  center: [number, number];
  zoom: number;
}

/** Tiles and attribution from the join response (`--map-tiles`, `--map-attribution`). */
export interface MapConfig {
  tiles: string;
  attribution: string;
}

/** The limits of crates/elements. */
export const MAX_MARKERS = 2000;
export const MAX_LABEL = 200;
export const MAX_ZOOM = 22;
/** Deepest zoom tile servers commonly have; Leaflet enlarges these beyond it. */
export const MAX_NATIVE_ZOOM = 19;

/** A new map shows the whole world. */
export const WORLD: MapView = { center: [20, 0], zoom: 2 };

const ID = /^[A-Za-z0-9_-]{1,64}$/;

const num = (n: unknown, lo: number, hi: number, dflt: number): number =>
  typeof n === 'number' && Number.isFinite(n) ? Math.max(lo, Math.min(hi, n)) : dflt;

/** A longitude brought back into -180…180 (a map dragged round the world goes past). */
export function wrapLng(lng: number): number {
  if (lng >= -180 && lng <= 180) return lng;
  return ((((lng + 180) % 360) + 360) % 360) - 180;
}

/** The shared view a document asks for, clamped: whole zoom levels, as Leaflet snaps them. */
export function viewOf(d: unknown): MapView {
  const m = (d && typeof d === 'object' ? d : {}) as Partial<Record<keyof MapData, unknown>>;
  const c = Array.isArray(m.center) ? (m.center as unknown[]) : [];
  return {
    center: [num(c[0], -90, 90, WORLD.center[0]), wrapLng(num(c[1], -1e6, 1e6, WORLD.center[1]))],
    zoom: Math.round(num(m.zoom, 0, MAX_ZOOM, WORLD.zoom)),
  };
}

/** First characters of a string, counted as the server counts them (Unicode scalar values). */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : Array.from(s).slice(0, max).join('');
}

/** The markers a document holds, the broken ones left out and the first of a repeated id kept. */
export function markersOf(d: unknown): MarkerData[] {
  const list = d && typeof d === 'object' ? (d as { markers?: unknown }).markers : undefined;
  if (!Array.isArray(list)) return [];
  const seen = new Set<string>();
  const out: MarkerData[] = [];
  for (const v of list.slice(0, MAX_MARKERS)) {
    if (!v || typeof v !== 'object') continue;
    const m = v as Record<string, unknown>;
    if (typeof m.id !== 'string' || !ID.test(m.id) || seen.has(m.id)) continue;
    if (typeof m.lat !== 'number' || typeof m.lng !== 'number' || !Number.isFinite(m.lat) || !Number.isFinite(m.lng)) continue;
    seen.add(m.id);
    out.push({
      id: m.id,
      by: typeof m.by === 'string' ? clip(m.by, 128) : '',
      lat: num(m.lat, -90, 90, 0),
      lng: num(m.lng, -180, 180, 0),
      label: typeof m.label === 'string' ? clip(m.label, MAX_LABEL) : '',
    });
  }
  return out;
}

/** A new map element's document. */
export function newMap(title: string): MapData {
  return { kind: 'map', title, center: [...WORLD.center], zoom: WORLD.zoom, markers: [] };
}

export function newMarkerId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The ops that take the document's view `from` (its raw `center` and
 * `zoom`) to `to`: only what changed. `to` is clamped to the schema.
 */
export function viewOps(from: { center?: unknown; zoom?: unknown }, to: MapView): Json0Component[] {
  const center: [number, number] = [num(to.center[0], -90, 90, 0), num(wrapLng(to.center[1]), -180, 180, 0)];
  const zoom = num(to.zoom, 0, MAX_ZOOM, WORLD.zoom);
  const ops: Json0Component[] = [];
  const old = Array.isArray(from.center) ? from.center : [];
  if (old[0] !== center[0] || old[1] !== center[1]) ops.push({ p: ['center'], od: from.center, oi: center });
  if (from.zoom !== zoom) ops.push({ p: ['zoom'], od: from.zoom, oi: zoom });
  return ops;
}

/** Appending a marker: concurrent appends all survive (json0 list inserts). */
export function addMarkerOp(markers: unknown, m: MarkerData): Json0Component[] {
  const n = Array.isArray(markers) ? markers.length : 0;
  return [{ p: ['markers', n], li: { ...m, lat: num(m.lat, -90, 90, 0), lng: num(wrapLng(m.lng), -180, 180, 0), label: clip(m.label, MAX_LABEL) } }];
}

/** Where marker `id` is now in the raw list, or -1. */
function indexOf(markers: unknown, id: string): number {
  return Array.isArray(markers) ? markers.findIndex((m) => m && typeof m === 'object' && (m as { id?: unknown }).id === id) : -1;
}

/** Replacing marker `id`'s label (the later of two concurrent edits wins); [] if it is gone or unchanged. */
export function labelOp(markers: unknown, id: string, label: string): Json0Component[] {
  const i = indexOf(markers, id);
  if (i < 0) return [];
  const old = (markers as { label?: unknown }[])[i]!.label;
  const next = clip(label, MAX_LABEL);
  return old === next ? [] : [{ p: ['markers', i, 'label'], od: old, oi: next }];
}

/** Removing marker `id` at its current index; [] if it is already gone. */
export function removeMarkerOp(markers: unknown, id: string): Json0Component[] {
  const i = indexOf(markers, id);
  return i < 0 ? [] : [{ p: ['markers', i], ld: (markers as unknown[])[i] }];
}

/** The tile configuration from the join response, if it is one we can use. */
export function mapConfigOf(v: unknown): MapConfig | null {
  if (!v || typeof v !== 'object') return null;
  const { tiles, attribution } = v as Record<string, unknown>;
  if (typeof tiles !== 'string' || !/^https?:\/\/[^\s]+$/.test(tiles)) return null;
  if (!['{z}', '{x}', '{y}'].every((p) => tiles.includes(p))) return null;
  return { tiles, attribution: typeof attribution === 'string' ? clip(attribution, 300) : '' };
}

/** A participant's colour, the same on every page. */
const COLORS = ['#f5a524', '#3dd68c', '#e5484d', '#b07cff', '#38bdf8', '#f472b6'];
export function colorOf(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return COLORS[Math.abs(h) % COLORS.length]!;
}

type Leaflet = typeof import('leaflet');
let leafletPromise: Promise<Leaflet> | null = null;

/** Leaflet and its stylesheet, loaded once, on the first map shown. */
export function leaflet(): Promise<Leaflet> {
  if (!leafletPromise) {
    leafletPromise = Promise.all([import('leaflet'), import('leaflet/dist/leaflet.css')]).then(
      ([mod]) => ((mod as unknown as { default?: Leaflet }).default ?? mod) as Leaflet,
    );
    leafletPromise.catch(() => (leafletPromise = null));
  }
  return leafletPromise;
}
