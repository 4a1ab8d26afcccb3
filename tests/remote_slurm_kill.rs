//! The second hostile round against the remote work (see RELIABILITY.md,
//! "A second round on 2026-11-27 against the remote work"), findings 5
//! and 2: Slurm work is gone after a second Ctrl-C, and after a SIGKILL
//! of `proctor run` while the controller does not answer. On the
//! one-node test cluster of tests/remote/slurm.sh (its process tracking
//! is `proctrack/linuxproc`: what leaves a step's process tree is out of
//! Slurm's reach), with Proctor's tag scan off.

mod common;
#[path = "remote/support.rs"]
mod support;

use std::time::Duration;
use support::*;

/// Continues slurmctld when dropped, so that a failed test does not leave
/// the cluster stopped for the next.
struct Stopped(i32);

impl Drop for Stopped {
    fn drop(&mut self) {
        // SAFETY: a plain kill of the test cluster's controller.
        unsafe { libc::kill(self.0, libc::SIGCONT) };
    }
}

fn live(prefix: &str) -> Vec<i32> {
    running_as(prefix)
        .into_iter()
        .filter(|&p| proc_state(p).is_some_and(|s| s != 'Z'))
        .collect()
}

/// The session's job name, from `squeue`.
fn job_name() -> String {
    let o = std::process::Command::new("squeue")
        .args(["-h", "-o", "%j"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.starts_with("proctor-"))
        .expect("a job named after the session")
        .trim()
        .to_string()
}

fn start(dir: &std::path::Path, toml: &str) -> std::process::Child {
    let file = dir.join("s.toml");
    std::fs::write(&file, toml).unwrap();
    proctor_run_cmd()
        .arg(&file)
        .args(["--color", "never"])
        .env("PROCTOR_TAG_SCAN", "off")
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(dir.join("out.txt")).unwrap())
        .stderr(std::fs::File::create(dir.join("err.txt")).unwrap())
        .spawn()
        .unwrap()
}

fn said(dir: &std::path::Path) -> String {
    format!(
        "{}\n{}",
        std::fs::read_to_string(dir.join("out.txt")).unwrap_or_default(),
        std::fs::read_to_string(dir.join("err.txt")).unwrap_or_default()
    )
}

/// Finding 5: a second Ctrl-C while Slurm steps are being stopped, one
/// of them ignoring SIGTERM. When `proctor run` returns, nothing of the
/// steps runs, and the jobs leave `squeue`. Before, the TERM-ignoring
/// command escaped the step (its wrapper ended by Slurm's SIGTERM, it was
/// re-parented to init) and ran on, its job COMPLETING.
#[test]
fn a_second_ctrl_c_leaves_nothing_of_slurm_steps() {
    let Some(slurm) = Slurm::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let mut child = start(
        dir.path(),
        "[[pool]]\nname = \"r\"\nworkers = 2\nrun = [\"sh\", \"-c\", \"{}\"]\ninputs = [\"trap '' TERM; sleep 7795.1\", \"trap 'echo T; sleep 1; exit 6' TERM; sleep 7795.2 & wait\"]\nstop_timeout = 20\nslurm = { partition = \"debug\", time = \"00:03:00\" }\n",
    );
    wait_until("2 sleeps under Slurm", Duration::from_secs(60), || {
        live("sleep 7795.").len() >= 2
    });
    let name = job_name();
    // SAFETY: plain kills of our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    std::thread::sleep(Duration::from_millis(1_500));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = wait_child(&mut child, Duration::from_secs(60));
    let left = live("sleep 7795.");
    let shells = with_cmdline("sleep 7795.1");
    let text = said(dir.path());
    let status = status.unwrap_or_else(|| panic!("proctor run did not end:\n{text}"));
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(
        left.is_empty() && shells.iter().all(|&p| proc_state(p).is_none_or(|s| s == 'Z')),
        "left after proctor run returned: {left:?} {shells:?}\n{text}"
    );
    assert!(text.contains("scancel --signal=KILL"), "{text}");
    assert!(text.contains("exit code -9 (SIGKILL)"), "{text}");
    // The third round's N1: the input killed through Slurm keeps that
    // code in its result (before: none, while its worker said -9).
    assert!(
        text.contains("its worker stopped by the user; it exited with -9 (SIGKILL)"),
        "{text}"
    );
    wait_until(
        &format!("no job of the session in squeue ({name})"),
        Duration::from_secs(60),
        || slurm.jobs(&name).is_empty(),
    );
}

/// Finding 2: SIGKILL of `proctor run` while slurmctld does not answer.
/// The crash guard's cancel is retried as the session end's is, so once
/// the controller is back the session's jobs go. Before, its one
/// `scancel` gave up and the jobs stayed queued.
#[test]
fn the_crash_guard_retries_its_cancel_until_the_controller_answers() {
    let Some(slurm) = Slurm::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    // Two run; two wait for the node (its 2 CPUs are taken).
    let mut child = start(
        dir.path(),
        "[[pool]]\nname = \"k\"\nworkers = 4\nrun = [\"sleep\", \"{}\"]\ninputs = [\"7796.1\", \"7796.2\", \"7796.3\", \"7796.4\"]\nslurm = { partition = \"debug\", time = \"00:05:00\" }\n",
    );
    wait_until("2 sleeps under Slurm", Duration::from_secs(60), || {
        live("sleep 7796.").len() >= 2
    });
    let name = job_name();
    wait_until("4 jobs in squeue", Duration::from_secs(30), || {
        slurm.jobs(&name).len() >= 4
    });
    let ctld: i32 = std::fs::read_to_string(slurm.dir.join("slurmctld.pid"))
        .expect("pid file")
        .trim()
        .parse()
        .expect("a pid");
    // SAFETY: a plain kill of the test cluster's controller.
    unsafe { libc::kill(ctld, libc::SIGSTOP) };
    let stopped = Stopped(ctld);
    // SAFETY: a plain kill of our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    // Longer than one `scancel` tries (about 18 s on this cluster).
    std::thread::sleep(Duration::from_secs(25));
    drop(stopped);
    wait_until(
        &format!("no job of the session in squeue ({name})"),
        Duration::from_secs(120),
        || slurm.jobs(&name).is_empty(),
    );
    wait_until("the sleeps end", Duration::from_secs(60), || {
        live("sleep 7796.").is_empty()
    });
}

/// Finding 8: a step that waits in Slurm's queue (here for its begin
/// time, 4 s on) counts only its run as the input's duration. Before, the
/// wait was counted too (a 3 s step read 7 s, and as busy time).
#[test]
fn a_steps_wait_in_the_queue_is_not_its_duration() {
    let Some(_slurm) = Slurm::start() else { return };
    let mut run = common::Run::own_descendants_only();
    let inputs: Vec<String> = (0..2).map(|i| format!("w{i}")).collect();
    let mut p = common::pool("queue", 2, &["sh", "-c", "sleep 3; echo {}"], inputs);
    p.placement = proctor::session::Placement::Slurm(proctor::session::SlurmSpec {
        partition: Some("debug".into()),
        time: Some("00:05:00".into()),
        extra: vec!["--begin=now+4".into()],
        ..Default::default()
    });
    run.send(proctor::engine::Command::StartPool { pool: p });
    run.wait_event("pool queue done", |e| {
        e.pool.as_deref() == Some("queue") && e.kind.name() == "pool_done"
    });
    let durations: Vec<f64> = run
        .events
        .iter()
        .filter_map(|e| match e.kind {
            proctor::event::EventKind::TaskDone { duration, .. } => Some(duration),
            _ => None,
        })
        .collect();
    assert_eq!(durations.len(), 2, "{}", run.dump());
    assert!(
        durations.iter().all(|&d| (2.9..15.0).contains(&d)),
        "{durations:?}\n{}",
        run.dump()
    );
    run.finish();
}
