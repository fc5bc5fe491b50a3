//! json0 `append`, `compose`, `normalize` and `invert`.
//!
//! `append` is where composition happens: a component pushed onto an op may
//! merge with the op's last component (two `na` add up, an insert followed
//! by its delete vanishes, adjacent text edits combine). The merge rules are
//! the reference's, including its use of `===` on values, which only ever
//! matches primitives because the reference compares fresh clones.

use crate::component::{Component, Kind, PathElem, js_strict_eq};
use crate::text0;
use crate::{Json0, OtError};

impl Json0 {
    /// Pushes `c` onto `dest`, merging it with the last component where the
    /// reference does.
    pub fn append_component(&self, dest: &mut Vec<Component>, c: Component) -> Result<(), OtError> {
        let Some(last) = dest.last_mut() else {
            dest.push(c);
            return Ok(());
        };

        if c.kind.is_string_op() && last.kind.is_string_op() {
            let (Some((last_string, last_tc)), Some((string, tc))) =
                (last.text_edit(), c.text_edit())
            else {
                return Err(OtError::IllFormedComponent("si/sd without offset".into()));
            };
            if last_string != string {
                dest.push(c);
                return Ok(());
            }
            // Same string: compose as text0, then turn back into si/sd. The
            // composition of two components has one or two components.
            let string = string.to_vec();
            let mut composed = text0::compose(&[last_tc], &[tc])?.into_iter();
            if let Some(first) = composed.next() {
                *last = Component::from_text_edit(&string, first);
            }
            for rest in composed {
                dest.push(Component::from_text_edit(&string, rest));
            }
            return Ok(());
        }

        if c.path != last.path {
            dest.push(c);
            return Ok(());
        }

        match (&mut last.kind, c.kind) {
            (
                Kind::Subtype {
                    name: last_name,
                    op: last_op,
                },
                Kind::Subtype { name, op },
            ) if *last_name == name => {
                *last_op = self.registry().get(&name)?.compose(last_op, &op)?.into();
            }
            (Kind::NumberAdd(a), Kind::NumberAdd(b)) => {
                let sum = *a + b;
                if !sum.is_finite() {
                    return Err(OtError::NumberOverflow);
                }
                *a = sum;
            }
            (last_kind, Kind::ListDelete(deleted))
                if last_kind.li().is_some_and(|li| js_strict_eq(&deleted, li)) =>
            {
                // An insert directly followed by its delete is a no-op.
                match last_kind {
                    Kind::ListReplace { delete, .. } => {
                        *last_kind = Kind::ListDelete(std::mem::take(delete))
                    }
                    _ => {
                        dest.pop();
                    }
                }
            }
            (Kind::ObjectDelete(deleted), Kind::ObjectInsert(inserted)) => {
                last.kind = Kind::ObjectReplace {
                    insert: inserted,
                    delete: std::mem::take(deleted),
                };
            }
            (last_kind, kind) if last_kind.oi().is_some() && kind.od().is_some() => {
                // We delete (or replace) what the last component inserted.
                match (last_kind, kind) {
                    (
                        Kind::ObjectInsert(v) | Kind::ObjectReplace { insert: v, .. },
                        Kind::ObjectReplace { insert, .. },
                    ) => {
                        *v = insert;
                    }
                    (k @ Kind::ObjectReplace { .. }, _) => {
                        if let Kind::ObjectReplace { delete, .. } = k {
                            *k = Kind::ObjectDelete(std::mem::take(delete));
                        }
                    }
                    _ => {
                        dest.pop();
                    }
                }
            }
            (_, Kind::ListMove(to)) if c.path.last() == Some(&PathElem::Index(to)) => {
                // A move onto itself does nothing.
            }
            (_, kind) => dest.push(Component { path: c.path, kind }),
        }
        Ok(())
    }

    /// `op` then `other`, as one op.
    pub fn compose(
        &self,
        op: &[Component],
        other: &[Component],
    ) -> Result<Vec<Component>, OtError> {
        let mut out = op.to_vec();
        for c in other {
            self.append_component(&mut out, c.clone())?;
        }
        Ok(out)
    }

    /// Merges what can be merged, as the reference's `normalize`.
    pub fn normalize(&self, op: &[Component]) -> Result<Vec<Component>, OtError> {
        self.compose(&[], op)
    }

    /// The op that undoes `op` (given that its `ld`/`od`/`sd` values record
    /// what it removed).
    pub fn invert(&self, op: &[Component]) -> Result<Vec<Component>, OtError> {
        op.iter().rev().map(|c| self.invert_component(c)).collect()
    }

    fn invert_component(&self, c: &Component) -> Result<Component, OtError> {
        let mut path = c.path.clone();
        let kind = match &c.kind {
            Kind::NumberAdd(n) => Kind::NumberAdd(-n),
            Kind::ListInsert(v) => Kind::ListDelete(v.clone()),
            Kind::ListDelete(v) => Kind::ListInsert(v.clone()),
            Kind::ListReplace { insert, delete } => Kind::ListReplace {
                insert: delete.clone(),
                delete: insert.clone(),
            },
            Kind::ListMove(to) => {
                let from = path.pop().and_then(|p| p.index()).unwrap_or_default();
                path.push(PathElem::Index(*to));
                Kind::ListMove(from)
            }
            Kind::ObjectInsert(v) => Kind::ObjectDelete(v.clone()),
            Kind::ObjectDelete(v) => Kind::ObjectInsert(v.clone()),
            Kind::ObjectReplace { insert, delete } => Kind::ObjectReplace {
                insert: delete.clone(),
                delete: insert.clone(),
            },
            Kind::StringInsert(s) => Kind::StringDelete(s.clone()),
            Kind::StringDelete(s) => Kind::StringInsert(s.clone()),
            Kind::Subtype { name, op } => Kind::Subtype {
                name: name.clone(),
                op: self.registry().get(name)?.invert(op)?.into(),
            },
        };
        Ok(Component { path, kind })
    }
}
