//! Proctor's own threads stay asleep while children come and go. In a test
//! binary of its own, so that no other test's children are counted.

mod common;
use common::{pool, Run};
use proctor::engine::Command;

/// How many times thread `tid` of this process has gone to sleep.
fn voluntary_switches(tid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap()
}

#[test]
fn child_exits_do_not_wake_the_other_threads() {
    // The kernel sends SIGCHLD for each exit. Discarded while the
    // supervisor thread leaves it unblocked, it would otherwise be queued
    // and wake the main thread (here: the idle test harness) every time a
    // child exits while the supervisor is starting another.
    let main = std::process::id();
    let mut run = Run::new();
    let inputs: Vec<String> = (0..400).map(|i| i.to_string()).collect();
    let before = voluntary_switches(main);
    run.send(Command::StartPool {
        pool: pool("t", 2, &["true"], inputs),
    });
    run.wait_event("pool done", |e| e.kind.name() == "pool_done");
    let woken = voluntary_switches(main) - before;
    assert!(
        woken < 10,
        "the main thread woke {woken} times during 400 child exits"
    );
}
