// ShareDB over the room's one WebSocket (docs/room-protocol.md): sharedb's
// Connection gets a WebSocket-like object whose messages are the socket's
// `"a"` ones. When the real socket drops, sharedb sees `onclose`; when a new
// one opens, `onopen`, and it redoes its handshake, resubscribes and
// resubmits what the server had not acknowledged.

import ShareDB, { type Connection, type Json0Component, type WebSocketLike } from 'sharedb/lib/client';
import { transformCaret } from './elements/textops';

/** What a notes caret's presence carries (docs/elements.md). */
export interface CaretPresence {
  caret: number;
  anchor: number;
  name: string;
}

// ot-json0 1.1.0 has no presence transform, and sharedb refuses doc presence
// on a type without one. Ours moves `{caret, anchor}` through the text ops
// at `["text", i]` (the only text a presence points into).
const json0 = ShareDB.types.defaultType;
if (!json0.transformPresence) {
  json0.transformPresence = (presence: unknown, op: unknown, isOwnOp: boolean): unknown => {
    const p = presence as Partial<CaretPresence> | null;
    if (!p || typeof p.caret !== 'number' || typeof p.anchor !== 'number' || !Array.isArray(op)) return presence;
    return {
      ...p,
      caret: transformCaret(p.caret, op as Json0Component[], isOwnOp),
      anchor: transformCaret(p.anchor, op as Json0Component[], isOwnOp),
    };
  };
}

type Send = (data: string) => boolean;

export class ShareSocket implements WebSocketLike {
  readyState = 0;
  onopen: WebSocketLike['onopen'] = null;
  onclose: WebSocketLike['onclose'] = null;
  onerror: WebSocketLike['onerror'] = null;
  onmessage: WebSocketLike['onmessage'] = null;

  constructor(private readonly sendRaw: Send) {}

  send(data: string): void {
    // sharedb only sends while connected; a message lost in a drop is
    // resubmitted after the next handshake.
    this.sendRaw(data);
  }

  close(): void {
    this.down(true);
  }

  /** The room socket opened (first time or again). */
  up(): void {
    if (this.readyState === 1) return;
    this.readyState = 1;
    this.onopen?.();
  }

  /** The room socket went down; `final` when closed for good. */
  down(final: boolean): void {
    if (this.readyState === 3 && !final) return;
    const wasOpen = this.readyState === 1;
    this.readyState = final ? 3 : 0;
    if (wasOpen || final) this.onclose?.(final ? 'closed' : 'disconnected');
  }

  /** A ShareDB message (parsed) from the room socket. */
  message(msg: unknown): void {
    if (this.readyState !== 1) return;
    this.onmessage?.({ data: msg });
  }
}

export function shareConnection(sendRaw: Send): { socket: ShareSocket; connection: Connection } {
  const socket = new ShareSocket(sendRaw);
  const connection = new ShareDB.Connection(socket);
  // An unhandled 'error' event would throw; the docs report their own.
  connection.on('error', (err) => console.warn(`sharedb: ${err.code ?? ''} ${err.message}`));
  return { socket, connection };
}
