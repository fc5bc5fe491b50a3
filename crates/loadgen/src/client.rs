//! The IO shell around one [`Session`]: join, connect, set up, wait for
//! the start signal, submit at the configured rate until the window ends,
//! keep listening through the drain, close. One task per simulated client;
//! every await that waits on the server is bounded by a deadline.

use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::{Instant, sleep_until, timeout, timeout_at};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{WebSocketStream, client_async_with_config};

use crate::config::{COLLECTION, Config, Targets};
use crate::errors::ErrorKind;
use crate::http;
use crate::session::{PeerMap, Phase, Records, Session};

/// Bound on each network step of setup (join, TCP connect, upgrade).
const STEP_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a client waits for the document's create before asking for
/// the snapshot again.
const REFETCH_AFTER: Duration = Duration::from_secs(2);

/// Bound on handing one batch of messages to the socket.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Bound on the closing handshake.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(1);

/// Largest message accepted from the server.
const MAX_MESSAGE: usize = 1 << 20;

type Ws = WebSocketStream<TcpStream>;

/// What every client task shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub config: Config,
    pub targets: Targets,
    /// Time zero for all recorded microsecond timestamps.
    pub epoch: Instant,
    /// Setup must be finished by then.
    pub setup_deadline: Instant,
    /// Bounds the clients setting up at once, so that thousands of
    /// simultaneous connects do not overflow the server's accept backlog.
    pub setup_slots: Semaphore,
}

impl Shared {
    fn now_us(&self) -> u32 {
        // Runs are capped at an hour (`Config::validate`), far below
        // u32::MAX microseconds.
        u32::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u32::MAX)
    }
}

/// Which client this is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan {
    pub index: u32,
    pub doc: usize,
    pub creator: bool,
}

/// The start signal, with the schedule of the run.
#[derive(Debug)]
pub(crate) struct Go {
    /// Connection ids of the clients that set up, by client index.
    pub peers: Arc<PeerMap>,
    /// Which clients take part (set up in time).
    pub participants: Vec<bool>,
    pub start: Instant,
    pub window_end: Instant,
    pub stop: Instant,
}

/// A client's outcome.
#[derive(Debug)]
pub(crate) struct ClientResult {
    pub plan: Plan,
    pub participated: bool,
    pub records: Records,
    /// The version reached and the document, if no op was in flight at the
    /// end, for the convergence check.
    pub final_state: Option<(u64, Value)>,
    /// Rate ticks that found an op still in flight and a tick already
    /// pending (the npm client would have composed them into one op).
    pub late_ticks: u64,
}

/// Runs one client from setup to close.
pub(crate) async fn run_client(
    plan: Plan,
    shared: Arc<Shared>,
    ready: mpsc::Sender<(u32, Option<String>)>,
    mut go_rx: watch::Receiver<Option<Arc<Go>>>,
) -> ClientResult {
    let room = format!("load{}", plan.doc);
    let mut session = Session::new(COLLECTION, &room, plan.creator);
    let ws = match timeout_at(
        shared.setup_deadline,
        setup(plan, &shared, &room, &mut session),
    )
    .await
    {
        Ok(ws) => ws,
        Err(_) => {
            let phase = session.phase().clone();
            session.errors_mut().record(ErrorKind::SetupTimeout, || {
                format!("client {} still {phase:?}", plan.index)
            });
            None
        }
    };
    let src = ws.as_ref().and_then(|_| session.src().map(str::to_owned));
    // The coordinator outlives every client; a send can only fail if it is
    // already gone, and then there is nobody to report to.
    let _ = ready.send((plan.index, src)).await;
    drop(ready);
    let result = |session: Session, participated| {
        let final_state = session
            .settled_state()
            .filter(|_| participated)
            .map(|(v, doc)| (v, doc.clone()));
        ClientResult {
            plan,
            participated,
            records: session.into_records(),
            final_state,
            late_ticks: 0,
        }
    };
    let Some(mut ws) = ws else {
        return result(session, false);
    };

    // Keep servicing the socket until the coordinator says go. A peer's op
    // can only exist once go is out, so whatever arrives is checked against
    // go first and, if go is out, handled only after recording starts.
    let mut early = None;
    let go = loop {
        if let Some(go) = go_rx.borrow_and_update().clone() {
            break go;
        }
        tokio::select! {
            changed = go_rx.changed() => if changed.is_err() { return result(session, false) },
            message = ws.next() => {
                if let Some(go) = go_rx.borrow().clone() {
                    early = Some(message);
                    break go;
                }
                if !receive(shared.now_us(), &mut session, message) || !send_all(&mut ws, &mut session).await {
                    return result(session, false);
                }
            }
        }
    };
    if !go
        .participants
        .get(plan.index as usize)
        .copied()
        .unwrap_or(false)
    {
        close(&mut ws).await;
        return result(session, false);
    }
    session.start_recording(go.peers.clone());
    if let Some(message) = early
        && !receive(shared.now_us(), &mut session, message)
    {
        return result(session, true);
    }
    let late_ticks = load(plan, &shared, &go, &mut ws, &mut session).await;
    close(&mut ws).await;
    let mut outcome = result(session, true);
    outcome.late_ticks = late_ticks;
    outcome
}

/// Joins, connects and subscribes (creating the document if this client is
/// its creator), until the document can be edited. `None` if that failed;
/// the reason is in the session's error tally.
async fn setup(plan: Plan, shared: &Shared, room: &str, session: &mut Session) -> Option<Ws> {
    // The semaphore is never closed.
    let slot = shared.setup_slots.acquire().await.ok()?;
    let ws_target = &shared.targets.ws;
    let url = match &shared.targets.join {
        Some(api) => {
            let name = format!("load-{}", plan.index);
            match timeout(STEP_TIMEOUT, http::join(api, room, &name)).await {
                Ok(Ok(token)) => ws_target.with_token(&token),
                Ok(Err(e)) => return fail(session, ErrorKind::Join, format!("{e:#}")),
                Err(_) => return fail(session, ErrorKind::Join, "timed out".into()),
            }
        }
        None => ws_target.url.clone(),
    };
    let tcp = match timeout(STEP_TIMEOUT, TcpStream::connect(ws_target.addr)).await {
        Ok(Ok(tcp)) => tcp,
        Ok(Err(e)) if e.raw_os_error() == Some(24) => {
            return fail(
                session,
                ErrorKind::Connect,
                format!("{e}: raise the open-file limit (ulimit -n)"),
            );
        }
        Ok(Err(e)) => {
            return fail(
                session,
                ErrorKind::Connect,
                format!("{}: {e}", ws_target.addr),
            );
        }
        Err(_) => {
            return fail(
                session,
                ErrorKind::Connect,
                format!("{}: timed out", ws_target.addr),
            );
        }
    };
    // Small frames, sent at once: latency is what is being measured. Like
    // the npm client (browsers and `ws` disable Nagle too).
    if let Err(e) = tcp.set_nodelay(true) {
        return fail(session, ErrorKind::Connect, format!("TCP_NODELAY: {e}"));
    }
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    let mut ws = match timeout(
        STEP_TIMEOUT,
        client_async_with_config(url.as_str(), tcp, Some(config)),
    )
    .await
    {
        Ok(Ok((ws, _response))) => ws,
        Ok(Err(e)) => return fail(session, ErrorKind::Upgrade, format!("{e}")),
        Err(_) => return fail(session, ErrorKind::Upgrade, "timed out".into()),
    };
    // Handshake and subscribe inside the slot; waiting for another client
    // to create the document outside it, so waiters cannot starve creators.
    let mut slot = Some(slot);
    loop {
        if !send_all(&mut ws, session).await {
            return None;
        }
        match session.phase() {
            Phase::Ready => return Some(ws),
            Phase::Failed => return None,
            Phase::Creating | Phase::WaitingForDoc => drop(slot.take()),
            Phase::Handshaking | Phase::Subscribing => {}
        }
        match timeout(REFETCH_AFTER, ws.next()).await {
            Ok(message) => {
                if !receive(shared.now_us(), session, message) {
                    return None;
                }
            }
            Err(_) => session.refetch(),
        }
    }
}

fn fail(session: &mut Session, kind: ErrorKind, detail: String) -> Option<Ws> {
    session.errors_mut().record(kind, || detail);
    None
}

/// Submits at the configured rate until the window ends, then drains.
/// Returns the number of late ticks.
async fn load(plan: Plan, shared: &Shared, go: &Go, ws: &mut Ws, session: &mut Session) -> u64 {
    let config = &shared.config;
    let period = (config.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / config.rate));
    // Spread the clients' first ticks over one period so they do not all
    // submit in the same millisecond.
    let first_tick = match period {
        Some(period) => go.start + period.mul_f64(f64::from(plan.index) / config.clients as f64),
        None => go.start,
    };
    let mut next_tick = first_tick;
    let mut ticking = period.is_some() && !config.idle;
    // At rate 0 an op is always due; at a fixed rate, one per tick.
    let mut due = period.is_none();
    let mut late_ticks = 0;
    let stop = sleep_until(go.stop);
    let tick = sleep_until(next_tick);
    tokio::pin!(stop, tick);
    loop {
        // `can_submit` first: it is false whenever an op is in flight, and
        // reading the clock for every incoming message was ~2% of the run.
        if due
            && !config.idle
            && session.can_submit()
            && Instant::now() < go.window_end
            && session.submit(shared.now_us())
            && period.is_some()
        {
            due = false;
        }
        if !send_all(ws, session).await {
            break;
        }
        let wants_to_submit = due && !config.idle;
        tokio::select! {
            biased;
            () = &mut stop => break,
            open = poll_fn(|cx| receive_ready(cx, shared, session, ws, wants_to_submit)) => if !open { break },
            () = &mut tick, if ticking => {
                if due {
                    late_ticks += 1;
                }
                due = true;
                // `ticking` implies a period.
                next_tick += period.unwrap_or(Duration::MAX);
                ticking = next_tick < go.window_end;
                tick.as_mut().reset(next_tick);
            }
        }
    }
    late_ticks
}

/// Hands the session every WebSocket event the socket has ready, at least
/// one, stamped with one reading of the clock: they arrived together, and
/// a reading per message was a fiftieth of the load generator's CPU.
/// Stops early when the session has something to send, or may submit and
/// `wants_to_submit`, so that nothing waits behind the rest. Ready(false)
/// when the connection is over.
fn receive_ready(
    cx: &mut Context<'_>,
    shared: &Shared,
    session: &mut Session,
    ws: &mut Ws,
    wants_to_submit: bool,
) -> Poll<bool> {
    let mut now = None;
    loop {
        let message = match ws.poll_next_unpin(cx) {
            Poll::Ready(message) => message,
            Poll::Pending if now.is_some() => return Poll::Ready(true),
            Poll::Pending => return Poll::Pending,
        };
        let now = *now.get_or_insert_with(|| shared.now_us());
        if !receive(now, session, message) {
            return Poll::Ready(false);
        }
        if session.has_transmit() || (wants_to_submit && session.can_submit()) {
            return Poll::Ready(true);
        }
    }
}

/// Hands an incoming WebSocket event to the session; false when the
/// connection is over.
fn receive(now: u32, session: &mut Session, message: Option<Result<Message, WsError>>) -> bool {
    match message {
        Some(Ok(Message::Text(text))) => session.handle_text(now, text.as_str()),
        Some(Ok(Message::Binary(bytes))) => match std::str::from_utf8(&bytes) {
            Ok(text) => session.handle_text(now, text),
            Err(_) => session.errors_mut().record(ErrorKind::Protocol, || {
                "binary message that is not UTF-8".into()
            }),
        },
        Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
        Some(Ok(Message::Close(frame))) => {
            session.errors_mut().record(ErrorKind::Disconnected, || {
                format!("server closed: {frame:?}")
            });
            return false;
        }
        Some(Err(e)) => {
            session
                .errors_mut()
                .record(ErrorKind::Disconnected, || format!("{e}"));
            return false;
        }
        None => {
            session
                .errors_mut()
                .record(ErrorKind::Disconnected, || "connection ended".into());
            return false;
        }
    }
    true
}

/// Sends everything the session queued; false when the socket failed.
async fn send_all(ws: &mut Ws, session: &mut Session) -> bool {
    // Most calls find nothing queued (one op per ack, many messages per
    // op); they need neither a deadline nor a flush.
    if !session.has_transmit() {
        return true;
    }
    let mut any = false;
    let sent = timeout(SEND_TIMEOUT, async {
        while let Some(text) = session.poll_transmit() {
            ws.feed(Message::text(text)).await?;
            any = true;
        }
        if any { ws.flush().await } else { Ok(()) }
    })
    .await;
    match sent {
        Ok(Ok(())) => true,
        Ok(Err(e)) => {
            session
                .errors_mut()
                .record(ErrorKind::Send, || format!("{e}"));
            false
        }
        Err(_) => {
            session
                .errors_mut()
                .record(ErrorKind::Send, || "timed out".into());
            false
        }
    }
}

async fn close(ws: &mut Ws) {
    // Best effort: the numbers are in, and the server may already be gone.
    let _ = timeout(CLOSE_TIMEOUT, ws.close(None)).await;
}
