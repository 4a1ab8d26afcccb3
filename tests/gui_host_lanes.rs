//! The timeline groups its lanes by host when work ran on more than one,
//! and the process table shows each process's host:
//! a local task, a task on one SSH "host" and a pool over two others (sshd on 127.0.0.2-4, tests/remote/sshd.sh), through the real
//! app. The tag scan is off: the "remote" processes share this /proc.

mod gui_support;
#[path = "remote/support.rs"]
mod support;

use egui_kittest::kittest::Queryable;
use gui_support::*;

#[test]
fn lanes_come_under_a_header_per_host() {
    let Some(hosts) = support::SshHosts::start() else {
        return;
    };
    std::env::set_var("PROCTOR_TAG_SCAN", "off");
    let cfg = hosts.dir.join("ssh_config").display().to_string();
    let s = session_toml(&format!(
        r#"
[[task]]
name = "here"
run = "echo here"

[[task]]
name = "away"
run = "echo away"
host = "127.0.0.3"
ssh_options = ["-F", "{cfg}"]

[[task]]
name = "busy"
run = ["sleep", "600"]
host = "127.0.0.3"
ssh_options = ["-F", "{cfg}"]

[[pool]]
name = "sq"
run = ["sh", "-c", "sleep 0.3; echo {{}}"]
inputs = ["1", "2", "3", "4", "5", "6", "7", "8"]
hosts = ["127.0.0.2:1", "127.0.0.4:1"]
ssh_options = ["-F", "{cfg}"]
"#
    ));
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool and the tasks end", |h| {
        let m = app(h).model();
        m.pool("sq").is_some_and(|p| p.finished.is_some())
            && ["here", "away"]
                .iter()
                .all(|n| m.row(n).is_some_and(|r| r.state.is_ended()))
    });
    assert_eq!(app(&h).model().row("away").unwrap().exit_code, Some(0));
    // The process table has a Host column, with the task's host in it.
    frames(&mut h, 3);
    assert!(shows(&h, "127.0.0.3"), "the remote task's host");
    assert!(shows(&h, "127.0.0.2"), "a remote worker's host");
    // A running remote task's CPU and memory are not the local ssh's: the
    // row says they are not sampled.
    assert_eq!(
        h.query_all_by_label("remote").count(),
        2,
        "CPU and memory of `busy`"
    );
    h.get_by_label("Timeline").click();
    wait_until(&mut h, "the host headers", |h| {
        app(h).timeline_headers().len() == 4
    });
    let headers = app(&h).timeline_headers().to_vec();
    assert_eq!(
        headers,
        [
            "local \u{00b7} 1 lane",
            "127.0.0.2 \u{00b7} 1 lane",
            "127.0.0.3 \u{00b7} 2 lanes",
            "127.0.0.4 \u{00b7} 1 lane"
        ]
    );
    // Each lane still there, under its header.
    let labels: Vec<String> = app(&h).timeline_drawn().iter().map(|l| l.label.clone()).collect();
    assert_eq!(labels.len(), 5, "{labels:?}");
    assert_eq!(
        labels,
        ["here", "sq/worker-1", "away", "busy", "sq/worker-2"],
        "each lane under its host"
    );
    drop(h);
}
