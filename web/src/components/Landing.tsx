import { useState } from 'preact/hooks';
import { randomRoomName, roomFromInput } from '../names';
import { navigate, roomPath } from '../router';
import { Icon } from './Icons';

export function Landing({ notFound }: { notFound?: string }) {
  const [input, setInput] = useState('');
  const [error, setError] = useState<string | null>(
    notFound ? 'That address is not a room. Room names use letters, digits, “-” and “_”.' : null,
  );

  const join = (e: Event) => {
    e.preventDefault();
    const room = roomFromInput(input);
    if (!room) {
      setError(
        input.trim()
          ? 'That is not a room name or link. Room names are 1–64 letters, digits, “-” or “_”.'
          : 'Type a room name or paste a link to a room.',
      );
      return;
    }
    navigate(roomPath(room));
  };

  return (
    <main class="landing">
      <div class="landing-card">
        <div class="brand">
          <span class="brand-mark" aria-hidden="true">
            <Icon name="cam" size={28} />
          </span>
          <h1>Tertulia</h1>
        </div>
        <p class="tagline">Meet face to face in your browser, on your own server. No account, no install.</p>
        <button type="button" class="btn btn-primary btn-wide" data-testid="create-room" onClick={() => navigate(roomPath(randomRoomName()))}>
          Create a room
        </button>
        <div class="divider">
          <span>or join one</span>
        </div>
        <form class="join-form" onSubmit={join} noValidate>
          <label class="sr-only" for="room-name">
            Room name or link
          </label>
          <input
            id="room-name"
            data-testid="room-name"
            class="input"
            type="text"
            inputMode="url"
            autoComplete="off"
            autoCapitalize="off"
            spellcheck={false}
            placeholder="Room name or link"
            value={input}
            onInput={(e) => {
              setInput(e.currentTarget.value);
              setError(null);
            }}
          />
          <button type="submit" class="btn" data-testid="join-room">
            Join
          </button>
        </form>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
      </div>
    </main>
  );
}
