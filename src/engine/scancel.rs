//! `scancel`, bounded. A `scancel` that cannot reach the controller
//! retries for a while (its `MessageTimeout`, then again): it held the
//! session's end 18 s once, its jobs long gone. The pool's own cancels
//! (at its end, at a stop) run off the supervisor's thread: a waiter
//! thread reaps each, killing it past [`LIMIT`]. The session's last
//! cancel is waited for, up to [`LIMIT`]; if it did not finish, a
//! retrier that outlives the session tries again for up to two minutes
//! ([`retry_detached`]), and the user is told which jobs may still run
//! and the command to cancel them; the crash guard (see `child`) runs
//! the same retrier for a killed Proctor.

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

/// The tries of the retrier that outlives the session, the longest each
/// may take (seconds) and the pause between them (seconds): at most
/// 8 × (10 + 5) s, two minutes.
pub(super) const RETRY: (u32, u32, u32) = (8, 10, 5);

/// The retrier: `scancel --name=$0` until it succeeds (a `scancel` that
/// reached the controller exits 0, jobs or none), each try bounded by
/// `timeout` where there is one.
pub(super) const RETRY_SCRIPT: &str = r#"n=0
while [ "$n" -lt "$1" ]; do
  if command -v timeout >/dev/null 2>&1; then timeout -k 2 "$2" scancel --name="$0"; else scancel --name="$0"; fi && exit 0
  n=$((n+1)); sleep "$3"
done"#;

/// Starts the retrier of `scancel --name=NAME`, detached: its own group,
/// not the session's tag, not Proctor's child once started (so that it
/// outlives `proctor run`, and a Ctrl-C at the terminal does not end it).
/// False if it could not start.
pub(super) fn retry_detached(name: &str) -> bool {
    use std::os::unix::process::CommandExt;
    let (tries, each, pause) = RETRY;
    let inner = format!(
        "sh -c {} {} {tries} {each} {pause} </dev/null >/dev/null 2>&1 &",
        super::remote::argv::quote(RETRY_SCRIPT),
        super::remote::argv::quote(name)
    );
    let outer = Command::new("/bin/sh")
        .args(["-c", &inner])
        .env_remove(super::tree::SESSION_VAR)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn();
    match outer {
        // The outer shell only starts the loop in the background.
        Ok(mut c) => wait_bounded(&mut c, LIMIT),
        Err(_) => false,
    }
}

/// The most job ids named in a message.
const IDS_SHOWN: usize = 20;

/// What is said when the session's cancel could not be confirmed: why,
/// the jobs that may still run, what is retried, and what to run.
pub(super) fn unconfirmed(why: &str, name: &str, ids: &[&str], retrying: bool) -> String {
    let (tries, each, pause) = RETRY;
    let total = tries * (each + pause);
    let jobs = match ids.len() {
        0 => "its jobs".to_string(),
        n if n <= IDS_SHOWN => format!("its jobs ({})", ids.join(" ")),
        n => format!(
            "its jobs ({} and {} more)",
            ids[..IDS_SHOWN].join(" "),
            n - IDS_SHOWN
        ),
    };
    let retry = if retrying {
        format!("a background scancel retries for up to {total} s; ")
    } else {
        String::new()
    };
    format!(
        "the cancel of this session's Slurm jobs could not be confirmed: {why}. Slurm may still run {jobs}; {retry}check with `squeue --name={name}` and cancel with `scancel --name={name}`"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unconfirmed_cancel_names_the_jobs_and_the_command() {
        let m = unconfirmed("scancel did not finish", "proctor-1-2", &["41", "42"], true);
        assert!(
            m.contains("could not be confirmed: scancel did not finish"),
            "{m}"
        );
        assert!(m.contains("its jobs (41 42)"), "{m}");
        assert!(m.contains("retries for up to 120 s"), "{m}");
        assert!(m.contains("`scancel --name=proctor-1-2`"), "{m}");
        let many: Vec<String> = (0..25).map(|i| i.to_string()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let m = unconfirmed("x", "n", &many, false);
        assert!(m.contains("19 and 5 more)"), "{m}");
        assert!(!m.contains("background"), "{m}");
        assert!(unconfirmed("x", "n", &[], false).contains("run its jobs;"));
    }

    /// The retrier, run here with a `scancel` of the test's own on PATH:
    /// it tries until one succeeds, and stops there.
    #[test]
    fn the_retrier_tries_until_a_scancel_succeeds() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        let fake = dir.path().join("scancel");
        // Fails twice, then succeeds; logs each call.
        std::fs::write(
            &fake,
            format!(
                "#!/bin/sh\necho \"$1\" >> {0}\n[ $(wc -l < {0}) -ge 3 ]\n",
                log.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let path = format!(
            "{}:{}",
            dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let st = Command::new("sh")
            .args(["-c", RETRY_SCRIPT, "proctor-x", "5", "5", "0"])
            .env("PATH", path)
            .status()
            .unwrap();
        assert!(st.success());
        let calls = std::fs::read_to_string(&log).unwrap();
        assert_eq!(calls.lines().collect::<Vec<_>>(), ["--name=proctor-x"; 3]);
    }

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
