// Two kinds of page: `/` and `/r/<room>`, switched with the History API so
// that going from the landing page into a room keeps the page (and needs no
// server round trip); the server answers every such path with index.html.

import { signal } from '@preact/signals';
import { validRoom } from './names';

export type Route = { page: 'landing' } | { page: 'room'; room: string } | { page: 'not-found'; path: string };

export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '') return { page: 'landing' };
  const m = /^\/r\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    let room = '';
    try {
      room = decodeURIComponent(m[1]!);
    } catch {
      // Falls through to not-found.
    }
    if (validRoom(room)) return { page: 'room', room };
  }
  return { page: 'not-found', path: pathname };
}

export const route = signal<Route>(parseRoute(location.pathname));

window.addEventListener('popstate', () => {
  route.value = parseRoute(location.pathname);
});

export function navigate(path: string): void {
  // Keep the query (e.g. ?iceTransportPolicy=relay) across pages.
  history.pushState(null, '', path + location.search);
  route.value = parseRoute(location.pathname);
}

export function roomPath(room: string): string {
  return `/r/${encodeURIComponent(room)}`;
}
