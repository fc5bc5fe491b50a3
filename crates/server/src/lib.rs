//! Tertulia's network shell: the axum application behind `tertulia serve`.
//!
//! # Map
//! - [`config`]: [`ServeConfig`], every setting as flag and env variable.
//! - [`auth`]: HS256 room tokens and the persisted secret.
//! - [`rooms`]: room names and `POST /api/rooms/{room}/join` (admission by
//!   the room's task, token, ICE servers).
//! - [`turn`]: TURN REST credentials for coturn.
//! - [`web`]: the embedded browser client and its security headers.
//! - [`metrics`]: `GET /metrics` in Prometheus's format.
//! - [`lag`]: a watch on the runtime: how late a timer fires, as a metric,
//!   and a logged warning for a stall.
//! - [`convert`]: office documents to PDF with LibreOffice, in the
//!   background; `GET /api/conversions/{sha256}`.
//! - [`uploads`]: `POST /api/rooms/{room}/uploads` and `GET /blobs/{sha256}`.
//! - [`ws`]: `GET /ws`, the WebSocket shell around a `sync::Session`, with
//!   per-address connection limits, pings and close codes.
//! - this file: the router, start-up and graceful shutdown.
//!
//! # Invariants
//! - Only this crate knows HTTP and WebSockets; the sync layer sees text
//!   messages in and a queue of messages out.
//! - Shutdown stops accepting, closes every socket with 1001, lets every
//!   document finish its in-flight commits, and flushes the store, all under
//!   one deadline.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod config;
pub mod convert;
pub mod lag;
pub mod metrics;
pub mod rooms;
pub mod turn;
pub mod uploads;
pub mod web;
pub mod ws;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use tokio::sync::watch;

pub use config::ServeConfig;

/// Shared by every request handler.
#[derive(Clone)]
pub struct AppState {
    /// The configuration.
    pub config: Arc<ServeConfig>,
    /// Token signing.
    pub tokens: auth::Tokens,
    /// Open documents.
    pub docs: sync::Docs,
    /// Presence channels.
    pub presence: sync::Presence,
    /// Connections per address.
    pub per_ip: Arc<ws::PerIp>,
    /// Room tasks: roster, moderation, chat, signaling.
    pub rooms: room::Rooms,
    /// Uploaded content.
    pub blobs: blobs::Blobs,
    /// Office-to-PDF conversions.
    pub converter: convert::Converter,
    /// True once shutdown has begun.
    pub shutdown: watch::Receiver<bool>,
    /// Open WebSocket connections.
    pub connections: Arc<AtomicUsize>,
    /// The web client's Content-Security-Policy (`web::csp`).
    pub csp: axum::http::HeaderValue,
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    use rand::RngCore;
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The application's routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics::render))
        .route("/api/rooms/{room}/join", post(rooms::join))
        .route("/ws", get(ws::upgrade))
        .route(
            "/api/rooms/{room}/uploads",
            post(uploads::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        )
        .route("/blobs/{sha256}", get(uploads::download))
        .route("/api/conversions/{sha256}", get(convert::status))
        .merge(web::routes(state.csp.clone()))
        .with_state(state)
}

async fn ready(State(state): State<AppState>) -> (StatusCode, &'static str) {
    if *state.shutdown.borrow() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting down")
    } else {
        (StatusCode::OK, "ready")
    }
}

/// A started server.
pub struct Running {
    /// The address it listens on.
    pub addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Begins graceful shutdown.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Waits until the server has stopped (after [`Running::shutdown`]).
    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await?
    }
}

/// Opens the store, binds the listener and starts serving in the background.
pub async fn start(config: ServeConfig) -> anyhow::Result<Running> {
    metrics::install();
    let config = Arc::new(config);
    let csp = axum::http::HeaderValue::try_from(web::csp(&config)?)
        .context("the Content-Security-Policy is not a valid header")?;
    std::fs::create_dir_all(&config.data)
        .with_context(|| format!("cannot create the data directory {}", config.data.display()))?;
    let secret = auth::load_or_create_secret(config.secret.as_deref(), &config.data)?;
    let store = store::Store::open(&config.database_url(), store::StoreOptions::default())
        .await
        .context("cannot open the database")?;
    let blobs = config.blobs()?;
    let docs = sync::Docs::new(store.clone(), Arc::new(config.limits()));
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let state = AppState {
        config: config.clone(),
        tokens: auth::Tokens::new(&secret),
        docs: docs.clone(),
        presence: sync::Presence::default(),
        per_ip: Arc::default(),
        rooms: room::Rooms::new(store.clone(), config.room_limits()),
        blobs: blobs.clone(),
        converter: convert::Converter::new(
            config.soffice.clone(),
            Duration::from_secs(config.convert_timeout_secs),
            blobs,
            config.max_upload_bytes,
        ),
        shutdown: shutdown_rx.clone(),
        connections: Arc::default(),
        csp,
    };
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    // Ops and acks are small messages that must leave at once: without
    // TCP_NODELAY, Nagle's algorithm holds them for the peer's delayed ACK
    // (~40 ms per round trip).
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    tracing::info!(%addr, backend = store.backend(), "tertulia started");

    let mut lag_recorder = lag::Recorder::default();
    tokio::spawn(lag::watch(shutdown_rx.clone(), move |lag| {
        lag_recorder.record(lag)
    }));
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let mut stop = shutdown_rx.clone();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await?;
        // No new connections now. Let open ones close (each got 1001),
        // then let documents finish their commits, then flush the store.
        let deadline = Duration::from_secs(config.shutdown_secs);
        let drained = tokio::time::timeout(deadline, async {
            while state.connections.load(Ordering::SeqCst) > 0 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .is_ok();
        if !drained {
            tracing::warn!("connections still open at the shutdown deadline");
        }
        if !docs.shutdown(deadline).await {
            tracing::warn!("documents still committing at the shutdown deadline");
        }
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    });
    Ok(Running {
        addr,
        shutdown: shutdown_tx,
        task,
    })
}

/// Runs the server until SIGINT or SIGTERM, then shuts down gracefully.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let running = start(config).await?;
    // The test harness and scripts wait for this exact line.
    println!("tertulia listening on http://{}", running.addr);
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown();
    running.wait().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
