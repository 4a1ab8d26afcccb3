//! Tasks on SSH hosts that go away and come back, and hosts that refuse
//! sessions: real OpenSSH "hosts" (tests/remote/sshd.sh, each sshd in a
//! PID namespace of its own), the tag scan off.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::event::EventKind;
use proctor::session::{MaxRestarts, RestartPolicy, Seconds};
use std::time::Duration;
use support::*;

fn stdout_count(run: &Run, name: &str, line: &str) -> usize {
    run.lines(name, "stdout").iter().filter(|l| *l == line).count()
}

/// `restart = "always"` keeps trying, with its backoff, while the host is
/// down, and the task runs again once the host is back (it gave up after
/// one failed reconnect).
#[test]
fn a_restart_policy_outlasts_a_host_that_is_down_for_a_while() {
    let Some(hosts) = SshHosts::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut t = on_host(&hosts, "127.0.0.4", sh("svc", "echo up; exec sleep 6051.5"));
    t.restart = RestartPolicy::Always;
    // Fewer restarts than the tries the outage takes: a start that could
    // not reach the host is not one.
    t.max_restarts = MaxRestarts::new(2).unwrap();
    t.backoff = Seconds::from_millis(200);
    t.backoff_max = Seconds::from_millis(1000);
    run.start(t);
    wait_until("the first run prints", Duration::from_secs(60), || {
        run.drain();
        stdout_count(&run, "svc", "up") == 1
    });
    hosts.kill_host("127.0.0.4");
    // Down for long enough that several restarts fail.
    wait_until(
        "restarts that fail while the host is down",
        Duration::from_secs(60),
        || {
            run.drain();
            run.of("svc", "spawn_failed").len() >= 4
        },
    );
    // And goes on trying.
    let tries = run.of("svc", "restarting").len();
    wait_until(
        "more restarts while the host is down",
        Duration::from_secs(60),
        || {
            run.drain();
            run.of("svc", "restarting").len() >= tries + 2
        },
    );
    assert!(
        !run.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Exited { restart_in: None, .. })),
        "the restart policy gave up while the host was down:\n{}",
        run.dump()
    );
    hosts.revive_host("127.0.0.4");
    wait_until("the task runs again on the host", Duration::from_secs(90), || {
        run.drain();
        stdout_count(&run, "svc", "up") == 2
    });
    assert!(running_as("sleep 6051.5").iter().any(|&p| !gone(p)));
    let m = run.model();
    assert!(m.row("svc").unwrap().state.is_alive(), "{}", run.dump());
    // A failed start says why.
    let failed: Vec<String> = run.of("svc", "spawn_failed").iter().map(|e| e.text()).collect();
    assert!(
        failed
            .iter()
            .all(|t| t.contains("cannot connect to 127.0.0.4") && t.contains("trying again in")),
        "{failed:?}"
    );
    assert!(!run
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Error { message } if message.contains("panick"))),);
    run.finish();
}
