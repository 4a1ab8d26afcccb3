//! Terminating one branch of a process's tree: SIGTERM, then SIGKILL after
//! the task's stop timeout to what of the branch ignored it, while the rest
//! of the tree runs on.

mod common;
use common::*;
use proctor::engine::{Command, StopHow};
use proctor::event::EventKind;
use proctor::session::{RunSpec, Seconds, TaskSpec};

#[test]
fn a_branch_that_ignores_sigterm_is_killed_after_the_stop_timeout() {
    let mut run = Run::new();
    // The leader's child ignores SIGTERM (an ignored signal stays ignored
    // across exec) and says its pid.
    let mut t = TaskSpec::new(
        "stubborn",
        RunSpec::Args(vec![
            "sh".into(),
            "-c".into(),
            "sh -c 'trap \"\" TERM; echo pid $$; exec sleep 300' & exec sleep 301".into(),
        ]),
    );
    t.stop.timeout = Seconds::from_millis(3_000);
    run.start(t);
    let pid = wait_lines(&mut run, "stubborn", 1)[0];
    let leader = run
        .wait_event("the spawn", |e| {
            e.process.as_deref() == Some("stubborn") && e.kind.name() == "spawned"
        })
        .pid
        .unwrap() as i32;
    // Its exec of sleep: the branch's command is sleep, not the shell.
    wait_for("the branch to be sleep", || {
        std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep")
    });
    run.send(Command::StopBranch {
        process: "stubborn".into(),
        pid: pid as u32,
        how: StopHow::Terminate,
    });
    let term = run.wait_event(
        "the branch's SIGTERM",
        |e| matches!(&e.kind, EventKind::SignalSent { signal, .. } if signal == "SIGTERM"),
    );
    assert!(term.text().contains("SIGKILL in 3.0s"), "{}", term.text());
    assert!(!gone(pid), "it ignores SIGTERM");
    wait_for("the stubborn branch to be killed", || gone(pid));
    let kill = run.wait_event(
        "the branch's SIGKILL",
        |e| matches!(&e.kind, EventKind::SignalSent { signal, .. } if signal == "SIGKILL"),
    );
    assert_eq!(kill.pid, Some(pid as u32), "{}", run.dump());
    assert!(!gone(leader), "the leader runs on");
    assert!(
        !run.events
            .iter()
            .any(|e| e.process.as_deref() == Some("stubborn") && e.kind.name() == "exited"),
        "the process did not end: {}",
        run.dump()
    );
    run.send(Command::Stop {
        process: "stubborn".into(),
        how: StopHow::Kill,
    });
    run.wait_exit("stubborn");
}

#[test]
fn a_branch_that_ends_on_sigterm_gets_no_sigkill() {
    let mut run = Run::new();
    let mut t = TaskSpec::new(
        "polite",
        RunSpec::Args(vec![
            "sh".into(),
            "-c".into(),
            "sh -c 'echo pid $$; exec sleep 300' & exec sleep 301".into(),
        ]),
    );
    t.stop.timeout = Seconds::from_millis(500);
    run.start(t);
    let pid = wait_lines(&mut run, "polite", 1)[0];
    wait_for("the branch to be sleep", || {
        std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep")
    });
    run.send(Command::StopBranch {
        process: "polite".into(),
        pid: pid as u32,
        how: StopHow::Terminate,
    });
    wait_for("the branch to end", || gone(pid));
    // Past the stop timeout, a marker event shows the timer had its turn.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    run.send(Command::Stop {
        process: "polite".into(),
        how: StopHow::Kill,
    });
    run.wait_exit("polite");
    assert!(
        !run.events.iter().any(|e| e.pid == Some(pid as u32)
            && matches!(&e.kind, EventKind::SignalSent { signal, .. } if signal == "SIGKILL")),
        "{}",
        run.dump()
    );
}

/// A child forked between the escalation's look at `/proc` and its SIGKILL
/// once survived it under load: the branch is now frozen before the look.
#[test]
fn what_a_branch_starts_during_its_stop_timeout_is_killed_with_it() {
    let mut run = Run::new();
    // The branch ignores SIGTERM and keeps starting children, each of which
    // says its pid.
    let mut t = TaskSpec::new(
        "breeder",
        RunSpec::Args(vec![
            "sh".into(),
            "-c".into(),
            "sh -c 'trap \"\" TERM; echo pid $$; while :; do sh -c \"echo pid \\$\\$; exec sleep 300\" & sleep 0.2; done' & exec sleep 301".into(),
        ]),
    );
    t.stop.timeout = Seconds::from_millis(1_500);
    run.start(t);
    let root = wait_lines(&mut run, "breeder", 2)[0];
    run.send(Command::StopBranch {
        process: "breeder".into(),
        pid: root as u32,
        how: StopHow::Terminate,
    });
    run.wait_event(
        "the branch's SIGKILL",
        |e| matches!(&e.kind, EventKind::SignalSent { signal, .. } if signal == "SIGKILL"),
    );
    // Every child it ever said, those born during the timeout included.
    let pids = wait_lines(&mut run, "breeder", 2);
    for pid in pids {
        wait_for("every member of the branch to be gone", || gone(pid));
    }
    run.send(Command::Stop {
        process: "breeder".into(),
        how: StopHow::Kill,
    });
    run.wait_exit("breeder");
}
