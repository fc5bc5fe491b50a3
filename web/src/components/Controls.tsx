import { useEffect, useRef, useState } from 'preact/hooks';
import type { Call } from '../call';
import { canShareScreen } from '../media';
import { REACTIONS } from '../protocol';
import { Icon, type IconName } from './Icons';

export type Panel = 'chat' | 'people' | 'settings' | null;

interface ToggleProps {
  testid: string;
  icon: IconName;
  label: string;
  pressed?: boolean;
  off?: boolean;
  active?: boolean;
  danger?: boolean;
  disabled?: boolean;
  badge?: number;
  badgeTestid?: string;
  onClick: () => void;
}

function ControlButton(p: ToggleProps) {
  const cls = ['round', p.off ? 'off' : '', p.active ? 'active' : '', p.danger ? 'danger' : ''].filter(Boolean).join(' ');
  return (
    <button
      type="button"
      class={cls}
      data-testid={p.testid}
      aria-pressed={p.pressed === undefined ? undefined : p.pressed ? 'true' : 'false'}
      aria-label={p.label}
      title={p.label}
      disabled={p.disabled}
      onClick={p.onClick}
    >
      <Icon name={p.icon} />
      {p.badge !== undefined && p.badge > 0 && (
        <span class="badge" data-testid={p.badgeTestid}>
          {p.badge > 99 ? '99+' : p.badge}
        </span>
      )}
    </button>
  );
}

export function Controls({ call, panel, setPanel }: { call: Call; panel: Panel; setPanel: (p: Panel) => void }) {
  const media = call.media;
  const micOn = media.micOn.value && !!media.mic.value;
  const camOn = media.camOn.value && !!media.cam.value;
  const sharing = !!media.screen.value;
  const self = call.store.self.value;
  const unread = call.store.state.value.unread;
  const [picker, setPicker] = useState(false);
  const pickerRef = useRef<HTMLDivElement>(null);

  // The emoji picker closes on any click outside it.
  useEffect(() => {
    if (!picker) return;
    const close = (e: MouseEvent) => {
      if (!pickerRef.current?.contains(e.target as Node)) setPicker(false);
    };
    document.addEventListener('click', close, true);
    return () => document.removeEventListener('click', close, true);
  }, [picker]);

  return (
    <nav class="controls" aria-label="Call controls">
      <ControlButton
        testid="toggle-mic"
        icon={micOn ? 'mic' : 'micOff'}
        label={micOn ? 'Mute microphone (m)' : 'Unmute microphone (m)'}
        pressed={micOn}
        off={!micOn}
        onClick={() => call.toggleMic()}
      />
      <ControlButton
        testid="toggle-cam"
        icon={camOn ? 'cam' : 'camOff'}
        label={camOn ? 'Turn camera off (v)' : 'Turn camera on (v)'}
        pressed={camOn}
        off={!camOn}
        onClick={() => call.toggleCam()}
      />
      <ControlButton
        testid="toggle-screen"
        icon="screen"
        label={sharing ? 'Stop sharing the screen' : 'Share the screen'}
        pressed={sharing}
        active={sharing}
        disabled={!canShareScreen()}
        onClick={() => call.toggleScreen()}
      />
      <ControlButton
        testid="raise-hand"
        icon="hand"
        label={self?.hand ? 'Lower hand' : 'Raise hand'}
        pressed={!!self?.hand}
        active={!!self?.hand}
        onClick={() => call.toggleHand()}
      />
      <div class="picker-anchor" ref={pickerRef}>
        <ControlButton testid="react" icon="smile" label="React" pressed={picker} onClick={() => setPicker(!picker)} />
        {picker && (
          <div class="emoji-picker" role="menu" aria-label="Reactions">
            {REACTIONS.map((emoji) => (
              <button
                type="button"
                role="menuitem"
                class="emoji-btn"
                data-testid="react-emoji"
                data-emoji={emoji}
                aria-label={`React ${emoji}`}
                onClick={() => {
                  call.react(emoji);
                  setPicker(false);
                }}
              >
                {emoji}
              </button>
            ))}
          </div>
        )}
      </div>
      <ControlButton
        testid="open-chat"
        icon="chat"
        label="Chat"
        pressed={panel === 'chat'}
        active={panel === 'chat'}
        badge={unread}
        badgeTestid="chat-unread"
        onClick={() => setPanel(panel === 'chat' ? null : 'chat')}
      />
      <ControlButton
        testid="open-participants"
        icon="people"
        label="Participants"
        pressed={panel === 'people'}
        active={panel === 'people'}
        onClick={() => setPanel(panel === 'people' ? null : 'people')}
      />
      <ControlButton testid="leave" icon="leave" label="Leave the room" danger onClick={() => call.leave()} />
    </nav>
  );
}
