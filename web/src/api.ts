// HTTP: the join endpoint, and the token kept in sessionStorage so that a
// reloaded page rejoins as the same participant (docs/web-test-contract.md).

import type { Role } from './protocol';

export interface JoinResponse {
  token: string;
  room: string;
  participant: { id: string; name: string; role: Role };
  expiresAt: number;
  iceServers?: RTCIceServer[];
  maxParticipants?: number;
  /** Map tiles (`--map-tiles`) and their attribution, plain text. */
  map?: { tiles: string; attribution: string };
}

/** What the contract stores under `tertulia.token.<room>`. */
export interface StoredToken {
  token: string;
  participant: { id: string; name: string; role: Role };
  password?: string;
  /** The join response's `map`, kept so that a reloaded page still has it. */
  map?: { tiles: string; attribution: string };
}

/** A refused join, with the server's `error.code` (or `network`). */
export class JoinError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 0,
  ) {
    super(message);
    this.name = 'JoinError';
  }
}

export async function joinRoom(room: string, name: string, password?: string): Promise<JoinResponse> {
  const body: { name: string; password?: string } = { name };
  if (password) body.password = password;
  let res: Response;
  try {
    res = await fetch(`/api/rooms/${encodeURIComponent(room)}/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  } catch {
    throw new JoinError('network', 'Cannot reach the server. Check your connection and try again.');
  }
  let json: unknown = null;
  try {
    json = await res.json();
  } catch {
    // An error page that is not JSON: reported by status below.
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new JoinError(err?.code ?? `http_${res.status}`, err?.message ?? `The server answered ${res.status}.`, res.status);
  }
  return json as JoinResponse;
}

const tokenKey = (room: string) => `tertulia.token.${room}`;

export function loadToken(room: string): StoredToken | null {
  try {
    const raw = sessionStorage.getItem(tokenKey(room));
    if (!raw) return null;
    const t = JSON.parse(raw) as StoredToken;
    if (typeof t.token !== 'string' || !t.participant) return null;
    return t;
  } catch {
    return null;
  }
}

export function saveToken(room: string, t: StoredToken): void {
  try {
    sessionStorage.setItem(tokenKey(room), JSON.stringify(t));
  } catch {
    // Private mode or full storage: a reload then mints a new identity.
  }
}

export function forgetToken(room: string): void {
  try {
    sessionStorage.removeItem(tokenKey(room));
  } catch {
    // Nothing to forget.
  }
}

/**
 * Seconds until the token's `exp`, read from its (unverified) payload; a
 * token the browser cannot read counts as expired. The server is the judge;
 * this only avoids opening a socket it would refuse, since a browser cannot
 * see why a WebSocket upgrade failed.
 */
export function tokenSecondsLeft(token: string, nowMs = Date.now()): number {
  const part = token.split('.')[1];
  if (!part) return -1;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp - nowMs / 1000 : -1;
  } catch {
    return -1;
  }
}

const removedKey = (room: string) => `tertulia.removed.${room}`;

/**
 * Remembers that a moderator removed this identity from the room. The
 * server refuses it from then on, but refuses its WebSocket upgrade, whose
 * reason a browser cannot read; without this note a reloaded page would take
 * the refusal for an invalid token and come back as someone new.
 */
export function markRemoved(room: string, participantId: string): void {
  try {
    sessionStorage.setItem(removedKey(room), participantId);
  } catch {
    // Then the server's refusal is all there is.
  }
}

export function wasRemoved(room: string, participantId: string): boolean {
  try {
    return sessionStorage.getItem(removedKey(room)) === participantId;
  } catch {
    return false;
  }
}

const NAME_KEY = 'tertulia.name';

export function loadName(): string {
  try {
    return localStorage.getItem(NAME_KEY) ?? '';
  } catch {
    return '';
  }
}

export function saveName(name: string): void {
  try {
    localStorage.setItem(NAME_KEY, name);
  } catch {
    // Not remembered; nothing else depends on it.
  }
}
