//! The engine with real processes: exit codes, stopping, output, restarts.

mod common;
use common::*;
use nix::sys::signal::Signal;
use proctor::engine::{Command, StopHow};
use proctor::event::EventKind;
use proctor::session::{Instances, MaxRestarts, RestartPolicy, RunSpec, Seconds, TaskSpec};

#[test]
fn exit_codes_follow_multiprocessing() {
    let mut run = Run::new();
    run.start(sh("ok", "exit 0"));
    run.start(sh("three", "exit 3"));
    run.start(sh("termed", "kill -TERM $$; sleep 5"));
    run.start(sh("killed", "kill -KILL $$; sleep 5"));
    assert_eq!(run.wait_exit("ok"), Some(0));
    assert_eq!(run.wait_exit("three"), Some(3));
    assert_eq!(run.wait_exit("termed"), Some(-15));
    assert_eq!(run.wait_exit("killed"), Some(-9));
    let text = run.of("termed", "exited")[0].text();
    assert!(text.contains("-15 (SIGTERM)"), "{text}");
}

#[test]
fn terminate_sends_the_stop_signal_to_the_group() {
    let mut run = Run::new();
    run.start(sh("sleeper", "sleep 30"));
    let pid = run.pid_of("sleeper");
    run.send(Command::Stop {
        process: "sleeper".into(),
        how: StopHow::Terminate,
    });
    assert_eq!(run.wait_exit("sleeper"), Some(-15));
    let sent = run.of("sleeper", "signal_sent");
    assert!(
        matches!(&sent[0].kind, EventKind::SignalSent { signal, kill_in: Some(_), .. } if signal == "SIGTERM")
    );
    assert!(gone(pid));
}

#[test]
fn a_child_ignoring_sigterm_is_killed_after_its_stop_timeout() {
    let mut run = Run::new();
    let mut t = sh(
        "stubborn",
        "trap '' TERM; echo ready; while true; do sleep 0.05; done",
    );
    t.stop.timeout = Seconds::from_millis(500);
    run.start(t);
    run.until("ready", |evs| {
        evs.iter()
            .any(|e| matches!(&e.kind, EventKind::Stdout { line, .. } if line == "ready"))
    });
    let t0 = std::time::Instant::now();
    run.send(Command::Stop {
        process: "stubborn".into(),
        how: StopHow::Terminate,
    });
    assert_eq!(run.wait_exit("stubborn"), Some(-9));
    assert!(
        t0.elapsed().as_secs_f64() >= 0.45,
        "SIGKILL came only after the stop timeout"
    );
    let signals: Vec<String> = run
        .of("stubborn", "signal_sent")
        .iter()
        .map(|e| match &e.kind {
            EventKind::SignalSent { signal, .. } => signal.clone(),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(signals, vec!["SIGTERM", "SIGKILL"]);
}

#[test]
fn stopping_reaches_a_grandchild_in_the_same_group() {
    let mut run = Run::new();
    // The grandchild ignores nothing but is not the leader; the leader waits.
    run.start(sh("parent", "sleep 30 & echo $!; wait"));
    run.until("grandchild pid", |evs| {
        evs.iter().any(|e| matches!(e.kind, EventKind::Stdout { .. }))
    });
    let gc: i32 = run.lines("parent", "stdout")[0].trim().parse().expect("a pid");
    assert!(exists(gc));
    run.send(Command::Stop {
        process: "parent".into(),
        how: StopHow::Terminate,
    });
    run.wait_exit("parent");
    wait_for("the grandchild to be gone", || gone(gc));
}

#[test]
fn kill_is_immediate_and_any_signal_can_be_sent() {
    let mut run = Run::new();
    run.start(sh(
        "hup",
        "trap 'echo got HUP' HUP; echo ready; while true; do sleep 0.05; done",
    ));
    run.until("ready", |evs| {
        evs.iter()
            .any(|e| matches!(&e.kind, EventKind::Stdout { line, .. } if line == "ready"))
    });
    run.send(Command::Stop {
        process: "hup".into(),
        how: StopHow::Signal(Signal::SIGHUP),
    });
    run.until("HUP handled", |evs| {
        evs.iter()
            .any(|e| matches!(&e.kind, EventKind::Stdout { line, .. } if line == "got HUP"))
    });
    run.send(Command::Stop {
        process: "hup".into(),
        how: StopHow::Kill,
    });
    assert_eq!(run.wait_exit("hup"), Some(-9));
}

#[test]
fn a_missing_binary_is_spawn_failed_and_the_session_goes_on() {
    let mut run = Run::new();
    run.start(TaskSpec::new(
        "ghost",
        RunSpec::Line("/no/such/binary --flag".into()),
    ));
    let mut bad_cwd = sh("nowhere", "true");
    bad_cwd.cwd = Some("/no/such/dir".into());
    run.start(bad_cwd);
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.txt");
    std::fs::write(&plain, "not a program").unwrap();
    run.start(TaskSpec::new(
        "not-exec",
        RunSpec::Args(vec![plain.display().to_string()]),
    ));
    run.start(sh("fine", "echo still here"));
    let failed = run.wait_kind("ghost", "spawn_failed");
    assert!(failed.text().contains("/no/such/binary"), "{}", failed.text());
    assert!(failed.text().contains("No such file"), "{}", failed.text());
    assert!(run
        .wait_kind("nowhere", "spawn_failed")
        .text()
        .contains("/no/such/dir"));
    assert!(run
        .wait_kind("not-exec", "spawn_failed")
        .text()
        .contains("ermission denied"));
    assert_eq!(run.wait_exit("fine"), Some(0));
    assert_eq!(run.lines("fine", "stdout"), vec!["still here"]);
}

#[test]
fn stdout_and_stderr_arrive_complete_and_in_order_with_increasing_seq() {
    let mut run = Run::new();
    run.start(sh(
        "talker",
        "for i in $(seq 1 2000); do echo out-$i; echo err-$i >&2; done; printf 'no newline'",
    ));
    run.wait_exit("talker");
    let out = run.lines("talker", "stdout");
    let err = run.lines("talker", "stderr");
    let mut want_out: Vec<String> = (1..=2000).map(|i| format!("out-{i}")).collect();
    want_out.push("no newline".into());
    assert_eq!(out, want_out);
    assert_eq!(err, (1..=2000).map(|i| format!("err-{i}")).collect::<Vec<_>>());
    let events = run.finish();
    // Lines read together share their event's seq.
    assert!(
        events
            .windows(2)
            .all(|w| w[1].seq == w[0].seq + 1
                || (w[1].seq == w[0].seq && w[1].kind.name() == w[0].kind.name())),
        "seq increases by one from event to event"
    );
    // Every output line came before the exit.
    let exit_at = events.iter().position(|e| e.kind.name() == "exited").unwrap();
    let last_line = events
        .iter()
        .rposition(|e| e.process.as_deref() == Some("talker") && e.kind.name() == "stdout")
        .unwrap();
    assert!(last_line < exit_at);
}

#[test]
fn a_hundred_thousand_lines_arrive_with_none_lost() {
    let mut run = Run::new();
    run.start(TaskSpec::new("seq", RunSpec::Line("seq 1 100000".into())));
    run.wait_exit("seq");
    let lines = run.lines("seq", "stdout");
    assert_eq!(lines.len(), 100_000);
    assert!(lines.iter().enumerate().all(|(i, l)| l == &(i + 1).to_string()));
}

#[test]
fn long_lines_are_split_and_binary_is_kept_lossily() {
    let mut run = Run::new();
    run.start(sh(
        "wide",
        "head -c 200000 /dev/zero | tr '\\0' x; echo; printf 'a\\377b\\n'",
    ));
    run.wait_exit("wide");
    let lines = run.lines("wide", "stdout");
    let total: usize = lines
        .iter()
        .take_while(|l| l.starts_with('x'))
        .map(|l| l.len())
        .sum();
    assert_eq!(total, 200_000);
    assert!(lines.iter().all(|l| l.len() <= 64 * 1024));
    assert_eq!(lines.last().unwrap(), "a\u{fffd}b");
}

#[test]
fn on_failure_restarts_with_backoff_and_stops_at_max_restarts() {
    let mut run = Run::new();
    let mut t = sh("flaky", "echo try; exit 1");
    t.restart = RestartPolicy::OnFailure;
    t.max_restarts = MaxRestarts::new(3).unwrap();
    t.backoff = Seconds::from_millis(100);
    run.start(t);
    run.until("the last exit", |evs| {
        evs.iter().any(|e| {
            e.process.as_deref() == Some("flaky")
                && matches!(e.kind, EventKind::Exited { restart_in: None, .. })
        })
    });
    let exits: Vec<Option<f64>> = run
        .of("flaky", "exited")
        .iter()
        .map(|e| match e.kind {
            EventKind::Exited { restart_in, .. } => restart_in,
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        exits,
        vec![Some(0.1), Some(0.2), Some(0.4), None],
        "backoff doubles, then stops"
    );
    assert_eq!(run.of("flaky", "spawned").len(), 4);
    let restarts = run.of("flaky", "restarting");
    assert_eq!(restarts.len(), 3);
    // The delays were waited for: spawns are at least the backoff apart.
    let spawns: Vec<_> = run.of("flaky", "spawned").iter().map(|e| e.time).collect();
    let gap = (spawns[3] - spawns[2]).num_milliseconds();
    assert!(gap >= 390, "third restart waited {gap} ms");
}

#[test]
fn a_process_stopped_by_the_user_is_not_restarted() {
    let mut run = Run::new();
    let mut t = sh("always", "sleep 30");
    t.restart = RestartPolicy::Always;
    t.backoff = Seconds::from_millis(50);
    run.start(t);
    run.pid_of("always");
    run.send(Command::Stop {
        process: "always".into(),
        how: StopHow::Terminate,
    });
    assert_eq!(run.wait_exit("always"), Some(-15));
    let events = run.finish();
    assert_eq!(events.iter().filter(|e| e.kind.name() == "spawned").count(), 1);
}

#[test]
fn timeout_terminates_a_task_that_runs_too_long() {
    let mut run = Run::new();
    let mut t = sh("slow", "sleep 30");
    t.timeout = Some(Seconds::from_millis(300));
    run.start(t);
    run.start(sh("quick", "true"));
    assert_eq!(run.wait_exit("slow"), Some(-15));
    assert_eq!(run.wait_exit("quick"), Some(0));
}

#[test]
fn instances_get_numbered_names_and_run_together() {
    let mut run = Run::new();
    let mut t = sh("sleeper", "sleep 0.5");
    t.instances = Instances::new(5).unwrap();
    run.start(t);
    for i in 1..=5 {
        assert_eq!(run.wait_exit(&format!("sleeper-{i}")), Some(0));
    }
    // They ran together: all five had started before the first ended.
    let first_exit = run.events.iter().position(|e| e.kind.name() == "exited").unwrap();
    let spawned_before = run.events[..first_exit]
        .iter()
        .filter(|e| e.kind.name() == "spawned")
        .count();
    assert_eq!(spawned_before, 5);
}

#[test]
fn shutdown_stops_everything_and_leaves_no_zombie() {
    let mut run = Run::new();
    let mut pids = Vec::new();
    for i in 0..20 {
        run.start(sh(&format!("p{i}"), "sleep 30"));
    }
    for i in 0..20 {
        pids.push(run.pid_of(&format!("p{i}")));
    }
    let events = run.finish();
    assert_eq!(events.last().unwrap().kind.name(), "session_ended");
    assert_eq!(events.iter().filter(|e| e.kind.name() == "exited").count(), 20);
    for pid in pids {
        assert!(!exists(pid), "pid {pid} was reaped");
    }
}

#[test]
fn restart_command_starts_a_process_again() {
    let mut run = Run::new();
    run.start(sh("svc", "sleep 30"));
    let first = run.pid_of("svc");
    run.send(Command::Restart {
        process: "svc".into(),
    });
    run.until("second spawn", |evs| {
        evs.iter().filter(|e| e.kind.name() == "spawned").count() == 2
    });
    let second = run.of("svc", "spawned")[1].pid.unwrap() as i32;
    assert_ne!(first, second);
    assert!(gone(first));
    assert!(exists(second));
}

#[test]
fn a_background_child_left_in_the_group_is_reaped_when_it_exits() {
    let mut run = Run::new();
    run.start(sh("bg", "sleep 0.3 & echo $!"));
    assert_eq!(run.wait_exit("bg"), Some(0));
    let pid: i32 = run.lines("bg", "stdout")[0].trim().parse().unwrap();
    // It was adopted by us (subreaper); once it exits the supervisor reaps
    // it: no zombie is left.
    wait_for("the orphan to exit and be reaped", || !exists(pid));
}
