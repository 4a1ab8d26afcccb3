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

#[test]
fn a_persistent_pool_goes_on_with_the_workers_it_could_start() {
    let dir = tempfile::tempdir().unwrap();
    let inputs: Vec<String> = (1..=200).map(|i| format!("\"{i}\"")).collect();
    let (code, events, stderr) = run_limited(
        dir.path(),
        &format!(
            r#"[[pool]]
name = "p"
mode = "persistent"
workers = 20
stop_timeout = 0.5
run = ["sh", "-c", "while IFS= read -r l; do sleep 0.01; echo \"r:$l\"; done"]
inputs = [{}]
"#,
            inputs.join(", ")
        ),
        40,
    );
    let done = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::TaskDone { .. }))
        .count();
    assert_eq!(done, 200, "every input done by the workers that run: {stderr}");
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn instances_still_waiting_when_the_session_ends_are_reported_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("session.toml");
    std::fs::write(
        &path,
        "[[task]]\nname = \"t\"\ninstances = 30\nrun = \"sleep 30\"\nstop_timeout = 20\n",
    )
    .unwrap();
    let export = dir.path().join("events.jsonl");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_proctor"));
    cmd.args(["run", "-q", "--no-journal"])
        .arg(&path)
        .arg("--export")
        .arg(&export)
        .env("PROCTOR_CGROUP", "off");
    // SAFETY: setrlimit only, before exec.
    unsafe {
        cmd.pre_exec(|| {
            let lim = libc::rlimit {
                rlim_cur: 40,
                rlim_max: 40,
            };
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            Ok(())
        });
    }
    let mut child = cmd.spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_secs(2));
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let (events, _) = read_journal(&export).unwrap();
    let started = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Spawned { .. }))
        .count();
    let not_started = events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::SpawnFailed { message } if message.contains("session ended while it waited")))
        .count();
    assert!(started < 30, "the limit held some back");
    assert_eq!(started + not_started, 30, "every instance has an outcome");
}
