//! Journals written by earlier versions of Proctor (tests/golden/) still
//! load, fold into the tables, export to every format and open as a past
//! session in History. See tests/golden/README.md; docs/journal.md has the
//! format versions.

use proctor::event::Event;
use proctor::gui::PastSession;
use proctor::journal::export::{export_events, Format};
use proctor::journal::{list_journals, read_journal};
use proctor::model::{InputStatus, RowState, SessionModel};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Every journal and JSON Lines export kept as a golden file.
fn golden_journals() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(golden(""))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    v.sort();
    assert!(v.len() >= 2, "{v:?}");
    v
}

/// The kinds in a JSON Lines file, counted from its raw text, not through
/// the reader under test.
fn raw_kinds(path: &Path) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        *m.entry(v["kind"].as_str().unwrap().to_string()).or_default() += 1;
    }
    m
}

fn kinds(events: &[Event]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in events {
        *m.entry(e.kind.name().to_string()).or_default() += 1;
    }
    m
}

fn load(path: &Path) -> Vec<Event> {
    let (events, errors) = read_journal(path).unwrap();
    assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    events
}

/// The kinds format 1 had, every one of them in `v1-every-kind.jsonl`.
const FORMAT_1_KINDS: [&str; 18] = [
    "session_started",
    "spawned",
    "spawn_failed",
    "stdout",
    "stderr",
    "signal_sent",
    "exited",
    "restarting",
    "task_queued",
    "task_started",
    "task_done",
    "task_failed",
    "task_cancelled",
    "pool_state",
    "pool_done",
    "leftover",
    "error",
    "session_ended",
];

#[test]
fn every_golden_journal_loads_every_line_as_the_kind_it_was_written_as() {
    for path in golden_journals() {
        let events = load(&path);
        assert_eq!(kinds(&events), raw_kinds(&path), "{}", path.display());
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>());
    }
    let all = raw_kinds(&golden("v1-every-kind.jsonl"));
    for k in FORMAT_1_KINDS {
        assert!(all.contains_key(k), "the golden journal lacks `{k}`");
    }
}

#[test]
fn the_golden_journal_folds_into_the_tables_the_session_showed() {
    let mut model = SessionModel::default();
    for e in load(&golden("v1-every-kind.jsonl")) {
        model.apply(&e);
    }
    assert!(model.session_ended);
    assert_eq!(model.events_seen, 47);
    let hello = model.row("hello").expect("hello");
    assert_eq!(
        (hello.exit_code, hello.restarts, &hello.state),
        (Some(3), 1, &RowState::Exited)
    );
    assert!(hello.usage.is_some_and(|u| u.peak_rss_kb.is_some_and(|k| k > 0)));
    assert!(matches!(
        model.row("missing").unwrap().state,
        RowState::FailedToStart { .. }
    ));
    assert_eq!(model.row("escaper").unwrap().exit_code, Some(-15));
    assert!(model.leftovers.is_empty(), "the leftover was killed");
    let pool = model.pool("squares").expect("pool");
    let totals = pool.finished.expect("pool_done");
    assert_eq!(
        (totals.inputs, totals.done, totals.failed, totals.cancelled),
        (6, 2, 1, 3)
    );
    let p = pool.progress();
    assert_eq!((p.total, p.done, p.failed, p.cancelled), (6, 2, 1, 3));
    assert_eq!(pool.inputs[1].result.as_deref(), Some("4"));
    assert_eq!(pool.inputs[5].status, InputStatus::Done);
    assert!(!pool.paused);
}

/// Fields format 1 wrote that only repeat what other fields say.
const DERIVED_IN_FORMAT_1: [(&str, &[&str]); 3] = [
    ("exited", &["message"]),
    ("pool_state", &["message"]),
    ("pool_done", &["message", "speedup"]),
];

/// One CSV record per line (the golden file has no quoted newlines).
fn csv_rows(text: &str) -> Vec<String> {
    text.lines().map(str::to_string).collect()
}

#[test]
fn the_golden_journal_exports_to_every_format_as_it_did() {
    let events = load(&golden("v1-every-kind.jsonl"));
    let dir = tempfile::tempdir().unwrap();
    for format in Format::ALL {
        let out = dir.path().join(format!("out.{}", format.extension()));
        export_events(&out, format, &events).unwrap();
        let got = std::fs::read_to_string(&out).unwrap();
        let want =
            std::fs::read_to_string(golden(&format!("v1-every-kind.export.{}", format.extension()))).unwrap();
        match format {
            Format::Text => assert_eq!(got, want),
            Format::Csv => {
                // Written again when `input` became the input's value
                // (`input_index` the index) and `runtime_seconds` came.
                let (got, want) = (csv_rows(&got), csv_rows(&want));
                assert_eq!(got.len(), events.len() + 1);
                assert_eq!(got, want);
            }
            Format::JsonLines => {
                assert_eq!(got.lines().count(), events.len());
                // Lossless: read back, the same events.
                assert_eq!(load(&out), events);
                for (g, w) in got.lines().zip(want.lines()) {
                    let g: Value = serde_json::from_str(g).unwrap();
                    let mut w: Value = serde_json::from_str(w).unwrap();
                    // Format 1 also wrote text derived from the other
                    // fields; format 2 does not (docs/journal.md).
                    let derived = DERIVED_IN_FORMAT_1
                        .iter()
                        .find(|(kind, _)| w["kind"] == *kind)
                        .map_or(&[][..], |(_, keys)| keys);
                    for key in derived {
                        w.as_object_mut().unwrap().remove(*key);
                    }
                    assert_eq!(g, w);
                }
            }
        }
    }
}

#[test]
fn the_golden_journal_is_listed_and_opened_in_history() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("2026-11-26T13-18-22.164-25510.jsonl");
    std::fs::copy(golden("v1-every-kind.jsonl"), &path).unwrap();
    let list = list_journals(dir.path());
    assert_eq!(list.len(), 1);
    let s = &list[0];
    assert_eq!(s.path, path);
    assert_eq!(s.events, 47);
    assert_eq!(s.processes, 6, "six spawned");
    // spawn_failed, task_failed (no retry), hello's last exit, escaper's exit.
    assert_eq!(s.failures, 4);
    assert_eq!(s.names, vec!["escaper", "hello", "squares"]);
    assert_eq!(s.started.as_deref(), Some("2026-11-26 13:18:22"));

    let past = PastSession::load(&path, 10_000).unwrap();
    assert!(past.problems.is_empty(), "{:?}", past.problems);
    assert_eq!(past.log.len(), 47);
    assert_eq!(past.last_seq, 47);
    assert_eq!(
        past.model.processes.len(),
        4,
        "hello, missing, escaper, squares/worker-1"
    );
    assert_eq!(past.model.pools.len(), 1);
    assert_eq!(past.started.as_deref(), Some("2026-11-26 13:18:22"));
}
