//! Past sessions: a session's journal, listed in the History view of the
//! next app, opened read-only, exported, and left; and the definitions
//! autosaved by one app and restored by the next.

mod gui_support;

use egui_kittest::kittest::{NodeT, Queryable};
use gui_support::*;
use proctor::gui::AppDirs;

#[test]
fn a_past_session_is_listed_opened_read_only_exported_and_left() {
    let root = tempfile::tempdir().expect("tempdir");
    let dirs = AppDirs::under(root.path());
    let past_journal = {
        let s = session(vec![
            task("ancient", "sh -c 'echo from-the-past; exit 3'"),
            task("ok", "true"),
        ]);
        let mut h = harness_in(dirs.clone(), Some(s), true);
        wait_until(&mut h, "both exit", |h| {
            let m = app(h).model();
            ["ancient", "ok"]
                .iter()
                .all(|n| m.row(n).is_some_and(|r| r.state.is_ended()))
        });
        app(&h).journal_path().expect("a journal").to_path_buf()
        // Dropping the harness stops the engine, which flushes the journal.
    };
    assert!(past_journal.exists());
    // What an app killed before anything ran leaves: its start alone.
    std::fs::write(
        past_journal.with_file_name("2026-01-01T00-00-00.000-1.jsonl"),
        "{\"seq\":1,\"time\":\"2026-01-01T00:00:00.000+00:00\",\"kind\":\"session_started\",\"message\":\"m\",\"format\":2}\n",
    )
    .unwrap();
    // One that ran nothing but says something (here, what rotation
    // removed): listed.
    std::fs::write(
        past_journal.with_file_name("2026-01-02T00-00-00.000-2.jsonl"),
        "{\"seq\":1,\"time\":\"2026-01-02T00:00:00.000+00:00\",\"kind\":\"session_started\",\"message\":\"m\",\"format\":2}\n{\"seq\":2,\"time\":\"2026-01-02T00:00:00.000+00:00\",\"kind\":\"error\",\"message\":\"removed 1 older journal\"}\n",
    )
    .unwrap();

    // Older than the past session's, so that its row comes first.
    for f in [
        "2026-01-01T00-00-00.000-1.jsonl",
        "2026-01-02T00-00-00.000-2.jsonl",
    ] {
        std::fs::File::options()
            .write(true)
            .open(past_journal.with_file_name(f))
            .and_then(|f| {
                f.set_modified(
                    std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
                )
            })
            .unwrap();
    }
    let mut h = harness_in(dirs.clone(), Some(session(vec![])), false);
    frames(&mut h, 2);
    h.get_by_label("History").click();
    wait_until(&mut h, "the history list", |h| shows(h, "Past sessions"));
    wait_until(&mut h, "three journals listed", |h| {
        h.query_all_by_label("Open").count() == 3
    });
    assert!(shows_containing(&h, "(this session)"));
    assert!(
        shows(&h, "1 session in which nothing ran not listed"),
        "the killed app's journal is counted, not listed"
    );
    assert!(shows(&h, "ancient, ok"), "the tasks of the past session");
    // The live session's own row cannot be opened; the past one can.
    let open = h
        .query_all_by_label("Open")
        .find(|n| !n.accesskit_node().is_disabled())
        .expect("an enabled Open");
    open.click();
    wait_until(&mut h, "the past session shown", |h| {
        shows(h, "Back to live session")
    });
    assert!(shows(&h, "PAST SESSION (read-only)"));
    wait_until(&mut h, "its output in the log", |h| shows(h, "from-the-past"));
    let past = app(&h).past().expect("past");
    assert_eq!(past.path, past_journal);
    assert_eq!(past.model.row("ancient").and_then(|r| r.exit_code), Some(3));
    // Read-only: no Terminate / Kill toolbar, no definitions panel.
    assert!(!shows(&h, "Terminate all"));
    assert!(!shows(&h, "+ Task"));

    // Export it like a live one.
    let out = root.path().join("past.txt");
    h.get_by_label("Export log\u{2026}").click();
    wait_until(&mut h, "the export dialog", |h| shows(h, "Export to"));
    // "Text" is also the log's column header: the radio button is meant.
    h.query_all_by_label("Text")
        .find(|n| n.accesskit_node().role() == egui::accesskit::Role::RadioButton)
        .expect("the Text format")
        .click();
    set_text(&mut h, "Export to", &out.display().to_string());
    h.get_by_label("Export").click();
    wait_until(&mut h, "exported", |h| {
        app(h).notice().is_some_and(|n| n.text.starts_with("exported"))
    });
    let text = std::fs::read_to_string(&out).expect("the export");
    assert!(text.contains("from-the-past"), "{text}");
    assert!(text.contains("ancient") && text.contains("exited"), "{text}");

    h.get_by_label("Back to live session").click();
    wait_until(&mut h, "live again", |h| !shows(h, "Back to live session"));
    assert!(app(&h).past().is_none());
    assert!(shows(&h, "+ Task"));
}

#[test]
fn definitions_are_autosaved_and_come_back_on_the_next_start() {
    let root = tempfile::tempdir().expect("tempdir");
    let dirs = AppDirs::under(root.path());
    {
        let mut h = harness_in(dirs.clone(), None, false);
        frames(&mut h, 2);
        h.get_by_label("+ Task").click();
        frames(&mut h, 2);
        set_text(&mut h, "Name", "remembered");
        set_text(&mut h, "Command", "sleep 1");
        wait_until(&mut h, "the autosave file", |_| {
            std::fs::read_to_string(dirs.autosave_file())
                .is_ok_and(|t| t.contains("remembered") && t.contains("sleep 1"))
        });
    }
    let mut h = harness_in(dirs.clone(), None, false);
    wait_until(&mut h, "the restored definition", |h| shows(h, "remembered"));
    let s = app(&h).definitions().session().expect("valid");
    assert_eq!(s.tasks[0].name, "remembered");
    assert!(
        app(&h).definitions().dirty,
        "never saved to a file: still unsaved"
    );
}
