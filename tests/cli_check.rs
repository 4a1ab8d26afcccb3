//! `proctor check` as a user runs it: the real binary on real files. It
//! prints the validator's message for a value, with file:line:field.

use proctor::session::validate;
use std::path::Path;
use std::process::{Command, Output};

fn check(path: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("check")
        .arg(path)
        .output()
        .expect("proctor runs")
}

fn check_text(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.toml");
    std::fs::write(&path, text).unwrap();
    let out = check(&path);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_example_session_checks_out() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/examples");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let out = check(&path);
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert_eq!(out.status.code(), Some(0), "{}: {stdout}", path.display());
            assert!(stdout.contains(": OK ("), "{stdout}");
            n += 1;
        }
    }
    assert!(n >= 6);
}

#[test]
fn a_task_named_like_a_pool_worker_is_rejected_with_its_line() {
    let (code, stderr) = check_text(
        "[[pool]]\nname = \"p\"\nrun = \"echo\"\ninputs = [\"1\"]\n\n[[task]]\nname = \"p/worker-1\"\nrun = \"sleep 1\"\n",
    );
    assert_eq!(code, Some(2), "{stderr}");
    let msg = validate::name("p/worker-1").unwrap_err();
    assert!(
        stderr.contains(&format!("session.toml:7: task \"p/worker-1\".name: {msg}")),
        "{stderr}"
    );
}

#[test]
fn a_timeout_of_1e20_gets_the_message_the_form_shows() {
    let (code, stderr) = check_text("[[task]]\nname = \"t\"\nrun = \"sleep 1\"\ntimeout = 1e20\n");
    assert_eq!(code, Some(2), "{stderr}");
    let msg = validate::timeout("1e20").unwrap_err();
    assert!(
        stderr.contains(&format!("session.toml:4: task \"t\".timeout: {msg}")),
        "{stderr}"
    );
}

#[test]
fn a_protocol_is_checked_and_only_for_persistent_pools() {
    let (code, err) = check_text("[[pool]]\nname = \"p\"\nrun = \"cat\"\nprotocol = \"jsonl\"\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains(":4: pool \"p\".protocol: protocol `jsonl` is for persistent pools"),
        "{err}"
    );
    let (code, err) =
        check_text("[[pool]]\nname = \"p\"\nmode = \"persistent\"\nrun = \"cat\"\nprotocol = \"xml\"\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("`xml` is not one of: lines or jsonl"), "{err}");
    let (code, err) =
        check_text("[[pool]]\nname = \"p\"\nmode = \"persistent\"\nrun = \"cat\"\nprotocol = \"jsonl\"\n");
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_duplicate_is_found_even_when_the_first_table_has_another_error_and_errors_come_in_file_order() {
    let (code, err) = check_text(
        "[[pool]]\nname = \"b\"\nrun = \"cat\"\nworkers = 0\n\n[[task]]\nname = \"a\"\nrun = \"x\"\ntimeout = -1\n\n[[task]]\nname = \"a\"\nrun = \"y\"\n",
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(":12: task \"a\".name: duplicate name"), "{err}");
    let lines: Vec<usize> = err
        .lines()
        .filter_map(|l| l.split(':').nth(1)?.trim().parse().ok())
        .collect();
    assert!(lines.len() >= 3, "{err}");
    assert!(
        lines.windows(2).all(|w| w[0] <= w[1]),
        "in file order: {lines:?}\n{err}"
    );
}

#[test]
fn a_name_taken_by_a_task_and_then_a_pool_is_reported_at_the_pool() {
    let (code, err) =
        check_text("[[task]]\nname = \"a\"\nrun = \"x\"\n\n[[pool]]\nname = \"a\"\nrun = \"cat\"\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains(":6: pool \"a\".name: duplicate name"), "{err}");
}

/// More slots on an SSH host than sshd's default MaxSessions: valid, but
/// warned of. A host written `a@b@c`, or 10 KB long, is an error that
/// does not echo it whole.
#[test]
fn hosts_past_max_sessions_are_warned_of_and_odd_hosts_refused() {
    let (code, err) = check_text(
        "[[pool]]\nname = \"p\"\nrun = [\"echo\", \"{}\"]\ninputs = [\"1\"]\nhosts = [\"b1:12\", \"b2:4\"]\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("warning: pool `p`: host `b1` has 12 slots"), "{err}");
    assert!(err.contains("MaxSessions"), "{err}");
    let (code, err) = check_text("[[task]]\nname = \"t\"\nrun = \"true\"\nhost = \"a@b@c\"\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("has an `@`"), "{err}");
    let long = "h".repeat(10_000);
    let (code, err) = check_text(&format!(
        "[[task]]\nname = \"t\"\nrun = \"true\"\nhost = \"{long}\"\n"
    ));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("10000 characters long") && err.len() < 1000, "{err}");
}
