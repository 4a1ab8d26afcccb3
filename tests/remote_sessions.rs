//! Sessions past sshd's `MaxSessions` on a host whose logins work (the
//! rest of the remote hostile round, finding 5): OpenSSH falls back to a
//! login of its own when the master refuses a session, so a slot past the
//! limit ran each input through a fresh login and put ssh's refusal in
//! the input's output. Now a worker's `ssh` only goes through the master:
//! the refusal is seen, the slot retired, its input run elsewhere.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::engine::Command;
use proctor::event::EventKind;
use std::time::Duration;
use support::*;

#[test]
fn slots_past_max_sessions_are_retired_without_a_login_of_their_own() {
    let Some(hosts) = SshHosts::start_with(2) else {
        return;
    };
    let mut run = Run::own_descendants_only();
    let inputs: Vec<String> = (0..12).map(|i| i.to_string()).collect();
    let mut p = pool("ms", 4, &["sh", "-c", "sleep 1; echo r{}"], inputs.clone());
    p.placement = proctor::session::Placement::Hosts {
        hosts: proctor::session::placement::parse_hosts_text("127.0.0.2:4").unwrap(),
        ssh_options: hosts.ssh_options(),
    };
    p.workers = proctor::session::Workers::saturating(4);
    run.send(Command::StartPool { pool: p });
    run.wait_event("pool ms done", |e| {
        e.pool.as_deref() == Some("ms") && e.kind.name() == "pool_done"
    });
    let m = run.model();
    let results: Vec<String> = m
        .pool("ms")
        .unwrap()
        .inputs
        .iter()
        .map(|r| r.result.clone().unwrap_or_default())
        .collect();
    let want: Vec<String> = inputs.iter().map(|i| format!("r{i}")).collect();
    assert_eq!(results, want, "{}", run.dump());
    let of_pool = |e: &&proctor::event::Event| e.pool.as_deref() == Some("ms");
    let retired: Vec<String> = run
        .events
        .iter()
        .filter(of_pool)
        .filter_map(|e| match &e.kind {
            EventKind::Error { message } if message.contains("refused more sessions") => {
                Some(message.clone())
            }
            _ => None,
        })
        .collect();
    // Two sessions per connection, four slots: the two past it are
    // retired (a slot whose session sshd still counted closing may be
    // too), each said once.
    assert!(retired.len() >= 2, "{retired:?}\n{}", run.dump());
    assert!(retired
        .iter()
        .all(|m| m.contains("MaxSessions") && m.contains("not used again")));
    let mut slots: Vec<&str> = retired.iter().filter_map(|m| m.split("; slot ").nth(1)).collect();
    slots.sort_unstable();
    slots.dedup();
    assert_eq!(slots.len(), retired.len(), "a slot said twice: {retired:?}");
    // None of ssh's own words in any output of the pool.
    let ssh_said: Vec<String> = run
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Stdout { .. } | EventKind::Stderr { .. }))
        .map(|e| e.text())
        .filter(|t| {
            t.contains("mux_client")
                || t.contains("refused")
                || t.contains("kex_")
                || t.contains("Connection closed")
        })
        .collect();
    assert!(ssh_said.is_empty(), "{ssh_said:?}");
    assert!(
        !run.events.iter().any(|e| e.kind.name() == "host_down"),
        "a refused session is not a host down:\n{}",
        run.dump()
    );
    run.finish();
    // Nothing of the pool's is left on the host.
    wait_until("no remote sleep left", Duration::from_secs(30), || {
        with_cmdline("sleep 1; echo r").iter().all(|&p| gone(p))
    });
}
