//! A child's bytes that are not text: kept exactly in the journal and in
//! JSON Lines exports (base64 beside the lossy text), shown safely on the
//! terminal. The real binary, real children and files.

use proctor::event::raw::decode;
use proctor::event::EventKind;
use proctor::journal::read_journal;
use std::path::Path;
use std::process::Command;

fn run(dir: &Path, session: &str) -> (std::process::Output, Vec<proctor::event::Event>) {
    let path = dir.join("session.toml");
    std::fs::write(&path, session).unwrap();
    let export = dir.join("events.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_proctor"))
        .env("XDG_STATE_HOME", dir.join("state"))
        .arg("run")
        .arg(&path)
        .arg("--export")
        .arg(&export)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (events, bad) = read_journal(&export).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    (out, events)
}

#[test]
fn output_that_is_not_utf8_is_kept_exactly_and_escapes_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let (out, events) = run(
        dir.path(),
        r#"[[task]]
name = "bin"
run = ["printf", 'caf\351 \033[31mred\033[0m\nplain\n\377\376 err\n']
"#,
    );
    // Lines read together are one event (their bytes joined too): a line
    // each, as every reader of the journal takes them.
    let lines: Vec<(String, Option<String>)> = events
        .iter()
        .flat_map(|e| e.clone().into_lines())
        .filter_map(|e| match e.kind {
            EventKind::Stdout { line, bytes } => Some((line, bytes)),
            _ => None,
        })
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0].0, "caf\u{fffd} \u{1b}[31mred\u{1b}[0m");
    assert_eq!(
        decode(lines[0].1.as_deref().unwrap()).unwrap(),
        b"caf\xe9 \x1b[31mred\x1b[0m"
    );
    assert_eq!(lines[1], ("plain".to_string(), None), "text carries no copy");
    assert_eq!(decode(lines[2].1.as_deref().unwrap()).unwrap(), b"\xff\xfe err");

    // The session's own journal holds the same bytes.
    let journals = dir.path().join("state/proctor/sessions");
    let journal = std::fs::read_dir(&journals)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    let (logged, _) = read_journal(&journal).unwrap();
    let logged: Vec<_> = logged.into_iter().flat_map(|e| e.into_lines()).collect();
    assert!(logged.iter().any(|e| matches!(&e.kind,
        EventKind::Stdout { bytes: Some(b), .. } if decode(b).unwrap() == b"\xff\xfe err")));

    // Standard output (a pipe here: `--color auto` colours only a
    // terminal) gets the text without its colour codes, never a raw ESC.
    assert!(!out.stdout.contains(&0x1b), "a raw ESC reached the terminal");
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(shown.contains("caf\u{fffd} red"), "{shown}");
}

#[test]
fn a_persistent_answer_that_is_not_utf8_keeps_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (_, events) = run(
        dir.path(),
        r#"[[pool]]
name = "p"
mode = "persistent"
workers = 1
run = ["sh", "-c", 'while read l; do printf "\377%s\n" "$l"; done']
inputs = ["a", "b"]
"#,
    );
    let answers: Vec<Vec<u8>> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TaskDone {
                result_bytes: Some(b),
                ..
            } => decode(b),
            _ => None,
        })
        .collect();
    assert_eq!(answers, vec![b"\xffa".to_vec(), b"\xffb".to_vec()]);
}
