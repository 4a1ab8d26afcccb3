//! The app as a desktop user expects it: layouts that hold at 800×600 and
//! 1920×1080, the details pane, the clipboard, the keyboard, confirmations,
//! output that arrives when written. Real app, real engine, real children.

mod gui_support;

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use gui_support::*;

fn copied(h: &Harness<'_, TestApp>) -> Option<String> {
    h.output().platform_output.commands.iter().find_map(|c| match c {
        egui::OutputCommand::CopyText(t) => Some(t.clone()),
        _ => None,
    })
}

fn select_row(h: &mut Harness<'_, TestApp>, name: &str) {
    // The row's name cell (the definitions list may show the name too: the
    // table's is the last drawn).
    let nodes: Vec<_> = h.query_all_by_label(name).collect();
    nodes.last().expect("the row").click();
    frames(h, 3);
}

#[test]
fn at_800_by_600_every_row_action_is_reachable_and_name_stays() {
    let s = session(vec![task("sleeper", "sleep 30")]);
    for size in [[800.0, 600.0], [1920.0, 1080.0]] {
        let mut h = harness_sized(s.clone(), true, size);
        wait_until(&mut h, "running", |h| shows(h, "\u{25cf} running"));
        select_row(&mut h, "sleeper");
        let narrow = size[0] < 1000.0;
        assert_eq!(
            shows(&h, "More \u{25be}"),
            narrow,
            "{size:?}: an overflow menu only when narrow"
        );
        for b in [
            "Terminate",
            "Kill",
            "Pause",
            "Resume",
            "Send signal",
            "Restart",
            "Start again",
        ] {
            if let Some(n) = h.query_all_by_label(b).last() {
                assert!(
                    n.rect().max.x <= size[0] + 0.5,
                    "{size:?}: {b} is cut off at {:?}",
                    n.rect()
                );
            } else {
                assert!(narrow, "{size:?}: {b} is missing");
            }
        }
        let name = h
            .query_all_by_label("Name")
            .last()
            .expect("the Name header")
            .rect();
        assert!(
            name.min.x >= 0.0 && name.max.x <= size[0],
            "{size:?}: Name header at {name:?}"
        );
        if narrow {
            h.get_by_label("More \u{25be}").click();
            frames(&mut h, 3);
            assert!(shows(&h, "Start again"), "the rest are in the More menu");
            h.key_press(egui::Key::Escape);
            frames(&mut h, 2);
        }
        h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Delete);
        wait_until(&mut h, "stopped", |h| shows(h, "\u{25cf} stopped"));
    }
}

#[test]
fn the_definitions_panel_keeps_its_width_for_a_long_name() {
    let tab_x = |name: &str| {
        let s = session(vec![task(name, "true")]);
        let mut h = harness_sized(s, false, [1280.0, 800.0]);
        frames(&mut h, 4);
        h.get_by_label("Processes (0)").rect().min.x
    };
    let short = tab_x("a");
    let long = tab_x(&"a-very-long-task-name-".repeat(2));
    let too_long = tab_x(&"a-very-long-task-name-".repeat(4));
    assert!(
        (short - long).abs() < 1.0,
        "the table moved from {short} to {long}"
    );
    assert!(
        (short - too_long).abs() < 1.0,
        "a name too long, with its problem shown: the table moved from {short} to {too_long}"
    );
}

#[test]
fn fields_do_not_move_when_a_problem_line_goes_away() {
    let s = session(vec![task("t", "true")]);
    let mut h = harness(s, false);
    frames(&mut h, 2);
    set_text(&mut h, "Instances", "x");
    frames(&mut h, 2);
    assert!(shows_containing(&h, "not a whole number"));
    let before = h.get_by_label("Daemon").rect();
    set_text(&mut h, "Instances", "2");
    frames(&mut h, 2);
    assert!(!shows_containing(&h, "not a whole number"));
    let after = h.get_by_label("Daemon").rect();
    assert_eq!(before.min.y, after.min.y, "the field below moved");
}

#[test]
fn the_details_pane_shows_the_process_and_copies_each_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut t = task(
        "talker",
        "sh -c 'echo hello-detail; echo \"\u{1b}[31mred\u{1b}[0m\" >&2; sleep 30'",
    );
    t.cwd = Some(dir.path().to_path_buf());
    t.env.insert("DETAIL_VAR".into(), "42".into());
    let mut h = harness_sized(session(vec![t]), true, [1920.0, 1080.0]);
    wait_until(&mut h, "output", |h| shows(h, "hello-detail"));
    select_row(&mut h, "talker");
    wait_until(&mut h, "the pane", |h| shows(h, "Copy command"));
    let row = app(&h).model().row("talker").expect("row").clone();
    let pid = row.pid.expect("pid");
    h.get_by_label("Copy pid").click();
    h.step();
    assert_eq!(copied(&h), Some(pid.to_string()));
    h.get_by_label("Copy command").click();
    h.step();
    let cmd = copied(&h).expect("the command");
    assert!(cmd.starts_with("sh -c") && cmd.contains("hello-detail"), "{cmd}");
    h.get_by_label("Copy working folder").click();
    h.step();
    let cwd = std::fs::canonicalize(dir.path()).expect("canonical");
    assert_eq!(copied(&h).map(std::path::PathBuf::from), Some(cwd));
    h.get_by_label("Copy process group").click();
    h.step();
    assert_eq!(copied(&h), Some(pid.to_string()), "its own group");
    assert!(shows_containing(&h, "Environment ("));
    // Its own output: both lines, the colour drawn, not its escape codes.
    assert!(shows(&h, "red"), "the stderr line without its escape codes");
    assert!(shows(&h, "Resources"));
    h.get_by_label("Copy output").click();
    h.step();
    assert_eq!(copied(&h).as_deref(), Some("hello-detail\nred"));
    h.get_by_label("Kill").click();
    wait_until(&mut h, "stopped", |h| shows(h, "\u{25cf} stopped"));
}

#[test]
fn keys_do_what_the_menus_do_and_the_shortcuts_window_lists_them() {
    let s = session(vec![
        task("a", "sleep 30"),
        task("b", "sleep 30"),
        task("c", "sleep 30"),
    ]);
    let mut h = harness(s, true);
    wait_until(&mut h, "3 running", |h| {
        app(h)
            .model()
            .processes
            .iter()
            .filter(|r| r.state.is_alive())
            .count()
            == 3
    });
    frames(&mut h, 2);
    // Arrows: nothing selected, Down selects the first row, then the next.
    h.key_press(egui::Key::ArrowDown);
    frames(&mut h, 2);
    h.key_press(egui::Key::ArrowDown);
    frames(&mut h, 2);
    assert!(shows(&h, "1 selected"), "an arrow selects one row");
    // Ctrl+C copies the selected PID.
    // The output of the step that handles the key press (a step per event).
    h.event(egui::Event::Key {
        key: egui::Key::C,
        pressed: true,
        modifiers: egui::Modifiers::COMMAND,
        repeat: false,
        physical_key: None,
    });
    h.step();
    let pid_copied = copied(&h);
    let b = app(&h).model().row("b").and_then(|r| r.pid).expect("b's pid");
    assert_eq!(pid_copied, Some(b.to_string()), "Down, Down: the second row");
    // Pause with its key; Resume from the Process menu.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::P);
    wait_until(&mut h, "b paused", |h| {
        app(h)
            .model()
            .row("b")
            .is_some_and(|r| r.state.label() == "paused")
    });
    // The menu bar's (the log has a "Process" column too): the topmost.
    let menu = h
        .get_all_by_label("Process")
        .min_by(|a, b| a.rect().min.y.total_cmp(&b.rect().min.y))
        .expect("the menu");
    menu.click();
    frames(&mut h, 3);
    // An entry with keys is labelled with them: the menu lists the keys.
    h.get_by_label("Resume Ctrl+Shift+P").click();
    wait_until(&mut h, "b running", |h| {
        app(h)
            .model()
            .row("b")
            .is_some_and(|r| r.state.label() == "running")
    });
    // Ctrl+A, then Delete terminates every selected process.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    frames(&mut h, 2);
    h.key_press(egui::Key::Delete);
    wait_until(&mut h, "all stopped", |h| {
        app(h)
            .model()
            .processes
            .iter()
            .all(|r| r.state.label() == "stopped")
    });
    h.key_press(egui::Key::F1);
    frames(&mut h, 3);
    assert!(shows(&h, "Keyboard shortcuts"));
    assert!(shows(&h, "Shift+Delete"));
    assert!(shows(&h, "F1 or Ctrl+Shift+/ or Ctrl+?"));
}

#[test]
fn terminate_all_asks_first_unless_switched_off() {
    let s = session(vec![task("a", "sleep 30")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "running", |h| shows(h, "\u{25cf} running"));
    h.get_by_label("Terminate all").click();
    frames(&mut h, 4);
    assert!(shows(&h, "Are you sure?"));
    h.get_by_label("Cancel").click();
    frames(&mut h, 4);
    assert!(!shows(&h, "Are you sure?"));
    assert!(
        app(&h).model().row("a").is_some_and(|r| r.state.is_alive()),
        "cancelled: nothing stopped"
    );
    h.get_by_label("Terminate all").click();
    frames(&mut h, 4);
    h.get_all_by_label("Terminate all")
        .last()
        .expect("the dialog's")
        .click();
    wait_until(&mut h, "stopped", |h| shows(h, "\u{25cf} stopped"));

    // Switched off in Settings: no question.
    h.state_mut()
        .app
        .as_mut()
        .expect("app")
        .apply(proctor::gui::Intent::ShowSettings);
    frames(&mut h, 3);
    h.get_by_label("Ask before Terminate all, Kill all, Cancel rest and Remove")
        .click();
    h.get_by_label("Save settings").click();
    frames(&mut h, 2);
    assert!(!app(&h).settings().confirm);
    h.state_mut()
        .app
        .as_mut()
        .expect("app")
        .apply(proctor::gui::Intent::StartAll);
    wait_until(&mut h, "running again", |h| shows(h, "\u{25cf} running"));
    h.get_by_label("Kill all").click();
    frames(&mut h, 3);
    assert!(!shows(&h, "Are you sure?"));
    wait_until(&mut h, "stopped again", |h| shows(h, "\u{25cf} stopped"));
}

#[test]
fn a_removed_definition_comes_back_with_ctrl_z() {
    let s = session(vec![task("keep", "true"), task("gone", "true")]);
    let mut h = harness(s, false);
    frames(&mut h, 2);
    h.get_all_by_label("gone").next().expect("the definition").click();
    frames(&mut h, 2);
    h.get_by_label("Remove").click();
    frames(&mut h, 4);
    h.get_all_by_label("Remove").last().expect("the dialog's").click();
    frames(&mut h, 2);
    assert_eq!(app(&h).definitions().defs().len(), 1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Z);
    frames(&mut h, 2);
    let names: Vec<&str> = app(&h).definitions().defs().iter().map(|d| d.name()).collect();
    assert_eq!(names, ["keep", "gone"], "back in its place");
}

#[test]
fn the_log_copies_a_line_from_its_right_click_menu() {
    let s = session(vec![task("say", "echo copy-me")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "the line", |h| shows(h, "copy-me"));
    h.get_by_label("copy-me").click_secondary();
    frames(&mut h, 3);
    h.get_by_label("Copy text only").click();
    h.step();
    assert_eq!(copied(&h).as_deref(), Some("copy-me"));
    h.get_by_label("copy-me").click_secondary();
    frames(&mut h, 3);
    h.get_by_label("Copy line").click();
    h.step();
    let line = copied(&h).expect("the line");
    assert!(line.ends_with(" say stdout: copy-me"), "{line}");
    let time = line.split(' ').next().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(time).is_ok(),
        "full ISO-8601 time: {time}"
    );
}

#[test]
fn a_line_sent_from_the_details_pane_reaches_stdin() {
    let mut t = task("echoer", "cat");
    t.stdin = true;
    let mut h = harness_sized(session(vec![t]), true, [1920.0, 1080.0]);
    wait_until(&mut h, "running", |h| shows(h, "\u{25cf} running"));
    select_row(&mut h, "echoer");
    wait_until(&mut h, "the stdin field", |h| shows(h, "Send to stdin"));
    set_text(&mut h, "Send to stdin", "through-the-pipe");
    h.get_by_label("Send").click();
    wait_until(&mut h, "echoed", |h| {
        app(h)
            .log()
            .shown()
            .any(|e| e.text() == "through-the-pipe" && e.kind.name() == "stdout")
    });
    h.get_by_label("Kill").click();
    wait_until(&mut h, "stopped", |h| shows(h, "\u{25cf} stopped"));
}

#[test]
fn a_pty_task_has_a_terminal_of_a_size_and_python_output_arrives_at_once() {
    let mut tty = task("tty", "sh -c 'test -t 1 && echo is-a-tty; stty size; sleep 30'");
    tty.pty = true;
    let py = task(
        "py",
        "python3 -c \"print('early-line'); import time; time.sleep(30)\"",
    );
    let mut h = harness(session(vec![tty, py]), true);
    wait_until(&mut h, "the terminal", |h| shows(h, "is-a-tty"));
    wait_until(&mut h, "its size", |h| shows(h, "50 200"));
    // Printed before a long sleep, without a flush: it arrives while the
    // child still runs (PYTHONUNBUFFERED=1).
    wait_until(&mut h, "python's line", |h| shows(h, "early-line"));
    assert!(app(&h).model().row("py").is_some_and(|r| r.state.is_alive()));
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    frames(&mut h, 2);
    h.key_press(egui::Key::Delete);
    wait_until(&mut h, "both stopped", |h| {
        app(h).model().processes.iter().all(|r| !r.state.is_alive())
    });
}

#[test]
fn an_edited_running_task_says_so_and_restarts_with_the_new_command() {
    let s = session(vec![task("w", "sh -c 'echo v1; sleep 30'")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "v1", |h| shows(h, "v1"));
    set_text(&mut h, "Command", "sh -c 'echo v2; sleep 30'");
    frames(&mut h, 2);
    assert!(shows_containing(&h, "its running copy uses the old definition"));
    h.get_by_label("Restart running copies").click();
    wait_until(&mut h, "v2", |h| shows(h, "v2"));
    frames(&mut h, 2);
    assert!(!shows_containing(&h, "uses the old definition"));
    select_row(&mut h, "w");
    h.get_by_label("Kill").click();
    wait_until(&mut h, "stopped", |h| shows(h, "\u{25cf} stopped"));
}

#[test]
fn an_export_without_colour_codes_has_none() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = session(vec![task("painter", "printf '\\033[31mred-text\\033[0m\\n'")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "the line", |h| shows(h, "red-text"));
    for (plain, name) in [(true, "plain.csv"), (false, "raw.csv")] {
        let path = dir.path().join(name);
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
        wait_until(&mut h, "the export dialog", |h| shows(h, "Export to"));
        h.get_by_label("CSV").click();
        frames(&mut h, 2);
        let checked = h.get_by_label("Without colour codes").accesskit_node().toggled()
            == Some(egui::accesskit::Toggled::True);
        if checked != plain {
            h.get_by_label("Without colour codes").click();
            frames(&mut h, 2);
        }
        set_text(&mut h, "Export to", &path.display().to_string());
        h.get_by_label("Export").click();
        wait_until(&mut h, "the export ends", |h| {
            !shows(h, "Export to")
                && !app(h).exporting()
                && app(h)
                    .notice()
                    .is_some_and(|n| n.error || n.text.starts_with("exported"))
        });
        let text = std::fs::read_to_string(&path).expect("the export");
        assert!(text.contains("red-text"), "{text}");
        assert_eq!(text.contains('\u{1b}'), !plain, "{name}: {text}");
    }
}

#[test]
fn names_sort_naturally_columns_can_be_hidden_and_the_show_list_searches() {
    let mut tasks = Vec::new();
    for n in ["many-139", "many-14", "many-2"] {
        tasks.push(task(n, "true"));
    }
    for i in 0..8 {
        tasks.push(task(&format!("other-{i}"), "true"));
    }
    let mut h = harness(session(tasks), true);
    wait_until(&mut h, "all ended", |h| {
        app(h).model().processes.len() == 11 && app(h).model().processes.iter().all(|r| r.state.is_ended())
    });
    // Sorted by Name: many-2, many-14, many-139 (not many-139 before many-14).
    h.query_all_by_label("Name").last().expect("the header").click();
    frames(&mut h, 3);
    let y =
        |h: &Harness<'_, TestApp>, name: &str| h.query_all_by_label(name).last().expect(name).rect().min.y;
    assert!(y(&h, "many-2") < y(&h, "many-14") && y(&h, "many-14") < y(&h, "many-139"));
    // The column chooser hides PID.
    assert!(shows(&h, "PID"));
    h.get_by_label("Columns").click();
    frames(&mut h, 3);
    h.get_by_role_and_label(egui::accesskit::Role::CheckBox, "PID")
        .click();
    frames(&mut h, 2);
    h.key_press(egui::Key::Escape);
    frames(&mut h, 3);
    assert!(!shows(&h, "PID"), "PID hidden");
    // The Show list has a search box with this many processes.
    h.get_by_label("Show").click();
    frames(&mut h, 3);
    let count = |h: &Harness<'_, TestApp>, n: &str| h.query_all_by_label(n).count();
    let (other, many) = (count(&h, "other-3"), count(&h, "many-14"));
    set_text(&mut h, "Find a process", "many-1");
    frames(&mut h, 2);
    assert_eq!(count(&h, "many-14"), many, "still in the list");
    assert_eq!(count(&h, "other-3"), other - 1, "no longer in the list");
    // Plurals: a count of one is singular.
    assert!(shows_containing(&h, "11 processes"));
}
