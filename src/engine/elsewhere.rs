//! Processes that run elsewhere (a task on an SSH host, a pool's worker
//! on a host or as a Slurm step) are not sampled: the local child is an
//! `ssh` or `srun` that only relays bytes, so its CPU and memory would
//! be read as the command's. Their `samples`, peak memory and `rusage`
//! are left out, and the tables say the figures are not available
//! there (see README, "Beyond one machine"). Sampling the remote tree
//! would take an `ssh` per process per second over every host's
//! connection (the master's sessions, sshd's `MaxSessions`) or a
//! Slurm query per step: not cheap at the sizes a pool reaches.

use super::pool_table::Pools;
use super::procs::{Origin, Procs};
use super::task_remote::TaskHosts;

/// Whether the process at `key` runs on another machine.
pub(super) fn runs_elsewhere(procs: &Procs, tasks: &TaskHosts, pools: &Pools, key: usize) -> bool {
    match procs.get(key).map(|p| &p.origin) {
        Some(Origin::Task(_)) => tasks.runs_remotely(key),
        Some(Origin::Worker { pool, index }) => pools
            .get(*pool)
            .and_then(|r| r.remote.as_ref())
            .is_some_and(|r| r.is_slurm() || r.host_of(*index).is_some_and(|h| r.hosts.remote(h))),
        None => false,
    }
}

/// The live leaders to sample: `(pid, name)` of each that runs here.
pub(super) fn sampled(procs: &Procs, tasks: &TaskHosts, pools: &Pools) -> Vec<(i32, String)> {
    procs
        .iter()
        .filter(|(key, _)| !runs_elsewhere(procs, tasks, pools, *key))
        .filter_map(|(_, p)| p.live.as_ref().map(|l| (l.pid, p.name.clone())))
        .collect()
}
