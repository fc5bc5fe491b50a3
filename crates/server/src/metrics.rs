//! `GET /metrics`: counters and histograms in Prometheus's text format, for
//! what operators page on: connections, rooms, committed and refused ops,
//! commit latency and batch sizes (from `store`), slow consumers dropped.

use std::sync::OnceLock;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::AppState;

/// The process's one recorder (several servers in one test process share
/// it, so counters there are per process, not per server).
fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new().build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first (an
            // embedding application's); then that one has the metrics.
            metrics::set_global_recorder(recorder).ok().map(|()| handle)
        })
        .as_ref()
}

/// Installs the recorder; call before anything records.
pub fn install() {
    let _ = handle();
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> Response {
    // Gauges read at scrape time from their owners.
    metrics::gauge!("tertulia_ws_connections")
        .set(state.connections.load(Ordering::Relaxed) as f64);
    metrics::gauge!("tertulia_rooms_open").set(state.rooms.len() as f64);
    let body = handle().map(PrometheusHandle::render).unwrap_or_default();
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}
