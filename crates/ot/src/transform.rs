//! json0 `transformComponent`, ported branch for branch from ot-json0
//! 1.1.0 so that results are the same JSON as the reference's.
//!
//! The reference indexes paths with `c.p[common]` where `common` may be -1
//! (the other component acts on the root) or past the end; both read
//! `undefined` there, which compares unequal to every number and makes
//! every `<`/`<=` false. [`at`] and the `lt`/`le` helpers reproduce that.

use crate::bootstrap::{self, ComponentOps};
use crate::component::{Component, Kind, PathElem};
use crate::text0;
use crate::{Json0, OtError, Side};

impl Json0 {
    /// Transforms `op` so that it applies after `other`, both having been
    /// made against the same document. `side` breaks ties: the left op's
    /// insert goes first.
    pub fn transform(
        &self,
        op: &[Component],
        other: &[Component],
        side: Side,
    ) -> Result<Vec<Component>, OtError> {
        bootstrap::transform(self, op, other, side)
    }

    /// [`Json0::transform`], or `None` when the result is `op` itself: a
    /// one-component op against a one-component op that cannot touch it
    /// (another part of the document, or an `na` beside it), the usual
    /// case between collaborators. Spares the copy of `op` that
    /// `transform` returns; errors are the same as `transform`'s.
    pub fn transform_if_changed(
        &self,
        op: &[Component],
        other: &[Component],
        side: Side,
    ) -> Result<Option<Vec<Component>>, OtError> {
        match (op, other) {
            (_, []) => return Ok(None),
            ([c], [o]) if leaves_unchanged(self, c, o)? => return Ok(None),
            _ => {}
        }
        self.transform(op, other, side).map(Some)
    }

    /// Transforms `left` and `right` against each other at once, returning
    /// `(left', right')` with `left` winning ties.
    pub fn transform_x(
        &self,
        left: &[Component],
        right: &[Component],
    ) -> Result<(Vec<Component>, Vec<Component>), OtError> {
        bootstrap::transform_x(self, left.to_vec(), right, 0)
    }
}

impl ComponentOps<Component> for Json0 {
    fn transform_component(
        &self,
        dest: &mut Vec<Component>,
        c: &Component,
        other: &Component,
        side: Side,
    ) -> Result<(), OtError> {
        transform_component(self, dest, c.clone(), other, side)
    }

    fn append(&self, dest: &mut Vec<Component>, c: Component) -> Result<(), OtError> {
        self.append_component(dest, c)
    }
}

/// Where the two paths first differ, both must address the same kind of
/// container; otherwise the two ops disagree on the document's shape and
/// the reference's mix of `===` and `==` comparisons gives nonsense.
fn check_paths_agree(a: &[PathElem], b: &[PathElem]) -> Result<(), OtError> {
    for (x, y) in a.iter().zip(b) {
        if x != y {
            return match (x, y) {
                (PathElem::Index(_), PathElem::Key(_)) | (PathElem::Key(_), PathElem::Index(_)) => {
                    Err(OtError::PathTypeMismatch(format!(
                        "concurrent ops address the same container with {x} and {y}"
                    )))
                }
                _ => Ok(()),
            };
        }
    }
    Ok(())
}

/// Whether [`transform_component`] of `c` against `other` (either side)
/// gives exactly `[c]`, decided without copying `c`, and failing where it
/// fails. Follows that function's steps: [`check_pair`]; the branch that
/// updates a delete's record of what it deletes (not taken here); no
/// common container, or an `other` whose branch leaves `c` as it is.
/// `false` means only "not decided here": the full transform then runs.
fn leaves_unchanged(json0: &Json0, c: &Component, other: &Component) -> Result<bool, OtError> {
    check_pair(json0, c, other)?;
    let deletes = matches!(
        c.kind,
        Kind::ListDelete(_)
            | Kind::ListReplace { .. }
            | Kind::ObjectDelete(_)
            | Kind::ObjectReplace { .. }
    );
    if deletes && common_length(c, other).is_some() {
        return Ok(false);
    }
    if common_length(other, c).is_none() {
        return Ok(true);
    }
    if c.kind.is_string_op() && other.kind.is_string_op() {
        return Ok(false);
    }
    Ok(matches!(
        other.kind,
        Kind::NumberAdd(_) | Kind::StringInsert(_) | Kind::StringDelete(_)
    ))
}

/// What must hold for `c` and `other` to be transformed against each
/// other at all: paths that agree on types, no `si`/`sd` beside a subtype
/// op on the same string, and known subtypes.
fn check_pair(json0: &Json0, c: &Component, other: &Component) -> Result<(), OtError> {
    check_paths_agree(&c.path, &other.path)?;
    check_string_ops_not_mixed(c, other)?;
    for k in [&c.kind, &other.kind] {
        if let Kind::Subtype { name, .. } = k {
            json0.registry().get(name)?;
        }
    }
    Ok(())
}

/// `si`/`sd` and a subtype op on the same string are not transformed
/// against each other by the reference, so the two sides would diverge.
fn check_string_ops_not_mixed(c: &Component, other: &Component) -> Result<(), OtError> {
    let mixed = |s: &Component, t: &Component| {
        matches!(t.kind, Kind::Subtype { .. })
            && s.string_target()
                .is_some_and(|(string, _)| string == t.path.as_slice())
    };
    if mixed(c, other) || mixed(other, c) {
        return Err(OtError::MixedStringOps);
    }
    Ok(())
}

/// The reference's `commonLengthForOps(a, b)`: `Some(-1)` when `a` acts on
/// the root, `None` when `a` cannot affect `b`, else the depth of `a`'s
/// container, which `b`'s path shares.
fn common_length(a: &Component, b: &Component) -> Option<i64> {
    let mut alen = a.path.len() + usize::from(a.kind.acts_on_value());
    let mut blen = b.path.len() + usize::from(b.kind.acts_on_value());
    if alen == 0 {
        return Some(-1);
    }
    if blen == 0 {
        return None;
    }
    alen -= 1;
    blen -= 1;
    for i in 0..alen {
        if i >= blen || a.path.get(i) != b.path.get(i) {
            return None;
        }
    }
    Some(alen as i64)
}

/// `p[i]`, `None` standing for JavaScript's `undefined`.
fn at(path: &[PathElem], i: i64) -> Option<&PathElem> {
    usize::try_from(i).ok().and_then(|i| path.get(i))
}

/// `p[i]` where a number is expected.
fn num(path: &[PathElem], i: i64) -> Result<Option<i64>, OtError> {
    match at(path, i) {
        None => Ok(None),
        Some(PathElem::Index(n)) => Ok(Some(*n)),
        Some(PathElem::Key(k)) => Err(OtError::PathTypeMismatch(format!(
            "key {k:?} where a list index was expected"
        ))),
    }
}

fn lt(a: Option<i64>, b: Option<i64>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a < b)
}

fn le(a: Option<i64>, b: Option<i64>) -> bool {
    matches!((a, b), (Some(a), Some(b)) if a <= b)
}

/// Adds `delta` to the list index at `path[i]` (only ever called where the
/// reference has just compared it as a number).
fn bump(path: &mut [PathElem], i: i64, delta: i64) {
    if let Some(PathElem::Index(n)) = usize::try_from(i).ok().and_then(|i| path.get_mut(i)) {
        *n += delta;
    }
}

fn set_index(path: &mut [PathElem], i: i64, value: i64) {
    if let Some(slot) = usize::try_from(i).ok().and_then(|i| path.get_mut(i)) {
        *slot = PathElem::Index(value);
    }
}

// The branches mirror the reference's one for one, including two that
// share a body, so that a reader can check the port line by line.
#[allow(clippy::if_same_then_else)]
fn transform_component(
    json0: &Json0,
    dest: &mut Vec<Component>,
    mut c: Component,
    other: &Component,
    side: Side,
) -> Result<(), OtError> {
    check_pair(json0, &c, other)?;

    let common = common_length(other, &c);
    let common2 = common_length(&c, other);
    let cplength = c.path.len() + usize::from(c.kind.acts_on_value());
    let other_cplength = other.path.len() + usize::from(other.kind.acts_on_value());

    // If c deletes something that other changes, keep c's record of the
    // deleted value current so that c stays invertible.
    if let Some(c2) = common2
        && other_cplength > cplength
        && at(&c.path, c2) == at(&other.path, c2)
    {
        let mut below = other.clone();
        below.path = other.path.get(cplength..).unwrap_or_default().to_vec();
        match &mut c.kind {
            Kind::ListDelete(v)
            | Kind::ListReplace { delete: v, .. }
            | Kind::ObjectDelete(v)
            | Kind::ObjectReplace { delete: v, .. } => {
                json0.apply(std::sync::Arc::make_mut(v), std::slice::from_ref(&below))?;
            }
            _ => {}
        }
    }

    let Some(common) = common else {
        return json0.append_component(dest, c);
    };
    let common_operand = cplength == other_cplength;

    if c.kind.is_string_op() && other.kind.is_string_op() {
        // Both are text edits: transform them as text0 on the same string.
        let (Some((string, tc)), Some((_, to))) = (c.text_edit(), other.text_edit()) else {
            return Err(OtError::IllFormedComponent("si/sd without offset".into()));
        };
        for r in text0::transform(&[tc], &[to], side)? {
            json0.append_component(dest, Component::from_text_edit(string, r))?;
        }
        return Ok(());
    }

    match &other.kind {
        Kind::Subtype {
            name: other_name,
            op: other_op,
        } => {
            if let Kind::Subtype { name, op } = &mut c.kind
                && name == other_name
            {
                let res = json0.registry().get(name)?.transform(op, other_op, side)?;
                if res.as_array().is_some_and(|a| a.is_empty()) {
                    return Ok(());
                }
                *op = res.into();
                return json0.append_component(dest, c);
            }
        }
        Kind::NumberAdd(_) => {}
        Kind::ListReplace {
            insert: other_li, ..
        } => {
            if at(&other.path, common) == at(&c.path, common) {
                if !common_operand {
                    return Ok(());
                }
                match &mut c.kind {
                    // Both replace the same element: only the left survives.
                    Kind::ListReplace { delete, .. } if side == Side::Left => {
                        *delete = other_li.clone();
                    }
                    Kind::ListReplace { .. } | Kind::ListDelete(_) => return Ok(()),
                    _ => {}
                }
            }
        }
        Kind::ListInsert(_) => {
            let op = num(&other.path, common)?;
            let cp = num(&c.path, common)?;
            if matches!(c.kind, Kind::ListInsert(_)) && common_operand && cp == op && cp.is_some() {
                // li vs li at the same index: left goes first.
                if side == Side::Right {
                    bump(&mut c.path, common, 1);
                }
            } else if le(op, cp) {
                bump(&mut c.path, common, 1);
            }
            if let Kind::ListMove(lm) = &mut c.kind
                && common_operand
                && le(op, Some(*lm))
            {
                *lm += 1;
            }
        }
        Kind::ListDelete(_) => {
            let op = num(&other.path, common)?;
            let cp = num(&c.path, common)?;
            if let Kind::ListMove(lm) = &mut c.kind
                && common_operand
            {
                if op == cp && op.is_some() {
                    // They deleted the element we move.
                    return Ok(());
                }
                let to = *lm;
                if lt(op, Some(to)) || (op == Some(to) && lt(cp, Some(to))) {
                    *lm -= 1;
                }
            }
            if lt(op, cp) {
                bump(&mut c.path, common, -1);
            } else if op == cp && op.is_some() {
                if other_cplength < cplength {
                    // We are below the deleted element.
                    return Ok(());
                }
                match &c.kind {
                    Kind::ListReplace { insert, .. } => {
                        // We replace what they delete: we become an insert.
                        c.kind = Kind::ListInsert(insert.clone());
                    }
                    Kind::ListDelete(_) => return Ok(()),
                    _ => {}
                }
            }
        }
        Kind::ListMove(other_to) => {
            let other_to = *other_to;
            let other_from = num(&other.path, common)?;
            let p = num(&c.path, common)?;
            if let (Kind::ListMove(lm), true) = (&mut c.kind, cplength == other_cplength) {
                if !transform_move_by_move(&mut c.path, lm, common, p, other_from, other_to, side) {
                    return Ok(());
                }
            } else if matches!(c.kind, Kind::ListInsert(_)) && common_operand {
                if lt(other_from, p) {
                    bump(&mut c.path, common, -1);
                }
                if lt(Some(other_to), p) {
                    bump(&mut c.path, common, 1);
                }
            } else if p == other_from && p.is_some() {
                // Anything that cares where its element went follows it.
                set_index(&mut c.path, common, other_to);
            } else {
                if lt(other_from, p) {
                    bump(&mut c.path, common, -1);
                }
                if lt(Some(other_to), p) {
                    bump(&mut c.path, common, 1);
                } else if p == Some(other_to) && lt(Some(other_to), other_from) {
                    bump(&mut c.path, common, 1);
                }
            }
        }
        Kind::ObjectReplace {
            insert: other_oi, ..
        } => {
            if at(&c.path, common) == at(&other.path, common) {
                if c.kind.oi().is_some() && common_operand {
                    if side == Side::Right {
                        return Ok(());
                    }
                    // We win: our op replaces what they inserted.
                    c.kind = match std::mem::replace(&mut c.kind, Kind::ListMove(0)) {
                        Kind::ObjectInsert(insert) | Kind::ObjectReplace { insert, .. } => {
                            Kind::ObjectReplace {
                                insert,
                                delete: other_oi.clone(),
                            }
                        }
                        k => k,
                    };
                } else {
                    // They replaced what we act on (or a parent of it).
                    return Ok(());
                }
            }
        }
        Kind::ObjectInsert(other_oi) => {
            if c.kind.oi().is_some() && at(&c.path, common) == at(&other.path, common) {
                if side == Side::Left {
                    let delete = Component {
                        path: c.path.clone(),
                        kind: Kind::ObjectDelete(other_oi.clone()),
                    };
                    json0.append_component(dest, delete)?;
                } else {
                    return Ok(());
                }
            }
        }
        Kind::ObjectDelete(_) => {
            if at(&c.path, common) == at(&other.path, common) {
                if !common_operand {
                    return Ok(());
                }
                match &c.kind {
                    Kind::ObjectReplace { insert, .. } => {
                        c.kind = Kind::ObjectInsert(insert.clone());
                    }
                    Kind::ObjectInsert(_) => {}
                    _ => return Ok(()),
                }
            }
        }
        Kind::StringInsert(_) | Kind::StringDelete(_) => {}
    }
    json0.append_component(dest, c)
}

/// lm against lm on the same list, the reference's "here we go!" branch.
/// Returns false when the component is dropped.
#[allow(clippy::if_same_then_else)] // mirrors the reference's branches
fn transform_move_by_move(
    path: &mut [PathElem],
    lm: &mut i64,
    common: i64,
    from: Option<i64>,
    other_from: Option<i64>,
    other_to: i64,
    side: Side,
) -> bool {
    let (Some(from), Some(other_from)) = (from, other_from) else {
        return true;
    };
    let to = *lm;
    if other_from == other_to {
        return true;
    }
    if from == other_from {
        // They moved our element: tie break.
        if side == Side::Left {
            set_index(path, common, other_to);
            if from == to {
                *lm = other_to;
            }
            return true;
        }
        return false;
    }
    // Where did our element go?
    if from > other_from {
        bump(path, common, -1);
    }
    if from > other_to {
        bump(path, common, 1);
    } else if from == other_to && other_from > other_to {
        bump(path, common, 1);
        if from == to {
            *lm += 1;
        }
    }
    // Where are we putting it?
    if to > other_from {
        *lm -= 1;
    } else if to == other_from && to > from {
        *lm -= 1;
    }
    if to > other_to {
        *lm += 1;
    } else if to == other_to {
        if (other_to > other_from && to > from) || (other_to < other_from && to < from) {
            if side == Side::Right {
                *lm += 1;
            }
        } else if to > from {
            *lm += 1;
        } else if to == other_from {
            *lm -= 1;
        }
    }
    true
}
