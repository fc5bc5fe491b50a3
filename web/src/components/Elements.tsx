import { useEffect, useRef, useState } from 'preact/hooks';
import type { Call } from '../call';
import { caretBox } from '../elements/caret';
import { newMap } from '../elements/map';
import { dropIndex, elementDocId, MAX_TITLE, type ElementRef, type NotesData } from '../elements/store';
import { diffOps, transformCaret } from '../elements/textops';
import type { CaretPresence } from '../sync';
import { MapElement } from './MapElement';
import { Slides, SlidesUpload } from './Slides';
import { VideoAdd, VideoElement } from './VideoElement';
import { newWhiteboard } from '../elements/whiteboard';
import { Whiteboard } from './Whiteboard';
import { KindIcon } from './KindIcon';

export { KindIcon } from './KindIcon';

/**
 * One "+ Kind" button of the strip, `data-testid="elements-add-<kind>"`.
 * Narrow screens show only its icon (the label stays for screen readers).
 */
export function AddButton(props: { kind: string; label: string; onClick: () => void; disabled?: boolean; title?: string }) {
  return (
    <button
      type="button"
      class="element-add"
      data-testid={`elements-add-${props.kind}`}
      title={props.title ?? `Add ${props.label.toLowerCase()} for everyone`}
      disabled={props.disabled}
      onClick={props.onClick}
    >
      + <KindIcon kind={props.kind} /> <span class="element-add-label">{props.label}</span>
    </button>
  );
}

const DRAG_TYPE = 'application/x-tertulia-element';

/**
 * The strip of elements. A click on a chip focuses it for everyone (a
 * click on the focused one unfocuses it). Chips are reordered by dragging
 * them or with their ⋯ tools (move left, move right, rename, which
 * keyboards reach too); a double click or F2 on a chip renames it; ×
 * removes it. The add buttons follow the chips: each kind adds its own
 * there (`AddButton`, or a component of its own like `SlidesUpload`).
 */
export function ElementsBar({ call }: { call: Call }) {
  const layout = call.elements.layout.value;
  const [tools, setTools] = useState<string | null>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [drag, setDrag] = useState<{ id: string; over: string | null; after: boolean } | null>(null);
  // The element being renamed, for handlers that may run after Escape cancelled it.
  const renamingRef = useRef<string | null>(null);
  // A button to give the keyboard focus back to once the strip re-rendered.
  const refocus = useRef<{ id: string; testid: string } | null>(null);
  const barRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const r = refocus.current;
    if (!r) return;
    refocus.current = null;
    const chip = barRef.current?.querySelector(`.element-chip[data-element-id="${CSS.escape(r.id)}"]`);
    const target =
      chip?.querySelector<HTMLElement>(`[data-testid="${r.testid}"]:not(:disabled)`) ?? chip?.querySelector<HTMLElement>('[data-testid="element-tab"]');
    if (target && document.activeElement !== target) target.focus();
  });

  if (!layout) return null;
  const n = layout.elements.length;

  const remove = (el: ElementRef) => {
    if (window.confirm(`Remove “${el.title}” for everyone?`)) call.elements.remove(el.id);
  };
  const move = (el: ElementRef, to: number, testid: string) => {
    refocus.current = { id: el.id, testid };
    call.elements.move(el.id, to);
  };
  const startRename = (el: ElementRef) => {
    renamingRef.current = el.id;
    setRenaming(el.id);
  };
  const endRename = (id: string, value: string | null) => {
    if (renamingRef.current !== id) return;
    renamingRef.current = null;
    setRenaming(null);
    refocus.current = { id, testid: 'element-tab' };
    if (value !== null) call.elements.rename(id, value);
  };
  const dropAfter = (e: DragEvent) => {
    const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
    return e.clientX > r.left + r.width / 2;
  };

  return (
    <div class="elements-bar" role="toolbar" aria-label="Shared elements" ref={barRef}>
      {n > 0 && (
        <div class="element-chips">
          {layout.elements.map((el, i) => {
            const focused = layout.focus === el.id;
            const open = tools === el.id;
            const drop = drag && drag.over === el.id && drag.id !== el.id ? (drag.after ? ' drop-after' : ' drop-before') : '';
            return (
              <div
                key={el.id}
                class={`element-chip${focused ? ' focused' : ''}${drag?.id === el.id ? ' dragging' : ''}${drop}`}
                data-element-id={el.id}
                draggable={renaming !== el.id}
                onDragStart={(e) => {
                  e.dataTransfer?.setData(DRAG_TYPE, el.id);
                  if (e.dataTransfer) e.dataTransfer.effectAllowed = 'move';
                  setDrag({ id: el.id, over: null, after: false });
                }}
                onDragOver={(e) => {
                  if (!drag) return;
                  e.preventDefault();
                  const after = dropAfter(e);
                  if (drag.over !== el.id || drag.after !== after) setDrag({ ...drag, over: el.id, after });
                }}
                onDrop={(e) => {
                  if (!drag) return;
                  e.preventDefault();
                  // Indexes as they are now: someone else may have moved things meanwhile.
                  const from = layout.elements.findIndex((x) => x.id === drag.id);
                  if (from >= 0) call.elements.move(drag.id, dropIndex(from, i, dropAfter(e)));
                  setDrag(null);
                }}
                onDragEnd={() => setDrag(null)}
                onKeyDown={(e) => {
                  if (e.key === 'Escape' && open) setTools(null);
                }}
              >
                {renaming === el.id ? (
                  <input
                    class="element-rename-input"
                    data-testid="element-rename-input"
                    data-element-id={el.id}
                    aria-label={`New title for ${el.title}`}
                    defaultValue={el.title}
                    maxLength={MAX_TITLE}
                    ref={(input) => {
                      if (input && document.activeElement !== input) {
                        input.focus();
                        input.select();
                      }
                    }}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter') endRename(el.id, e.currentTarget.value);
                      else if (e.key === 'Escape') endRename(el.id, null);
                    }}
                    onBlur={(e) => endRename(el.id, e.currentTarget.value)}
                  />
                ) : (
                  <button
                    type="button"
                    class="element-tab"
                    data-testid="element-tab"
                    data-element-id={el.id}
                    data-kind={el.kind}
                    aria-pressed={focused ? 'true' : 'false'}
                    title={`${focused ? 'Back to the videos' : `Show ${el.title}`} (double-click or F2 to rename, drag to move)`}
                    // The second click of a double click (which renames) does not toggle again.
                    onClick={(e) => e.detail < 2 && call.elements.focus(focused ? null : el.id)}
                    onDblClick={() => startRename(el)}
                    onKeyDown={(e) => {
                      if (e.key === 'F2') startRename(el);
                    }}
                  >
                    <KindIcon kind={el.kind} /> {el.title}
                  </button>
                )}
                <button
                  type="button"
                  class="element-tool"
                  data-testid="element-menu"
                  data-element-id={el.id}
                  aria-expanded={open ? 'true' : 'false'}
                  aria-label={`Move or rename ${el.title}`}
                  title="Move or rename"
                  onClick={() => setTools(open ? null : el.id)}
                >
                  ⋯
                </button>
                {open && (
                  <>
                    <button
                      type="button"
                      class="element-tool"
                      data-testid="element-move-left"
                      data-element-id={el.id}
                      aria-label={`Move ${el.title} left`}
                      title="Move left"
                      disabled={i === 0}
                      onClick={() => move(el, i - 1, 'element-move-left')}
                    >
                      ‹
                    </button>
                    <button
                      type="button"
                      class="element-tool"
                      data-testid="element-rename"
                      data-element-id={el.id}
                      aria-label={`Rename ${el.title}`}
                      title="Rename"
                      onClick={() => startRename(el)}
                    >
                      ✎
                    </button>
                    <button
                      type="button"
                      class="element-tool"
                      data-testid="element-move-right"
                      data-element-id={el.id}
                      aria-label={`Move ${el.title} right`}
                      title="Move right"
                      disabled={i === n - 1}
                      onClick={() => move(el, i + 1, 'element-move-right')}
                    >
                      ›
                    </button>
                  </>
                )}
                <button
                  type="button"
                  class="element-remove"
                  data-testid="element-remove"
                  data-element-id={el.id}
                  aria-label={`Remove ${el.title}`}
                  onClick={() => remove(el)}
                >
                  ×
                </button>
              </div>
            );
          })}
        </div>
      )}
      <div class="element-adds">
        <AddButton kind="notes" label="Notes" onClick={() => call.elements.addNotes()} />
        <SlidesUpload call={call} />
        <VideoAdd call={call} />
        <AddButton
          kind="whiteboard"
          label="Whiteboard"
          onClick={() => void call.elements.addElement({ ...newWhiteboard(call.elements.nextTitle('whiteboard', 'Whiteboard')) }).catch(() => {})}
        />
        <AddButton kind="map" label="Map" onClick={() => void call.elements.addElement({ ...newMap(call.elements.nextTitle('map', 'Map')) }).catch(() => {})} />
      </div>
    </div>
  );
}

/** The focused element, shown on the stage. */
export function FocusedElement({ call }: { call: Call }) {
  const layout = call.elements.layout.value;
  const el = layout?.elements.find((e) => e.id === layout.focus);
  if (!el) return null;
  return (
    <section class="element-stage" aria-label={el.title}>
      {el.kind === 'notes' ? (
        <Notes key={el.id} call={call} el={el} />
      ) : el.kind === 'slides' ? (
        <Slides key={el.id} call={call} el={el} />
      ) : el.kind === 'video' ? (
        <VideoElement key={el.id} call={call} el={el} />
      ) : el.kind === 'map' ? (
        <MapElement key={el.id} call={call} el={el} />
      ) : el.kind === 'whiteboard' ? (
        <Whiteboard key={el.id} call={call} el={el} />
      ) : (
        <p class="muted-text">This element cannot be shown here yet.</p>
      )}
    </section>
  );
}

interface RemoteCaret {
  key: string;
  participant: string;
  name: string;
  caret: number;
  anchor: number;
}

const COLORS = ['#f5a524', '#3dd68c', '#e5484d', '#b07cff', '#38bdf8', '#f472b6'];
function colorOf(id: string): string {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return COLORS[Math.abs(h) % COLORS.length]!;
}

function Notes({ call, el }: { call: Call; el: ElementRef }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [carets, setCarets] = useState<RemoteCaret[]>([]);
  const [ready, setReady] = useState(false);
  const [, setTick] = useState(0);

  useEffect(() => {
    const ta = ref.current;
    if (!ta) return;
    const connection = call.share.connection;
    const docId = elementDocId(call.room, el.id);
    const doc = connection.get<NotesData>('elements', docId);
    // What the textarea showed when we last synced with the document.
    let shown = '';
    let composing = false;
    const textOf = () => (doc.type && doc.data && typeof doc.data.text === 'string' ? doc.data.text : '');
    const clamp = (n: number, len: number) => Math.max(0, Math.min(n, len));

    const show = (op?: Parameters<typeof transformCaret>[1]) => {
      const text = textOf();
      if (ta.value !== text) {
        let s = ta.selectionStart;
        let e = ta.selectionEnd;
        const dir = ta.selectionDirection;
        if (op) {
          s = transformCaret(s, op);
          e = transformCaret(e, op);
        }
        const focused = document.activeElement === ta;
        const scroll = ta.scrollTop;
        ta.value = text;
        ta.scrollTop = scroll;
        if (focused) ta.setSelectionRange(clamp(s, text.length), clamp(e, text.length), dir);
      }
      shown = text;
      setReady(!!doc.type);
      setTick((t) => t + 1);
    };

    const onOp = (op: Parameters<typeof transformCaret>[1], source: unknown) => {
      if (source) return; // our own, already in the textarea
      show(op);
    };
    const onLoad = () => show();
    doc.on('op', onOp);
    doc.on('load', onLoad);
    doc.on('create', onLoad);
    doc.on('del', onLoad);
    doc.subscribe((err) => {
      if (err) console.warn(`notes: subscribe: ${err.code} ${err.message}`);
      show();
    });

    // Presence: our caret and selection; theirs as markers.
    const presence = connection.getDocPresence<CaretPresence>('elements', docId);
    presence.subscribe((err) => err && console.warn(`notes: presence: ${err.message}`));
    const selfId = () => call.store.state.peek().selfId ?? 'anon';
    const nonce = Math.random().toString(36).slice(2, 8);
    const local = presence.create(`${selfId()}:${nonce}`);
    let last = '';
    // Only a caret someone placed is shown to the others.
    let placed = false;
    const sendCaret = (force = false) => {
      if (!doc.type || !placed) return;
      const backward = ta.selectionDirection === 'backward';
      const value: CaretPresence = {
        caret: backward ? ta.selectionStart : ta.selectionEnd,
        anchor: backward ? ta.selectionEnd : ta.selectionStart,
        name: call.selfName(),
      };
      const key = JSON.stringify(value);
      if (!force && key === last) return;
      last = key;
      local.submit(value, (e) => e && console.warn(`notes: presence submit: ${e.message}`));
    };
    const readCarets = () => {
      const list: RemoteCaret[] = [];
      for (const [key, v] of Object.entries(presence.remotePresences)) {
        if (!v || typeof v.caret !== 'number') continue;
        list.push({
          key,
          participant: key.split(':')[0] ?? key,
          name: typeof v.name === 'string' ? v.name : '?',
          caret: v.caret,
          anchor: typeof v.anchor === 'number' ? v.anchor : v.caret,
        });
      }
      setCarets(list);
    };
    presence.on('receive', readCarets);

    const onInput = (e: Event) => {
      if (composing || (e as InputEvent).isComposing) return;
      const next = ta.value;
      const ops = diffOps(shown, next, ['text'], ta.selectionEnd);
      shown = next;
      if (ops.length && doc.type) doc.submitOp(ops, { source: 'local' }, (err) => err && console.warn(`notes: op refused: ${err.code}`));
      sendCaret();
      setTick((t) => t + 1);
    };
    const onCompStart = () => (composing = true);
    const onCompEnd = (e: Event) => {
      composing = false;
      onInput(e);
    };
    const onSelect = () => {
      if (document.activeElement !== ta) return;
      placed = true;
      sendCaret();
    };
    const onScroll = () => setTick((t) => t + 1);
    ta.addEventListener('input', onInput);
    ta.addEventListener('compositionstart', onCompStart);
    ta.addEventListener('compositionend', onCompEnd);
    ta.addEventListener('scroll', onScroll);
    ta.addEventListener('focus', onSelect);
    document.addEventListener('selectionchange', onSelect);
    // A reconnect may lose what the others know of our caret.
    const onState = (state: string) => state === 'connected' && setTimeout(() => sendCaret(true), 0);
    connection.on('state', onState);

    return () => {
      ta.removeEventListener('input', onInput);
      ta.removeEventListener('compositionstart', onCompStart);
      ta.removeEventListener('compositionend', onCompEnd);
      ta.removeEventListener('scroll', onScroll);
      ta.removeEventListener('focus', onSelect);
      document.removeEventListener('selectionchange', onSelect);
      (connection as unknown as { off(ev: string, fn: unknown): void }).off('state', onState);
      doc.off('op', onOp);
      doc.off('load', onLoad);
      doc.off('create', onLoad);
      doc.off('del', onLoad);
      presence.off('receive', readCarets);
      local.destroy();
      presence.unsubscribe();
      doc.unsubscribe();
    };
  }, [call, el.id]);

  const exportTxt = () => {
    const text = ref.current?.value ?? '';
    const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${el.title.replace(/[\\/:*?"<>|]+/g, '_') || 'notes'}.txt`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };

  const ta = ref.current;
  return (
    <div class="notes">
      <div class="notes-head">
        <h2 class="notes-title">{el.title}</h2>
        <button type="button" class="btn btn-ghost btn-small" data-testid="notes-export" onClick={exportTxt}>
          Export .txt
        </button>
      </div>
      <div class="notes-box">
        <textarea
          ref={ref}
          class="notes-text"
          data-testid="notes-text"
          aria-label={el.title}
          placeholder={ready ? 'Shared notes: everyone here can type.' : 'Loading…'}
          disabled={!ready}
          spellcheck={false}
        />
        <div class="notes-overlay" aria-hidden="true">
          {ta &&
            carets.map((c) => {
              const box = caretBox(ta, c.caret);
              if (box.top < -box.height || box.top > ta.clientHeight) return null;
              const color = colorOf(c.participant);
              const sel = Math.abs(c.caret - c.anchor);
              return (
                <div
                  key={c.key}
                  class="remote-caret"
                  data-testid="remote-caret"
                  data-participant={c.participant}
                  style={{ left: `${box.left}px`, top: `${box.top}px`, height: `${box.height}px`, background: color }}
                >
                  <span class="remote-caret-name" style={{ background: color }}>
                    {c.name}
                    {sel > 0 ? ` (${sel} selected)` : ''}
                  </span>
                </div>
              );
            })}
        </div>
      </div>
    </div>
  );
}
