// The little of sharedb's client API the page uses (sharedb ships no types).
declare module 'sharedb/lib/client' {
  export interface ShareError extends Error {
    code: string;
  }
  export type Callback = (err?: ShareError | null) => void;
  export interface Json0Component {
    p: (string | number)[];
    si?: string;
    sd?: string;
    li?: unknown;
    ld?: unknown;
    oi?: unknown;
    od?: unknown;
    na?: number;
    lm?: number;
  }
  export interface OtType {
    name: string;
    uri: string;
    transformPresence?: (presence: unknown, op: unknown, isOwnOp: boolean) => unknown;
    [k: string]: unknown;
  }
  export interface Doc<T = unknown> {
    id: string;
    collection: string;
    version: number | null;
    type: OtType | null;
    data: T;
    connection: Connection;
    subscribe(cb?: Callback): void;
    unsubscribe(cb?: Callback): void;
    fetch(cb?: Callback): void;
    create(data: T, cb?: Callback): void;
    submitOp(op: Json0Component[], options?: { source?: unknown }, cb?: Callback): void;
    hasPending(): boolean;
    whenNothingPending(cb: () => void): void;
    destroy(cb?: Callback): void;
    on(ev: 'op' | 'before op' | 'op batch', fn: (op: Json0Component[], source: unknown) => void): void;
    on(ev: 'load' | 'create' | 'del' | 'no write pending' | 'nothing pending', fn: () => void): void;
    on(ev: 'error', fn: (err: ShareError) => void): void;
    off(ev: string, fn: (...args: never[]) => void): void;
  }
  export interface LocalPresence<V> {
    submit(value: V | null, cb?: Callback): void;
    destroy(cb?: Callback): void;
  }
  export interface Presence<V = unknown> {
    remotePresences: Record<string, V>;
    subscribe(cb?: Callback): void;
    unsubscribe(cb?: Callback): void;
    create(id?: string): LocalPresence<V>;
    destroy(cb?: Callback): void;
    on(ev: 'receive', fn: (id: string, value: V | null) => void): void;
    on(ev: 'error', fn: (err: ShareError) => void): void;
    off(ev: string, fn: (...args: never[]) => void): void;
  }
  export interface WebSocketLike {
    readyState: number;
    send(data: string): void;
    close(reason?: string): void;
    onopen: ((e?: unknown) => void) | null;
    onclose: ((reason?: unknown) => void) | null;
    onerror: ((e?: unknown) => void) | null;
    onmessage: ((e: { data: unknown }) => void) | null;
  }
  export class Connection {
    constructor(socket: WebSocketLike);
    state: string;
    get<T = unknown>(collection: string, id: string): Doc<T>;
    getDocPresence<V = unknown>(collection: string, id: string): Presence<V>;
    close(): void;
    on(ev: 'state', fn: (state: string, reason: unknown) => void): void;
    on(ev: 'error', fn: (err: ShareError) => void): void;
  }
  export const types: { defaultType: OtType; map: Record<string, OtType> };
  const ShareDB: { Connection: typeof Connection; types: typeof types };
  export default ShareDB;
}
