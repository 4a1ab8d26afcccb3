//! What persistent workers say back, by protocol (docs/session-file.md).
//!
//! `lines`: an input is one line on stdin and its answer the next line on
//! stdout, matched by order. A long answer arrives from the line splitter in
//! pieces; they are joined here, so an answer of any length up to
//! `MAX_ANSWER` is one result. An input with a newline cannot be sent as one
//! line: it fails at once rather than arrive as two inputs.
//!
//! `jsonl`: one JSON object a line each way. In: `{"id":N,"input":"…"}`;
//! out: `{"id":N,"result":…}`, or `{"id":N,"error":"…"}` for an input the
//! worker could not do. Answers are matched by id, in any order; an answer
//! that does not parse, has no id or an id the worker was not given is an
//! `error` event and changes no input's result. An input never answered is
//! retried (within `retries`) when its worker exits or its `timeout` passes.
//! The decisions are pure functions, tested below.

use crate::event::raw::{decode, text_and_raw};
use serde_json::Value;

/// The longest answer joined from pieces; beyond it the input fails.
pub(super) const MAX_ANSWER: usize = 16 << 20;

/// A jsonl request's id: the input's index and its attempt (1, 2, ...),
/// so that a late answer to an earlier attempt is told apart. Below 2^53
/// (attempts are at most 1,001), so any JSON reader keeps it exact.
pub(super) fn request_id(input: usize, attempt: u32) -> u64 {
    (u64::from(attempt) << 32) | (input as u64 & 0xFFFF_FFFF)
}

/// The input and attempt a request id names.
pub(super) fn split_id(id: u64) -> (usize, u32) {
    (
        (id & 0xFFFF_FFFF) as usize,
        (id >> 32).min(u64::from(u32::MAX)) as u32,
    )
}

/// The line that carries `text` to a worker, with its newline; `Err` if the
/// protocol cannot carry it. `id`: see [`request_id`].
pub(super) fn request(jsonl: bool, id: u64, text: &str) -> Result<Vec<u8>, String> {
    if jsonl {
        let mut line =
            serde_json::to_vec(&serde_json::json!({ "id": id, "input": text })).map_err(|e| e.to_string())?;
        line.push(b'\n');
        return Ok(line);
    }
    if text.contains('\n') {
        return Err(
            "the input has a newline, which protocol = \"lines\" cannot send as one line (use protocol = \"jsonl\")"
                .to_string(),
        );
    }
    let mut line = text.as_bytes().to_vec();
    line.push(b'\n');
    Ok(line)
}

/// Pieces of one answer, joined until its newline.
#[derive(Debug, Default)]
pub(super) struct Partial {
    bytes: Vec<u8>,
    /// More than `MAX_ANSWER` came: the rest is dropped.
    overflow: bool,
}

/// A whole answer line, or why it cannot be used.
#[derive(Debug, PartialEq)]
pub(super) enum Joined {
    Line { text: String, bytes: Option<String> },
    TooLong { len: usize },
}

impl Partial {
    /// Adds a piece; returns the whole answer when `complete` (the piece
    /// ended with a newline).
    pub fn push(&mut self, text: String, raw: Option<String>, complete: bool) -> Option<Joined> {
        if complete && self.bytes.is_empty() && !self.overflow {
            // A whole line in one piece (the common case): as it is.
            return Some(Joined::Line { text, bytes: raw });
        }
        if !self.overflow {
            let piece = raw
                .as_deref()
                .and_then(decode)
                .unwrap_or_else(|| text.into_bytes());
            if self.bytes.len() + piece.len() > MAX_ANSWER {
                self.overflow = true;
            } else {
                self.bytes.extend_from_slice(&piece);
            }
        }
        if !complete {
            return None;
        }
        let whole = std::mem::take(self);
        Some(if whole.overflow {
            Joined::TooLong { len: MAX_ANSWER }
        } else {
            let (text, bytes) = text_and_raw(&whole.bytes);
            Joined::Line { text, bytes }
        })
    }
}

/// What a jsonl answer line says.
#[derive(Debug, PartialEq)]
pub(super) enum Answer {
    Result {
        id: u64,
        text: String,
    },
    Error {
        id: u64,
        message: String,
    },
    /// Not an answer: why.
    Invalid(String),
}

pub(super) fn parse_answer(line: &str) -> Answer {
    let value: Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return Answer::Invalid(format!("not JSON ({e})")),
    };
    let Value::Object(map) = value else {
        return Answer::Invalid("not a JSON object".to_string());
    };
    let Some(id) = map.get("id").and_then(Value::as_u64) else {
        return Answer::Invalid("no whole-number `id`".to_string());
    };
    match (map.get("result"), map.get("error")) {
        (Some(_), Some(_)) => Answer::Invalid(format!("both `result` and `error` for id {id}")),
        (Some(Value::String(s)), None) => Answer::Result { id, text: s.clone() },
        (Some(v), None) => Answer::Result {
            id,
            text: v.to_string(),
        },
        (None, Some(Value::String(s))) => Answer::Error {
            id,
            message: s.clone(),
        },
        (None, Some(v)) => Answer::Error {
            id,
            message: v.to_string(),
        },
        (None, None) => Answer::Invalid(format!("neither `result` nor `error` for id {id}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_name_the_input_and_its_attempt() {
        for (input, attempt) in [(0, 1), (5, 2), (4_294_967_295, 1001), (123_456, 7)] {
            let id = request_id(input, attempt);
            assert!(id < 1 << 53);
            assert_eq!(split_id(id), (input, attempt));
        }
        assert_ne!(request_id(3, 1), request_id(3, 2));
    }

    #[test]
    fn requests_carry_any_text_in_jsonl_and_refuse_a_newline_in_lines() {
        assert_eq!(request(false, 3, "a b").unwrap(), b"a b\n");
        assert!(request(false, 3, "two\nlines").unwrap_err().contains("jsonl"));
        let line = request(true, 3, "two\nlines \"q\"").unwrap();
        assert_eq!(line.last(), Some(&b'\n'));
        assert_eq!(line.iter().filter(|&&b| b == b'\n').count(), 1, "one line");
        let v: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(v["id"], 3);
        assert_eq!(v["input"], "two\nlines \"q\"");
    }

    #[test]
    fn answers_are_read_by_id_and_anything_else_is_invalid() {
        assert_eq!(
            parse_answer(r#"{"id":4,"result":"x"}"#),
            Answer::Result {
                id: 4,
                text: "x".into()
            }
        );
        assert_eq!(
            parse_answer(r#"{"id":4,"result":{"n":1}}"#),
            Answer::Result {
                id: 4,
                text: r#"{"n":1}"#.into()
            }
        );
        assert_eq!(
            parse_answer(r#"{"result":1,"id":0}"#),
            Answer::Result {
                id: 0,
                text: "1".into()
            }
        );
        assert_eq!(
            parse_answer(r#"{"id":2,"error":"bad input"}"#),
            Answer::Error {
                id: 2,
                message: "bad input".into()
            }
        );
        for bad in [
            "",
            "4",
            "\"x\"",
            "[1]",
            r#"{"result":1}"#,
            r#"{"id":-1,"result":1}"#,
            r#"{"id":"1","result":1}"#,
            r#"{"id":1}"#,
            r#"{"id":1,"result":1,"error":"e"}"#,
            "{\"id\":1,",
            "log line from the worker",
        ] {
            assert!(matches!(parse_answer(bad), Answer::Invalid(_)), "{bad}");
        }
    }

    #[test]
    fn pieces_join_into_one_answer_and_an_endless_one_is_bounded() {
        let mut p = Partial::default();
        assert_eq!(p.push("ab".into(), None, false), None);
        assert_eq!(
            p.push(
                "c\u{fffd}".into(),
                Some(crate::event::raw::encode(b"c\xff")),
                false
            ),
            None
        );
        assert_eq!(
            p.push("d".into(), None, true),
            Some(Joined::Line {
                text: "abc\u{fffd}d".into(),
                bytes: Some(crate::event::raw::encode(b"abc\xffd"))
            })
        );
        assert_eq!(
            p.push("next".into(), None, true),
            Some(Joined::Line {
                text: "next".into(),
                bytes: None
            })
        );
        let piece = "x".repeat(1 << 20);
        for _ in 0..20 {
            assert_eq!(p.push(piece.clone(), None, false), None);
        }
        assert!(p.bytes.len() <= MAX_ANSWER);
        assert_eq!(
            p.push(String::new(), None, true),
            Some(Joined::TooLong { len: MAX_ANSWER })
        );
        assert_eq!(
            p.push("ok".into(), None, true),
            Some(Joined::Line {
                text: "ok".into(),
                bytes: None
            })
        );
    }
}
