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
                trees: vec![],
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
            trees: vec![],
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
    let lane = p.proc("x").unwrap();
    assert!(lane.runs.len() <= MAX_RUNS);
    assert_eq!(
        lane.dropped_runs + lane.runs.len() as u64,
        MAX_RUNS as u64 + 50,
        "what was dropped is counted"
    );
    let (from, to) = lane.hidden_span().expect("earlier runs are hidden");
    assert_eq!(from, 0.0);
    assert_eq!(to, lane.runs[0].start);
    assert!(to > 0.0);
}

#[test]
fn a_tree_is_drawn_whole_and_its_leader_kept_apart() {
    use crate::event::TreeSample;
    let mut p = Pictures::default();
    p.apply(&at(0, EventKind::Spawned { command: "c".into() }).process("a", Some(7)));
    p.apply(&at(
        1000,
        EventKind::Samples {
            procs: vec![ProcSample(7, 10.0, 100)],
            trees: vec![TreeSample(7, 150.0, 5000, 3)],
        },
    ));
    p.apply(&at(
        2000,
        EventKind::Samples {
            procs: vec![ProcSample(7, 20.0, 200)],
            trees: vec![],
        },
    ));
    let a = p.proc("a").unwrap();
    let pts: Vec<_> = a.series.points().collect();
    assert_eq!((pts[0].cpu, pts[0].rss_kb, pts[0].procs), (150.0, 5000, 3));
    assert_eq!((pts[0].own_cpu, pts[0].own_rss_kb), (10.0, 100));
    assert_eq!(
        (pts[1].cpu, pts[1].rss_kb, pts[1].procs),
        (20.0, 200, 1),
        "alone again"
    );
    assert_eq!(a.peak_rss_kb, 5000, "the tree's peak");
    assert_eq!(a.own_peak_rss_kb, 200, "the leader's own");
    assert_eq!(a.live_figures().map(|x| x.rss_kb), Some(200));
    // 1.5 CPUs for a second, then 0.2 for a second: the tree's CPU time.
    assert!((a.cpu_seconds() - 1.7).abs() < 1e-6, "{}", a.cpu_seconds());
    p.apply(
        &at(
            2500,
            EventKind::Exited {
                exit_code: 0,
                runtime: 2.5,
                restart_in: None,
                usage: Some(Usage {
                    peak_rss_kb: Some(300),
                    user_cpu: 0.3,
                    sys_cpu: 0.0,
                }),
                stopped: false,
            },
        )
        .process("a", Some(7)),
    );
    let a = p.proc("a").unwrap();
    assert!(a.live_figures().is_none(), "ended");
    assert_eq!(a.own_peak_rss_kb, 300);
    assert!(
        a.cpu_seconds() >= 1.7,
        "the kernel's figure missed the descendants: {}",
        a.cpu_seconds()
    );
}

#[test]
fn a_cancelled_input_ends_its_bar_or_has_none_if_it_never_started() {
    let mut p = Pictures::default();
    let ev = |ms, k, w: &str, i: u64| at(ms, k).pool("p", Some(i)).process(w, Some(1));
    let started = |i: u64| EventKind::TaskStarted {
        input_text: i.to_string(),
    };
    // Two on worker-1 as a persistent worker pipelines them, one on worker-2.
    p.apply(&ev(0, started(0), "p/worker-1", 0));
    p.apply(&ev(0, started(1), "p/worker-1", 1));
    p.apply(&ev(100, started(2), "p/worker-2", 2));
    // #0 never began (a Slurm step still pending): its bar goes, and #1's
    // bar is still found and ended.
    let never = EventKind::TaskCancelled {
        exit_code: None,
        duration: None,
    };
    p.apply(&ev(2000, never, "p/worker-1", 0));
    let ran = |d| EventKind::TaskCancelled {
        exit_code: Some(7),
        duration: Some(d),
    };
    p.apply(&ev(2000, ran(1.5), "p/worker-1", 1));
    p.apply(&ev(2000, ran(1.9), "p/worker-2", 2));
    let pool = p.pool("p").unwrap();
    let bars = |l: usize| -> Vec<_> {
        pool.spans[l]
            .iter()
            .map(|s| (s.input, s.start, s.end, s.outcome))
            .collect()
    };
    assert_eq!(bars(0), [(Some(1), 0.5, Some(2.0), Outcome::Stopped)]);
    assert_eq!(bars(1).len(), 1);
    let (input, start, end, outcome) = bars(1)[0];
    assert_eq!((input, end, outcome), (Some(2), Some(2.0), Outcome::Stopped));
    assert!((start - 0.1).abs() < 1e-9, "{start}");
    assert!(pool.running.is_empty());
}
