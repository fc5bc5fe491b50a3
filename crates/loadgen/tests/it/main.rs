//! Integration tests of the load generator: against the ShareDB reference
//! server when Node and `js/node_modules` are present, and against no
//! server at all.

mod reference;
mod refusals;
