//! The task form checks a value with the session file's validator: a time
//! no process could wait for is refused in the form, with the message
//! `proctor check` prints, and nothing starts.

mod gui_support;

use egui_kittest::kittest::Queryable;
use gui_support::*;
use proctor::model::RowState;
use proctor::session::{validate, Session};

#[test]
fn a_timeout_of_1e20_is_refused_in_the_form_with_the_checker_message() {
    let mut h = harness(Session::default(), false);
    h.get_by_label("+ Task").click();
    frames(&mut h, 2);
    set_text(&mut h, "Name", "bounded");
    set_text(&mut h, "Command", "sleep 30");
    set_text(&mut h, "Timeout", "1e20");
    let msg = validate::timeout("1e20").expect_err("1e20 s is out of range");
    assert!(msg.contains("more than a year"), "{msg}");
    assert!(shows_containing(&h, &msg), "the form shows: {msg}");

    // Start is refused: nothing reaches the engine.
    h.get_by_label("Start").click();
    frames(&mut h, 5);
    assert!(app(&h).model().processes.is_empty(), "nothing started");

    // A value in range is taken, and the engine runs it.
    set_text(&mut h, "Timeout", "300");
    assert!(!shows_containing(&h, &msg));
    h.get_by_label("Start").click();
    wait_until(&mut h, "bounded running", |h| {
        app(h)
            .model()
            .row("bounded")
            .is_some_and(|r| r.state == RowState::Running)
    });
}
