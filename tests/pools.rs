//! Pools with real processes: order of results, no input lost or run twice,
//! dying workers, retries, timeouts, and live control.

mod common;
use common::*;
use proctor::engine::{Command, PoolAction};
use proctor::event::{Event, EventKind};
use proctor::model::SessionModel;
use proctor::session::{PoolMode, Retries, Seconds};
use std::collections::HashMap;

fn inputs(n: usize) -> Vec<String> {
    (0..n).map(|i| i.to_string()).collect()
}

fn wait_pool(run: &mut Run, name: &str) -> SessionModel {
    run.wait_event(&format!("pool {name} done"), |e| {
        e.pool.as_deref() == Some(name) && e.kind.name() == "pool_done"
    });
    let mut m = SessionModel::default();
    for e in &run.events {
        m.apply(e);
    }
    m
}

fn kinds_for_input<'a>(evs: &'a [Event], input: u64, kind: &str) -> Vec<&'a Event> {
    evs.iter()
        .filter(|e| e.input == Some(input) && e.kind.name() == kind)
        .collect()
}

#[test]
fn map_results_are_in_input_order_whatever_the_completion_order() {
    let mut run = Run::new();
    // Later inputs finish first.
    let p = pool(
        "sq",
        4,
        &["sh", "-c", "sleep 0.$((9 - {})); echo $(({} * {}))"],
        inputs(10),
    );
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "sq");
    let pool = m.pool("sq").unwrap();
    let results: Vec<&str> = pool.inputs.iter().map(|r| r.result.as_deref().unwrap()).collect();
    assert_eq!(results, ["0", "1", "4", "9", "16", "25", "36", "49", "64", "81"]);
    assert_ne!(
        pool.completion_order,
        (0..10).collect::<Vec<u64>>(),
        "completion order differs"
    );
    // Each input ran in a named worker slot.
    assert!(pool
        .inputs
        .iter()
        .all(|r| r.worker.as_deref().is_some_and(|w| w.starts_with("sq/worker-"))));
    let t = pool.finished.unwrap();
    assert_eq!((t.inputs, t.done, t.failed), (10, 10, 0));
    assert!(t.busy > 0.0 && t.wall > 0.0);
}

#[test]
fn completion_order_of_three_sleeps() {
    let mut run = Run::new();
    let p = pool(
        "sleeps",
        3,
        &["sh", "-c", "sleep {}; echo slept {}"],
        vec!["2.4".into(), "1.6".into(), "0.8".into()],
    );
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "sleeps");
    assert_eq!(m.pool("sleeps").unwrap().completion_order, vec![2, 1, 0]);
}

fn no_input_lost_or_twice(mode: PoolMode, n: usize) {
    let mut run = Run::new();
    let mut p = match mode {
        PoolMode::Spawn => pool("many", 2, &["echo", "r{}"], inputs(n)),
        PoolMode::Persistent => pool("many", 2, &["sed", "-u", "s/^/r/"], inputs(n)),
    };
    p.mode = mode;
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "many");
    let mut started: HashMap<u64, usize> = HashMap::new();
    let mut done: HashMap<u64, usize> = HashMap::new();
    for e in &run.events {
        match (&e.kind, e.input) {
            (EventKind::TaskStarted { .. }, Some(i)) => *started.entry(i).or_default() += 1,
            (EventKind::TaskDone { result, .. }, Some(i)) => {
                assert_eq!(result, &format!("r{i}"));
                *done.entry(i).or_default() += 1
            }
            _ => {}
        }
    }
    assert_eq!(started.len(), n);
    assert_eq!(done.len(), n);
    assert!(started.values().all(|&c| c == 1), "no input started twice");
    assert!(done.values().all(|&c| c == 1), "no input finished twice");
    let t = m.pool("many").unwrap().finished.unwrap();
    assert_eq!((t.inputs, t.done, t.failed), (n as u64, n as u64, 0));
}

#[test]
fn ten_thousand_inputs_in_spawn_mode() {
    no_input_lost_or_twice(PoolMode::Spawn, 10_000);
}

#[test]
fn ten_thousand_inputs_in_persistent_mode() {
    no_input_lost_or_twice(PoolMode::Persistent, 10_000);
}

#[test]
fn a_persistent_worker_killed_mid_input_is_replaced_and_the_pool_finishes() {
    let mut run = Run::new();
    let mut p = pool(
        "echo",
        1,
        &[
            "sh",
            "-c",
            "while read x; do if [ \"$x\" = hang ]; then sleep 30; fi; echo \"r$x\"; done",
        ],
        vec!["a".into(), "hang".into(), "b".into(), "c".into()],
    );
    p.mode = PoolMode::Persistent;
    run.send(Command::StartPool { pool: p });
    // Wait until the worker is stuck on `hang` (a is done), then kill it.
    run.wait_event("a done", |e| e.input == Some(0) && e.kind.name() == "task_done");
    let pid = run.wait_kind("echo/worker-1", "spawned").pid.unwrap() as i32;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).unwrap();
    let m = wait_pool(&mut run, "echo");
    let pool = m.pool("echo").unwrap();
    let status: Vec<&str> = pool.inputs.iter().map(|r| r.status.label()).collect();
    assert_eq!(status, ["done", "failed", "done", "done"]);
    assert_eq!(pool.inputs[1].exit_code, Some(-9));
    assert_eq!(pool.inputs[3].result.as_deref(), Some("rc"));
    // A fresh worker took over.
    let spawns = run.of("echo/worker-1", "spawned");
    assert_eq!(spawns.len(), 2);
    assert_ne!(spawns[0].pid, spawns[1].pid);
    // b and c were in flight behind `hang`: requeued, not failed.
    assert_eq!(kinds_for_input(&run.events, 2, "task_failed").len(), 0);
    assert_eq!(kinds_for_input(&run.events, 3, "task_failed").len(), 0);
}

#[test]
fn a_failing_input_with_two_retries_runs_three_times() {
    let mut run = Run::new();
    let mut p = pool(
        "retry",
        2,
        &["sh", "-c", "[ {} = bad ] && exit 4; echo ok"],
        vec!["good".into(), "bad".into()],
    );
    p.retries = Retries::new(2).unwrap();
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "retry");
    assert_eq!(kinds_for_input(&run.events, 1, "task_started").len(), 3);
    let failures = kinds_for_input(&run.events, 1, "task_failed");
    let retry_flags: Vec<bool> = failures
        .iter()
        .map(|e| matches!(e.kind, EventKind::TaskFailed { will_retry: true, .. }))
        .collect();
    assert_eq!(retry_flags, vec![true, true, false]);
    let t = m.pool("retry").unwrap().finished.unwrap();
    assert_eq!((t.done, t.failed), (1, 1));
    assert_eq!(m.pool("retry").unwrap().inputs[1].exit_code, Some(4));
}

#[test]
fn a_stuck_input_times_out_with_minus_15_and_the_pool_goes_on() {
    for mode in [PoolMode::Spawn, PoolMode::Persistent] {
        let mut run = Run::new();
        let cmd: &[&str] = match mode {
            PoolMode::Spawn => &["sh", "-c", "[ {} = stuck ] && sleep 30; echo {}"],
            PoolMode::Persistent => &[
                "sh",
                "-c",
                "while read x; do [ \"$x\" = stuck ] && sleep 30; echo \"$x\"; done",
            ],
        };
        let mut p = pool("to", 1, cmd, vec!["one".into(), "stuck".into(), "three".into()]);
        p.mode = mode;
        p.timeout = Some(Seconds::from_millis(3_000));
        p.stop.timeout = Seconds::from_millis(1000);
        run.send(Command::StartPool { pool: p });
        let m = wait_pool(&mut run, "to");
        let pool = m.pool("to").unwrap();
        let status: Vec<&str> = pool.inputs.iter().map(|r| r.status.label()).collect();
        assert_eq!(status, ["done", "failed", "done"], "{mode:?}");
        assert_eq!(pool.inputs[1].exit_code, Some(-15), "{mode:?}");
        assert_eq!(pool.inputs[2].result.as_deref(), Some("three"), "{mode:?}");
    }
}

#[test]
fn pause_resume_cancel_add_and_resize() {
    let mut run = Run::new();
    let p = pool("ctl", 1, &["sh", "-c", "sleep 1; echo {}"], inputs(6));
    run.send(Command::StartPool { pool: p });
    let pause = |run: &Run, a: PoolAction| {
        run.send(Command::Pool {
            pool: "ctl".into(),
            action: a,
        })
    };
    run.wait_event("first start", |e| {
        e.input == Some(0) && e.kind.name() == "task_started"
    });
    pause(&run, PoolAction::Pause);
    run.wait_event("input 0 done", |e| {
        e.input == Some(0) && e.kind.name() == "task_done"
    });
    // While paused, nothing new starts (input 1 at most, if it started before the pause).
    std::thread::sleep(std::time::Duration::from_millis(600));
    while let Ok(e) = run.engine.events().try_recv() {
        run.events.push(e);
    }
    let started: Vec<u64> = run
        .events
        .iter()
        .filter(|e| e.kind.name() == "task_started")
        .filter_map(|e| e.input)
        .collect();
    assert!(
        started.len() <= 2,
        "paused pool kept starting inputs: {started:?}"
    );
    pause(&run, PoolAction::Resume);
    run.wait_event("input 2 started after resume", |e| {
        e.input == Some(2) && e.kind.name() == "task_started"
    });
    // Grow to 3 workers: three inputs run at once.
    pause(&run, PoolAction::Resize(3));
    pause(&run, PoolAction::AddInputs(vec!["extra".into(), "more".into()]));
    run.wait_event("added input queued", |e| {
        e.input == Some(7) && e.kind.name() == "task_queued"
    });
    run.wait_event("worker-3 used", |e| {
        e.process.as_deref() == Some("ctl/worker-3") && e.kind.name() == "task_started"
    });
    pause(&run, PoolAction::CancelPending);
    let m = wait_pool(&mut run, "ctl");
    let pool = m.pool("ctl").unwrap();
    let t = pool.finished.unwrap();
    assert_eq!(t.inputs, 8);
    assert_eq!(t.done + t.failed + t.cancelled, 8);
    assert!(t.cancelled >= 1, "{t:?}");
    // The added inputs are part of the pool (run or cancelled).
    assert_eq!(pool.inputs[6].input, "extra");
}

#[test]
fn terminating_a_pool_stops_its_workers_and_cancels_the_rest() {
    let mut run = Run::new();
    let p = pool("long", 2, &["sleep", "30"], inputs(5));
    run.send(Command::StartPool { pool: p });
    run.wait_event("two running", |e| {
        e.input == Some(1) && e.kind.name() == "task_started"
    });
    run.send(Command::Pool {
        pool: "long".into(),
        action: PoolAction::Terminate,
    });
    let m = wait_pool(&mut run, "long");
    let t = m.pool("long").unwrap().finished.unwrap();
    // Stopped by the user: the inputs in flight are cancelled, not failed.
    assert_eq!((t.done, t.failed, t.cancelled), (0, 0, 5));
    assert!(
        !run.events.iter().any(|e| e.kind.name() == "task_failed"),
        "{}",
        run.dump()
    );
}

#[test]
fn retries_of_a_command_that_cannot_start_still_finish_the_pool() {
    // No journal, no other timers: nothing but the retry itself may wake
    // the supervisor, and the pool must still end.
    let mut run = Run::new();
    let mut p = pool("ghost", 1, &["/no/such/program-xyz"], inputs(2));
    p.retries = Retries::new(2).unwrap();
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "ghost");
    let t = m.pool("ghost").unwrap().finished.unwrap();
    assert_eq!((t.done, t.failed), (0, 2));
    assert_eq!(
        kinds_for_input(&run.events, 0, "task_failed").len(),
        3,
        "three attempts"
    );
}

#[test]
fn shrinking_a_paused_persistent_pool_does_not_fail_its_queue() {
    let mut run = Run::new();
    let mut p = pool("shrink", 4, &["sed", "-u", "s/^/r/"], inputs(40));
    p.mode = PoolMode::Persistent;
    run.send(Command::StartPool { pool: p });
    run.wait_event("first result", |e| e.kind.name() == "task_done");
    run.send(Command::Pool {
        pool: "shrink".into(),
        action: PoolAction::Pause,
    });
    run.send(Command::Pool {
        pool: "shrink".into(),
        action: PoolAction::Resize(1),
    });
    // The retired workers exit as their stdin closes.
    run.until("three workers retired", |evs| {
        evs.iter()
            .filter(|e| e.pool.as_deref() == Some("shrink") && e.kind.name() == "exited")
            .count()
            >= 3
    });
    run.send(Command::Pool {
        pool: "shrink".into(),
        action: PoolAction::Resume,
    });
    let done = run.wait_event("pool shrink done", |e| {
        e.pool.as_deref() == Some("shrink") && e.kind.name() == "pool_done"
    });
    let proctor::event::EventKind::PoolDone { totals: t } = done.kind else {
        unreachable!("a pool_done")
    };
    assert_eq!((t.done, t.failed), (40, 0), "{}", run.dump());
    // The fold keeps them, whatever state the pool said after it ended (a
    // `pool_state` after `pool_done` once wiped them).
    let m = wait_pool(&mut run, "shrink");
    assert_eq!(m.pool("shrink").unwrap().finished, Some(t), "{}", run.dump());
}

#[test]
fn running_a_pool_again_starts_a_fresh_row() {
    let mut run = Run::new();
    run.send(Command::StartPool {
        pool: pool("again", 2, &["echo"], inputs(5)),
    });
    run.wait_event("first run done", |e| e.kind.name() == "pool_done");
    run.send(Command::StartPool {
        pool: pool("again", 2, &["echo"], inputs(2)),
    });
    run.until("second run done", |evs| {
        evs.iter().filter(|e| e.kind.name() == "pool_done").count() == 2
    });
    let mut m = SessionModel::default();
    for e in &run.events {
        m.apply(e);
    }
    let p = m.pool("again").unwrap();
    assert_eq!(p.inputs.len(), 2, "the second run's inputs only");
    assert_eq!(p.completion_order.len(), 2);
    assert_eq!(p.progress().done, 2);
}
