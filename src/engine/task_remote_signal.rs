//! Signals to a task that runs on an SSH host (see `remote::signal`):
//! Pause, Resume, Send signal and Kill reach the command's processes on
//! the host through a short second `ssh` over the host's master, polled
//! here and bounded in time; a failure is an `error` event of the task.
//!
//! The local `ssh` is stopped and continued with the remote tree, so that
//! the row's paused state (read from the local leader, see `pausing`)
//! follows; other signals reach the host only (a SIGTERM to the local
//! `ssh` would end the connection, not deliver the signal).

use super::remote::argv;
use super::remote::signal::{self, Sending, Sent};
use super::supervisor::*;
use nix::sys::signal::Signal;

/// Signals that stop or continue a process: the local `ssh` gets them too.
pub(super) fn job_control(sig: Signal) -> bool {
    matches!(
        sig,
        Signal::SIGSTOP | Signal::SIGTSTP | Signal::SIGTTIN | Signal::SIGTTOU | Signal::SIGCONT
    )
}

impl Supervisor {
    /// The run at `key` if it runs on an SSH host: its generation, its
    /// host, and the `ssh` (through the host's master) that runs `line`
    /// there, if the master is still there. A task on a host, or a pool's
    /// worker on one (not a Slurm step: `scancel` reaches those).
    fn remote_run(&self, key: usize, line: &str) -> Option<(u32, String, Option<Vec<String>>)> {
        if let Some(run) = self.task_hosts.runs.get(&key) {
            let ssh = self
                .task_hosts
                .masters
                .get(run.master)
                .and_then(|x| x.hosts.worker_argv(0, line));
            return Some((run.gen, run.host.clone(), ssh));
        }
        let p = self.proc(key)?;
        let Origin::Worker { pool, index } = p.origin else {
            return None;
        };
        let r = self.pools.get(pool)?.remote.as_ref()?;
        let h = r.host_of(index).filter(|&h| r.hosts.remote(h))?;
        Some((p.gen, r.hosts.label(h).to_string(), r.hosts.worker_argv(h, line)))
    }

    /// Whether signals to the process at `key` go to its host.
    pub(super) fn signals_remotely(&self, key: usize) -> bool {
        self.remote_run(key, "").is_some()
    }

    /// Sends `sig` to the processes of the run at `key` on its SSH host.
    /// False when it does not run on one, or when the signal could not be
    /// sent (said as an error).
    pub(super) fn signal_remote(&mut self, key: usize, sig: Signal) -> bool {
        let Some((name, run)) = self.proc(key).map(|p| (p.name.clone(), p.run_id)) else {
            return false;
        };
        let line = signal::remote_line(&argv::run_line_of(&self.session, &name, run), sig.as_str());
        let Some((gen, host, ssh)) = self.remote_run(key, &line) else {
            return false;
        };
        let sent = match ssh {
            None => Err("its connection was closed".to_string()),
            Some(a) => Sending::start(&a, key, gen, sig.as_str()),
        };
        match sent {
            Ok(s) => {
                self.task_hosts.sending.push(s);
                if sig == Signal::SIGKILL {
                    if let Some(r) = self.task_hosts.runs.get_mut(&key) {
                        r.kill_sent = true;
                    }
                    self.mark_worker_kill_sent(key);
                }
                true
            }
            Err(why) => {
                let host = super::remote::why::shorten(&host);
                self.process_error(
                    &name,
                    format!("cannot send {} to `{name}` on {host}: {why}", sig.as_str()),
                );
                false
            }
        }
    }

    /// Whether a signal's `ssh` is on its way (the loop looks often).
    pub(super) fn remote_signals_pending(&self) -> bool {
        !self.task_hosts.sending.is_empty()
    }

    /// Whether SIGKILL still has to be sent to the remote task at `key`
    /// on its host (a Kill after that, or the stop timeout's, ends the
    /// local `ssh`).
    pub(super) fn remote_kill_due(&self, key: usize) -> bool {
        self.task_hosts.runs.get(&key).is_some_and(|r| !r.kill_sent) || self.worker_kill_due(key)
    }

    /// The stop timeout ran out for a remote task (the host's end did not
    /// come back): the Kill that follows is its local `ssh`'s.
    pub(super) fn mark_remote_kill_sent(&mut self, key: usize) {
        if let Some(r) = self.task_hosts.runs.get_mut(&key) {
            r.kill_sent = true;
        }
        self.worker_stop_timed_out(key);
    }

    /// Whether a Kill of the process at `key` now is its local `ssh`'s:
    /// it runs on an SSH host, and SIGKILL was already sent there (or the
    /// host's wrapper kills it itself at the stop timeout).
    pub(super) fn kills_local_ssh(&self, key: usize) -> bool {
        (self.task_hosts.runs_remotely(key) || self.ssh_worker(key).is_some()) && !self.remote_kill_due(key)
    }

    /// The local `ssh` of the remote run at `key` was killed: unless its
    /// end came back before, the command's end on the host is unknown.
    pub(super) fn note_local_ssh_killed(&mut self, key: usize) {
        if let Some(r) = self.task_hosts.runs.get_mut(&key) {
            r.local_killed = true;
        }
        if let Some(w) = self.ssh_worker(key) {
            if let Some(r) = self.pools.get_mut(w.pool) {
                r.workers[w.slot].report.local_killed = true;
            }
        }
    }

    /// Looks at the signals on their way: those that failed, or found
    /// nothing of a task still running, are said.
    pub(super) fn poll_remote_signals(&mut self) {
        if self.task_hosts.sending.is_empty() {
            return;
        }
        let mut done = Vec::new();
        self.task_hosts.sending.retain_mut(|s| match s.poll() {
            Some(r) => {
                done.push((s.key, s.gen, s.signal.clone(), r));
                false
            }
            None => true,
        });
        for (key, gen, sig, sent) in done {
            let Some(p) = self.proc(key).filter(|p| p.gen == gen && p.alive()) else {
                continue;
            };
            let name = p.name.clone();
            let host = self
                .remote_run(key, "")
                .map(|r| super::remote::why::shorten(&r.1))
                .unwrap_or_else(|| "its host".into());
            let why = match sent {
                Sent::Reached(0) if sig != "SIGKILL" => {
                    "no process of it was found there (it may have just ended)".to_string()
                }
                Sent::Reached(_) => continue,
                Sent::Failed(why) => why,
            };
            self.process_error(&name, format!("cannot send {sig} to `{name}` on {host}: {why}"));
        }
    }
}
