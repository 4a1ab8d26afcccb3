//! Tasks on SSH hosts that go away and come back, and hosts that refuse
//! sessions: real OpenSSH "hosts" (tests/remote/sshd.sh, each sshd in a
//! PID namespace of its own), the tag scan off.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::engine::{Command, PoolAction};
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
    wait_until("the remote command again", Duration::from_secs(30), || {
        running_as("sleep 6051.5").iter().any(|&p| !gone(p))
    });
    let m = run.model();
    assert!(m.row("svc").unwrap().state.is_alive(), "{}", run.dump());
    // A failed start says why.
    let failed: Vec<String> = run.of("svc", "spawn_failed").iter().map(|e| e.text()).collect();
    assert!(
        failed.iter().all(|t| t.contains("cannot connect to 127.0.0.4")),
        "{failed:?}"
    );
    // And that it is tried again: pending, not ended.
    assert_eq!(
        run.of("svc", "restart_scheduled").len(),
        failed.len(),
        "{}",
        run.dump()
    );
    assert!(!run
        .events
        .iter()
        .any(|e| matches!(&e.kind, EventKind::Error { message } if message.contains("panick"))),);
    run.finish();
}

/// Whether a master connection to `host` has made its control socket.
fn master_up(host: &str) -> bool {
    with_cmdline("ControlMaster=yes").into_iter().any(|p| {
        let c = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
        let args: Vec<String> = c
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        args.iter().any(|a| a == host)
            && args
                .iter()
                .filter_map(|a| a.strip_prefix("ControlPath="))
                .any(|path| std::path::Path::new(path).exists())
    })
}

/// Turns the hosts' key for new logins on or off: connections already
/// made (the masters) go on; a session refused on a master, which ssh
/// then tries on a connection of its own, fails (as on a host where only
/// the master could log in).
fn new_logins(hosts: &SshHosts, on: bool) {
    let (a, b) = (
        hosts.dir.join("authorized_keys"),
        hosts.dir.join("authorized_keys.off"),
    );
    let (from, to) = if on { (b, a) } else { (a, b) };
    std::fs::rename(from, to).unwrap();
}

/// Hosts whose sshd takes 3 sessions per connection. A 4th task on one
/// is refused with words that say so (not "connection failed"). A pool
/// with 5 slots on one (and 2 on another) gets slots refused: they are
/// said, the host is not taken for down, their inputs run on the
/// other slots, and every result comes back, in order, none failed.
#[test]
fn sessions_past_max_sessions_are_said_and_their_inputs_run_elsewhere() {
    let Some(hosts) = SshHosts::start_with(3) else {
        return;
    };
    let mut run = Run::own_descendants_only();
    for i in 0..3 {
        run.start(on_host(&hosts, "127.0.0.4", sh(&format!("t{i}"), "sleep 6052.5")));
        wait_until("the task runs", Duration::from_secs(30), || {
            running_as("sleep 6052.5").iter().filter(|&&p| !gone(p)).count() > i
        });
    }
    new_logins(&hosts, false);
    run.start(on_host(&hosts, "127.0.0.4", sh("t3", "sleep 6052.5")));
    assert_eq!(run.wait_exit("t3"), Some(255), "{}", run.dump());
    let said: Vec<String> = run.of("t3", "error").iter().map(|e| e.text()).collect();
    assert!(
        said.iter()
            .any(|t| t.contains("127.0.0.4 refused more sessions") && t.contains("MaxSessions")),
        "{said:?}"
    );
    new_logins(&hosts, true);

    // The pool: its first input holds one session while the rest arrive.
    let mut p = pool("sq", 1, &["sh", "-c", "sleep {}; echo r{}"], vec!["5".into()]);
    p.placement = proctor::session::Placement::Hosts {
        hosts: proctor::session::placement::parse_hosts_text("127.0.0.2:5, 127.0.0.3:2").unwrap(),
        ssh_options: hosts.ssh_options(),
    };
    p.workers = proctor::session::Workers::saturating(7);
    run.send(Command::StartPool { pool: p });
    run.wait_event("the first input started", |e| e.kind.name() == "task_started");
    // Both hosts' masters up before new logins stop (one still connecting
    // would find its host down).
    wait_until("both masters up", Duration::from_secs(60), || {
        ["127.0.0.2", "127.0.0.3"].iter().all(|h| master_up(h))
    });
    new_logins(&hosts, false);
    // Long enough that the five sessions on 127.0.0.2 overlap.
    let rest: Vec<String> = (1..30).map(|i| format!("2.{i:03}")).collect();
    run.send(Command::Pool {
        pool: "sq".into(),
        action: PoolAction::AddInputs(rest.clone()),
    });
    run.wait_event("pool sq done", |e| {
        e.pool.as_deref() == Some("sq") && e.kind.name() == "pool_done"
    });
    new_logins(&hosts, true);
    let m = run.model();
    let pool = m.pool("sq").unwrap();
    let results: Vec<String> = pool
        .inputs
        .iter()
        .map(|r| r.result.clone().unwrap_or_default())
        .collect();
    let want: Vec<String> = std::iter::once("5".to_string())
        .chain(rest)
        .map(|i| format!("r{i}"))
        .collect();
    assert_eq!(results, want, "{}", run.dump());
    let refused: Vec<String> = run
        .events
        .iter()
        .filter(|e| e.pool.as_deref() == Some("sq"))
        .filter_map(|e| match &e.kind {
            EventKind::Error { message } if message.contains("refused more sessions") => {
                Some(message.clone())
            }
            _ => None,
        })
        .collect();
    // How many: the sessions open at the moment each slot asked (sshd
    // counts a closing one for a moment); at least one, each said once.
    assert!(!refused.is_empty(), "no slot said refused:\n{}", run.dump());
    let mut slots: Vec<&str> = refused.iter().filter_map(|m| m.split("; slot ").nth(1)).collect();
    slots.sort_unstable();
    slots.dedup();
    assert_eq!(slots.len(), refused.len(), "a slot said twice: {refused:?}");
    assert!(refused
        .iter()
        .all(|m| m.contains("MaxSessions") && m.contains("not used again")));
    assert!(
        !run.events.iter().any(|e| e.kind.name() == "host_down"),
        "a refused session is not a host down:\n{}",
        run.dump()
    );
    run.finish();
}
