//! The second hostile round against the remote work (see RELIABILITY.md,
//! "A second round on 2026-11-27 against the remote work"), finding 10: a
//! task whose host refuses its session (sshd's `MaxSessions`) never ran,
//! so the refusal does not use up its restarts. On real OpenSSH "hosts"
//! (tests/remote/sshd.sh).

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::event::EventKind;
use proctor::session::{MaxRestarts, RestartPolicy};
use std::time::Duration;
use support::*;

/// Three tasks hold a host's three sessions for 4 s; a fourth, with
/// `restart = "on-failure"` and one restart, is refused meanwhile. It is
/// tried again, not counted, and runs once a session is free: exit 0,
/// its output, no restart counted. Before, its refusals (exit 255) spent
/// its restart and it ended failed, never having run.
#[test]
fn a_task_refused_a_session_runs_once_one_is_free_without_spending_restarts() {
    let Some(hosts) = SshHosts::start_with(3) else {
        return;
    };
    let mut run = Run::own_descendants_only();
    for i in 0..3 {
        run.start(on_host(
            &hosts,
            "127.0.0.4",
            sh(&format!("t{i}"), "sleep 4.5; echo held"),
        ));
        wait_until("the task runs", Duration::from_secs(30), || {
            running_as("sleep 4.5").iter().filter(|&&p| !gone(p)).count() > i
        });
    }
    let mut t = on_host(&hosts, "127.0.0.4", sh("late", "echo ran"));
    t.restart = RestartPolicy::OnFailure;
    t.max_restarts = MaxRestarts::new(1).unwrap();
    run.start(t);
    run.wait_event("late ran", |e| {
        e.process.as_deref() == Some("late")
            && matches!(&e.kind, EventKind::Stdout { line, .. } if line == "ran")
    });
    run.wait_event("late ended", |e| {
        e.process.as_deref() == Some("late") && matches!(e.kind, EventKind::Exited { exit_code: 0, .. })
    });
    let said: Vec<String> = run.of("late", "error").iter().map(|e| e.text()).collect();
    assert!(
        !said.is_empty()
            && said
                .iter()
                .all(|t| t.contains("refused more sessions") && t.contains("not counted")),
        "{said:?}\n{}",
        run.dump()
    );
    let m = run.model();
    let row = m.processes.iter().find(|p| p.name == "late").expect("row");
    assert_eq!(row.restarts, 0, "{}", run.dump());
    run.finish();
}
