//! Room control: who is in a room, what they may do, chat, and the relay
//! that carries WebRTC signaling between two participants of one room.
//!
//! # Map
//! - [`wire`]: the `{"rc": …}` messages: [`wire::classify`] tells them from
//!   ShareDB's, [`wire::parse`] checks them into a [`Request`].
//! - [`state`]: [`RoomState`], one room without IO: roster, roles, lock,
//!   password, removed identities, grace periods, chat history.
//! - `actor`: the task that owns one room's state, drives it with commands
//!   and the clock, and stores chat before anyone sees it.
//! - `registry`: [`Rooms`], the lookup table of room tasks.
//! - `session`: [`RoomSession`], one connection's side: rate limit,
//!   identity, routing to its room's task.
//! - `error`: [`RcError`] and its client codes. `limits`: [`RoomLimits`].
//!
//! # Invariants
//! - One task owns each room; its state changes only there.
//! - Every message a client receives names the sender the server knows for
//!   the sending connection (its token's participant); a client cannot
//!   speak for another or reach another room.
//! - A non-empty room always has a moderator.
//! - A connection that never sends a room message is never sent one.
//! - A chat message is stored before anyone receives it.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod actor;
mod error;
mod limits;
mod registry;
mod session;
pub mod state;
pub mod wire;

pub use actor::RoomCommand;
pub use error::RcError;
pub use limits::RoomLimits;
pub use registry::{RoomHandle, Rooms};
pub use session::RoomSession;
pub use state::{Identity, JoinRequest, Now, Output, Participant, Role, RoomState};
pub use wire::{Media, Request};
