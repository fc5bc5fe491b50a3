// Room state: a pure reducer over the server's room events (unit-tested),
// and a signal holding its result for the components.
//
// The reducer keeps everyone, self included, in one list ordered by join
// time, so that "updated" for oneself (role promoted, hand) needs no special
// case and the grid order is stable for everyone.

import { computed, signal } from '@preact/signals';
import type { ChatMessage, Participant, RoomInfo, ServerMessage } from './protocol';

/** Chat messages kept in memory; the server sends at most its history. */
export const MAX_CHAT = 500;

export interface RoomState {
  selfId: string | null;
  participants: Participant[];
  room: RoomInfo;
  chat: ChatMessage[];
  /** Messages from others that arrived while the chat panel was closed. */
  unread: number;
  chatOpen: boolean;
}

export type LocalEvent = { rc: 'local:chat-open'; open: boolean } | { rc: 'local:reset' };

export type RoomEvent = ServerMessage | LocalEvent;

export function initialRoomState(): RoomState {
  return {
    selfId: null,
    participants: [],
    room: { locked: false, hasPassword: false, maxParticipants: 4 },
    chat: [],
    unread: 0,
    chatOpen: false,
  };
}

function byJoin(a: Participant, b: Participant): number {
  return a.joinedAt - b.joinedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function upsert(list: Participant[], p: Participant): Participant[] {
  const rest = list.filter((q) => q.id !== p.id);
  rest.push(p);
  return rest.sort(byJoin);
}

function countUnread(messages: ChatMessage[], selfId: string | null): number {
  return messages.filter((m) => m.from !== selfId).length;
}

export function reduce(state: RoomState, ev: RoomEvent): RoomState {
  switch (ev.rc) {
    case 'joined': {
      // Also the answer to a rejoin after the socket dropped: the server's
      // lists replace ours; chat messages we had not seen count as unread.
      const seen = new Set(state.chat.map((m) => m.id));
      const fresh = ev.chat.filter((m) => !seen.has(m.id));
      const others = ev.participants.filter((p) => p.id !== ev.self.id);
      return {
        ...state,
        selfId: ev.self.id,
        participants: [ev.self, ...others].sort(byJoin),
        room: { ...ev.room },
        chat: ev.chat.slice(-MAX_CHAT),
        unread: state.chatOpen ? 0 : state.unread + countUnread(fresh, ev.self.id),
      };
    }
    case 'participant-joined':
    case 'updated':
      return { ...state, participants: upsert(state.participants, ev.participant) };
    case 'participant-left':
      return { ...state, participants: state.participants.filter((p) => p.id !== ev.id) };
    case 'chat': {
      if (state.chat.some((m) => m.id === ev.message.id)) return state;
      const mine = ev.message.from === state.selfId;
      return {
        ...state,
        chat: [...state.chat, ev.message].slice(-MAX_CHAT),
        unread: state.chatOpen || mine ? state.unread : state.unread + 1,
      };
    }
    case 'room':
      return {
        ...state,
        room: { locked: ev.locked, hasPassword: ev.hasPassword, maxParticipants: ev.maxParticipants },
      };
    case 'local:chat-open':
      return { ...state, chatOpen: ev.open, unread: ev.open ? 0 : state.unread };
    case 'local:reset':
      return initialRoomState();
    default:
      // Messages that do not change the room's state (signal, reaction,
      // mute-request, …) are handled by the call controller.
      return state;
  }
}

export function selfOf(state: RoomState): Participant | null {
  return state.participants.find((p) => p.id === state.selfId) ?? null;
}

export function othersOf(state: RoomState): Participant[] {
  return state.participants.filter((p) => p.id !== state.selfId);
}

/** The room's state as a signal, changed only through `dispatch`. */
export class RoomStore {
  readonly state = signal<RoomState>(initialRoomState());
  readonly self = computed(() => selfOf(this.state.value));
  readonly others = computed(() => othersOf(this.state.value));

  dispatch(ev: RoomEvent): void {
    const next = reduce(this.state.peek(), ev);
    if (next !== this.state.peek()) this.state.value = next;
  }
}
