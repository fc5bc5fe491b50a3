// Room names: readable random ones for "create", and the server's rule
// (1–64 of A-Z a-z 0-9 _ -) for anything typed or pasted.

const ADJECTIVES = [
  'brave', 'calm', 'clever', 'cosy', 'curious', 'eager', 'fancy', 'gentle',
  'happy', 'jolly', 'kind', 'lively', 'lucky', 'mellow', 'merry', 'nimble',
  'proud', 'quick', 'quiet', 'rapid', 'shiny', 'silly', 'sunny', 'swift',
  'tidy', 'witty', 'bold', 'bright', 'cheery', 'daring', 'golden', 'humble',
];

const ANIMALS = [
  'otter', 'badger', 'heron', 'lynx', 'panda', 'falcon', 'gecko', 'koala',
  'lemur', 'moose', 'newt', 'owl', 'puffin', 'quokka', 'raven', 'seal',
  'tapir', 'walrus', 'yak', 'zebra', 'beaver', 'bison', 'crane', 'dingo',
  'ferret', 'finch', 'hare', 'ibis', 'jackal', 'marten', 'orca', 'wombat',
];

const ROOM = /^[A-Za-z0-9_-]{1,64}$/;

export function validRoom(name: string): boolean {
  return ROOM.test(name);
}

function pick<T>(items: readonly T[], random: number): T {
  return items[random % items.length]!;
}

/** Like `brave-otter-42`: 32 × 32 × 90 ≈ 92,000 names. */
export function randomRoomName(): string {
  const r = new Uint32Array(3);
  crypto.getRandomValues(r);
  return `${pick(ADJECTIVES, r[0]!)}-${pick(ANIMALS, r[1]!)}-${10 + (r[2]! % 90)}`;
}

/**
 * The room named by what someone typed in "join": a bare name, a path
 * `/r/name`, or a whole link to a room on any host. Null when there is no
 * valid room name in it.
 */
export function roomFromInput(input: string): string | null {
  const text = input.trim();
  if (!text) return null;
  if (validRoom(text)) return text;
  let path = text;
  try {
    path = new URL(text).pathname;
  } catch {
    // Not a whole URL: maybe a path or host/path without a scheme.
  }
  const m = /(?:^|\/)r\/([^/?#]+)\/?(?:[?#].*)?$/.exec(path);
  if (!m) return null;
  let name: string;
  try {
    name = decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
  return validRoom(name) ? name : null;
}

/** Two initials for an avatar: "Ana María" → "AM". */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.slice(0, 2).map((w) => Array.from(w)[0] ?? '');
  return letters.join('').toUpperCase() || '?';
}

/** A fresh page session id: 16 of [A-Za-z0-9]. */
export function newSession(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const r = new Uint8Array(16);
  crypto.getRandomValues(r);
  return Array.from(r, (b) => alphabet[b % alphabet.length]).join('');
}
