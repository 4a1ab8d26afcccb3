//! Pools whose workers run elsewhere: on SSH hosts or as Slurm job steps.
//!
//! A remote worker is a local child like any other (`ssh ...` or
//! `srun ...`, built by the pure functions of `argv`), so spawning,
//! streaming, stopping and the journal are the local ones. What is added
//! here: which host each worker slot is on, one master connection per SSH
//! host (set up before the slot takes an input, ended with `ssh -O exit`
//! when the pool ends), and the hosts that refused or dropped out.

pub mod argv;
mod masters;
pub(super) mod shown;
pub(super) mod signal;
pub mod squeue;
pub mod why;

use crate::session::{Placement, PoolSpec};
pub(super) use masters::{Change, Hosts};

/// What a worker slot's wrapper said about its current process.
#[derive(Clone, Debug, Default)]
pub(super) struct SlotReport {
    /// Its exit code (Python's convention), once the wrapper wrote it.
    pub exit: Option<i32>,
    /// The Slurm job of its current input.
    pub job: Option<String>,
    /// The node a Slurm step ran on (last seen).
    pub node: Option<String>,
    /// The state of its Slurm job last said (`slurm_state`).
    pub slurm: Option<crate::event::slurm::SlurmState>,
    /// How `srun` said the step ended (cancelled, out of time, ...).
    pub ended: Option<crate::event::slurm::SlurmState>,
    /// ssh said the host refused the session (sshd's `MaxSessions`).
    pub refused: bool,
    /// SIGKILL was sent to it on its SSH host: a Kill after that is the
    /// local `ssh`'s (see `pool_remote_stop`).
    pub kill_sent: bool,
    /// Its local `ssh` was killed (the host's end did not come back).
    pub local_killed: bool,
    /// The wrapper said the command started (ssh's refusal can only come
    /// before: after, such words are the command's).
    pub started: bool,
}

/// A pool's remote side: `None` for a pool that runs here.
pub(super) struct RemoteRun {
    pub placement: Placement,
    /// Per worker slot: the index of its host in `hosts` (SSH pools).
    pub slot_host: Vec<usize>,
    pub hosts: Hosts,
    pub marker: String,
    /// Slurm jobs started and not yet seen to end (by their wrapper).
    pub jobs: std::collections::BTreeSet<String>,
    /// Slots whose session the host refused: not used again.
    pub refused: std::collections::BTreeSet<usize>,
}

impl RemoteRun {
    /// Sets up the pool's hosts (the masters start connecting now).
    pub fn start(spec: &PoolSpec, session: &str) -> Result<Option<Self>, String> {
        let marker = argv::marker(session);
        match &spec.placement {
            Placement::Local => Ok(None),
            Placement::Hosts { hosts, ssh_options } => {
                let slot_host = slot_hosts(hosts.iter().map(|h| h.slots));
                let hosts = Hosts::connect(hosts, ssh_options, session)?;
                Ok(Some(Self {
                    placement: spec.placement.clone(),
                    slot_host,
                    hosts,
                    marker,
                    jobs: Default::default(),
                    refused: Default::default(),
                }))
            }
            Placement::Slurm(_) => Ok(Some(Self {
                placement: spec.placement.clone(),
                slot_host: Vec::new(),
                hosts: Hosts::none(),
                marker,
                jobs: Default::default(),
                refused: Default::default(),
            })),
        }
    }

    pub fn is_slurm(&self) -> bool {
        matches!(self.placement, Placement::Slurm(_))
    }

    /// The host a slot is on, if it is an SSH pool's.
    pub fn host_of(&self, slot: usize) -> Option<usize> {
        self.slot_host.get(slot).copied()
    }

    /// Whether a slot may take an input now: its host is connected (or it
    /// is this machine, or Slurm).
    pub fn slot_ready(&self, slot: usize) -> bool {
        if self.refused.contains(&slot) {
            return false;
        }
        match self.host_of(slot) {
            Some(h) => self.hosts.ready(h),
            None => !matches!(self.placement, Placement::Hosts { .. }),
        }
    }

    /// Whether any slot may still take inputs, now or once its host is
    /// up: not every one refused or on a host that is down.
    pub fn any_slot_usable(&self) -> bool {
        match self.placement {
            Placement::Hosts { .. } => self
                .slot_host
                .iter()
                .enumerate()
                .any(|(s, &h)| !self.refused.contains(&s) && !self.hosts.down(h)),
            _ => true,
        }
    }

    /// How the slot's host is shown (`local`, `host`, `user@host`, `slurm`).
    pub fn slot_label(&self, slot: usize) -> String {
        match self.host_of(slot) {
            Some(h) => self.hosts.label(h).to_string(),
            None => "slurm".to_string(),
        }
    }
}

/// Slot → host index, slots handed out host by host in turn (so that
/// the first inputs spread over every host rather than fill the first).
pub fn slot_hosts(slots: impl Iterator<Item = u32>) -> Vec<usize> {
    let slots: Vec<u32> = slots.collect();
    let most = slots.iter().copied().max().unwrap_or(0);
    let mut out = Vec::new();
    for round in 0..most {
        for (h, &n) in slots.iter().enumerate() {
            if round < n {
                out.push(h);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_take_turns_over_hosts() {
        assert_eq!(slot_hosts([2, 1, 3].into_iter()), vec![0, 1, 2, 0, 2, 2]);
        assert!(slot_hosts(std::iter::empty()).is_empty());
    }
}
