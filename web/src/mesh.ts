// The peer-to-peer mesh: one RTCPeerConnection per remote participant,
// negotiated with the W3C "perfect negotiation" pattern
// (https://w3c.github.io/webrtc-pc/#perfect-negotiation-example).
//
// Either side may offer at any time (a track added, an ICE restart); when
// two offers cross, the polite side (the smaller participant id) rolls back
// its own and answers, the impolite side ignores the other's.
// Signals travel as `{"rc":"signal","to":id,"data":{description}|{candidate}}`.
//
// Crossing offers are avoided where they are predictable: when someone
// arrives, the newcomer offers and those already in the room wait for that
// offer before adding their tracks (answering with them in one round trip).
// Besides saving a round trip, this keeps Chromium out of a rollback during
// TURN gathering, after which it was seen to gather nothing at all.

import { signal } from '@preact/signals';
import { hook } from './hook';
import type { Kind } from './media';
import type { Participant, SignalData } from './protocol';

/** How long `disconnected` may last before ICE is restarted. */
const DISCONNECTED_GRACE_MS = 3000;
/** How long the side that waits for the newcomer's offer waits before offering itself. */
const AWAIT_OFFER_MS = 2000;
/** A connection still not up after this long starts ICE over. */
const STALLED_MS = 10_000;
/** How long a connection outlives its participant's absence from our rejoin's list. */
const ORPHAN_MS = 20_000;

export interface PeerView {
  state: RTCPeerConnectionState;
  stream: MediaStream | null;
}

export interface MeshOptions {
  selfId: string;
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  sendSignal(to: string, data: SignalData): void;
}

type Tracks = Readonly<Record<Kind, MediaStreamTrack | null>>;

function randomTag(): string {
  const r = new Uint32Array(2);
  crypto.getRandomValues(r);
  return Array.from(r, (n) => n.toString(36)).join('');
}

class Peer {
  readonly pc: RTCPeerConnection;
  readonly polite: boolean;
  stream: MediaStream | null = null;
  private makingOffer = false;
  private ignoreOffer = false;
  private isSettingRemoteAnswerPending = false;
  /** False until our tracks are on the connection (see `attach`). */
  private attached = false;
  private readonly senders: Partial<Record<Kind, RTCRtpSender>> = {};
  private readonly remoteTracks = new Map<string, MediaStreamTrack>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private disconnectedTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly sendSignal: (data: SignalData) => void;
  /** Ours, sent with every signal; and the other side's, once seen. */
  readonly tag = randomTag();
  remoteTag: string | null = null;

  constructor(
    readonly id: string,
    readonly session: string,
    opts: MeshOptions,
    private readonly localStream: MediaStream,
    private readonly tracks: () => Tracks,
    initiate: boolean,
    private readonly changed: () => void,
  ) {
    this.polite = opts.selfId < id;
    const send = (data: SignalData) => opts.sendSignal(id, { ...data, pc: this.tag });
    this.sendSignal = send;
    const pc = new RTCPeerConnection({ iceServers: opts.iceServers, iceTransportPolicy: opts.iceTransportPolicy });
    this.pc = pc;

    pc.onnegotiationneeded = async () => {
      try {
        this.makingOffer = true;
        // No arguments: the browser creates whatever the state calls for.
        await pc.setLocalDescription();
        if (pc.localDescription) send({ description: pc.localDescription.toJSON() });
      } catch (err) {
        if (!this.closed) console.warn('tertulia: offer failed', err);
      } finally {
        this.makingOffer = false;
      }
    };
    pc.onicecandidate = ({ candidate }) => {
      // The end-of-candidates marker (null) is not needed by browsers.
      if (candidate) send({ candidate: candidate.toJSON() });
    };
    pc.ontrack = ({ track, transceiver }) => {
      this.remoteTracks.set(transceiver.mid ?? track.id, track);
      this.stream = new MediaStream([...this.remoteTracks.values()]);
      this.changed();
    };
    pc.onconnectionstatechange = () => this.onState();

    if (initiate) {
      // Audio and video together, so the first offer carries both.
      this.attach();
    } else {
      // Wait for the newcomer's offer; offer ourselves if none comes (the
      // newcomer may have nothing to send).
      this.later(AWAIT_OFFER_MS, () => this.attach());
    }
    this.later(STALLED_MS, () => this.checkStalled());
  }

  get state(): RTCPeerConnectionState {
    return this.pc.connectionState;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Puts our current tracks on the connection (once). */
  private attach(): void {
    if (this.attached || this.closed) return;
    this.attached = true;
    const tracks = this.tracks();
    for (const kind of ['audio', 'video'] as const) {
      const t = tracks[kind];
      if (t) this.senders[kind] = this.pc.addTrack(t, this.localStream);
    }
  }

  /** ICE that never came up (lost signals, a wedged gathering): start over. */
  private checkStalled(): void {
    const s = this.pc.connectionState;
    if (s === 'new' || s === 'connecting') {
      if (this.attached && this.pc.signalingState === 'stable') {
        this.pc.restartIce();
      } else if (this.attached && this.pc.signalingState === 'have-local-offer') {
        // Our offer was lost, or ignored by the far side in a collision it
        // won: take it back and offer again with fresh ICE.
        this.pc
          .setLocalDescription({ type: 'rollback' })
          .then(() => this.pc.restartIce())
          .catch(() => {});
      }
      this.later(STALLED_MS, () => this.checkStalled());
    }
  }

  private onState(): void {
    const s = this.pc.connectionState;
    if (this.disconnectedTimer !== null && s !== 'disconnected') {
      clearTimeout(this.disconnectedTimer);
      this.timers.delete(this.disconnectedTimer);
      this.disconnectedTimer = null;
    }
    if (s === 'failed') {
      this.pc.restartIce();
    } else if (s === 'disconnected' && this.disconnectedTimer === null) {
      // Often a blip that ICE recovers from by itself; restart only if not.
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.disconnectedTimer = null;
        if (!this.closed && this.pc.connectionState === 'disconnected') this.pc.restartIce();
      }, DISCONNECTED_GRACE_MS);
      this.timers.add(t);
      this.disconnectedTimer = t;
    }
    this.changed();
  }

  async handleSignal(data: SignalData): Promise<void> {
    const pc = this.pc;
    try {
      if (data.description) {
        const description = data.description;
        // An offer collides when we are making one or are not stable,
        // unless we are only applying an answer to our own offer.
        const readyForOffer =
          !this.makingOffer && (pc.signalingState === 'stable' || this.isSettingRemoteAnswerPending);
        const offerCollision = description.type === 'offer' && !readyForOffer;
        this.ignoreOffer = !this.polite && offerCollision;
        if (this.ignoreOffer) return;
        this.isSettingRemoteAnswerPending = description.type === 'answer';
        // For the polite side this rolls back its own offer implicitly.
        await pc.setRemoteDescription(description);
        this.isSettingRemoteAnswerPending = false;
        if (description.type === 'offer') {
          // The newcomer's offer: our tracks take the transceivers it
          // created, so the answer already sends both ways.
          this.attach();
          await pc.setLocalDescription();
          if (pc.localDescription) this.sendSignal({ description: pc.localDescription.toJSON() });
        }
      } else if (data.candidate) {
        try {
          await pc.addIceCandidate(data.candidate);
        } catch (err) {
          // Candidates of an offer we ignored are expected to fail.
          if (!this.ignoreOffer) throw err;
        }
      }
    } catch (err) {
      this.isSettingRemoteAnswerPending = false;
      if (!this.closed) console.warn('tertulia: signal from', this.id, 'failed', err);
    }
  }

  /** Sends `track` (or nothing) as this peer's `kind`. */
  async setTrack(kind: Kind, track: MediaStreamTrack | null): Promise<void> {
    // Not attached yet: `attach` will read the current tracks.
    if (!this.attached) return;
    const sender = this.senders[kind];
    if (sender) {
      if (sender.track !== track) await sender.replaceTrack(track);
    } else if (track) {
      // The first track of this kind: negotiationneeded follows.
      this.senders[kind] = this.pc.addTrack(track, this.localStream);
    }
  }

  /**
   * After either side's socket came back: signals may have been lost while
   * it was down, so a connection that is not up gets a fresh offer with new
   * ICE credentials.
   */
  async kick(): Promise<void> {
    if (this.closed || this.pc.connectionState === 'connected') return;
    this.attach();
    try {
      if (this.pc.signalingState === 'have-local-offer') {
        await this.pc.setLocalDescription({ type: 'rollback' });
      }
      this.pc.restartIce();
    } catch (err) {
      console.warn('tertulia: ICE restart failed', err);
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pc.onnegotiationneeded = this.pc.onicecandidate = this.pc.ontrack = null;
    this.pc.onconnectionstatechange = null;
    this.pc.close();
  }
}

export class Mesh {
  private readonly peers = new Map<string, Peer>();
  /** Per remote participant: connection state and received stream, for the UI. */
  readonly view = signal<ReadonlyMap<string, PeerView>>(new Map());
  // One stream id for everything we send, so the far side groups our
  // audio and video (msid).
  private readonly localStream = new MediaStream();
  private readonly tracks: Record<Kind, MediaStreamTrack | null> = { audio: null, video: null };
  /** Connections kept for participants missing from our rejoin's list. */
  private readonly orphans = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(private readonly opts: MeshOptions) {}

  get selfId(): string {
    return this.opts.selfId;
  }

  /**
   * Brings the set of connections in line with the room: one per connected
   * participant; a participant whose page reloaded (new `session`) gets a
   * new one; one that left loses it. A participant within its reconnect
   * grace (`connected: false`, same session) keeps its connection.
   *
   * `newcomer`: true when the list comes from our own (re)join, so that we
   * are the one arriving and offer first; false for an arrival announced to
   * us, whose offer we wait for.
   */
  reconcile(others: readonly Participant[], newcomer: boolean): void {
    const wanted = new Map(others.map((p) => [p.id, p]));
    for (const [id, peer] of this.peers) {
      const p = wanted.get(id);
      if (p && p.session === peer.session) {
        this.adopt(id);
      } else if (!p && (newcomer || this.orphans.has(id))) {
        // Missing from the list of our own rejoin: the server may have lost
        // the room (a restart) and not seen them back yet. Keep the
        // connection a while; their own rejoin brings them back with the
        // same session and the media never stopped.
        this.orphan(id);
      } else {
        this.remove(id);
      }
    }
    for (const p of others) {
      if (p.connected && !this.peers.has(p.id)) this.add(p, newcomer);
    }
    this.publish();
  }

  handleSignal(from: string, data: SignalData): void {
    let peer = this.peers.get(from);
    // A signal can only come from a connected participant we know of; one
    // from a connection we just closed is stale.
    if (!peer) return;
    if (data.pc && peer.remoteTag !== null && data.pc !== peer.remoteTag) {
      // Another connection on the far side. Its offer means it dropped the
      // one we share (a participant list that briefly lacked us, after the
      // server lost the room): start a fresh one to answer it. Anything
      // else from an unknown connection is stale.
      if (data.description?.type !== 'offer') return;
      this.remove(from);
      peer = this.add({ id: from, session: peer.session }, false);
      this.publish();
    }
    if (data.pc && peer.remoteTag === null) peer.remoteTag = data.pc;
    void peer.handleSignal(data);
  }

  setTrack(kind: Kind, track: MediaStreamTrack | null): void {
    if (this.tracks[kind] === track) return;
    this.tracks[kind] = track;
    for (const peer of this.peers.values()) {
      peer.setTrack(kind, track).catch((err) => console.warn('tertulia: replaceTrack failed', err));
    }
  }

  /**
   * Fresh TURN credentials (each `joined` brings some): for connections made
   * from now on, and for ICE restarts of the existing ones.
   */
  setIceServers(iceServers: RTCIceServer[]): void {
    this.opts.iceServers = iceServers;
    for (const peer of this.peers.values()) {
      try {
        peer.pc.setConfiguration({ ...peer.pc.getConfiguration(), iceServers });
      } catch (err) {
        console.warn('tertulia: cannot update ICE servers', err);
      }
    }
  }

  /** They left (`participant-left`): no grace for their connection. */
  drop(id: string): void {
    this.remove(id);
    this.publish();
  }

  kick(id?: string): void {
    for (const [pid, peer] of this.peers) if (id === undefined || id === pid) void peer.kick();
  }

  closeAll(): void {
    for (const id of [...this.peers.keys()]) this.remove(id);
    this.publish();
  }

  private orphan(id: string): void {
    if (this.orphans.has(id)) return;
    this.orphans.set(
      id,
      setTimeout(() => {
        this.orphans.delete(id);
        this.remove(id);
        this.publish();
      }, ORPHAN_MS),
    );
  }

  private adopt(id: string): void {
    const t = this.orphans.get(id);
    if (t !== undefined) clearTimeout(t);
    this.orphans.delete(id);
  }

  private add(p: Pick<Participant, 'id' | 'session'>, initiate: boolean): Peer {
    const peer = new Peer(p.id, p.session, this.opts, this.localStream, () => this.tracks, initiate, () => this.publish());
    this.peers.set(p.id, peer);
    hook.peers.set(p.id, peer.pc);
    return peer;
  }

  private remove(id: string): void {
    this.adopt(id);
    const peer = this.peers.get(id);
    if (!peer) return;
    peer.close();
    this.peers.delete(id);
    if (hook.peers.get(id) === peer.pc) hook.peers.delete(id);
  }

  private publish(): void {
    const view = new Map<string, PeerView>();
    for (const [id, peer] of this.peers) view.set(id, { state: peer.state, stream: peer.stream });
    this.view.value = view;
  }
}
