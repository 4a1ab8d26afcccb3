//! The end of Slurm work when things go wrong (the rest of the remote
//! hostile round, see RELIABILITY.md), on the one-node test cluster of
//! tests/remote/slurm.sh.

mod common;
#[path = "remote/support.rs"]
mod support;

use common::*;
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

fn pid_in(dir: &std::path::Path, file: &str) -> i32 {
    std::fs::read_to_string(dir.join(file))
        .expect("pid file")
        .trim()
        .parse()
        .expect("a pid")
}

/// Finding 9: Ctrl-C while slurmctld does not answer. The session's
/// `scancel` cannot be confirmed: it is said (the jobs, the command to
/// run), and a retrier that outlives `proctor run` cancels the jobs once
/// the controller is back. Before, they stayed RUNNING until their time
/// limit.
#[test]
fn a_cancel_the_controller_did_not_answer_is_retried_after_the_session() {
    let Some(slurm) = Slurm::start() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    std::fs::write(
        &file,
        "[[pool]]\nname = \"k\"\nworkers = 2\nrun = [\"sleep\", \"{}\"]\ninputs = [\"7792.1\", \"7792.2\"]\nstop_timeout = 2\nslurm = { partition = \"debug\", time = \"00:05:00\" }\n",
    )
    .unwrap();
    let (out, err) = (dir.path().join("out.txt"), dir.path().join("err.txt"));
    let mut child = proctor_run_cmd()
        .arg(&file)
        .args(["--color", "never"])
        .env("PROCTOR_TAG_SCAN", "off")
        .stdin(std::process::Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    wait_until("2 sleeps under Slurm", Duration::from_secs(60), || {
        running_as("sleep 7792.").iter().filter(|&&p| !gone(p)).count() >= 2
    });
    let o = std::process::Command::new("squeue")
        .args(["-h", "-o", "%j"])
        .output()
        .unwrap();
    let name = String::from_utf8_lossy(&o.stdout)
        .lines()
        .find(|l| l.starts_with("proctor-"))
        .expect("a job named after the session")
        .trim()
        .to_string();
    wait_until("both jobs running", Duration::from_secs(30), || {
        slurm
            .jobs(&name)
            .iter()
            .filter(|j| j.ends_with("RUNNING"))
            .count()
            >= 2
    });
    let ctld = pid_in(&slurm.dir, "slurmctld.pid");
    // SAFETY: a plain kill of the test cluster's controller.
    unsafe { libc::kill(ctld, libc::SIGSTOP) };
    let stopped = Stopped(ctld);
    // SAFETY: a plain kill of our child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = wait_child(&mut child, Duration::from_secs(120));
    let text = format!(
        "{}\n{}",
        std::fs::read_to_string(&out).unwrap_or_default(),
        std::fs::read_to_string(&err).unwrap_or_default()
    );
    let status = status.unwrap_or_else(|| panic!("proctor run did not end:\n{text}"));
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(
        text.contains("could not be confirmed") && text.contains(&format!("scancel --name={name}")),
        "{text}"
    );
    assert!(text.contains("a background scancel retries"), "{text}");
    // The controller comes back: the retrier cancels the jobs.
    drop(stopped);
    wait_until(
        &format!("no job of the session in squeue ({name})"),
        Duration::from_secs(120),
        || slurm.jobs(&name).is_empty(),
    );
}

fn slurm_pool(name: &str, partition: &str, inputs: &[&str]) -> proctor::session::PoolSpec {
    let mut p = pool(
        name,
        inputs.len(),
        &["sh", "-c", "{}"],
        inputs.iter().map(|s| s.to_string()).collect(),
    );
    p.placement = proctor::session::Placement::Slurm(proctor::session::SlurmSpec {
        partition: Some(partition.into()),
        time: Some("00:05:00".into()),
        ..Default::default()
    });
    p
}

fn run_pool(run: &mut Run, p: proctor::session::PoolSpec) -> Vec<(Option<u64>, String, f64, Option<i32>)> {
    let name = p.name.clone();
    run.send(proctor::engine::Command::StartPool { pool: p });
    run.wait_event(&format!("pool {name} done"), |e| {
        e.pool.as_deref() == Some(name.as_str()) && e.kind.name() == "pool_done"
    });
    run.events
        .iter()
        .filter(|e| e.pool.as_deref() == Some(name.as_str()))
        .filter_map(|e| match &e.kind {
            proctor::event::EventKind::TaskFailed {
                message,
                duration,
                exit_code,
                ..
            } => Some((e.input, message.clone(), *duration, *exit_code)),
            _ => None,
        })
        .collect()
}

/// Finding 8: an input's `timeout` on a running Slurm step gives the
/// command its stop timeout: the stop signal comes from the wrapper (the
/// step's input closed), so a TERM trap runs to its end and its exit code
/// comes back. Before, the signal to `srun` reached the whole step, its
/// wrapper included, and Slurm killed the command at once.
#[test]
fn a_slurm_input_timeout_gives_the_step_its_stop_timeout() {
    let Some(_slurm) = Slurm::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut p = slurm_pool(
        "grace",
        "debug",
        &["trap 'sleep 2; exit 7' TERM; sleep 100 & wait", "echo quick"],
    );
    p.workers = proctor::session::Workers::saturating(1);
    p.timeout = Some(proctor::session::Seconds::from_millis(12_000));
    p.stop.timeout = proctor::session::Seconds::from_millis(8_000);
    let fails = run_pool(&mut run, p);
    let m = run.model();
    let pool = m.pool("grace").unwrap();
    assert_eq!(pool.inputs[1].result.as_deref(), Some("quick"), "{}", run.dump());
    assert_eq!(fails.len(), 1, "{fails:?}");
    assert_eq!(
        fails[0].3,
        Some(7),
        "the trap ran to its end: {fails:?}\n{}",
        run.dump()
    );
    run.finish();
}

/// Finding 8: inputs that time out while their step waits in Slurm (a
/// partition that is down) say so, with Slurm's reason, and count no busy
/// time (before: "ended without an exit code", and their wait counted as
/// work in the speedup).
#[test]
fn a_slurm_input_that_times_out_pending_says_so_and_was_not_busy() {
    let Some(_slurm) = Slurm::start() else { return };
    let mut run = Run::own_descendants_only();
    let mut p = slurm_pool("wait", "closed", &["echo a", "echo b"]);
    p.timeout = Some(proctor::session::Seconds::from_millis(4_000));
    let fails = run_pool(&mut run, p);
    assert_eq!(fails.len(), 2, "{fails:?}\n{}", run.dump());
    for (input, message, duration, _) in &fails {
        assert!(
            message.contains("timed out while pending in Slurm (reason PartitionDown)"),
            "#{input:?}: {message}\n{}",
            run.dump()
        );
        assert_eq!(*duration, 0.0, "#{input:?} never ran");
    }
    let m = run.model();
    let speed = proctor::pictures::speedup::speedup(&m.pictures.pools[0], m.pictures.last);
    assert_eq!(speed.sum, 0.0, "no busy time: {speed:?}");
    run.finish();
}

/// (input, exit code, duration, text) of a `task_cancelled`.
type Cancelled = (Option<u64>, Option<i32>, Option<f64>, String);

/// The third round's N2: inputs whose steps still wait in Slurm (a
/// partition that is down) when the user stops the pool were cancelled
/// before they started: no time, no code, no busy time (before:
/// "cancelled after 3.99s", its wait counted as work).
#[test]
fn a_slurm_input_stopped_while_pending_was_cancelled_before_it_started() {
    let Some(_slurm) = Slurm::start() else { return };
    let mut run = Run::own_descendants_only();
    let p = slurm_pool("held", "closed", &["echo a", "echo b"]);
    run.send(proctor::engine::Command::StartPool { pool: p });
    run.wait_event("a step pending", |e| {
        e.pool.as_deref() == Some("held")
            && matches!(
                &e.kind,
                proctor::event::EventKind::SlurmState {
                    state: proctor::event::slurm::SlurmState::Pending { .. },
                    ..
                }
            )
    });
    run.send(proctor::engine::Command::Pool {
        pool: "held".into(),
        action: proctor::engine::PoolAction::Terminate,
    });
    run.wait_event("pool held done", |e| {
        e.pool.as_deref() == Some("held") && e.kind.name() == "pool_done"
    });
    let cancelled: Vec<Cancelled> = run
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            proctor::event::EventKind::TaskCancelled { exit_code, duration } => {
                Some((e.input, *exit_code, *duration, e.text()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(cancelled.len(), 2, "{cancelled:?}\n{}", run.dump());
    for c in &cancelled {
        assert_eq!((c.1, c.2), (None, None), "{cancelled:?}\n{}", run.dump());
        assert!(c.3.contains("before it started"), "{cancelled:?}");
    }
    let m = run.model();
    let speed = proctor::pictures::speedup::speedup(&m.pictures.pools[0], m.pictures.last);
    assert_eq!(speed.sum, 0.0, "no busy time: {speed:?}");
    run.finish();
}
