//! The second hostile round against the remote work (see RELIABILITY.md,
//! "A second round on 2026-11-27 against the remote work"), finding 4: a
//! host that dies while Proctor stops an input on it (its `timeout`). On
//! real OpenSSH "hosts" (tests/remote/sshd.sh), the host killed as a
//! whole (its sshd's PID namespace).

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::event::EventKind;
use proctor::session::{placement, Placement, Retries, Seconds, Workers};
use std::time::Duration;
use support::*;

/// A TERM-ignoring input times out; its host is killed during the stop
/// timeout. Its end is unknown (the host dropped out, no -15 claimed),
/// the host is marked down before the retry, and the retry runs on the
/// other host (where it times out again, -9 at the stop timeout). Before,
/// it read "-15 (SIGTERM)" and the retry was placed on the dead host.
#[test]
fn a_host_lost_during_an_inputs_stop_is_down_before_the_retry() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut p = pool(
        "k",
        2,
        &["sh", "-c", "{}"],
        vec![
            "trap '' TERM; sleep 7799".into(),
            "sleep 0.5; echo b".into(),
            "sleep 0.5; echo c".into(),
        ],
    );
    p.placement = Placement::Hosts {
        hosts: placement::parse_hosts_text("127.0.0.2:1, 127.0.0.3:1").unwrap(),
        ssh_options: hosts.ssh_options(),
    };
    p.workers = Workers::saturating(2);
    p.timeout = Some(Seconds::from_millis(8_000));
    p.stop.timeout = Seconds::from_millis(4_000);
    p.retries = Retries::new(1).unwrap();
    run.send(proctor::engine::Command::StartPool { pool: p });
    // The timeout's stop signal: then the host of #0 goes.
    let stop = run.wait_event(
        "the timeout's stop signal",
        |e| matches!(&e.kind, EventKind::SignalSent { signal, .. } if signal == "SIGTERM"),
    );
    let worker = stop.process.clone().expect("a worker");
    let host = run
        .events
        .iter()
        .rev()
        .find_map(|e| match &e.kind {
            EventKind::WorkerHost { host } if e.process.as_ref() == Some(&worker) => Some(host.clone()),
            _ => None,
        })
        .expect("the worker's host");
    std::thread::sleep(Duration::from_millis(1_000));
    hosts.kill_host(&host);
    run.wait_event("pool k done", |e| {
        e.pool.as_deref() == Some("k") && e.kind.name() == "pool_done"
    });
    let dump = run.dump();
    let down = run
        .events
        .iter()
        .position(|e| matches!(&e.kind, EventKind::HostDown { host: h, .. } if *h == host))
        .unwrap_or_else(|| panic!("no host_down for {host}\n{dump}"));
    let starts: Vec<usize> = run
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.input == Some(0) && e.kind.name() == "task_started")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(starts.len(), 2, "{dump}");
    assert!(down < starts[1], "the host is down before the retry\n{dump}");
    let fails: Vec<(String, Option<i32>)> = run
        .events
        .iter()
        .filter(|e| e.input == Some(0))
        .filter_map(|e| match &e.kind {
            EventKind::TaskFailed {
                message, exit_code, ..
            } => Some((message.clone(), *exit_code)),
            _ => None,
        })
        .collect();
    assert_eq!(fails.len(), 2, "{fails:?}\n{dump}");
    assert!(
        fails[0].0.contains("dropped out") && fails[0].1 != Some(-15),
        "{fails:?}\n{dump}"
    );
    assert_eq!(
        fails[1].1,
        Some(-9),
        "timed out again on the other host: {fails:?}\n{dump}"
    );
    let exits: Vec<i32> = run
        .events
        .iter()
        .filter(|e| e.process.as_ref() == Some(&worker))
        .filter_map(|e| match e.kind {
            EventKind::Exited { exit_code, .. } => Some(exit_code),
            _ => None,
        })
        .collect();
    assert!(!exits.contains(&-15), "no SIGTERM claimed: {exits:?}\n{dump}");
    run.finish();
}

/// Finding 6: a persistent worker on an SSH host that ignores SIGTERM,
/// its input timed out: SIGKILL goes to its host at the stop timeout, as
/// a local worker's does (before: at the stop timeout and 3 s more, the
/// local ssh's margin, while the event said "4.0s after the stop
/// signal").
#[test]
fn a_persistent_ssh_workers_sigkill_comes_at_the_stop_timeout() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut p = pool(
        "pk",
        1,
        &[
            "sh",
            "-c",
            "trap '' TERM; while read x; do sleep $x; echo r$x; done",
        ],
        vec!["30".into(), "0.1".into()],
    );
    p.mode = proctor::session::PoolMode::Persistent;
    p.placement = Placement::Hosts {
        hosts: placement::parse_hosts_text("127.0.0.2:1").unwrap(),
        ssh_options: hosts.ssh_options(),
    };
    p.workers = Workers::saturating(1);
    p.timeout = Some(Seconds::from_millis(8_000));
    p.stop.timeout = Seconds::from_millis(4_000);
    run.send(proctor::engine::Command::StartPool { pool: p });
    run.wait_event("pool pk done", |e| {
        e.pool.as_deref() == Some("pk") && e.kind.name() == "pool_done"
    });
    let sent = |sig: &str| {
        run.events
            .iter()
            .find(|e| matches!(&e.kind, EventKind::SignalSent { signal, .. } if signal == sig))
            .map(|e| e.time)
            .unwrap_or_else(|| panic!("no {sig}\n{}", run.dump()))
    };
    let gap = sent("SIGKILL") - sent("SIGTERM");
    assert!(
        gap >= chrono_ms(3_900) && gap < chrono_ms(10_000),
        "SIGKILL {gap:?} after SIGTERM\n{}",
        run.dump()
    );
    let m = run.model();
    assert_eq!(
        m.pool("pk").unwrap().inputs[1].result.as_deref(),
        Some("r0.1"),
        "{}",
        run.dump()
    );
    run.finish();
}

fn chrono_ms(ms: i64) -> chrono::TimeDelta {
    chrono::TimeDelta::milliseconds(ms)
}

/// Finding 9 b: Kill of a pool (a second Ctrl-C) after Terminate sends
/// nothing for a worker whose command already ended on its host (before:
/// a `signal_sent: SIGKILL on its host` event, and a signal's `ssh`, for
/// a worker that had exited).
#[test]
fn a_kill_after_terminate_skips_remote_workers_that_ended() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut p = pool(
        "kk",
        2,
        &["sh", "-c", "{}"],
        vec![
            "trap 'exit 4' TERM; echo up; sleep 7800.1 & wait".into(),
            "trap '' TERM; echo up; sleep 7800.2".into(),
        ],
    );
    p.placement = Placement::Hosts {
        hosts: placement::parse_hosts_text("127.0.0.2:2").unwrap(),
        ssh_options: hosts.ssh_options(),
    };
    p.workers = Workers::saturating(2);
    p.stop.timeout = Seconds::from_millis(20_000);
    run.send(proctor::engine::Command::StartPool { pool: p });
    wait_until("both up", Duration::from_secs(60), || {
        run.drain();
        run.events
            .iter()
            .filter(|e| matches!(&e.kind, EventKind::Stdout { line, .. } if line == "up"))
            .count()
            >= 2
    });
    let pool_action = |a| proctor::engine::Command::Pool {
        pool: "kk".into(),
        action: a,
    };
    run.send(pool_action(proctor::engine::PoolAction::Terminate));
    let ended = run.wait_event("the TERM-handling worker ends", |e| {
        matches!(e.kind, EventKind::Exited { exit_code: 4, .. })
    });
    let ended = ended.process.expect("a worker");
    run.send(pool_action(proctor::engine::PoolAction::Kill));
    run.wait_event("pool kk done", |e| {
        e.pool.as_deref() == Some("kk") && e.kind.name() == "pool_done"
    });
    let kills: Vec<String> = run
        .events
        .iter()
        .filter(|e| matches!(&e.kind, EventKind::SignalSent { signal, .. } if signal == "SIGKILL"))
        .filter_map(|e| e.process.clone())
        .collect();
    assert!(!kills.is_empty(), "the other worker is killed\n{}", run.dump());
    assert!(!kills.contains(&ended), "{kills:?}\n{}", run.dump());
    run.finish();
}

/// Finding 4 for a task: a remote task that ignores SIGTERM is being
/// stopped when its host dies. Its local `ssh` ends with 255, and that is
/// said to be no end of the command's (before: 255, and nothing said).
#[test]
fn a_task_whose_host_dies_while_it_is_stopped_has_an_unknown_end() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut t = on_host(
        &hosts,
        "127.0.0.3",
        sh("deaf", "trap '' TERM; echo up; sleep 7802"),
    );
    t.stop.timeout = Seconds::from_millis(60_000);
    run.start(t);
    run.wait_event(
        "up",
        |e| matches!(&e.kind, EventKind::Stdout { line, .. } if line == "up"),
    );
    run.send(proctor::engine::Command::Stop {
        process: "deaf".into(),
        how: proctor::engine::StopHow::Terminate,
    });
    run.wait_event(
        "the stop signal",
        |e| matches!(&e.kind, EventKind::SignalSent { signal, .. } if signal == "SIGTERM"),
    );
    hosts.kill_host("127.0.0.3");
    let code = run.wait_exit("deaf");
    let dump = run.dump();
    assert_eq!(code, Some(255), "{dump}");
    assert!(
        run.events.iter().any(|e| e.process.as_deref() == Some("deaf")
            && matches!(&e.kind, EventKind::Error { message } if message.contains("end is unknown: the connection to 127.0.0.3"))),
        "{dump}"
    );
    run.finish();
}
