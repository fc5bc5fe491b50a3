import type { Kind, LocalMedia } from '../media';

interface Props {
  media: LocalMedia;
  kind: Kind;
  testid: string;
}

/** A device picker; changing it swaps the live track (and what peers receive). */
export function DeviceSelect({ media, kind, testid }: Props) {
  const devices = (kind === 'audio' ? media.mics : media.cams).value;
  const track = (kind === 'audio' ? media.mic : media.cam).value;
  const chosen = (kind === 'audio' ? media.micId : media.camId).value;
  // The device actually in use wins over the remembered choice.
  const current = track?.getSettings().deviceId ?? chosen;
  const label = kind === 'audio' ? 'Microphone' : 'Camera';
  return (
    <label class="field">
      <span>{label}</span>
      <select
        class="input"
        data-testid={testid}
        value={devices.some((d) => d.deviceId === current) ? current : ''}
        disabled={devices.length === 0}
        onChange={(e) => void media.selectDevice(kind, e.currentTarget.value)}
      >
        {devices.length === 0 && <option value="">{kind === 'audio' ? 'No microphone' : 'No camera'}</option>}
        {devices.length > 0 && !devices.some((d) => d.deviceId === current) && <option value="">Default</option>}
        {devices.map((d, i) => (
          <option key={d.deviceId} value={d.deviceId}>
            {d.label || `${label} ${i + 1}`}
          </option>
        ))}
      </select>
    </label>
  );
}
