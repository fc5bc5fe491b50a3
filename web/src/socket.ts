// The WebSocket to /ws: reconnects with backoff, and matches room-control
// replies to requests by `id`.
//
// The same socket carries ShareDB (messages with an `"a"` key, see
// sync.ts); room control only looks at messages whose key is `"rc"` and
// hands everything else to `onOther`.

import { signal } from '@preact/signals';
import { CLOSE_REMOVED, CLOSE_REPLACED, type ClientMessage, type ServerMessage } from './protocol';

export type WsState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** A request the server refused (`code` from its `error`), or lost. */
export class RcError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly req?: string,
  ) {
    super(message);
    this.name = 'RcError';
  }
}

export interface SocketHandlers {
  /** A socket opened: the first one or one after a drop. */
  onOpen(reconnect: boolean): void;
  /** Every room-control message that is not a reply to a request. */
  onMessage(msg: ServerMessage): void;
  /** The server ended us for good (4003 removed, 4009 replaced): no retry. */
  onEnd(code: number): void;
  /**
   * An attempt failed without ever opening. Runs before the next attempt is
   * scheduled, so the owner can swap the token (the browser cannot tell a
   * refused upgrade — e.g. an invalid token — from a server that is down).
   */
  onOpenFailed?(failures: number): Promise<void> | void;
  onOther?(msg: unknown): void;
  /** A socket that had opened went down (`final`: closed for good by us). */
  onClose?(final: boolean): void;
}

interface Pending {
  resolve(msg: ServerMessage): void;
  reject(err: RcError): void;
  timer: ReturnType<typeof setTimeout>;
}

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10_000;
const REQUEST_TIMEOUT_MS = 10_000;
const HEALTHY_AFTER_MS = 10_000;

export function backoffDelay(failures: number, random = Math.random()): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, failures - 1));
  // ±25 % jitter, so that a room whose server restarted does not come back
  // all in the same millisecond.
  return Math.round(base * (0.75 + random * 0.5));
}

export function wsUrl(token: string, loc: Location = location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/ws?token=${encodeURIComponent(token)}`;
}

export class RoomSocket {
  readonly state = signal<WsState>('closed');
  private ws: WebSocket | null = null;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private failures = 0;
  private everOpened = false;
  private stopped = true;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly online = () => {
    if (this.retryTimer !== null) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.open();
    }
  };

  constructor(
    private readonly url: () => string,
    private readonly handlers: SocketHandlers,
  ) {}

  connect(): void {
    this.stopped = false;
    this.failures = 0;
    window.addEventListener('online', this.online);
    this.open();
  }

  /** Closes for good (leave, removed, page gone): no reconnect. */
  close(): void {
    this.stopped = true;
    window.removeEventListener('online', this.online);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      ws.onopen = ws.onclose = ws.onerror = ws.onmessage = null;
      ws.close(1000);
    }
    this.handlers.onClose?.(true);
    this.failPending('closed');
    this.state.value = 'closed';
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Fire and forget (signals): dropped while the socket is down. */
  send(msg: ClientMessage): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Sends an already encoded message (ShareDB's); false while down. */
  sendRaw(data: string): boolean {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(data);
    return true;
  }

  /** Sends with an `id`; resolves with the reply, rejects with an RcError. */
  request(msg: ClientMessage, timeoutMs = REQUEST_TIMEOUT_MS): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const ws = this.ws;
      if (!ws || ws.readyState !== WebSocket.OPEN) {
        reject(new RcError('disconnected', 'Not connected to the server.', msg.rc));
        return;
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RcError('timeout', 'The server did not answer in time.', msg.rc));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      ws.send(JSON.stringify({ ...msg, id }));
    });
  }

  private open(): void {
    if (this.stopped) return;
    this.state.value = this.everOpened ? 'reconnecting' : 'connecting';
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.url());
    } catch {
      this.scheduleRetry(false);
      return;
    }
    this.ws = ws;
    let openedAt = 0;
    ws.onopen = () => {
      openedAt = Date.now();
      const reconnect = this.everOpened;
      this.everOpened = true;
      this.state.value = 'open';
      this.handlers.onOpen(reconnect);
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.failPending('disconnected');
      if (openedAt) this.handlers.onClose?.(false);
      if (e.code === CLOSE_REMOVED || e.code === CLOSE_REPLACED) {
        this.close();
        this.handlers.onEnd(e.code);
        return;
      }
      // A socket that lived a while starts the backoff over; one that the
      // server keeps closing right after opening keeps backing off.
      if (openedAt && Date.now() - openedAt > HEALTHY_AFTER_MS) this.failures = 0;
      this.scheduleRetry(openedAt !== 0);
    };
    // Errors are always followed by close, where retrying is decided.
    ws.onerror = () => {};
  }

  private scheduleRetry(wasOpen: boolean): void {
    if (this.stopped) return;
    this.state.value = this.everOpened ? 'reconnecting' : 'connecting';
    this.failures += 1;
    const failures = this.failures;
    const next = () => {
      if (this.stopped) return;
      // The first retry after a drop is quick; a server that keeps refusing
      // is tried less and less often.
      const delay = backoffDelay(failures);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.open();
      }, delay);
    };
    if (!wasOpen && this.handlers.onOpenFailed) {
      Promise.resolve(this.handlers.onOpenFailed(failures)).then(next, next);
    } else {
      next();
    }
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: unknown;
    try {
      msg = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof msg !== 'object' || msg === null) return;
    if (!('rc' in msg)) {
      // ShareDB's (`"a"`): `init` arrives first on every socket.
      this.handlers.onOther?.(msg);
      return;
    }
    const m = msg as ServerMessage;
    // The server echoes a request's numeric `id` in its reply, whatever the
    // reply's kind (`joined`, `ok`, `time`, `error`…); nothing else carries one.
    const id = 'id' in m ? m.id : undefined;
    if (typeof id === 'number') {
      const p = this.pending.get(id);
      if (p) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        if (m.rc === 'error') p.reject(new RcError(m.code, m.message ?? m.code, m.req));
        else p.resolve(m);
        return;
      }
    }
    this.handlers.onMessage(m);
  }

  private failPending(code: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new RcError(code, 'The connection to the server was lost.'));
    }
    this.pending.clear();
  }
}
