//! `tertulia ot`: the OT core behind a line-oriented JSON interface, so that
//! any tool (the differential fuzzer, a shell) can drive it.
//!
//! One request per line in, one response per line out, in order. A line
//! that cannot be understood is answered with an error line; the process
//! keeps reading until end of input.

use std::io::{BufRead, Write};

use ot::{Op, OtError, Side};
use serde_json::{Value, json};

/// Answers every line of `input` on `output`.
pub fn run(input: impl BufRead, mut output: impl Write) -> anyhow::Result<()> {
    for line in input.lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let response = match answer(&line) {
            Ok(ok) => json!({ "ok": ok }),
            Err(e) => json!({ "error": { "code": e.code, "message": e.message } }),
        };
        serde_json::to_writer(&mut output, &response)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
    Ok(())
}

/// An error line's content.
struct LineError {
    code: &'static str,
    message: String,
}

impl From<OtError> for LineError {
    fn from(e: OtError) -> Self {
        LineError {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

fn bad_request(message: impl Into<String>) -> LineError {
    LineError {
        code: "bad_request",
        message: message.into(),
    }
}

fn answer(line: &str) -> Result<Value, LineError> {
    let request: Value =
        serde_json::from_str(line).map_err(|e| bad_request(format!("not JSON: {e}")))?;
    let field = |name: &str| {
        request
            .get(name)
            .ok_or_else(|| bad_request(format!("missing field {name:?}")))
    };
    let op = |name: &str| -> Result<Op, LineError> { Ok(Op::from_value(field(name)?)?) };
    let function = field("fn")?
        .as_str()
        .ok_or_else(|| bad_request("fn must be a string"))?;
    match function {
        "apply" => {
            let mut snapshot = field("snapshot")?.clone();
            ot::apply(&mut snapshot, &op("op")?)?;
            Ok(snapshot)
        }
        "transform" => {
            let side = field("side")?
                .as_str()
                .ok_or(OtError::InvalidSide)
                .and_then(Side::parse)?;
            Ok(ot::transform(&op("op")?, &op("other")?, side)?.to_value())
        }
        "compose" => Ok(ot::compose(&op("op")?, &op("other")?)?.to_value()),
        "invert" => Ok(ot::invert(&op("op")?)?.to_value()),
        "normalize" => Ok(ot::normalize(field("op")?)?.to_value()),
        "transform_cursor" => {
            let side = match request.get("side").and_then(Value::as_str) {
                Some(s) => Side::parse(s)?,
                None => Side::Left,
            };
            let cursor = ot::path_from_value(field("cursor")?)?;
            let moved = ot::transform_cursor(&cursor, &op("op")?, side)?;
            Ok(moved.map_or(Value::Null, |path| ot::path_to_value(&path)))
        }
        other => Err(bad_request(format!("unknown fn {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_lines(input: &str) -> Vec<Value> {
        let mut out = Vec::new();
        run(input.as_bytes(), &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn answers_each_line_and_survives_garbage() {
        let out = run_lines(concat!(
            r#"{"fn":"apply","snapshot":{"a":1},"op":[{"p":["a"],"na":2}]}"#,
            "\n{not json\n",
            r#"{"fn":"nope"}"#,
            "\n",
            r#"{"fn":"transform","op":[{"p":[0],"li":"x"}],"other":[{"p":[0],"li":"y"}],"side":"right"}"#,
            "\n",
            r#"{"fn":"apply","snapshot":[],"op":[{"p":[0],"ld":1}]}"#,
            "\n",
        ));
        assert_eq!(out[0], json!({"ok": {"a": 3}}));
        assert_eq!(out[1]["error"]["code"], "bad_request");
        assert_eq!(out[2]["error"]["code"], "bad_request");
        assert_eq!(out[3], json!({"ok": [{"p": [1], "li": "x"}]}));
        assert_eq!(out[4]["error"]["code"], "index_out_of_range");
    }
}
