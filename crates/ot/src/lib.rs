//! json0 operational transformation, identical in its results to the npm
//! package `ot-json0` 1.1.0 that the browser's ShareDB client runs.
//!
//! A json0 op is a list of components, each a path into a JSON document and
//! one instruction: `na` (add to a number), `li`/`ld`/`lm` (insert, delete,
//! replace, move in a list), `oi`/`od` (insert, delete, replace in an
//! object), `si`/`sd` (insert or delete text, offsets in UTF-16 code units
//! as JavaScript counts them) and `t`/`o` (an op of a registered subtype;
//! text0 is registered). The server and each browser compute opposite sides
//! of the OT diamond, so this crate must give the same JSON as the reference
//! for every input, not merely converge with itself.
//!
//! # Map
//! - [`component`]: [`Op`], [`Component`], [`Kind`], [`PathElem`]; strict
//!   parsing from and printing to JSON.
//! - `apply`: [`Json0::apply`], in place and atomic.
//! - `transform`: [`Json0::transform`], the reference's `transformComponent`.
//! - `compose`: [`Json0::compose`], [`Json0::normalize`], [`Json0::invert`].
//! - `cursor`: [`Json0::transform_cursor`] for remote carets (not in 1.1.0).
//! - [`text0`]: the embedded text type; [`subtype`]: the subtype registry.
//! - [`utf16`]: JavaScript string offsets over UTF-8 strings.
//! - `bootstrap`: transforming whole ops from component transforms.
//!
//! # Invariants
//! - No IO, no clock, no global mutable state; every function is pure apart
//!   from `apply` mutating the document it is given.
//! - No panics on any input: every index is checked, and recursion is
//!   bounded ([`MAX_DEPTH`], [`MAX_TRANSFORM_RECURSION`]).
//! - `apply` costs O(path length + size of the values it moves), never
//!   O(document); a failed `apply` leaves the document as it was.
//!
//! # Where this crate refuses what the reference accepts
//! ot-json0 1.1.0 returns a result for some inputs where that result is
//! wrong: it corrupts the document, or the two sides of the OT diamond
//! diverge, or it is not JSON. This crate refuses exactly these, with the
//! error code in brackets ([`OtError::is_reference_unsound`] is true for
//! them), and they are the only cases the differential fuzzer may skip:
//!
//! 1. `path_type_mismatch`: a list addressed with a string key, an object
//!    with a number, or two concurrent ops that disagree on the type of the
//!    same path element. The reference mixes `===` and `==` on path
//!    elements, so `"1"` and `1` are the same key in some places and not in
//!    others (ottypes/json0 issues #16 and #37).
//! 2. `object_insert_overwrites`: `oi` without `od` on a key that already
//!    holds a value. The reference overwrites silently and the old value is
//!    lost to `invert` (ottypes/json0 PR #40). Use `oi` + `od`.
//! 3. `index_out_of_range`: a list index, `lm` target or string offset
//!    outside its container. The reference clamps, appends, or leaves holes
//!    that turn into `null`.
//! 4. `ill_formed_component` / `missing_path`: unknown fields, two
//!    instructions in one component, no instruction, values of the wrong
//!    type (`na: "1"` concatenates strings in the reference), non-integer or
//!    negative indices, a `p` that is not an array (`invert` and `transform`
//!    against an empty op do not look at `p` in the reference).
//! 5. `not_a_string` / `not_a_container`: text edits on a value that is not
//!    a string (the reference edits arrays as if they were strings) and paths
//!    that continue below a string or number (the reference writes to a
//!    character of a string and silently does nothing).
//! 6. `reserved_key`: `__proto__` and `constructor`, which JavaScript objects
//!    treat specially.
//! 7. `unknown_subtype`: a `t` that is not registered (the reference treats
//!    the component as having no instruction in some places and not others).
//! 8. `mixed_string_ops`: `si`/`sd` concurrent with a `t: "text0"` op on the
//!    same string; the reference does not transform them against each other.
//! 9. `surrogate_split`: a string offset between the two halves of a UTF-16
//!    surrogate pair, which would leave lone surrogates (not valid Unicode).
//! 10. `number_overflow`: `na` producing an infinite number (not JSON).
//! 11. `root_delete`: `od` on the root without `oi` (the document would
//!     become `undefined`).
//! 12. `too_deep`: documents nesting deeper than [`MAX_DEPTH`] or transforms
//!     recursing deeper than [`MAX_TRANSFORM_RECURSION`].
//!
//! The reference does not check that `ld`/`od`/`sd` values match the
//! document (only text deletes are checked); neither does this crate, so the
//! two accept the same ops. Numbers are added as IEEE doubles, as in
//! JavaScript; integers beyond 2^53 in a document are kept exactly here,
//! whereas JavaScript rounds them when it parses them.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod apply;
mod bootstrap;
pub mod component;
mod compose;
mod cursor;
mod error;
pub mod subtype;
pub mod text0;
mod transform;
pub mod utf16;

use std::sync::OnceLock;

pub use bootstrap::MAX_TRANSFORM_RECURSION;
pub use component::{
    Component, Kind, MAX_DEPTH, Op, Path, PathElem, path_from_value, path_to_value,
};
pub use error::OtError;
pub use subtype::{Registry, Subtype};

use serde_json::Value;

/// Which op wins a tie when two ops insert at the same place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// This op goes first.
    Left,
    /// The other op goes first.
    Right,
}

impl Side {
    /// Parses `"left"` or `"right"`.
    pub fn parse(s: &str) -> Result<Side, OtError> {
        match s {
            "left" => Ok(Side::Left),
            "right" => Ok(Side::Right),
            _ => Err(OtError::InvalidSide),
        }
    }
}

/// The json0 type with its subtype registry.
#[derive(Debug, Clone, Default)]
pub struct Json0 {
    registry: Registry,
}

impl Json0 {
    /// json0 with text0 registered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a subtype.
    pub fn with_subtype(mut self, subtype: std::sync::Arc<dyn Subtype>) -> Self {
        self.registry.register(subtype);
        self
    }

    /// The registered subtypes.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

fn default_json0() -> &'static Json0 {
    static JSON0: OnceLock<Json0> = OnceLock::new();
    JSON0.get_or_init(Json0::new)
}

/// [`Json0::apply_checked`] with the default registry.
pub fn apply_checked<E>(
    doc: &mut Value,
    op: &Op,
    check: impl FnOnce(&Value) -> Result<(), E>,
) -> Result<Result<(), E>, OtError> {
    default_json0().apply_checked(doc, &op.0, check)
}

/// [`Json0::apply`] with the default registry.
pub fn apply(doc: &mut Value, op: &Op) -> Result<(), OtError> {
    default_json0().apply(doc, &op.0)
}

/// [`Json0::transform`] with the default registry.
pub fn transform(op: &Op, other: &Op, side: Side) -> Result<Op, OtError> {
    default_json0().transform(&op.0, &other.0, side).map(Op)
}

/// [`Json0::transform_if_changed`] with the default registry: `None` when
/// transforming `op` against `other` gives `op` itself.
pub fn transform_if_changed(op: &Op, other: &Op, side: Side) -> Result<Option<Op>, OtError> {
    Ok(default_json0()
        .transform_if_changed(&op.0, &other.0, side)?
        .map(Op))
}

/// [`transform`] that replaces `op` with the result, copying nothing when
/// the result is `op` itself (see [`Json0::transform_if_changed`]).
pub fn transform_in_place(op: &mut Op, other: &Op, side: Side) -> Result<(), OtError> {
    if let Some(transformed) = transform_if_changed(op, other, side)? {
        *op = transformed;
    }
    Ok(())
}

/// [`Json0::compose`] with the default registry.
pub fn compose(op: &Op, other: &Op) -> Result<Op, OtError> {
    default_json0().compose(&op.0, &other.0).map(Op)
}

/// [`Json0::invert`] with the default registry.
pub fn invert(op: &Op) -> Result<Op, OtError> {
    default_json0().invert(&op.0).map(Op)
}

/// [`Json0::normalize`] with the default registry. Accepts, like the
/// reference, a single component in place of an op and a missing `p`.
pub fn normalize(op: &Value) -> Result<Op, OtError> {
    let items = match op {
        Value::Array(items) => items.as_slice(),
        single => std::slice::from_ref(single),
    };
    let components = items
        .iter()
        .enumerate()
        .map(|(i, c)| Component::parse(c, i, true))
        .collect::<Result<Vec<_>, _>>()?;
    default_json0().normalize(&components).map(Op)
}

/// [`Json0::transform_cursor`] with the default registry.
pub fn transform_cursor(cursor: &[PathElem], op: &Op, side: Side) -> Result<Option<Path>, OtError> {
    default_json0().transform_cursor(cursor, &op.0, side)
}
