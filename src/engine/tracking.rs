//! What the supervisor knows about the process tree beyond its direct
//! children: one snapshot of `/proc` per batch of work, audits of stopped
//! processes done together, and which adopted orphans are this engine's.
//!
//! A batch is one iteration of the supervisor loop: every command applied
//! in it (Stop all, Shutdown, a pool's Terminate) and every timer fired in
//! it (SIGKILL escalations) share one snapshot, so stopping N processes
//! costs one look at `/proc`, not N.

use super::cgroup::{self, Cgroups, RunCgroup};
use super::supervisor::{Origin, Supervisor};
use super::tree::{ProcInfo, Snapshot};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Engines whose supervisor runs in this process. Orphans are re-parented
/// to the process, not to an engine: with more than one, an orphan that
/// cleared its tag is counted only by the engine that can show it is its.
static LIVE_ENGINES: AtomicUsize = AtomicUsize::new(0);

/// Audits of stopped processes run at most this often, together.
const AUDIT_EVERY: Duration = Duration::from_millis(250);

#[derive(Default)]
pub(super) struct Tracker {
    /// The snapshot of the current batch, taken on first use.
    snapshot: Option<Snapshot>,
    /// Processes that started before this clock tick (since boot) cannot
    /// be ours: their environment is not read.
    pub(super) not_before: u64,
    /// Stopped processes waiting for their audit: (key, gen, run_id).
    audits: Vec<(usize, u32, u64)>,
    last_audit: Option<Instant>,
    /// Orphans already reported as leftovers.
    pub(super) reported_orphans: HashSet<i32>,
    /// Whether this batch of audits has looked for orphans yet.
    pub(super) orphans_audited: bool,
    /// Processes (pid, start) seen tagged with this session: an orphan
    /// among them is ours even after it cleared its environment.
    members: HashSet<(i32, u64)>,
    /// Whether this engine counts in `LIVE_ENGINES`.
    registered: bool,
    /// The session's cgroup, where it may have one.
    pub(super) cgroups: Option<Cgroups>,
    /// Why the session has no cgroup (shown in tests and the bench).
    pub(super) no_cgroup: Option<String>,
    /// The cgroup of each process's current or last run: key -> (gen, path).
    runs: HashMap<usize, (u32, PathBuf)>,
    /// Cgroups of earlier runs that still held processes when the next run
    /// started.
    stale: Vec<PathBuf>,
}

impl Tracker {
    /// Called on the supervisor thread when it starts.
    pub(super) fn register(&mut self) {
        // Two ticks of margin: start times are rounded to ticks.
        self.not_before = super::tree::thread_start_ticks().saturating_sub(2);
        super::tree::note_preexisting_children();
        if !self.registered {
            self.registered = true;
            LIVE_ENGINES.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub(super) fn open_cgroups(&mut self, session: &str) {
        match Cgroups::open(session) {
            Ok(c) => self.cgroups = Some(c),
            Err(why) => self.no_cgroup = Some(why),
        }
    }

    /// A new batch: the next look at the tree takes a new snapshot.
    pub(super) fn new_batch(&mut self) {
        self.snapshot = None;
    }

    /// The snapshot of this batch (empty when none was taken).
    pub(super) fn current(&self) -> &Snapshot {
        static EMPTY: std::sync::OnceLock<Snapshot> = std::sync::OnceLock::new();
        self.snapshot
            .as_ref()
            .unwrap_or_else(|| EMPTY.get_or_init(Snapshot::default))
    }

    /// How long the loop may sleep before queued audits are due.
    pub(super) fn audit_wait_ms(&self) -> Option<i32> {
        if self.audits.is_empty() {
            return None;
        }
        let left = self
            .last_audit
            .map_or(Duration::ZERO, |t| AUDIT_EVERY.saturating_sub(t.elapsed()));
        Some(left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32)
    }

    fn remember(&mut self, snap: &Snapshot) {
        if self.members.len() > 1_000_000 {
            self.members.clear();
        }
        self.members.extend(
            snap.procs
                .iter()
                .filter(|p| p.tagged.is_some())
                .map(|p| (p.pid, p.start)),
        );
    }

    /// Whether an adopted orphan that carries no tag is this engine's: it
    /// was seen tagged as ours, or this is the only engine in the process.
    pub(super) fn orphan_is_ours(&self, p: &ProcInfo) -> bool {
        self.members.contains(&(p.pid, p.start))
            || self.cgroups.as_ref().is_some_and(|c| c.contains(p.pid))
            || LIVE_ENGINES.load(Ordering::SeqCst) <= 1
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        if let Some(c) = self.cgroups.as_mut() {
            c.remove_all();
        }
        if self.registered {
            LIVE_ENGINES.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Supervisor {
    /// The snapshot of this batch (taken now if this batch has none).
    pub(super) fn snapshot(&mut self) -> &Snapshot {
        if self.tracker.snapshot.is_none() {
            self.take_snapshot();
        }
        self.tracker.snapshot.as_ref().expect("just set")
    }

    /// A new snapshot, which the rest of this batch then shares.
    pub(super) fn fresh_snapshot(&mut self) -> &Snapshot {
        self.take_snapshot();
        self.tracker.snapshot.as_ref().expect("just set")
    }

    fn take_snapshot(&mut self) {
        let snap = Snapshot::take(&self.session, self.tracker.not_before);
        self.tracker.remember(&snap);
        self.tracker.snapshot = Some(snap);
    }

    /// A stopped process's audit timer fired: queue it with the others.
    pub(super) fn audit(&mut self, key: usize) {
        if let Some(p) = self.proc(key) {
            let entry = (key, p.gen, p.run_id);
            self.tracker.audits.push(entry);
        }
    }

    /// Audits every queued process with one fresh snapshot, at most once
    /// every `AUDIT_EVERY`.
    pub(super) fn run_audits(&mut self) {
        if self.tracker.audit_wait_ms().is_none_or(|ms| ms > 0) {
            return;
        }
        self.tracker.last_audit = Some(Instant::now());
        let batch = std::mem::take(&mut self.tracker.audits);
        let mut due = Vec::with_capacity(batch.len());
        for (key, gen, run_id) in batch {
            if self
                .proc(key)
                .is_some_and(|p| p.gen == gen && p.run_id == run_id && !p.alive())
            {
                due.push(key);
            }
        }
        if due.is_empty() {
            return;
        }
        self.fresh_snapshot();
        self.tracker.orphans_audited = false;
        for key in due {
            self.audit_one(key);
        }
    }
}

impl Supervisor {
    /// A cgroup for the next run of the process at `key`: tasks and
    /// persistent pool workers get one, spawn-mode workers do not.
    pub(super) fn cgroup_for_run(&mut self, key: usize, stdin_pipe: bool) -> Option<RunCgroup> {
        let task = matches!(self.proc(key)?.origin, Origin::Task(_));
        if !task && !stdin_pipe {
            return None;
        }
        self.forget_run_cgroup(key);
        if let Some((_, old)) = self.tracker.runs.remove(&key) {
            self.tracker.stale.push(old);
        }
        self.tracker.cgroups.as_mut()?.new_run().ok()
    }

    /// After a spawn: keep the run's cgroup if the child joined it.
    pub(super) fn spawned_in_cgroup(&mut self, key: usize, run: Option<RunCgroup>, joined: bool) {
        let Some(run) = run else { return };
        match self.proc(key) {
            Some(p) if joined => {
                let gen = p.gen;
                self.tracker.runs.insert(key, (gen, run.path));
            }
            _ => cgroup::remove_tree(&run.path),
        }
    }

    /// The run's cgroup is removed if it is empty (else it stays listed, for
    /// the audit and the leftovers).
    pub(super) fn forget_run_cgroup(&mut self, key: usize) {
        if let Some((_, path)) = self.tracker.runs.get(&key) {
            if std::fs::remove_dir(path).is_ok() || !path.exists() {
                self.tracker.runs.remove(&key);
            }
        }
    }

    /// The cgroup of the current or last run of process `name`.
    pub(super) fn run_cgroup_of(&self, name: &str) -> Option<PathBuf> {
        let key = self.procs.key(name)?;
        let gen = self.proc(key)?.gen;
        let (g, path) = self.tracker.runs.get(&key)?;
        (*g == gen).then(|| path.clone())
    }

    /// Whether `pid` is (still) in cgroup `path`.
    pub(super) fn in_cgroup(&self, pid: i32, path: &Path) -> bool {
        self.tracker.cgroups.as_ref().is_some_and(|c| c.is_in(pid, path))
    }

    /// The cgroups of processes that have ended but still hold processes:
    /// (name, path).
    pub(super) fn ended_cgroups(&self) -> Vec<(String, PathBuf)> {
        let mut out = Vec::new();
        for (&key, (gen, path)) in &self.tracker.runs {
            let name = match self.proc(key) {
                Some(p) if p.gen == *gen && p.alive() => continue,
                Some(p) if p.gen == *gen => p.name.clone(),
                _ => String::new(),
            };
            if cgroup::populated(path) {
                out.push((name, path.clone()));
            }
        }
        for path in &self.tracker.stale {
            if cgroup::populated(path) {
                out.push((String::new(), path.clone()));
            }
        }
        out
    }

    /// Whether the session's cgroup still holds a process (false without
    /// cgroups: the fallback path cannot tell cheaply).
    pub(super) fn session_populated(&self) -> bool {
        self.tracker
            .cgroups
            .as_ref()
            .is_some_and(|c| cgroup::populated(c.dir()))
    }

    /// Removes the stale cgroups that have emptied.
    pub(super) fn remove_empty_cgroups(&mut self) {
        self.tracker
            .stale
            .retain(|p| std::fs::remove_dir(p).is_err() && p.exists());
    }

    /// At session end: SIGKILL to whatever is left in the session's cgroup,
    /// wait (up to a second) for it to empty, and remove the cgroups.
    pub(super) fn end_cgroups(&mut self) {
        let Some(c) = self.tracker.cgroups.as_mut() else {
            return;
        };
        if cgroup::populated(c.dir()) {
            let left = cgroup::pids(c.dir());
            let _ = c.kill_session();
            let deadline = Instant::now() + Duration::from_secs(1);
            while cgroup::populated(c.dir()) && Instant::now() < deadline {
                for &pid in &left {
                    // SAFETY: reaping one known pid without blocking (only
                    // those re-parented to us are reaped).
                    unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        c.remove_all();
        self.tracker.runs.clear();
        self.tracker.stale.clear();
    }
}
