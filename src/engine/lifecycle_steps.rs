//! The reactor's side of the lifecycle: feeding a process's inputs to the
//! pure transitions of `lifecycle` and carrying out what they return.

use super::lifecycle::{self, Action, Ctx, Input, Rules};
use super::supervisor::*;
use crate::event::{Event, EventKind};
use std::time::{Duration, Instant};

impl Supervisor {
    /// Applies `input` to the process at `key`: its new state is stored,
    /// the actions are returned for the caller to carry out.
    pub(super) fn step(&mut self, key: usize, input: Input) -> Vec<Action> {
        let Some(p) = self.proc(key) else {
            return Vec::new();
        };
        let rules = match &p.origin {
            Origin::Task(s) => Some(Rules {
                policy: s.restart,
                max_restarts: s.max_restarts.get(),
                backoff: s.backoff.get(),
                backoff_max: s.backoff_max.get(),
            }),
            Origin::Worker { .. } => None,
        };
        let ctx = Ctx {
            now: Instant::now(),
            rules,
            restarts: p.restarts,
            shutting_down: self.shutting_down,
        };
        let (next, actions) = lifecycle::on(p.life, input, &ctx);
        if let Some(p) = self.procs.get_mut(key) {
            p.life = next;
        }
        actions
    }

    /// A spawn failed: a restart of the policy is tried again later.
    pub(super) fn spawn_failed(&mut self, key: usize) {
        for a in self.step(key, Input::SpawnFailed) {
            if let Action::ArmRestart(d) = a {
                self.arm_restart(key, d);
            }
        }
    }

    /// A remote task's host could not be reached for this start: its
    /// restart policy tries again after its backoff, as long as the host
    /// is down (see `Input::HostUnreachable`).
    /// Returns when it is tried again, if it is.
    pub(super) fn host_unreachable(&mut self, key: usize) -> Option<Duration> {
        let tries = self.task_hosts.refusals.entry(key).or_insert(0);
        *tries = tries.saturating_add(1);
        let tries = *tries;
        let restart = self
            .proc(key)
            .is_some_and(|p| matches!(p.life, lifecycle::Life::Starting { retry: true }));
        let mut again = None;
        for a in self.step(key, Input::HostUnreachable { tries }) {
            if let Action::ArmRestart(d) = a {
                // The restart did not run the command: it is not counted.
                if let Some(p) = self.procs.get_mut(key).filter(|_| restart) {
                    p.restarts = p.restarts.saturating_sub(1);
                }
                self.arm_restart(key, d);
                again = Some(d);
            }
        }
        again
    }

    pub(super) fn arm_restart(&mut self, key: usize, d: Duration) {
        let run_id = self.proc(key).map(|p| p.run_id).unwrap_or(0);
        self.add_timer(key, run_id, TimerWhat::Restart, d);
    }

    /// Starts the process again now: the user's Restart or the policy's.
    pub(super) fn respawn(&mut self, key: usize, by_user: bool) {
        if self.retry_refused_session(key, by_user) {
            return;
        }
        let Some(p) = self.procs.get_mut(key) else { return };
        let name = p.name.clone();
        let (attempt, message) = if by_user {
            (0, "restarted by the user".to_string())
        } else {
            p.restarts += 1;
            let max = match &p.origin {
                Origin::Task(s) => s.max_restarts.get(),
                Origin::Worker { .. } => 0,
            };
            let n = p.restarts;
            (n, format!("restart {n} of at most {max}"))
        };
        self.emit(Event::now(EventKind::Restarting { attempt, message }).process(&name, None));
        self.spawn_task(key);
    }
}
