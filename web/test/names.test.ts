import { describe, expect, it } from 'vitest';
import { joinErrorCode } from '../src/protocol';
import { initials, newSession, randomRoomName, roomFromInput, validRoom } from '../src/names';
import { backoffDelay } from '../src/socket';
import { tokenSecondsLeft } from '../src/api';

describe('room names', () => {
  it('random names are readable and valid', () => {
    for (let i = 0; i < 200; i++) {
      const name = randomRoomName();
      expect(name).toMatch(/^[a-z]+-[a-z]+-[1-9][0-9]$/);
      expect(validRoom(name)).toBe(true);
    }
  });

  it('follows the server rule', () => {
    expect(validRoom('team-7_a')).toBe(true);
    expect(validRoom('')).toBe(false);
    expect(validRoom('a:b')).toBe(false);
    expect(validRoom('a b')).toBe(false);
    expect(validRoom('x'.repeat(64))).toBe(true);
    expect(validRoom('x'.repeat(65))).toBe(false);
  });

  it('reads a room from a name, a path or a link', () => {
    expect(roomFromInput(' brave-otter-42 ')).toBe('brave-otter-42');
    expect(roomFromInput('/r/brave-otter-42')).toBe('brave-otter-42');
    expect(roomFromInput('https://meet.example.org/r/brave-otter-42')).toBe('brave-otter-42');
    expect(roomFromInput('https://meet.example.org/r/brave-otter-42/?x=1#y')).toBe('brave-otter-42');
    expect(roomFromInput('meet.example.org/r/team_1')).toBe('team_1');
    expect(roomFromInput('https://meet.example.org/')).toBeNull();
    expect(roomFromInput('not a room')).toBeNull();
    expect(roomFromInput('/r/a%20b')).toBeNull();
    expect(roomFromInput('')).toBeNull();
  });

  it('initials', () => {
    expect(initials('Ana María López')).toBe('AM');
    expect(initials('  bob ')).toBe('B');
    expect(initials('')).toBe('?');
  });

  it('page sessions follow the protocol', () => {
    expect(newSession()).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    expect(newSession()).not.toBe(newSession());
  });
});

describe('join errors', () => {
  it('maps WebSocket join refusals to the HTTP codes', () => {
    expect(joinErrorCode('ERR_RC_ROOM_FULL', false)).toBe('room_full');
    expect(joinErrorCode('ERR_RC_ROOM_LOCKED', false)).toBe('room_locked');
    expect(joinErrorCode('ERR_RC_PASSWORD', false)).toBe('password_required');
    expect(joinErrorCode('ERR_RC_PASSWORD', true)).toBe('wrong_password');
    expect(joinErrorCode('ERR_RC_REMOVED', false)).toBe('removed');
  });
});

describe('reconnect backoff', () => {
  it('grows to a ceiling, with jitter', () => {
    expect(backoffDelay(1, 0.5)).toBe(500);
    expect(backoffDelay(2, 0.5)).toBe(1000);
    expect(backoffDelay(3, 0.5)).toBe(2000);
    expect(backoffDelay(50, 0.5)).toBe(10000);
    expect(backoffDelay(1, 0)).toBe(375);
    expect(backoffDelay(1, 1)).toBe(625);
  });
});

describe('token expiry', () => {
  // base64url, as in a JWT.
  const b64 = (o: object) => btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  it('reads exp from the payload', () => {
    const token = `${b64({ alg: 'HS256' })}.${b64({ exp: 1000 })}.sig`;
    expect(tokenSecondsLeft(token, 900_000)).toBe(100);
    expect(tokenSecondsLeft('garbage', 0)).toBe(-1);
    expect(tokenSecondsLeft(`a.${b64({})}.c`, 0)).toBe(-1);
  });
});
