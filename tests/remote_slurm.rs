//! Pools on a real one-node Slurm cluster (munged, slurmctld and slurmd,
//! started by tests/remote/slurm.sh). Each input is one `srun` job step,
//! named after the session. Proctor runs with its tag scan off: the steps'
//! processes are slurmstepd's children, and only Slurm may end them.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
use proctor::engine::{Command, Engine, EngineConfig, PoolAction};
use proctor::model::SessionModel;
use proctor::session::{Placement, SlurmSpec};
use std::time::Duration;
use support::*;

fn run() -> Run {
    Run {
        engine: Engine::start(EngineConfig {
            tag_scan: false,
            ..Default::default()
        })
        .expect("engine starts"),
        events: Vec::new(),
    }
}

fn on_slurm(p: &mut proctor::session::PoolSpec) {
    p.placement = Placement::Slurm(SlurmSpec {
        partition: Some("debug".into()),
        time: Some("00:10:00".into()),
        ..Default::default()
    });
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

fn job_name(run: &Run) -> String {
    format!("proctor-{}", run.engine.session_tag())
}

/// One test, in order: the cluster is started once (a few seconds).
#[test]
fn slurm_pools() {
    let Some(slurm) = Slurm::start() else { return };
    two_hundred_steps_come_back_complete_and_in_order(&slurm);
    terminate_mid_run_leaves_no_job_and_no_process(&slurm);
    sigkill_of_proctor_run_leaves_no_job(&slurm);
}

fn two_hundred_steps_come_back_complete_and_in_order(slurm: &Slurm) {
    let mut run = run();
    let inputs: Vec<String> = (0..200).map(|i| i.to_string()).collect();
    let mut p = pool("sq", 8, &["sh", "-c", "echo $(({} * {}))"], inputs);
    on_slurm(&mut p);
    run.send(Command::StartPool { pool: p });
    let m = wait_pool(&mut run, "sq");
    let pool = m.pool("sq").unwrap();
    let results: Vec<String> = pool
        .inputs
        .iter()
        .map(|r| r.result.clone().unwrap_or_default())
        .collect();
    let want: Vec<String> = (0..200u64).map(|i| (i * i).to_string()).collect();
    assert_eq!(results, want);
    // Each input says which node ran it.
    let node = std::process::Command::new("hostname").arg("-s").output().unwrap();
    let node = String::from_utf8_lossy(&node.stdout).trim().to_string();
    assert!(pool
        .inputs
        .iter()
        .all(|r| r.host.as_deref() == Some(node.as_str())));
    // Slurm releases an ended step's allocation on its own time
    // (COMPLETING for a moment after `srun` exits): none may stay.
    let name = job_name(&run);
    wait_until("no job left", Duration::from_secs(30), || {
        slurm.jobs(&name).is_empty()
    });
    run.finish();
}

fn terminate_mid_run_leaves_no_job_and_no_process(slurm: &Slurm) {
    let mut run = run();
    let inputs: Vec<String> = (0..6).map(|i| format!("4712.{i}")).collect();
    let mut p = pool("long", 4, &["sleep", "{}"], inputs);
    on_slurm(&mut p);
    run.send(Command::StartPool { pool: p });
    let name = job_name(&run);
    wait_until("4 running jobs", Duration::from_secs(60), || {
        slurm
            .jobs(&name)
            .iter()
            .filter(|j| j.ends_with("RUNNING"))
            .count()
            >= 4
    });
    wait_until("4 sleeps", Duration::from_secs(30), || {
        running_as("sleep 4712.").iter().filter(|&&p| !gone(p)).count() >= 4
    });
    run.send(Command::Pool {
        pool: "long".into(),
        action: PoolAction::Terminate,
    });
    // The pool ends, and no input is counted done: a step that Terminate
    // ended without its exit code coming back is cancelled, whatever
    // `srun` returned (RELIABILITY.md).
    let done = run.wait_event("pool long done", |e| {
        e.pool.as_deref() == Some("long") && e.kind.name() == "pool_done"
    });
    let proctor::event::EventKind::PoolDone { totals } = done.kind else {
        unreachable!()
    };
    assert_eq!(
        (totals.done, totals.failed, totals.cancelled),
        (0, 0, 6),
        "{}",
        run.dump()
    );
    // Slurm's word on the steps that ran: cancelled.
    let ended: Vec<_> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            proctor::event::EventKind::SlurmState { state, .. } if state.is_final() => Some(state.clone()),
            _ => None,
        })
        .collect();
    assert!(
        ended.len() >= 4
            && ended
                .iter()
                .all(|s| *s == proctor::event::slurm::SlurmState::Cancelled),
        "{ended:?}"
    );
    wait_until("no job of the session", Duration::from_secs(30), || {
        slurm.jobs(&name).is_empty()
    });
    wait_until("no sleep left", Duration::from_secs(30), || {
        with_cmdline("sleep 4712.").iter().all(|&p| gone(p))
    });
    run.finish();
}

fn sigkill_of_proctor_run_leaves_no_job(slurm: &Slurm) {
    let dir = std::env::temp_dir().join(format!("proctor-slurmkill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("s.toml");
    std::fs::write(
        &file,
        "[[pool]]\nname = \"k\"\nworkers = 3\nrun = [\"sleep\", \"{}\"]\ninputs = [\"5814.1\", \"5814.2\", \"5814.3\"]\nslurm = { partition = \"debug\", time = \"00:10:00\" }\n",
    )
    .unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("run")
        .arg(&file)
        .env("PROCTOR_TAG_SCAN", "off")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until("3 sleeps under Slurm", Duration::from_secs(60), || {
        running_as("sleep 5814.").iter().filter(|&&p| !gone(p)).count() >= 3
    });
    let all = std::process::Command::new("squeue")
        .args(["-h", "-o", "%j"])
        .output()
        .unwrap();
    let names = String::from_utf8_lossy(&all.stdout).to_string();
    assert!(
        names.lines().any(|l| l.starts_with("proctor-")),
        "jobs named after the session: {names}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // The crash guard cancels every job of the session.
    let _ = slurm;
    wait_until("no proctor job left", Duration::from_secs(60), || {
        let o = std::process::Command::new("squeue")
            .args(["-h", "-o", "%j"])
            .output()
            .unwrap();
        !String::from_utf8_lossy(&o.stdout)
            .lines()
            .any(|l| l.starts_with("proctor-"))
    });
    wait_until("no sleep left", Duration::from_secs(30), || {
        with_cmdline("sleep 5814.").iter().all(|&p| gone(p))
    });
    let _ = std::fs::remove_dir_all(&dir);
}
