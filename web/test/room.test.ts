import { describe, expect, it } from 'vitest';
import type { ChatMessage, Participant } from '../src/protocol';
import { initialRoomState, othersOf, reduce, selfOf, type RoomState } from '../src/room';

function person(id: string, joinedAt: number, extra: Partial<Participant> = {}): Participant {
  return {
    id,
    name: id.toUpperCase(),
    role: 'participant',
    session: `s-${id}`,
    media: { mic: true, cam: true, screen: false },
    hand: false,
    connected: true,
    joinedAt,
    ...extra,
  };
}

function msg(id: string, from: string, text = id): ChatMessage {
  return { id, from, name: from, text, at: 1 };
}

const ROOM = { locked: false, hasPassword: false, maxParticipants: 4 };

function joined(self: Participant, participants: Participant[], chat: ChatMessage[] = []): RoomState {
  return reduce(initialRoomState(), { rc: 'joined', id: 1, self, participants, room: ROOM, chat });
}

describe('room reducer', () => {
  it('joined: self plus everyone else, ordered by join time', () => {
    const s = joined(person('me', 30), [person('b', 20), person('a', 10)]);
    expect(s.selfId).toBe('me');
    expect(s.participants.map((p) => p.id)).toEqual(['a', 'b', 'me']);
    expect(selfOf(s)?.id).toBe('me');
    expect(othersOf(s).map((p) => p.id)).toEqual(['a', 'b']);
  });

  it('joined: history is not unread at first, but is after a rejoin with new messages', () => {
    let s = joined(person('me', 1), [], [msg('1', 'a'), msg('2', 'me')]);
    expect(s.chat).toHaveLength(2);
    expect(s.unread).toBe(1);
    s = reduce(s, { rc: 'local:chat-open', open: true });
    s = reduce(s, { rc: 'local:chat-open', open: false });
    expect(s.unread).toBe(0);
    s = reduce(s, {
      rc: 'joined',
      self: person('me', 1),
      participants: [],
      room: ROOM,
      chat: [msg('1', 'a'), msg('2', 'me'), msg('3', 'b')],
    });
    expect(s.unread).toBe(1);
    expect(s.chat.map((m) => m.id)).toEqual(['1', '2', '3']);
  });

  it('participant-joined adds, or replaces one that came back with a new session', () => {
    let s = joined(person('me', 1), []);
    s = reduce(s, { rc: 'participant-joined', participant: person('x', 5) });
    expect(othersOf(s).map((p) => p.session)).toEqual(['s-x']);
    s = reduce(s, { rc: 'participant-joined', participant: person('x', 5, { session: 'new' }) });
    expect(othersOf(s).map((p) => p.session)).toEqual(['new']);
  });

  it('updated changes one participant, self included', () => {
    let s = joined(person('me', 1), [person('x', 2)]);
    s = reduce(s, { rc: 'updated', participant: person('x', 2, { hand: true, media: { mic: false, cam: true, screen: false } }) });
    expect(othersOf(s)[0]?.hand).toBe(true);
    expect(othersOf(s)[0]?.media.mic).toBe(false);
    s = reduce(s, { rc: 'updated', participant: person('me', 1, { role: 'moderator' }) });
    expect(selfOf(s)?.role).toBe('moderator');
    expect(s.participants).toHaveLength(2);
  });

  it('participant-left removes', () => {
    let s = joined(person('me', 1), [person('x', 2), person('y', 3)]);
    s = reduce(s, { rc: 'participant-left', id: 'x', reason: 'left' });
    expect(othersOf(s).map((p) => p.id)).toEqual(['y']);
    s = reduce(s, { rc: 'participant-left', id: 'nobody', reason: 'timeout' });
    expect(othersOf(s).map((p) => p.id)).toEqual(['y']);
  });

  it('chat counts unread from others only while the panel is closed, once per id', () => {
    let s = joined(person('me', 1), [person('x', 2)]);
    s = reduce(s, { rc: 'chat', message: msg('1', 'x') });
    s = reduce(s, { rc: 'chat', message: msg('1', 'x') });
    s = reduce(s, { rc: 'chat', message: msg('2', 'me') });
    expect(s.chat.map((m) => m.id)).toEqual(['1', '2']);
    expect(s.unread).toBe(1);
    s = reduce(s, { rc: 'local:chat-open', open: true });
    expect(s.unread).toBe(0);
    s = reduce(s, { rc: 'chat', message: msg('3', 'x') });
    expect(s.unread).toBe(0);
  });

  it('room replaces the room flags', () => {
    let s = joined(person('me', 1), []);
    s = reduce(s, { rc: 'room', locked: true, hasPassword: true, maxParticipants: 6 });
    expect(s.room).toEqual({ locked: true, hasPassword: true, maxParticipants: 6 });
  });

  it('ignores messages that do not change the state', () => {
    const s = joined(person('me', 1), []);
    expect(reduce(s, { rc: 'reaction', from: 'x', emoji: '🎉' })).toBe(s);
    expect(reduce(s, { rc: 'signal', from: 'x', data: {} })).toBe(s);
    expect(reduce(s, { rc: 'ok', id: 3 })).toBe(s);
  });
});
