//! Starting a child, signalling its process group, reaping it.

use super::os_limits::{dev_null, pipe};
use super::spawn::{Prepared, SpawnCache, SpawnError};
use crate::event::exit::exit_code_from_wait_status;
use crate::event::Usage;
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Stdio;

pub struct SpawnRequest<'a> {
    pub name: &'a str,
    /// The session tag every child (and so its descendants) carries.
    pub session: &'a str,
    pub argv: &'a [String],
    pub cwd: &'a Path,
    pub env: &'a BTreeMap<String, String>,
    /// A pipe to the child's stdin (persistent pool workers); else /dev/null.
    pub stdin_pipe: bool,
    /// `cgroup.procs` of the cgroup the child joins before exec.
    pub cgroup_procs: Option<std::os::fd::RawFd>,
    /// Under a pseudo-terminal: its output is the master's (stderr is
    /// empty), and `stdin_pipe` writes to the terminal.
    pub pty: bool,
}

pub struct Spawned {
    pub pid: i32,
    pub pidfd: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: OwnedFd,
    pub stdin: Option<OwnedFd>,
    /// Our copies of the write ends of stdout and stderr, held until the
    /// child's exit is handled: the pipes then reach EOF at that moment
    /// rather than a few microseconds before it, which would wake the
    /// supervisor twice for one exit.
    /// None when the open-files limit is too low to spare them.
    pub writers: Option<[OwnedFd; 2]>,
    /// Whether it joined the cgroup of `SpawnRequest::cgroup_procs`.
    pub in_cgroup: bool,
}

/// Why a child did not start.
#[derive(Debug)]
pub struct SpawnFailure {
    pub message: String,
    /// For want of file descriptors (`EMFILE`, `ENFILE`): not the
    /// command's fault, and worth waiting for (see `fd_wait`).
    pub no_fds: bool,
}

impl From<String> for SpawnFailure {
    fn from(message: String) -> Self {
        Self {
            message,
            no_fds: false,
        }
    }
}

/// Starts a child in its own process group with stdout and stderr piped.
///
/// Spawning happens on the supervisor thread, which lives as long as the
/// engine: `PR_SET_PDEATHSIG` is tied to the thread that forked, so the
/// children get SIGKILL if Proctor dies. See `spawn` for how.
pub fn spawn(req: &SpawnRequest<'_>, cache: &mut SpawnCache) -> Result<Spawned, SpawnFailure> {
    use std::os::fd::AsRawFd;
    let program = &req.argv[0];
    let path_var = match req.env.get("PATH") {
        Some(p) => Some(std::ffi::OsString::from(p)),
        None => cache
            .base_env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.clone()),
    };
    let resolved = cache
        .resolve(program, path_var.as_deref())
        .map_err(|e| describe_spawn_error(program, &e))?;
    let mut env: Vec<(std::ffi::OsString, std::ffi::OsString)> =
        req.env.iter().map(|(k, v)| (k.into(), v.into())).collect();
    env.push((super::tree::PROCESS_VAR.into(), req.name.into()));
    env.push((super::tree::SESSION_VAR.into(), req.session.into()));
    let mut prep = Prepared::with_base(&resolved, req.argv, cache.base_envp.clone(), &env, req.cwd)?;
    prep.cgroup_procs = req.cgroup_procs.unwrap_or(-1);
    let io = |e: std::io::Error| SpawnFailure {
        message: format!("cannot start `{program}`: {e}"),
        no_fds: super::fd_wait::is_shortage(e.raw_os_error()),
    };
    if req.pty {
        prep.controlling_tty = true;
        return spawn_pty(req, &prep, cache).map_err(|e| match e {
            SpawnError::Chdir(e) => SpawnFailure {
                message: format!("working directory {}: {e}", req.cwd.display()),
                no_fds: false,
            },
            SpawnError::Exec(e) => {
                cache.forget(program);
                SpawnFailure {
                    message: describe_spawn_error(program, &e),
                    no_fds: false,
                }
            }
            SpawnError::Other(e) => io(e),
        });
    }
    let (out_r, out_w) = pipe().map_err(io)?;
    let (err_r, err_w) = pipe().map_err(io)?;
    let (stdin_child, stdin_parent) = if req.stdin_pipe {
        let (r, w) = pipe().map_err(io)?;
        (Some(r), Some(w))
    } else {
        (None, None)
    };
    if cache.dev_null.is_none() {
        cache.dev_null = Some(dev_null().map_err(io)?);
    }
    let stdin_fd = match (&stdin_child, &cache.dev_null) {
        (Some(fd), _) | (None, Some(fd)) => fd.as_raw_fd(),
        (None, None) => unreachable!("opened above"),
    };
    let child = super::spawn::spawn(
        &prep,
        [stdin_fd, out_w.as_raw_fd(), err_w.as_raw_fd()],
        &mut cache.stack,
    )
    .map_err(|e| match e {
        SpawnError::Chdir(e) => format!("working directory {}: {e}", req.cwd.display()).into(),
        SpawnError::Exec(e) if super::fd_wait::is_shortage(e.raw_os_error()) => io(e),
        SpawnError::Exec(e) => {
            cache.forget(program);
            describe_spawn_error(program, &e).into()
        }
        SpawnError::Other(e) => io(e),
    })?;
    drop(stdin_child);
    for fd in [Some(&out_r), Some(&err_r), stdin_parent.as_ref()]
        .into_iter()
        .flatten()
    {
        // Our ends only; the flags of a fresh pipe end are known.
        // SAFETY: fcntl on a descriptor we own.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    }
    Ok(Spawned {
        pid: child.pid,
        pidfd: child.pidfd,
        stdout: out_r,
        stderr: err_r,
        stdin: stdin_parent,
        writers: super::os_limits::hold_pipe_writers(err_w.as_raw_fd()).then_some([out_w, err_w]),
        in_cgroup: child.in_cgroup,
    })
}

/// `spawn` under a pseudo-terminal.
fn spawn_pty(req: &SpawnRequest<'_>, prep: &Prepared, cache: &mut SpawnCache) -> Result<Spawned, SpawnError> {
    use std::os::fd::AsRawFd;
    let t = super::pty::open().map_err(SpawnError::Other)?;
    // stderr goes to the terminal too: its pipe is empty and ends at once.
    let (err_r, err_w) = pipe().map_err(SpawnError::Other)?;
    drop(err_w);
    let slave = t.slave.as_raw_fd();
    let child = super::spawn::spawn(prep, [slave, slave, slave], &mut cache.stack)?;
    drop(t.slave);
    let stdin = if req.stdin_pipe {
        Some(t.master.try_clone().map_err(SpawnError::Other)?)
    } else {
        None
    };
    for fd in [Some(&t.master), Some(&err_r), stdin.as_ref()]
        .into_iter()
        .flatten()
    {
        // SAFETY: fcntl on a descriptor we own.
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    }
    Ok(Spawned {
        pid: child.pid,
        pidfd: child.pidfd,
        stdout: t.master,
        stderr: err_r,
        stdin,
        // The slave is not held: the master reads EIO (the end) once
        // every process on the terminal has closed it.
        writers: None,
        in_cgroup: child.in_cgroup,
    })
}

fn describe_spawn_error(program: &str, e: &std::io::Error) -> String {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or command",
        std::io::ErrorKind::PermissionDenied => "permission denied (is it executable?)",
        _ => "cannot start",
    };
    format!("cannot start `{program}`: {what} ({e})")
}

/// Reaps `pid` if it has exited: its exit code and resource usage.
pub fn try_reap(pid: i32) -> Option<(i32, Usage)> {
    let mut status = 0;
    // SAFETY: rusage is plain data, zero-initialised is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waiting for our own child with valid out-pointers.
    let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
    if r != pid {
        return None;
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    Some((
        exit_code_from_wait_status(status),
        Usage {
            // `ru_maxrss` is Proctor's own (see `peak`): sampled instead.
            peak_rss_kb: None,
            user_cpu: secs(ru.ru_utime),
            sys_cpu: secs(ru.ru_stime),
        },
    ))
}

/// Sends a signal to every process of a group.
pub fn signal_group(pgid: i32, sig: Signal) -> nix::Result<()> {
    killpg(Pid::from_raw(pgid), sig)
}

/// Whether any process of the group still exists (zombies included).
pub fn group_alive(pgid: i32) -> bool {
    killpg(Pid::from_raw(pgid), None).is_ok()
}

/// Reaps one exited child of group `pgid` (the leader or an orphan of the
/// group that was adopted because we are a subreaper), if any.
pub fn reap_group_member(pgid: i32) -> Option<(i32, i32, Usage)> {
    let mut status = 0;
    // SAFETY: rusage is plain data; zero-initialised is valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on a process group with valid out-pointers.
    let r = unsafe { libc::wait4(-pgid, &mut status, libc::WNOHANG, &mut ru) };
    if r <= 0 {
        return None;
    }
    let secs = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    Some((
        r,
        exit_code_from_wait_status(status),
        Usage {
            // `ru_maxrss` is Proctor's own (see `peak`): sampled instead.
            peak_rss_kb: None,
            user_cpu: secs(ru.ru_utime),
            sys_cpu: secs(ru.ru_stime),
        },
    ))
}

/// Makes this process adopt its orphaned descendants (grandchildren whose
/// parent exited), so that they are reaped here and can be tracked.
pub fn become_subreaper() {
    // SAFETY: a plain prctl with integer arguments.
    unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
}

/// The crash guard: a tiny shell process that outlives Proctor. It waits on
/// a pipe whose only writer is Proctor; when Proctor dies in any way
/// (SIGKILL included) the pipe closes and the guard kills the session's
/// cgroup, if it has one (which reaches a grandchild that cleared its
/// environment and made itself non-dumpable), and every process tagged with
/// this session, grandchildren in other sessions included; then it removes
/// the emptied cgroups. On a clean shutdown Proctor writes `exit` first and
/// the guard just leaves. Once a Slurm pool started (`slurm` written), it
/// also cancels every Slurm job named after the session, trying again for
/// up to two minutes while the controller does not answer.
pub struct Watchdog {
    child: std::process::Child,
    pipe: Option<std::process::ChildStdin>,
    slurm: bool,
}

const WATCHDOG_SCRIPT: &str = r#"trap '' INT TERM HUP PIPE
slurm=
while read -r cmd; do
  case $cmd in exit) exit 0 ;; slurm) slurm=1 ;; esac
done
[ -n "$1" ] && echo 1 > "$1/cgroup.kill"
tag="PROCTOR_SESSION=$0"
i=0
while [ "$2" != notag ] && [ $i -lt 5 ]; do
  for f in $(grep -lzxF "$tag" /proc/[0-9]*/environ 2>/dev/null); do
    p=${f#/proc/}; kill -9 "${p%/environ}" 2>/dev/null
  done
  i=$((i+1)); sleep 0.05
done
rm -rf "${TMPDIR:-/tmp}/proctor-ssh-${0%%-*}-"* 2>/dev/null
[ -n "$1" ] && { for d in "$1"/*/; do rmdir "$d"; done; rmdir "$1"; } 2>/dev/null
[ -n "$slurm" ] && sh -c "$3" "proctor-$0" "$4" "$5" "$6" >/dev/null 2>&1"#;

impl Watchdog {
    /// `cgroup`: the session's cgroup directory, if it has one.
    pub fn spawn(session: &str, cgroup: Option<&Path>) -> std::io::Result<Self> {
        let cgroup = cgroup.map(Path::as_os_str).unwrap_or_default();
        let tags: &std::ffi::OsStr = if super::tree::tag_scan() {
            "tag".as_ref()
        } else {
            "notag".as_ref()
        };
        // Its Slurm cancel is retried as the session end's is (see
        // `scancel::retry_detached`): one `scancel` gives up while the
        // controller does not answer.
        let (tries, each, pause) = super::scancel::RETRY;
        let (tries, each, pause) = (tries.to_string(), each.to_string(), pause.to_string());
        let args: [&std::ffi::OsStr; 9] = [
            "-c".as_ref(),
            WATCHDOG_SCRIPT.as_ref(),
            session.as_ref(),
            cgroup,
            tags,
            super::scancel::RETRY_SCRIPT.as_ref(),
            tries.as_ref(),
            each.as_ref(),
            pause.as_ref(),
        ];
        let mut child = std::process::Command::new("/bin/sh")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .env_remove(super::tree::SESSION_VAR)
            .process_group(0)
            .spawn()?;
        let pipe = child.stdin.take();
        Ok(Self {
            child,
            pipe,
            slurm: false,
        })
    }

    /// A Slurm pool started: if Proctor dies, the guard cancels the
    /// session's jobs too.
    pub fn note_slurm(&mut self) {
        if self.slurm {
            return;
        }
        self.slurm = true;
        if let Some(p) = self.pipe.as_mut() {
            use std::io::Write;
            let _ = p.write_all(b"slurm\n");
        }
    }

    pub fn slurm_noted(&self) -> bool {
        self.slurm
    }

    /// A clean exit: the guard leaves without scanning.
    pub fn dismiss(mut self) {
        if let Some(mut p) = self.pipe.take() {
            use std::io::Write;
            let _ = p.write_all(b"exit\n");
        }
        let _ = self.child.wait();
    }
}
