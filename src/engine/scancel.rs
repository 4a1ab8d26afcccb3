//! `scancel`, bounded. A `scancel` that cannot reach the controller
//! retries for a while (its `MessageTimeout`, then again): it held the
//! session's end 18 s once, its jobs long gone. The pool's own cancels
//! (at its end, at a stop) run off the supervisor's thread: a waiter
//! thread reaps each, killing it past [`LIMIT`]. The session's last
//! cancel is waited for, up to [`LIMIT`], then killed and said; the
//! crash guard's `scancel --name` (see `child`) stays as the net.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The longest a `scancel` may take.
pub(super) const LIMIT: Duration = Duration::from_secs(5);

fn spawn(args: &[String]) -> Option<Child> {
    Command::new("scancel")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

/// Waits for `c` up to `limit`, killing it then; true if it ended by
/// itself.
pub(super) fn wait_bounded(c: &mut Child, limit: Duration) -> bool {
    let until = Instant::now() + limit;
    loop {
        if let Ok(Some(_)) = c.try_wait() {
            return true;
        }
        if Instant::now() >= until {
            let _ = c.kill();
            let _ = c.wait();
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `scancel [--signal=SIG] JOB...` (nothing for no job), not waited for.
pub(super) fn jobs(signal: Option<&String>, jobs: &[String]) {
    if jobs.is_empty() {
        return;
    }
    let mut args: Vec<String> = signal.map(|s| format!("--signal={s}")).into_iter().collect();
    args.extend(jobs.iter().cloned());
    if let Some(mut c) = spawn(&args) {
        // Without a thread it is waited for here (bounded all the same).
        let (tx, rx) = std::sync::mpsc::channel::<Child>();
        let waiter = std::thread::Builder::new()
            .name("proctor-scancel".into())
            .spawn(move || {
                if let Ok(mut c) = rx.recv() {
                    wait_bounded(&mut c, LIMIT);
                }
            });
        match waiter {
            Ok(_) => {
                let _ = tx.send(c);
            }
            Err(_) => {
                wait_bounded(&mut c, LIMIT);
            }
        }
    }
}

/// `scancel --name=NAME`, waited for up to [`LIMIT`]; why it did not
/// finish, if it did not.
pub(super) fn by_name(name: &str) -> Option<String> {
    let mut c = match spawn(&[format!("--name={name}")]) {
        Some(c) => c,
        None => return Some("scancel cannot run".into()),
    };
    (!wait_bounded(&mut c, LIMIT)).then(|| {
        format!(
            "scancel --name={name} did not finish within {} s (is slurmctld reachable?); it was stopped",
            LIMIT.as_secs()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_past_its_limit_is_killed_and_reaped() {
        let mut c = Command::new("sleep").arg("30").spawn().unwrap();
        let t = Instant::now();
        assert!(!wait_bounded(&mut c, Duration::from_millis(200)));
        assert!(t.elapsed() < Duration::from_secs(20));
        assert!(c.try_wait().unwrap().is_some(), "reaped");
        let mut c = Command::new("true").spawn().unwrap();
        assert!(wait_bounded(&mut c, Duration::from_secs(20)));
    }
}
