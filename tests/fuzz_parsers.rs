//! Bad input never panics: the session-file parser and the journal reader
//! get arbitrary and mutated input and must answer with a result or an
//! error, never a panic.

use proctor::event::parse_json_line;
use proctor::session::parse_session;
use proptest::prelude::*;
use std::path::Path;

const VALID: &str = r#"
[[task]]
name = "square"
run = "sh -c 'echo Square: $((10*10))'"
env = { GREETING = "hi" }
instances = 2
restart = "on-failure"
stop_signal = "SIGTERM"
stop_timeout = 5.0
timeout = 1

[[pool]]
name = "squares"
workers = 4
mode = "persistent"
run = ["sh", "-c", "cat"]
inputs = ["0", "1", 2, 3.5]
retries = 1
"#;

const EVENT: &str = r#"{"seq":7,"time":"2026-11-22T01:02:03.456+00:00","kind":"exited","process":"a-1","pid":42,"exit_code":-15,"runtime":1.5,"message":"x","peak_rss_kb":10,"user_cpu":0.1,"sys_cpu":0.2}"#;

/// Replaces, inserts or deletes bytes of `base` at the given places.
fn mutate(base: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut bytes = base.as_bytes().to_vec();
    for &(pos, op, val) in edits {
        if bytes.is_empty() {
            bytes.push(val);
            continue;
        }
        let i = pos % bytes.len();
        match op % 3 {
            0 => bytes[i] = val,
            1 => bytes.insert(i, val),
            _ => {
                bytes.remove(i);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn session_parser_never_panics_on_arbitrary_text(text in ".{0,400}") {
        let _ = parse_session(&text, "fuzz.toml", Path::new("/tmp"));
    }

    #[test]
    fn session_parser_never_panics_on_mutated_sessions(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..12)) {
        let text = mutate(VALID, &edits);
        match parse_session(&text, "fuzz.toml", Path::new("/tmp")) {
            Ok(s) => prop_assert!(s.tasks.iter().all(|t| !t.name.is_empty())),
            Err(e) => prop_assert!(e.0.iter().all(|x| x.file == "fuzz.toml" && !x.message.is_empty())),
        }
    }

    #[test]
    fn journal_reader_never_panics_on_arbitrary_lines(text in ".{0,300}") {
        let _ = parse_json_line(&text);
    }

    #[test]
    fn journal_reader_never_panics_on_mutated_events(edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..10)) {
        let _ = parse_json_line(&mutate(EVENT, &edits));
    }

    #[test]
    fn journal_files_with_garbage_are_read_line_by_line(lines in proptest::collection::vec(prop_oneof![Just(EVENT.to_string()), ".{0,80}"], 0..30)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        std::fs::write(&path, lines.join("\n")).unwrap();
        let (events, errors) = proctor::journal::read_journal(&path).unwrap();
        let good = lines.iter().filter(|l| l.as_str() == EVENT).count();
        prop_assert!(events.len() >= good);
        prop_assert!(events.len() + errors.len() <= lines.len());
    }
}

#[test]
fn the_unmutated_inputs_parse() {
    assert!(parse_session(VALID, "ok.toml", Path::new("/tmp")).is_ok());
    assert!(parse_json_line(EVENT).is_ok());
}
