//! The supervisor: one thread that owns every child process and pool.
//!
//! The rest of the program holds an [`Engine`] (see `handle`): it sends
//! [`Command`]s in and receives [`Event`]s out over crossbeam channels. The supervisor thread runs
//! an epoll loop (see `reactor`) over every child's stdout/stderr pipe and
//! pidfd, plus an eventfd that wakes it when a command arrives; timers (stop
//! escalation, task timeouts, restart backoff) are a heap it consults for
//! the epoll timeout. Output lines go straight into the event queue from
//! here, so the queue holds every process's output and every state change in
//! the order they happened. The event channel is bounded: when no one reads
//! it, the supervisor waits, the pipes fill and the children block, so
//! nothing is dropped and memory stays bounded.

use super::child::{self, group_alive};
use super::command::Command;
use super::pool_table::Pools;
use super::reactor::{Epoll, Waker};
use crate::event::{Event, EventKind};
use crate::session::StopPolicy;
use crossbeam_channel::{Receiver, Sender, TryRecvError};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use super::handle::{Engine, EngineConfig, EngineSender, Notify};

pub(super) const WAKER_TOKEN: u64 = u64::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fd {
    Stdout = 1,
    Stderr = 2,
    Exit = 3,
    Stdin = 4,
}

pub(super) fn token(key: usize, gen: u32, fd: Fd) -> u64 {
    ((key as u64) << 32) | (((gen & 0x00FF_FFFF) as u64) << 8) | fd as u64
}

pub(super) fn untoken(t: u64) -> (usize, u32, u8) {
    (
        (t >> 32) as usize,
        ((t >> 8) & 0x00FF_FFFF) as u32,
        (t & 0xFF) as u8,
    )
}

pub(super) use super::outbox::Outbox;
pub(super) use super::procs::{Live, Origin, Proc, Procs, StdinPipe, Stream};
use super::timers::Timers;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum TimerWhat {
    /// SIGKILL the group if still alive (stop escalation).
    Kill,
    /// The task's `timeout`: terminate the run.
    Timeout,
    /// Restart after backoff.
    Restart,
    /// A persistent pool worker's input ran past the pool's `timeout`.
    InputTimeout(usize),
    /// Report what of a stopped process's tree is still alive.
    Audit,
    /// A worker whose stdin was closed should have exited by now.
    Retire,
    /// SIGKILL to what is left of a branch sent a terminate (see `branch`).
    BranchKill(u64),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Timer {
    pub(super) at: Instant,
    pub(super) key: usize,
    pub(super) gen: u32,
    pub(super) run_id: u64,
    pub(super) what: TimerWhat,
}

pub(super) struct Supervisor {
    pub(super) epoll: Epoll,
    pub(super) waker: Arc<Waker>,
    pub(super) commands: Receiver<Command>,
    pub(super) out: Outbox,
    pub(super) procs: Procs,
    pub(super) timers: Timers,
    /// When the session's end began plus the longest stop timeout: what
    /// is left of the trees after it is killed (see `tree_may_linger`).
    pub(super) shutdown_grace_until: Option<Instant>,
    /// Starts that wait for file descriptors (see `fd_wait`).
    pub(super) fd_wait: super::fd_wait::FdWait,
    pub(super) pools: Pools,
    pub(super) shutting_down: bool,
    pub(super) scratch: Vec<u8>,
    pub(super) last_sweep: Instant,
    pub(super) last_orphan_reap: Instant,
    /// Pool work was queued again: don't sleep before scheduling.
    pub(super) reschedule: bool,
    /// Ended processes whose group still has members (to be reaped when
    /// they exit): the loop wakes at least once a second while there are.
    pub(super) lingering_groups: usize,
    /// The tag in every child's environment (see `tree`).
    pub(super) session: String,
    pub(super) watchdog: Option<child::Watchdog>,
    pub(super) startup_warning: Vec<String>,
    /// Snapshots of the process tree, audits, orphans (see `tracking`).
    pub(super) tracker: super::tracking::Tracker,
    pub(super) spawn_cache: super::spawn::SpawnCache,
    /// Children's own peak memory, sampled (see `peak`).
    pub(super) peaks: super::peak::Peaks,
    /// CPU and memory of live children over time (see `sampler`).
    pub(super) sampler: super::sampler::Sampler,
    /// Some leader may be alive: look at their job states (see `pausing`).
    pub(super) watching: bool,
    /// Leaders Proctor sent a stop or continue to lately: their state is
    /// also read from /proc (see `watch_job_states`).
    pub(super) job_signalled: std::collections::HashMap<usize, Instant>,
    pub(super) last_watch: Instant,
    /// Branches of a tree sent a terminate, waiting for SIGKILL.
    pub(super) branch_kills: super::branch::BranchKills,
    /// Asks Slurm for the states of the session's jobs (see `slurm_watch`).
    pub(super) slurm_watch: Option<super::slurm_watch::SlurmWatch>,
    /// Tasks on SSH hosts and their masters (see `task_remote`).
    pub(super) task_hosts: super::task_remote::TaskHosts,
    /// Every Slurm job of the session seen to start (named when their
    /// cancel at the end cannot be confirmed, see `scancel`).
    pub(super) slurm_jobs_seen: std::collections::BTreeSet<String>,
}

/// Bytes read from one pipe per readiness before other fds get a turn.
pub(super) const READ_BUDGET: usize = 4;
pub(super) const CHUNK: usize = 64 * 1024;

impl Supervisor {
    pub(super) fn new(
        epoll: Epoll,
        waker: Arc<Waker>,
        commands: Receiver<Command>,
        events: Sender<Event>,
        notify: Option<Notify>,
    ) -> Self {
        Self {
            epoll,
            waker,
            commands,
            out: Outbox::new(events, notify),
            procs: Procs::default(),
            timers: Timers::default(),
            shutdown_grace_until: None,
            fd_wait: Default::default(),
            pools: Pools::default(),
            shutting_down: false,
            scratch: vec![0; CHUNK],
            last_sweep: Instant::now(),
            last_orphan_reap: Instant::now(),
            reschedule: false,
            lingering_groups: 0,
            session: format!(
                "{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            ),
            watchdog: None,
            startup_warning: Vec::new(),
            tracker: Default::default(),
            spawn_cache: Default::default(),
            peaks: Default::default(),
            sampler: Default::default(),
            watching: false,
            job_signalled: Default::default(),
            last_watch: Instant::now(),
            branch_kills: Default::default(),
            slurm_watch: None,
            task_hosts: Default::default(),
            slurm_jobs_seen: Default::default(),
        }
    }

    pub(super) fn run(&mut self) {
        super::os_limits::raise_fd_limit();
        super::os_limits::shorten_time_slice();
        self.tracker.register();
        let cpus = crate::session::default_workers();
        self.emit(Event::now(EventKind::SessionStarted {
            message: format!(
                "Proctor {} started (pid {}, {cpus} CPUs)",
                env!("CARGO_PKG_VERSION"),
                std::process::id()
            ),
            format: Some(crate::journal::FORMAT),
        }));
        for w in std::mem::take(&mut self.startup_warning) {
            self.error(w);
        }
        let mut buf = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
        let mut commands_closed = false;
        loop {
            self.flush_notify();
            self.tracker.new_batch();
            let mut timeout = self.timers.next_timeout_ms();
            if let Some(ms) = self.tracker.audit_wait_ms() {
                if timeout < 0 || ms < timeout {
                    timeout = ms;
                }
            }
            if std::mem::take(&mut self.reschedule) {
                timeout = 0;
            }
            if self.lingering_groups > 0 && !(0..=1000).contains(&timeout) {
                timeout = 1000;
            }
            if self.shutting_down && !(0..=50).contains(&timeout) && self.tree_may_linger() {
                timeout = 50;
            }
            if self.sweep_due() && !(0..=50).contains(&timeout) {
                timeout = 50;
            }
            if (self.remotes_connecting()
                || self.task_hosts.any_connecting()
                || self.remote_signals_pending())
                && !(0..=50).contains(&timeout)
            {
                timeout = 50;
            }
            if let Some(ms) = self.watch_in_ms() {
                if timeout < 0 || ms < timeout {
                    timeout = ms;
                }
            }
            let peaks_at = self.peaks.next_at();
            for at in [self.out.journal_deadline(), peaks_at, self.fd_wait.retry_at()]
                .into_iter()
                .flatten()
            {
                let ms = at
                    .saturating_duration_since(Instant::now())
                    .as_micros()
                    .div_ceil(1000)
                    .min(i32::MAX as u128) as i32;
                if timeout < 0 || ms < timeout {
                    timeout = ms;
                }
            }
            let ready: Vec<(u64, u32)> = match self.epoll.wait(&mut buf, timeout) {
                Ok(evs) => evs.iter().map(|e| (e.u64, e.events)).collect(),
                Err(e) => {
                    self.emit(Event::now(EventKind::Error {
                        message: format!("epoll_wait failed: {e}"),
                    }));
                    std::thread::sleep(Duration::from_millis(10));
                    Vec::new()
                }
            };
            for (tok, events) in ready {
                if tok == WAKER_TOKEN {
                    self.waker.drain();
                    commands_closed |= self.drain_commands();
                } else {
                    self.dispatch(tok, events);
                }
            }
            // A command may be queued between the eventfd drain and now.
            if !commands_closed && !self.commands.is_empty() {
                commands_closed |= self.drain_commands();
            }
            self.fire_timers();
            self.retry_fd_waits();
            let (procs, tasks, pools) = (&self.procs, &self.task_hosts, &self.pools);
            let mut sampled = None;
            self.peaks.sample_if_due(|| {
                // Not an `ssh` or `srun` of a command that runs elsewhere.
                let live = super::elsewhere::sampled(procs, tasks, pools);
                let pids = live.iter().map(|l| l.0).collect();
                sampled = Some(live);
                pids
            });
            if let Some(live) = sampled {
                self.emit_samples(&live);
            }
            self.watch_job_states();
            self.run_audits();
            let stopping = self.sweep_due();
            self.sweep(stopping);
            self.poll_remotes();
            self.slurm_tick();
            self.poll_task_hosts();
            self.schedule_pools();
            if commands_closed && !self.shutting_down {
                self.begin_shutdown();
            }
            self.flush_journal_if_due();
            if self.shutting_down && !self.any_busy() && !self.tree_may_linger() {
                break;
            }
        }
        self.final_sweep();
        self.slurm_watch = None;
        self.cancel_slurm_jobs();
        self.task_hosts.close();
        if let Some(w) = self.watchdog.take() {
            w.dismiss();
        }
        // Written before the end is said, so that a journal that could not
        // be written says so in the session itself.
        if let Some(message) = self.out.flush_journal() {
            self.emit(Event::now(EventKind::Error { message }));
        }
        self.emit(Event::now(EventKind::SessionEnded {
            message: "every process has ended".to_string(),
        }));
        self.out.end_journal();
        self.flush_notify();
    }

    pub(super) fn flush_journal_if_due(&mut self) {
        if let Some(message) = self.out.flush_journal_if_due() {
            self.emit(Event::now(EventKind::Error { message }));
        }
    }

    pub(super) fn flush_notify(&mut self) {
        self.out.wake_reader();
    }

    /// Puts an event on the shared queue (waiting if it is full).
    pub(super) fn emit(&mut self, e: Event) {
        self.out.emit(e);
    }

    /// Returns true when every command sender is gone.
    pub(super) fn drain_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(c) => self.apply(c),
                Err(TryRecvError::Empty) => return false,
                Err(TryRecvError::Disconnected) => return true,
            }
        }
    }

    pub(super) fn apply(&mut self, command: Command) {
        match command {
            Command::Start { task } => self.start_task(task),
            Command::StartPool { pool } => self.start_pool(pool),
            Command::Stop { process, how } => match self.procs.key(&process) {
                Some(key) => {
                    if let Some(pool) = self.worker_pool(key) {
                        self.stop_pool_worker(pool, key, how);
                    } else {
                        self.stop(key, how, true, "");
                    }
                }
                None => self.error(format!("no process named `{process}`")),
            },
            Command::StopBranch { process, pid, how } => self.stop_branch(&process, pid, how),
            Command::StopAll { how } => self.stop_all(how),
            Command::Restart { process } => self.restart(&process),
            Command::Pause { process } => self.pause(&process, true),
            Command::Resume { process } => self.pause(&process, false),
            Command::Pool { pool, action } => self.pool_action(&pool, action),
            Command::WriteStdin { process, line } => self.write_stdin_line(&process, &line),
            Command::ClearEnded => self.clear_ended(),
            Command::KillLeftovers => {
                if self.kill_leftovers("").is_empty() {
                    self.error("no leftover processes to kill".into());
                }
            }
            Command::Shutdown => self.begin_shutdown(),
            Command::TestPanic(message) => panic!("{message}"),
        }
    }

    pub(super) fn error(&mut self, message: String) {
        self.emit(Event::now(EventKind::Error { message }));
    }

    /// An error about the process `name`: the event names it, so that a
    /// front end can tell which of its requests failed without reading
    /// the text.
    pub(super) fn process_error(&mut self, name: &str, message: String) {
        self.emit(Event::now(EventKind::Error { message }).process(name, None));
    }

    /// Starts that waited for file descriptors are tried again when due.
    fn retry_fd_waits(&mut self) {
        let Some(tasks) = self.fd_wait.due(Instant::now()) else {
            return;
        };
        for (key, gen, since) in tasks {
            match self.procs.get(key) {
                Some(p) if p.gen == gen && !p.alive() => {
                    if self.fd_wait.refused_this_round() {
                        // The next start would be refused as well: the rest
                        // only give up if their stop timeout has passed.
                        self.give_up_if_due(key, since);
                    } else {
                        self.spawn_task(key);
                    }
                }
                _ => self.fd_wait.forget_task(key),
            }
        }
        self.reschedule = true;
    }

    pub(super) fn worker_pool(&self, key: usize) -> Option<usize> {
        self.procs.get(key)?.worker_pool()
    }

    pub(super) fn proc(&self, key: usize) -> Option<&Proc> {
        self.procs.get(key)
    }

    pub(super) fn insert_proc(&mut self, name: String, origin: Origin, stop: StopPolicy) -> usize {
        self.procs.insert(name, origin, stop)
    }

    pub(super) fn remove_proc(&mut self, key: usize) {
        self.close_streams(key);
        self.fd_wait.forget_task(key);
        self.procs.remove(key);
    }

    /// For the cleanup after a panic: the groups that may hold a process of
    /// ours (leader unreaped, or members left), and the unreaped leaders.
    pub(super) fn known_groups(&self) -> (Vec<i32>, Vec<i32>) {
        let procs = self.procs.all();
        let groups = procs
            .clone()
            .filter_map(|p| p.pgid.filter(|&g| p.live.is_some() || group_alive(g)))
            .collect();
        let leaders = procs.filter_map(|p| p.live.as_ref().map(|l| l.pid)).collect();
        (groups, leaders)
    }

    /// At the session's end, with every leader gone: whether members of
    /// the session's cgroup that left their process groups (and got the
    /// stop signal with them) still have part of the stop timeout they were
    /// promised, before the final sweep kills what is left.
    fn tree_may_linger(&self) -> bool {
        let Some(until) = self.shutdown_grace_until else {
            return false;
        };
        Instant::now() < until && self.session_populated()
    }

    pub(super) fn any_busy(&self) -> bool {
        self.procs.all().any(Proc::busy) || self.task_hosts.any_waiting()
    }
}
