//! The `samples` records add up each process's whole tree, the
//! descendants that left its session included, on both tracking paths
//! (the run's cgroup, and the fallback by parent link and tag).

mod common;
use common::*;
use proctor::engine::{Command, Engine, EngineConfig, StopHow};
use proctor::event::EventKind;
use proctor::session::{RunSpec, TaskSpec};

fn tree_is_summed(cgroups: bool) {
    let mut run = Run {
        engine: Engine::start(EngineConfig {
            cgroups,
            ..Default::default()
        })
        .expect("engine starts"),
        events: Vec::new(),
    };
    if cgroups && run.engine.cgroup().is_err() {
        eprintln!("skipped: no usable cgroup v2 subtree");
        return;
    }
    // Two children holding 20 MB each; one leaves the session.
    let hold = "python3 -c \"import time; b = bytes(range(256)) * ((20 << 20) // 256); time.sleep(60)\"";
    run.start(TaskSpec::new(
        "family",
        RunSpec::Args(vec![
            "sh".into(),
            "-c".into(),
            format!("{hold} & setsid {hold} & wait"),
        ]),
    ));
    let leader = run
        .wait_event("the spawn", |e| e.kind.name() == "spawned")
        .pid
        .unwrap();
    let e = run.wait_event("a sample of the whole tree", |e| match &e.kind {
        EventKind::Samples { trees, .. } => trees
            .iter()
            .any(|t| t.0 == leader && t.3 == 3 && t.2 >= 40 * 1024),
        _ => false,
    });
    let EventKind::Samples { procs, trees } = &e.kind else {
        unreachable!()
    };
    let own = procs.iter().find(|p| p.0 == leader).expect("the leader's own");
    let tree = trees.iter().find(|t| t.0 == leader).unwrap();
    assert!(own.2 < tree.2, "{own:?} {tree:?}");
    assert!(procs.iter().all(|p| p.0 == leader), "one record per leader");
    // The record round-trips through JSON, and without trees reads as before.
    let line = serde_json::to_string(&e).unwrap();
    assert!(line.contains("\"trees\":[["), "{line}");
    assert_eq!(proctor::event::parse_json_line(&line).unwrap().kind, e.kind);
    run.send(Command::Stop {
        process: "family".into(),
        how: StopHow::Kill,
    });
    run.wait_exit("family");
}

#[test]
fn the_tree_is_summed_on_the_cgroup_path() {
    tree_is_summed(true);
}

#[test]
fn the_tree_is_summed_on_the_fallback_path() {
    tree_is_summed(false);
}

#[test]
fn a_process_alone_has_no_tree_record() {
    let mut run = Run::new();
    run.start(TaskSpec::new(
        "alone",
        RunSpec::Args(vec!["sleep".into(), "30".into()]),
    ));
    let e = run.wait_event("a sample", |e| e.kind.name() == "samples");
    let line = serde_json::to_string(&e).unwrap();
    assert!(!line.contains("trees"), "compact: {line}");
    run.send(Command::Stop {
        process: "alone".into(),
        how: StopHow::Kill,
    });
    run.wait_exit("alone");
}
