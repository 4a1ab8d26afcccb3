//! The app with a pool on a real one-node Slurm cluster whose partition is
//! down: its inputs wait, and the app says why, in Slurm's words.

mod gui_support;
#[path = "remote/support.rs"]
mod support;

use egui_kittest::kittest::Queryable;
use gui_support::{app, frames, harness, session_toml, shows, shows_containing, wait_until};

/// The file's tests run one at a time: beside the other app, the pending
/// reason once did not show within the harness's 30 s (RELIABILITY.md,
/// Open).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn pending_slurm_work_shows_its_reason() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let Some(_slurm) = support::Slurm::start() else {
        return;
    };
    // The steps' processes are Slurm's: the local tag scan stays off.
    std::env::set_var("PROCTOR_TAG_SCAN", "off");
    let s = session_toml(
        "[[pool]]\nname = \"held\"\nworkers = 2\nrun = [\"true\"]\ninputs = [\"a\", \"b\", \"c\"]\n\
         slurm = { partition = \"closed\", time = \"00:10:00\" }\n",
    );
    let mut h = harness(s, true);
    wait_until(&mut h, "the pool is listed", |h| shows(h, "Pools (1)"));
    h.get_by_label("Pools (1)").click();
    wait_until(&mut h, "both workers' inputs pending with Slurm's reason", |h| {
        h.query_all_by_label("pending: PartitionDown").count() >= 2
    });
    // The progress line and the Hosts section say it too.
    assert!(shows(&h, "2 pending in Slurm"));
    assert!(shows(&h, "Pending in Slurm: 2 inputs (PartitionDown: 2)"));
    let pool = app(&h).model().pool("held").expect("pool row");
    assert_eq!(pool.slurm_pending(), vec![("PartitionDown".to_string(), 2)]);
    // The third input is queued by Proctor, not by Slurm.
    assert_eq!(pool.inputs[2].status_text(), "queued");
    // The workers' rows say it.
    h.get_by_label_contains("Workers (").click();
    frames(&mut h, 3);
    assert!(
        h.query_all_by_label("pending: PartitionDown").count() >= 4,
        "inputs and workers"
    );

    // Terminate: nothing was done; the inputs are cancelled.
    h.get_by_label("Terminate pool").click();
    wait_until(&mut h, "the pool ends", |h| {
        app(h).model().pool("held").is_some_and(|p| p.finished.is_some())
    });
    let pool = app(&h).model().pool("held").expect("pool row");
    assert_eq!(pool.finished.map(|t| t.done), Some(0));
    assert!(!shows_containing(&h, "Pending in Slurm"));
}

/// A past session whose Slurm step ran out of time: its input and its
/// worker say `timeout`, not `exited 0` or `done` (`srun` itself exited 0).
#[test]
fn a_timed_out_step_reads_as_timeout() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    use proctor::event::slurm::SlurmState;
    use proctor::event::{Event, EventKind, PoolTotals};
    let w = "late/worker-1";
    let on = |k: EventKind, input: Option<u64>| Event::now(k).pool("late", input);
    let events = vec![
        Event::now(EventKind::SessionStarted {
            message: "s".into(),
            format: Some(proctor::journal::FORMAT),
        }),
        on(
            EventKind::PoolState {
                paused: false,
                workers: 1,
            },
            None,
        ),
        on(
            EventKind::TaskQueued {
                input_text: "3601".into(),
            },
            Some(0),
        ),
        on(
            EventKind::Spawned {
                command: "srun ...".into(),
            },
            None,
        )
        .process(w, Some(4242)),
        on(
            EventKind::TaskStarted {
                input_text: "3601".into(),
            },
            Some(0),
        )
        .process(w, Some(4242)),
        on(EventKind::WorkerHost { host: "vm".into() }, None).process(w, None),
        on(
            EventKind::SlurmState {
                job: "5".into(),
                state: SlurmState::Running { node: "vm".into() },
            },
            Some(0),
        )
        .process(w, Some(4242)),
        on(
            EventKind::SlurmState {
                job: "5".into(),
                state: SlurmState::Timeout,
            },
            Some(0),
        )
        .process(w, Some(4242)),
        on(
            EventKind::Exited {
                exit_code: 0,
                runtime: 81.0,
                restart_in: None,
                usage: None,
                stopped: false,
            },
            None,
        )
        .process(w, Some(4242)),
        on(
            EventKind::TaskFailed {
                exit_code: None,
                message: "the Slurm step on vm ran past its time limit (Slurm: timeout)".into(),
                duration: 81.0,
                will_retry: false,
            },
            Some(0),
        )
        .process(w, Some(4242)),
        on(
            EventKind::PoolDone {
                totals: PoolTotals {
                    inputs: 1,
                    failed: 1,
                    wall: 82.0,
                    busy: 81.0,
                    ..Default::default()
                },
            },
            None,
        ),
        Event::now(EventKind::SessionEnded {
            message: "bye".into(),
        }),
    ];
    let mut text = String::new();
    for (i, mut e) in events.into_iter().enumerate() {
        e.seq = i as u64 + 1;
        text.push_str(&serde_json::to_string(&e).unwrap());
        text.push('\n');
    }
    let root = tempfile::tempdir().unwrap();
    let dirs = proctor::gui::AppDirs::under(root.path());
    std::fs::create_dir_all(&dirs.journals).unwrap();
    std::fs::write(dirs.journals.join("2026-11-26T17-00-00.000-1.jsonl"), text).unwrap();
    let mut h = gui_support::harness_in(dirs, Some(gui_support::session(vec![])), false);
    gui_support::open_first_past(&mut h);
    h.get_by_label_contains("Pools (").click();
    frames(&mut h, 3);
    // The input's Status.
    assert!(shows(&h, "timeout"), "the input reads as timeout");
    assert!(!shows(&h, "done"));
    h.get_by_label_contains("Workers (").click();
    frames(&mut h, 3);
    // The input's Status and the worker's State (not `exited`, whose
    // code 0 was srun's).
    assert_eq!(
        h.query_all_by_label("timeout").count(),
        2,
        "the input and its worker"
    );
}
