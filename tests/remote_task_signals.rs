//! Pause, Resume, Send signal and Kill of a task on an SSH host reach its
//! processes on the host (before, they reached the local `ssh` only: the
//! command ran on, and a Kill was reported at once while the host still
//! stopped the tree). Real OpenSSH "hosts" (tests/remote/sshd.sh), the
//! tag scan off: what stops on the far side was stopped from there.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use nix::sys::signal::Signal;
use proctor::engine::{Command, StopHow};
use proctor::event::EventKind;
use proctor::model::RowState;
use proctor::session::Seconds;
use std::time::{Duration, Instant};
use support::*;

/// The task's processes on the host: those whose environment carries its
/// run's line (the wrapper and the local `ssh` do not).
fn remote_of(run: &Run, name: &str) -> Vec<i32> {
    let prefix = format!("PROCTOR_RUN={}/{name}/", run.engine.session_tag());
    with_env_prefix(&prefix)
        .into_iter()
        .filter(|&p| proc_state(p).is_some_and(|s| s != 'Z'))
        .collect()
}

fn all_stopped(pids: &[i32]) -> bool {
    !pids.is_empty() && pids.iter().all(|&p| matches!(proc_state(p), Some('T') | None))
}

fn read_counter(path: &std::path::Path) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

#[test]
fn pause_and_resume_reach_the_remote_command() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    // The remote user writes a counter where the test reads it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let counter = dir.path().join("n");
    let script = format!(
        "i=0; while :; do i=$((i+1)); echo $i >{c}.t && mv {c}.t {c}; echo tick; sleep 0.1; done",
        c = counter.display()
    );
    run.start(on_host(&hosts, "127.0.0.2", sh("ticker", &script)));
    wait_until("the counter runs", Duration::from_secs(30), || {
        read_counter(&counter) > 3
    });
    run.send(Command::Pause {
        process: "ticker".into(),
    });
    wait_until(
        "every remote process of the task stopped",
        Duration::from_secs(30),
        || all_stopped(&remote_of(&run, "ticker")),
    );
    run.wait_kind("ticker", "paused");
    assert!(matches!(
        run.model().row("ticker").unwrap().state,
        RowState::Paused { .. }
    ));
    let at = read_counter(&counter);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        read_counter(&counter),
        at,
        "the remote command went on counting while paused"
    );
    run.send(Command::Resume {
        process: "ticker".into(),
    });
    wait_until("the counter runs again", Duration::from_secs(30), || {
        read_counter(&counter) > at + 3
    });
    run.wait_kind("ticker", "resumed");
    let ticks = run.lines("ticker", "stdout").len();
    wait_until("ticks after the resume", Duration::from_secs(30), || {
        run.drain();
        run.lines("ticker", "stdout").len() > ticks + 3
    });
    assert!(
        !run.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Error { .. })),
        "{}",
        run.dump()
    );
    run.send(Command::Stop {
        process: "ticker".into(),
        how: StopHow::Terminate,
    });
    assert_eq!(run.wait_exit("ticker"), Some(-15), "{}", run.dump());
    run.finish();
}

#[test]
fn a_signal_sent_reaches_the_remote_command_and_leaves_the_connection_up() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let script = "trap 'echo got-usr1' USR1; trap 'echo got-term; exit 5' TERM; echo ready; while :; do sleep 0.1; done";
    run.start(on_host(&hosts, "127.0.0.3", sh("trapper", script)));
    run.wait_event(
        "ready",
        |e| matches!(&e.kind, EventKind::Stdout { line, .. } if line == "ready"),
    );
    run.send(Command::Stop {
        process: "trapper".into(),
        how: StopHow::Signal(Signal::SIGUSR1),
    });
    run.wait_event(
        "the trap's line",
        |e| matches!(&e.kind, EventKind::Stdout { line, .. } if line == "got-usr1"),
    );
    assert!(
        run.model().row("trapper").unwrap().state.is_alive(),
        "{}",
        run.dump()
    );
    // SIGTERM sent as a signal reaches the command (not the local ssh,
    // whose end would be a stop through the connection): its trap runs
    // and its own exit code comes back.
    run.send(Command::Stop {
        process: "trapper".into(),
        how: StopHow::Signal(Signal::SIGTERM),
    });
    assert_eq!(run.wait_exit("trapper"), Some(5), "{}", run.dump());
    assert!(run.lines("trapper", "stdout").contains(&"got-term".to_string()));
    run.finish();
}

/// Kill sends SIGKILL on the host, and the end is reported when it comes
/// back: by then nothing of the task runs there (a `setsid` escape
/// included), though its stop signal is ignored and its stop timeout long.
#[test]
fn kill_of_a_remote_task_is_reported_when_the_host_has_killed_it() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    for (name, pause) in [("killed", false), ("paused-killed", true)] {
        let mut t = on_host(
            &hosts,
            "127.0.0.4",
            sh(name, "trap '' TERM; setsid sleep 6042.7 & sleep 6042.5; true"),
        );
        t.stop.timeout = Seconds::from_millis(60_000);
        run.start(t);
        wait_until("the remote sleeps", Duration::from_secs(30), || {
            running_as("sleep 6042.").iter().filter(|&&p| !gone(p)).count() >= 2
        });
        if pause {
            run.send(Command::Pause { process: name.into() });
            run.wait_kind(name, "paused");
        }
        let sent = Instant::now();
        run.send(Command::Stop {
            process: name.into(),
            how: StopHow::Kill,
        });
        assert_eq!(run.wait_exit(name), Some(-9), "{}", run.dump());
        // The host's end: nothing left there when it was reported.
        assert!(
            running_as("sleep 6042.").iter().all(|&p| gone(p)),
            "reported killed while its remote processes ran"
        );
        assert!(
            sent.elapsed() < Duration::from_secs(50),
            "the kill waited for the stop timeout: {:?}",
            sent.elapsed()
        );
        assert_eq!(run.model().row(name).unwrap().state, RowState::Stopped);
    }
    run.finish();
}

/// A pool's worker on an SSH host is paused and resumed on the host too.
#[test]
fn a_remote_pool_worker_is_paused_on_its_host() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut p = pool("pw", 1, &["sh", "-c", "sleep 6043.{}"], vec!["5".into()]);
    p.placement = proctor::session::Placement::Hosts {
        hosts: proctor::session::placement::parse_hosts_text("127.0.0.3:1").unwrap(),
        ssh_options: hosts.ssh_options(),
    };
    run.send(Command::StartPool { pool: p });
    wait_until("the remote sleep", Duration::from_secs(60), || {
        running_as("sleep 6043.5").iter().any(|&p| !gone(p))
    });
    run.send(Command::Pause {
        process: "pw/worker-1".into(),
    });
    wait_until(
        "the worker's processes on the host stopped",
        Duration::from_secs(30),
        || all_stopped(&remote_of(&run, "pw/worker-1")),
    );
    run.send(Command::Resume {
        process: "pw/worker-1".into(),
    });
    wait_until("running again on the host", Duration::from_secs(30), || {
        let p = remote_of(&run, "pw/worker-1");
        !p.is_empty() && p.iter().all(|&p| proc_state(p) != Some('T'))
    });
    run.send(Command::Pool {
        pool: "pw".into(),
        action: proctor::engine::PoolAction::Terminate,
    });
    run.wait_event("pool pw done", |e| e.kind.name() == "pool_done");
    run.finish();
}
