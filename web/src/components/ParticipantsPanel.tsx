import { useState } from 'preact/hooks';
import type { Call } from '../call';
import { initials } from '../names';
import type { Participant } from '../protocol';
import { Icon } from './Icons';

function Row({ call, p, self, moderator }: { call: Call; p: Participant; self: boolean; moderator: boolean }) {
  return (
    <li class="person" data-testid="participant-row" data-participant={p.id}>
      <span class="avatar avatar-small" aria-hidden="true">
        {initials(p.name)}
      </span>
      <span class="person-name">
        {p.name}
        {self && <span class="muted-text"> (you)</span>}
        {p.role === 'moderator' && <span class="tile-role">host</span>}
        {!p.connected && <span class="muted-text"> · reconnecting</span>}
      </span>
      <span class="person-state">
        {p.hand && (
          <span title="Hand raised" aria-label="Hand raised">
            ✋
          </span>
        )}
        <span title={p.media.mic ? 'Microphone on' : 'Microphone off'} class={p.media.mic ? '' : 'dim'}>
          <Icon name={p.media.mic ? 'mic' : 'micOff'} size={18} />
        </span>
        <span title={p.media.cam ? 'Camera on' : 'Camera off'} class={p.media.cam ? '' : 'dim'}>
          <Icon name={p.media.cam ? 'cam' : 'camOff'} size={18} />
        </span>
      </span>
      {moderator && !self && (
        <span class="person-mod">
          <button
            type="button"
            class="btn btn-small"
            data-testid="mod-mute"
            title={`Ask ${p.name} to mute`}
            onClick={() => call.askMute(p.id, 'mic')}
          >
            Mute
          </button>
          <button
            type="button"
            class="btn btn-small btn-danger"
            data-testid="mod-remove"
            title={`Remove ${p.name} from the room`}
            onClick={() => call.remove(p.id)}
          >
            Remove
          </button>
        </span>
      )}
    </li>
  );
}

function RoomControls({ call }: { call: Call }) {
  const room = call.store.state.value.room;
  const [password, setPassword] = useState('');
  return (
    <section class="room-controls" aria-label="Room settings">
      <h3>Room</h3>
      <button
        type="button"
        class={`btn btn-wide toggle${room.locked ? ' on' : ''}`}
        data-testid="mod-lock"
        aria-pressed={room.locked ? 'true' : 'false'}
        onClick={() => call.setLocked(!room.locked)}
      >
        <Icon name={room.locked ? 'lock' : 'lockOpen'} size={18} />
        {room.locked ? 'Locked: nobody new can join' : 'Lock the room'}
      </button>
      <form
        class="password-form"
        onSubmit={(e) => {
          e.preventDefault();
          const pw = password.trim();
          if (!pw) return;
          call.setRoomPassword(pw);
          setPassword('');
        }}
      >
        <label class="sr-only" for="mod-password">
          Room password
        </label>
        <input
          id="mod-password"
          class="input"
          data-testid="mod-password-input"
          type="password"
          autoComplete="new-password"
          maxLength={64}
          placeholder={room.hasPassword ? 'New password' : 'Set a password'}
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" class="btn btn-small" data-testid="mod-password-set">
          Set
        </button>
      </form>
      {room.hasPassword && (
        <p class="room-status">
          <Icon name="key" size={16} /> This room has a password.{' '}
          <button type="button" class="link-btn" data-testid="mod-password-clear" onClick={() => call.setRoomPassword(null)}>
            Remove it
          </button>
        </p>
      )}
    </section>
  );
}

export function ParticipantsPanel({ call, onClose }: { call: Call; onClose: () => void }) {
  const state = call.store.state.value;
  const self = call.store.self.value;
  const moderator = self?.role === 'moderator';
  const { room } = state;
  return (
    <aside class="panel" aria-label="Participants">
      <header class="panel-head">
        <h2>
          People <span class="muted-text">{state.participants.length}/{room.maxParticipants}</span>
        </h2>
        <button type="button" class="icon-btn" aria-label="Close participants" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <ul class="people">
        {state.participants.map((p) => (
          <Row key={p.id} call={call} p={p} self={p.id === state.selfId} moderator={moderator} />
        ))}
      </ul>
      {moderator ? (
        <RoomControls call={call} />
      ) : (
        (room.locked || room.hasPassword) && (
          <p class="room-status">
            <Icon name="lock" size={16} /> {room.locked ? 'The room is locked.' : 'The room has a password.'}
          </p>
        )
      )}
    </aside>
  );
}
