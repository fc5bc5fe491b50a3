//! `tertulia-loadgen`: simulated ShareDB clients for load-testing a server
//! that speaks ShareDB's wire protocol (Tertulia's, or ShareDB itself for
//! comparison). Each client connects over WebSocket, handshakes, subscribes
//! to its room's document and submits json0 ops like the npm `sharedb`
//! 7.0.0 client would: one op in flight, at the version it has reached,
//! remote ops transformed against it. The run reports committed ops/s,
//! submit→ack and submit→peer latencies, lost broadcasts, divergence and
//! the server's memory and CPU.
//!
//! # Map
//! - [`config`]: [`Config`], loopback-only [`config::Endpoint`]s.
//! - [`wire`]: the protocol messages sent and parsed (the only module that
//!   knows the JSON field names).
//! - [`session`]: one client's protocol state, without IO: handshake,
//!   subscribe/create, op generation, versions, transforms, records.
//! - `client`: the IO shell per client (join, connect, rate loop).
//! - `http`: the minimal HTTP/1.1 client for the join endpoint.
//! - `run`: the coordinator ([`run()`]); `loops`: the event loops the
//!   clients are spread over.
//! - [`report`]: [`Report`], computed from all clients' records.
//! - [`stats`], [`procfs`], [`errors`]: percentiles, `/proc` readings,
//!   error tallies.
//!
//! # Invariants
//! - Only loopback addresses are contacted.
//! - Every phase has a deadline; a run ends by itself.
//! - At most one op per client is in flight, as in the npm client.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod client;
pub mod config;
pub mod errors;
mod http;
mod loops;
pub mod procfs;
pub mod report;
mod run;
pub mod session;
pub mod stats;
pub mod wire;

pub use config::Config;
pub use report::Report;
pub use run::run;
