//! String offsets counted the way JavaScript counts them: in UTF-16 code
//! units. Rust strings are UTF-8, so every offset is converted here, and an
//! offset that would split a surrogate pair is refused (a Rust `String`
//! cannot hold the lone surrogate that JavaScript would produce).

use crate::OtError;

/// Length of `s` in UTF-16 code units (JavaScript's `s.length`).
pub fn len(s: &str) -> usize {
    if s.is_ascii() {
        return s.len();
    }
    s.chars().map(char::len_utf16).sum()
}

/// The byte offset of UTF-16 offset `offset` in `s`, which must lie within
/// `0..=len(s)` and on a code point boundary.
pub fn byte_offset(s: &str, offset: usize) -> Result<usize, OtError> {
    if s.is_ascii() {
        return if offset <= s.len() {
            Ok(offset)
        } else {
            Err(out_of_range(offset, s.len()))
        };
    }
    let mut units = 0usize;
    for (byte, ch) in s.char_indices() {
        if units == offset {
            return Ok(byte);
        }
        units += ch.len_utf16();
        if units > offset {
            return Err(OtError::SurrogateSplit(to_i64(offset)));
        }
    }
    if units == offset {
        Ok(s.len())
    } else {
        Err(out_of_range(offset, units))
    }
}

/// JavaScript's `s.slice(start, end)`: negative bounds count from the end,
/// bounds are clamped to the string, and an empty range yields `""`.
pub fn slice(s: &str, start: i64, end: Option<i64>) -> Result<&str, OtError> {
    let n = to_i64(len(s));
    let clamp = |x: i64| if x < 0 { (n + x).max(0) } else { x.min(n) };
    let from = clamp(start);
    let to = end.map_or(n, clamp);
    if from >= to {
        return Ok("");
    }
    let from_byte = byte_offset(s, from as usize)?;
    let to_byte = byte_offset(s, to as usize)?;
    Ok(&s[from_byte..to_byte])
}

/// JavaScript's `s1.slice(0, pos) + s2 + s1.slice(pos)`.
pub fn inject(s1: &str, pos: i64, s2: &str) -> Result<String, OtError> {
    let head = slice(s1, 0, Some(pos))?;
    let tail = slice(s1, pos, None)?;
    let mut out = String::with_capacity(s1.len() + s2.len());
    out.push_str(head);
    out.push_str(s2);
    out.push_str(tail);
    Ok(out)
}

fn out_of_range(offset: usize, len: usize) -> OtError {
    OtError::IndexOutOfRange {
        index: to_i64(offset),
        len,
    }
}

/// Offsets are at most a string's length, which always fits in an `i64`.
pub(crate) fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_astral_characters_as_two_units() {
        assert_eq!(len("a😀b"), 4);
        assert_eq!(len("é中"), 2);
        assert_eq!(byte_offset("a😀b", 3), Ok(5));
        assert_eq!(byte_offset("a😀b", 2), Err(OtError::SurrogateSplit(2)));
        assert!(matches!(
            byte_offset("ab", 3),
            Err(OtError::IndexOutOfRange { .. })
        ));
    }

    #[test]
    fn slice_follows_javascript() {
        assert_eq!(slice("hello", 1, Some(3)), Ok("el"));
        assert_eq!(slice("hello", 3, Some(1)), Ok(""));
        assert_eq!(slice("hello", -2, None), Ok("lo"));
        assert_eq!(slice("hello", 2, Some(99)), Ok("llo"));
        assert_eq!(slice("😀x", 2, None), Ok("x"));
        assert_eq!(inject("ac", 1, "b"), Ok("abc".to_string()));
    }
}
