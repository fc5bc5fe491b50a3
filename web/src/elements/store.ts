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

function newElementId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(6));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
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
      this.layout.value = doc.type && d && Array.isArray(d.elements) ? { elements: [...d.elements], focus: d.focus ?? null } : null;
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

  /** Creates a notes element, adds it to the room and focuses it. */
  addNotes(): void {
    const layout = this.layout.peek();
    if (!layout) return;
    const id = newElementId();
    const n = layout.elements.filter((e) => e.kind === 'notes').length;
    const title = n === 0 ? 'Notes' : `Notes ${n + 1}`;
    const data: NotesData = { kind: 'notes', title, text: '' };
    const edoc = this.connection.get<NotesData>('elements', elementDocId(this.room, id));
    edoc.create(data, (err) => {
      if (err) return warn('create notes', err);
      const now = this.layout.peek();
      if (!now) return;
      this.submit([
        { p: ['elements', now.elements.length], li: { id, kind: 'notes', title } },
        { p: ['focus'], od: now.focus, oi: id },
      ]);
    });
  }

  /** Creates a slides element for the PDF `blob`, adds it to the room and focuses it. */
  addSlides(title: string, blob: string, pages: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const id = newElementId();
      const data = { kind: 'slides', title, blob, pages, page: 1, zoom: 1, pan: [0.5, 0.5] };
      const edoc = this.connection.get('elements', elementDocId(this.room, id));
      edoc.create(data, (err) => {
        if (err) {
          warn('create slides', err);
          return reject(new Error(err.message));
        }
        const now = this.layout.peek();
        if (!now) return reject(new Error('the room is not loaded'));
        this.submit([
          { p: ['elements', now.elements.length], li: { id, kind: 'slides', title } },
          { p: ['focus'], od: now.focus, oi: id },
        ]);
        resolve();
      });
    });
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

  focus(id: string | null): void {
    const layout = this.layout.peek();
    if (!layout || layout.focus === id) return;
    this.submit([{ p: ['focus'], od: layout.focus, oi: id }]);
  }
}
