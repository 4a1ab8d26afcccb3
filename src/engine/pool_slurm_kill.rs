//! Kill of a pool worker whose input runs as a Slurm step on its node
//! (a second Ctrl-C, Kill): the step is sent SIGKILL through Slurm
//! (`scancel --signal=KILL JOB.0`) while its wrapper still stands, so that
//! every process of the step is still the step's when the signal comes,
//! and its `srun` is left to end with the step. Killing `srun` instead
//! let Slurm end the step in its own time: its SIGTERM ended the wrapper
//! first, and a command that ignored SIGTERM, re-parented to init, was no
//! longer found by the step's process tracking (`proctrack/linuxproc`)
//! and outlived `proctor run`. `srun` is killed too if the step has not
//! ended a little after the stop timeout (see `stopping::signal_stop`).

use super::supervisor::{Origin, Supervisor};

impl Supervisor {
    /// The Slurm job of the running step of the worker at `key`, if
    /// SIGKILL has not gone to it through Slurm yet.
    pub(super) fn slurm_kill_due(&self, key: usize) -> Option<String> {
        if !self.running_slurm_step(key) {
            return None;
        }
        let Origin::Worker { pool, index } = self.proc(key)?.origin else {
            return None;
        };
        let report = &self.pools.get(pool)?.workers.get(index)?.report;
        report.job.clone().filter(|_| !report.kill_sent)
    }

    /// Sends `sig` to every process of the running step of the worker at
    /// `key` through Slurm (`scancel --signal=SIG JOB.0`, which signals
    /// without cancelling): a persistent worker's stop signal. Only
    /// SIGTERM, SIGINT and SIGHUP, which the step's wrapper and its
    /// watcher ignore: another would end them and leave the command,
    /// re-parented to init, out of the step's reach. A persistent worker
    /// with another stop signal gets it from its wrapper once its input's
    /// end and grace have passed, or SIGKILL at the stop timeout first.
    pub(super) fn signal_slurm_step(&mut self, key: usize, sig: nix::sys::signal::Signal) {
        use nix::sys::signal::Signal;
        if !matches!(sig, Signal::SIGTERM | Signal::SIGINT | Signal::SIGHUP) {
            return;
        }
        let Some(Origin::Worker { pool, index }) = self.proc(key).map(|p| p.origin.clone()) else {
            return;
        };
        let job = self
            .pools
            .get(pool)
            .and_then(|r| r.workers.get(index))
            .and_then(|w| w.report.job.clone());
        if let Some(job) = job {
            let name = sig.as_str().trim_start_matches("SIG").to_string();
            super::scancel::jobs(Some(&name), &[format!("{job}.0")]);
        }
    }

    /// Sends SIGKILL to the step of the worker at `key` through Slurm.
    /// False if it has no running step left to kill that way.
    pub(super) fn kill_slurm_step(&mut self, key: usize) -> bool {
        let Some(job) = self.slurm_kill_due(key) else {
            return false;
        };
        let Some(Origin::Worker { pool, index }) = self.proc(key).map(|p| p.origin.clone()) else {
            return false;
        };
        if let Some(w) = self.pools.get_mut(pool).and_then(|r| r.workers.get_mut(index)) {
            w.report.kill_sent = true;
        }
        // The step (`srun` outside an allocation runs step 0), not the
        // job: SIGKILL to a job is a cancel, which Slurm carries out as
        // SIGTERM, then SIGKILL after its `KillWait`, while `srun` ends at
        // once; SIGKILL to a step reaches its processes at once, and
        // `srun` ends when they have.
        super::scancel::jobs(Some(&"KILL".to_string()), &[format!("{job}.0")]);
        true
    }
}
