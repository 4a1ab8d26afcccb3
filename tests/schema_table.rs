//! One table of values, good and bad, run through both front doors of the
//! session schema: the file parser (a session text holding the value) and
//! the GUI form's validation (the same value typed into the field). Both
//! must give the same verdict, the same message text and, for good values,
//! the same typed session.

use proctor::gui::{Errors, PoolDraft, TaskDraft};
use proctor::session::{parse_session, PoolSpec, Session, SpecError, TaskSpec};
use std::path::Path;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Task,
    Pool,
}

/// (kind, field, what a user types in the form, the same value in TOML)
type Row = (Kind, &'static str, &'static str, &'static str);

const BAD: &[Row] = &[
    // Times: huge, NaN, infinite, negative, empty, not a number.
    (Kind::Task, "timeout", "1e20", "1e20"),
    (Kind::Task, "timeout", "31536000.5", "31536000.5"),
    (
        Kind::Task,
        "timeout",
        "99999999999999999999",
        "99999999999999999999",
    ),
    (Kind::Task, "timeout", "nan", "nan"),
    (Kind::Task, "timeout", "inf", "inf"),
    (Kind::Task, "timeout", "-inf", "-inf"),
    (Kind::Task, "timeout", "-1", "-1"),
    (Kind::Task, "timeout", "", "\"\""),
    (Kind::Task, "timeout", "abc", "\"abc\""),
    (Kind::Task, "timeout", "5s", "\"5s\""),
    (Kind::Task, "timeout", "\u{1b}[2J", "\"\\u001b[2J\""),
    (
        Kind::Task,
        "timeout",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
    ),
    (Kind::Task, "stop_timeout", "1e20", "1e20"),
    (Kind::Task, "stop_timeout", "-0.5", "-0.5"),
    (Kind::Task, "backoff", "1e300", "1e300"),
    (Kind::Task, "backoff", "-1", "-1"),
    (Kind::Task, "backoff_max", "inf", "inf"),
    (Kind::Task, "backoff_max", "nan", "nan"),
    (Kind::Pool, "timeout", "1e20", "1e20"),
    (Kind::Pool, "timeout", "-3", "-3"),
    (Kind::Pool, "stop_timeout", "nan", "nan"),
    (Kind::Pool, "stop_timeout", "", "\"\""),
    // Counts out of range or not whole.
    (Kind::Task, "instances", "0", "0"),
    (Kind::Task, "instances", "10001", "10001"),
    (Kind::Task, "instances", "-1", "-1"),
    (Kind::Task, "instances", "1.5", "1.5"),
    (Kind::Task, "instances", "many", "\"many\""),
    (Kind::Task, "instances", "", "\"\""),
    (
        Kind::Task,
        "instances",
        "99999999999999999999999",
        "\"99999999999999999999999\"",
    ),
    (Kind::Task, "max_restarts", "1000001", "1000001"),
    (Kind::Task, "max_restarts", "-1", "-1"),
    (Kind::Pool, "workers", "0", "0"),
    (Kind::Pool, "workers", "4097", "4097"),
    (Kind::Pool, "workers", "1e3", "1e3"),
    (Kind::Pool, "retries", "1001", "1001"),
    (Kind::Pool, "retries", "-3", "-3"),
    (Kind::Pool, "retries", "two", "\"two\""),
    // Signals.
    (Kind::Task, "stop_signal", "SIGFOO", "\"SIGFOO\""),
    (Kind::Task, "stop_signal", "99", "99"),
    (Kind::Task, "stop_signal", "SIGSTOP", "\"SIGSTOP\""),
    (Kind::Task, "stop_signal", "", "\"\""),
    (Kind::Pool, "stop_signal", "NOPE", "\"NOPE\""),
    (Kind::Pool, "stop_signal", "SIG\u{7}TERM", "\"SIG\\u0007TERM\""),
    // Names.
    (Kind::Task, "name", "", "\"\""),
    (Kind::Task, "name", "   ", "\"   \""),
    (Kind::Task, "name", "p/worker-1", "\"p/worker-1\""),
    (Kind::Task, "name", "a\u{1b}[2J", "\"a\\u001b[2J\""),
    (Kind::Task, "name", "tab\there", "\"tab\\there\""),
    (Kind::Task, "name", " padded", "\" padded\""),
    (
        Kind::Task,
        "name",
        "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
        "\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn\"",
    ),
    (Kind::Pool, "name", "a/b", "\"a/b\""),
    (Kind::Pool, "name", "", "\"\""),
    // Commands.
    (Kind::Task, "run", "", "\"\""),
    (Kind::Task, "run", "echo 'open", "\"echo 'open\""),
    (Kind::Pool, "run", "  ", "\"  \""),
    // A task's host: the checks of a pool's hosts.
    (Kind::Task, "host", "-oProxyCommand=x", "\"-oProxyCommand=x\""),
    (Kind::Task, "host", "build1:8", "\"build1:8\""),
    (Kind::Task, "host", "u@local", "\"u@local\""),
    (Kind::Task, "host", "a b", "\"a b\""),
    (Kind::Task, "host", "@h", "\"@h\""),
    (Kind::Task, "host", "[::1", "\"[::1\""),
];

const GOOD: &[Row] = &[
    (Kind::Task, "timeout", "0", "0"),
    (Kind::Task, "timeout", "0.25", "0.25"),
    (Kind::Task, "timeout", "31536000", "31536000"),
    (Kind::Task, "timeout", "1e3", "1e3"),
    (Kind::Task, "stop_timeout", "0", "0"),
    (Kind::Task, "backoff", "0.000001", "0.000001"),
    (Kind::Task, "backoff_max", "120", "120"),
    (Kind::Task, "instances", "10000", "10000"),
    (Kind::Task, "max_restarts", "0", "0"),
    (Kind::Task, "stop_signal", "SIGINT", "\"SIGINT\""),
    (Kind::Task, "stop_signal", "9", "9"),
    (Kind::Task, "name", "a b", "\"a b\""),
    (Kind::Task, "name", "é", "\"é\""),
    (Kind::Pool, "workers", "4096", "4096"),
    (Kind::Pool, "workers", "1", "1"),
    (Kind::Pool, "retries", "1000", "1000"),
    (Kind::Pool, "timeout", "2.5", "2.5"),
    (Kind::Task, "host", "build1", "\"build1\""),
    (Kind::Task, "host", "user@build2", "\"user@build2\""),
    (Kind::Task, "host", "[::1]", "\"[::1]\""),
    (Kind::Task, "host", "local", "\"local\""),
];

fn base() -> &'static Path {
    Path::new("/tmp")
}

/// A session of one task or pool named `n` (unless the row sets the name)
/// with `field = toml`.
fn session_text(kind: Kind, field: &str, toml: &str) -> String {
    let (table, name) = match kind {
        Kind::Task => ("task", "n"),
        Kind::Pool => ("pool", "n"),
    };
    let mut lines = vec![format!("[[{table}]]")];
    if field != "name" {
        lines.push(format!("name = \"{name}\""));
    }
    if field != "run" {
        lines.push("run = \"true\"".into());
    }
    lines.push(format!("{field} = {toml}"));
    lines.join("\n") + "\n"
}

fn task_draft() -> TaskDraft {
    let mut d = TaskDraft::new("n".into(), base().to_path_buf());
    d.run = "true".into();
    d
}

fn pool_draft() -> PoolDraft {
    let mut d = PoolDraft::new("n".into(), base().to_path_buf());
    d.run = "true".into();
    d
}

enum Typed {
    Task(TaskSpec),
    Pool(PoolSpec),
}

/// The value typed into the form's field, checked as the form checks it.
fn through_form(kind: Kind, field: &str, text: &str) -> Result<Typed, Errors> {
    let text = text.to_string();
    match kind {
        Kind::Task => {
            let mut d = task_draft();
            match field {
                "name" => d.name = text,
                "run" => d.run = text,
                "timeout" => d.timeout = text,
                "stop_timeout" => d.stop_timeout = text,
                "stop_signal" => d.stop_signal = text,
                "backoff" => d.backoff = text,
                "backoff_max" => d.backoff_max = text,
                "instances" => d.instances = text,
                "max_restarts" => d.max_restarts = text,
                "host" => d.host = text,
                other => panic!("no task field {other} in the table's form"),
            }
            d.to_spec().map(Typed::Task)
        }
        Kind::Pool => {
            let mut d = pool_draft();
            match field {
                "name" => d.name = text,
                "run" => d.run = text,
                "timeout" => d.timeout = text,
                "stop_timeout" => d.stop_timeout = text,
                "stop_signal" => d.stop_signal = text,
                "workers" => d.workers = text,
                "retries" => d.retries = text,
                other => panic!("no pool field {other} in the table's form"),
            }
            d.to_spec().map(Typed::Pool)
        }
    }
}

fn through_parser(kind: Kind, field: &str, toml: &str) -> Result<Session, Vec<SpecError>> {
    parse_session(&session_text(kind, field, toml), "s.toml", base()).map_err(|e| e.0)
}

#[test]
fn bad_values_get_the_same_message_from_the_file_and_the_form() {
    for &(kind, field, typed, toml) in BAD {
        let row = format!("{kind:?} {field} = {typed:?} / {toml}");
        let form = match through_form(kind, field, typed) {
            Ok(_) => panic!("{row}: the form accepted it"),
            Err(e) => e,
        };
        assert_eq!(form.len(), 1, "{row}: one problem in the form: {form:?}");
        let form_msg = form.get(field).unwrap_or_else(|| panic!("{row}: {form:?}"));
        let file = match through_parser(kind, field, toml) {
            Ok(_) => panic!("{row}: the parser accepted it"),
            Err(e) => e,
        };
        assert_eq!(file.len(), 1, "{row}: one problem in the file: {file:?}");
        let e = &file[0];
        assert!(e.field.ends_with(&format!(".{field}")), "{row}: {e}");
        let line = session_text(kind, field, toml).lines().count();
        assert_eq!(e.line, line, "{row}: {e}");
        assert_eq!(&e.message, form_msg, "{row}: the parser and the form disagree");
        // What `proctor check` prints: the same text, with file:line:field.
        assert!(
            e.to_string().starts_with(&format!("s.toml:{line}: ")),
            "{row}: {e}"
        );
        assert!(e.to_string().ends_with(form_msg.as_str()), "{row}: {e}");
    }
}

#[test]
fn good_values_give_the_same_session_from_the_file_and_the_form() {
    for &(kind, field, typed, toml) in GOOD {
        let row = format!("{kind:?} {field} = {typed:?} / {toml}");
        let form = through_form(kind, field, typed).unwrap_or_else(|e| panic!("{row}: {e:?}"));
        let file = through_parser(kind, field, toml).unwrap_or_else(|e| panic!("{row}: {e:?}"));
        match (form, kind) {
            (Typed::Task(t), Kind::Task) => assert_eq!(file.tasks, vec![t], "{row}"),
            (Typed::Pool(p), Kind::Pool) => assert_eq!(file.pools, vec![p], "{row}"),
            _ => unreachable!(),
        }
    }
}

#[test]
fn the_bounds_are_what_the_types_hold() {
    let s = through_parser(Kind::Task, "timeout", "31536000").unwrap();
    assert_eq!(
        s.tasks[0].timeout.map(|t| t.get()),
        Some(std::time::Duration::from_secs(365 * 86_400))
    );
    let s = through_parser(Kind::Task, "timeout", "0").unwrap();
    assert_eq!(s.tasks[0].timeout, None, "0 means no time limit");
    let s = through_parser(Kind::Pool, "workers", "4096").unwrap();
    assert_eq!(s.pools[0].workers.get(), 4096);
}
