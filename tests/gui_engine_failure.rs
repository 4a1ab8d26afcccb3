//! The engine stops on an internal error: the app says so, waits for
//! nothing, and can start a fresh engine with the definitions kept.

mod gui_support;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use gui_support::*;
use proctor::engine::Command;
use proctor::gui::{Intent, QuitState};

fn running(name: &str) -> Harness<'static, TestApp> {
    let mut h = harness(session(vec![task(name, "sleep 60")]), true);
    wait_until(&mut h, "running", |h| {
        app(h).model().row(name).is_some_and(|r| r.state.is_alive())
    });
    h
}

fn panic_engine(h: &mut Harness<'_, TestApp>, message: &str) {
    let built = h.state_mut().app.as_mut().expect("built");
    built.apply(Intent::Send(Command::TestPanic(message.into())));
    wait_until(h, "the failure banner", |h| app(h).engine_failure().is_some());
}

#[test]
fn a_failed_engine_shows_a_banner_and_quitting_is_immediate() {
    let mut h = running("victim");
    let pid = app(&h).model().row("victim").and_then(|r| r.pid).unwrap();
    panic_engine(&mut h, "gui boom");
    frames(&mut h, 2);
    assert!(shows(&h, "The engine stopped"));
    assert!(shows_containing(&h, "gui boom"));
    assert!(!alive(pid), "pid {pid} was left running");
    assert!(!app(&h).busy());

    request_close(&mut h);
    assert_eq!(app(&h).quit_state(), QuitState::Closing, "no dialog, no waiting");
}

#[test]
fn a_failure_while_the_quit_dialog_waits_closes_the_window() {
    let mut h = running("waiter");
    request_close(&mut h);
    frames(&mut h, 2);
    assert_eq!(app(&h).quit_state(), QuitState::Asking);
    panic_engine(&mut h, "during quit");
    frames(&mut h, 1);
    assert_eq!(app(&h).quit_state(), QuitState::Closing);
}

#[test]
fn restart_engine_starts_a_fresh_one_and_keeps_the_definitions() {
    let mut h = running("again");
    let first = app(&h).model().row("again").and_then(|r| r.pid).unwrap();
    let defs = app(&h).definitions().defs().len();
    panic_engine(&mut h, "restart me");
    frames(&mut h, 2);
    h.get_by_label("Restart engine").click();
    frames(&mut h, 2);
    assert_eq!(app(&h).engine_failure(), None);
    assert!(!shows(&h, "The engine stopped"));
    assert_eq!(app(&h).definitions().defs().len(), defs);
    assert!(app(&h).model().row("again").is_none(), "a fresh session");

    h.state_mut().app.as_mut().unwrap().apply(Intent::StartAll);
    wait_until(&mut h, "running again", |h| {
        app(h).model().row("again").is_some_and(|r| r.state.is_alive())
    });
    let second = app(&h).model().row("again").and_then(|r| r.pid).unwrap();
    assert_ne!(first, second);
    assert!(alive(second));
    drop(h);
    assert!(!alive(second), "the new engine stops its children on drop");
}
