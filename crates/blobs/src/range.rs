//! `Range: bytes=…` requests (RFC 9110 §14), one range at a time: enough for
//! video seeking and resumed downloads. Several ranges are answered with the
//! whole blob, as the RFC allows.

/// What to send for a request's `Range` header on a blob of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// No (usable) range: the whole blob, 200.
    Full,
    /// Bytes `start..end` (end exclusive), 206.
    Partial {
        /// First byte.
        start: u64,
        /// One past the last byte.
        end: u64,
    },
    /// No byte of the range exists, 416.
    Unsatisfiable,
}

/// Interprets `header` (the `Range` value) for a blob of `len` bytes.
pub fn answer(header: Option<&str>, len: u64) -> RangeAnswer {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let (first, last) = (first.trim(), last.trim());
    let parse = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse().ok()
        }
    };
    match (first.is_empty(), last.is_empty()) {
        // `bytes=-n`: the last n bytes.
        (true, false) => match parse(last) {
            Some(n) if n == 0 || len == 0 => RangeAnswer::Unsatisfiable,
            Some(n) => RangeAnswer::Partial {
                start: len.saturating_sub(n),
                end: len,
            },
            None => RangeAnswer::Full,
        },
        // `bytes=a-` or `bytes=a-b`.
        (false, open_ended) => {
            let Some(start) = parse(first) else {
                return RangeAnswer::Full;
            };
            let end = if open_ended {
                len
            } else {
                match parse(last) {
                    Some(l) if l >= start => l.saturating_add(1).min(len),
                    _ => return RangeAnswer::Full,
                }
            };
            if start >= len {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Partial { start, end }
            }
        }
        (true, true) => RangeAnswer::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeAnswer::*;

    #[test]
    fn ranges() {
        let p = |start, end| Partial { start, end };
        assert_eq!(answer(None, 100), Full);
        assert_eq!(answer(Some("bytes=0-9"), 100), p(0, 10));
        assert_eq!(answer(Some("bytes=90-"), 100), p(90, 100));
        assert_eq!(answer(Some("bytes=90-1000"), 100), p(90, 100));
        assert_eq!(answer(Some("bytes=-10"), 100), p(90, 100));
        assert_eq!(answer(Some("bytes=-1000"), 100), p(0, 100));
        assert_eq!(answer(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(answer(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(answer(Some("bytes=5-1"), 100), Full);
        assert_eq!(answer(Some("bytes=0-1,5-6"), 100), Full);
        assert_eq!(answer(Some("items=0-1"), 100), Full);
        assert_eq!(answer(Some("bytes=x-1"), 100), Full);
        assert_eq!(answer(Some("bytes=+1-2"), 100), Full);
        assert_eq!(answer(Some("bytes=-"), 100), Full);
        assert_eq!(answer(Some("bytes=0-0"), 0), Unsatisfiable);
    }

    proptest::proptest! {
        #[test]
        fn any_header_gives_a_range_inside_the_blob(header in ".{0,40}", len in 0u64..10_000) {
            if let Partial { start, end } = answer(Some(&header), len) {
                proptest::prop_assert!(start < end && end <= len);
            }
        }
    }
}
