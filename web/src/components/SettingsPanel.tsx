import type { Call } from '../call';
import { DeviceSelect } from './DeviceSelect';
import { Icon } from './Icons';

/** Device switching during the call: the new track replaces the old one on every connection. */
export function SettingsPanel({ call, onClose }: { call: Call; onClose: () => void }) {
  return (
    <aside class="panel" aria-label="Settings">
      <header class="panel-head">
        <h2>Devices</h2>
        <button type="button" class="icon-btn" aria-label="Close settings" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <div class="panel-body">
        <DeviceSelect media={call.media} kind="audio" testid="settings-mic-select" />
        <DeviceSelect media={call.media} kind="video" testid="settings-cam-select" />
        <p class="muted-text small">Keyboard: m mutes the microphone, v turns the camera on or off.</p>
      </div>
    </aside>
  );
}
