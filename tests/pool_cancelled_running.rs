//! An input that was running when its pool was terminated keeps what it
//! did: its `task_cancelled` carries its time and exit code, and its
//! result row has them (the second remote hostile round's finding 7,
//! local as well: before, it read "cancelled before it started", with
//! no code and no time).

mod common;

use common::*;
use proctor::engine::{Command, PoolAction};
use proctor::event::EventKind;
use proctor::model::InputStatus;

/// (input, exit code, duration, text) of a `task_cancelled`.
type Cancelled = (Option<u64>, Option<i32>, Option<f64>, String);

#[test]
fn a_running_input_cancelled_by_terminate_keeps_its_code_and_time() {
    let mut run = Run::new();
    let p = pool(
        "t",
        1,
        &["sh", "-c", "{}"],
        vec![
            "trap 'exit 7' TERM; echo up; sleep 30 & wait".into(),
            "echo never".into(),
        ],
    );
    run.send(Command::StartPool { pool: p });
    run.wait_event(
        "the input runs",
        |e| matches!(&e.kind, EventKind::Stdout { line, .. } if line == "up"),
    );
    run.send(Command::Pool {
        pool: "t".into(),
        action: PoolAction::Terminate,
    });
    run.wait_event("pool t done", |e| {
        e.pool.as_deref() == Some("t") && e.kind.name() == "pool_done"
    });
    let cancelled: Vec<Cancelled> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::TaskCancelled { exit_code, duration } => {
                Some((e.input, *exit_code, *duration, e.text()))
            }
            _ => None,
        })
        .collect();
    let ran = cancelled.iter().find(|c| c.0 == Some(0)).expect("#0 cancelled");
    assert_eq!(ran.1, Some(7), "{cancelled:?}");
    assert!(ran.2.is_some_and(|d| d > 0.0), "{cancelled:?}");
    assert!(ran.3.contains("it exited with 7"), "{cancelled:?}");
    let never = cancelled.iter().find(|c| c.0 == Some(1)).expect("#1 cancelled");
    assert_eq!((never.1, never.2), (None, None), "{cancelled:?}");
    assert!(never.3.contains("before it started"), "{cancelled:?}");
    let m = run.model();
    let rows = &m.pool("t").unwrap().inputs;
    assert_eq!(rows[0].status, InputStatus::Cancelled);
    assert_eq!(rows[0].exit_code, Some(7));
    assert!(rows[0].duration.is_some());
    assert_eq!(rows[1].exit_code, None);
    run.finish();
}

/// A persistent worker's cancelled input is timed from when it began (the
/// answer before it), not from when it was written to the worker's pipe
/// with the others (the fourth round's finding 2: a one-worker pool read
/// a speedup of 1.56).
#[test]
fn a_persistent_workers_cancelled_input_is_timed_from_when_it_began() {
    let mut run = Run::new();
    let mut p = pool(
        "pc",
        1,
        &["sh", "-c", "while read x; do sleep \"$x\"; echo \"$x\"; done"],
        vec!["1.5".into(), "1.5".into(), "30".into()],
    );
    p.mode = proctor::session::PoolMode::Persistent;
    run.send(Command::StartPool { pool: p });
    let second = run.wait_event("#1 done", |e| e.input == Some(1) && e.kind.name() == "task_done");
    std::thread::sleep(std::time::Duration::from_millis(500));
    run.send(Command::Pool {
        pool: "pc".into(),
        action: PoolAction::Terminate,
    });
    let cancel = run.wait_event("#2 cancelled", |e| {
        e.input == Some(2) && e.kind.name() == "task_cancelled"
    });
    let EventKind::TaskCancelled {
        duration: Some(d), ..
    } = cancel.kind
    else {
        panic!("{cancel:?}");
    };
    let since = (cancel.time - second.time).num_milliseconds() as f64 / 1000.0;
    assert!(d <= since + 0.05, "#2 ran {d}s, {since}s since #1's answer");
    run.wait_event("pool pc done", |e| {
        e.pool.as_deref() == Some("pc") && e.kind.name() == "pool_done"
    });
    let m = run.model();
    let speed = proctor::pictures::speedup::speedup(&m.pictures.pools[0], m.pictures.last);
    assert!(speed.speedup <= 1.05, "one worker: {speed:?}");
    run.finish();
}
