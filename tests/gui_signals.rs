//! SIGTERM (and SIGHUP, SIGINT) to the app quits it as closing its window
//! does, without asking: every process stopped by its stop policy, the
//! session's journal ended; a second signal kills what is left. Before, the
//! app died at once: its children went by the parent-death signal, its
//! journal ended without `session_ended`, and a trap never ran.
//!
//! One test in this file: its signal handlers are the test process's.

mod gui_support;

use gui_support::*;
use proctor::gui::QuitState;

fn raise(sig: i32) {
    // SAFETY: a signal to this process, whose handler (signal-hook's) only
    // records it.
    unsafe { libc::kill(libc::getpid(), sig) };
}

#[test]
fn a_quit_signal_stops_everything_gracefully_and_a_second_kills() {
    let dir = tempfile::tempdir().unwrap();
    let done = dir.path().join("cleaned-up");
    let mut graceful = task(
        "graceful",
        &format!("trap 'touch {}; exit 0' TERM; sleep 60 & wait", done.display()),
    );
    graceful.shell = true;
    graceful.stop.timeout = proctor::session::Seconds::from_millis(30_000);
    let mut deaf = task("deaf", "trap '' TERM; sleep 60 & wait");
    deaf.shell = true;
    deaf.stop.timeout = proctor::session::Seconds::from_millis(120_000);
    let mut h = harness(session(vec![graceful, deaf]), true);
    wait_until(&mut h, "both running", |h| {
        ["graceful", "deaf"]
            .iter()
            .all(|n| app(h).model().row(n).is_some_and(|r| r.state.is_alive()))
    });
    let pids: Vec<u32> = ["graceful", "deaf"]
        .iter()
        .filter_map(|n| app(&h).model().row(n).and_then(|r| r.pid))
        .collect();
    h.state_mut()
        .app
        .as_mut()
        .unwrap()
        .listen_for_quit_signals()
        .unwrap();
    raise(libc::SIGTERM);
    wait_until(&mut h, "the graceful one ends by its trap", |h| {
        app(h)
            .model()
            .row("graceful")
            .is_some_and(|r| !r.state.is_alive())
    });
    assert!(done.exists(), "its TERM trap ran");
    assert_eq!(app(&h).quit_state(), QuitState::Stopping, "no question asked");
    assert!(!shows(&h, "Quit Proctor?"));
    assert!(alive(pids[1]), "the deaf one waits for its stop timeout");
    // A second signal: what is left is killed, and the window closes.
    raise(libc::SIGHUP);
    wait_until(&mut h, "the window closes", |h| {
        app(h).quit_state() == QuitState::Closing
    });
    for p in &pids {
        assert!(!alive(*p), "pid {p} was left running");
    }
    // The window's exit ends the session: its journal is whole.
    let journals = h.state().dirs.journals.clone();
    h.state_mut().app.as_mut().unwrap().exit();
    let ended = std::fs::read_dir(&journals)
        .unwrap()
        .flatten()
        .filter(|e| proctor::journal::is_journal_name(&e.path()))
        .any(|e| {
            let (events, _) = proctor::journal::read_journal(&e.path()).unwrap();
            events
                .iter()
                .any(|e| matches!(e.kind, proctor::event::EventKind::SessionEnded { .. }))
        });
    assert!(ended, "session_ended in the journal");
}
