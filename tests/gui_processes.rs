//! The process table driven through the real app and a real engine:
//! define a task in the form, start it, see it run, terminate it.

mod gui_support;

use egui_kittest::kittest::Queryable;
use gui_support::*;
use proctor::model::RowState;
use proctor::session::Session;

#[test]
fn fill_the_form_start_a_task_then_terminate_it() {
    let mut h = harness(Session::default(), false);
    h.get_by_label("+ Task").click();
    frames(&mut h, 2);
    set_text(&mut h, "Name", "napper");
    set_text(&mut h, "Command", "sleep 30");
    h.get_by_label("Start").click();

    wait_until(&mut h, "napper running with a pid", |h| {
        app(h)
            .model()
            .row("napper")
            .is_some_and(|r| r.state == RowState::Running && r.pid.is_some())
    });
    frames(&mut h, 2);
    let pid = app(&h).model().row("napper").and_then(|r| r.pid).expect("pid");
    // What the table shows: the pid and the state, and the process is real.
    assert!(shows(&h, &pid.to_string()), "the pid {pid} is shown");
    assert!(shows(&h, "\u{25cf} running"));
    assert!(alive(pid), "pid {pid} is alive");

    // Select the row (click its pid) and Terminate the selection.
    h.get_by_label(&pid.to_string()).click();
    frames(&mut h, 2);
    assert!(shows(&h, "1 selected"));
    h.get_by_label("Terminate").click();

    wait_until(&mut h, "-15 SIGTERM shown", |h| shows(h, "-15 SIGTERM"));
    // Stopped by the user: an outcome, not a failure.
    assert!(shows(&h, "\u{25cf} stopped"));
    assert!(!alive(pid), "pid {pid} is gone after Terminate");
}

#[test]
fn a_missing_command_shows_a_failed_to_start_row_and_why() {
    let mut h = harness(Session::default(), false);
    h.get_by_label("+ Task").click();
    frames(&mut h, 2);
    set_text(&mut h, "Name", "ghost");
    set_text(&mut h, "Command", "/nonexistent/definitely-not-here --flag");
    h.get_by_label("Start").click();

    wait_until(&mut h, "failed to start shown", |h| {
        shows(h, "\u{25cf} failed to start")
    });
    let row = app(&h).model().row("ghost").expect("row");
    assert!(matches!(row.state, RowState::FailedToStart { .. }));
    assert_eq!(row.pid, None);
    // The reason is in the row itself, in words.
    assert!(
        shows_containing(&h, "no such file or command"),
        "the reason is shown"
    );
    // And in the status bar's notice.
    assert!(shows_containing(&h, "ghost failed to start"));
}

#[test]
fn invalid_fields_are_explained_and_block_start() {
    let mut h = harness(Session::default(), false);
    h.get_by_label("+ Task").click();
    frames(&mut h, 2);
    // A new task has no command yet: Start is blocked and the field says why.
    assert!(shows_containing(&h, "the command is empty"));
    set_text(&mut h, "Command", "sleep 1");
    set_text(&mut h, "Instances", "many");
    assert!(shows_containing(&h, "`many` is not a whole number"));
    h.get_by_label("Start").click();
    frames(&mut h, 5);
    assert!(app(&h).model().processes.is_empty(), "nothing started");
    set_text(&mut h, "Instances", "2");
    assert!(!shows_containing(&h, "not a whole number"));
}

#[test]
fn opening_a_session_starts_nothing_unless_asked() {
    let s = session(vec![task("idle", "sleep 30")]);
    let mut h = harness(s.clone(), false);
    for _ in 0..20 {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(app(&h).model().processes.is_empty());
    assert!(shows(&h, "idle"), "the definition is listed");
    drop(h);

    let mut h = harness(s, true);
    wait_until(&mut h, "autostart runs", |h| {
        app(h).model().row("idle").is_some_and(|r| r.state.is_alive())
    });
    let pid = app(&h).model().row("idle").and_then(|r| r.pid).expect("pid");
    assert!(alive(pid));
    drop(h); // the engine stops every child when the app goes
    assert!(!alive(pid), "nothing is left running after the app is dropped");
}

#[test]
fn clear_ended_drops_ended_rows_when_the_engine_says_so_and_keeps_running_ones() {
    let mut h = harness(
        session(vec![task("quick", "true"), task("stays", "sleep 30")]),
        true,
    );
    wait_until(&mut h, "quick exited, stays running", |h| {
        let m = app(h).model();
        m.row("quick").is_some_and(|r| r.state.is_ended())
            && m.row("stays").is_some_and(|r| r.state == RowState::Running)
    });
    h.get_by_label("Clear ended").click();
    wait_until(&mut h, "the ended row is gone", |h| {
        app(h).model().row("quick").is_none()
    });
    assert!(app(&h).model().row("stays").is_some());
    // The log holds the event that did it: a replay drops the same rows.
    assert!(app(&h).log().events().any(|e| e.kind.name() == "cleared"));
}

#[test]
fn the_status_bar_counts_events_as_the_log_does() {
    let mut h = harness(Session::default(), false);
    h.get_by_label("+ Task").click();
    frames(&mut h, 2);
    set_text(&mut h, "Name", "sampled");
    set_text(&mut h, "Command", "sleep 30");
    h.get_by_label("Start").click();
    // A running process is sampled once a second: samples arrive, and
    // they are not rows of the log.
    wait_until(&mut h, "resource samples folded in", |h| {
        app(h).model().samples_seen >= 2
    });
    frames(&mut h, 2);
    let m = app(&h).model();
    let n = m.events_seen - m.samples_seen;
    let count = if n == 1 {
        "1 event".to_string()
    } else {
        format!("{n} events")
    };
    assert!(shows(&h, &count), "the status bar shows {count}");
    assert!(
        shows(&h, &format!("{n} of {count}")),
        "the log shows {n} of {count}"
    );
    assert!(
        !shows(&h, &format!("{} events", m.events_seen)),
        "samples are not counted"
    );
}
