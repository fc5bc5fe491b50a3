//! The one error type of the crate, with a stable machine-readable code.

/// Why an OT function refused its input.
///
/// Every variant has a stable [`OtError::code`]. The codes fall in two
/// groups, and [`OtError::is_reference_unsound`] tells which:
///
/// * the reference (`ot-json0` 1.1.0) throws on the same input, so both
///   sides agree that the input is an error;
/// * the reference returns *something*, but that something is known to be
///   wrong (it silently corrupts the document, or the two sides of the OT
///   diamond would diverge). These are listed in the crate documentation
///   and are the only inputs the differential fuzzer may skip.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OtError {
    /// A component has no `p` array (the reference throws `Missing path`).
    #[error("component {component} has no path array")]
    MissingPath {
        /// Index of the component in its op.
        component: usize,
    },
    /// The op or a component is not shaped like json0 at all: unknown
    /// fields, conflicting instructions, values of the wrong type,
    /// non-integer or negative indices, no instruction.
    #[error("ill-formed component: {0}")]
    IllFormedComponent(String),
    /// A path walked through `null` or a missing value (reference: `Path invalid`).
    #[error("path invalid: {0}")]
    PathInvalid(String),
    /// A path tried to continue below a string, number, boolean or null.
    #[error("path continues below a value that is not a list or an object: {0}")]
    NotAContainer(String),
    /// A list was addressed with a string key or an object with a number,
    /// or two ops disagree on the type of the same path element
    /// (ottypes/json0 issues #16 and #37).
    #[error("path element type mismatch: {0}")]
    PathTypeMismatch(String),
    /// A list instruction on something that is not a list.
    #[error("referenced element not a list")]
    NotAList,
    /// An object instruction on something that is not an object.
    #[error("referenced element not an object")]
    NotAnObject,
    /// `na` on something that is not a number.
    #[error("referenced element not a number")]
    NotANumber,
    /// A string instruction on something that is not a string.
    #[error("referenced element not a string")]
    NotAString,
    /// `oi` without `od` on a key that already holds a value
    /// (ottypes/json0 PR #40: the old value would be lost for invert).
    #[error("oi over the existing key {0:?} without od")]
    ObjectInsertOverwrites(String),
    /// A list index, list move target or string offset outside its container.
    #[error("index {index} out of range (length {len})")]
    IndexOutOfRange {
        /// The offending index.
        index: i64,
        /// The length of the container.
        len: usize,
    },
    /// A string offset falls between the two halves of a UTF-16 surrogate pair.
    #[error("offset {0} splits a surrogate pair")]
    SurrogateSplit(i64),
    /// An `sd` whose text is not what the document holds at its offset.
    #[error("delete component {expected:?} does not match deleted text {actual:?}")]
    DeleteMismatch {
        /// The text the component claims to delete.
        expected: String,
        /// The text that is really there.
        actual: String,
    },
    /// Two concurrent text deletes claim different text for the same range.
    #[error("delete ops delete different text in the same region of the document")]
    DeleteConflict,
    /// `__proto__` and `constructor` keys behave specially in JavaScript
    /// objects, so the reference cannot handle them faithfully.
    #[error("reserved key {0:?}")]
    ReservedKey(String),
    /// A `t` subtype that is not registered.
    #[error("unknown subtype {0:?}")]
    UnknownSubtype(String),
    /// `si`/`sd` and a `t` subtype op on the same string: the reference
    /// does not transform these against each other, so the sides diverge.
    #[error("si/sd and a subtype op touch the same string")]
    MixedStringOps,
    /// `na` would make the number infinite, which JSON cannot carry.
    #[error("number overflow")]
    NumberOverflow,
    /// `od` on the root with no `oi`: the document would become `undefined`.
    #[error("cannot delete the document root")]
    RootDelete,
    /// The document would nest deeper than [`crate::MAX_DEPTH`], or an op
    /// is too complex to transform within [`crate::MAX_TRANSFORM_RECURSION`].
    #[error("too deep: {0}")]
    TooDeep(String),
    /// The transform side is neither `left` nor `right`.
    #[error("side must be 'left' or 'right'")]
    InvalidSide,
}

impl OtError {
    /// A stable snake_case code, suitable for the wire.
    pub fn code(&self) -> &'static str {
        match self {
            OtError::MissingPath { .. } => "missing_path",
            OtError::IllFormedComponent(_) => "ill_formed_component",
            OtError::PathInvalid(_) => "path_invalid",
            OtError::NotAContainer(_) => "not_a_container",
            OtError::PathTypeMismatch(_) => "path_type_mismatch",
            OtError::NotAList => "not_a_list",
            OtError::NotAnObject => "not_an_object",
            OtError::NotANumber => "not_a_number",
            OtError::NotAString => "not_a_string",
            OtError::ObjectInsertOverwrites(_) => "object_insert_overwrites",
            OtError::IndexOutOfRange { .. } => "index_out_of_range",
            OtError::SurrogateSplit(_) => "surrogate_split",
            OtError::DeleteMismatch { .. } => "delete_mismatch",
            OtError::DeleteConflict => "delete_conflict",
            OtError::ReservedKey(_) => "reserved_key",
            OtError::UnknownSubtype(_) => "unknown_subtype",
            OtError::MixedStringOps => "mixed_string_ops",
            OtError::NumberOverflow => "number_overflow",
            OtError::RootDelete => "root_delete",
            OtError::TooDeep(_) => "too_deep",
            OtError::InvalidSide => "invalid_side",
        }
    }

    /// True when `ot-json0` 1.1.0 may return a (wrong) result for an input
    /// that this crate refuses. See the crate docs for the list.
    pub fn is_reference_unsound(&self) -> bool {
        matches!(
            self,
            OtError::IllFormedComponent(_)
                | OtError::MissingPath { .. }
                | OtError::NotAContainer(_)
                | OtError::PathTypeMismatch(_)
                | OtError::NotAString
                | OtError::ObjectInsertOverwrites(_)
                | OtError::IndexOutOfRange { .. }
                | OtError::SurrogateSplit(_)
                | OtError::ReservedKey(_)
                | OtError::UnknownSubtype(_)
                | OtError::MixedStringOps
                | OtError::NumberOverflow
                | OtError::RootDelete
                | OtError::TooDeep(_)
        )
    }
}
