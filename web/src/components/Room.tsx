import { useEffect, useState } from 'preact/hooks';
import type { Call } from '../call';
import { ChatPanel } from './ChatPanel';
import { Controls, type Panel } from './Controls';
import { ElementsBar, FocusedElement } from './Elements';
import { Icon } from './Icons';
import { ParticipantsPanel } from './ParticipantsPanel';
import { SettingsPanel } from './SettingsPanel';
import { Tile } from './Tile';

/** True when a key press belongs to a text field, not to the shortcuts. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !['button', 'checkbox', 'radio', 'range', 'submit', 'reset', 'color', 'file'].includes(target.type);
  }
  return false;
}

function useShortcuts(call: Call) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || e.repeat || typing(e.target)) return;
      if (e.key === 'm' || e.key === 'M') {
        e.preventDefault();
        call.toggleMic();
      } else if (e.key === 'v' || e.key === 'V') {
        e.preventDefault();
        call.toggleCam();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [call]);
}

function Banners({ call }: { call: Call }) {
  const ws = call.wsState.value;
  const trouble = call.iceTrouble.value;
  const error = call.roomError.value;
  const mute = call.muteRequest.value;
  const screenError = call.media.screenError.value;
  const mediaTrouble = call.media.micError.value ?? call.media.camError.value;
  let reconnecting: string | null = null;
  if (ws === 'reconnecting' || ws === 'connecting') reconnecting = 'Connection lost. Reconnecting…';
  else if (trouble.length > 0) reconnecting = `Reconnecting to ${trouble.map((p) => p.name).join(', ')}…`;
  return (
    <div class="banners" aria-live="polite">
      {reconnecting && (
        <div class="banner banner-warn" data-testid="reconnecting" role="status">
          <span class="spinner" aria-hidden="true" /> {reconnecting}
        </div>
      )}
      {mute && (
        <div class="banner banner-info" data-testid="mute-request" role="status">
          {mute.kind === 'mic' ? 'A moderator muted your microphone.' : 'A moderator turned your camera off.'}
          <button type="button" class="link-btn" onClick={() => (call.muteRequest.value = null)}>
            OK
          </button>
        </div>
      )}
      {error && (
        <div class="banner banner-error" data-testid="room-error" data-code={error.code} role="alert">
          {error.message}
          <button type="button" class="link-btn" onClick={() => (call.roomError.value = null)}>
            Dismiss
          </button>
        </div>
      )}
      {screenError && (
        <div class="banner banner-error" role="alert">
          {screenError}
          <button type="button" class="link-btn" onClick={() => (call.media.screenError.value = null)}>
            Dismiss
          </button>
        </div>
      )}
      {mediaTrouble === 'device_busy' && (
        <div class="banner banner-warn" role="status">
          A camera or microphone is in use by another application.
        </div>
      )}
    </div>
  );
}

function Reactions({ call }: { call: Call }) {
  return (
    <div class="reactions" aria-hidden="true">
      {call.reactions.value.map((r) => (
        <div key={r.key} class="reaction-float" style={{ left: `${r.left}%` }}>
          <span class="reaction-emoji" data-testid="reaction">
            {r.emoji}
          </span>
          {r.name && <span class="reaction-name">{r.name}</span>}
        </div>
      ))}
    </div>
  );
}

function Grid({ call }: { call: Call }) {
  const state = call.store.state.value;
  const mesh = call.mesh.value;
  const view = mesh?.view.value;
  const media = call.media;
  const selfMedia = {
    mic: media.micOn.value && !!media.mic.value,
    cam: media.camOn.value && !!media.cam.value,
    screen: !!media.screen.value,
  };
  const preview = media.previewStream.value;
  const n = state.participants.length;
  return (
    <div class={`grid n${Math.min(n, 9)}`}>
      {state.participants.map((p) => {
        const self = p.id === state.selfId;
        const pv = view?.get(p.id);
        return (
          <Tile
            key={self ? 'self' : `${p.id}:${p.session}`}
            participant={p}
            self={self}
            media={self ? selfMedia : p.media}
            stream={self ? preview : (pv?.stream ?? null)}
            peerState={self ? undefined : pv?.state}
          />
        );
      })}
    </div>
  );
}

export function Room({ call }: { call: Call }) {
  const [panel, setPanel] = useState<Panel>(null);
  const [copied, setCopied] = useState(false);
  useShortcuts(call);
  useEffect(() => call.elements.start(), [call]);
  const state = call.store.state.value;
  const layout = call.elements.layout.value;
  const focused = !!layout?.elements.some((e) => e.id === layout.focus);
  const close = () => setPanel(null);

  const copyLink = () => {
    navigator.clipboard?.writeText(location.origin + location.pathname).then(
      () => {
        setCopied(true);
        setTimeout(() => setCopied(false), 2000);
      },
      () => {},
    );
  };

  return (
    <div class={`room${panel ? ' with-panel' : ''}`}>
      <header class="topbar">
        <div class="topbar-title">
          <span class="room-name" title={call.room}>
            {call.room}
          </span>
          {state.room.locked && (
            <span class="topbar-flag" title="Locked">
              <Icon name="lock" size={16} />
            </span>
          )}
          <span class="muted-text count">
            {state.participants.length}/{state.room.maxParticipants}
          </span>
        </div>
        <div class="topbar-actions">
          <button type="button" class="btn btn-ghost btn-small" onClick={copyLink} aria-label="Copy the room link">
            <Icon name="link" size={18} />
            <span class="hide-narrow">{copied ? 'Copied' : 'Copy link'}</span>
          </button>
          <button
            type="button"
            class="icon-btn"
            data-testid="open-settings"
            aria-label="Devices"
            aria-pressed={panel === 'settings' ? 'true' : 'false'}
            onClick={() => setPanel(panel === 'settings' ? null : 'settings')}
          >
            <Icon name="tune" />
          </button>
        </div>
      </header>
      <main class={`stage${focused ? ' has-focus' : ''}`}>
        <Banners call={call} />
        <ElementsBar call={call} />
        <FocusedElement call={call} />
        <Grid call={call} />
        <Reactions call={call} />
      </main>
      {panel === 'chat' && <ChatPanel call={call} onClose={close} />}
      {panel === 'people' && <ParticipantsPanel call={call} onClose={close} />}
      {panel === 'settings' && <SettingsPanel call={call} onClose={close} />}
      <Controls call={call} panel={panel} setPanel={setPanel} />
    </div>
  );
}
