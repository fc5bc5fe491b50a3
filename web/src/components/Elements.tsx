import { useEffect, useRef, useState } from 'preact/hooks';
import type { Call } from '../call';
import { caretBox } from '../elements/caret';
import { elementDocId, type ElementRef, type NotesData } from '../elements/store';
import { diffOps, transformCaret } from '../elements/textops';
import type { CaretPresence } from '../sync';
import { Slides, SlidesUpload } from './Slides';

/** The strip of elements: focus one by clicking it, add notes, remove. */
export function ElementsBar({ call }: { call: Call }) {
  const layout = call.elements.layout.value;
  if (!layout) return null;
  const remove = (el: ElementRef) => {
    if (window.confirm(`Remove “${el.title}” for everyone?`)) call.elements.remove(el.id);
  };
  return (
    <div class="elements-bar" role="toolbar" aria-label="Shared elements">
      {layout.elements.map((el) => {
        const focused = layout.focus === el.id;
        return (
          <div key={el.id} class={`element-chip${focused ? ' focused' : ''}`}>
            <button
              type="button"
              class="element-tab"
              data-testid="element-tab"
              data-element-id={el.id}
              data-kind={el.kind}
              aria-pressed={focused ? 'true' : 'false'}
              title={focused ? 'Back to the videos' : `Show ${el.title}`}
              onClick={() => call.elements.focus(focused ? null : el.id)}
            >
              <span aria-hidden="true">{el.kind === 'slides' ? '🖼️' : '📝'}</span> {el.title}
            </button>
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
      <button type="button" class="element-add" data-testid="elements-add-notes" onClick={() => call.elements.addNotes()}>
        + Notes
      </button>
      <SlidesUpload call={call} />
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
