//! Running out of file descriptors is back-pressure, not failure: starts
//! wait for descriptors to free up and the shortage is said once; what
//! still cannot start after its stop timeout fails with the OS error. The
//! real binary under a real `RLIMIT_NOFILE`, real children.

use proctor::event::{Event, EventKind};
use proctor::journal::read_journal;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// Runs `session` under a limit of `nofile` open files (soft and hard, so
/// Proctor cannot raise it); returns the exit code and the events.
fn run_limited(dir: &Path, session: &str, nofile: u64) -> (Option<i32>, Vec<Event>, String) {
    let path = dir.join("session.toml");
    std::fs::write(&path, session).unwrap();
    let export = dir.join("events.jsonl");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proctor"));
    cmd.args(["run", "-q", "--no-journal"])
        .arg(&path)
        .arg("--export")
        .arg(&export)
        .env("PROCTOR_CGROUP", "off");
    // SAFETY: setrlimit is async-signal-safe; nothing else runs here.
    unsafe {
        cmd.pre_exec(move || {
            let lim = libc::rlimit {
                rlim_cur: nofile,
                rlim_max: nofile,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let (events, bad) = read_journal(&export).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert!(bad.is_empty());
    (out.status.code(), events, stderr)
}

fn shortage_notes(events: &[Event]) -> usize {
    events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::Error { message } if message.starts_with("out of file descriptors")))
        .count()
}

#[test]
fn a_pool_short_of_descriptors_waits_and_finishes_every_input() {
    let dir = tempfile::tempdir().unwrap();
    let (code, events, stderr) = run_limited(
        dir.path(),
        r#"[[pool]]
name = "p"
workers = 20
run = ["sh", "-c", "sleep 0.2; echo $0"]
inputs = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20"]
"#,
        40,
    );
    let done = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TaskDone { .. }))
        .count();
    let failed: Vec<&Event> = events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::TaskFailed { .. } | EventKind::SpawnFailed { .. }
            )
        })
        .collect();
    assert!(failed.is_empty(), "{failed:?}\n{stderr}");
    assert_eq!(done, 20, "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(shortage_notes(&events), 1, "the shortage is said once");
}

#[test]
fn instances_that_never_get_a_descriptor_fail_with_the_os_error_after_their_stop_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (code, events, stderr) = run_limited(
        dir.path(),
        r#"[[task]]
name = "many"
instances = 40
run = "sleep 3"
stop_timeout = 0.5
"#,
        40,
    );
    let started = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Spawned { .. }))
        .count();
    let failed: Vec<&String> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::SpawnFailed { message } => Some(message),
            _ => None,
        })
        .collect();
    assert!(started >= 1, "some start: {stderr}");
    assert!(!failed.is_empty(), "some cannot: {stderr}");
    assert_eq!(started + failed.len(), 40, "every instance is accounted for");
    for m in &failed {
        assert!(m.contains("Too many open files"), "the OS error: {m}");
        assert!(m.contains("stop timeout"), "and why it gave up: {m}");
    }
    // Each gave up after waiting, not at once.
    let first_note = events
        .iter()
        .find(|e| matches!(&e.kind, EventKind::Error { message } if message.starts_with("out of file descriptors")))
        .expect("the shortage is said");
    let first_fail = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::SpawnFailed { .. }))
        .unwrap();
    let waited = (first_fail.time - first_note.time).num_milliseconds();
    assert!(waited >= 400, "gave up after {waited} ms");
    assert_eq!(shortage_notes(&events), 1);
    assert_ne!(code, Some(0), "instances that could not start are a failure");
}
