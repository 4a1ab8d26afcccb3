//! Starting a child the way `posix_spawn` does, with what `posix_spawn`
//! cannot do: `PR_SET_PDEATHSIG`.
//!
//! std's `Command` falls back to `fork` as soon as `pre_exec` is used, and
//! `fork` copies the page tables of the whole supervisor for every child;
//! it then blocks on a pipe until the child has exec'd. Here the child is
//! made with `clone(CLONE_VM | CLONE_VFORK | CLONE_PIDFD)`: it shares our
//! memory and runs on a small stack of its own until `execve`, while this
//! thread waits (that is what `vfork` means). Everything it needs (paths,
//! argument and environment vectors, file descriptors) is prepared before;
//! between clone and exec it makes only raw system calls, and it reports a
//! failure by writing the stage and errno into shared memory before it
//! exits. `CLONE_PIDFD` hands us a pidfd for the child atomically.

use super::os_limits::{original_nofile, set_own_slice, short_slice_here};
use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// What the child needs, prepared in the parent.
pub struct Prepared {
    path: CString,
    argv: Vec<CString>,
    /// This process's environment as `KEY=value`, built once and shared.
    base_env: std::sync::Arc<Vec<CString>>,
    /// Variables added or overridden for this child.
    extra_env: Vec<CString>,
    cwd: CString,
    /// `cgroup.procs` of the cgroup the child joins before exec (see
    /// `cgroup`), or -1.
    pub cgroup_procs: RawFd,
    /// Start it in a session of its own, its stdin as its controlling
    /// terminal (a pseudo-terminal's slave).
    pub controlling_tty: bool,
}

/// `KEY=value` strings of an environment.
pub fn env_strings(vars: impl IntoIterator<Item = (OsString, OsString)>) -> Vec<CString> {
    vars.into_iter()
        .filter_map(|(k, v)| {
            let mut kv = k.into_vec_bytes();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).ok()
        })
        .collect()
}

fn key_of(kv: &[u8]) -> &[u8] {
    kv.split(|&b| b == b'=').next().unwrap_or(kv)
}

/// Finds `program` the way a shell would: as given if it has a `/`,
/// else in the directories of `path_var`.
pub fn resolve_program(program: &str, path_var: Option<&OsStr>) -> Result<PathBuf, io::Error> {
    if program.contains('/') {
        return Ok(PathBuf::from(program));
    }
    let default = OsString::from("/usr/local/bin:/usr/bin:/bin");
    let dirs = path_var.map(OsStr::to_os_string).unwrap_or(default);
    let mut denied = false;
    for dir in std::env::split_paths(&dirs) {
        let candidate = if dir.as_os_str().is_empty() {
            PathBuf::from(program)
        } else {
            dir.join(program)
        };
        let Ok(c) = CString::new(candidate.as_os_str().as_bytes()) else {
            continue;
        };
        // SAFETY: access with a valid C string.
        if unsafe { libc::access(c.as_ptr(), libc::X_OK) } == 0 {
            if candidate.is_file() {
                return Ok(candidate);
            }
        } else if candidate.is_file() {
            denied = true;
        }
    }
    Err(if denied {
        io::Error::from(io::ErrorKind::PermissionDenied)
    } else {
        io::Error::from(io::ErrorKind::NotFound)
    })
}

fn cstr(bytes: &[u8], what: &str) -> Result<CString, String> {
    CString::new(bytes).map_err(|_| format!("{what} contains a NUL byte"))
}

impl Prepared {
    /// `env` is added to (and overrides) this process's environment.
    #[cfg(test)]
    #[cfg(test)]
    pub fn new(
        program: &Path,
        argv: &[String],
        env: &[(OsString, OsString)],
        cwd: &Path,
    ) -> Result<Self, String> {
        let base = std::sync::Arc::new(env_strings(std::env::vars_os()));
        Self::with_base(program, argv, base, env, cwd)
    }

    /// `env` is added to (and overrides) the base environment.
    pub fn with_base(
        program: &Path,
        argv: &[String],
        base_env: std::sync::Arc<Vec<CString>>,
        env: &[(OsString, OsString)],
        cwd: &Path,
    ) -> Result<Self, String> {
        let mut extra_env = Vec::with_capacity(env.len());
        for (k, v) in env {
            let mut kv = k.as_bytes().to_vec();
            if kv.is_empty() || kv.contains(&b'=') {
                return Err(format!("`{}` is not a valid variable name", k.to_string_lossy()));
            }
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            extra_env.push(cstr(&kv, "an environment variable")?);
        }
        Ok(Self {
            path: cstr(program.as_os_str().as_bytes(), "the program path")?,
            argv: argv
                .iter()
                .map(|a| cstr(a.as_bytes(), "an argument"))
                .collect::<Result<_, _>>()?,
            base_env,
            extra_env,
            cwd: cstr(cwd.as_os_str().as_bytes(), "the working directory")?,
            cgroup_procs: -1,
            controlling_tty: false,
        })
    }

    /// The child's environment: the base less what is overridden, then the
    /// extra variables.
    fn envp(&self) -> Vec<*const libc::c_char> {
        let overridden = |kv: &CString| {
            let key = key_of(kv.as_bytes());
            self.extra_env.iter().any(|e| key_of(e.as_bytes()) == key)
        };
        let mut out: Vec<*const libc::c_char> =
            Vec::with_capacity(self.base_env.len() + self.extra_env.len() + 1);
        out.extend(
            self.base_env
                .iter()
                .filter(|kv| !overridden(kv))
                .map(|kv| kv.as_ptr()),
        );
        out.extend(self.extra_env.iter().map(|kv| kv.as_ptr()));
        out.push(std::ptr::null());
        out
    }
}

trait IntoVecBytes {
    fn into_vec_bytes(self) -> Vec<u8>;
}

impl IntoVecBytes for OsString {
    fn into_vec_bytes(self) -> Vec<u8> {
        std::os::unix::ffi::OsStringExt::into_vec(self)
    }
}

#[repr(C)]
struct ChildCtx {
    path: *const libc::c_char,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    cwd: *const libc::c_char,
    fds: [RawFd; 3],
    parent: libc::pid_t,
    /// The open-files limit Proctor started with, if it raised its own.
    nofile: libc::rlimit,
    restore_nofile: bool,
    /// Whether the child must drop the short time slice of the thread
    /// that starts it (see `shorten_time_slice`).
    reset_slice: bool,
    /// Written to by the child to join its cgroup, or -1.
    cgroup_procs: RawFd,
    /// A session of its own with its stdin (a terminal) as the
    /// controlling terminal, instead of only a process group.
    new_session: bool,
    /// Set by the child when it could not join its cgroup.
    cgroup_errno: libc::c_int,
    /// Set by the child on failure: 1 chdir, 2 exec, 3 dup2.
    stage: libc::c_int,
    errno: libc::c_int,
}

/// Runs in the child, on its own stack, sharing our memory, until execve.
/// Only raw system calls: no allocation, no locks, no unwinding.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the ChildCtx on the parent's stack; the parent is
    // suspended (CLONE_VFORK) until we exec or exit.
    unsafe {
        let ctx = &mut *(arg as *mut ChildCtx);
        // Handlers installed in Proctor must not run here: back to default,
        // except what was ignored when Proctor started (see `dispositions`).
        for sig in 1..65 {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            let want = super::dispositions::in_child(sig);
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction != want {
                let mut new: libc::sigaction = std::mem::zeroed();
                new.sa_sigaction = want;
                libc::sigaction(sig, &new, std::ptr::null_mut());
            }
        }
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
        if libc::getppid() != ctx.parent {
            libc::_exit(137);
        }
        if ctx.new_session {
            // Also a process group of its own, as setpgid gives.
            libc::setsid();
        } else {
            libc::setpgid(0, 0);
        }
        if ctx.cgroup_procs >= 0 {
            // "0": the writer itself joins the cgroup, before it execs.
            let zero = b"0";
            if libc::write(ctx.cgroup_procs, zero.as_ptr().cast(), 1) != 1 {
                ctx.cgroup_errno = *libc::__errno_location();
            }
        }
        if ctx.restore_nofile {
            libc::setrlimit(libc::RLIMIT_NOFILE, &ctx.nofile);
        }
        if ctx.reset_slice {
            set_own_slice(0);
        }
        for (target, &fd) in ctx.fds.iter().enumerate() {
            let target = target as RawFd;
            if fd == target {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            } else if libc::dup2(fd, target) < 0 {
                ctx.stage = 3;
                ctx.errno = *libc::__errno_location();
                libc::_exit(127);
            }
        }
        if ctx.new_session {
            libc::ioctl(0, libc::TIOCSCTTY, 0);
        }
        if libc::chdir(ctx.cwd) != 0 {
            ctx.stage = 1;
            ctx.errno = *libc::__errno_location();
            libc::_exit(127);
        }
        libc::execve(ctx.path, ctx.argv, ctx.envp);
        ctx.stage = 2;
        ctx.errno = *libc::__errno_location();
        libc::_exit(127)
    }
}

/// Where the spawn failed.
#[derive(Debug)]
pub enum SpawnError {
    Chdir(io::Error),
    Exec(io::Error),
    Other(io::Error),
}

pub struct Child {
    pub pid: i32,
    pub pidfd: OwnedFd,
    /// Whether it joined the cgroup of `Prepared::cgroup_procs`.
    pub in_cgroup: bool,
}

/// A reusable stack for the child between clone and exec.
pub struct SpawnStack {
    mem: Vec<u128>,
}

impl Default for SpawnStack {
    fn default() -> Self {
        // 64 KiB, 16-byte aligned (u128).
        Self {
            mem: vec![0u128; 4096],
        }
    }
}

/// What the supervisor keeps between spawns: the child stack, this
/// process's environment (read once), and where programs were found.
pub struct SpawnCache {
    pub stack: SpawnStack,
    /// Opened once, given to every child without a stdin pipe.
    pub dev_null: Option<OwnedFd>,
    pub base_env: Vec<(OsString, OsString)>,
    pub base_envp: std::sync::Arc<Vec<CString>>,
    found: std::collections::HashMap<(String, Option<OsString>), PathBuf>,
}

impl Default for SpawnCache {
    fn default() -> Self {
        Self {
            stack: SpawnStack::default(),
            dev_null: None,
            base_env: std::env::vars_os().collect(),
            base_envp: std::sync::Arc::new(env_strings(std::env::vars_os())),
            found: Default::default(),
        }
    }
}

impl SpawnCache {
    /// `resolve_program`, remembered until an exec of it fails.
    pub fn resolve(&mut self, program: &str, path_var: Option<&OsStr>) -> Result<PathBuf, io::Error> {
        let key = (program.to_string(), path_var.map(OsStr::to_os_string));
        if let Some(p) = self.found.get(&key) {
            return Ok(p.clone());
        }
        let p = resolve_program(program, path_var)?;
        if self.found.len() > 1024 {
            self.found.clear();
        }
        self.found.insert(key, p.clone());
        Ok(p)
    }

    pub fn forget(&mut self, program: &str) {
        self.found.retain(|k, _| k.0 != program);
    }
}

/// Starts `prep` with `fds` as its stdin, stdout and stderr, in a process
/// group of its own, with SIGKILL as its parent-death signal.
pub fn spawn(prep: &Prepared, fds: [RawFd; 3], stack: &mut SpawnStack) -> Result<Child, SpawnError> {
    let mut argv: Vec<*const libc::c_char> = prep.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let envp = prep.envp();
    let original = original_nofile();
    let mut ctx = ChildCtx {
        path: prep.path.as_ptr(),
        argv: argv.as_ptr(),
        envp: envp.as_ptr(),
        cwd: prep.cwd.as_ptr(),
        fds,
        // SAFETY: getpid has no preconditions.
        parent: unsafe { libc::getpid() },
        nofile: original.unwrap_or(libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        }),
        restore_nofile: original.is_some(),
        reset_slice: short_slice_here(),
        cgroup_procs: prep.cgroup_procs,
        new_session: prep.controlling_tty,
        cgroup_errno: 0,
        stage: 0,
        errno: 0,
    };
    let mut pidfd: libc::c_int = -1;
    // SAFETY: all pointers stay valid while the child runs: the parent is
    // suspended until the child execs or exits (CLONE_VFORK). Signals are
    // blocked around the clone so that no handler runs on the child's stack
    // before it has reset them. SIGCHLD stays unblocked while its action is
    // the default (discard) and this thread did not block it itself: a
    // SIGCHLD that this thread blocks is not discarded but queued, and wakes
    // another thread of ours for nothing, once for every child that exits
    // while we are in here.
    let pid = unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        if !sigchld_blocked_here() && sigchld_is_default() {
            libc::sigdelset(&mut all, libc::SIGCHLD);
        }
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
        let top = stack.mem.as_mut_ptr().add(stack.mem.len()) as *mut libc::c_void;
        let pid = libc::clone(
            child_main,
            top,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::CLONE_PIDFD | libc::SIGCHLD,
            &mut ctx as *mut ChildCtx as *mut libc::c_void,
            &mut pidfd as *mut libc::c_int,
        );
        let err = io::Error::last_os_error();
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
        if pid < 0 {
            return Err(SpawnError::Other(err));
        }
        pid
    };
    let pidfd = if pidfd >= 0 {
        // SAFETY: CLONE_PIDFD stored a new descriptor we now own.
        unsafe { OwnedFd::from_raw_fd(pidfd) }
    } else {
        // A kernel without CLONE_PIDFD: open one (the child is unreaped, so
        // the pid is still its own).
        match super::tree::pidfd_open(pid) {
            Ok(fd) => fd,
            Err(e) => {
                // SAFETY: signalling and waiting for our own child.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, std::ptr::null_mut(), 0);
                }
                return Err(SpawnError::Other(e));
            }
        }
    };
    if ctx.stage != 0 {
        // The child has exited; reap it.
        let mut status = 0;
        // SAFETY: waiting for our own child.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        let e = io::Error::from_raw_os_error(ctx.errno);
        return Err(match ctx.stage {
            1 => SpawnError::Chdir(e),
            2 => SpawnError::Exec(e),
            _ => SpawnError::Other(e),
        });
    }
    Ok(Child {
        pid,
        pidfd,
        in_cgroup: ctx.cgroup_procs >= 0 && ctx.cgroup_errno == 0,
    })
}

thread_local! {
    /// Whether this thread had SIGCHLD blocked before any spawn (asked once).
    static SIGCHLD_BLOCKED: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}

/// Whether this thread blocks SIGCHLD of its own accord (a program that
/// embeds the engine may, to read it with `signalfd`): then it stays
/// blocked. Asked once per thread; `spawn` restores the mask it changes.
fn sigchld_blocked_here() -> bool {
    SIGCHLD_BLOCKED.with(|c| {
        if let Some(b) = c.get() {
            return b;
        }
        // SAFETY: reads this thread's signal mask into a zeroed set.
        let b = unsafe {
            let mut cur: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), &mut cur) != 0
                || libc::sigismember(&cur, libc::SIGCHLD) == 1
        };
        c.set(Some(b));
        b
    })
}

/// Whether SIGCHLD's action is the default one, under which the kernel
/// discards it for a thread that does not block it.
fn sigchld_is_default() -> bool {
    // SAFETY: reads the current action into a zeroed struct.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_DFL
    }
}

#[cfg(test)]
#[path = "spawn_tests.rs"]
mod tests;
