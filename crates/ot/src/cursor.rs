//! Moving a cursor (a position in a string or list) through an op, for
//! remote carets and selections. Not part of ot-json0 1.1.0; the rules follow
//! the reference's transform: a position is a gap between elements (or
//! UTF-16 code units), and text inserted exactly at the cursor lands before
//! it on the left side and after it on the right side.

use crate::component::{Component, Kind, PathElem};
use crate::text0;
use crate::{Json0, OtError, Side};

impl Json0 {
    /// Transforms `cursor` (a path whose last element is a position in the
    /// string or list its prefix names) through `op`. Returns `None` when
    /// the op removes the string or list the cursor was in.
    pub fn transform_cursor(
        &self,
        cursor: &[PathElem],
        op: &[Component],
        side: Side,
    ) -> Result<Option<Vec<PathElem>>, OtError> {
        let Some(PathElem::Index(_)) = cursor.last() else {
            return Err(OtError::IllFormedComponent(
                "a cursor path must end in a position".into(),
            ));
        };
        let mut cursor = cursor.to_vec();
        for c in op {
            if !self.move_cursor(&mut cursor, c, side)? {
                return Ok(None);
            }
        }
        Ok(Some(cursor))
    }

    /// Returns false when `c` removes the cursor's container.
    fn move_cursor(
        &self,
        cursor: &mut [PathElem],
        c: &Component,
        side: Side,
    ) -> Result<bool, OtError> {
        let container_len = cursor.len() - 1;
        // Text edits on the cursor's own string.
        if let Some((string, tc)) = c.text_edit() {
            if string == &cursor[..container_len]
                && let Some(PathElem::Index(pos)) = cursor.last_mut()
            {
                *pos = text0::transform_position(*pos, &tc, side == Side::Right);
            }
            return Ok(true);
        }
        if let Kind::Subtype { name, op } = &c.kind {
            if c.path.as_slice() == &cursor[..container_len]
                && let Some(PathElem::Index(pos)) = cursor.last_mut()
            {
                *pos = self
                    .registry()
                    .get(name)?
                    .transform_cursor(*pos, op, side)?;
            }
            return Ok(true);
        }
        let Some((last, parent)) = c.path.split_last() else {
            // A root replacement removes everything.
            return Ok(!matches!(
                c.kind,
                Kind::ObjectReplace { .. } | Kind::ObjectInsert(_)
            ));
        };
        let depth = parent.len();
        if depth > container_len || parent != &cursor[..depth] {
            return Ok(true);
        }
        let own_list = depth == container_len;
        let at = cursor[depth].clone();
        let same_slot = at == *last;
        match &c.kind {
            Kind::ObjectInsert(_)
            | Kind::ObjectDelete(_)
            | Kind::ObjectReplace { .. }
            | Kind::ListReplace { .. } => Ok(own_list || !same_slot),
            Kind::ListInsert(_) | Kind::ListDelete(_) | Kind::ListMove(_) => {
                let (Some(i), Some(PathElem::Index(pos))) = (last.index(), cursor.get_mut(depth))
                else {
                    return Ok(true);
                };
                match &c.kind {
                    Kind::ListInsert(_) => {
                        let after = own_list && side == Side::Right;
                        if i < *pos || (i == *pos && (after || !own_list)) {
                            *pos += 1;
                        }
                    }
                    Kind::ListDelete(_) => {
                        if !own_list && i == *pos {
                            return Ok(false);
                        }
                        if i < *pos {
                            *pos -= 1;
                        }
                    }
                    Kind::ListMove(to) => {
                        if !own_list && i == *pos {
                            *pos = *to;
                        } else {
                            if i < *pos {
                                *pos -= 1;
                            }
                            if *to < *pos || (*to == *pos && !own_list && i < *to) {
                                *pos += 1;
                            }
                        }
                    }
                    _ => {}
                }
                Ok(true)
            }
            Kind::NumberAdd(_)
            | Kind::StringInsert(_)
            | Kind::StringDelete(_)
            | Kind::Subtype { .. } => Ok(true),
        }
    }
}
