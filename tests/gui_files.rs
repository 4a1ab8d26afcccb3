//! Sessions as files and exports, through the File menu, the path prompt
//! and the export dialog of the real app, checked on disk.

mod gui_support;

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use gui_support::*;
use proctor::event::EventKind;
use proctor::gui::{AppDirs, Settings};
use proctor::session::{parse_session_file, Session};
use std::path::Path;

fn through_prompt(h: &mut Harness<'_, TestApp>, path: &Path, verb: &str) {
    wait_until(h, "the path prompt", |h| shows(h, "Path"));
    frames(h, 2);
    set_text(h, "Path", &path.display().to_string());
    h.get_by_label(verb).click();
    wait_until(h, "the prompt closes", |h| !shows(h, "Path"));
}

fn file_menu(h: &mut Harness<'_, TestApp>, item: &str) {
    h.get_by_label("File").click();
    frames(h, 2);
    // Items with a shortcut are labelled with it ("New session Ctrl+N").
    match h.query_by_label(item) {
        Some(n) => n.click(),
        None => h.get_by_label_contains(item).click(),
    }
    frames(h, 2);
}

/// Ctrl+E, pick the format and scope, type the path, Export; waits for the
/// status bar to say how it went.
fn export_log(h: &mut Harness<'_, TestApp>, path: &Path, format: &str, filtered: bool) {
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    wait_until(h, "the export dialog", |h| shows(h, "Export to"));
    h.get_by_label(format).click();
    frames(h, 2);
    if filtered {
        h.get_by_label("Only what the filter shows").click();
        frames(h, 2);
    }
    set_text(h, "Export to", &path.display().to_string());
    h.get_by_label("Export").click();
    wait_until(h, "the export ends", |h| {
        !shows(h, "Export to")
            && !app(h).exporting()
            && app(h)
                .notice()
                .is_some_and(|n| n.error || n.text.starts_with("exported"))
    });
}

#[test]
fn save_the_session_and_export_the_log_and_table() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = session(vec![task("hello", "sh -c 'echo saved-and-exported'")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "the output line", |h| shows(h, "saved-and-exported"));
    wait_until(&mut h, "the exit", |h| shows(h, "\u{25cf} exited"));

    let session_path = dir.path().join("mine.toml");
    file_menu(&mut h, "Save session as\u{2026}");
    through_prompt(&mut h, &session_path, "Save");
    let back = parse_session_file(&session_path).expect("the saved file parses");
    assert_eq!(back.tasks.len(), 1);
    assert_eq!(back.tasks[0].name, "hello");
    assert!(shows_containing(&h, "saved "));

    let csv = dir.path().join("log.csv");
    export_log(&mut h, &csv, "CSV", false);
    let text = std::fs::read_to_string(&csv).expect("the export exists");
    assert!(text.starts_with("seq,time,kind,process"));
    assert!(text.contains("saved-and-exported"));
    assert!(shows_containing(&h, "exported "), "the status bar says so");

    let table = dir.path().join("table.csv");
    file_menu(&mut h, "Export process table as CSV\u{2026}");
    through_prompt(&mut h, &table, "Save");
    wait_until(&mut h, "the table file", |h| {
        !app(h).exporting() && table.exists()
    });
    let text = std::fs::read_to_string(&table).expect("the table exists");
    assert!(
        text.lines().nth(1).is_some_and(|l| l.starts_with("hello,")),
        "{text}"
    );
}

#[test]
fn an_export_holds_every_line_even_beyond_the_display_window() {
    let root = tempfile::tempdir().expect("tempdir");
    let dirs = AppDirs::under(root.path());
    // The smallest window the settings allow: 1,000 events.
    let settings = Settings {
        log_window: 1_000,
        ..Default::default()
    };
    std::fs::create_dir_all(&dirs.config).expect("config dir");
    std::fs::write(dirs.settings_file(), settings.to_toml()).expect("settings");
    let lines = 5_000;
    let s = session(vec![
        task("many", &format!("sh -c 'seq 1 {lines} | sed s/^/line-/'")),
        task("quoting", r#"sh -c 'echo "a,\"b\" c"'"#),
    ]);
    let mut h = harness_in(dirs.clone(), Some(s), true);
    wait_until(&mut h, "both exit", |h| {
        let m = app(h).model();
        ["many", "quoting"]
            .iter()
            .all(|n| m.row(n).is_some_and(|r| r.state.is_ended()))
    });
    assert_eq!(app(&h).log().len(), 1_000, "the window is bounded");
    let journal = app(&h).journal_path().expect("a journal").to_path_buf();
    assert!(journal.starts_with(&dirs.journals));

    let out = root.path().join("all.jsonl");
    export_log(&mut h, &out, "JSON Lines", false);
    let text = std::fs::read_to_string(&out).expect("the export");
    // Lines read together are one record (`line` joined by newlines).
    let mut got = Vec::new();
    for l in text.lines() {
        let e = proctor::event::parse_json_line(l).expect("each line parses");
        if e.process.as_deref() == Some("many") {
            e.for_each_line(|e| {
                if let proctor::event::EventKind::Stdout { line, .. } = e.kind {
                    got.push(line);
                }
            });
        }
    }
    let want: Vec<String> = (1..=lines).map(|i| format!("line-{i}")).collect();
    let first_diff = got.iter().zip(&want).position(|(a, b)| a != b);
    assert!(
        got == want,
        "every line in the export, once, in order: {} lines for {}, first difference at {first_diff:?}",
        got.len(),
        want.len()
    );
    // Nothing twice: as many events as seqs, each seq once.
    let seqs: Vec<u64> = text
        .lines()
        .map(|l| proctor::event::parse_json_line(l).expect("each line parses").seq)
        .collect();
    // In order; lines read together share their event's seq.
    assert!(seqs.windows(2).all(|w| w[0] <= w[1]), "in order");
    assert!(seqs.len() > 2);

    // CSV quoting, of only what the filter shows: the process `quoting`.
    h.state_mut()
        .app
        .as_mut()
        .expect("app")
        .apply(proctor::gui::Intent::ShowInLog("quoting".into()));
    frames(&mut h, 2);
    let csv = root.path().join("quoting.csv");
    export_log(&mut h, &csv, "CSV", true);
    let text = std::fs::read_to_string(&csv).expect("the csv");
    assert!(text.contains(r#""a,""b"" c""#), "{text}");
    assert!(!text.contains("line-1"), "only the filtered process: {text}");
    let (events, _) = proctor::journal::read_journal(&journal).expect("journal");
    let stdout: usize = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Stdout { .. }))
        .map(|e| e.output_lines())
        .sum();
    assert_eq!(stdout, lines + 1, "the journal has every line too");
}

#[test]
fn an_unwritable_export_path_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = session(vec![task("hi", "sh -c 'echo hi'")]);
    let mut h = harness(s, true);
    wait_until(&mut h, "the exit", |h| shows(h, "\u{25cf} exited"));

    let missing = dir.path().join("no-such-folder").join("out.jsonl");
    export_log(&mut h, &missing, "JSON Lines", false);
    let n = app(&h).notice().expect("a notice").clone();
    assert!(n.error, "{n:?}");
    assert!(
        n.text.contains("could not write") && n.text.contains("no-such-folder"),
        "{n:?}"
    );
    assert!(shows_containing(&h, "could not write"));
    // That an earlier file survives a failed write is tested on the atomic
    // file itself (`export::tests`): temp names cannot be guessed here to
    // block one.
}

#[test]
fn open_edit_save_and_reopen_a_session_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("work.toml");
    std::fs::write(&file, "[[task]]\nname = \"first\"\nrun = \"echo one\"\n").expect("session file");
    let mut h = harness(Session::default(), false);

    file_menu(&mut h, "Open session\u{2026}");
    through_prompt(&mut h, &file, "Open");
    wait_until(&mut h, "the definition", |h| shows(h, "first"));
    assert_eq!(app(&h).definitions().path.as_deref(), Some(file.as_path()));

    // Edit the command, then Ctrl+S saves to the same file.
    set_text(&mut h, "Command", "echo edited");
    frames(&mut h, 2);
    assert!(app(&h).definitions().dirty);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    wait_until(&mut h, "saved", |h| !app(h).definitions().dirty);
    let back = parse_session_file(&file).expect("parses");
    assert_eq!(back.tasks[0].run.display(), "echo edited");

    // Another edit, then New: the app asks before losing it.
    set_text(&mut h, "Command", "echo unsaved");
    frames(&mut h, 2);
    file_menu(&mut h, "New session");
    wait_until(&mut h, "the unsaved prompt", |h| shows(h, "Unsaved definitions"));
    h.get_by_label("Cancel").click();
    frames(&mut h, 3);
    assert!(shows(&h, "first"), "cancel keeps the definitions");
    file_menu(&mut h, "New session");
    wait_until(&mut h, "the unsaved prompt", |h| shows(h, "Discard changes"));
    h.get_by_label("Discard changes").click();
    wait_until(&mut h, "no definitions", |h| {
        app(h).definitions().defs().is_empty()
    });

    // Reopen from the recent list: the saved edit is there, not the discarded one.
    h.get_by_label("File").click();
    frames(&mut h, 2);
    h.get_by_label("Open recent").hover();
    frames(&mut h, 3);
    h.get_by_label("work.toml").click();
    wait_until(&mut h, "reopened", |h| shows(h, "first"));
    let run = app(&h).definitions().session().expect("valid").tasks[0]
        .run
        .display();
    assert_eq!(run, "echo edited");
    let recent = &app(&h).settings().recent;
    assert_eq!(recent.first().and_then(|p| p.file_name()), file.file_name());
}

/// A file as the windowing backend hands over a dropped one.
#[derive(Debug)]
struct Dropped(std::path::PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_session_file_dropped_on_the_window_opens() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("dropped.toml");
    std::fs::write(&file, "[[task]]\nname = \"from-a-drop\"\nrun = \"true\"\n").expect("file");
    let mut h = harness(Session::default(), false);
    frames(&mut h, 2);
    h.input_mut()
        .dropped_files
        .push(std::sync::Arc::new(Dropped(file.clone())));
    wait_until(&mut h, "the dropped session", |h| shows(h, "from-a-drop"));
    assert_eq!(app(&h).definitions().path.as_deref(), Some(file.as_path()));
    assert!(shows_containing(&h, "opened "));
}
