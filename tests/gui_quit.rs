//! Quitting with processes running asks first; quitting leaves nothing running.

mod gui_support;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use gui_support::*;
use proctor::gui::QuitState;

fn cancelled_close(h: &Harness<'_, TestApp>) -> bool {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .is_some_and(|v| v.commands.contains(&egui::ViewportCommand::CancelClose))
}

fn started(names: &[&str]) -> (Harness<'static, TestApp>, Vec<u32>) {
    let tasks = names.iter().map(|n| task(n, "sleep 60")).collect();
    let mut h = harness(session(tasks), true);
    wait_until(&mut h, "all running", |h| {
        names
            .iter()
            .all(|n| app(h).model().row(n).is_some_and(|r| r.state.is_alive()))
    });
    let pids = names
        .iter()
        .filter_map(|n| app(&h).model().row(n).and_then(|r| r.pid))
        .collect();
    (h, pids)
}

#[test]
fn quitting_with_processes_running_asks_then_leaves_none_running() {
    let (mut h, pids) = started(&["long-1", "long-2"]);
    assert!(pids.iter().all(|&p| alive(p)));

    request_close(&mut h);
    assert!(cancelled_close(&h), "the window stays open");
    frames(&mut h, 2);
    assert_eq!(app(&h).quit_state(), QuitState::Asking);
    assert!(shows_containing(&h, "2 processes are still running"));
    assert!(pids.iter().all(|&p| alive(p)), "asking stops nothing");

    h.get_by_label("Terminate all and quit").click();
    wait_until(&mut h, "the window closes", |h| {
        app(h).quit_state() == QuitState::Closing
    });
    for p in &pids {
        assert!(!alive(*p), "pid {p} was left running");
    }
}

#[test]
fn cancel_keeps_everything_running() {
    let (mut h, pids) = started(&["keeper"]);
    request_close(&mut h);
    frames(&mut h, 2);
    assert!(shows(&h, "Quit Proctor?"));
    h.get_by_label("Cancel").click();
    frames(&mut h, 3);
    assert_eq!(app(&h).quit_state(), QuitState::Idle);
    assert!(!shows(&h, "Quit Proctor?"));
    assert!(alive(pids[0]));
    drop(h);
    assert!(!alive(pids[0]), "dropping the app stops its children");
}

#[test]
fn closing_with_nothing_running_does_not_ask() {
    let mut h = harness(Default::default(), false);
    frames(&mut h, 2);
    request_close(&mut h);
    assert!(!cancelled_close(&h));
    assert_eq!(app(&h).quit_state(), QuitState::Closing);
}
