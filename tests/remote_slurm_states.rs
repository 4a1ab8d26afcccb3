//! The states Slurm gives a pool's work, on a real one-node cluster
//! (tests/remote/slurm.sh): pending with its reason, a step out of time,
//! a step cancelled from outside, a failing step with its code, a node
//! failure. The four
//! pools run side by side in one session: the time limit (a minute, the
//! least Slurm knows, checked by slurmctld every 30 s) bounds the test at
//! about a minute and a half.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::engine::{Command, Engine, EngineConfig, PoolAction};
use proctor::event::slurm::SlurmState;
use proctor::event::{Event, EventKind};
use proctor::model::{InputStatus, SessionModel};
use proctor::session::{Placement, Retries, SlurmSpec};
use std::time::Duration;
use support::*;

fn on_slurm(p: &mut proctor::session::PoolSpec, partition: &str, time: &str) {
    p.placement = Placement::Slurm(SlurmSpec {
        partition: Some(partition.into()),
        time: Some(time.into()),
        ..Default::default()
    });
}

fn states(run: &Run, pool: &str) -> Vec<SlurmState> {
    run.events
        .iter()
        .filter(|e| e.pool.as_deref() == Some(pool))
        .filter_map(|e| match &e.kind {
            EventKind::SlurmState { state, .. } => Some(state.clone()),
            _ => None,
        })
        .collect()
}

fn pool_done(run: &mut Run, name: &str) -> Event {
    run.wait_event(&format!("pool {name} done"), |e| {
        e.pool.as_deref() == Some(name) && e.kind.name() == "pool_done"
    })
}

fn model(run: &Run) -> SessionModel {
    let mut m = SessionModel::default();
    for e in &run.events {
        m.apply(e);
    }
    m
}

#[test]
fn slurm_states_come_from_slurm() {
    let Some(slurm) = Slurm::start() else { return };
    let mut run = Run {
        engine: Engine::start(EngineConfig {
            tag_scan: false,
            ..Default::default()
        })
        .expect("engine starts"),
        events: Vec::new(),
    };
    let name = format!("proctor-{}", run.engine.session_tag());

    // Out of time: a one-minute limit, a command that would sleep for an hour.
    let mut late = pool("late", 1, &["sleep", "{}"], vec!["3601".into()]);
    on_slurm(&mut late, "debug", "1");
    run.send(Command::StartPool { pool: late });
    // Failing with code 3, retried once (two attempts, both failed).
    let mut fails = pool("fails", 1, &["sh", "-c", "exit {}"], vec!["3".into()]);
    fails.retries = Retries::new(1).unwrap();
    on_slurm(&mut fails, "debug", "00:10:00");
    run.send(Command::StartPool { pool: fails });
    // Cancelled from outside Proctor.
    let mut outside = pool("outside", 1, &["sleep", "{}"], vec!["3602".into()]);
    on_slurm(&mut outside, "debug", "00:10:00");
    run.send(Command::StartPool { pool: outside });
    // Pending: the partition is down.
    let mut held = pool("held", 2, &["true"], vec!["a".into(), "b".into()]);
    on_slurm(&mut held, "closed", "00:10:00");
    run.send(Command::StartPool { pool: held });

    // The failing step: failed with its code, as Slurm recorded it, twice.
    let done = pool_done(&mut run, "fails");
    let EventKind::PoolDone { totals } = done.kind else {
        unreachable!()
    };
    assert_eq!((totals.done, totals.failed), (0, 1), "{}", run.dump());
    let failed: Vec<SlurmState> = states(&run, "fails")
        .into_iter()
        .filter(SlurmState::is_final)
        .collect();
    assert_eq!(
        failed,
        vec![SlurmState::Failed { exit_code: Some(3) }; 2],
        "{}",
        run.dump()
    );
    let m = model(&run);
    let r = &m.pool("fails").unwrap().inputs[0];
    assert_eq!((r.status, r.exit_code), (InputStatus::Failed, Some(3)));

    // The held pool's inputs wait with Slurm's reason, in the events and
    // in their rows.
    run.until("both held inputs pending with their reason", |evs| {
        evs.iter()
            .filter(|e| e.pool.as_deref() == Some("held"))
            .filter(|e| {
                matches!(&e.kind, EventKind::SlurmState { state: SlurmState::Pending { reason }, .. } if reason == "PartitionDown")
            })
            .count()
            >= 2
    });
    let m = model(&run);
    let held = m.pool("held").unwrap();
    for r in &held.inputs {
        assert_eq!(r.status_text(), "pending: PartitionDown");
    }
    assert_eq!(held.slurm_pending(), vec![("PartitionDown".to_string(), 2)]);

    // scancel from outside: the input failed, read as cancelled.
    run.until("the outside job running", |evs| {
        evs.iter().any(|e| {
            e.pool.as_deref() == Some("outside")
                && matches!(
                    &e.kind,
                    EventKind::SlurmState {
                        state: SlurmState::Running { .. },
                        ..
                    }
                )
        })
    });
    let jobs = std::process::Command::new("squeue")
        .args(["-h", "-o", "%i %k", &format!("--name={name}")])
        .output()
        .unwrap();
    let jobs = String::from_utf8_lossy(&jobs.stdout).to_string();
    let id = jobs
        .lines()
        .find(|l| l.ends_with("outside:0"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("the outside job in {jobs}"))
        .to_string();
    let ok = std::process::Command::new("scancel").arg(&id).status().unwrap();
    assert!(ok.success());
    let done = pool_done(&mut run, "outside");
    let EventKind::PoolDone { totals } = done.kind else {
        unreachable!()
    };
    assert_eq!((totals.done, totals.failed), (0, 1), "{}", run.dump());
    assert_eq!(
        states(&run, "outside").last(),
        Some(&SlurmState::Cancelled),
        "{}",
        run.dump()
    );
    let m = model(&run);
    assert_eq!(
        m.pool("outside").unwrap().inputs[0].status_text(),
        "cancelled in Slurm"
    );

    // The held pool, terminated while pending: cancelled, no job left of it.
    run.send(Command::Pool {
        pool: "held".into(),
        action: PoolAction::Terminate,
    });
    let done = pool_done(&mut run, "held");
    let EventKind::PoolDone { totals } = done.kind else {
        unreachable!()
    };
    assert_eq!(totals.done, 0, "{}", run.dump());

    // proctor run: the summary and the results file carry the Slurm state.
    cli_run_says_the_slurm_state();

    // Out of time: a timeout, not `exited 0`, not done.
    let done = pool_done(&mut run, "late");
    let EventKind::PoolDone { totals } = done.kind else {
        unreachable!()
    };
    assert_eq!((totals.done, totals.failed), (0, 1), "{}", run.dump());
    assert_eq!(
        states(&run, "late").last(),
        Some(&SlurmState::Timeout),
        "{}",
        run.dump()
    );
    let m = model(&run);
    let r = &m.pool("late").unwrap().inputs[0];
    assert_eq!(r.status, InputStatus::Failed);
    assert_eq!(r.status_text(), "timeout");
    assert!(r.message.as_deref().unwrap_or("").contains("time limit"), "{r:?}");

    // Its node fails (set DOWN, as slurmctld does with a node that stops
    // answering): a node failure, not done. Last: the cluster's one node
    // is gone after it.
    let mut lost = pool("lost", 1, &["sleep", "{}"], vec!["3603".into()]);
    on_slurm(&mut lost, "debug", "00:10:00");
    run.send(Command::StartPool { pool: lost });
    run.until("the lost pool's job running", |evs| {
        evs.iter().any(|e| {
            e.pool.as_deref() == Some("lost")
                && matches!(
                    &e.kind,
                    EventKind::SlurmState {
                        state: SlurmState::Running { .. },
                        ..
                    }
                )
        })
    });
    let node = std::process::Command::new("hostname").arg("-s").output().unwrap();
    let node = String::from_utf8_lossy(&node.stdout).trim().to_string();
    let ok = std::process::Command::new("scontrol")
        .args([
            "update",
            &format!("nodename={node}"),
            "state=down",
            "reason=proctor-test",
        ])
        .status()
        .unwrap();
    assert!(ok.success());
    let done = pool_done(&mut run, "lost");
    let EventKind::PoolDone { totals } = done.kind else {
        unreachable!()
    };
    assert_eq!((totals.done, totals.failed), (0, 1), "{}", run.dump());
    assert_eq!(
        states(&run, "lost").last(),
        Some(&SlurmState::NodeFail),
        "{}",
        run.dump()
    );
    let m = model(&run);
    assert_eq!(m.pool("lost").unwrap().inputs[0].status_text(), "node failure");

    wait_until(
        "no job of the session left running",
        Duration::from_secs(30),
        || {
            slurm
                .jobs(&name)
                .iter()
                .all(|j| !j.ends_with("RUNNING") && !j.ends_with("PENDING"))
        },
    );
    wait_until("no sleep left", Duration::from_secs(30), || {
        with_cmdline("sleep 360").iter().all(|&p| gone(p))
    });
    run.finish();
}

fn cli_run_says_the_slurm_state() {
    let dir = std::env::temp_dir().join(format!("proctor-slurmstates-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.toml");
    let results = dir.join("r.jsonl");
    std::fs::write(
        &file,
        "[[pool]]\nname = \"c\"\nworkers = 2\nrun = [\"sh\", \"-c\", \"exit {}\"]\ninputs = [\"0\", \"4\"]\nslurm = { partition = \"debug\", time = \"00:10:00\" }\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("run")
        .arg(&file)
        .arg("--results")
        .arg(&results)
        .env("PROCTOR_TAG_SCAN", "off")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("SLURM"), "{text}");
    assert!(text.contains("failed (4)"), "{text}");
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&results)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["slurm"]["state"], "completed", "{lines:?}");
    assert_eq!(lines[1]["slurm"]["state"], "failed");
    assert_eq!(lines[1]["slurm"]["exit_code"], 4);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The session's last `scancel` is bounded: with slurmctld gone (a
/// `scancel` then retries for 18 s), the session ends after its limit
/// and says why.
#[test]
fn the_session_end_does_not_wait_for_an_unreachable_controller() {
    let Some(slurm) = Slurm::start() else { return };
    let mut run = Run {
        engine: Engine::start(EngineConfig {
            tag_scan: false,
            ..Default::default()
        })
        .expect("engine starts"),
        events: Vec::new(),
    };
    let mut p = pool("one", 1, &["echo", "{}"], vec!["x".into()]);
    on_slurm(&mut p, "debug", "1");
    run.send(Command::StartPool { pool: p });
    pool_done(&mut run, "one");
    let pid: i32 = std::fs::read_to_string(slurm.dir.join("slurmctld.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // SAFETY: a plain kill of the test cluster's controller.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    let t = std::time::Instant::now();
    let events = run.finish();
    let took = t.elapsed();
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.kind, EventKind::Error { message }
            if message.contains("did not finish within 5 s"))),
        "the bound was not said; the end took {took:?}"
    );
    assert!(took < Duration::from_secs(17), "{took:?}");
}
