//! Persistent pools on Slurm when they are stopped (the fourth round's
//! findings 1 and 3), on the one-node test cluster of tests/remote/slurm.sh.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::engine::{Command, PoolAction};
use proctor::event::EventKind;
use proctor::session::{Placement, PoolMode, SlurmSpec};
use support::*;

fn slurm(partition: &str) -> Placement {
    Placement::Slurm(SlurmSpec {
        partition: Some(partition.into()),
        time: Some("00:05:00".into()),
        ..Default::default()
    })
}

fn terminate(run: &Run, pool: &str) {
    run.send(Command::Pool {
        pool: pool.into(),
        action: PoolAction::Terminate,
    });
}

/// A persistent worker whose step runs gets its stop signal, once (its
/// TERM trap runs, its own exit code comes back). Before, its `srun` got
/// the signal, which had Slurm kill the whole step at once: 137, no trap;
/// and then the whole job got it too.
#[test]
fn a_persistent_slurm_worker_is_stopped_by_its_stop_signal() {
    let Some(_slurm) = Slurm::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut p = pool(
        "pt",
        1,
        &[
            "sh",
            "-c",
            "n=0; trap 'n=$((n+1)); echo got-term$n >&2; sleep 1; exit 3' TERM; read x; echo up; while :; do sleep 0.1; done",
        ],
        vec!["a".into(), "b".into()],
    );
    p.mode = PoolMode::Persistent;
    p.placement = slurm("debug");
    p.stop.timeout = proctor::session::Seconds::from_millis(20_000);
    run.send(Command::StartPool { pool: p });
    // Its answer to "a" ("up"); it never answers "b".
    run.wait_event("the worker up", |e| {
        e.input == Some(0) && e.kind.name() == "task_done"
    });
    terminate(&run, "pt");
    run.wait_event("pool pt done", |e| {
        e.pool.as_deref() == Some("pt") && e.kind.name() == "pool_done"
    });
    let dump = run.dump();
    assert!(
        run.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Stderr { line, .. } if line == "got-term1")),
        "its trap ran\n{dump}"
    );
    // Once: not also from the pool's signal to the whole job.
    assert!(
        !run.events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Stderr { line, .. } if line == "got-term2")),
        "one stop signal\n{dump}"
    );
    let exits: Vec<i32> = run
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Exited { exit_code, .. } if e.pool.as_deref() == Some("pt") => Some(exit_code),
            _ => None,
        })
        .collect();
    assert_eq!(exits, [3], "{dump}");
    run.finish();
}

/// A persistent pool's inputs whose steps still wait in Slurm when the
/// pool is stopped were cancelled before they started: no time, no busy
/// time (before: "cancelled after 4.98s", and the wait counted as work).
#[test]
fn a_pending_persistent_slurm_pool_stopped_ran_nothing() {
    let Some(_slurm) = Slurm::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut p = pool(
        "pq",
        2,
        &["sh", "-c", "while read x; do echo \"$x\"; done"],
        vec!["a".into(), "b".into(), "c".into()],
    );
    p.mode = PoolMode::Persistent;
    p.placement = slurm("closed");
    run.send(Command::StartPool { pool: p });
    run.wait_event("a step pending", |e| {
        e.pool.as_deref() == Some("pq")
            && matches!(
                &e.kind,
                EventKind::SlurmState {
                    state: proctor::event::slurm::SlurmState::Pending { .. },
                    ..
                }
            )
    });
    terminate(&run, "pq");
    run.wait_event("pool pq done", |e| {
        e.pool.as_deref() == Some("pq") && e.kind.name() == "pool_done"
    });
    let dump = run.dump();
    let cancelled: Vec<(Option<f64>, String)> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TaskCancelled { duration, .. } => Some((*duration, e.text())),
            _ => None,
        })
        .collect();
    assert_eq!(cancelled.len(), 3, "{cancelled:?}\n{dump}");
    for c in &cancelled {
        assert_eq!(c.0, None, "{cancelled:?}\n{dump}");
        assert!(c.1.contains("before it started"), "{cancelled:?}");
    }
    let m = run.model();
    let speed = proctor::pictures::speedup::speedup(&m.pictures.pools[0], m.pictures.last);
    assert_eq!(speed.sum, 0.0, "no busy time: {speed:?}");
    run.finish();
}
