//! The command lines of remote workers, built by pure functions: a host
//! and a command in, an argument vector out. The local child is then an
//! ordinary one (`ssh ...` or `srun ...`), spawned and tracked as any.
//!
//! On the far side the command runs under [`WRAPPER`], a POSIX shell
//! script that
//! - starts it with `setsid` (its own session and process group) with the
//!   session tag in its environment;
//! - watches its own stdin, which the local side holds open and never
//!   writes to (spawn mode), or relays it to the command (persistent
//!   mode): at end of file, which is what a closed connection, a killed
//!   local `ssh` or a dead `srun` look like, it sends the stop signal to
//!   the command's group, then SIGKILL after the stop timeout (persistent
//!   mode first gives the command `grace` seconds to exit on its own, as
//!   a retired local worker gets);
//! - when the command ends, kills what is left of its group and writes
//!   the exit code in Python's convention (negative: the signal) on
//!   stderr behind a marker only this session knows, so that a lost
//!   connection (no marker) is not taken for an exit; then exits with the
//!   command's status, so that Slurm records the step as it ended (a
//!   failed command is a FAILED step with its exit code).

use crate::session::SlurmSpec;

/// The remote side (see the module's documentation). A shell starts a
/// background job with SIGINT and SIGQUIT ignored, and no shell can undo
/// that, so the command is started through `env --default-signal` (GNU
/// coreutils 8.31 and later) or else `perl`, which set them back to their
/// default as a local child has them (with neither, they stay ignored).
/// With either, the wrapper ignores SIGTERM, SIGINT and SIGHUP from its
/// first line (the command gets them back too): a step cancelled as it
/// starts (Ctrl-C, `scancel`) cannot end the wrapper before its command
/// is started and leave that command, re-parented to init, out of the
/// step's reach when SIGKILL follows (with neither, it ignores them once
/// the command is started).
/// Arguments: marker,
/// stop signal number, stop timeout (whole seconds), grace (-1: spawn
/// mode), the run's line (`PROCTOR_RUN=...`, which only the command's
/// environment holds: not the local `ssh` or `srun`, not this wrapper),
/// then the command. `z LINE SIG [PGID]` sends SIG to every process
/// carrying that line outside group PGID: what left the command's group
/// (`setsid`, a double fork) is found by it, as the local tag scan would.
/// The stop signal reaches each process once: the group gets it (the
/// leader alone if it has not made its group yet), then the sweep only
/// what is outside that group (a second SIGINT cuts a Python cleanup
/// short; a shell's TERM trap runs twice).
pub const WRAPPER: &str = r#"m=$1 s=$2 k=$3 g=$4 t=$5; shift 5
if env --default-signal=INT,QUIT,TERM,HUP true 2>/dev/null; then shift; set -- env --default-signal=INT,QUIT,TERM,HUP "$@"; trap '' TERM INT HUP
elif command -v perl >/dev/null 2>&1; then set -- perl -e '$SIG{INT}=$SIG{QUIT}=$SIG{TERM}=$SIG{HUP}="DEFAULT"; exec {$ARGV[0]} @ARGV; exit 127' "$@"; trap '' TERM INT HUP
fi
z='for f in $(grep -lzxF "$1" /proc/[0-9]*/environ 2>/dev/null); do q=${f#/proc/}; q=${q%/environ}; if [ -n "$3" ]; then x=$(cat "/proc/$q/stat" 2>/dev/null) || continue; x=${x##*) }; x=${x#* }; x=${x#* }; [ "${x%% *}" = "$3" ] && continue; fi; kill -"$2" "$q" 2>/dev/null; done'
printf '%sstart:%s:%s\n' "$m" "$(hostname 2>/dev/null || uname -n)" "${SLURM_JOB_ID:-}" >&2
exec 3<&0
d=
if [ "$g" -ge 0 ]; then
  d=$(mktemp -d) && mkfifo "$d/in" || { printf '%s%s\n' "$m" 125 >&2; exit 0; }
  setsid "$@" <"$d/in" &
  p=$!
  setsid sh -c 'trap "" TERM INT HUP; cat >"$1"; sleep "$2"; kill -"$3" -"$5" 2>/dev/null || kill -"$3" "$5" 2>/dev/null; sh -c "$7" z "$6" "$3" "$5"; sleep "$4"; kill -KILL -"$5" 2>/dev/null; sh -c "$7" z "$6" KILL' w "$d/in" "$g" "$s" "$k" "$p" "$t" "$z" <&3 &
else
  setsid "$@" </dev/null &
  p=$!
  setsid sh -c 'trap "" TERM INT HUP; cat >/dev/null; kill -"$1" -"$3" 2>/dev/null || kill -"$1" "$3" 2>/dev/null; sh -c "$5" z "$4" "$1" "$3"; sleep "$2"; kill -KILL -"$3" 2>/dev/null; sh -c "$5" z "$4" KILL' w "$s" "$k" "$p" "$t" "$z" <&3 &
fi
w=$!
exec 3<&-
# The wrapper and its watcher outlive a SIGTERM to the whole step (Slurm's
# cancel, its time limit): had they ended, a command that ignores it would
# be re-parented to init, out of the step's reach, when SIGKILL follows.
# Set at the top already when the command can be given them back.
trap '' TERM INT HUP
# Quiet: a shell says "Terminated" (dash) or the job's whole line (bash)
# of a job a signal ended, which is no output of the command's.
{ wait "$p"; } 2>/dev/null; c=$?
# The watcher by pid first: it may not have made its group yet.
{ kill -KILL "$w" -"$w"; wait "$w"; } 2>/dev/null
kill -KILL -"$p" 2>/dev/null
sh -c "$z" z "$t" KILL
[ -n "$d" ] && rm -rf "$d"
r=$c
# Above 128 a shell says a death by that signal; codes past the last
# signal number are exit codes.
[ "$c" -gt 128 ] && [ "$c" -le 192 ] && c=$((128 - c))
printf '%s%s\n' "$m" "$c" >&2
exit "$r""#;

/// How the remote side runs one command.
#[derive(Clone, Debug, PartialEq)]
pub struct Wrap<'a> {
    /// Ends the stderr line that carries the exit code (see [`marker`]).
    pub marker: &'a str,
    pub stop_signal: i32,
    pub stop_timeout_secs: u64,
    /// Persistent mode: seconds to exit after stdin ends; `None`: spawn
    /// mode (stdin is `/dev/null`, its end stops the command at once).
    pub grace_secs: Option<u64>,
    /// Variables for the command (the session tag among them).
    pub env: Vec<(String, String)>,
    /// Which run of its process this is (its `run_id`): every restart of
    /// a task and every input of a worker has a line of its own, so that
    /// what one run's wrapper sweeps is never the next run's.
    pub run: u64,
}

/// The marker of a session: `proctor-exit-TAG=`.
pub fn marker(session: &str) -> String {
    format!("proctor-exit-{session}=")
}

/// What a wrapper's stderr line says, if it is one of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Said<'a> {
    /// Not the wrapper's: an ordinary line.
    Line,
    /// The command started on this host (and Slurm job, if any); `before`
    /// is what stood before the marker on the line (output without a
    /// newline).
    Started {
        before: &'a str,
        host: &'a str,
        job: Option<&'a str>,
    },
    /// The command ended with this code (Python's convention).
    Exit { before: &'a str, code: i32 },
}

pub fn parse_line<'a>(line: &'a str, marker: &str) -> Said<'a> {
    let Some(at) = line.rfind(marker) else {
        return Said::Line;
    };
    let (before, rest) = (&line[..at], &line[at + marker.len()..]);
    if let Some(start) = rest.strip_prefix("start:") {
        let (host, job) = start.split_once(':').unwrap_or((start, ""));
        return Said::Started {
            before,
            host,
            job: Some(job).filter(|j| !j.is_empty()),
        };
    }
    match rest.parse::<i32>() {
        Ok(code) => Said::Exit { before, code },
        Err(_) => Said::Line,
    }
}

/// Quotes one word for a POSIX shell.
pub fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@,+%".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The wrapped command as an argument vector (for `srun`, which runs it
/// without a shell).
pub fn wrapped_argv(w: &Wrap<'_>, argv: &[String]) -> Vec<String> {
    let mut out = vec![
        "sh".to_string(),
        "-c".to_string(),
        WRAPPER.to_string(),
        "proctor-remote".to_string(),
        w.marker.to_string(),
        w.stop_signal.to_string(),
        w.stop_timeout_secs.to_string(),
        w.grace_secs
            .map_or(-1, |g| g.min(i64::MAX as u64) as i64)
            .to_string(),
        run_line(w),
        "env".to_string(),
        run_line(w),
    ];
    out.extend(w.env.iter().map(|(k, v)| format!("{k}={v}")));
    out.extend(argv.iter().cloned());
    out
}

/// The `PROCTOR_RUN=` line of a run: its session and process, given to
/// the command alone (the wrapper finds what it left behind by it).
fn run_line(w: &Wrap<'_>) -> String {
    let of = |name: &str| {
        w.env
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
            .to_string()
    };
    run_line_of(
        &of(crate::engine::tree::SESSION_VAR),
        &of("PROCTOR_PROCESS"),
        w.run,
    )
}

/// The `PROCTOR_RUN=` line of run `run` of process `process` of session
/// `session`.
pub fn run_line_of(session: &str, process: &str, run: u64) -> String {
    format!("PROCTOR_RUN={session}/{process}/{run}")
}

/// The wrapped command as one line for the remote login shell (what
/// `ssh` sends).
pub fn remote_line(w: &Wrap<'_>, argv: &[String]) -> String {
    wrapped_argv(w, argv)
        .iter()
        .map(|a| quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Options Proctor gives every `ssh`, after the user's (the first value
/// of an option wins, so the user's `ssh_options` override these).
fn common(ssh_options: &[String], control: &str) -> Vec<String> {
    let mut a = vec!["ssh".to_string()];
    a.extend(ssh_options.iter().cloned());
    for o in [
        "BatchMode=yes",
        "ConnectTimeout=10",
        "ServerAliveInterval=5",
        "ServerAliveCountMax=3",
    ] {
        a.push("-o".into());
        a.push(o.into());
    }
    a.push("-o".into());
    a.push(format!("ControlPath={control}"));
    a
}

/// One worker slot's `ssh`: through the host's master connection, no
/// terminal, the wrapped command. Only through it: when the master
/// refuses a session (sshd's `MaxSessions`) or is gone, OpenSSH would
/// log in on a connection of its own, one login per input; the option
/// put first (the first value of an option wins) makes that fallback
/// fail at once, so that the refusal is seen and the slot retired (see
/// [`no_fallback`]).
pub fn ssh_argv(dest: &str, ssh_options: &[String], control: &str, remote: &str) -> Vec<String> {
    let mut a = vec![
        "ssh".to_string(),
        "-o".to_string(),
        no_fallback(ssh_options).to_string(),
    ];
    a.extend(common(ssh_options, control).into_iter().skip(1));
    a.extend(["-o", "ControlMaster=no", "-T", "--", dest, remote].map(String::from));
    a
}

/// The option that stops a session through the master from falling back
/// to a login of its own: a proxy command that fails (no connection is
/// even tried); with the user's `-J` on the command line, which ssh
/// refuses beside a proxy command, no authentication method instead (the
/// fallback connects, and fails to log in).
pub fn no_fallback(ssh_options: &[String]) -> &'static str {
    let jump = ssh_options.iter().any(|o| o.starts_with("-J"));
    if jump {
        "PreferredAuthentications=none"
    } else {
        "ProxyCommand=false"
    }
}

/// The host's master connection: in the foreground, no command.
pub fn master_argv(dest: &str, ssh_options: &[String], control: &str) -> Vec<String> {
    let mut a = common(ssh_options, control);
    a.extend(
        [
            "-o",
            "ControlMaster=yes",
            "-o",
            "ControlPersist=no",
            "-N",
            "-T",
            "--",
            dest,
        ]
        .map(String::from),
    );
    a
}

/// Asks the master to end (`ssh -O exit`).
pub fn exit_argv(dest: &str, ssh_options: &[String], control: &str) -> Vec<String> {
    let mut a = vec!["ssh".to_string()];
    a.extend(ssh_options.iter().cloned());
    a.extend(["-o".to_string(), format!("ControlPath={control}")]);
    a.extend(["-O", "exit", "--", dest].map(String::from));
    a
}

/// The job name every Slurm job of a session has (what `scancel --name`
/// finds).
pub fn slurm_job_name(session: &str) -> String {
    format!("proctor-{session}")
}

/// One input as one `srun` job step.
pub fn srun_argv(spec: &SlurmSpec, session: &str, comment: &str, wrapped: Vec<String>) -> Vec<String> {
    let mut a = vec![
        "srun".to_string(),
        format!("--job-name={}", slurm_job_name(session)),
        format!("--comment={comment}"),
        "--ntasks=1".to_string(),
        "--nodes=1".to_string(),
        format!("--cpus-per-task={}", spec.cpus_per_task),
    ];
    if let Some(p) = &spec.partition {
        a.push(format!("--partition={p}"));
    }
    if let Some(t) = &spec.time {
        a.push(format!("--time={t}"));
    }
    a.extend(spec.extra.iter().cloned());
    a.push("--".to_string());
    a.extend(wrapped);
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrap(grace: Option<u64>) -> Wrap<'static> {
        Wrap {
            marker: "proctor-exit-1-2=",
            stop_signal: 15,
            stop_timeout_secs: 5,
            grace_secs: grace,
            env: vec![("PROCTOR_SESSION".into(), "1-2".into())],
            run: 7,
        }
    }

    #[test]
    fn quoting_survives_a_shell() {
        for s in ["plain", "", "a b", "it's", "$(rm -rf /)", "a\nb", "'", "\\"] {
            let out = std::process::Command::new("sh")
                .args(["-c", &format!("printf %s {}", quote(s))])
                .output()
                .unwrap();
            assert_eq!(String::from_utf8_lossy(&out.stdout), s);
        }
    }

    #[test]
    fn a_worker_ssh_cannot_fall_back_to_a_login_of_its_own() {
        let a = ssh_argv("h", &["-F".into(), "cfg".into()], "/c", "x");
        assert_eq!(&a[..3], ["ssh", "-o", "ProxyCommand=false"]);
        let a = ssh_argv("h", &["-J".into(), "jump".into()], "/c", "x");
        assert_eq!(&a[..3], ["ssh", "-o", "PreferredAuthentications=none"]);
        assert_eq!(no_fallback(&["-Jjump".into()]), "PreferredAuthentications=none");
        // The master itself logs in as configured.
        assert!(!master_argv("h", &[], "/c")
            .iter()
            .any(|w| w.contains("ProxyCommand")));
    }

    #[test]
    fn ssh_line_has_the_users_options_first_and_the_host_after_dashes() {
        let remote = remote_line(&wrap(None), &["echo".into(), "a b".into()]);
        let a = ssh_argv("u@h", &["-F".into(), "cfg".into()], "/tmp/c/h0", &remote);
        assert_eq!(&a[3..5], ["-F", "cfg"]);
        assert!(a.contains(&"BatchMode=yes".to_string()));
        assert!(a.contains(&"ControlPath=/tmp/c/h0".to_string()));
        let n = a.len();
        assert_eq!(&a[n - 3..n - 1], ["--", "u@h"]);
        assert!(
            a[n - 1].ends_with("env PROCTOR_RUN=1-2//7 PROCTOR_SESSION=1-2 echo 'a b'"),
            "{}",
            a[n - 1]
        );
        let m = master_argv("h", &[], "/c");
        assert!(m.contains(&"-N".to_string()) && m.contains(&"ControlMaster=yes".to_string()));
        assert_eq!(exit_argv("h", &[], "/c")[3..], ["-O", "exit", "--", "h"]);
    }

    #[test]
    fn markers_parse() {
        let m = "proctor-exit-1-2=";
        assert_eq!(parse_line("hello", m), Said::Line);
        assert_eq!(
            parse_line("proctor-exit-1-2=0", m),
            Said::Exit { before: "", code: 0 }
        );
        assert_eq!(
            parse_line("partproctor-exit-1-2=-9", m),
            Said::Exit {
                before: "part",
                code: -9
            }
        );
        assert_eq!(
            parse_line("proctor-exit-1-2=start:node1:42", m),
            Said::Started {
                before: "",
                host: "node1",
                job: Some("42")
            }
        );
        assert_eq!(
            parse_line("proctor-exit-1-2=start:h:", m),
            Said::Started {
                before: "",
                host: "h",
                job: None
            }
        );
        assert_eq!(parse_line("proctor-exit-1-2=x", m), Said::Line);
    }

    /// The wrapper under `dash` and `bash` says nothing of its own but
    /// its marker lines, when the command or its watcher is killed (it
    /// printed "Terminated", or bash the watcher's whole command line).
    #[test]
    fn the_wrapper_prints_no_job_notices() {
        use std::process::{Command, Stdio};
        for shell in ["dash", "bash"] {
            if Command::new(shell).arg("-c").arg("true").status().is_err() {
                continue;
            }
            for cmd in [&["sleep", "30"][..], &["sh", "-c", "trap '' TERM; sleep 30"]] {
                let argv: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
                let mut quick = wrap(None);
                quick.stop_timeout_secs = 1;
                let mut w = wrapped_argv(&quick, &argv);
                w[0] = shell.to_string();
                let mut c = Command::new(&w[0])
                    .args(&w[1..])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                std::thread::sleep(std::time::Duration::from_millis(300));
                drop(c.stdin.take());
                let out = c.wait_with_output().unwrap();
                let err = String::from_utf8_lossy(&out.stderr).to_string();
                assert!(
                    err.lines().all(|l| l.starts_with("proctor-exit-1-2=")),
                    "{shell} {cmd:?}: {err:?}"
                );
            }
        }
    }

    /// The wrapper, run here by `sh`: exit codes and signals come back in
    /// Python's convention, and the end of stdin stops the command.
    #[test]
    fn the_wrapper_reports_exits_and_stops_at_the_end_of_stdin() {
        use std::io::Write;
        use std::process::{Command, Stdio};
        let run = |argv: &[&str], grace: Option<u64>| {
            let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
            let w = wrapped_argv(&wrap(grace), &argv);
            let mut c = Command::new(&w[0])
                .args(&w[1..])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let stdin = c.stdin.take().unwrap();
            (c, stdin)
        };
        let code = |c: std::process::Child| {
            let out = c.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr).to_string();
            err.lines()
                .find_map(|l| match parse_line(l, "proctor-exit-1-2=") {
                    Said::Exit { code, .. } => Some(code),
                    _ => None,
                })
                .unwrap_or_else(|| panic!("no exit in {err:?}"))
        };
        let (c, _keep) = run(&["sh", "-c", "exit 3"], None);
        assert_eq!(code(c), 3);
        let (c, _keep) = run(&["sh", "-c", "kill -9 $$"], None);
        assert_eq!(code(c), -9);
        // SIGINT and SIGQUIT are not ignored (a background job's are).
        let (c, _keep) = run(&["sh", "-c", "kill -2 $$; exit 5"], None);
        assert_eq!(code(c), -2);
        let (c, _keep) = run(&["sh", "-c", "kill -3 $$; exit 5"], None);
        assert_eq!(code(c), -3);
        // Nor SIGTERM and SIGHUP, which the wrapper itself ignores.
        let (c, _keep) = run(&["sh", "-c", "kill -15 $$; exit 5"], None);
        assert_eq!(code(c), -15);
        let (c, _keep) = run(&["sh", "-c", "kill -1 $$; exit 5"], None);
        assert_eq!(code(c), -1);
        // Its environment has the tag.
        let (c, _keep) = run(&["sh", "-c", "[ \"$PROCTOR_SESSION\" = 1-2 ]"], None);
        assert_eq!(code(c), 0);
        // The end of stdin (the connection gone) stops it with the stop signal.
        let (c, stdin) = run(&["sleep", "30"], None);
        std::thread::sleep(std::time::Duration::from_millis(200));
        drop(stdin);
        assert_eq!(code(c), -15);
        // Persistent mode: its stdin is relayed, and it may end on its own.
        let (c, mut stdin) = run(&["sh", "-c", "read x; [ \"$x\" = hi ] && exit 4"], Some(10));
        stdin.write_all(b"hi\n").unwrap();
        drop(stdin);
        assert_eq!(code(c), 4);
    }
}
