import type { Call } from '../call';
import { navigate } from '../router';

/** After the call: left, removed by a moderator, replaced by another tab, or refused on rejoin. */
export function Ended({ call }: { call: Call }) {
  const phase = call.phase.value;
  const error = call.roomError.value;
  let body;
  if (phase === 'removed') {
    body = (
      <p class="notice notice-error" data-testid="removed-message" role="alert">
        A moderator removed you from this room.
      </p>
    );
  } else if (phase === 'replaced') {
    body = (
      <p class="notice notice-warn" data-testid="room-error" data-code="replaced" role="alert">
        You joined this room from another tab or window, so this one was disconnected.
      </p>
    );
  } else if (phase === 'ended') {
    body = (
      <p class="notice notice-error" data-testid="room-error" data-code={error?.code ?? 'ended'} role="alert">
        {error?.message ?? 'The call ended.'}
      </p>
    );
  } else {
    body = <p class="lead">You left the room.</p>;
  }
  return (
    <main class="ended">
      <div class="landing-card">
        <h1>{call.room}</h1>
        {body}
        <div class="ended-actions">
          {phase !== 'removed' && (
            // A reload starts a new page session with the same identity.
            <button type="button" class="btn btn-primary" data-testid="rejoin" onClick={() => location.reload()}>
              Rejoin
            </button>
          )}
          <button type="button" class="btn" onClick={() => navigate('/')}>
            Home
          </button>
        </div>
      </div>
    </main>
  );
}
