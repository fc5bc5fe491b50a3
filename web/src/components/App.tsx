import { useEffect, useMemo } from 'preact/hooks';
import { Call } from '../call';
import { route } from '../router';
import { Ended } from './Ended';
import { Landing } from './Landing';
import { PreJoin } from './PreJoin';
import { Room } from './Room';

export function App() {
  const r = route.value;
  if (r.page === 'room') return <RoomPage key={r.room} room={r.room} />;
  if (r.page === 'not-found') return <Landing notFound={r.path} />;
  return <Landing />;
}

/** One Call per visit to a room page; leaving the page ends it. */
function RoomPage({ room }: { room: string }) {
  const call = useMemo(() => new Call(room), [room]);
  useEffect(() => {
    document.title = `${room} · Tertulia`;
    return () => {
      call.dispose();
      document.title = 'Tertulia';
    };
  }, [call, room]);
  const phase = call.phase.value;
  if (phase === 'prejoin' || phase === 'joining') return <PreJoin call={call} />;
  if (phase === 'in-room') return <Room call={call} />;
  return <Ended call={call} />;
}
