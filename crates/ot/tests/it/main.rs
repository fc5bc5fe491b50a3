//! Integration tests of the OT core: laws (proptest) and reference cases.

mod arbitrary;
mod laws;
mod reference;
