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
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proctor"))
        .arg("run")
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
