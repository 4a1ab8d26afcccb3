//! A task on an SSH host whose session the host refused (sshd's
//! `MaxSessions`, every session of the connection taken): its local `ssh`
//! exits 255 and the command never ran. That is a start that could not
//! reach the host, not a run that failed: its restart policy tries again
//! after its backoff (doubling while the refusals go on) without counting
//! it against `max_restarts` (no `restarting` event: the row goes from
//! backing off to running), as for a host that is down; with
//! `restart = "never"` it fails to start. Before, each refusal was an
//! exit 255 that spent a restart, and a task could end failed without
//! ever running while a session would have been free moments later.

use super::lifecycle::{Action, Input};
use super::supervisor::*;
use crate::event::{Event, EventKind};

impl Supervisor {
    /// Whether the task at `key`, whose local `ssh` just exited, was
    /// refused its session by its host (and so never ran).
    pub(super) fn task_session_refused(&self, key: usize) -> bool {
        let Some(gen) = self.proc(key).map(|p| p.gen) else {
            return false;
        };
        self.task_hosts
            .runs
            .get(&key)
            .is_some_and(|r| r.gen == gen && r.refused_unrun())
    }

    /// The end of such a task's local `ssh` (`code`, 255): said, and a
    /// retry armed, not counted.
    pub(super) fn task_refused_exit(&mut self, key: usize, pid: i32, code: i32, runtime: f64) {
        let Some(run) = self.task_hosts.runs.remove(&key) else {
            return;
        };
        let Some(name) = self.proc(key).map(|p| p.name.clone()) else {
            return;
        };
        let tries = self.task_hosts.session_refusals.entry(key).or_insert(0);
        *tries = tries.saturating_add(1);
        let tries = *tries;
        let actions = self.step(key, Input::HostUnreachable { tries });
        let delay = actions.iter().find_map(|a| match a {
            Action::ArmRestart(d) => Some(*d),
            _ => None,
        });
        let host = super::remote::why::refused_session_text(&run.host);
        let message = match delay {
            Some(d) => format!(
                "{host}; the command did not run: trying again in {:.2}s (not counted as a restart)",
                d.as_secs_f64()
            ),
            None => format!("{host}; the command did not run"),
        };
        self.process_error(&name, message);
        self.emit(
            Event::now(EventKind::Exited {
                exit_code: code,
                runtime,
                restart_in: delay.map(|d| d.as_secs_f64()),
                usage: None,
                stopped: false,
            })
            .process(&name, Some(pid as u32)),
        );
        if let Some(d) = delay {
            self.task_hosts.uncounted_retry.insert(key);
            self.arm_restart(key, d);
        }
    }

    /// The start after a refused session, if that is what the policy's
    /// restart at `key` is: started again, not counted (a restart that
    /// was refused stays the one counted). False if it is a restart (or
    /// the user's, which ends a pending retry).
    pub(super) fn retry_refused_session(&mut self, key: usize, by_user: bool) -> bool {
        if !self.task_hosts.uncounted_retry.remove(&key) || by_user {
            return false;
        }
        self.spawn_task(key);
        true
    }
}
