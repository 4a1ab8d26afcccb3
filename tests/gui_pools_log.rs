//! Pools and the event log through the real app and a real engine.

mod gui_support;

use egui_kittest::kittest::Queryable;
use gui_support::*;
use proctor::model::InputStatus;
use proctor::session::Session;

#[test]
fn a_pool_from_the_form_reaches_its_total() {
    let mut h = harness(Session::default(), false);
    h.get_by_label("+ Pool").click();
    frames(&mut h, 2);
    set_text(&mut h, "Name", "squares");
    set_text(&mut h, "Command", "sh -c 'echo $(({} * {}))'");
    set_text(&mut h, "Workers", "3");
    let inputs: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    set_text(&mut h, "Input list", &inputs.join("\n"));
    assert!(shows(&h, "20 inputs"));
    h.get_by_label("Start").click();
    wait_until(&mut h, "the pool is listed", |h| shows(h, "Pools (1)"));
    h.get_by_label("Pools (1)").click();

    wait_until(&mut h, "all 20 inputs done", |h| shows(h, "20 done"));
    assert!(shows(&h, "0 failed"));
    assert!(shows(&h, "Results (20 of 20)"));
    assert!(shows(&h, "\u{25cf} done"));
    let pool = app(&h).model().pool("squares").expect("pool row");
    assert!(pool.inputs.iter().all(|i| i.status == InputStatus::Done));
    assert_eq!(pool.inputs[6].result.as_deref(), Some("49"));
    // The first results are in the table, in input order.
    assert!(shows(&h, "49"));
    h.get_by_label("Completion order").click();
    frames(&mut h, 2);
    assert!(shows(&h, "Completion order"));
}

#[test]
fn the_log_shows_output_and_filters_and_search_narrow_it() {
    let s = session(vec![task(
        "talker",
        "sh -c 'echo hello-from-child; echo oops-on-stderr >&2; sleep 30'",
    )]);
    let mut h = harness(s, true);
    wait_until(&mut h, "the child's stdout line in the log", |h| {
        shows(h, "hello-from-child")
    });
    wait_until(&mut h, "the stderr line in the log", |h| {
        shows(h, "oops-on-stderr")
    });
    let total = app(&h).log().shown_len();
    assert!(total >= 4, "session_started, spawned, stdout, stderr");

    // Search narrows to matching lines.
    set_text(&mut h, "Search the log", "oops");
    assert!(shows(&h, "oops-on-stderr"));
    assert!(!shows(&h, "hello-from-child"));
    let found = app(&h).log().shown_len();
    assert!(found < total);
    assert!(app(&h).log().shown().all(|e| e.text().contains("oops")));
    set_text(&mut h, "Search the log", "");
    assert!(shows(&h, "hello-from-child"));

    // Hiding the stdout kind leaves stderr.
    h.get_by_label("Kinds: all").click();
    frames(&mut h, 2);
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "stdout")
        .click();
    frames(&mut h, 2);
    h.key_press(egui::Key::Escape);
    frames(&mut h, 2);
    assert!(!shows(&h, "hello-from-child"));
    assert!(shows(&h, "oops-on-stderr"));
    assert_eq!(app(&h).log().shown_len(), total - 1);

    // "Problems only" keeps stderr and failures.
    h.get_by_label("Problems only").click();
    frames(&mut h, 2);
    assert_eq!(app(&h).log().shown_len(), 1);
}

#[test]
fn selecting_a_process_can_filter_the_log_to_it() {
    let s = session(vec![
        task("alpha", "sh -c 'echo from-alpha; sleep 30'"),
        task("beta", "sh -c 'echo from-beta; sleep 30'"),
    ]);
    let mut h = harness(s, true);
    wait_until(&mut h, "both outputs", |h| {
        shows(h, "from-alpha") && shows(h, "from-beta")
    });
    let pid = app(&h).model().row("beta").and_then(|r| r.pid).expect("pid");
    h.get_by_label(&pid.to_string()).click();
    frames(&mut h, 2);
    h.get_by_label("Show").click();
    frames(&mut h, 2);
    h.get_by_label("Selected in table").click();
    frames(&mut h, 3);
    assert!(shows(&h, "from-beta"));
    assert!(!shows(&h, "from-alpha"));
}
