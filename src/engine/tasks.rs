//! Tasks in the supervisor: starting, restarting, stopping everything,
//! shutting down, forgetting what ended.

use super::child::{self, SpawnRequest};
use super::command::StopHow;
use super::fd_wait;
use super::lifecycle::{Action, Input};
use super::lines::LineSplitter;
use super::reactor;
use super::supervisor::*;
use crate::event::{Event, EventKind};
use crate::session::TaskSpec;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::Instant;

/// Why `spawn_into` gave no pid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NotStarted {
    /// It failed (`spawn_failed` was emitted).
    Failed,
    /// It waits for file descriptors and will be tried again.
    Waiting,
}

impl Supervisor {
    // ----- tasks ---------------------------------------------------------

    pub(super) fn start_task(&mut self, task: TaskSpec) {
        if self.shutting_down {
            for name in task.instance_names() {
                self.process_error(&name, format!("not starting `{name}`: the session is ending"));
            }
            return;
        }
        let spec = Arc::new(task);
        for name in spec.instance_names() {
            let key = match self.procs.key(&name) {
                Some(k) => {
                    let p = self.procs.get_mut(k).expect("indexed proc exists");
                    if p.alive() || p.life.backing_off() {
                        self.process_error(&name, format!("`{name}` is already running"));
                        continue;
                    }
                    if matches!(p.origin, Origin::Worker { .. }) {
                        self.process_error(&name, format!("`{name}` is a pool worker's name"));
                        continue;
                    }
                    p.origin = Origin::Task(spec.clone());
                    p.stop = spec.stop.clone();
                    p.restarts = 0;
                    k
                }
                None => self.insert_proc(name, Origin::Task(spec.clone()), spec.stop.clone()),
            };
            if self.fd_wait.refused_this_round() {
                // Descriptors ran out a moment ago: it waits with the others
                // rather than try a start that would be refused.
                let gen = self.procs.get(key).map(|p| p.gen).unwrap_or(0);
                let now = Instant::now();
                self.fd_wait.task_since(key, gen, now);
                self.fd_wait.refused(now);
                continue;
            }
            self.spawn_task(key);
        }
    }

    /// Starts (or restarts) the process at `key` from its task spec.
    pub(super) fn spawn_task(&mut self, key: usize) {
        let Some(p) = self.proc(key) else { return };
        let Origin::Task(spec) = p.origin.clone() else {
            return;
        };
        let argv = match spec.run.argv(spec.shell) {
            Ok(a) => a,
            Err(e) => {
                let name = p.name.clone();
                self.emit(
                    Event::now(EventKind::SpawnFailed {
                        message: format!("bad command: {e}"),
                    })
                    .process(&name, None),
                );
                return self.spawn_failed(key);
            }
        };
        if spec.host.is_some() {
            return self.spawn_remote_task(key, &spec, argv);
        }
        let cwd = spec.working_dir();
        let env = super::pty::child_env(&spec.env, spec.unbuffered);
        let io = Io {
            stdin: spec.stdin,
            pty: spec.pty,
        };
        if self.spawn_into(key, &argv, &cwd, &env, io).is_ok() {
            if let Some(timeout) = spec.timeout {
                let run_id = self.procs.get(key).map(|p| p.run_id).unwrap_or(0);
                self.add_timer(key, run_id, TimerWhat::Timeout, timeout.get());
            }
        }
    }

    /// Spawns a child for the process at `key`; emits `spawned` or
    /// `spawn_failed`. Returns the pid, or why there is none: it failed, or
    /// it waits for file descriptors (see `fd_wait`; nothing is emitted
    /// then but the shortage, once).
    pub(super) fn spawn_into(
        &mut self,
        key: usize,
        argv: &[String],
        cwd: &std::path::Path,
        env: &std::collections::BTreeMap<String, String>,
        io: Io,
    ) -> Result<i32, NotStarted> {
        let stdin_pipe = io.stdin;
        self.close_streams(key);
        let name = self.procs.get(key).ok_or(NotStarted::Failed)?.name.clone();
        let run_cgroup = self.cgroup_for_run(key, stdin_pipe);
        let req = SpawnRequest {
            name: &name,
            session: &self.session,
            argv,
            cwd,
            env,
            stdin_pipe,
            cgroup_procs: run_cgroup.as_ref().map(|r| r.procs.as_raw_fd()),
            pty: io.pty,
        };
        let pool_name = self.pool_of_key(key);
        let spawned = child::spawn(&req, &mut self.spawn_cache);
        let joined = spawned.as_ref().is_ok_and(|s| s.in_cgroup);
        self.spawned_in_cgroup(key, run_cgroup, joined);
        match spawned {
            Ok(s) => {
                self.peaks.spawned();
                self.fd_wait.forget_task(key);
                if let Some(run) = self.worker_pool(key).and_then(|pool| self.pools.get_mut(pool)) {
                    run.fd_since = None;
                }
                let gen = self.procs.get(key).ok_or(NotStarted::Failed)?.gen;
                let _ = self.epoll.add(
                    s.pidfd.as_raw_fd(),
                    token(key, gen, Fd::Exit),
                    libc::EPOLLIN as u32,
                );
                let _ = self.epoll.add(
                    s.stdout.as_raw_fd(),
                    token(key, gen, Fd::Stdout),
                    reactor::READABLE,
                );
                let _ = self.epoll.add(
                    s.stderr.as_raw_fd(),
                    token(key, gen, Fd::Stderr),
                    reactor::READABLE,
                );
                let p = self.procs.get_mut(key).ok_or(NotStarted::Failed)?;
                p.run_id += 1;
                p.live = Some(Live {
                    pid: s.pid,
                    _pidfd: s.pidfd,
                    writers: s.writers,
                    started: Instant::now(),
                });
                p.pgid = Some(s.pid);
                p.stdout = Some(Stream {
                    fd: s.stdout,
                    lines: LineSplitter::default(),
                    parked: false,
                });
                p.stderr = Some(Stream {
                    fd: s.stderr,
                    lines: LineSplitter::default(),
                    parked: false,
                });
                p.stdin = s.stdin.map(|fd| StdinPipe {
                    fd,
                    buf: Vec::new(),
                    waiting: false,
                    close_when_flushed: false,
                });
                p.kill_at = None;
                // A remote run: its `ssh`/`srun` and the user's command,
                // without the wrapper around it.
                let command = super::remote::shown::command(argv).unwrap_or_else(|| {
                    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "))
                });
                let mut e = Event::now(EventKind::Spawned { command }).process(&name, Some(s.pid as u32));
                e.pool = pool_name;
                self.emit(e);
                self.step(key, Input::Spawned);
                self.watching = true;
                Ok(s.pid)
            }
            Err(f) => {
                let mut message = f.message;
                if f.no_fds && !self.shutting_down {
                    match self.wait_for_fds(key, &message) {
                        Some(waited) => {
                            message = format!(
                                "{message} (still no descriptor for it after {:.1}s, its stop timeout)",
                                waited.as_secs_f64()
                            )
                        }
                        None => return Err(NotStarted::Waiting),
                    }
                }
                self.fd_wait.forget_task(key);
                let mut e = Event::now(EventKind::SpawnFailed { message }).process(&name, None);
                e.pool = pool_name;
                self.emit(e);
                self.spawn_failed(key);
                Err(NotStarted::Failed)
            }
        }
    }

    /// A task waiting for descriptors, not tried this round: it fails as if
    /// tried if its stop timeout has passed.
    pub(super) fn give_up_if_due(&mut self, key: usize, since: Instant) {
        let Some(p) = self.procs.get(key) else { return };
        let now = Instant::now();
        if fd_wait::verdict(since, now, p.stop.timeout.get()) == fd_wait::Verdict::Wait {
            return;
        }
        let name = p.name.clone();
        self.fd_wait.forget_task(key);
        let message = format!(
            "cannot start: Too many open files (os error {}) (still no descriptor for it after {:.1}s, its stop timeout)",
            libc::EMFILE,
            now.saturating_duration_since(since).as_secs_f64()
        );
        self.emit(Event::now(EventKind::SpawnFailed { message }).process(&name, None));
        self.spawn_failed(key);
    }

    /// A start of `key` found no file descriptor. Returns `None` if it is
    /// to wait and be tried again (the shortage is reported once), or how
    /// long it has waited if that is its stop timeout and it is to fail.
    fn wait_for_fds(&mut self, key: usize, message: &str) -> Option<std::time::Duration> {
        let now = Instant::now();
        let p = self.procs.get(key)?;
        let (gen, stop) = (p.gen, p.stop.timeout.get());
        let since = match p.worker_pool() {
            Some(pool) => *self.pools.get_mut(pool)?.fd_since.get_or_insert(now),
            None => self.fd_wait.task_since(key, gen, now),
        };
        if fd_wait::verdict(since, now, stop) == fd_wait::Verdict::GiveUp {
            return Some(now.saturating_duration_since(since));
        }
        if self.fd_wait.refused(now) {
            let limit = super::os_limits::nofile_soft_limit()
                .map(|n| format!("; this process may have {n} open"))
                .unwrap_or_default();
            self.error(format!(
                "out of file descriptors ({message}{limit}): processes and inputs that cannot start now wait for descriptors to free up, each for at most its stop timeout"
            ));
        }
        None
    }

    pub(super) fn pool_of_key(&self, key: usize) -> Option<String> {
        match self.proc(key).map(|p| &p.origin) {
            Some(Origin::Worker { pool, .. }) => self.pools.get(*pool).map(|p| p.spec.name.clone()),
            _ => None,
        }
    }

    pub(super) fn stop_all(&mut self, how: StopHow) {
        for pool in self.pools.keys_where(|_| true) {
            self.stop_pool(pool, how);
        }
        let keys = self.procs.keys_where(|p| matches!(p.origin, Origin::Task(_)));
        for key in keys {
            self.stop(key, how, true, "");
        }
    }

    pub(super) fn restart(&mut self, name: &str) {
        let Some(key) = self.procs.key(name) else {
            return self.process_error(name, format!("no process named `{name}`"));
        };
        if self.shutting_down {
            return self.process_error(name, format!("not restarting `{name}`: the session is ending"));
        }
        let p = self.procs.get_mut(key).expect("indexed");
        if !matches!(p.origin, Origin::Task(_)) {
            return self.process_error(
                name,
                format!("`{name}` is a pool worker; control its pool instead"),
            );
        }
        p.restarts = 0;
        for a in self.step(key, Input::Restart) {
            match a {
                Action::Signal { kill, resume } => {
                    let how = if kill { StopHow::Kill } else { StopHow::Terminate };
                    self.signal_stop(key, how, resume, "restart: ");
                }
                Action::Spawn { .. } => self.spawn_task(key),
                _ => {}
            }
        }
    }

    pub(super) fn begin_shutdown(&mut self) {
        if self.shutting_down {
            return;
        }
        self.shutting_down = true;
        for (key, gen) in self.fd_wait.clear() {
            // Never started: said so, a row each (not silently dropped).
            let Some(name) = self
                .procs
                .get(key)
                .filter(|p| p.gen == gen && !p.alive())
                .map(|p| p.name.clone())
            else {
                continue;
            };
            let message = "not started: the session ended while it waited for file descriptors".to_string();
            self.emit(Event::now(EventKind::SpawnFailed { message }).process(&name, None));
            self.spawn_failed(key);
        }
        let grace = self
            .procs
            .all()
            .map(|p| p.stop.timeout.get())
            .max()
            .unwrap_or_default();
        self.shutdown_grace_until = Instant::now().checked_add(grace);
        for key in self.procs.keys_where(|_| true) {
            self.step(key, Input::Shutdown);
        }
        self.stop_all(StopHow::Terminate);
    }

    pub(super) fn clear_ended(&mut self) {
        let ended = self
            .procs
            .keys_where(|p| !p.busy() && matches!(p.origin, Origin::Task(_)));
        let n = ended.len();
        for key in ended {
            self.remove_proc(key);
        }
        self.clear_ended_pools();
        // The front ends drop the same rows when they fold this event.
        self.emit(Event::now(EventKind::Cleared {
            message: format!(
                "cleared {n} ended process{} and finished pools",
                if n == 1 { "" } else { "es" }
            ),
        }));
    }
}

/// How a child's stdin and output are connected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Io {
    /// A pipe (or the terminal) Proctor writes to; else /dev/null.
    pub stdin: bool,
    /// A pseudo-terminal for stdin, stdout and stderr.
    pub pty: bool,
}
