//! The server in-process, driven over real WebSockets on loopback.

mod convert;
mod harness;
mod lifecycle;
mod presence;
mod rooms;
mod schema;
mod uploads;
mod web;
