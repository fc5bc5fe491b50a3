// The call controller: ties the join endpoint, the socket, the room state,
// local media and the mesh together for one room page. Components read its
// signals and call its actions; nothing else talks to the server.

import { batch, computed, effect, signal } from '@preact/signals';
import {
  forgetToken,
  JoinError,
  joinRoom,
  loadToken,
  markRemoved,
  saveName,
  saveToken,
  tokenSecondsLeft,
  wasRemoved,
  type StoredToken,
} from './api';
import { hook } from './hook';
import { LocalMedia } from './media';
import { Mesh } from './mesh';
import { newSession } from './names';
import { joinErrorCode, type MediaState, type Participant, type ServerMessage } from './protocol';
import { RoomStore } from './room';
import { RcError, RoomSocket, wsUrl } from './socket';
import { ElementsStore } from './elements/store';
import { ServerClock } from './elements/clock';
import { mapConfigOf, type MapConfig } from './elements/map';
import { shareConnection, type ShareSocket } from './sync';
import type { Connection } from 'sharedb/lib/client';

export type Phase = 'prejoin' | 'joining' | 'in-room' | 'left' | 'removed' | 'replaced' | 'ended';

export interface Notice {
  code: string;
  message: string;
}

export interface FloatingReaction {
  key: number;
  emoji: string;
  name: string;
  /** Horizontal position, percent of the stage. */
  left: number;
}

/** A reused token must still be valid for this long to be worth trying. */
const TOKEN_MARGIN_S = 60;
/** Attempts to open the first socket before the pre-join page gives up. */
const FIRST_CONNECT_ATTEMPTS = 4;
const REACTION_MS = 4000;

/** One page load, one session id (docs/room-protocol.md). */
const pageSession = newSession();

function iceTransportPolicy(): RTCIceTransportPolicy {
  return new URLSearchParams(location.search).get('iceTransportPolicy') === 'relay' ? 'relay' : 'all';
}

const JOIN_MESSAGES: Record<string, string> = {
  room_locked: 'This room is locked. Ask a moderator to unlock it.',
  password_required: 'This room needs a password.',
  wrong_password: 'That password is not right.',
  room_full: 'This room is full.',
  removed: 'A moderator removed you from this room.',
  invalid_name: 'Names are 1–64 characters.',
  network: 'Cannot reach the server. Check your connection and try again.',
};

/**
 * The text for a refused join: the server's own words for a full room
 * (they name the limit), ours for the other known codes.
 */
function joinMessage(code: string, serverMessage: string): string {
  if (code === 'room_full') return serverMessage || 'This room is full.';
  return JOIN_MESSAGES[code] ?? serverMessage;
}

export class Call {
  readonly media = new LocalMedia();
  readonly store = new RoomStore();
  readonly phase = signal<Phase>('prejoin');
  readonly joinError = signal<Notice | null>(null);
  readonly roomError = signal<Notice | null>(null);
  readonly muteRequest = signal<{ kind: 'mic' | 'cam'; by: string } | null>(null);
  readonly reactions = signal<FloatingReaction[]>([]);
  readonly chatError = signal<string | null>(null);
  readonly mesh = signal<Mesh | null>(null);
  readonly socket: RoomSocket;
  readonly wsState;
  /** ShareDB on the same socket (sync.ts): the shared elements. */
  readonly share: { socket: ShareSocket; connection: Connection };
  readonly elements: ElementsStore;
  /** The server's clock (shared playback is in server time). */
  readonly clock: ServerClock;
  /** Peers whose media connection is being re-established. */
  readonly iceTrouble = computed(() => {
    const mesh = this.mesh.value;
    if (!mesh) return [] as Participant[];
    const view = mesh.view.value;
    return this.store.others.value.filter((p) => {
      const s = view.get(p.id)?.state;
      return p.connected && (s === 'disconnected' || s === 'failed');
    });
  });

  private token: StoredToken | null = null;
  private password = '';
  private wantName = '';
  private usedStoredToken = false;
  private everJoined = false;
  private iceServers: RTCIceServer[] = [];
  private lastMedia = '';
  private disposers: (() => void)[] = [];
  private reactionKey = 0;

  constructor(readonly room: string) {
    this.socket = new RoomSocket(() => wsUrl(this.token?.token ?? ''), {
      onOpen: (reconnect) => {
        this.share.socket.up();
        this.clock.resync();
        void this.sendJoin(reconnect);
      },
      onMessage: (msg) => this.onMessage(msg),
      onOther: (msg) => this.share.socket.message(msg),
      // Not final even when we close it: a refused first join may be retried.
      onClose: () => this.share.socket.down(false),
      onEnd: (code) => this.end(code === 4003 ? 'removed' : 'replaced'),
      onOpenFailed: (failures) => this.onOpenFailed(failures),
    });
    this.wsState = this.socket.state;
    this.share = shareConnection((data) => this.socket.sendRaw(data));
    this.elements = new ElementsStore(this.share.connection, room);
    this.clock = new ServerClock(
      async () => {
        const reply = await this.socket.request({ rc: 'time' }, 5_000);
        if (reply.rc !== 'time' || typeof reply.now !== 'number') throw new Error('not a time reply');
        return reply.now;
      },
      (best) => (hook.serverClock = { offset: best.offset, rtt: best.rtt }),
    );
    // Closing the tab (or reloading) is a deliberate leave: the others
    // should not watch a frozen tile for the reconnect grace period. A
    // reload rejoins at once as the same participant with a new session.
    const onPageHide = (): void => {
      if (this.phase.peek() === 'in-room') this.socket.send({ rc: 'leave' });
    };
    window.addEventListener('pagehide', onPageHide);
    this.disposers.push(
      effect(() => {
        hook.wsState = this.socket.state.value;
      }),
      () => window.removeEventListener('pagehide', onPageHide),
    );
  }

  /** Pre-join: start the camera and microphone preview. */
  startPreview(): void {
    void this.media.start();
  }

  async join(name: string, password: string): Promise<void> {
    if (this.phase.peek() === 'joining') return;
    hook.joinClickedAt = performance.now();
    batch(() => {
      this.joinError.value = null;
      this.phase.value = 'joining';
    });
    this.wantName = name;
    this.password = password;
    saveName(name);
    let stored = loadToken(this.room);
    if (stored && tokenSecondsLeft(stored.token) < TOKEN_MARGIN_S) {
      forgetToken(this.room);
      stored = null;
    }
    if (stored && wasRemoved(this.room, stored.participant.id)) {
      // The server would refuse this identity; say why instead of trying.
      batch(() => {
        this.joinError.value = { code: 'removed', message: JOIN_MESSAGES.removed! };
        this.phase.value = 'prejoin';
      });
      return;
    }
    this.usedStoredToken = stored !== null;
    if (stored) {
      if (password) saveToken(this.room, { ...stored, password });
      this.token = stored;
    } else if (!(await this.mintToken(name, password))) {
      this.phase.value = 'prejoin';
      return;
    }
    this.socket.connect();
  }

  /** POST join; on failure shows the error and answers false. */
  private async mintToken(name: string, password: string): Promise<boolean> {
    try {
      const res = await joinRoom(this.room, name, password || undefined);
      const t: StoredToken = { token: res.token, participant: res.participant };
      if (password) t.password = password;
      if (res.map) t.map = res.map;
      saveToken(this.room, t);
      this.token = t;
      this.iceServers = res.iceServers ?? [];
      return true;
    } catch (err) {
      const e = err instanceof JoinError ? err : new JoinError('network', String(err));
      this.joinError.value = { code: e.code, message: joinMessage(e.code, e.message) };
      return false;
    }
  }

  private async onOpenFailed(failures: number): Promise<void> {
    if (this.everJoined) {
      // A long outage may outlive the token: a new one is a new identity,
      // which `joined` then handles like a first join.
      if (this.token && tokenSecondsLeft(this.token.token) < 0) {
        forgetToken(this.room);
        await this.mintToken(this.wantName || (this.token.participant.name ?? ''), this.password);
      }
      return;
    }
    if (this.usedStoredToken && failures === 1) {
      // The browser cannot see why an upgrade failed. If the server is up,
      // the likely reason is a token it no longer accepts (another secret,
      // a restart): mint a new one, as the contract says.
      const up = await fetch('/readyz', { cache: 'no-store' }).then((r) => r.ok, () => false);
      if (up) {
        forgetToken(this.room);
        this.usedStoredToken = false;
        if (!(await this.mintToken(this.wantName, this.password))) this.abortJoin();
      }
      return;
    }
    if (failures >= FIRST_CONNECT_ATTEMPTS) {
      this.joinError.value = { code: 'network', message: JOIN_MESSAGES.network! };
      this.abortJoin();
    }
  }

  private abortJoin(): void {
    this.socket.close();
    this.phase.value = 'prejoin';
  }

  private mediaState(): MediaState {
    const m = this.media;
    return {
      mic: m.micOn.peek() && !!m.mic.peek(),
      cam: m.camOn.peek() && !!m.cam.peek(),
      screen: !!m.screen.peek(),
    };
  }

  private async sendJoin(reconnect: boolean): Promise<void> {
    const media = this.mediaState();
    const req: { rc: 'join'; session: string; media: MediaState; password?: string } = {
      rc: 'join',
      session: pageSession,
      media,
    };
    const password = this.password || this.token?.password;
    if (password) req.password = password;
    let reply: ServerMessage;
    try {
      reply = await this.socket.request(req);
    } catch (err) {
      const e = err instanceof RcError ? err : new RcError('failed', String(err));
      // A lost socket retries by itself; a refusal is final.
      if (e.code === 'disconnected' || e.code === 'closed') return;
      if (e.code === 'timeout') {
        this.socket.close();
        this.socket.connect();
        return;
      }
      const code = joinErrorCode(e.code, !!password);
      if (code === 'removed' && this.token) markRemoved(this.room, this.token.participant.id);
      if (!this.everJoined) {
        this.joinError.value = { code, message: joinMessage(code, e.message) };
        this.abortJoin();
      } else if (code === 'removed') {
        this.end('removed');
      } else {
        this.roomError.value = { code, message: `Could not rejoin: ${e.message}` };
        this.end('ended');
      }
      return;
    }
    if (reply.rc !== 'joined') return;
    this.lastMedia = JSON.stringify(media);
    this.onJoined(reply, reconnect);
  }

  private onJoined(msg: Extract<ServerMessage, { rc: 'joined' }>, reconnect: boolean): void {
    if (msg.iceServers) this.iceServers = msg.iceServers;
    let mesh = this.mesh.peek();
    if (mesh && mesh.selfId !== msg.self.id) {
      // A new identity (the token was replaced): nothing of the old one holds.
      mesh.closeAll();
      mesh = null;
    }
    if (!mesh) {
      mesh = new Mesh({
        selfId: msg.self.id,
        iceServers: this.iceServers,
        iceTransportPolicy: iceTransportPolicy(),
        sendSignal: (to, data) => {
          this.socket.send({ rc: 'signal', to, data });
        },
      });
      this.mesh.value = mesh;
      this.wireMedia(mesh);
    } else if (msg.iceServers) {
      mesh.setIceServers(msg.iceServers);
    }
    batch(() => {
      this.store.dispatch(msg);
      this.phase.value = 'in-room';
      this.roomError.value = null;
    });
    this.everJoined = true;
    this.usedStoredToken = false;
    const self = msg.self;
    hook.self = { id: self.id, name: self.name, role: self.role };
    // We are the one arriving: we offer to those we have no connection with.
    mesh.reconcile(this.store.others.peek(), true);
    if (reconnect) mesh.kick();
    // A remembered token carries the name it was minted with.
    if (this.wantName && this.wantName !== self.name) {
      this.socket.request({ rc: 'name', name: this.wantName }).catch(() => {});
    }
  }

  /** Local tracks follow the media signals into every connection. */
  private wireMedia(mesh: Mesh): void {
    this.disposers.push(
      effect(() => mesh.setTrack('audio', this.media.mic.value)),
      effect(() => mesh.setTrack('video', this.media.outgoingVideo.value)),
      effect(() => {
        // Read every signal the state depends on, then tell the others.
        void this.media.micOn.value;
        void this.media.mic.value;
        void this.media.camOn.value;
        void this.media.cam.value;
        void this.media.screen.value;
        if (this.phase.value !== 'in-room') return;
        const state = this.mediaState();
        const key = JSON.stringify(state);
        if (key === this.lastMedia) return;
        if (this.socket.send({ rc: 'media', ...state })) this.lastMedia = key;
      }),
    );
  }

  private onMessage(msg: ServerMessage): void {
    const mesh = this.mesh.peek();
    switch (msg.rc) {
      case 'participant-joined':
      case 'updated':
      case 'participant-left': {
        const before = this.store.state.peek().participants;
        this.store.dispatch(msg);
        if (msg.rc === 'participant-left') mesh?.drop(msg.id);
        // Someone arriving (or back with a new page) offers to us.
        mesh?.reconcile(this.store.others.peek(), false);
        if (msg.rc === 'updated') {
          const p = msg.participant;
          const old = before.find((q) => q.id === p.id);
          // Back within its grace period: signals sent while it was away
          // were lost, so a connection that is not up starts over.
          if (old && !old.connected && p.connected && old.session === p.session) mesh?.kick(p.id);
          if (p.id === hook.self?.id) hook.self = { id: p.id, name: p.name, role: p.role };
        }
        return;
      }
      case 'chat':
      case 'room':
      case 'joined':
        this.store.dispatch(msg);
        return;
      case 'signal':
        mesh?.handleSignal(msg.from, msg.data);
        return;
      case 'reaction':
        this.showReaction(msg.from, msg.emoji);
        return;
      case 'mute-request':
        this.muteRequest.value = { kind: msg.kind, by: msg.by };
        if (msg.kind === 'mic') void this.media.setMic(false);
        else void this.media.setCam(false);
        return;
      case 'removed':
        this.end('removed');
        return;
      case 'replaced':
        this.end('replaced');
        return;
      case 'error':
        // A signal to someone who just left is expected to bounce.
        if (msg.req === 'signal' || msg.code === 'ERR_RC_NO_SUCH_PARTICIPANT') return;
        this.roomError.value = { code: msg.code, message: msg.message ?? msg.code };
        return;
      case 'ok':
        return;
    }
  }

  private showReaction(from: string, emoji: string): void {
    const who = this.store.state.peek().participants.find((p) => p.id === from);
    const key = ++this.reactionKey;
    const r: FloatingReaction = { key, emoji, name: who?.name ?? '', left: 10 + Math.random() * 70 };
    this.reactions.value = [...this.reactions.value, r].slice(-20);
    setTimeout(() => {
      this.reactions.value = this.reactions.value.filter((x) => x.key !== key);
    }, REACTION_MS);
  }

  // ---- actions -------------------------------------------------------

  // The buttons show what is really on (a wanted but missing device is
  // off), so a click turns on what the button shows as off.
  toggleMic(): void {
    const m = this.media;
    const on = !(m.micOn.peek() && m.mic.peek());
    void m.setMic(on);
    if (on) this.muteRequest.value = null;
  }

  toggleCam(): void {
    const m = this.media;
    void m.setCam(!(m.camOn.peek() && m.cam.peek()));
  }

  toggleScreen(): void {
    if (this.media.screen.peek()) this.media.stopScreen();
    else void this.media.startScreen();
  }

  private act(req: Parameters<RoomSocket['request']>[0]): void {
    this.socket.request(req).catch((err: unknown) => {
      if (err instanceof RcError && err.code !== 'disconnected' && err.code !== 'closed') {
        this.roomError.value = { code: err.code, message: err.message };
      }
    });
  }

  toggleHand(): void {
    const self = this.store.self.peek();
    if (self) this.act({ rc: 'hand', up: !self.hand });
  }

  react(emoji: string): void {
    this.act({ rc: 'react', emoji });
  }

  async sendChat(text: string): Promise<boolean> {
    this.chatError.value = null;
    try {
      await this.socket.request({ rc: 'chat', text });
      return true;
    } catch (err) {
      const code = err instanceof RcError ? err.code : '';
      this.chatError.value =
        code === 'ERR_RC_RATE_LIMITED'
          ? 'Slow down a little: too many messages.'
          : code === 'disconnected'
            ? 'Not connected: the message was not sent.'
            : 'The message could not be sent.';
      return false;
    }
  }

  setChatOpen(open: boolean): void {
    this.store.dispatch({ rc: 'local:chat-open', open });
  }

  askMute(target: string, kind: 'mic' | 'cam' = 'mic'): void {
    this.act({ rc: 'mute', target, kind });
  }

  remove(target: string): void {
    this.act({ rc: 'remove', target });
  }

  setLocked(locked: boolean): void {
    this.act({ rc: 'lock', locked });
  }

  setRoomPassword(password: string | null): void {
    this.act({ rc: 'password', password });
  }

  leave(): void {
    this.socket.send({ rc: 'leave' });
    this.end('left');
  }

  /** The name others see for us (presence labels). */
  /** The room token, for the HTTP API (uploads). */
  authToken(): string | null {
    return this.token?.token ?? null;
  }

  /** The map tiles this server configured (join response), or null if it named none we can use. */
  mapConfig(): MapConfig | null {
    return mapConfigOf(this.token?.map);
  }

  selfName(): string {
    const st = this.store.state.peek();
    return st.participants.find((p) => p.id === st.selfId)?.name ?? this.wantName;
  }

  /** Ends the call: no reconnect, media released, connections closed. */
  private end(phase: Phase): void {
    const current = this.phase.peek();
    if (current === 'removed' || current === 'replaced' || current === 'left') return;
    if (phase === 'removed' && this.token) markRemoved(this.room, this.token.participant.id);
    this.socket.close();
    this.clock.stop();
    this.share.socket.down(true);
    this.mesh.peek()?.closeAll();
    this.media.stopAll();
    hook.self = null;
    batch(() => {
      this.phase.value = phase;
      this.muteRequest.value = null;
    });
  }

  dispose(): void {
    if (this.phase.peek() === 'in-room' || this.phase.peek() === 'joining') this.leave();
    this.socket.close();
    this.clock.stop();
    this.mesh.peek()?.closeAll();
    this.media.dispose();
    for (const d of this.disposers) d();
    this.disposers = [];
  }
}
