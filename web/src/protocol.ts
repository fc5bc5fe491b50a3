// The room-control protocol (docs/room-protocol.md) as TypeScript types.
// Only this file and the reducer in room.ts know the message field names.

export type Role = 'moderator' | 'participant';

export interface MediaState {
  mic: boolean;
  cam: boolean;
  screen: boolean;
}

export interface Participant {
  id: string;
  name: string;
  role: Role;
  session: string;
  media: MediaState;
  hand: boolean;
  connected: boolean;
  joinedAt: number;
}

export interface RoomInfo {
  locked: boolean;
  hasPassword: boolean;
  maxParticipants: number;
}

export interface ChatMessage {
  id: string;
  from: string;
  name: string;
  text: string;
  /** Unix ms. */
  at: number;
}

/** The emoji the server accepts in `react`. */
export const REACTIONS = ['👍', '👏', '❤️', '😂', '😮', '🎉'] as const;

export type LeftReason = 'left' | 'timeout' | 'removed';

export type ServerMessage =
  | {
      rc: 'joined';
      id?: number | string;
      self: Participant;
      participants: Participant[];
      room: RoomInfo;
      chat: ChatMessage[];
      iceServers?: RTCIceServer[];
    }
  | { rc: 'ok'; id?: number | string }
  | { rc: 'error'; id?: number | string; req?: string; code: string; message?: string }
  | { rc: 'participant-joined'; participant: Participant }
  | { rc: 'participant-left'; id: string; reason: LeftReason }
  | { rc: 'updated'; participant: Participant }
  | { rc: 'signal'; from: string; data: SignalData }
  | { rc: 'chat'; message: ChatMessage }
  | { rc: 'reaction'; from: string; emoji: string }
  | ({ rc: 'room' } & RoomInfo)
  | { rc: 'mute-request'; by: string; kind: 'mic' | 'cam' }
  | { rc: 'time'; id?: number | string; now: number }
  | { rc: 'removed'; by: string }
  | { rc: 'replaced' };

/** What the web client puts in a `signal`'s `data` (relayed untouched). */
export interface SignalData {
  description?: RTCSessionDescriptionInit;
  candidate?: RTCIceCandidateInit;
  /**
   * The sending RTCPeerConnection's random tag: an offer with a tag we have
   * not seen means the other side started a new connection (e.g. after the
   * server lost the room) and ours must be replaced to match.
   */
  pc?: string;
}

/** Requests, without the `id` the socket adds. */
export type ClientMessage =
  | { rc: 'join'; session: string; media: MediaState; password?: string }
  | { rc: 'leave' }
  | { rc: 'time' }
  | ({ rc: 'media' } & MediaState)
  | { rc: 'name'; name: string }
  | { rc: 'hand'; up: boolean }
  | { rc: 'react'; emoji: string }
  | { rc: 'signal'; to: string; data: SignalData }
  | { rc: 'chat'; text: string }
  | { rc: 'mute'; target: string; kind: 'mic' | 'cam' }
  | { rc: 'remove'; target: string }
  | { rc: 'lock'; locked: boolean }
  | { rc: 'password'; password: string | null };

/** Close codes the server uses for the room's own reasons. */
export const CLOSE_REMOVED = 4003;
export const CLOSE_REPLACED = 4009;

/**
 * The join endpoint's error codes and the WebSocket join's, folded into one
 * set: the pre-join page shows `join-error[data-code]` with the HTTP names
 * whichever path refused us (a reused token skips the HTTP join).
 */
export function joinErrorCode(rcCode: string, passwordGiven: boolean): string {
  switch (rcCode) {
    case 'ERR_RC_ROOM_LOCKED':
      return 'room_locked';
    case 'ERR_RC_PASSWORD':
      return passwordGiven ? 'wrong_password' : 'password_required';
    case 'ERR_RC_ROOM_FULL':
      return 'room_full';
    case 'ERR_RC_REMOVED':
      return 'removed';
    default:
      return rcCode;
  }
}
