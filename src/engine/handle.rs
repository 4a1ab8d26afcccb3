//! The handle the rest of the program holds on the engine: [`Engine`]
//! starts the supervisor thread (see `supervisor`), takes [`Command`]s in
//! and hands [`Event`]s out; dropping it ends the session.

use super::child;
use super::command::Command;
use super::contain::{self, Failure};
use super::error::EngineError;
use super::reactor::{self, Epoll, Waker};
use super::supervisor::{Supervisor, WAKER_TOKEN};
use crate::event::Event;
use crate::journal::{Journal, JournalConfig};
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Called after new events are queued (the GUI passes `request_repaint`).
pub type Notify = Arc<dyn Fn() + Send + Sync>;

pub struct EngineConfig {
    /// How many events may wait unread before the supervisor waits.
    pub event_capacity: usize,
    pub notify: Option<Notify>,
    /// Where to keep the session's journal; `None`: keep none.
    pub journal: Option<JournalConfig>,
    /// Use a cgroup v2 subtree where the session may (see `cgroup`); false
    /// (or `PROCTOR_CGROUP=off`) tracks processes by their tag only.
    pub cgroups: bool,
    /// Find processes by their session tag (the default). Off (or
    /// `PROCTOR_TAG_SCAN=off`) only for tests of remote workers, whose
    /// "remote" processes share this machine's /proc: Proctor then tracks
    /// only its own descendants, so that the remote side must be seen to
    /// clean up by itself. Process-wide once an engine starts with it off.
    pub tag_scan: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            event_capacity: 65_536,
            notify: None,
            journal: None,
            cgroups: true,
            tag_scan: true,
        }
    }
}

/// A running supervisor. Dropping it shuts the session down: every child is
/// stopped by its stop policy and reaped before `drop` returns.
pub struct Engine {
    pub(super) commands: Sender<Command>,
    pub(super) waker: Arc<Waker>,
    pub(super) events: Receiver<Event>,
    thread: Option<JoinHandle<()>>,
    journal_path: Option<std::path::PathBuf>,
    journal_failed: Option<Arc<std::sync::atomic::AtomicBool>>,
    failure: Failure,
    cgroup: Result<std::path::PathBuf, String>,
    session: String,
    /// Lives as long as `events`' reader: the supervisor waits for room
    /// on the queue only while it does.
    _reader: Arc<()>,
}

impl Engine {
    pub fn start(config: EngineConfig) -> Result<Engine, EngineError> {
        child::become_subreaper();
        if !config.tag_scan || std::env::var("PROCTOR_TAG_SCAN").is_ok_and(|v| v == "off") {
            super::tree::set_tag_scan(false);
        }
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
        let journal_failed = journal.as_ref().map(Journal::failed_flag);
        let (cmd_tx, cmd_rx) = unbounded();
        let (ev_tx, ev_rx) = bounded(config.event_capacity.max(1));
        let mut sup = Supervisor::new(epoll, waker.clone(), cmd_rx, ev_tx, config.notify);
        let reader = Arc::new(());
        sup.out.set_reader(Arc::downgrade(&reader));
        if let Some(j) = journal {
            sup.out.set_journal(j);
        }
        if config.cgroups {
            sup.tracker.open_cgroups(&sup.session);
        } else {
            sup.tracker.no_cgroup = Some("not asked for".into());
        }
        let cgroup = match (&sup.tracker.cgroups, &sup.tracker.no_cgroup) {
            (Some(c), _) => Ok(c.dir().to_path_buf()),
            (None, why) => Err(why.clone().unwrap_or_default()),
        };
        let cgroup_dir = sup.tracker.cgroups.as_ref().map(|c| c.dir().to_path_buf());
        sup.watchdog = match child::Watchdog::spawn(&sup.session, cgroup_dir.as_deref()) {
            Ok(w) => Some(w),
            Err(e) => {
                sup.startup_warning = Some(format!(
                    "cannot start the crash guard (/bin/sh): {e}; if Proctor is killed, grandchildren outside their group may survive"
                ));
                None
            }
        };
        let session = sup.session.clone();
        let failure = Failure::default();
        let failed = failure.clone();
        let thread = std::thread::Builder::new()
            .name("proctor-supervisor".into())
            .spawn(move || contain::run_contained(sup, failed))
            .map_err(EngineError::Thread)?;
        Ok(Engine {
            commands: cmd_tx,
            waker,
            events: ev_rx,
            thread: Some(thread),
            journal_path,
            journal_failed,
            failure,
            cgroup,
            session,
            _reader: reader,
        })
    }

    /// The tag in every child's environment (`PROCTOR_SESSION`): what finds
    /// a process's descendants wherever they went (see `tree`).
    pub fn session_tag(&self) -> &str {
        &self.session
    }

    /// Turns true when a write to the journal fails (an `error` event says
    /// so); it outlives the engine, so its last flush counts too.
    pub fn journal_failed(&self) -> Arc<std::sync::atomic::AtomicBool> {
        self.journal_failed.clone().unwrap_or_default()
    }

    /// The session's cgroup directory, or why it tracks its processes by
    /// their tag only.
    pub fn cgroup(&self) -> Result<&std::path::Path, &str> {
        self.cgroup.as_deref().map_err(String::as_str)
    }

    /// The journal this session writes, if it keeps one.
    pub fn journal_path(&self) -> Option<&std::path::Path> {
        self.journal_path.as_deref()
    }

    /// Why the engine stopped on its own, if it did: the message of a panic
    /// in the supervisor thread. Every child was killed, an `error` event
    /// says why and the journal ends with `session_ended`; commands are
    /// refused from then on. A front end offers to start a new engine.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().ok().and_then(|f| f.clone())
    }

    pub fn send(&self, command: Command) -> Result<(), EngineError> {
        // Refused from the moment the engine has failed, not only once its
        // thread is gone.
        if self.failure.lock().is_ok_and(|f| f.is_some()) {
            return Err(EngineError::Stopped);
        }
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

    pub(super) fn join_draining(&mut self, sink: &mut dyn FnMut(Event)) {
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
    pub(super) commands: Sender<Command>,
    pub(super) waker: Arc<Waker>,
}

impl EngineSender {
    pub fn send(&self, command: Command) -> Result<(), EngineError> {
        self.commands.send(command).map_err(|_| EngineError::Stopped)?;
        self.waker.wake();
        Ok(())
    }
}
