// The room's layout document `rooms/<room>` (docs/elements.md): the list of
// elements and the focused one. Created by whoever finds it missing; a
// racing creator's ERR_DOC_ALREADY_CREATED just means someone else won.

import { signal } from '@preact/signals';
import type { Connection, Doc, Json0Component, ShareError } from 'sharedb/lib/client';

export interface ElementRef {
  id: string;
  kind: string;
  title: string;
}

export interface Layout {
  elements: ElementRef[];
  focus: string | null;
}

export interface NotesData {
  kind: 'notes';
  title: string;
  text: string;
}

export function elementDocId(room: string, id: string): string {
  return `${room}:${id}`;
}

const DOC_CHANGES = ['op', 'load', 'create', 'del'] as const;

/**
 * Subscribes to `doc` and calls `update()` on each change (an op, load,
 * create, del) and once the subscription answers (a failure is logged as
 * `${what}: subscribe: …`). Returns what undoes it: the listeners off and
 * the subscription ended.
 */
export function watchDoc(doc: Doc<unknown>, what: string, update: () => void): () => void {
  for (const ev of DOC_CHANGES) doc.on(ev as 'load', update);
  doc.subscribe((err) => {
    if (err) console.warn(`${what}: subscribe: ${err.code} ${err.message}`);
    update();
  });
  return () => {
    for (const ev of DOC_CHANGES) doc.off(ev, update);
    doc.unsubscribe();
  };
}

function newElementId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Most characters in a title (crates/elements counts Unicode scalar values). */
export const MAX_TITLE = 200;

/** A title as typed, made fit for the documents: one line, trimmed, at most 200 characters. */
export function cleanTitle(s: string): string {
  const line = s.replace(/[\u0000-\u001f\u007f\s]+/g, ' ').trim();
  return Array.from(line).slice(0, MAX_TITLE).join('').trim();
}

/**
 * The index an element dragged from `from` ends at (json0 `lm` counts
 * after the removal) when dropped before (`after` false) or after the
 * element now at `over`.
 */
export function dropIndex(from: number, over: number, after: boolean): number {
  const slot = over + (after ? 1 : 0);
  return slot > from ? slot - 1 : slot;
}

/** An entry of the room document as the strip may show it, whatever it holds. */
function entryOf(e: unknown): ElementRef {
  const o = (e && typeof e === 'object' ? e : {}) as Record<string, unknown>;
  return {
    id: typeof o.id === 'string' ? o.id : '',
    kind: typeof o.kind === 'string' ? o.kind : '',
    title: typeof o.title === 'string' ? o.title : '',
  };
}

function warn(what: string, err: ShareError | null | undefined): void {
  if (err) console.warn(`elements: ${what}: ${err.code ?? ''} ${err.message}`);
}

export class ElementsStore {
  readonly layout = signal<Layout | null>(null);
  private doc: Doc<Layout> | null = null;

  constructor(
    private readonly connection: Connection,
    readonly room: string,
  ) {}

  /** Subscribes to the room document (once), creating it if missing. */
  start(): void {
    if (this.doc) return;
    const doc = this.connection.get<Layout>('rooms', this.room);
    this.doc = doc;
    const update = () => {
      const d = doc.data;
      this.layout.value =
        doc.type && d && Array.isArray(d.elements)
          ? { elements: d.elements.map(entryOf), focus: typeof d.focus === 'string' ? d.focus : null }
          : null;
    };
    doc.on('load', update);
    doc.on('create', update);
    doc.on('op', update);
    doc.on('del', update);
    doc.on('error', (err) => warn('room document', err));
    doc.subscribe((err) => {
      if (err) return warn('subscribe', err);
      update();
      if (!doc.type) {
        doc.create({ elements: [], focus: null }, (e) => {
          // Someone else created it first: our subscription brings theirs.
          if (e && e.code === 'ERR_DOC_ALREADY_CREATED') doc.fetch(() => update());
          else warn('create', e);
          update();
        });
      }
    });
  }

  private submit(op: Json0Component[]): void {
    const doc = this.doc;
    if (!doc || !doc.type || op.length === 0) return;
    doc.submitOp(op, { source: 'local' }, (err) => warn('op', err));
  }

  /**
   * Creates the element document `elements/<room>:<id>` with `data` (which
   * carries its `kind` and `title`), then lists it in the room and focuses
   * it. Resolves with the new element's id.
   */
  addElement(data: { kind: string; title: string } & Record<string, unknown>): Promise<string> {
    return new Promise((resolve, reject) => {
      if (!this.layout.peek()) return reject(new Error('the room is not loaded yet'));
      const id = newElementId();
      const edoc = this.connection.get('elements', elementDocId(this.room, id));
      edoc.create(data, (err) => {
        if (err) {
          warn(`create ${data.kind}`, err);
          return reject(new Error(err.message));
        }
        const now = this.layout.peek();
        if (!now) return reject(new Error('the room is not loaded'));
        this.submit([
          { p: ['elements', now.elements.length], li: { id, kind: data.kind, title: data.title } },
          { p: ['focus'], od: now.focus, oi: id },
        ]);
        resolve(id);
      });
    });
  }

  /** A title for a new element of `kind`: `base`, then `base 2`, `base 3`… */
  nextTitle(kind: string, base: string): string {
    const n = (this.layout.peek()?.elements ?? []).filter((e) => e.kind === kind).length;
    return n === 0 ? base : `${base} ${n + 1}`;
  }

  /** Creates a notes element, adds it to the room and focuses it. */
  addNotes(): void {
    const data: NotesData = { kind: 'notes', title: this.nextTitle('notes', 'Notes'), text: '' };
    this.addElement({ ...data }).catch(() => {});
  }

  /** Creates a slides element for the PDF `blob`, adds it to the room and focuses it. */
  async addSlides(title: string, blob: string, pages: number): Promise<void> {
    await this.addElement({ kind: 'slides', title, blob, pages, page: 1, zoom: 1, pan: [0.5, 0.5] });
  }

  remove(id: string): void {
    const layout = this.layout.peek();
    if (!layout) return;
    const i = layout.elements.findIndex((e) => e.id === id);
    if (i < 0) return;
    const op: Json0Component[] = [{ p: ['elements', i], ld: layout.elements[i] }];
    if (layout.focus === id) op.push({ p: ['focus'], od: id, oi: null });
    this.submit(op);
  }

  /** Moves element `id` to index `to` of the strip, for everyone. */
  move(id: string, to: number): void {
    const layout = this.layout.peek();
    if (!layout) return;
    const from = layout.elements.findIndex((e) => e.id === id);
    const dest = Math.max(0, Math.min(layout.elements.length - 1, Math.trunc(to)));
    if (from < 0 || from === dest) return;
    this.submit([{ p: ['elements', from], lm: dest }]);
  }

  /**
   * Renames element `id` for everyone: its entry in the room document (what
   * the strip shows) and the element document's own `title`. An empty
   * title changes nothing.
   */
  rename(id: string, title: string): void {
    const layout = this.layout.peek();
    const clean = cleanTitle(title);
    const i = layout ? layout.elements.findIndex((e) => e.id === id) : -1;
    if (!layout || i < 0 || !clean) return;
    if (layout.elements[i]!.title !== clean) this.submit([{ p: ['elements', i, 'title'], od: layout.elements[i]!.title, oi: clean }]);
    const edoc = this.connection.get<{ title?: unknown }>('elements', elementDocId(this.room, id));
    const retitle = () => {
      if (!edoc.type || !edoc.data || edoc.data.title === clean) return;
      edoc.submitOp([{ p: ['title'], od: edoc.data.title, oi: clean }], { source: 'local' }, (err) => warn('rename', err));
    };
    // The element's view may not have loaded its document (it is not focused).
    if (edoc.type) retitle();
    else edoc.fetch((err) => (err ? warn('rename', err) : retitle()));
  }

  focus(id: string | null): void {
    const layout = this.layout.peek();
    if (!layout || layout.focus === id) return;
    this.submit([{ p: ['focus'], od: layout.focus, oi: id }]);
  }
}
