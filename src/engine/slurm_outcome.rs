//! How a Slurm worker's step ended: its final state said once, and the
//! outcome of its input (the code, and why it failed when the code does
//! not say it).

use super::pool_remote::RemoteEnd;
use super::remote::SlotReport;
use super::slurm_watch::{failure_of, final_state, pending_timeout};
use super::supervisor::Supervisor;

impl Supervisor {
    /// How a Slurm worker's step ended: its final state said (once), and
    /// the input's outcome.
    pub(super) fn slurm_outcome(
        &mut self,
        pool: usize,
        w: usize,
        code: i32,
        (stopped, proctor_stop, stop_signal): (bool, bool, i32),
        report: SlotReport,
    ) -> RemoteEnd {
        // Stopped by Proctor (an input's timeout) before it ever ran.
        let pending = proctor_stop && !stopped && report.node.is_none() && report.exit.is_none();
        let state = final_state(&report, stopped || pending);
        if let Some(s) = &state {
            // The event needs the job and the last state said: put them back
            // for a moment.
            if let Some(worker) = self.pools.get_mut(pool).and_then(|r| r.workers.get_mut(w)) {
                worker.report.job = report.job.clone();
                worker.report.slurm = report.slurm.clone();
            }
            self.slurm_state_seen(pool, w, s.clone());
            if let Some(worker) = self.pools.get_mut(pool).and_then(|r| r.workers.get_mut(w)) {
                worker.report = SlotReport::default();
            }
        }
        let node = report.node.as_deref();
        let (code, no_code) = killed_code(report.exit, code, report.kill_sent);
        if no_code && stopped && report.kill_sent && code == -libc::SIGKILL {
            // `srun` itself was killed here: the step's end never came.
            let job = report.job.as_deref().unwrap_or("?");
            let name = self
                .pools
                .get(pool)
                .map(|r| r.spec.worker_name(w + 1))
                .unwrap_or_default();
            self.process_error(
                &name,
                format!(
                    "the Slurm step's end is unknown: no end came from Slurm after SIGKILL was sent to it (scancel --signal=KILL {job}.0), so its srun was killed here; -9 is that kill, not the command's (`squeue -j {job}` shows whether the job is still there)"
                ),
            );
        }
        if stopped {
            return RemoteEnd {
                code,
                lost: None,
                no_code,
                // Stopped by the user while still pending: its wrapper
                // never started on a node.
                never_ran: report.node.is_none() && no_code,
            };
        }
        if pending {
            return RemoteEnd {
                code,
                lost: Some(pending_timeout(report.slurm.as_ref())),
                no_code,
                never_ran: true,
            };
        }
        if proctor_stop {
            // Proctor's own stop (an input's timeout): the step Slurm
            // records cancelled was cancelled by Proctor, not from outside;
            // the input ended by the stop signal as a local one does.
            return RemoteEnd {
                code: if no_code { -stop_signal } else { code },
                lost: None,
                no_code,
                never_ran: false,
            };
        }
        // Slurm's word on how it ended goes first; then the exit code.
        if let Some(why) = report.ended.as_ref().and_then(|s| failure_of(s, node)) {
            return RemoteEnd {
                code,
                lost: Some(why),
                no_code,
                never_ran: false,
            };
        }
        if !no_code {
            return RemoteEnd {
                code,
                lost: None,
                no_code,
                never_ran: false,
            };
        }
        let how = crate::event::exit::describe_exit(code);
        let on = node.map(|n| format!(" on {n}")).unwrap_or_default();
        let why = state
            .as_ref()
            .and_then(|s| failure_of(s, node))
            .unwrap_or_else(|| format!("the Slurm step{on} ended without an exit code (srun: {how})"));
        RemoteEnd {
            code,
            lost: Some(why),
            no_code,
            never_ran: false,
        }
    }
}

/// A step's exit code, and whether it is unknown (no code came back).
/// SIGKILL sent through Slurm (see `pool_slurm_kill`) kills the wrapper
/// with the command: `srun` then says 137 (128 + SIGKILL), and the
/// command's end is that kill (-9), known; `srun` killed here instead
/// (Slurm did not answer) is -9 with the step's end unknown.
fn killed_code(reported: Option<i32>, srun: i32, kill_sent: bool) -> (i32, bool) {
    match reported {
        Some(c) => (c, false),
        None if kill_sent && srun == 128 + libc::SIGKILL => (-libc::SIGKILL, false),
        None if kill_sent => (-libc::SIGKILL, true),
        None => (srun, true),
    }
}

#[cfg(test)]
mod tests {
    use super::killed_code;

    #[test]
    fn a_step_killed_through_slurm_ended_with_the_kill() {
        assert_eq!(killed_code(Some(3), 0, true), (3, false));
        assert_eq!(
            killed_code(None, 137, true),
            (-9, false),
            "srun's word on the kill"
        );
        assert_eq!(
            killed_code(None, -9, true),
            (-9, true),
            "srun killed here: unknown"
        );
        assert_eq!(killed_code(None, 137, false), (137, true), "no kill of ours");
    }
}
