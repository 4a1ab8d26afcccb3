//! Malformed session files: each problem is an error naming the file, the
//! line and the field, every problem is reported, and nothing runs.

use proctor::session::{parse_session, SpecError};
use std::path::Path;

fn errors(src: &str) -> Vec<SpecError> {
    parse_session(src, "s.toml", Path::new("/tmp"))
        .expect_err("the file is invalid")
        .0
}

fn one(src: &str) -> SpecError {
    let e = errors(src);
    assert_eq!(e.len(), 1, "{e:?}");
    e.into_iter().next().unwrap()
}

#[test]
fn unknown_field_names_line_and_field() {
    let e = one("[[task]]\nname = \"a\"\nrun = \"true\"\ncolour = \"red\"\n");
    assert_eq!((e.file.as_str(), e.line), ("s.toml", 4));
    assert_eq!(e.field, "task \"a\".colour");
    assert!(e.message.contains("unknown field"));
    assert_eq!(
        e.to_string(),
        "s.toml:4: task \"a\".colour: unknown field `colour`"
    );
}

#[test]
fn duplicate_names_including_instance_names() {
    let e = one("[[task]]\nname = \"a\"\nrun = \"true\"\n\n[[task]]\nname = \"a\"\nrun = \"true\"\n");
    // Reported at the later table's `name`.
    assert_eq!((e.line, e.field.as_str()), (6, "task \"a\".name"));
    assert!(e.message.contains("duplicate"), "{e}");
    // `w` with 2 instances is w-1, w-2: clashes with a task named w-2.
    let e = one(
        "[[task]]\nname = \"w\"\nrun = \"true\"\ninstances = 2\n[[task]]\nname = \"w-2\"\nrun = \"true\"\n",
    );
    assert!(e.message.contains("w-2"), "{e}");
}

#[test]
fn empty_and_missing_commands() {
    let e = one("[[task]]\nname = \"a\"\nrun = \"  \"\n");
    assert_eq!((e.line, e.field.as_str()), (3, "task \"a\".run"));
    assert!(e.message.contains("empty"));
    let e = one("[[task]]\nname = \"a\"\nrun = []\n");
    assert!(e.message.contains("empty"));
    let e = one("[[task]]\nname = \"a\"\n");
    assert!(e.message.contains("missing"), "{e}");
    let e = one("[[task]]\nname = \"a\"\nrun = \"echo 'unclosed\"\n");
    assert!(e.message.contains("quotes"), "{e}");
}

#[test]
fn bad_signal_names() {
    let e = one("[[task]]\nname = \"a\"\nrun = \"true\"\nstop_signal = \"SIGFOO\"\n");
    assert_eq!((e.line, e.field.as_str()), (4, "task \"a\".stop_signal"));
    assert!(e.message.contains("SIGFOO"));
}

#[test]
fn negative_times() {
    for field in ["timeout", "stop_timeout", "backoff"] {
        let e = one(&format!("[[task]]\nname = \"a\"\nrun = \"true\"\n{field} = -1\n"));
        assert_eq!(e.line, 4);
        assert_eq!(e.field, format!("task \"a\".{field}"));
        assert!(e.message.contains("negative"), "{e}");
    }
}

#[test]
fn wrong_types_and_bad_choices() {
    let e = one("[[task]]\nname = \"a\"\nrun = \"true\"\ninstances = \"two\"\n");
    assert!(e.message.contains("whole number"), "{e}");
    let e = one("[[task]]\nname = \"a\"\nrun = \"true\"\nrestart = \"sometimes\"\n");
    assert!(e.message.contains("never, on-failure or always"), "{e}");
    let e = one("[[pool]]\nname = \"p\"\nrun = \"true\"\nmode = \"fast\"\n");
    assert!(e.message.contains("spawn or persistent"), "{e}");
    let e = one("[[pool]]\nname = \"p\"\nrun = \"true\"\nworkers = 0\n");
    assert!(e.message.contains("out of range"), "{e}");
}

#[test]
fn every_error_is_reported_not_only_the_first() {
    let src = "[[task]]\nname = \"a\"\nrun = \"true\"\nstop_signal = \"NOPE\"\ntimeout = -3\n\n[[task]]\nname = \"b\"\nrun = \"\"\nbogus = 1\n";
    let e = errors(src);
    let lines: Vec<usize> = e.iter().map(|e| e.line).collect();
    assert_eq!(e.len(), 4, "{e:?}");
    assert!(
        lines.contains(&4) && lines.contains(&5) && lines.contains(&9) && lines.contains(&10),
        "{lines:?}"
    );
}

#[test]
fn syntax_errors_and_unknown_sections_have_a_line() {
    let e = one("[[task]]\nname = \"a\"\nrun = \"true\"\noops =\n");
    assert_eq!(e.line, 4, "{e}");
    assert!(e.message.contains("syntax"));
    let e = one("[[tasks]]\nname = \"a\"\n");
    assert_eq!(e.line, 1);
    assert!(e.message.contains("unknown section"));
}

#[test]
fn pool_inputs_file_must_exist() {
    let e = one("[[pool]]\nname = \"p\"\nrun = \"echo\"\ninputs_file = \"missing-inputs.txt\"\n");
    assert!(e.field.contains("inputs_file"), "{e}");
    assert!(e.message.contains("missing-inputs.txt"), "{e}");
}

#[test]
fn the_example_sessions_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            proctor::session::parse_session_file(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 6);
}

#[test]
fn a_bad_name_is_printed_escaped_and_cut() {
    let e = one("[[task]]\nname = \"a\\u001b[2J\"\nrun = \"true\"\n");
    assert_eq!(e.field, "task \"a\\u{1b}[2J\".name");
    assert!(!e.to_string().contains('\u{1b}'), "{e}");
    let long = "x".repeat(100_000);
    let e = one(&format!("[[task]]\nname = \"{long}\"\nrun = \"true\"\n"));
    assert!(e.to_string().len() < 300, "{e}");
    assert!(e.message.contains("longer than 64"), "{e}");
}
