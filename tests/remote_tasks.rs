//! Tasks that name an SSH host (`host = "..."`), run against real OpenSSH
//! "hosts" (sshd on 127.0.0.2-4, each in a PID namespace of its own,
//! started by tests/remote/sshd.sh). The "remote" processes share this
//! machine's /proc, so Proctor runs with its tag scan off: whatever ends
//! on the far side ended by itself, because its connection did.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::engine::{Command, StopHow};
use proctor::event::EventKind;
use proctor::model::RowState;
use proctor::session::{placement, RestartPolicy, Seconds};
use std::time::Duration;
use support::*;

#[test]
fn a_task_on_a_host_streams_its_output_and_exits_with_its_code() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let t = on_host(
        &hosts,
        "127.0.0.3",
        sh(
            "remote",
            "echo one; echo two >&2; echo \"tag=${PROCTOR_SESSION:+yes}\"; sleep 0.2; echo three; exit 7",
        ),
    );
    run.start(t);
    assert_eq!(run.wait_exit("remote"), Some(7));
    assert_eq!(run.lines("remote", "stdout"), ["one", "tag=yes", "three"]);
    assert_eq!(run.lines("remote", "stderr"), ["two"]);
    // The wrapper's own lines never reach the log.
    assert!(!run
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Stderr { line, .. } if line.contains("proctor-exit"))));
    // `spawned` shows the user's command, not the wrapper around it.
    let shown = match &run.of("remote", "spawned")[0].kind {
        EventKind::Spawned { command } => command.clone(),
        _ => unreachable!(),
    };
    assert!(
        shown.starts_with("ssh 127.0.0.3 -- ") && shown.contains("echo one"),
        "{shown}"
    );
    assert!(
        !shown.contains("proctor-remote") && !shown.contains("ControlPath"),
        "{shown}"
    );
    let m = run.model();
    let row = m.row("remote").unwrap();
    assert_eq!(row.host.as_deref(), Some("127.0.0.3"));
    assert_eq!((row.exit_code, &row.state), (Some(7), &RowState::Exited));
    // A signal comes back as Python has it.
    run.start(on_host(&hosts, "127.0.0.3", sh("killed", "kill -9 $$")));
    assert_eq!(run.wait_exit("killed"), Some(-9));
    // Codes past the last signal number are codes (255 read as -127).
    run.start(on_host(&hosts, "127.0.0.3", sh("code255", "exit 255")));
    assert_eq!(run.wait_exit("code255"), Some(255));
    run.start(on_host(&hosts, "127.0.0.3", sh("code200", "exit 200")));
    assert_eq!(run.wait_exit("code200"), Some(200));
    run.finish();
}

/// What leaves the command's group on the host (`setsid`) is stopped
/// with it: the wrapper finds it by its tag and name (it was left
/// running).
#[test]
fn terminate_ends_what_left_the_remote_group_too() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let tag = run.engine.session_tag().to_string();
    let t = on_host(
        &hosts,
        "127.0.0.2",
        sh("esc", "setsid sleep 6031.5 & sleep 6031.7; wait"),
    );
    run.start(t);
    wait_until("the remote sleeps", Duration::from_secs(30), || {
        running_as("sleep 6031.").iter().filter(|&&p| !gone(p)).count() >= 2
    });
    run.send(Command::Stop {
        process: "esc".into(),
        how: StopHow::Terminate,
    });
    run.wait_exit("esc");
    wait_until(
        "no remote process of the task, the one that left its group included",
        Duration::from_secs(20),
        || with_cmdline("sleep 6031.").iter().all(|&p| gone(p)),
    );
    run.finish();
    wait_until("no ssh of ours", Duration::from_secs(20), || {
        tagged(&tag).iter().all(|&p| gone(p))
    });
}

#[test]
fn terminate_ends_the_remote_tree() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let tag = run.engine.session_tag().to_string();
    // A child that ignores nothing and a grandchild in the background.
    let t = on_host(
        &hosts,
        "127.0.0.2",
        sh("long", "sleep 6021.5 & sleep 6021.7; wait"),
    );
    run.start(t);
    wait_until("the remote sleeps", Duration::from_secs(30), || {
        running_as("sleep 6021.").iter().filter(|&&p| !gone(p)).count() >= 2
    });
    assert!(!tagged(&tag).is_empty(), "the remote commands carry the tag");
    run.send(Command::Stop {
        process: "long".into(),
        how: StopHow::Terminate,
    });
    // Stopped on the host through its connection: its own end comes back.
    assert_eq!(run.wait_exit("long"), Some(-15), "{}", run.dump());
    // The wrapper's shell says nothing of the signal ("Terminated").
    assert!(
        run.lines("long", "stderr").is_empty(),
        "{:?}",
        run.lines("long", "stderr")
    );
    let m = run.model();
    assert_eq!(m.row("long").unwrap().state, RowState::Stopped);
    wait_until(
        "no remote process of the session",
        Duration::from_secs(20),
        || remote_tagged(&tag).is_empty() && with_cmdline("sleep 6021.").iter().all(|&p| gone(p)),
    );
    // The master outlives the task (other tasks may use it): it ends with
    // the session.
    run.finish();
    wait_until("no ssh of ours", Duration::from_secs(20), || {
        tagged(&tag).iter().all(|&p| gone(p))
    });
}

#[test]
fn a_host_that_refuses_is_a_clear_failure() {
    let Some(_hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    // Nothing listens on 127.0.0.9; BatchMode: nothing asks for a password.
    let mut t = sh("nowhere", "echo never");
    t.host = placement::task_host("127.0.0.9").unwrap();
    t.ssh_options = vec!["-o".into(), "ConnectTimeout=5".into()];
    run.start(t);
    let e = run.wait_kind("nowhere", "spawn_failed");
    let text = e.text();
    assert!(text.contains("cannot connect to 127.0.0.9"), "{text}");
    assert_eq!(run.wait_exit("nowhere"), None);
    run.wait_kind("nowhere", "worker_host");
    let m = run.model();
    assert!(matches!(
        m.row("nowhere").unwrap().state,
        RowState::FailedToStart { .. }
    ));
    // The row says which host refused it.
    assert_eq!(m.row("nowhere").unwrap().host.as_deref(), Some("127.0.0.9"));
    run.finish();
}

#[test]
fn restart_on_failure_works_remotely() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut t = on_host(&hosts, "127.0.0.4", sh("flaky", "echo attempt; exit 3"));
    t.restart = RestartPolicy::OnFailure;
    t.max_restarts = proctor::session::MaxRestarts::new(2).unwrap();
    t.backoff = Seconds::from_millis(100);
    run.start(t);
    run.until("three runs of flaky", |evs| {
        evs.iter()
            .filter(|e| {
                e.process.as_deref() == Some("flaky")
                    && matches!(e.kind, EventKind::Exited { restart_in: None, .. })
            })
            .count()
            == 1
    });
    let codes: Vec<i32> = run
        .of("flaky", "exited")
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Exited { exit_code, .. } => Some(exit_code),
            _ => None,
        })
        .collect();
    assert_eq!(codes, [3, 3, 3], "the remote code, each run");
    assert_eq!(run.lines("flaky", "stdout"), ["attempt"; 3]);
    assert_eq!(run.of("flaky", "spawned").len(), 3);
    run.finish();
}

/// Starts task `name` on a host: a shell that ignores SIGTERM around
/// `sleep SECS`, with a stop timeout of `stop_ms`; once the sleep runs,
/// terminates it. Returns when the Terminate was sent.
fn terminate_stubborn(
    run: &mut Run,
    hosts: &SshHosts,
    name: &str,
    secs: &str,
    stop_ms: u32,
) -> std::time::Instant {
    let mut t = on_host(
        hosts,
        "127.0.0.4",
        sh(name, &format!("trap '' TERM; sleep {secs}; true")),
    );
    t.stop.timeout = Seconds::from_millis(stop_ms);
    run.start(t);
    let what = format!("sleep {secs}");
    wait_until("the remote sleep", Duration::from_secs(30), || {
        running_as(&what).iter().any(|&p| !gone(p))
    });
    let sent = std::time::Instant::now();
    run.send(Command::Stop {
        process: name.into(),
        how: StopHow::Terminate,
    });
    sent
}

#[test]
fn a_remote_command_that_ignores_the_stop_signal_is_killed_after_the_stop_timeout() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let tag = run.engine.session_tag().to_string();
    let sent = terminate_stubborn(&mut run, &hosts, "stubborn", "6023.5", 1000);
    run.wait_exit("stubborn");
    // The shell ignores SIGTERM; SIGKILL follows after the stop timeout.
    wait_until("the remote tree killed", Duration::from_secs(20), || {
        remote_tagged(&tag).is_empty()
    });
    assert!(
        sent.elapsed() >= Duration::from_millis(900),
        "not before the stop timeout: {:?}",
        sent.elapsed()
    );
    run.finish();
}

#[test]
fn sigkill_of_proctor_run_leaves_no_remote_task_behind() {
    let Some(hosts) = SshHosts::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    let session = format!(
        "[[task]]\nname = \"far\"\nrun = [\"sleep\", \"6024.5\"]\nhost = \"127.0.0.2\"\nssh_options = {:?}\n",
        hosts.ssh_options()
    );
    std::fs::write(&file, session).unwrap();
    // Headless, tracking only its own descendants.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
        .args([std::ffi::OsStr::new("run"), file.as_os_str()])
        .env("PROCTOR_TAG_SCAN", "off")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the remote sleep", Duration::from_secs(60), || {
        running_as("sleep 6024.5").iter().any(|&p| !gone(p))
    });
    child.kill().unwrap();
    child.wait().unwrap();
    wait_until("no remote sleep left", Duration::from_secs(30), || {
        with_cmdline("sleep 6024.5").iter().all(|&p| gone(p))
    });
}

/// A remote command that ignores its stop signal: Proctor reports its end
/// when the host has killed it, not when its local `ssh` went (it said
/// "exited" at once while the command ran on for the stop timeout).
#[test]
fn a_remote_stop_is_reported_when_the_remote_command_ends() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let sent = terminate_stubborn(&mut run, &hosts, "slow", "6024.5", 2000);
    assert_eq!(run.wait_exit("slow"), Some(-9), "{}", run.dump());
    assert!(
        run.lines("slow", "stderr").is_empty(),
        "{:?}",
        run.lines("slow", "stderr")
    );
    assert!(
        sent.elapsed() >= Duration::from_millis(1900),
        "{:?}",
        sent.elapsed()
    );
    // By then the remote command is gone.
    assert!(
        with_cmdline("sleep 6024.5").iter().all(|&p| gone(p)),
        "the remote command outlived its reported end"
    );
    run.finish();
}

/// A remote task's CPU and memory are not the local `ssh`'s: it is not
/// sampled, its end carries no usage, and its row says where it runs.
#[test]
fn a_remote_task_is_not_sampled_as_its_local_ssh() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    run.start(on_host(&hosts, "127.0.0.3", sh("far", "sleep 3")));
    run.start(sh("near", "sleep 3"));
    let far = run.pid_of("far") as u32;
    let near = run.pid_of("near") as u32;
    assert_eq!(run.wait_exit("far"), Some(0));
    run.wait_exit("near");
    let sampled = |pid: u32| {
        run.events.iter().any(|e| match &e.kind {
            EventKind::Samples { procs, .. } => procs.iter().any(|s| s.0 == pid),
            _ => false,
        })
    };
    assert!(sampled(near), "the local task was sampled: {}", run.dump());
    assert!(!sampled(far), "the remote task's local ssh was sampled");
    let usage = |name: &str| {
        run.of(name, "exited").iter().find_map(|e| match &e.kind {
            EventKind::Exited { usage, .. } => Some(usage.is_some()),
            _ => None,
        })
    };
    assert_eq!((usage("far"), usage("near")), (Some(false), Some(true)));
    run.finish();
}
