//! Signals to a remote task's processes on its host: Pause, Resume, Send
//! signal and Kill of a task that runs over SSH must reach the command's
//! tree on the far side, not only the local `ssh` (a stopped `ssh` leaves
//! the command running; a killed one only closes the connection).
//!
//! A short second `ssh` through the host's master connection runs
//! [`SCRIPT`], which sends the signal to every process whose environment
//! carries the run's `PROCTOR_RUN=<session>/<process>/<run>` line (one of its own for every restart and every input): the command,
//! its group, and what left the group (`setsid`, a double fork), as the
//! wrapper's own sweep finds them (see `argv::WRAPPER`). The wrapper and
//! its watcher do not carry the line, so they stay to report the end.
//!
//! The `ssh` is a child polled by the supervisor (never waited for): one
//! that has not answered within [`LIMIT`] is killed and said to have
//! failed, so that a host that hangs does not hang anything.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Arguments: the run's line, the signal's name without `SIG`. Prints how
/// many processes it reached.
pub const SCRIPT: &str = r#"n=0
for f in $(grep -lzxF "$1" /proc/[0-9]*/environ 2>/dev/null); do q=${f#/proc/}; q=${q%/environ}; kill -"$2" "$q" 2>/dev/null && n=$((n+1)); done
echo "$n""#;

/// How long a signal's `ssh` may take.
pub const LIMIT: Duration = Duration::from_secs(10);

/// The remote line that signals a run's processes (what `ssh` sends).
pub fn remote_line(run_line: &str, signal: &str) -> String {
    let sig = signal.strip_prefix("SIG").unwrap_or(signal);
    ["sh", "-c", SCRIPT, "proctor-signal", run_line, sig]
        .iter()
        .map(|a| super::argv::quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A signal's `ssh` on its way.
pub(in crate::engine) struct Sending {
    child: Child,
    started: Instant,
    /// The task's key and run (its generation).
    pub key: usize,
    pub gen: u32,
    /// The signal's name (`SIGSTOP`).
    pub signal: String,
}

/// How a signal's `ssh` ended.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::engine) enum Sent {
    /// It reached this many processes (0: none carried the line).
    Reached(usize),
    Failed(String),
}

impl Sending {
    pub fn start(argv: &[String], key: usize, gen: u32, signal: &str) -> Result<Self, String> {
        let mut c = Command::new(&argv[0]);
        c.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // SAFETY: prctl with integer arguments is async-signal-safe.
        unsafe {
            c.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
                Ok(())
            });
        }
        let child = c.spawn().map_err(|e| format!("cannot run ssh: {e}"))?;
        Ok(Self {
            child,
            started: Instant::now(),
            key,
            gen,
            signal: signal.to_string(),
        })
    }

    /// Its outcome once it ended (or was killed past [`LIMIT`]).
    pub fn poll(&mut self) -> Option<Sent> {
        match self.child.try_wait() {
            Ok(Some(st)) => {
                let out = read_all(self.child.stdout.take());
                let err = read_all(self.child.stderr.take());
                Some(outcome(st.code(), &out, &err))
            }
            Ok(None) if self.started.elapsed() < LIMIT => None,
            _ => {
                self.kill();
                Some(Sent::Failed(format!(
                    "no answer from the host in {} s",
                    LIMIT.as_secs()
                )))
            }
        }
    }

    /// Ends it now (the session ends).
    pub fn kill(&mut self) {
        // SAFETY: it leads its own group; its pid is unreaped.
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

/// What an exited child wrote (bounded; it exited, so nothing blocks
/// unless something it started holds the pipe: then nothing is read).
fn read_all(p: Option<impl Read + std::os::fd::AsRawFd>) -> String {
    let Some(mut p) = p else { return String::new() };
    // SAFETY: setting O_NONBLOCK on a pipe we own.
    unsafe { libc::fcntl(p.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    let mut buf = vec![0; 4096];
    match p.read(&mut buf) {
        Ok(n) => String::from_utf8_lossy(&buf[..n]).into_owned(),
        Err(_) => String::new(),
    }
}

/// The outcome of a signal's `ssh` from its exit code and output.
pub(in crate::engine) fn outcome(code: Option<i32>, out: &str, err: &str) -> Sent {
    let err = super::why::shorten(&err.split_whitespace().collect::<Vec<_>>().join(" "));
    match (code, out.trim().parse::<usize>()) {
        (Some(0), Ok(n)) => Sent::Reached(n),
        (Some(c), _) if !err.is_empty() => Sent::Failed(format!("ssh exited with {c}: {err}")),
        (Some(c), _) => Sent::Failed(format!("ssh exited with {c}")),
        (None, _) => Sent::Failed("ssh was killed".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_the_count_or_say_why() {
        assert_eq!(outcome(Some(0), "3\n", ""), Sent::Reached(3));
        assert_eq!(outcome(Some(0), "0\n", ""), Sent::Reached(0));
        assert_eq!(
            outcome(Some(255), "", "Control socket connect(x): No such file\n"),
            Sent::Failed("ssh exited with 255: Control socket connect(x): No such file".into())
        );
        assert_eq!(outcome(Some(1), "", ""), Sent::Failed("ssh exited with 1".into()));
        assert_eq!(outcome(None, "", ""), Sent::Failed("ssh was killed".into()));
    }

    /// The script, run here: it signals what carries the line and nothing
    /// else, and counts it.
    #[test]
    fn the_script_reaches_what_carries_the_line() {
        let line = format!("PROCTOR_RUN=test-{}/x", std::process::id());
        let mut marked = Command::new("sleep")
            .arg("30")
            .env("PROCTOR_RUN", line.trim_start_matches("PROCTOR_RUN="))
            .spawn()
            .unwrap();
        let mut other = Command::new("sleep").arg("30").spawn().unwrap();
        let run = |sig: &str| {
            let out = Command::new("sh")
                .args(["-c", &remote_line(&line, sig)])
                .output()
                .unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        };
        assert_eq!(run("SIGTERM"), "1");
        assert!(marked.wait().is_ok());
        assert_eq!(other.try_wait().unwrap(), None, "the other sleep runs on");
        assert_eq!(run("SIGTERM"), "0");
        let _ = other.kill();
        let _ = other.wait();
    }
}
