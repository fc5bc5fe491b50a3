//! The generic "transform a list of components by another" algorithm that
//! ot-json0 calls `bootstrapTransform`, shared by json0 and text0.
//!
//! Both types define how one component transforms against one other
//! component (possibly splitting into several) and how a component is
//! appended to an op (possibly merging with the previous one). From those
//! two, `transform_x` transforms whole ops against each other, one
//! component at a time, recursing when a component splits.

use crate::{OtError, Side};

/// Deepest recursion `transform_x` allows. Recursion happens only when a
/// component splits in two; refusing past this depth keeps a hostile op
/// from exhausting the stack of the thread that transforms it.
pub const MAX_TRANSFORM_RECURSION: usize = 1024;

/// How one component type transforms and appends.
pub(crate) trait ComponentOps<C> {
    /// Transform `c` so it applies after `other`; push the result(s) to `dest`.
    fn transform_component(
        &self,
        dest: &mut Vec<C>,
        c: &C,
        other: &C,
        side: Side,
    ) -> Result<(), OtError>;
    /// Push `c` to `dest`, merging it with the last component where possible.
    fn append(&self, dest: &mut Vec<C>, c: C) -> Result<(), OtError>;
}

/// Transform `left` and `right` against each other; returns
/// `(left', right')` where `left'` applies after `right` and `right'`
/// after `left`, `left` winning ties.
pub(crate) fn transform_x<C: Clone, T: ComponentOps<C>>(
    ty: &T,
    left: Vec<C>,
    right: &[C],
    depth: usize,
) -> Result<(Vec<C>, Vec<C>), OtError> {
    if depth > MAX_TRANSFORM_RECURSION {
        return Err(OtError::TooDeep(format!(
            "transform recursion deeper than {MAX_TRANSFORM_RECURSION}"
        )));
    }
    let mut left = left;
    let mut new_right = Vec::new();
    for right_component in right {
        let mut current = Some(right_component.clone());
        let mut new_left = Vec::with_capacity(left.len());
        let mut k = 0;
        while k < left.len() {
            let Some(rc) = current.as_ref() else { break };
            let mut next = Vec::new();
            ty.transform_component(&mut new_left, &left[k], rc, Side::Left)?;
            ty.transform_component(&mut next, rc, &left[k], Side::Right)?;
            k += 1;
            match next.len() {
                1 => current = next.pop(),
                0 => {
                    for c in left.drain(k..) {
                        ty.append(&mut new_left, c)?;
                    }
                    current = None;
                }
                _ => {
                    let rest: Vec<C> = left.drain(k..).collect();
                    let (pair_left, pair_right) = transform_x(ty, rest, &next, depth + 1)?;
                    for c in pair_left {
                        ty.append(&mut new_left, c)?;
                    }
                    for c in pair_right {
                        ty.append(&mut new_right, c)?;
                    }
                    current = None;
                }
            }
        }
        if let Some(rc) = current {
            ty.append(&mut new_right, rc)?;
        }
        left = new_left;
    }
    Ok((left, new_right))
}

/// `type.transform(op, otherOp, side)` as bootstrapped by ot-json0.
pub(crate) fn transform<C: Clone, T: ComponentOps<C>>(
    ty: &T,
    op: &[C],
    other: &[C],
    side: Side,
) -> Result<Vec<C>, OtError> {
    if other.is_empty() {
        return Ok(op.to_vec());
    }
    if let ([c], [o]) = (op, other) {
        let mut dest = Vec::new();
        ty.transform_component(&mut dest, c, o, side)?;
        return Ok(dest);
    }
    match side {
        Side::Left => Ok(transform_x(ty, op.to_vec(), other, 0)?.0),
        Side::Right => Ok(transform_x(ty, other.to_vec(), op, 0)?.1),
    }
}
