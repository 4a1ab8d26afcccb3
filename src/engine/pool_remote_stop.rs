//! Stopping a pool worker that runs on an SSH host, as a remote task is
//! stopped (see `stopping::signal_stop`): its connection stays up while
//! the host's wrapper stops the command, so that the worker's end is the
//! command's end, known to have happened on the host. Its local `ssh` is
//! killed only when nothing came back a little after the stop timeout.
//!
//! - Spawn mode: the worker's stdin (a pipe never written to) is closed;
//!   the wrapper's watcher sends the stop signal, then SIGKILL after the
//!   stop timeout, and the wrapper reports the end.
//! - Persistent mode: stdin carries the inputs, and its end gives the
//!   command a grace period first; the stop signal is also sent on the
//!   host at once (a second `ssh` through the master, see
//!   `task_remote_signal`), and the stop timeout's SIGKILL goes to the
//!   host too before the local `ssh` is killed.

use super::supervisor::{Origin, Supervisor};
use crate::session::PoolMode;

/// A pool worker on an SSH host, as far as stopping it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SshWorker {
    pub pool: usize,
    pub slot: usize,
    pub persistent: bool,
}

impl Supervisor {
    /// The pool worker at `key` if its slot is on an SSH host (not this
    /// machine, not Slurm).
    pub(super) fn ssh_worker(&self, key: usize) -> Option<SshWorker> {
        let p = self.proc(key)?;
        let Origin::Worker { pool, index } = p.origin else {
            return None;
        };
        let run = self.pools.get(pool)?;
        let r = run.remote.as_ref().filter(|r| !r.is_slurm())?;
        r.host_of(index).filter(|&h| r.hosts.remote(h))?;
        Some(SshWorker {
            pool,
            slot: index,
            persistent: run.spec.mode == PoolMode::Persistent,
        })
    }

    /// Whether the pool worker at `key` runs as a Slurm step that has
    /// started on its node (the wrapper said so): a Terminate closes its
    /// input, which `srun` passes on as end of file, and the wrapper stops
    /// the command with the stop signal, then SIGKILL after the stop
    /// timeout. A signal to `srun` instead has Slurm end the whole step at
    /// once (`srun: forcing job termination`): the command never gets its
    /// stop signal. A persistent worker's input end gives it a grace
    /// period first, so its stop signal is also sent to the step through
    /// Slurm at once (`scancel --signal`; the wrapper ignores SIGTERM,
    /// SIGINT and SIGHUP), and SIGKILL at the stop timeout. A step still
    /// pending is stopped through `srun` (which withdraws its request).
    pub(super) fn running_slurm_step(&self, key: usize) -> bool {
        self.slurm_step_mode(key).is_some()
    }

    /// The mode of the pool whose worker at `key` runs a Slurm step that
    /// has started on its node.
    pub(super) fn slurm_step_mode(&self, key: usize) -> Option<PoolMode> {
        let Some(Origin::Worker { pool, index }) = self.proc(key).map(|p| &p.origin) else {
            return None;
        };
        let run = self.pools.get(*pool)?;
        (run.remote.as_ref().is_some_and(|r| r.is_slurm()) && run.workers[*index].report.node.is_some())
            .then_some(run.spec.mode)
    }

    /// Whether SIGKILL still has to be sent on the host to the SSH worker
    /// at `key` (after that, a Kill is its local `ssh`'s).
    pub(super) fn worker_kill_due(&self, key: usize) -> bool {
        self.ssh_worker(key).is_some_and(|w| {
            self.pools
                .get(w.pool)
                .is_some_and(|r| !r.workers[w.slot].report.kill_sent)
        })
    }

    /// SIGKILL was sent on the host to the SSH worker at `key`.
    pub(super) fn mark_worker_kill_sent(&mut self, key: usize) {
        if let Some(w) = self.ssh_worker(key) {
            if let Some(r) = self.pools.get_mut(w.pool) {
                r.workers[w.slot].report.kill_sent = true;
            }
        }
    }

    /// The stop timeout ran out for the SSH worker at `key`. Spawn mode:
    /// its host's wrapper killed the command at that time itself, so the
    /// Kill that follows is the local `ssh`'s. Persistent mode: the
    /// wrapper was still in its grace period; the Kill goes to the host
    /// first.
    pub(super) fn worker_stop_timed_out(&mut self, key: usize) {
        if self.ssh_worker(key).is_some_and(|w| !w.persistent) {
            self.mark_worker_kill_sent(key);
        }
    }

    /// A Terminate of the SSH worker (or running Slurm step) at `key`: its
    /// input closes (the wrapper stops the command), and in persistent
    /// mode the stop signal goes to the host at once. True if it is such
    /// a worker.
    pub(super) fn stop_ssh_worker(&mut self, key: usize, sig: nix::sys::signal::Signal) -> bool {
        if let Some(mode) = self.slurm_step_mode(key) {
            self.close_remote_input(key);
            if mode == PoolMode::Persistent {
                self.signal_slurm_step(key, sig);
            }
            return true;
        }
        let Some(w) = self.ssh_worker(key) else {
            return false;
        };
        self.close_remote_input(key);
        if w.persistent {
            self.signal_remote(key, sig);
        }
        true
    }
}
