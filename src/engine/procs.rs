//! The supervisor's table of named processes: one slot per name, reused
//! when a process is removed. A slot's key goes into epoll tokens and
//! timers together with its generation, so a stale token or timer of a
//! removed process never reaches the slot's next tenant. The table is the
//! only place that assigns keys and generations.

use super::child::group_alive;
use super::lifecycle::Life;
use super::lines::LineSplitter;
use crate::session::{StopPolicy, TaskSpec};
use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::sync::Arc;
use std::time::Instant;

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
    /// The write ends of its stdout and stderr (see `Spawned::writers`).
    pub writers: Option<[OwnedFd; 2]>,
    pub started: Instant,
}

pub(super) struct Stream {
    pub fd: OwnedFd,
    pub lines: LineSplitter,
    /// Read to its end but kept open (a terminal's master, see
    /// `read_stream`): out of epoll, not read again.
    pub parked: bool,
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
    /// Where it is in its lifecycle (see `lifecycle`).
    pub life: Life,
    /// SIGKILL for the group is scheduled at this time (the stop of the
    /// tree, which may outlive the leader).
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
    pub fn busy(&self) -> bool {
        self.live.is_some()
            || self.life.backing_off()
            || (self.kill_at.is_some() && self.pgid.is_some_and(group_alive))
    }
    pub fn worker_pool(&self) -> Option<usize> {
        match self.origin {
            Origin::Worker { pool, .. } => Some(pool),
            Origin::Task(_) => None,
        }
    }
}

/// The named processes, by key and by name.
pub(super) struct Procs {
    slots: Vec<Option<Proc>>,
    free: Vec<usize>,
    next_gen: u32,
    by_name: HashMap<String, usize>,
}

impl Default for Procs {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            free: Vec::new(),
            next_gen: 1,
            by_name: HashMap::new(),
        }
    }
}

impl Procs {
    pub fn get(&self, key: usize) -> Option<&Proc> {
        self.slots.get(key).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, key: usize) -> Option<&mut Proc> {
        self.slots.get_mut(key).and_then(Option::as_mut)
    }

    /// The key of the process named `name`.
    pub fn key(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// Every process with its key.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &Proc)> + Clone {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(k, p)| Some((k, p.as_ref()?)))
    }

    /// Every process.
    pub fn all(&self) -> impl Iterator<Item = &Proc> + Clone {
        self.slots.iter().flatten()
    }

    /// The keys of the processes that pass `keep` (a list, so that the
    /// caller may change the table while it goes through them).
    pub fn keys_where(&self, keep: impl Fn(&Proc) -> bool) -> Vec<usize> {
        self.iter().filter(|(_, p)| keep(p)).map(|(k, _)| k).collect()
    }

    /// A new idle process named `name` (which now names it, if another
    /// held the name), in a free slot, with a generation of its own.
    pub fn insert(&mut self, name: String, origin: Origin, stop: StopPolicy) -> usize {
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
            life: Life::Idle,
            kill_at: None,
        };
        let key = match self.free.pop() {
            Some(k) => {
                self.slots[k] = Some(p);
                k
            }
            None => {
                self.slots.push(Some(p));
                self.slots.len() - 1
            }
        };
        self.by_name.insert(name, key);
        key
    }

    /// Takes the process out; its slot is free for another.
    pub fn remove(&mut self, key: usize) -> Option<Proc> {
        let p = self.slots.get_mut(key)?.take()?;
        if self.by_name.get(&p.name) == Some(&key) {
            self.by_name.remove(&p.name);
        }
        self.free.push(key);
        Some(p)
    }
}
