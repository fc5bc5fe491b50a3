import type * as L from 'leaflet';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Doc, Json0Component } from 'sharedb/lib/client';
import type { Call } from '../call';
import {
  addMarkerOp,
  colorOf,
  labelOp,
  leaflet,
  markersOf,
  MAX_LABEL,
  MAX_MARKERS,
  MAX_NATIVE_ZOOM,
  MAX_ZOOM,
  newMarkerId,
  removeMarkerOp,
  viewOf,
  viewOps,
  wrapLng,
  type MapData,
  type MapView,
  type MarkerData,
} from '../elements/map';
import { elementDocId, type ElementRef } from '../elements/store';

/** While dragging, the others follow with at most one view op per this many ms. */
const DRAG_OP_MS = 150;

/** Degrees kept in a shared position: 7 decimals is about a centimetre. */
const round7 = (n: number): number => Math.round(n * 1e7) / 1e7;

interface Pin {
  marker: L.Marker;
  pin: HTMLElement;
  label: HTMLElement;
  data: MarkerData;
}

/**
 * The focused map: Leaflet on the configured tiles. The view (center and
 * zoom) is shared: what this person drags or zooms is sent, what others
 * send is shown, except while this person is moving the map (theirs would
 * fight the hand; the later op wins once the hand lets go). Markers are
 * Leaflet markers whose labels are set as text, never as HTML.
 */
export function MapElement({ call, el }: { call: Call; el: ElementRef }) {
  const boxRef = useRef<HTMLDivElement>(null);
  const labelRef = useRef<HTMLInputElement>(null);
  const docRef = useRef<Doc<MapData> | null>(null);
  const config = call.mapConfig();
  const [markers, setMarkers] = useState<MarkerData[]>([]);
  const [ready, setReady] = useState(false);
  const [problem, setProblem] = useState<string | null>(config ? null : 'This server has no map tiles configured.');
  const [adding, setAdding] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  // Read by Leaflet's handlers, which outlive renders.
  const addingRef = useRef(adding);
  addingRef.current = adding;
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  const addRef = useRef<(latlng: L.LatLng) => void>(() => {});
  const focusLabel = useRef(false);

  const submit = (ops: Json0Component[]) => {
    const doc = docRef.current;
    if (!doc || !doc.type || ops.length === 0) return;
    doc.submitOp(ops, { source: 'local' }, (err) => err && console.warn(`map: op refused: ${err.code} ${err.message}`));
  };

  useEffect(() => {
    const box = boxRef.current;
    if (!box || !config) return;
    let live = true;
    let Lf: typeof L | null = null;
    let map: L.Map | null = null;
    let ro: ResizeObserver | null = null;
    const doc = call.share.connection.get<MapData>('elements', elementDocId(call.room, el.id));
    docRef.current = doc;
    const pins = new Map<string, Pin>();
    // > 0 while we move the map ourselves: those moves are not sent.
    let suppress = 0;
    // Between a move this person started and its end: remote views wait.
    let interacting = false;
    let dragging = false;
    let lastSent = 0;

    const current = (m: L.Map): MapView => {
      const c = m.getCenter();
      return { center: [round7(c.lat), round7(wrapLng(c.lng))], zoom: m.getZoom() };
    };
    // Equal to within a pixel: closer than that is noise of pixel rounding.
    const showing = (m: L.Map, v: MapView) =>
      m.getZoom() === v.zoom && m.project(v.center, v.zoom).distanceTo(m.project(m.getCenter(), v.zoom)) < 1;
    // The view as data attributes (docs/web-test-contract.md).
    const mark = (m: L.Map) => {
      const v = current(m);
      box.dataset.lat = String(v.center[0]);
      box.dataset.lng = String(v.center[1]);
      box.dataset.zoom = String(v.zoom);
    };
    const quietly = (m: L.Map, fn: () => void) => {
      suppress++;
      try {
        fn();
      } finally {
        suppress--;
      }
      mark(m);
    };

    const applyView = () => {
      if (!map || !doc.type || interacting) return;
      const v = viewOf(doc.data);
      const m = map;
      if (!showing(m, v)) quietly(m, () => m.setView(v.center, v.zoom, { animate: false }));
    };
    const sendView = () => {
      if (!map || !doc.type || !doc.data) return;
      const v = current(map);
      if (showing(map, viewOf(doc.data))) return;
      lastSent = performance.now();
      submit(viewOps(doc.data, v));
    };

    const syncPins = (list: MarkerData[]) => {
      if (!map || !Lf) return;
      const keep = new Set(list.map((m) => m.id));
      for (const [id, p] of pins) {
        if (keep.has(id)) continue;
        p.marker.remove();
        pins.delete(id);
      }
      for (const m of list) {
        const p = pins.get(m.id);
        if (p) {
          if (p.data.lat !== m.lat || p.data.lng !== m.lng) p.marker.setLatLng([m.lat, m.lng]);
          if (p.data.label !== m.label) p.label.textContent = m.label;
          p.data = m;
          continue;
        }
        const pin = document.createElement('div');
        pin.className = 'map-pin';
        pin.dataset.testid = 'map-marker';
        pin.dataset.markerId = m.id;
        pin.style.setProperty('--pin', colorOf(m.by));
        pin.classList.toggle('selected', selectedRef.current === m.id);
        const dot = document.createElement('span');
        dot.className = 'map-pin-dot';
        const label = document.createElement('span');
        label.className = 'map-pin-label';
        label.textContent = m.label;
        pin.append(dot, label);
        // A DOM node as the icon's content: Leaflet inserts it as is, never parsing text as HTML.
        const marker = Lf.marker([m.lat, m.lng], {
          icon: Lf.divIcon({ html: pin, className: 'map-marker', iconSize: [0, 0] }),
          keyboard: true,
        });
        marker.on('click', () => setSelected(m.id));
        marker.addTo(map);
        pins.set(m.id, { marker, pin, label, data: m });
      }
    };

    const sync = () => {
      if (!live) return;
      const d = doc.type ? doc.data : null;
      const list = markersOf(d);
      setMarkers(list);
      setReady(!!d && !!map);
      if (!d) return;
      applyView();
      syncPins(list);
    };

    addRef.current = (latlng) => {
      const d = doc.type ? doc.data : null;
      if (!d) return;
      if (markersOf(d).length >= MAX_MARKERS) return setProblem(`A map holds at most ${MAX_MARKERS} markers.`);
      const id = newMarkerId();
      const by = call.store.state.peek().selfId ?? 'anon';
      submit(addMarkerOp(d.markers, { id, by, lat: round7(latlng.lat), lng: round7(wrapLng(latlng.lng)), label: '' }));
      setAdding(false);
      focusLabel.current = true;
      setSelected(id);
    };

    const onBatch = () => sync();
    doc.on('op batch', onBatch);
    doc.on('load', sync);
    doc.on('create', sync);
    doc.on('del', sync);
    doc.subscribe((err) => {
      if (err) console.warn(`map: subscribe: ${err.code} ${err.message}`);
      sync();
    });

    leaflet().then(
      (lib) => {
        if (!live) return;
        Lf = lib;
        const v = viewOf(doc.type ? doc.data : null);
        const m = lib.map(box, {
          // Leaflet's attribution control writes HTML; ours is text (below).
          attributionControl: false,
          worldCopyJump: true,
          // Our ResizeObserver resizes it, without sending the move.
          trackResize: false,
          minZoom: 0,
          maxZoom: MAX_ZOOM,
          zoomSnap: 1,
          center: v.center,
          zoom: v.zoom,
        });
        map = m;
        lib.tileLayer(config.tiles, { maxZoom: MAX_ZOOM, maxNativeZoom: MAX_NATIVE_ZOOM, subdomains: 'abc' }).addTo(m);
        m.on('movestart', () => {
          if (!suppress) interacting = true;
        });
        m.on('dragstart', () => (dragging = true));
        m.on('dragend', () => (dragging = false));
        m.on('move', () => {
          if (!suppress && dragging && performance.now() - lastSent >= DRAG_OP_MS) sendView();
        });
        m.on('moveend', () => {
          mark(m);
          if (suppress) return;
          interacting = false;
          sendView();
          // What others sent while the hand was on the map, unless ours replaced it.
          applyView();
        });
        m.on('click', (e: L.LeafletMouseEvent) => {
          if (addingRef.current) addRef.current(e.latlng);
          else setSelected(null);
        });
        ro = new ResizeObserver(() => quietly(m, () => m.invalidateSize({ animate: false })));
        ro.observe(box);
        mark(m);
        sync();
      },
      (e: unknown) => {
        console.warn(`map: Leaflet: ${e instanceof Error ? e.message : String(e)}`);
        if (live) setProblem('The map could not be loaded.');
      },
    );

    return () => {
      live = false;
      ro?.disconnect();
      map?.remove();
      doc.off('op batch', onBatch);
      doc.off('load', sync);
      doc.off('create', sync);
      doc.off('del', sync);
      doc.unsubscribe();
      docRef.current = null;
    };
  }, [call, el.id, config?.tiles]);

  // The selected pin stands out.
  useEffect(() => {
    boxRef.current?.querySelectorAll<HTMLElement>('.map-pin').forEach((p) => p.classList.toggle('selected', p.dataset.markerId === selected));
  }, [selected, markers]);

  const sel = markers.find((m) => m.id === selected) ?? null;

  // The label field follows remote edits unless this person is typing in it.
  useEffect(() => {
    const input = labelRef.current;
    if (!input || !sel) return;
    if (focusLabel.current) {
      focusLabel.current = false;
      input.focus();
    }
    if (document.activeElement !== input && input.value !== sel.label) input.value = sel.label;
  }, [sel?.id, sel?.label]);

  const commitLabel = (id: string, value: string) => submit(labelOp(docRef.current?.data?.markers, id, value.trim()));
  const removeMarker = (id: string) => {
    submit(removeMarkerOp(docRef.current?.data?.markers, id));
    setSelected(null);
  };

  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && adding) setAdding(false);
  };

  return (
    <div class="map" onKeyDown={onKey}>
      <div class="map-head">
        <h2 class="notes-title">{el.title}</h2>
        <div class="map-tools">
          <span class="map-count muted-text">
            {markers.length} {markers.length === 1 ? 'marker' : 'markers'}
          </span>
          <button
            type="button"
            class="btn btn-ghost btn-small"
            data-testid="map-add-marker"
            aria-pressed={adding ? 'true' : 'false'}
            disabled={!ready}
            title="Then click the map where the marker goes"
            onClick={() => setAdding(!adding)}
          >
            {adding ? 'Click the map… (Esc)' : '+ Marker'}
          </button>
        </div>
      </div>
      {sel && (
        <div class="map-editor">
          <span class="map-pin-dot" style={{ '--pin': colorOf(sel.by) }} aria-hidden="true" />
          <input
            key={sel.id}
            ref={labelRef}
            class="map-label-input"
            data-testid="map-marker-label"
            aria-label="Marker label"
            placeholder="Label (Enter to save)"
            maxLength={MAX_LABEL}
            defaultValue={sel.label}
            onChange={(e) => commitLabel(sel.id, e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') e.currentTarget.blur();
              if (e.key === 'Escape') {
                e.currentTarget.value = sel.label;
                e.currentTarget.blur();
              }
            }}
          />
          <button type="button" class="btn btn-ghost btn-small" data-testid="map-marker-remove" onClick={() => removeMarker(sel.id)}>
            Remove
          </button>
          <button type="button" class="element-remove" aria-label="Close the marker editor" onClick={() => setSelected(null)}>
            ×
          </button>
        </div>
      )}
      <div class={`map-box${adding ? ' adding' : ''}`}>
        <div ref={boxRef} class="map-view" data-testid="map-view" aria-label={`Map: ${el.title}`} />
        {config && config.attribution && (
          <div class="map-attribution" data-testid="map-attribution">
            {config.attribution}
          </div>
        )}
        {problem && <p class="map-msg muted-text">{problem}</p>}
        {config && !ready && !problem && <p class="map-msg muted-text">Loading…</p>}
      </div>
    </div>
  );
}
