//! What a hostile tester found after the desktop work: a key typed into
//! the form reaching the process table, Ctrl+C as the window system sends
//! it, Undo after a rename, quitting with unsaved edits, a popup that
//! closed on each click, Escape, Enter in confirmations, the Copy button's
//! place, and the layout at 800×600. Real app, real engine, real children.

mod gui_support;

use egui::{Event, Key, Modifiers};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use gui_support::*;
use proctor::gui::QuitState;
use std::time::Duration;

fn copied(h: &Harness<'_, TestApp>) -> Option<String> {
    h.output().platform_output.commands.iter().find_map(|c| match c {
        egui::OutputCommand::CopyText(t) => Some(t.clone()),
        _ => None,
    })
}

fn select_row(h: &mut Harness<'_, TestApp>, name: &str) {
    let nodes: Vec<_> = h.query_all_by_label(name).collect();
    nodes.last().expect("the row").click();
    frames(h, 3);
}

/// The form's Command field (the details pane has a "Command" too).
fn command<'h>(h: &'h Harness<'_, TestApp>) -> egui_kittest::Node<'h> {
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Command")
}

/// Frames for about `ms` of real time (for what must not happen).
fn idle(h: &mut Harness<'_, TestApp>, ms: u64) {
    let end = std::time::Instant::now() + Duration::from_millis(ms);
    while std::time::Instant::now() < end {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn alive_row(h: &Harness<'_, TestApp>, name: &str) -> bool {
    app(h).model().row(name).is_some_and(|r| r.state.is_alive())
}

#[test]
fn typing_into_a_running_tasks_form_keeps_the_keys_in_the_field() {
    let s = session(vec![task("w", "sleep 30")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "running", |h| alive_row(h, "w"));
    // The row is selected in the table: Delete there would terminate it.
    select_row(&mut h, "w");
    command(&h).click();
    frames(&mut h, 2);
    h.key_press(Key::End);
    for c in " #x".chars() {
        h.event(Event::Text(c.to_string()));
        frames(&mut h, 2);
        assert!(
            command(&h).is_focused(),
            "the field lost the keyboard after {c:?}"
        );
    }
    assert!(shows_containing(&h, "its running copy uses the old definition"));
    let field = command(&h).rect();
    // Backspace, Delete and arrows edit the text, never the table.
    h.key_press(Key::Backspace);
    frames(&mut h, 2);
    h.key_press(Key::ArrowLeft);
    h.key_press(Key::Delete);
    h.key_press_modifiers(Modifiers::SHIFT, Key::Delete);
    frames(&mut h, 2);
    assert!(command(&h).is_focused());
    assert_eq!(command(&h).rect(), field, "the field did not move");
    idle(&mut h, 800);
    assert!(
        alive_row(&h, "w"),
        "a key typed into the form reached the process table"
    );
    assert!(
        command(&h).value().is_some_and(|v| v == "sleep 30 "),
        "{:?}",
        command(&h).value()
    );
    h.state_mut()
        .app
        .as_mut()
        .expect("app")
        .apply(proctor::gui::Intent::Send(proctor::engine::Command::StopAll {
            how: proctor::engine::StopHow::Kill,
        }));
    wait_until(&mut h, "stopped", |h| !alive_row(h, "w"));
}

#[test]
fn ctrl_c_as_the_window_system_sends_it_copies_the_selected_pid() {
    let s = session(vec![task("a", "sleep 30"), task("b", "sleep 30")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "running", |h| alive_row(h, "a") && alive_row(h, "b"));
    select_row(&mut h, "b");
    // egui-winit sends Ctrl+C as Event::Copy, not as a key.
    h.event(Event::Copy);
    h.step();
    let b = app(&h).model().row("b").and_then(|r| r.pid).expect("b's pid");
    assert_eq!(copied(&h), Some(b.to_string()));
    // Ctrl+Shift+C: the command line.
    h.event(Event::ModifiersChanged(Modifiers::COMMAND | Modifiers::SHIFT));
    h.step();
    h.event(Event::Copy);
    h.step();
    assert_eq!(copied(&h).as_deref(), Some("sleep 30"));
    h.event(Event::ModifiersChanged(Modifiers::NONE));
    h.step();
    // In a text field Copy is the field's: no PID copied.
    h.get_by_label("Filter processes").click();
    frames(&mut h, 2);
    h.event(Event::Copy);
    h.step();
    assert_ne!(copied(&h), Some(b.to_string()));
    h.key_press(Key::Escape);
    frames(&mut h, 2);
    h.get_by_label("Kill all").click();
    frames(&mut h, 3);
    h.get_all_by_label("Kill all")
        .last()
        .expect("the dialog's")
        .click();
    wait_until(&mut h, "stopped", |h| !alive_row(h, "a") && !alive_row(h, "b"));
}

#[test]
fn undo_after_a_rename_brings_back_exactly_what_was_removed() {
    let s = session(vec![task("keep", "true"), task("gone", "true")]);
    let mut h = harness(s, false);
    frames(&mut h, 2);
    h.get_all_by_label("gone").next().expect("the definition").click();
    frames(&mut h, 2);
    // Renamed by typing in its Name field.
    h.get_by_label("Name").click();
    frames(&mut h, 2);
    h.key_press(Key::End);
    for c in "-renamed".chars() {
        h.event(Event::Text(c.to_string()));
        h.step();
    }
    frames(&mut h, 2);
    h.get_by_label("Remove").click();
    frames(&mut h, 4);
    h.get_all_by_label("Remove").last().expect("the dialog's").click();
    frames(&mut h, 3);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    frames(&mut h, 3);
    let names: Vec<&str> = app(&h).definitions().defs().iter().map(|d| d.name()).collect();
    assert_eq!(
        names,
        ["keep", "gone-renamed"],
        "exactly what was removed, where it was"
    );

    // Removed, its name taken meanwhile: back under a name of its own.
    h.get_by_label("Remove").click();
    frames(&mut h, 4);
    h.get_all_by_label("Remove").last().expect("the dialog's").click();
    frames(&mut h, 3);
    set_text(&mut h, "Name", "gone-renamed");
    h.key_press(Key::Escape);
    frames(&mut h, 2);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    frames(&mut h, 3);
    let names: Vec<&str> = app(&h).definitions().defs().iter().map(|d| d.name()).collect();
    assert_eq!(names, ["gone-renamed", "gone-renamed-1"], "never two of one name");
}

fn file_session(dir: &std::path::Path, run: &str) -> (std::path::PathBuf, proctor::session::Session) {
    let path = dir.join("s.toml");
    std::fs::write(&path, format!("[[task]]\nname = \"t\"\nrun = \"{run}\"\n")).expect("write");
    let s = proctor::session::parse_session_file(&path).expect("parses");
    (path, s)
}

fn cancelled_close(h: &Harness<'_, TestApp>) -> bool {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .is_some_and(|v| v.commands.contains(&egui::ViewportCommand::CancelClose))
}

#[test]
fn quitting_with_unsaved_edits_to_a_session_file_asks_to_save() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (path, s) = file_session(dir.path(), "sleep 1");
    let before = std::fs::read_to_string(&path).expect("read");

    // Cancel, then quit without saving: the file is as it was.
    let mut h = harness(s.clone(), false);
    frames(&mut h, 2);
    set_text(&mut h, "Command", "sleep 2");
    request_close(&mut h);
    assert!(cancelled_close(&h), "the window stays open");
    frames(&mut h, 2);
    assert!(shows(&h, "Save the changes to s.toml before quitting?"));
    // Enter is Cancel's.
    h.key_press(Key::Enter);
    frames(&mut h, 3);
    assert!(!shows(&h, "Save the changes to s.toml before quitting?"));
    assert_eq!(app(&h).quit_state(), QuitState::Idle);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Q);
    frames(&mut h, 3);
    h.get_by_label("Quit without saving").click();
    frames(&mut h, 3);
    assert_eq!(app(&h).quit_state(), QuitState::Closing);
    assert_eq!(std::fs::read_to_string(&path).expect("read"), before);
    drop(h);

    // Save and quit, with a process running: saved, then the running
    // process is asked about as before.
    let mut h = harness(s, true);
    wait_until(&mut h, "running", |h| alive_row(h, "t"));
    set_text(&mut h, "Command", "sleep 3");
    request_close(&mut h);
    frames(&mut h, 2);
    h.get_by_label("Save and quit").click();
    frames(&mut h, 3);
    assert!(std::fs::read_to_string(&path).expect("read").contains("sleep 3"));
    assert_eq!(app(&h).quit_state(), QuitState::Asking);
    h.get_by_label("Terminate all and quit").click();
    wait_until(&mut h, "closing", |h| app(h).quit_state() == QuitState::Closing);
}

#[test]
fn the_columns_chooser_stays_open_while_columns_are_ticked() {
    let s = session(vec![task("a", "true")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "ended", |h| {
        app(h).model().row("a").is_some_and(|r| r.state.is_ended())
    });
    h.get_by_label("Columns").click();
    frames(&mut h, 3);
    let check = |h: &Harness<'_, TestApp>, l: &str| {
        h.query_by_role_and_label(egui::accesskit::Role::CheckBox, l)
            .is_some()
    };
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "PID")
        .click();
    frames(&mut h, 3);
    assert!(check(&h, "Memory"), "the chooser closed after one click");
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "Memory")
        .click();
    frames(&mut h, 3);
    assert!(check(&h, "Runtime"));
    h.key_press(Key::Escape);
    frames(&mut h, 3);
    assert!(!check(&h, "Runtime"), "Escape closes it");
    assert!(!shows(&h, "PID") && !shows(&h, "Memory"), "both hidden");
}

#[test]
fn escape_closes_the_shortcuts_and_the_details_windows() {
    let s = session(vec![task("sleeper", "sleep 30")]);
    let mut h = harness_sized(s, true, [800.0, 600.0]);
    wait_until(&mut h, "running", |h| alive_row(h, "sleeper"));
    h.key_press(Key::F1);
    frames(&mut h, 3);
    assert!(shows(&h, "Keyboard shortcuts"));
    h.key_press(Key::Escape);
    frames(&mut h, 3);
    assert!(!shows(&h, "Keyboard shortcuts"));
    select_row(&mut h, "sleeper");
    h.key_press(Key::Enter);
    frames(&mut h, 3);
    assert!(
        shows(&h, "Details \u{2014} sleeper"),
        "narrow: a window of its own"
    );
    h.key_press(Key::Escape);
    frames(&mut h, 3);
    assert!(!shows(&h, "Details \u{2014} sleeper"));
    h.key_press_modifiers(Modifiers::SHIFT, Key::Delete);
    wait_until(&mut h, "stopped", |h| !alive_row(h, "sleeper"));
}

#[test]
fn enter_in_a_confirmation_cancels() {
    let s = session(vec![task("a", "sleep 30")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "running", |h| alive_row(h, "a"));
    h.get_by_label("Terminate all").click();
    frames(&mut h, 4);
    assert!(shows(&h, "Are you sure?"));
    h.key_press(Key::Enter);
    frames(&mut h, 4);
    assert!(!shows(&h, "Are you sure?"), "Enter answered");
    idle(&mut h, 500);
    assert!(alive_row(&h, "a"), "Enter is Cancel, not Terminate all");
    h.get_by_label("Terminate all").click();
    frames(&mut h, 4);
    h.get_all_by_label("Terminate all")
        .last()
        .expect("the dialog's")
        .click();
    wait_until(&mut h, "stopped", |h| !alive_row(h, "a"));
}

#[test]
fn the_copy_button_stands_at_the_top_of_a_long_command() {
    let words = vec!["abcdefghij"; 40].join(" ");
    let t = task("long", &format!("sh -c 'sleep 30' {words}"));
    let mut h = harness_sized(session(vec![t]), true, [1920.0, 1080.0]);
    wait_until(&mut h, "running", |h| alive_row(h, "long"));
    select_row(&mut h, "long");
    wait_until(&mut h, "the details", |h| shows(h, "Copy command"));
    frames(&mut h, 3);
    let button = h.get_by_label("Copy command").rect();
    let value = h
        .query_all_by_label_contains("abcdefghij abcdefghij")
        .map(|n| n.rect())
        .rfind(|r| r.height() > 2.0 * button.height())
        .expect("the wrapped command");
    assert!(
        (button.min.y - value.min.y).abs() <= 4.0,
        "the button at {button:?}, the command at {value:?}"
    );
    h.get_by_label("Kill").click();
    wait_until(&mut h, "stopped", |h| !alive_row(h, "long"));
}

#[test]
fn at_800_by_600_the_form_is_usable_and_the_logs_controls_fit() {
    for size in [[800.0, 600.0], [1920.0, 1080.0]] {
        let s = session(vec![task("t", "sleep 30")]);
        let mut h = harness_sized(s, false, size);
        frames(&mut h, 4);
        // The task form's fields down to Terminal are in the window.
        for l in [
            "Name",
            "Command",
            "Shell",
            "Instances",
            "Daemon",
            "Autostart",
            "Terminal",
            "Stdin",
        ] {
            let r = h.get_by_label(l).rect();
            assert!(
                r.max.y <= size[1] - 20.0,
                "{size:?}: {l} is off the window at {r:?}"
            );
        }
        let log = h.get_by_label("Event log").rect();
        // The log's filter bar is inside its panel, not pushed up under the table.
        let panel = app(&h).settings().layout.log_height.expect("the log's height");
        assert!(
            log.min.y >= size[1] - 40.0 - panel,
            "{size:?}: the bar at {log:?} is above the log panel ({panel} high)"
        );
        assert!(
            log.min.y >= size[1] * 0.4,
            "{size:?}: the log takes too much: {log:?}"
        );
        let follow = h
            .query_by_label_contains("following")
            .map(|n| n.rect())
            .expect("the follow toggle");
        assert!(
            follow.max.x <= size[0] && follow.max.y <= size[1],
            "{size:?}: cut off at {follow:?}"
        );
        // The row's buttons are still there above the log.
        assert!(shows(&h, "Start all"));
    }
}

#[test]
fn the_logs_bar_stays_in_its_panel_when_the_window_shrinks() {
    let s = session(vec![task("t", "sh -c 'seq 1 200; sleep 30'")]);
    let mut h = harness_sized(s, true, [1440.0, 900.0]);
    wait_until(&mut h, "the lines", |h| shows(h, "200"));
    h.set_size(egui::vec2(800.0, 600.0));
    frames(&mut h, 6);
    let panel = app(&h).settings().layout.log_height.expect("the log's height");
    let bar = h.get_by_label("Event log").rect();
    assert!(
        bar.min.y >= 600.0 - 40.0 - panel,
        "the bar at {bar:?} is above the log panel ({panel} high)"
    );
    assert!(panel <= 0.5 * 600.0, "the log keeps at most half: {panel}");
    let search = h.get_by_label("Search the log").rect();
    assert!(
        search.min.y > bar.min.y - 1.0 && search.max.y < 600.0,
        "{search:?}"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.key_press_modifiers(Modifiers::SHIFT, Key::Delete);
    wait_until(&mut h, "stopped", |h| !alive_row(h, "t"));
}

#[test]
fn no_panel_edge_runs_through_the_logs_controls() {
    for size in [[800.0, 600.0], [1920.0, 1080.0]] {
        let mut h = harness_sized(session(vec![task("t", "true")]), false, size);
        frames(&mut h, 4);
        let edge = app(&h)
            .settings()
            .layout
            .definitions_width
            .expect("the definitions' width");
        for l in ["Event log", "Kinds: all", "Problems only", "Search the log"] {
            let r = h.get_by_label(l).rect();
            assert!(
                !(r.min.x < edge && r.max.x > edge),
                "{size:?}: the definitions' edge at x={edge} runs through {l} at {r:?}"
            );
        }
    }
}
