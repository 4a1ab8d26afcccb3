//! Saving the definitions as a session file and exporting the log and the
//! process table, through the File menu and the path prompt.

mod gui_support;

use egui_kittest::kittest::Queryable;
use gui_support::*;
use proctor::engine::spec::parse_session_file;

fn through_prompt(h: &mut egui_kittest::Harness<'_, TestApp>, path: &std::path::Path, verb: &str) {
    wait_until(h, "the path prompt", |h| shows(h, "Path"));
    frames(h, 2);
    set_text(h, "Path", &path.display().to_string());
    h.get_by_label(verb).click();
    wait_until(h, "the prompt closes", |h| !shows(h, "Path"));
}

#[test]
fn save_the_session_and_export_the_log_and_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = session(vec![task("hello", "sh -c 'echo saved-and-exported'")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "the output line", |h| shows(h, "saved-and-exported"));
    wait_until(&mut h, "the exit", |h| shows(h, "\u{25cf} exited"));

    let session_path = dir.path().join("mine.toml");
    h.get_by_label("File").click();
    frames(&mut h, 2);
    h.get_by_label("Save session as\u{2026}").click();
    through_prompt(&mut h, &session_path, "Save");
    let back = parse_session_file(&session_path).expect("the saved file parses");
    assert_eq!(back.tasks.len(), 1);
    assert_eq!(back.tasks[0].name, "hello");
    assert!(shows_containing(&h, "saved "));

    let csv = dir.path().join("log.csv");
    h.get_by_label("File").click();
    frames(&mut h, 2);
    h.get_by_label("Export event log").click();
    frames(&mut h, 2);
    h.get_by_label("CSV\u{2026}").click();
    through_prompt(&mut h, &csv, "Save");
    let text = std::fs::read_to_string(&csv).expect("the export exists");
    assert!(text.starts_with("seq,time,kind,process"));
    assert!(text.contains("saved-and-exported"));

    let table = dir.path().join("table.csv");
    h.get_by_label("File").click();
    frames(&mut h, 2);
    h.get_by_label("Export process table as CSV\u{2026}").click();
    through_prompt(&mut h, &table, "Save");
    let text = std::fs::read_to_string(&table).expect("the table exists");
    assert!(
        text.lines().nth(1).is_some_and(|l| l.starts_with("hello,")),
        "{text}"
    );
}
