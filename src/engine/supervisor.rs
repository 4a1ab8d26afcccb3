//! The supervisor: one thread that owns every child process and pool.
//!
//! The rest of the program holds an [`Engine`]: it sends [`Command`]s in and
//! receives [`Event`]s out over crossbeam channels. The supervisor thread runs
//! an epoll loop (see `reactor`) over every child's stdout/stderr pipe and
//! pidfd, plus an eventfd that wakes it when a command arrives; timers (stop
//! escalation, task timeouts, restart backoff) are a heap it consults for
//! the epoll timeout. Output lines go straight into the event queue from
//! here, so the queue holds every process's output and every state change in
//! the order they happened. The event channel is bounded: when no one reads
//! it, the supervisor waits, the pipes fill and the children block, so
//! nothing is dropped and memory stays bounded.

use super::child::{self, group_alive, signal_group, SpawnRequest};
use super::command::{Command, StopHow};
use super::error::EngineError;
use super::event::{Event, EventKind};
use super::journal::{Journal, JournalConfig};
use super::lines::LineSplitter;
use super::pool::PoolRun;
use super::reactor::{self, Epoll, Waker};
use super::restart::{restart_delay, RestartInput};
use super::spec::{StopPolicy, TaskSpec};
use super::tree::Snapshot;
use crossbeam_channel::{bounded, unbounded, Receiver, Sender, TryRecvError};
use nix::sys::signal::Signal;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Called after new events are queued (the GUI passes `request_repaint`).
pub type Notify = Arc<dyn Fn() + Send + Sync>;

pub struct EngineConfig {
    /// How many events may wait unread before the supervisor waits.
    pub event_capacity: usize,
    pub notify: Option<Notify>,
    /// Where to keep the session's journal; `None`: keep none.
    pub journal: Option<JournalConfig>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            event_capacity: 65_536,
            notify: None,
            journal: None,
        }
    }
}

/// A running supervisor. Dropping it shuts the session down: every child is
/// stopped by its stop policy and reaped before `drop` returns.
pub struct Engine {
    commands: Sender<Command>,
    waker: Arc<Waker>,
    events: Receiver<Event>,
    thread: Option<JoinHandle<()>>,
    journal_path: Option<std::path::PathBuf>,
}

impl Engine {
    pub fn start(config: EngineConfig) -> Result<Engine, EngineError> {
        child::become_subreaper();
        let epoll = Epoll::new().map_err(EngineError::Setup)?;
        let waker = Arc::new(Waker::new().map_err(EngineError::Setup)?);
        epoll
            .add(waker.raw(), WAKER_TOKEN, reactor::READABLE)
            .map_err(EngineError::Setup)?;
        let journal = match &config.journal {
            Some(c) => Some(Journal::create(c).map_err(|e| EngineError::Journal {
                dir: c.dir.display().to_string(),
                source: e,
            })?),
            None => None,
        };
        let journal_path = journal.as_ref().map(|j| j.path().to_path_buf());
        let (cmd_tx, cmd_rx) = unbounded();
        let (ev_tx, ev_rx) = bounded(config.event_capacity.max(1));
        let mut sup = Supervisor::new(epoll, waker.clone(), cmd_rx, ev_tx, config.notify);
        sup.journal = journal;
        sup.watchdog = match child::Watchdog::spawn(&sup.session) {
            Ok(w) => Some(w),
            Err(e) => {
                sup.startup_warning = Some(format!(
                    "cannot start the crash guard (/bin/sh): {e}; if Proctor is killed, grandchildren outside their group may survive"
                ));
                None
            }
        };
        let thread = std::thread::Builder::new()
            .name("proctor-supervisor".into())
            .spawn(move || sup.run())
            .map_err(EngineError::Thread)?;
        Ok(Engine {
            commands: cmd_tx,
            waker,
            events: ev_rx,
            thread: Some(thread),
            journal_path,
        })
    }

    /// The journal this session writes, if it keeps one.
    pub fn journal_path(&self) -> Option<&std::path::Path> {
        self.journal_path.as_deref()
    }

    pub fn send(&self, command: Command) -> Result<(), EngineError> {
        self.commands.send(command).map_err(|_| EngineError::Stopped)?;
        self.waker.wake();
        Ok(())
    }

    /// A sender other threads can use (e.g. a signal handler thread).
    pub fn sender(&self) -> EngineSender {
        EngineSender {
            commands: self.commands.clone(),
            waker: self.waker.clone(),
        }
    }

    pub fn events(&self) -> &Receiver<Event> {
        &self.events
    }

    /// Whether the supervisor thread has ended (after `Shutdown`).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Shuts down and waits, passing every remaining event to `sink`.
    pub fn shutdown(mut self, mut sink: impl FnMut(Event)) {
        let _ = self.send(Command::Shutdown);
        self.join_draining(&mut sink);
    }

    fn join_draining(&mut self, sink: &mut dyn FnMut(Event)) {
        if let Some(t) = self.thread.take() {
            loop {
                match self.events.recv_timeout(Duration::from_millis(20)) {
                    Ok(e) => sink(e),
                    // The supervisor has let go of the queue: it is ending.
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) if t.is_finished() => break,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                }
            }
            let _ = t.join();
            while let Ok(e) = self.events.try_recv() {
                sink(e);
            }
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let _ = self.send(Command::Shutdown);
            self.join_draining(&mut |_| {});
        }
    }
}

#[derive(Clone)]
pub struct EngineSender {
    commands: Sender<Command>,
    waker: Arc<Waker>,
}

impl EngineSender {
    pub fn send(&self, command: Command) -> Result<(), EngineError> {
        self.commands.send(command).map_err(|_| EngineError::Stopped)?;
        self.waker.wake();
        Ok(())
    }
}

const WAKER_TOKEN: u64 = u64::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fd {
    Stdout = 1,
    Stderr = 2,
    Exit = 3,
    Stdin = 4,
}

fn token(key: usize, gen: u32, fd: Fd) -> u64 {
    ((key as u64) << 32) | (((gen & 0x00FF_FFFF) as u64) << 8) | fd as u64
}

fn untoken(t: u64) -> (usize, u32, u8) {
    (
        (t >> 32) as usize,
        ((t >> 8) & 0x00FF_FFFF) as u32,
        (t & 0xFF) as u8,
    )
}

/// What a process is for.
#[derive(Clone, Debug)]
pub(super) enum Origin {
    Task(Arc<TaskSpec>),
    Worker { pool: usize, index: usize },
}

/// The live child of a process (its leader, until reaped).
pub(super) struct Live {
    pub pid: i32,
    /// Held open while the child lives: epoll watches it for the exit.
    pub _pidfd: OwnedFd,
    pub started: Instant,
}

pub(super) struct Stream {
    pub fd: OwnedFd,
    pub lines: LineSplitter,
}

pub(super) struct StdinPipe {
    pub fd: OwnedFd,
    pub buf: Vec<u8>,
    /// Whether EPOLLOUT is registered (a write is pending).
    pub waiting: bool,
    /// Close once `buf` is written.
    pub close_when_flushed: bool,
}

/// One named process (a row of the process table) across its runs.
pub(super) struct Proc {
    pub name: String,
    pub gen: u32,
    pub origin: Origin,
    pub stop: StopPolicy,
    pub live: Option<Live>,
    pub pgid: Option<i32>,
    pub stdout: Option<Stream>,
    pub stderr: Option<Stream>,
    pub stdin: Option<StdinPipe>,
    pub run_id: u64,
    pub restarts: u32,
    pub stopped_by_user: bool,
    /// A restart is scheduled (backoff).
    pub restart_pending: bool,
    /// Start again as soon as the current run ends (the Restart command).
    pub restart_on_exit: bool,
    /// SIGKILL for the group is scheduled at this time.
    pub kill_at: Option<Instant>,
}

impl Proc {
    pub fn alive(&self) -> bool {
        self.live.is_some()
    }
    pub fn pid(&self) -> Option<u32> {
        self.live.as_ref().map(|l| l.pid as u32)
    }
    /// Anything of this process that still needs the supervisor: a live
    /// leader, a pending restart, or a group awaiting SIGKILL.
    fn busy(&self) -> bool {
        self.live.is_some()
            || self.restart_pending
            || (self.kill_at.is_some() && self.pgid.is_some_and(group_alive))
    }
}

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
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    at: Instant,
    key: usize,
    gen: u32,
    run_id: u64,
    what: TimerWhat,
}

pub(super) struct Supervisor {
    epoll: Epoll,
    waker: Arc<Waker>,
    commands: Receiver<Command>,
    events: Sender<Event>,
    notify: Option<Notify>,
    seq: u64,
    dirty: bool,
    pub(super) procs: Vec<Option<Proc>>,
    free: Vec<usize>,
    next_gen: u32,
    pub(super) by_name: HashMap<String, usize>,
    timers: BinaryHeap<Reverse<Timer>>,
    pub(super) pools: Vec<Option<PoolRun>>,
    pub(super) shutting_down: bool,
    scratch: Vec<u8>,
    last_sweep: Instant,
    journal: Option<Journal>,
    /// The tag in every child's environment (see `tree`).
    pub(super) session: String,
    watchdog: Option<child::Watchdog>,
    startup_warning: Option<String>,
    snapshot: Option<(Instant, Snapshot)>,
    /// Orphans already reported as leftovers.
    reported_orphans: std::collections::HashSet<i32>,
    spawn_cache: super::spawn::SpawnCache,
}

/// Bytes read from one pipe per readiness before other fds get a turn.
const READ_BUDGET: usize = 4;
const CHUNK: usize = 64 * 1024;

impl Supervisor {
    fn new(
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
            events,
            notify,
            seq: 0,
            dirty: false,
            procs: Vec::new(),
            free: Vec::new(),
            next_gen: 1,
            by_name: HashMap::new(),
            timers: BinaryHeap::new(),
            pools: Vec::new(),
            shutting_down: false,
            scratch: vec![0; CHUNK],
            last_sweep: Instant::now(),
            journal: None,
            session: format!(
                "{}-{}",
                std::process::id(),
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0)
            ),
            watchdog: None,
            startup_warning: None,
            snapshot: None,
            reported_orphans: Default::default(),
            spawn_cache: Default::default(),
        }
    }

    fn run(mut self) {
        let cpus = super::spec::default_workers();
        self.emit(Event::now(EventKind::SessionStarted {
            message: format!(
                "Proctor {} started (pid {}, {cpus} CPUs)",
                env!("CARGO_PKG_VERSION"),
                std::process::id()
            ),
        }));
        if let Some(w) = self.startup_warning.take() {
            self.error(w);
        }
        let mut buf = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
        let mut commands_closed = false;
        loop {
            self.flush_notify();
            let mut timeout = self.next_timeout_ms();
            if self.sweep_due() && !(0..=50).contains(&timeout) {
                timeout = 50;
            }
            if let Some(at) = self.journal.as_ref().and_then(Journal::deadline) {
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
            let stopping = self.sweep_due();
            self.sweep(stopping);
            self.schedule_pools();
            if commands_closed && !self.shutting_down {
                self.begin_shutdown();
            }
            self.flush_journal_if_due();
            if self.shutting_down && !self.any_busy() {
                break;
            }
        }
        self.final_sweep();
        if let Some(w) = self.watchdog.take() {
            w.dismiss();
        }
        self.emit(Event::now(EventKind::SessionEnded {
            message: "every process has ended".to_string(),
        }));
        if let Some(j) = self.journal.as_mut() {
            j.flush();
        }
        self.flush_notify();
    }

    fn flush_journal_if_due(&mut self) {
        let Some(j) = self.journal.as_mut() else { return };
        j.flush_if_due();
        if let Some(message) = j.take_error() {
            self.emit(Event::now(EventKind::Error { message }));
        }
    }

    fn flush_notify(&mut self) {
        if self.dirty {
            self.dirty = false;
            if let Some(n) = &self.notify {
                n();
            }
        }
    }

    /// Puts an event on the shared queue (waiting if it is full).
    pub(super) fn emit(&mut self, mut e: Event) {
        self.seq += 1;
        e.seq = self.seq;
        if let Some(j) = self.journal.as_mut() {
            j.append(&e);
        }
        if self.events.is_full() {
            // Wake the reader before waiting on it.
            self.dirty = true;
            self.flush_notify();
        }
        let _ = self.events.send(e);
        self.dirty = true;
    }

    /// Returns true when every command sender is gone.
    fn drain_commands(&mut self) -> bool {
        loop {
            match self.commands.try_recv() {
                Ok(c) => self.apply(c),
                Err(TryRecvError::Empty) => return false,
                Err(TryRecvError::Disconnected) => return true,
            }
        }
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::Start { task } => self.start_task(task),
            Command::StartPool { pool } => self.start_pool(pool),
            Command::Stop { process, how } => match self.by_name.get(&process).copied() {
                Some(key) => {
                    if let Some(pool) = self.worker_pool(key) {
                        self.stop_pool_worker(pool, key, how);
                    } else {
                        self.stop(key, how, true, "");
                    }
                }
                None => self.error(format!("no process named `{process}`")),
            },
            Command::StopAll { how } => self.stop_all(how),
            Command::Restart { process } => self.restart(&process),
            Command::Pool { pool, action } => self.pool_action(&pool, action),
            Command::ClearEnded => self.clear_ended(),
            Command::KillLeftovers => {
                if self.kill_leftovers("").is_empty() {
                    self.error("no leftover processes to kill".into());
                }
            }
            Command::Shutdown => self.begin_shutdown(),
        }
    }

    pub(super) fn error(&mut self, message: String) {
        self.emit(Event::now(EventKind::Error { message }));
    }

    fn worker_pool(&self, key: usize) -> Option<usize> {
        match self.procs[key].as_ref().map(|p| &p.origin) {
            Some(Origin::Worker { pool, .. }) => Some(*pool),
            _ => None,
        }
    }

    // ----- process slots -------------------------------------------------

    pub(super) fn proc(&self, key: usize) -> Option<&Proc> {
        self.procs.get(key).and_then(Option::as_ref)
    }

    pub(super) fn insert_proc(&mut self, name: String, origin: Origin, stop: StopPolicy) -> usize {
        let gen = self.next_gen;
        self.next_gen = self.next_gen.wrapping_add(1).max(1);
        let p = Proc {
            name: name.clone(),
            gen,
            origin,
            stop,
            live: None,
            pgid: None,
            stdout: None,
            stderr: None,
            stdin: None,
            run_id: 0,
            restarts: 0,
            stopped_by_user: false,
            restart_pending: false,
            restart_on_exit: false,
            kill_at: None,
        };
        let key = match self.free.pop() {
            Some(k) => {
                self.procs[k] = Some(p);
                k
            }
            None => {
                self.procs.push(Some(p));
                self.procs.len() - 1
            }
        };
        self.by_name.insert(name, key);
        key
    }

    fn remove_proc(&mut self, key: usize) {
        self.close_streams(key);
        if let Some(p) = self.procs[key].take() {
            if self.by_name.get(&p.name) == Some(&key) {
                self.by_name.remove(&p.name);
            }
            self.free.push(key);
        }
    }

    fn any_busy(&self) -> bool {
        self.procs.iter().flatten().any(Proc::busy)
    }

    // ----- tasks ---------------------------------------------------------

    fn start_task(&mut self, task: TaskSpec) {
        if self.shutting_down {
            return self.error(format!("not starting `{}`: the session is ending", task.name));
        }
        let spec = Arc::new(task);
        for name in spec.instance_names() {
            let key = match self.by_name.get(&name).copied() {
                Some(k) => {
                    let p = self.procs[k].as_mut().expect("indexed proc exists");
                    if p.alive() || p.restart_pending {
                        let e = Event::now(EventKind::Error {
                            message: format!("`{name}` is already running"),
                        });
                        self.emit(e.process(&name, None));
                        continue;
                    }
                    if matches!(p.origin, Origin::Worker { .. }) {
                        self.error(format!("`{name}` is a pool worker's name"));
                        continue;
                    }
                    p.origin = Origin::Task(spec.clone());
                    p.stop = spec.stop.clone();
                    p.restarts = 0;
                    k
                }
                None => self.insert_proc(name, Origin::Task(spec.clone()), spec.stop.clone()),
            };
            self.spawn_task(key);
        }
    }

    /// Starts (or restarts) the process at `key` from its task spec.
    fn spawn_task(&mut self, key: usize) {
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
                return;
            }
        };
        let cwd = spec.working_dir();
        if let Some(pid) = self.spawn_into(key, &argv, &cwd, &spec.env, false) {
            if spec.timeout > 0.0 {
                let run_id = self.procs[key].as_ref().map(|p| p.run_id).unwrap_or(0);
                self.add_timer(
                    key,
                    run_id,
                    TimerWhat::Timeout,
                    Duration::from_secs_f64(spec.timeout),
                );
            }
            let _ = pid;
        }
    }

    /// Spawns a child for the process at `key`; emits `spawned` or
    /// `spawn_failed`. Returns the pid.
    pub(super) fn spawn_into(
        &mut self,
        key: usize,
        argv: &[String],
        cwd: &std::path::Path,
        env: &std::collections::BTreeMap<String, String>,
        stdin_pipe: bool,
    ) -> Option<i32> {
        self.close_streams(key);
        let name = self.procs[key].as_ref()?.name.clone();
        let req = SpawnRequest {
            name: &name,
            session: &self.session,
            argv,
            cwd,
            env,
            stdin_pipe,
        };
        let pool_name = self.pool_of_key(key);
        match child::spawn(&req, &mut self.spawn_cache) {
            Ok(s) => {
                let gen = self.procs[key].as_ref()?.gen;
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
                let p = self.procs[key].as_mut()?;
                p.run_id += 1;
                p.live = Some(Live {
                    pid: s.pid,
                    _pidfd: s.pidfd,
                    started: Instant::now(),
                });
                p.pgid = Some(s.pid);
                p.stdout = Some(Stream {
                    fd: s.stdout,
                    lines: LineSplitter::default(),
                });
                p.stderr = Some(Stream {
                    fd: s.stderr,
                    lines: LineSplitter::default(),
                });
                p.stdin = s.stdin.map(|fd| StdinPipe {
                    fd,
                    buf: Vec::new(),
                    waiting: false,
                    close_when_flushed: false,
                });
                p.stopped_by_user = false;
                p.restart_pending = false;
                p.kill_at = None;
                let command =
                    shlex::try_join(argv.iter().map(String::as_str)).unwrap_or_else(|_| argv.join(" "));
                let mut e = Event::now(EventKind::Spawned { command }).process(&name, Some(s.pid as u32));
                e.pool = pool_name;
                self.emit(e);
                Some(s.pid)
            }
            Err(message) => {
                let mut e = Event::now(EventKind::SpawnFailed { message }).process(&name, None);
                e.pool = pool_name;
                self.emit(e);
                None
            }
        }
    }

    pub(super) fn pool_of_key(&self, key: usize) -> Option<String> {
        match self.proc(key).map(|p| &p.origin) {
            Some(Origin::Worker { pool, .. }) => self
                .pools
                .get(*pool)
                .and_then(Option::as_ref)
                .map(|p| p.spec.name.clone()),
            _ => None,
        }
    }

    /// Stops the process at `key`. `by_user` marks it so that its restart
    /// policy does not start it again.
    pub(super) fn stop(&mut self, key: usize, how: StopHow, by_user: bool, why: &str) {
        let Some(p) = self.procs[key].as_mut() else { return };
        if by_user && !matches!(how, StopHow::Signal(_)) {
            p.stopped_by_user = true;
            if p.restart_pending {
                p.restart_pending = false;
                let name = p.name.clone();
                self.emit(
                    Event::now(EventKind::Restarting {
                        attempt: 0,
                        message: "restart cancelled: stopped by the user".into(),
                    })
                    .process(&name, None),
                );
                return;
            }
        }
        let p = self.procs[key].as_ref().expect("checked above");
        let Some(pgid) = p.pgid else { return };
        if how == StopHow::Terminate && p.kill_at.is_some() {
            // Already being terminated; SIGKILL is scheduled.
            return;
        }
        let leader = p.live.as_ref().map(|l| l.pid);
        let name = p.name.clone();
        let (sig, message) = match how {
            StopHow::Terminate => {
                let t = p.stop.timeout;
                (p.stop.signal, format!("{why}SIGKILL in {t:.1}s if still running"))
            }
            StopHow::Kill => (Signal::SIGKILL, why.trim_end_matches("; ").to_string()),
            StopHow::Signal(s) => (s, why.trim_end_matches("; ").to_string()),
        };
        let (reached, error) = self.signal_tree(&name, leader, pgid, sig);
        if reached == 0 {
            if let Some(err) = error {
                self.error(format!("cannot send {} to `{name}`: {err}", sig.as_str()));
            }
            return;
        }
        let p = self.procs[key].as_mut().expect("checked above");
        let pid = p.pid();
        let run_id = p.run_id;
        let stop_timeout = p.stop.timeout;
        if how == StopHow::Terminate && p.kill_at.is_none() {
            let d = Duration::from_secs_f64(stop_timeout);
            p.kill_at = Some(Instant::now() + d);
            self.add_timer(key, run_id, TimerWhat::Kill, d);
        }
        let pool = self.pool_of_key(key);
        let kill_in = (how == StopHow::Terminate && sig != Signal::SIGKILL).then_some(stop_timeout);
        let extra = if reached > 1 {
            format!(" ({reached} processes)")
        } else {
            String::new()
        };
        let mut e = Event::now(EventKind::SignalSent {
            signal: sig.as_str().to_string(),
            message: format!("{message}{extra}"),
            kill_in,
        })
        .process(&name, pid);
        e.pool = pool;
        self.emit(e);
    }

    /// A snapshot of /proc no older than 50 ms.
    fn snapshot(&mut self) -> &Snapshot {
        let stale = self
            .snapshot
            .as_ref()
            .is_none_or(|(t, _)| t.elapsed() > Duration::from_millis(50));
        if stale {
            self.snapshot = Some((Instant::now(), Snapshot::take(&self.session)));
        }
        &self.snapshot.as_ref().expect("just set").1
    }

    fn fresh_snapshot(&mut self) -> &Snapshot {
        self.snapshot = None;
        self.snapshot()
    }

    /// Sends `sig` to the whole tree of process `name`: its group (while the
    /// leader is unreaped the group id cannot be reused, so `killpg` is
    /// safe), every process tagged with its name in any group or session,
    /// and the leader's descendants by parent link. Returns how many
    /// processes (or groups) it reached, and the last error.
    fn signal_tree(
        &mut self,
        name: &str,
        leader: Option<i32>,
        pgid: i32,
        sig: Signal,
    ) -> (usize, Option<nix::Error>) {
        let mut reached = 0;
        let mut error = None;
        if leader.is_some() {
            match signal_group(pgid, sig) {
                Ok(()) => reached += 1,
                Err(nix::errno::Errno::ESRCH) => {}
                Err(e) => error = Some(e),
            }
        }
        let session = self.session.clone();
        let snap = self.snapshot();
        let mut targets: Vec<(i32, Option<i32>)> = snap
            .tagged_as(name)
            .filter(|p| leader.is_none() || p.pgrp != pgid)
            .map(|p| (p.pid, None))
            .collect();
        if let Some(l) = leader {
            for d in snap.descendants(l) {
                if d.pgrp != pgid && !targets.iter().any(|t| t.0 == d.pid) {
                    targets.push((d.pid, Some(d.ppid)));
                }
            }
        }
        for (pid, parent) in targets {
            let ok = super::tree::signal_checked(pid, sig, |p| match parent {
                None => super::tree::tag_of(p, &session).as_deref() == Some(name),
                Some(pp) => std::fs::read_to_string(format!("/proc/{p}/stat"))
                    .ok()
                    .and_then(|s| super::tree::parse_stat(&s))
                    .is_some_and(|(_, _, ppid, _, _)| ppid == pp),
            });
            if ok {
                reached += 1;
            }
        }
        (reached, error)
    }

    /// After a stop: anything of the tree still running is a leftover.
    fn audit(&mut self, key: usize) {
        let Some(p) = self.proc(key) else { return };
        if p.alive() {
            return;
        }
        let name = p.name.clone();
        let snap = self.fresh_snapshot();
        let mut left: Vec<(i32, String)> = snap
            .tagged_as(&name)
            .map(|p| {
                (
                    p.pid,
                    format!(
                        "pid {} ({}) of `{name}` is still running after it was stopped",
                        p.pid, p.comm
                    ),
                )
            })
            .collect();
        let mut orphans: Vec<(i32, String)> =
            snap.adopted_orphans().map(|p| (p.pid, p.comm.clone())).collect();
        orphans.retain(|o| !self.reported_orphans.contains(&o.0));
        // An orphan cannot be told to belong to one task: report it once.
        self.reported_orphans.extend(orphans.iter().map(|o| o.0));
        left.extend(orphans.into_iter().map(|(pid, comm)| {
            (
                pid,
                format!(
                    "pid {pid} ({comm}) left its session and cleared its environment; it was re-parented to Proctor and is still running after `{name}` was stopped"
                ),
            )
        }));
        for (pid, message) in left {
            self.emit(Event::now(EventKind::Leftover { message }).process(&name, Some(pid as u32)));
        }
    }

    /// Kills every process of this session whose named process has ended
    /// (and orphans that escaped their tag): the leftovers. Returns the pids.
    fn kill_leftovers(&mut self, why: &str) -> Vec<i32> {
        let live: std::collections::HashSet<String> = self
            .procs
            .iter()
            .flatten()
            .filter(|p| p.alive())
            .map(|p| p.name.clone())
            .collect();
        let session = self.session.clone();
        let me = std::process::id() as i32;
        let snap = self.fresh_snapshot();
        let mut left: Vec<(i32, String, String, bool)> = snap
            .tagged()
            .filter(|p| !live.contains(p.tagged.as_deref().unwrap_or("")))
            .map(|p| (p.pid, p.tagged.clone().unwrap_or_default(), p.comm.clone(), false))
            .collect();
        left.extend(
            snap.adopted_orphans()
                .map(|p| (p.pid, String::new(), p.comm.clone(), true)),
        );
        let mut killed = Vec::new();
        for (pid, name, comm, orphan) in left {
            let still_ours = |p: i32| {
                if orphan {
                    std::fs::read_to_string(format!("/proc/{p}/stat"))
                        .ok()
                        .and_then(|s| super::tree::parse_stat(&s))
                        .is_some_and(|(_, _, ppid, _, _)| ppid == me)
                } else {
                    super::tree::tag_of(p, &session).is_some()
                }
            };
            if super::tree::signal_checked(pid, Signal::SIGKILL, still_ours) {
                killed.push(pid);
                let mut e = Event::now(EventKind::SignalSent {
                    signal: "SIGKILL".into(),
                    message: format!("{why}leftover pid {pid} ({comm})"),
                    kill_in: None,
                });
                // An orphan's task is not known: no process name.
                e.process = (!name.is_empty()).then_some(name);
                e.pid = Some(pid as u32);
                self.emit(e);
            }
        }
        killed
    }

    /// At the end of the session nothing it started may be left running.
    fn final_sweep(&mut self) {
        for _ in 0..3 {
            let mut killed = self.kill_leftovers("session end: ");
            if killed.is_empty() {
                break;
            }
            // Reap the ones that were re-parented to us (only those: other
            // children of this process are not ours to reap).
            let deadline = Instant::now() + Duration::from_millis(500);
            while !killed.is_empty() && Instant::now() < deadline {
                killed.retain(|&pid| {
                    // SAFETY: reaping one known pid without blocking.
                    let r = unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
                    r == 0
                });
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    fn stop_all(&mut self, how: StopHow) {
        for pool in 0..self.pools.len() {
            if self.pools[pool].is_some() {
                self.stop_pool(pool, how);
            }
        }
        let keys: Vec<usize> = (0..self.procs.len())
            .filter(|&k| matches!(self.procs[k].as_ref().map(|p| &p.origin), Some(Origin::Task(_))))
            .collect();
        for key in keys {
            self.stop(key, how, true, "");
        }
    }

    fn restart(&mut self, name: &str) {
        let Some(key) = self.by_name.get(name).copied() else {
            return self.error(format!("no process named `{name}`"));
        };
        let p = self.procs[key].as_mut().expect("indexed");
        if !matches!(p.origin, Origin::Task(_)) {
            return self.error(format!("`{name}` is a pool worker; control its pool instead"));
        }
        p.restarts = 0;
        if p.alive() {
            p.restart_on_exit = true;
            self.stop(key, StopHow::Terminate, true, "restart: ");
        } else {
            p.restart_pending = false;
            self.spawn_task(key);
        }
    }

    fn begin_shutdown(&mut self) {
        if self.shutting_down {
            return;
        }
        self.shutting_down = true;
        for p in self.procs.iter_mut().flatten() {
            p.restart_pending = false;
            p.restart_on_exit = false;
        }
        self.stop_all(StopHow::Terminate);
    }

    fn clear_ended(&mut self) {
        let ended: Vec<usize> = (0..self.procs.len())
            .filter(|&k| {
                self.procs[k]
                    .as_ref()
                    .is_some_and(|p| !p.busy() && matches!(p.origin, Origin::Task(_)))
            })
            .collect();
        for key in ended {
            self.remove_proc(key);
        }
        self.clear_ended_pools();
    }

    // ----- timers --------------------------------------------------------

    pub(super) fn add_timer(&mut self, key: usize, run_id: u64, what: TimerWhat, after: Duration) {
        let gen = self.procs[key].as_ref().map(|p| p.gen).unwrap_or(0);
        self.timers.push(Reverse(Timer {
            at: Instant::now() + after,
            key,
            gen,
            run_id,
            what,
        }));
    }

    fn next_timeout_ms(&self) -> i32 {
        match self.timers.peek() {
            None => -1,
            Some(Reverse(t)) => {
                let now = Instant::now();
                if t.at <= now {
                    0
                } else {
                    // Round up so we never wake just before the deadline.
                    let ms = (t.at - now).as_micros().div_ceil(1000);
                    ms.min(i32::MAX as u128) as i32
                }
            }
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(Reverse(t)) = self.timers.peek().copied() {
            if t.at > now {
                break;
            }
            self.timers.pop();
            let valid = self
                .procs
                .get(t.key)
                .and_then(Option::as_ref)
                .is_some_and(|p| p.gen == t.gen && p.run_id == t.run_id);
            if !valid {
                continue;
            }
            match t.what {
                TimerWhat::Kill => self.escalate(t.key),
                TimerWhat::Timeout => self.on_timeout(t.key),
                TimerWhat::Restart => self.on_restart_timer(t.key),
                TimerWhat::InputTimeout(input) => self.on_input_timeout(t.key, input),
                TimerWhat::Audit => self.audit(t.key),
            }
        }
    }

    fn escalate(&mut self, key: usize) {
        let Some(p) = self.procs[key].as_mut() else { return };
        if p.kill_at.take().is_none() {
            return;
        }
        let t = p.stop.timeout;
        let run_id = p.run_id;
        self.stop(
            key,
            StopHow::Kill,
            false,
            &format!("still running {t:.1}s after the stop signal; "),
        );
        self.add_timer(key, run_id, TimerWhat::Audit, Duration::from_millis(300));
    }

    fn on_timeout(&mut self, key: usize) {
        let Some(p) = self.proc(key) else { return };
        if !p.alive() {
            return;
        }
        let why = match &p.origin {
            Origin::Task(spec) => format!("timeout after {:.1}s; ", spec.timeout),
            Origin::Worker { pool, .. } => {
                let t = self
                    .pools
                    .get(*pool)
                    .and_then(Option::as_ref)
                    .map(|p| p.spec.timeout)
                    .unwrap_or(0.0);
                format!("input timeout after {t:.1}s; ")
            }
        };
        self.stop(key, StopHow::Terminate, false, &why);
    }

    fn on_restart_timer(&mut self, key: usize) {
        let Some(p) = self.procs[key].as_mut() else { return };
        if !p.restart_pending || self.shutting_down {
            return;
        }
        p.restarts += 1;
        let attempt = p.restarts;
        let name = p.name.clone();
        let max = match &p.origin {
            Origin::Task(s) => s.max_restarts,
            Origin::Worker { .. } => 0,
        };
        self.emit(
            Event::now(EventKind::Restarting {
                attempt,
                message: format!("restart {attempt} of at most {max}"),
            })
            .process(&name, None),
        );
        self.spawn_task(key);
        if let Some(p) = self.procs[key].as_mut() {
            p.restart_pending = false;
        }
    }

    // ----- I/O -----------------------------------------------------------

    fn dispatch(&mut self, tok: u64, events: u32) {
        let (key, gen, fd) = untoken(tok);
        let valid = self
            .procs
            .get(key)
            .and_then(Option::as_ref)
            .is_some_and(|p| (p.gen & 0x00FF_FFFF) == gen);
        if !valid {
            return;
        }
        match fd {
            x if x == Fd::Stdout as u8 => self.read_stream(key, Fd::Stdout, READ_BUDGET),
            x if x == Fd::Stderr as u8 => self.read_stream(key, Fd::Stderr, READ_BUDGET),
            x if x == Fd::Exit as u8 => self.on_exit(key),
            x if x == Fd::Stdin as u8 => {
                let _ = events;
                self.flush_stdin(key);
            }
            _ => {}
        }
    }

    /// Reads up to `budget` chunks from a pipe; emits one event per line.
    /// Returns after EOF (the stream is closed) or when the pipe is empty.
    fn read_stream(&mut self, key: usize, which: Fd, budget: usize) {
        let mut scratch = std::mem::take(&mut self.scratch);
        for _ in 0..budget {
            let Some(p) = self.procs[key].as_mut() else { break };
            let stream = match which {
                Fd::Stdout => p.stdout.as_mut(),
                _ => p.stderr.as_mut(),
            };
            let Some(stream) = stream else { break };
            match reactor::read_fd(stream.fd.as_raw_fd(), &mut scratch) {
                Ok(0) => {
                    let mut lines = Vec::new();
                    stream.lines.finish(&mut |l| lines.push(l));
                    // Dropping it closes it, which also takes it out of epoll.
                    drop(match which {
                        Fd::Stdout => p.stdout.take(),
                        _ => p.stderr.take(),
                    });
                    self.emit_lines(key, which, lines);
                    break;
                }
                Ok(n) => {
                    let mut lines = Vec::new();
                    stream.lines.push(&scratch[..n], &mut |l| lines.push(l));
                    self.emit_lines(key, which, lines);
                    if n < scratch.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => {
                    let name = p.name.clone();
                    let fd = match which {
                        Fd::Stdout => p.stdout.take(),
                        _ => p.stderr.take(),
                    };
                    if let Some(s) = fd {
                        self.epoll.delete(s.fd.as_raw_fd());
                    }
                    self.error(format!("reading output of `{name}` failed: {e}"));
                    break;
                }
            }
        }
        self.scratch = scratch;
    }

    fn emit_lines(&mut self, key: usize, which: Fd, lines: Vec<String>) {
        if lines.is_empty() {
            return;
        }
        if which == Fd::Stdout && matches!(self.proc(key).map(|p| &p.origin), Some(Origin::Worker { .. })) {
            for line in lines {
                self.pool_stdout_line(key, line);
            }
            return;
        }
        let Some(p) = self.proc(key) else { return };
        let name = p.name.clone();
        let pid = p.pid().or(p.pgid.map(|g| g as u32));
        let pool = self.pool_of_key(key);
        for line in lines {
            let kind = match which {
                Fd::Stdout => EventKind::Stdout { line },
                _ => EventKind::Stderr { line },
            };
            let mut e = Event::now(kind).process(&name, pid);
            e.pool = pool.clone();
            self.emit(e);
        }
    }

    /// Emits a stdout line of a pool worker as a plain output event.
    pub(super) fn emit_stdout(&mut self, key: usize, line: String, input: Option<u64>) {
        let Some(p) = self.proc(key) else { return };
        let name = p.name.clone();
        let pid = p.pid().or(p.pgid.map(|g| g as u32));
        let pool = self.pool_of_key(key);
        let mut e = Event::now(EventKind::Stdout { line }).process(&name, pid);
        e.pool = pool;
        e.input = input;
        self.emit(e);
    }

    /// Reads whatever the pipes hold now (bounded), so that output printed
    /// before an exit is logged before the exit.
    fn drain_streams(&mut self, key: usize) {
        // 16 MiB per stream at most: a grandchild that keeps the pipe open
        // and floods it cannot hold us here.
        for which in [Fd::Stdout, Fd::Stderr] {
            self.read_stream(key, which, 256);
        }
    }

    pub(super) fn close_streams(&mut self, key: usize) {
        let Some(p) = self.procs[key].as_mut() else { return };
        // Closing an fd takes it out of the epoll set: it is never dup'ed in
        // this process, so the close is its last reference.
        drop((p.stdout.take(), p.stderr.take(), p.stdin.take()));
    }

    fn on_exit(&mut self, key: usize) {
        let Some(pid) = self.proc(key).and_then(|p| p.live.as_ref()).map(|l| l.pid) else {
            return;
        };
        if let Some((exit_code, usage)) = child::try_reap(pid) {
            self.finish_exit(key, exit_code, usage);
        }
    }

    /// Reaps what has exited in the group of `key`: orphans adopted from it
    /// and, if it has exited, its leader.
    fn reap_group(&mut self, key: usize) {
        let Some(p) = self.proc(key) else { return };
        let Some(pgid) = p.pgid else { return };
        let leader = p.live.as_ref().map(|l| l.pid);
        while let Some((pid, exit_code, usage)) = child::reap_group_member(pgid) {
            if Some(pid) == leader {
                self.finish_exit(key, exit_code, usage);
            }
        }
    }

    fn sweep_due(&self) -> bool {
        self.shutting_down || self.procs.iter().flatten().any(|p| p.kill_at.is_some())
    }

    /// Reaps exited members of the groups we know. Run often while a stop
    /// is in progress (so that a stopped group is seen gone promptly) and
    /// at most once a second otherwise.
    fn sweep(&mut self, force: bool) {
        if !force && self.last_sweep.elapsed() < Duration::from_secs(1) {
            return;
        }
        self.last_sweep = Instant::now();
        for key in 0..self.procs.len() {
            if self.procs[key].as_ref().is_some_and(|p| p.pgid.is_some()) {
                self.reap_group(key);
            }
        }
    }

    fn finish_exit(&mut self, key: usize, exit_code: i32, usage: super::event::Usage) {
        let Some(p) = self.procs[key].as_ref() else { return };
        let Some(live) = p.live.as_ref() else { return };
        let pid = live.pid;
        let runtime = live.started.elapsed().as_secs_f64();
        self.drain_streams(key);
        let p = self.procs[key].as_mut().expect("checked above");
        // Closing the pidfd takes it out of the epoll set (tokens carry a
        // generation, so nothing stale can reach a reused slot).
        drop(p.live.take());
        // Nothing more can be written to a dead worker.
        if let Some(s) = p.stdin.take() {
            self.epoll.delete(s.fd.as_raw_fd());
        }
        let name = p.name.clone();
        // A stopped process whose whole group is gone needs no SIGKILL; the
        // audit still looks for anything of its tree left elsewhere.
        if p.kill_at.is_some() && !p.pgid.is_some_and(group_alive) {
            p.kill_at = None;
            let run_id = p.run_id;
            self.add_timer(key, run_id, TimerWhat::Audit, Duration::from_millis(300));
        }
        let p = self.procs[key].as_mut().expect("checked above");
        if let Origin::Worker { .. } = p.origin {
            return self.pool_worker_exited(key, pid, exit_code, runtime, usage);
        }
        let Origin::Task(spec) = p.origin.clone() else {
            return;
        };
        let restart_now = std::mem::take(&mut p.restart_on_exit) && !self.shutting_down;
        let delay = if restart_now {
            None
        } else {
            restart_delay(&RestartInput {
                policy: spec.restart,
                exit_code,
                restarts: p.restarts,
                max_restarts: spec.max_restarts,
                stopped_by_user: p.stopped_by_user,
                shutting_down: self.shutting_down,
                backoff: spec.backoff,
                backoff_max: spec.backoff_max,
            })
        };
        let run_id = p.run_id;
        p.restart_pending = delay.is_some();
        self.emit(
            Event::now(EventKind::Exited {
                exit_code,
                runtime,
                restart_in: delay,
                usage: Some(usage),
            })
            .process(&name, Some(pid as u32)),
        );
        if let Some(d) = delay {
            self.add_timer(key, run_id, TimerWhat::Restart, Duration::from_secs_f64(d));
        } else if restart_now {
            self.emit(
                Event::now(EventKind::Restarting {
                    attempt: 0,
                    message: "restarted by the user".into(),
                })
                .process(&name, None),
            );
            self.spawn_task(key);
        }
    }

    // ----- stdin (persistent pool workers) --------------------------------

    /// Queues bytes for a worker's stdin; `flush_stdin` writes them.
    pub(super) fn queue_stdin(&mut self, key: usize, bytes: &[u8]) {
        if let Some(s) = self.procs[key].as_mut().and_then(|p| p.stdin.as_mut()) {
            s.buf.extend_from_slice(bytes);
        }
    }

    pub(super) fn flush_stdin(&mut self, key: usize) {
        let Some(p) = self.procs[key].as_mut() else { return };
        let gen = p.gen;
        let Some(s) = p.stdin.as_mut() else { return };
        let mut broken = false;
        while !s.buf.is_empty() {
            match reactor::write_fd(s.fd.as_raw_fd(), &s.buf) {
                Ok(n) => {
                    s.buf.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        if broken {
            // The worker closed its stdin; its exit will be handled.
            if let Some(s) = p.stdin.take() {
                self.epoll.delete(s.fd.as_raw_fd());
            }
            return;
        }
        if s.buf.is_empty() && s.close_when_flushed {
            if let Some(s) = p.stdin.take() {
                self.epoll.delete(s.fd.as_raw_fd());
            }
            return;
        }
        let want = !s.buf.is_empty();
        if want != s.waiting {
            let fd = s.fd.as_raw_fd();
            let tok = token(key, gen, Fd::Stdin);
            let r = if want {
                if s.waiting {
                    self.epoll.modify(fd, tok, reactor::WRITABLE)
                } else {
                    self.epoll.add(fd, tok, reactor::WRITABLE)
                }
            } else {
                self.epoll.delete(fd);
                Ok(())
            };
            s.waiting = want && r.is_ok();
        }
    }

    /// Closes a worker's stdin once everything queued is written.
    pub(super) fn close_stdin(&mut self, key: usize) {
        if let Some(s) = self.procs[key].as_mut().and_then(|p| p.stdin.as_mut()) {
            s.close_when_flushed = true;
        }
        self.flush_stdin(key);
    }

    pub(super) fn remove_worker_proc(&mut self, key: usize) {
        self.remove_proc(key);
    }
}
