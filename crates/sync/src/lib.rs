//! The sync server's core: ShareDB protocol 1.2 over any message transport,
//! with one task per document that orders, transforms, stores and fans out
//! every op.
//!
//! # Map
//! - [`session`]: one connection's protocol state: parsing, limits, room
//!   scope, routing. [`Session::handle_text`] is the entry point.
//! - `docs`: [`Docs`], the registry of document tasks (spawned on first use,
//!   evicted when idle).
//! - `actor`: the task that owns one document: pipelined durable commits,
//!   ordered acks and broadcasts, catch-up.
//! - `doc`: [`DocState`], the document state machine without IO (versions,
//!   ShareDB's transform rules, dedup by `src`+`seq`, size limits).
//! - [`presence`]: presence channels.
//! - [`conn`]: a connection's bounded outgoing queue and slow-consumer kick.
//! - [`wire`]: ShareDB's JSON messages. [`error`]: codes sent to clients.
//! - [`limits`]: every limit with its default.
//!
//! # Invariants
//! - One task owns each document; nothing else touches its state.
//! - An op is acknowledged and broadcast only after the store has made it
//!   durable; a client never sees state that a crash could take back.
//! - An op whose `src`+`seq` is in the history since its base version is
//!   acknowledged and not applied again, also after a restart (the history
//!   is in the store).
//! - Every queue is bounded; a connection that cannot keep up is kicked.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod actor;
pub mod conn;
mod doc;
mod docs;
pub mod error;
pub mod limits;
pub mod presence;
pub mod session;
pub mod wire;

pub use actor::{DocCommand, Respond};
pub use conn::{ConnRx, ConnTx, Outgoing};
pub use doc::{Body, ClientOp, CommittedOp, DocState, Prepared};
pub use docs::{DocKey, Docs};
pub use error::SyncError;
pub use limits::Limits;
pub use presence::Presence;
pub use session::{Access, Session};
