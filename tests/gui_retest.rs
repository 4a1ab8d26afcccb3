//! What a hostile tester found in the desktop work: the edited hint that
//! swallowed the form, and the other regressions. Real app, real engine.

mod gui_support;

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use gui_support::*;

fn top_of(h: &Harness<'_, TestApp>, label: &str) -> f64 {
    let node = h.get_by_label(label);
    node.accesskit_node()
        .bounding_box()
        .expect("a field has a place")
        .y0
}

fn bounds(h: &Harness<'_, TestApp>, label: &str) -> egui::accesskit::Rect {
    h.get_by_label(label)
        .accesskit_node()
        .bounding_box()
        .expect("a place")
}

fn hint_bounds(h: &Harness<'_, TestApp>) -> egui::accesskit::Rect {
    let node = h
        .query_all_by_label_contains("the old definition")
        .next()
        .expect("the edited hint");
    node.accesskit_node().bounding_box().expect("a place")
}

#[test]
fn the_edited_hint_keeps_every_field_of_the_form_in_place() {
    const FIELDS: [&str; 4] = ["Command", "Working folder", "Instances", "Timeout"];
    for size in [[1280.0, 800.0], [800.0, 600.0], [640.0, 480.0]] {
        let s = session(vec![task("w", "sleep 30")]);
        let mut h = harness_sized(s, true, size);
        wait_until(&mut h, "running", |h| shows(h, "\u{25cf} running"));
        h.query_all_by_label("w").next().expect("the definition").click();
        frames(&mut h, 3);
        let before: Vec<f64> = FIELDS.iter().map(|f| top_of(&h, f)).collect();
        set_text(&mut h, "Command", "sleep 31");
        frames(&mut h, 3);
        let hint = hint_bounds(&h);
        assert!(
            hint.height() < 120.0,
            "{size:?}: the hint takes its own height: {hint:?}"
        );
        for (f, y) in FIELDS.iter().zip(&before) {
            assert_eq!(top_of(&h, f), *y, "{size:?}: {f} did not move");
        }
        for f in ["Command", "Working folder"] {
            let b = bounds(&h, f);
            assert!(
                b.y1 <= hint.y0 || b.y0 >= hint.y1,
                "{size:?}: {f} {b:?} is not drawn over the hint {hint:?}"
            );
        }
        assert!(shows(&h, "Restart running copies"));
        let nodes: Vec<_> = h.query_all_by_label("w").collect();
        nodes.last().expect("the row").click();
        frames(&mut h, 3);
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
        frames(&mut h, 2);
        h.key_press(egui::Key::Delete);
        wait_until(&mut h, "stopped", |h| {
            app(h).model().processes.iter().all(|r| !r.state.is_alive())
        });
    }
}

#[test]
fn a_pool_input_with_a_line_break_stays_one_input_from_form_to_engine() {
    let s = session_toml(
        "[[pool]]\nname = \"p\"\nworkers = 1\nrun = \"true {}\"\ninputs = [\"a\", \"line1\\nline2\", \"b\"]\n",
    );
    let mut h = harness(s, false);
    h.query_all_by_label("p").next().expect("the definition").click();
    frames(&mut h, 3);
    assert!(shows(&h, "3 inputs"), "the form counts the file's inputs");
    h.get_by_label("Start").click();
    wait_until(&mut h, "the pool done", |h| {
        app(h).model().pool("p").is_some_and(|p| p.finished.is_some())
    });
    let got: Vec<String> = app(&h)
        .model()
        .pool("p")
        .unwrap()
        .inputs
        .iter()
        .map(|i| i.input.clone())
        .collect();
    assert_eq!(got, ["a", "line1\nline2", "b"]);
    let saved = app(&h).definitions().session().expect("the form is valid");
    assert!(matches!(
        &saved.pools[0].inputs,
        proctor::session::InputSource::List(v) if v == &["a", "line1\nline2", "b"]
    ));
}

fn ctrl_c(h: &mut Harness<'_, TestApp>) -> Option<String> {
    h.event(egui::Event::Key {
        key: egui::Key::C,
        pressed: true,
        modifiers: egui::Modifiers::COMMAND,
        repeat: false,
        physical_key: None,
    });
    h.step();
    h.output().platform_output.commands.iter().find_map(|c| match c {
        egui::OutputCommand::CopyText(t) => Some(t.clone()),
        _ => None,
    })
}

#[test]
fn table_keys_act_only_when_the_table_was_clicked_last() {
    let s = session(vec![task("sleeper", "sh -c 'echo log-line-here; sleep 30'")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "the line", |h| shows(h, "log-line-here"));
    let pid = app(&h).model().row("sleeper").and_then(|r| r.pid).expect("pid");
    // The row in the table (the last "sleeper" drawn), then the definition.
    let nodes: Vec<_> = h.query_all_by_label("sleeper").collect();
    nodes.last().expect("the row").click();
    frames(&mut h, 3);
    assert!(shows(&h, "1 selected"));
    h.query_all_by_label("sleeper")
        .next()
        .expect("the definition")
        .click();
    frames(&mut h, 3);
    h.key_press(egui::Key::Delete);
    frames(&mut h, 10);
    assert!(
        alive(pid),
        "Delete in the definitions list terminated the process"
    );
    // A log line picked: Ctrl+C copies it, not the table's PID.
    h.query_all_by_label("log-line-here")
        .next()
        .expect("the log line")
        .click();
    frames(&mut h, 3);
    let copied = ctrl_c(&mut h).expect("something copied");
    assert!(copied.contains("log-line-here"), "{copied}");
    h.key_press(egui::Key::Delete);
    frames(&mut h, 10);
    assert!(alive(pid), "Delete in the log terminated the process");
    // Back in the table: Ctrl+C copies the PID, Delete terminates.
    let nodes: Vec<_> = h.query_all_by_label("sleeper").collect();
    nodes.last().expect("the row").click();
    frames(&mut h, 3);
    assert_eq!(ctrl_c(&mut h), Some(pid.to_string()));
    h.key_press(egui::Key::Delete);
    wait_until(&mut h, "stopped", |h| {
        app(h).model().processes.iter().all(|r| !r.state.is_alive())
    });
}

#[test]
fn cancel_after_quit_without_saving_keeps_the_edits_unsaved_and_asks_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("s.toml");
    std::fs::write(&file, "[[task]]\nname = \"q\"\nrun = \"sleep 30\"\n").expect("write");
    let mut s = session(vec![task("q", "sleep 30")]);
    s.path = Some(file.clone());
    let mut h = harness(s, true);
    wait_until(&mut h, "running", |h| shows(h, "\u{25cf} running"));
    h.query_all_by_label("q").next().expect("the definition").click();
    frames(&mut h, 3);
    set_text(&mut h, "Command", "sleep 31");
    frames(&mut h, 2);
    assert!(app(&h).definitions().dirty);
    request_close(&mut h);
    frames(&mut h, 2);
    h.get_by_label("Quit without saving").click();
    frames(&mut h, 3);
    assert!(shows(&h, "Quit Proctor?"));
    h.get_by_label("Cancel").click();
    frames(&mut h, 3);
    assert!(app(&h).definitions().dirty, "the edits are still unsaved");
    assert!(shows_containing(&h, "\u{2022} edited"));
    request_close(&mut h);
    frames(&mut h, 2);
    assert!(
        shows(&h, "Quit without saving"),
        "the next quit asks to save again"
    );
    h.get_by_label("Cancel").click();
    frames(&mut h, 2);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "[[task]]\nname = \"q\"\nrun = \"sleep 30\"\n"
    );
}

#[test]
fn a_refused_stdin_line_stays_in_the_field() {
    let mut t = task("tty", "sh -c 'while read l; do echo got-$l; done'");
    t.pty = true;
    t.stdin = true;
    let mut h = harness(session(vec![t]), true);
    wait_until(&mut h, "running", |h| shows(h, "\u{25cf} running"));
    let nodes: Vec<_> = h.query_all_by_label("tty").collect();
    nodes.last().expect("the row").click();
    frames(&mut h, 3);
    let long = "x".repeat(5000);
    set_text(&mut h, "Send to stdin", &long);
    h.get_by_label("Send").click();
    wait_until(&mut h, "refused", |h| shows_containing(h, "nothing was sent"));
    frames(&mut h, 3);
    let value = h
        .get_by_label("Send to stdin")
        .accesskit_node()
        .value()
        .map(|v| v.to_string());
    assert_eq!(value.as_deref(), Some(long.as_str()), "the line is kept");
    h.get_by_label("Kill").click();
    wait_until(&mut h, "stopped", |h| shows(h, "\u{25cf} stopped"));
}

#[test]
fn save_and_quit_into_a_deleted_folder_refuses_and_stays_open() {
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("project");
    std::fs::create_dir(&dir).unwrap();
    let file = dir.join("s.toml");
    std::fs::write(&file, "[[task]]\nname = \"q\"\nrun = \"true\"\n").expect("write");
    let mut s = session(vec![task("q", "true")]);
    s.path = Some(file.clone());
    let mut h = harness(s, false);
    frames(&mut h, 2);
    h.query_all_by_label("q").next().expect("the definition").click();
    frames(&mut h, 3);
    set_text(&mut h, "Command", "false");
    std::fs::remove_file(&file).unwrap();
    std::fs::remove_dir(&dir).unwrap();
    request_close(&mut h);
    frames(&mut h, 2);
    h.get_by_label("Save and quit").click();
    frames(&mut h, 4);
    assert!(!dir.exists(), "the deleted folder is not made again");
    assert!(app(&h).definitions().dirty, "the edits are still unsaved");
    assert_ne!(app(&h).quit_state(), proctor::gui::QuitState::Closing);
    assert!(shows_containing(&h, "no longer exists"), "a clear message");
}
