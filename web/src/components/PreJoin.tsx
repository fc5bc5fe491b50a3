import { useEffect, useState } from 'preact/hooks';
import { loadName, loadToken } from '../api';
import type { Call, Notice } from '../call';
import type { LocalMedia, MediaErrorCode } from '../media';
import { initials } from '../names';
import { navigate } from '../router';
import { DeviceSelect } from './DeviceSelect';
import { Icon } from './Icons';
import { Video } from './Video';

const MEDIA_TEXT: Record<MediaErrorCode, string> = {
  permission_denied: 'blocked by the browser',
  no_device: 'not found',
  device_busy: 'in use by another application',
  unsupported: 'not available on this page (it needs https)',
  failed: 'not working',
};

/** The most useful thing to say about the devices, or null when all is well. */
export function mediaNotice(media: LocalMedia): Notice | null {
  const mic = media.micError.value;
  const cam = media.camError.value;
  if (!mic && !cam) return null;
  const code = mic === 'permission_denied' || cam === 'permission_denied' ? 'permission_denied' : (mic ?? cam)!;
  let what: string;
  if (mic && cam && mic === cam) what = `Camera and microphone are ${MEDIA_TEXT[mic]}.`;
  else
    what = [mic ? `Microphone ${MEDIA_TEXT[mic]}.` : '', cam ? `Camera ${MEDIA_TEXT[cam]}.` : '']
      .filter(Boolean)
      .join(' ');
  const help =
    code === 'permission_denied'
      ? ' Allow them in the browser’s site settings and reload, or join without them.'
      : ' You can still join and turn them on later.';
  return { code, message: what + help };
}

export function PreJoin({ call }: { call: Call }) {
  const media = call.media;
  const [name, setName] = useState(() => loadName() || loadToken(call.room)?.participant.name || '');
  const [password, setPassword] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => call.startPreview(), [call]);

  const joining = call.phase.value === 'joining';
  // Wanted but unavailable (refused, missing) shows as off: that is what
  // the others would get.
  const micOn = media.micOn.value && !(media.micError.value && !media.mic.value);
  const camOn = media.camOn.value && !(media.camError.value && !media.cam.value);
  const preview = media.previewStream.value;
  const notice = call.joinError.value ?? mediaNotice(media);
  const isJoinError = call.joinError.value !== null;

  const submit = (e: Event) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) {
      setNameError('Type the name the others will see.');
      return;
    }
    if (Array.from(n).length > 64) {
      setNameError('Names are at most 64 characters.');
      return;
    }
    void call.join(n, password);
  };

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
    <main class="prejoin">
      <header class="prejoin-head">
        <button type="button" class="btn btn-ghost" onClick={() => navigate('/')}>
          ← Tertulia
        </button>
      </header>
      <div class="prejoin-body">
        <section class="preview-box" aria-label="Camera preview">
          <Video stream={preview} muted mirror testid="preview" />
          {!preview && (
            <div class="avatar avatar-large" aria-hidden="true">
              <span>{initials(name)}</span>
            </div>
          )}
          <div class="preview-controls">
            <button
              type="button"
              class={`round ${micOn ? '' : 'off'}`}
              data-testid="prejoin-mic"
              aria-pressed={micOn ? 'true' : 'false'}
              aria-label={micOn ? 'Turn microphone off' : 'Turn microphone on'}
              title={micOn ? 'Microphone on' : 'Microphone off'}
              onClick={() => void media.setMic(!micOn)}
            >
              <Icon name={micOn ? 'mic' : 'micOff'} />
            </button>
            <button
              type="button"
              class={`round ${camOn ? '' : 'off'}`}
              data-testid="prejoin-cam"
              aria-pressed={camOn ? 'true' : 'false'}
              aria-label={camOn ? 'Turn camera off' : 'Turn camera on'}
              title={camOn ? 'Camera on' : 'Camera off'}
              onClick={() => void media.setCam(!camOn)}
            >
              <Icon name={camOn ? 'cam' : 'camOff'} />
            </button>
          </div>
        </section>
        <form class="prejoin-form" onSubmit={submit} noValidate>
          <h1 class="room-title">
            <span class="muted-text">Room</span> {call.room}
          </h1>
          <button type="button" class="btn btn-ghost btn-small copy" onClick={copyLink}>
            <Icon name="link" size={18} /> {copied ? 'Link copied' : 'Copy link'}
          </button>
          <label class="field">
            <span>Your name</span>
            <input
              class="input"
              data-testid="display-name"
              type="text"
              autoComplete="name"
              maxLength={64}
              value={name}
              onInput={(e) => {
                setName(e.currentTarget.value);
                setNameError(null);
              }}
            />
          </label>
          {nameError && <p class="form-error">{nameError}</p>}
          <label class="field">
            <span>Room password (only if it has one)</span>
            <input
              class="input"
              data-testid="password"
              type="password"
              autoComplete="off"
              maxLength={64}
              value={password}
              onInput={(e) => setPassword(e.currentTarget.value)}
            />
          </label>
          <div class="device-row">
            <DeviceSelect media={media} kind="audio" testid="mic-select" />
            <DeviceSelect media={media} kind="video" testid="cam-select" />
          </div>
          {notice && (
            <p
              class={isJoinError ? 'notice notice-error' : 'notice notice-warn'}
              data-testid="join-error"
              data-code={notice.code}
              role="alert"
            >
              {notice.message}
            </p>
          )}
          <button type="submit" class="btn btn-primary btn-wide" data-testid="join" disabled={joining}>
            {joining ? 'Joining…' : 'Join'}
          </button>
        </form>
      </div>
    </main>
  );
}
