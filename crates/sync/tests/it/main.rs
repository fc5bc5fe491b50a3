//! The sync core driven through `Session`, as a connection would drive it.

mod commit_failure;
mod fuzz;
mod history;
mod submit_queue;
mod support;
