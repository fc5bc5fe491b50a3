//! Subtypes: OT types that json0 embeds with `{p, t: name, o: op}`.
//!
//! ot-json0 keeps a module-global registry; here a [`Registry`] belongs to a
//! [`crate::Json0`] value, so tests and embedders can add types without
//! global state. text0 is always registered.

use std::sync::Arc;

use serde_json::Value;

use crate::{OtError, Side, text0};

/// An OT type that can live inside a json0 document. Ops are exchanged as
/// JSON so that any type can be plugged in; text0's implementation parses
/// them into its own typed components.
pub trait Subtype: Send + Sync {
    /// The name used in the `t` field.
    fn name(&self) -> &str;
    /// Applies `op` to `snapshot`.
    fn apply(&self, snapshot: &Value, op: &Value) -> Result<Value, OtError>;
    /// Transforms `op` so it applies after `other`.
    fn transform(&self, op: &Value, other: &Value, side: Side) -> Result<Value, OtError>;
    /// Composes `op` then `other`.
    fn compose(&self, op: &Value, other: &Value) -> Result<Value, OtError>;
    /// The op that undoes `op`.
    fn invert(&self, op: &Value) -> Result<Value, OtError>;
    /// Moves a cursor position inside the value through `op`.
    fn transform_cursor(&self, position: i64, op: &Value, side: Side) -> Result<i64, OtError>;
}

/// The registered subtypes, looked up by name.
#[derive(Clone)]
pub struct Registry {
    types: Vec<Arc<dyn Subtype>>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            types: vec![Arc::new(Text0)],
        }
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.types.iter().map(|t| t.name()))
            .finish()
    }
}

impl Registry {
    /// Registers `subtype`, replacing any type of the same name.
    pub fn register(&mut self, subtype: Arc<dyn Subtype>) {
        self.types.retain(|t| t.name() != subtype.name());
        self.types.push(subtype);
    }

    /// The subtype called `name`.
    pub fn get(&self, name: &str) -> Result<&dyn Subtype, OtError> {
        self.types
            .iter()
            .find(|t| t.name() == name)
            .map(|t| t.as_ref())
            .ok_or_else(|| OtError::UnknownSubtype(name.to_string()))
    }
}

/// text0 as a subtype.
#[derive(Debug, Clone, Copy, Default)]
pub struct Text0;

impl Subtype for Text0 {
    fn name(&self) -> &str {
        "text0"
    }

    fn apply(&self, snapshot: &Value, op: &Value) -> Result<Value, OtError> {
        let op = text0::parse_op(op)?;
        let Value::String(s) = snapshot else {
            return Err(OtError::NotAString);
        };
        Ok(Value::String(text0::apply(s, &op)?))
    }

    fn transform(&self, op: &Value, other: &Value, side: Side) -> Result<Value, OtError> {
        let (op, other) = (text0::parse_op(op)?, text0::parse_op(other)?);
        Ok(text0::op_to_value(&text0::transform(&op, &other, side)?))
    }

    fn compose(&self, op: &Value, other: &Value) -> Result<Value, OtError> {
        let (op, other) = (text0::parse_op(op)?, text0::parse_op(other)?);
        Ok(text0::op_to_value(&text0::compose(&op, &other)?))
    }

    fn invert(&self, op: &Value) -> Result<Value, OtError> {
        Ok(text0::op_to_value(&text0::invert(&text0::parse_op(op)?)))
    }

    fn transform_cursor(&self, position: i64, op: &Value, side: Side) -> Result<i64, OtError> {
        Ok(text0::transform_cursor(
            position,
            &text0::parse_op(op)?,
            side,
        ))
    }
}
