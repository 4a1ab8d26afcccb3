//! A journal with `samples` records (tests/golden/v2-samples.jsonl, written
//! by `proctor run`) still loads and draws: CPU and memory series of the
//! processes it sampled, the pool's inputs on their workers, the speedup,
//! and the SVG of it. The kind round-trips through every export format.

use proctor::event::EventKind;
use proctor::journal::export::{export_events, Format};
use proctor::journal::read_journal;
use proctor::model::SessionModel;
use proctor::pictures::speedup::speedup;
use std::path::Path;

fn load() -> Vec<proctor::event::Event> {
    load_file("v2-samples.jsonl")
}

fn load_file(name: &str) -> Vec<proctor::event::Event> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    let (events, bad) = read_journal(&path).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    events
}

#[test]
fn the_samples_journal_folds_into_the_pictures() {
    let events = load();
    let samples = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Samples { .. }))
        .count();
    assert_eq!(samples, 2);
    let mut m = SessionModel::default();
    for e in &events {
        m.apply(e);
    }
    let p = &m.pictures;
    let spinner = p.proc("spinner").expect("the task's lane");
    assert_eq!(spinner.series.len(), 2);
    assert!(spinner.series.points().all(|s| s.cpu > 50.0 && s.rss_kb > 1000));
    assert_eq!(
        spinner.peak_rss_kb, 1660,
        "the exit's peak (VmHWM), above the samples' 1552"
    );
    assert!(spinner.cpu_seconds() > 1.0, "{}", spinner.cpu_seconds());
    let pool = p.pool("naps").expect("the pool");
    assert_eq!(pool.lanes.len(), 2);
    assert_eq!(pool.inputs().count(), 4);
    let x = speedup(pool, p.last);
    assert!(x.speedup > 1.3 && x.speedup < 2.0, "{x:?}");
    assert_eq!(x.stragglers.iter().map(|s| s.0).collect::<Vec<_>>(), [2]);
}

#[test]
fn the_samples_journal_exports_and_draws() {
    let events = load();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("out.csv");
    export_events(&csv, Format::Csv, &events).unwrap();
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(
        text.contains(",samples,") && text.contains("2 processes sampled"),
        "{text}"
    );
    let jsonl = dir.path().join("out.jsonl");
    export_events(&jsonl, Format::JsonLines, &events).unwrap();
    assert_eq!(read_journal(&jsonl).unwrap().0, events, "lossless");
    let svg = proctor::cli::picture::svg_of_events(&events);
    assert_eq!(svg.matches("class=\"bar input\"").count(), 4);
    assert_eq!(svg.matches("(straggler)").count(), 1);
    assert!(svg.contains("spinner") && svg.contains("Memory by task"));
}

#[test]
fn a_journal_with_trees_draws_the_whole_tree_and_keeps_the_leader_apart() {
    let events = load_file("v2-trees.jsonl");
    let mut m = SessionModel::default();
    for e in &events {
        m.apply(e);
    }
    let lane = m.pictures.proc("family").expect("the task's lane");
    assert!(!lane.series.is_empty());
    for p in lane.series.points() {
        assert_eq!(p.procs, 3, "{p:?}");
        assert!(p.rss_kb > p.own_rss_kb, "{p:?}");
    }
    assert!(lane.peak_rss_kb > lane.own_peak_rss_kb);
    // Written back, the records are the same.
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("out.jsonl");
    export_events(&jsonl, Format::JsonLines, &events).unwrap();
    assert_eq!(read_journal(&jsonl).unwrap().0, events, "lossless");
    let text = std::fs::read_to_string(&jsonl).unwrap();
    assert!(text.contains("\"trees\":[["), "{text}");
}
