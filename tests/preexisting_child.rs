//! A child this process had before its engine started, in a session of
//! its own, is not an orphan of the engine's: `setsid proctor run … >
//! >(reader)` has the reader as Proctor's child (bash forks it just
//! before the exec), and the session's end killed it as a leftover when
//! it had started within the engine's two-tick margin (the fourth round's
//! N1: `proctor run`'s own output lost its summary, 2 runs in 6).
//!
//! One test in this file: the engine's note of this process's children
//! is taken once per process.

use std::os::unix::process::CommandExt;

#[test]
fn a_child_older_than_the_engine_in_another_session_survives_its_end() {
    // The reader: in a session of its own, started just before the engine.
    let mut reader = std::process::Command::new("sleep");
    reader.arg("30");
    // SAFETY: setsid in the child before exec.
    unsafe {
        reader.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut reader = reader.spawn().unwrap();
    let engine = proctor::engine::Engine::start(Default::default()).unwrap();
    let mut task = proctor::session::TaskSpec::new(
        "t",
        proctor::session::RunSpec::Args(vec!["sleep".into(), "30".into()]),
    );
    task.base_dir = std::env::temp_dir();
    engine.send(proctor::engine::Command::Start { task }).unwrap();
    // Running, so that the end stops it (and looks for what it left).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let e = engine
            .events()
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("an event");
        if e.kind.name() == "spawned" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no spawn");
    }
    let mut leftovers = Vec::new();
    engine.shutdown(|e| {
        if matches!(e.kind, proctor::event::EventKind::SignalSent { .. })
            && e.text_line().contains("leftover")
        {
            leftovers.push(e.text_line());
        }
    });
    // Killed, it may also have been reaped by the engine (ECHILD).
    let alive = matches!(reader.try_wait(), Ok(None));
    let _ = reader.kill();
    let _ = reader.wait();
    assert!(alive, "the older child was killed: {leftovers:?}");
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
