//! A child that prints faster than the events are read: the queue between
//! the supervisor and its reader is bounded in bytes (an output event holds
//! up to 64 KiB), the child waits on its pipe, and nothing is lost. And
//! `proctor run` stops promptly on Ctrl-C while a child floods.

mod common;

use common::*;
use proctor::engine::{queue_weight, QUEUED_BYTES};
use proctor::event::EventKind;
use std::time::{Duration, Instant};

#[test]
fn a_slow_reader_holds_the_queue_within_its_bytes_and_loses_nothing() {
    let mut run = Run::new();
    run.start(sh("flood", "seq 8000000"));
    // Read nothing until the queue stops growing: the supervisor waits.
    let deadline = Instant::now() + TIMEOUT;
    let mut last = (0, Instant::now());
    loop {
        let n = run.engine.events().len();
        if n != last.0 {
            last = (n, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(2) {
            break;
        }
        assert!(Instant::now() < deadline, "the queue never settled");
        std::thread::sleep(Duration::from_millis(50));
    }
    let queued: Vec<_> = (0..last.0)
        .filter_map(|_| run.engine.events().try_recv().ok())
        .collect();
    let bytes: u64 = queued.iter().map(queue_weight).sum();
    assert!(
        bytes <= QUEUED_BYTES + 64 * 1024 + 128,
        "{bytes} bytes were on the queue (bound {QUEUED_BYTES})"
    );
    // Every line, once, in order.
    let mut next = 1u64;
    let mut check = |e: &proctor::event::Event| {
        if let EventKind::Stdout { line, .. } = &e.kind {
            for l in line.split('\n') {
                assert_eq!(l, next.to_string(), "line {next}");
                next += 1;
            }
        }
    };
    queued.iter().for_each(&mut check);
    run.wait_exit("flood");
    run.events.iter().for_each(&mut check);
    assert_eq!(next, 8_000_001, "every line arrived");
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn ctrl_c_of_proctor_run_with_a_flooding_child_exits_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let session = dir.path().join("flood.toml");
    std::fs::write(&session, "[[task]]\nname = \"flood\"\nrun = [\"yes\"]\n").unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
        .args(["run", "--color", "never"])
        .arg(&session)
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Printing is slower than `yes`: the queue fills to its bound.
    let mut peak = 0;
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(100));
        peak = peak.max(rss_kb(pid));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        peak = peak.max(rss_kb(pid));
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "proctor run did not exit after Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
    // The queue's bound (32 MiB) and the app's own: far from the 4 GB a
    // flood reached when only the number of events was bounded.
    assert!(peak < 400 * 1024, "proctor run reached {} MB", peak / 1024);
}
