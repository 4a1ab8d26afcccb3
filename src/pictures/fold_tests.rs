//! Tests of the pictures' fold.

use super::tests_support::at;
use super::*;
use crate::event::{ProcSample, Usage};

#[test]
fn runs_samples_and_exits_fold_into_lanes() {
    let mut p = Pictures::default();
    p.apply(&at(
        0,
        EventKind::SessionStarted {
            message: String::new(),
            format: None,
        },
    ));
    p.apply(&at(1000, EventKind::Spawned { command: "c".into() }).process("a", Some(7)));
    for (ms, cpu, kb) in [(2000, 50.0, 100), (3000, 100.0, 300)] {
        p.apply(&at(
            ms,
            EventKind::Samples {
                procs: vec![ProcSample(7, cpu, kb), ProcSample(99, 1.0, 1)],
            },
        ));
    }
    p.apply(
        &at(
            3500,
            EventKind::Exited {
                exit_code: -9,
                runtime: 2.5,
                restart_in: Some(0.5),
                usage: Some(Usage {
                    peak_rss_kb: Some(350),
                    user_cpu: 1.0,
                    sys_cpu: 0.25,
                }),
                stopped: false,
            },
        )
        .process("a", Some(7)),
    );
    p.apply(&at(4000, EventKind::Spawned { command: "c".into() }).process("a", Some(8)));
    let a = p.proc("a").unwrap();
    assert_eq!(a.runs.len(), 2, "a restart is a second bar after a gap");
    assert_eq!((a.runs[0].start, a.runs[0].end), (1.0, Some(3.5)));
    assert_eq!(a.runs[0].outcome, Outcome::Signalled(9));
    assert_eq!(a.runs[1].outcome, Outcome::Running);
    assert_eq!(a.peak_rss_kb, 350);
    assert_eq!(a.series.len(), 2);
    assert!((a.cpu_seconds() - 1.25).abs() < 1e-9, "the kernel's figure wins");
    // Pid 8 is the new run: a sample of pid 7 no longer counts.
    p.apply(&at(
        5000,
        EventKind::Samples {
            procs: vec![ProcSample(7, 100.0, 1)],
        },
    ));
    assert_eq!(p.proc("a").unwrap().series.len(), 2);
    assert_eq!(p.last, 5.0);
}

#[test]
fn pool_inputs_become_spans_on_their_workers() {
    let mut p = Pictures::default();
    let ev = |ms, k, w: Option<&str>, i: Option<u64>| {
        let mut e = at(ms, k).pool("p", i);
        if let Some(w) = w {
            e = e.process(w, Some(1));
        }
        e
    };
    p.apply(&ev(
        0,
        EventKind::PoolState {
            paused: false,
            workers: 2,
        },
        None,
        None,
    ));
    for i in 0..3 {
        p.apply(&ev(
            0,
            EventKind::TaskQueued {
                input_text: i.to_string(),
            },
            None,
            Some(i),
        ));
    }
    p.apply(&ev(
        0,
        EventKind::TaskStarted {
            input_text: "0".into(),
        },
        Some("p/worker-1"),
        Some(0),
    ));
    p.apply(&ev(
        10,
        EventKind::TaskStarted {
            input_text: "1".into(),
        },
        Some("p/worker-2"),
        Some(1),
    ));
    let done = |d| EventKind::TaskDone {
        exit_code: 0,
        result: String::new(),
        duration: d,
        result_bytes: None,
    };
    p.apply(&ev(500, done(0.5), Some("p/worker-1"), Some(0)));
    p.apply(&ev(
        500,
        EventKind::TaskStarted {
            input_text: "2".into(),
        },
        Some("p/worker-1"),
        Some(2),
    ));
    let failed = EventKind::TaskFailed {
        exit_code: Some(3),
        message: String::new(),
        duration: 0.7,
        will_retry: false,
    };
    p.apply(&ev(710, failed, Some("p/worker-2"), Some(1)));
    let pool = p.pool("p").unwrap();
    assert_eq!(pool.lanes, ["p/worker-1", "p/worker-2"]);
    assert_eq!(pool.workers, 2);
    let w1: Vec<_> = pool.spans[0]
        .iter()
        .map(|s| (s.input, s.end, s.outcome))
        .collect();
    assert_eq!(
        w1,
        [
            (Some(0), Some(0.5), Outcome::Succeeded),
            (Some(2), None, Outcome::Running)
        ]
    );
    assert_eq!(pool.spans[1][0].outcome, Outcome::Failed(3));
    p.apply(&ev(
        900,
        EventKind::PoolDone {
            totals: Default::default(),
        },
        None,
        None,
    ));
    assert_eq!(
        p.pool("p").unwrap().spans[0][1].end,
        Some(0.9),
        "ended with the pool"
    );
}

#[test]
fn runs_are_bounded() {
    let mut p = Pictures::default();
    for i in 0..(MAX_RUNS as i64 + 50) {
        p.apply(
            &at(
                i,
                EventKind::SpawnFailed {
                    message: String::new(),
                },
            )
            .process("x", None),
        );
    }
    assert!(p.proc("x").unwrap().runs.len() <= MAX_RUNS);
}
