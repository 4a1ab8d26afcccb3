//! A panic in the supervisor strands nothing: every child tree is killed,
//! the panic is reported, the journal ends, the handle does not hang.

mod common;
use common::*;
use proctor::engine::{Command, Engine, EngineConfig};
use proctor::event::EventKind;
use proctor::journal::{read_journal, JournalConfig};
use std::time::{Duration, Instant};

/// The session tag in a process's environment.
fn session_tag(pid: i32) -> String {
    let env = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    env.split(|&b| b == 0)
        .find_map(|v| v.strip_prefix(b"PROCTOR_SESSION="))
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .expect("tagged")
}

/// Running processes carrying `tag` (as `pgrep` by the tag would find).
fn tagged_running(tag: &str) -> Vec<i32> {
    let want = format!("PROCTOR_SESSION={tag}");
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        if env.split(|&b| b == 0).any(|v| v == want.as_bytes()) && !gone(pid) {
            out.push(pid);
        }
    }
    out
}

#[test]
fn a_panic_kills_every_tree_reports_it_and_ends_the_journal() {
    let state = tempfile::tempdir().unwrap();
    let mut run = Run {
        engine: Engine::start(EngineConfig {
            journal: Some(JournalConfig {
                dir: state.path().to_path_buf(),
                max_total_bytes: 1 << 30,
            }),
            ..Default::default()
        })
        .unwrap(),
        events: Vec::new(),
    };
    // A tree: the leader, a child in its group, and a grandchild that left
    // the group and the session.
    run.start(sh(
        "tree",
        "sleep 300 & setsid sh -c 'echo escaped $$; exec sleep 300' & echo up; wait",
    ));
    run.start(sh("plain", "exec sleep 300"));
    let leader = run.pid_of("tree");
    let plain = run.pid_of("plain");
    let escaped = run.wait_event(
        "the escaped grandchild",
        |e| matches!(&e.kind, EventKind::Stdout { line, .. } if line.starts_with("escaped ")),
    );
    let EventKind::Stdout { line, .. } = escaped.kind else {
        unreachable!()
    };
    let escaped: i32 = line["escaped ".len()..].trim().parse().unwrap();
    let tag = session_tag(leader);
    // A child between fork and exec briefly shows no environment, so the
    // count is waited for rather than read once.
    wait_for("the trees to run", || tagged_running(&tag).len() >= 4);
    assert_eq!(run.engine.failure(), None);

    run.send(Command::TestPanic("boom for the test".into()));
    run.until("session_ended", |evs| {
        evs.iter()
            .any(|e| matches!(e.kind, EventKind::SessionEnded { .. }))
    });
    let error = run
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Error { message } => Some(message.clone()),
            _ => None,
        })
        .expect("an error event");
    assert!(error.contains("boom for the test"), "{error}");

    // Nothing of either tree is left, not even a zombie of ours.
    wait_for("the failure to be recorded", || run.engine.failure().is_some());
    assert!(run.engine.failure().unwrap().contains("boom for the test"));
    assert_eq!(tagged_running(&tag), Vec::<i32>::new());
    for pid in [leader, plain] {
        assert!(!exists(pid), "pid {pid} is left (running or unreaped)");
    }
    assert!(gone(escaped), "the escaped grandchild {escaped} runs");

    // The handle does not hang: once its thread is gone commands are
    // refused, and shutdown returns.
    wait_for("the supervisor thread to end", || run.engine.is_finished());
    assert!(run.engine.send(Command::ClearEnded).is_err());
    let t0 = Instant::now();
    let journal = run.engine.journal_path().unwrap().to_path_buf();
    run.engine.shutdown(|_| {});
    assert!(t0.elapsed() < Duration::from_secs(10));

    let (events, errors) = read_journal(&journal).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    let last = events.last().expect("a journal");
    assert!(
        matches!(last.kind, EventKind::SessionEnded { .. }),
        "the journal ends with {}",
        last.kind.name()
    );
    assert!(events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Error { message } if message.contains("boom for the test"))));
}

#[test]
fn dropping_an_engine_that_panicked_returns() {
    let run = Run::new();
    run.send(Command::TestPanic("dropped".into()));
    let t0 = Instant::now();
    drop(run);
    assert!(t0.elapsed() < Duration::from_secs(10));
}

#[test]
fn proctor_run_exits_3_says_why_and_still_writes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("s.toml");
    std::fs::write(
        &session,
        "[[task]]\nname = \"holder\"\nrun = \"sleep 300\"\n\n[[pool]]\nname = \"p\"\nrun = \"echo {}\"\ninputs = [\"1\", \"2\"]\n",
    )
    .unwrap();
    let export = dir.path().join("events.jsonl");
    let results = dir.path().join("results.jsonl");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("run")
        .arg(&session)
        .arg("--export")
        .arg(&export)
        .arg("--results")
        .arg(&results)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("PROCTOR_TEST_PANIC", "boom from the cli test")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the engine stopped after an internal error: boom from the cli test"),
        "{stderr}"
    );
    let (events, _) = read_journal(&export).unwrap();
    assert!(matches!(
        events.last().map(|e| &e.kind),
        Some(EventKind::SessionEnded { .. })
    ));
    let holder = events
        .iter()
        .find(|e| e.process.as_deref() == Some("holder") && e.kind.name() == "spawned")
        .and_then(|e| e.pid)
        .expect("holder was spawned");
    assert!(!exists(holder as i32), "holder {holder} was left running");
    assert!(results.exists(), "the results file is written");
}
