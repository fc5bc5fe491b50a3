import { watchFirstFrame } from '../hook';
import { initials } from '../names';
import type { MediaState, Participant } from '../protocol';
import { Icon } from './Icons';
import { Video } from './Video';

interface Props {
  participant: Participant;
  self: boolean;
  /** For oneself: what is really on locally, ahead of the server's echo. */
  media: MediaState;
  stream: MediaStream | null;
  /** The remote connection's state; undefined for oneself. */
  peerState?: RTCPeerConnectionState | undefined;
}

export function Tile({ participant: p, self, media, stream, peerState }: Props) {
  const showVideo = !!stream && (media.cam || media.screen);
  let status: string | null = null;
  if (!self) {
    if (!p.connected) status = 'Reconnecting…';
    else if (peerState === 'disconnected' || peerState === 'failed') status = 'Reconnecting…';
    else if (peerState !== 'connected') status = 'Connecting…';
  }
  return (
    <div
      class={`tile${media.screen ? ' screen' : ''}`}
      data-testid="tile"
      data-participant={p.id}
      data-self={self ? 'true' : undefined}
    >
      {/* Remote audio plays from this element, so it stays mounted (and
          unmuted) even while the camera is off. */}
      <Video
        stream={stream}
        muted={self}
        mirror={self && !media.screen}
        contain={media.screen}
        onStream={self ? undefined : watchFirstFrame}
      />
      {!showVideo && (
        <div class="avatar" aria-hidden="true">
          <span>{initials(p.name)}</span>
        </div>
      )}
      {p.hand && (
        <div class="hand-badge" data-testid="hand-indicator" title="Hand raised" aria-label="Hand raised">
          ✋
        </div>
      )}
      {status && <div class="tile-status">{status}</div>}
      <div class="tile-label">
        {!media.mic && (
          <span class="tile-icon" data-testid="muted-indicator" title="Microphone off" aria-label="Microphone off">
            <Icon name="micOff" size={16} />
          </span>
        )}
        {media.screen && (
          <span class="tile-icon presenting" title="Sharing the screen" aria-label="Sharing the screen">
            <Icon name="screen" size={16} />
          </span>
        )}
        {!media.cam && (
          <span class="tile-icon" data-testid="cam-off" title="Camera off" aria-label="Camera off">
            <Icon name="camOff" size={16} />
          </span>
        )}
        <span class="tile-name" data-testid="tile-name">
          {p.name}
        </span>
        {self && <span class="tile-you">(you)</span>}
        {p.role === 'moderator' && <span class="tile-role">host</span>}
      </div>
    </div>
  );
}
