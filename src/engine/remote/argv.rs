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
#[path = "argv_tests.rs"]
mod tests;
