//! An orphan that escaped its tag, on the fallback path (no cgroup). In a
//! test binary of its own: adopted orphans belong to the process, and with
//! several engines in one process an engine counts only the orphans it can
//! show are its own (see `tracking`), which without a cgroup this one
//! cannot.

mod common;
use common::*;
use proctor::engine::{Command, Engine, EngineConfig, StopHow};
use proctor::session::Seconds;
use std::time::Duration;

#[test]
fn an_escaped_orphan_is_reported_as_a_leftover_and_killed_on_request() {
    // The fallback path: on the cgroup path the stop itself ends the orphan
    // (see stop_paths.rs).
    let mut run = Run {
        engine: Engine::start(EngineConfig {
            cgroups: false,
            ..Default::default()
        })
        .expect("engine starts"),
        events: Vec::new(),
    };
    // Double fork + setsid + a cleared environment: only the subreaper link
    // is left to find it by.
    let mut t = sh(
        "escaper",
        "sh -c 'env -i setsid sleep 60 & echo pid $!'; sleep 60",
    );
    t.stop.timeout = Seconds::from_millis(500);
    run.start(t);
    let pid = wait_lines(&mut run, "escaper", 1)[0];
    // Wait until it has become `sleep` in its own session, adopted by us.
    wait_adopted(pid, std::process::id() as i32);
    run.send(Command::Stop {
        process: "escaper".into(),
        how: StopHow::Terminate,
    });
    run.wait_exit("escaper");
    let left = run.wait_event("leftover report", |e| e.kind.name() == "leftover");
    assert_eq!(left.pid, Some(pid as u32), "{}", left.text());
    assert!(exists(pid));
    // A second stopped task audits too, but an orphan is reported once.
    run.start(sh("bystander", "sleep 60"));
    run.pid_of("bystander");
    run.send(Command::Stop {
        process: "bystander".into(),
        how: StopHow::Terminate,
    });
    run.wait_exit("bystander");
    std::thread::sleep(Duration::from_millis(800));
    while let Ok(e) = run.engine.events().try_recv() {
        run.events.push(e);
    }
    let reports = run
        .events
        .iter()
        .filter(|e| e.kind.name() == "leftover" && e.pid == Some(pid as u32))
        .count();
    assert_eq!(reports, 1, "{}", run.dump());
    run.send(Command::KillLeftovers);
    wait_for("the leftover to be killed", || gone(pid));
}
