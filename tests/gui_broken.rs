//! The controls a first hour with the app found broken (issue: the app as
//! a desktop user expects it), each through the real app and engine.

mod gui_support;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use gui_support::*;
use proctor::gui::ProcessFilter;
use proctor::model::InputStatus;
use proctor::session::Session;

fn pool_session(name: &str, workers: u32, inputs: &[&str], run: &str) -> Session {
    let list: Vec<String> = inputs.iter().map(|i| format!("\"{i}\"")).collect();
    session_toml(&format!(
        "[[pool]]\nname = \"{name}\"\nrun = \"{run}\"\nworkers = {workers}\ninputs = [{}]\n",
        list.join(", ")
    ))
}

/// Answers yes in the confirmation dialog: the last button labelled
/// `label` (the dialog's, drawn above the one that asked).
fn confirm(h: &mut Harness<'_, TestApp>, label: &str) {
    // A new window is measured on its first frame and drawn on the next.
    frames(h, 2);
    assert!(shows(h, "Are you sure?"), "the confirmation is asked");
    let nodes: Vec<_> = h.query_all_by_label(label).collect();
    nodes.last().expect("the dialog's button").click();
    frames(h, 2);
    assert!(!shows(h, "Are you sure?"));
}

#[test]
fn inputs_typed_into_add_inputs_reach_the_pool() {
    let s = pool_session("slow", 1, &["30"], "sleep {}");
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool", |h| shows(h, "Pools (1)"));
    h.get_by_label("Pools (1)").click();
    wait_until(&mut h, "the worker runs", |h| shows(h, "1 running"));
    h.get_by_label("Add inputs\u{2026}").click();
    frames(&mut h, 2);
    // Clicking into the text area must leave the editor open.
    h.get_by_label("Inputs to add, one a line:").click();
    frames(&mut h, 2);
    assert!(
        shows(&h, "Inputs to add, one a line:"),
        "the editor closed on a click into it"
    );
    set_text(&mut h, "Inputs to add, one a line:", "0.1\n0.2");
    h.get_by_label("Add 2").click();
    wait_until(&mut h, "3 inputs in the pool", |h| {
        app(h).model().pool("slow").is_some_and(|p| p.inputs.len() == 3)
    });
    let pool = app(&h).model().pool("slow").expect("pool");
    assert_eq!(pool.inputs[1].input, "0.1");
    assert_eq!(pool.inputs[2].input, "0.2");
    assert!(!shows(&h, "Inputs to add, one a line:"), "closed after adding");
    h.get_by_label("Kill pool").click();
    wait_until(&mut h, "the pool ends", |h| {
        app(h).model().pool("slow").is_some_and(|p| p.finished.is_some())
    });
}

#[test]
fn the_pool_form_keeps_its_fields_apart_at_its_real_size() {
    for size in [[800.0, 600.0], [1400.0, 900.0]] {
        let mut h = harness_sized(Session::default(), false, size);
        h.get_by_label("+ Pool").click();
        frames(&mut h, 3);
        let inputs: Vec<String> = (1..=20).map(|i| format!("input-{i}")).collect();
        set_text(&mut h, "Input list", &inputs.join("\n"));
        frames(&mut h, 3);
        let list = h.get_by_label("Input list box").rect();
        let count = h.get_by_label("20 inputs").rect();
        assert!(
            count.min.y >= list.max.y - 0.5,
            "{size:?}: the count {count:?} is under the list {list:?}"
        );
        // Everything below the list starts below the count.
        let mut below = h.get_by_label("Browse\u{2026}").rect();
        if let Some(n) = h.query_by_label("Working folder") {
            below = below.union(n.rect());
        }
        assert!(
            below.min.y >= count.max.y - 0.5,
            "{size:?}: Working folder {below:?} overlaps the list/count {count:?}"
        );
    }
}

#[test]
fn the_workers_box_follows_the_pool_after_a_resize_and_a_new_start() {
    let s = pool_session("w", 4, &["30", "30", "30", "30", "30", "30"], "sleep {}");
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool", |h| shows(h, "Pools (1)"));
    h.get_by_label("Pools (1)").click();
    wait_until(&mut h, "4 running", |h| shows(h, "4 running"));
    assert_eq!(h.get_by_label("Workers of w").value().as_deref(), Some("4"));
    h.get_by_label("Workers of w").set_value_accesskit(2.0);
    frames(&mut h, 2);
    h.get_by_label("Resize").click();
    wait_until(&mut h, "the pool has 2 workers", |h| {
        app(h).model().pool("w").is_some_and(|p| p.workers == 2)
    });
    frames(&mut h, 2);
    assert_eq!(h.get_by_label("Workers of w").value().as_deref(), Some("2"));
    h.get_by_label("Kill pool").click();
    wait_until(&mut h, "the pool ends", |h| {
        app(h).model().pool("w").is_some_and(|p| p.finished.is_some())
    });
    // Started again from its definition: 4 workers, and the box says so.
    h.state_mut()
        .app
        .as_mut()
        .expect("app")
        .apply(proctor::gui::Intent::StartAll);
    wait_until(&mut h, "4 running again", |h| {
        app(h)
            .model()
            .pool("w")
            .is_some_and(|p| p.finished.is_none() && p.progress().running == 4)
    });
    frames(&mut h, 2);
    assert_eq!(h.get_by_label("Workers of w").value().as_deref(), Some("4"));
    h.get_by_label("Kill pool").click();
    wait_until(&mut h, "the pool ends", |h| {
        app(h).model().pool("w").is_some_and(|p| p.finished.is_some())
    });
}

#[test]
fn settings_out_of_range_are_said_and_not_saved() {
    let mut h = harness(Session::default(), false);
    h.state_mut()
        .app
        .as_mut()
        .expect("app")
        .apply(proctor::gui::Intent::ShowSettings);
    frames(&mut h, 2);
    set_text(&mut h, "Events kept for the log view", "50");
    frames(&mut h, 2);
    assert!(shows_containing(&h, "at least 1,000"), "the problem is said");
    h.get_by_label("Save settings").click();
    frames(&mut h, 2);
    assert!(
        shows(&h, "Settings"),
        "Save is refused while a value is out of range"
    );
    assert_eq!(app(&h).settings().log_window, proctor::gui::LOG_CAPACITY);
    set_text(&mut h, "Events kept for the log view", "5000");
    h.get_by_label("Save settings").click();
    frames(&mut h, 2);
    assert_eq!(app(&h).settings().log_window, 5000);
    assert_eq!(app(&h).log().capacity(), 5000);
}

#[test]
fn a_paused_pool_has_no_eta_and_cancelled_inputs_are_not_counted_as_run() {
    let inputs: Vec<String> = (0..20)
        .map(|i| if i < 2 { "30".into() } else { "0".into() })
        .collect();
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let s = pool_session("p", 2, &refs[..], "sleep {}");
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool", |h| shows(h, "Pools (1)"));
    h.get_by_label("Pools (1)").click();
    wait_until(&mut h, "2 running", |h| shows(h, "2 running"));
    h.get_by_label("Pause").click();
    wait_until(&mut h, "paused", |h| {
        app(h).model().pool("p").is_some_and(|p| p.paused)
    });
    frames(&mut h, 2);
    assert!(shows(&h, "ETA \u{2014} (paused)"), "a paused pool shows no ETA");
    h.get_by_label("Cancel rest").click();
    frames(&mut h, 2);
    confirm(&mut h, "Cancel rest");
    wait_until(&mut h, "18 cancelled", |h| shows(h, "18 cancelled"));
    h.get_by_label("Kill pool").click();
    wait_until(&mut h, "the pool ends", |h| {
        app(h).model().pool("p").is_some_and(|p| p.finished.is_some())
    });
    frames(&mut h, 2);
    let pool = app(&h).model().pool("p").expect("pool");
    let cancelled = pool
        .inputs
        .iter()
        .filter(|i| i.status == InputStatus::Cancelled)
        .count();
    let ran = pool.inputs.len() - cancelled;
    let bar = format!("{ran} / 20 \u{b7} {cancelled} cancelled");
    assert!(shows(&h, &bar), "the bar reads {bar}");
    assert!(!shows(&h, "20 / 20"));
}

#[test]
fn history_counts_the_rows_its_opened_view_shows_and_says_what_starts_are() {
    // One name started three times (two restarts): one row, three starts.
    let s = session_toml(
        "[[task]]\nname = \"again\"\nrun = \"false\"\nrestart = \"always\"\nmax_restarts = 2\nbackoff = 0.01\n\n[[task]]\nname = \"once\"\nrun = \"true\"\n",
    );
    let mut h = harness(s, true);
    wait_until(&mut h, "every start done", |h| {
        app(h)
            .model()
            .row("again")
            .is_some_and(|r| r.restarts == 2 && r.state.is_ended())
            && app(h).model().row("once").is_some_and(|r| r.state.is_ended())
    });
    h.get_by_label("History").click();
    // The journal is flushed within 100 ms: list it again until it has all.
    let full = |h: &Harness<'_, TestApp>| {
        app(h)
            .history()
            .listed()
            .and_then(|l| l.first())
            .is_some_and(|l| l.summary.processes == 4)
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !full(&h) {
        assert!(
            std::time::Instant::now() < deadline,
            "the journal never had 4 starts"
        );
        h.state_mut()
            .app
            .as_mut()
            .expect("app")
            .apply(proctor::gui::Intent::RefreshHistory);
        frames(&mut h, 2);
        std::thread::sleep(std::time::Duration::from_millis(150));
        frames(&mut h, 2);
    }
    let listed = app(&h).history().listed().expect("list")[0].clone();
    assert_eq!(listed.rows, Some(2), "two process rows");
    assert_eq!(listed.summary.processes, 4, "four starts");
    assert!(shows(&h, "Starts"));
    let live_rows = app(&h).model().processes.len();
    assert_eq!(
        listed.rows,
        Some(live_rows),
        "the count is the rows the session shows"
    );
}

#[test]
fn opening_a_session_shows_every_process_in_the_log_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("next.toml");
    std::fs::write(&file, "[[task]]\nname = \"next\"\nrun = \"echo from-next\"\n").expect("file");
    let s = session(vec![task("first", "echo from-first")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "first's output", |h| shows(h, "from-first"));
    h.state_mut()
        .app
        .as_mut()
        .expect("app")
        .apply(proctor::gui::Intent::ShowInLog("first".into()));
    frames(&mut h, 2);
    assert_eq!(app(&h).log().process, ProcessFilter::One("first".into()));
    h.state_mut()
        .app
        .as_mut()
        .expect("app")
        .apply(proctor::gui::Intent::OpenSession(file.clone()));
    frames(&mut h, 2);
    assert_eq!(app(&h).log().process, ProcessFilter::All);
    h.state_mut()
        .app
        .as_mut()
        .expect("app")
        .apply(proctor::gui::Intent::StartAll);
    wait_until(&mut h, "the new session's output is shown", |h| {
        shows(h, "from-next")
    });
}
