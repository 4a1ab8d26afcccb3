//! A process's lifecycle as data: one state per process and pure
//! transitions. `on(state, input, ctx)` returns the next state and the
//! actions to carry out; the supervisor (the reactor) feeds it commands,
//! exits, timers and job-state changes and carries the actions out with
//! signals, timers and spawns. Nothing here touches a process: the rules
//! (restart, backoff, stop, pause) are unit-tested as transitions.
//!
//! The tree's SIGKILL deadline is not here: it belongs to the stop of the
//! whole tree, which may outlive the leader (see `stopping`).

use super::restart::{restart_delay, RestartInput};
use crate::session::RestartPolicy;
use std::time::{Duration, Instant};

/// What follows a stop once the leader has exited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Then {
    End,
    /// The user's Restart: start again at once.
    Restart,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Life {
    /// Not started yet.
    Idle,
    /// About to be spawned; `retry`: a restart of the policy, which is
    /// tried again (after backoff) if the spawn fails.
    Starting {
        retry: bool,
    },
    Running {
        paused: bool,
    },
    /// A stop signal was sent; the leader has not exited yet.
    Stopping {
        by_user: bool,
        then: Then,
        paused: bool,
    },
    /// Ended with `code`; the restart policy starts it again at `until`.
    BackingOff {
        until: Instant,
        code: i32,
    },
    /// Ended; `stopped`: by a stop the user asked for (not a failure).
    Exited {
        code: i32,
        stopped: bool,
    },
    FailedToStart,
}

impl Life {
    /// A restart is scheduled.
    pub(super) fn backing_off(&self) -> bool {
        matches!(self, Life::BackingOff { .. })
    }

    /// The user asked for the stop in progress or the one that ended it.
    pub(super) fn stopped_by_user(&self) -> bool {
        matches!(
            self,
            Life::Stopping { by_user: true, .. } | Life::Exited { stopped: true, .. }
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Input {
    Spawned,
    SpawnFailed,
    /// A task's host could not be reached for this start, `tries` times
    /// in a row: a restart policy tries again after its backoff for as
    /// long as the host stays down, not counted against `max_restarts`
    /// (the command did not run).
    HostUnreachable {
        tries: u32,
    },
    /// Terminate (`kill` false: the stop signal, SIGKILL after the stop
    /// timeout) or Kill; asked by the user or by a rule (a timeout).
    Stop {
        kill: bool,
        by_user: bool,
    },
    /// The user's Restart: stop and start again, or start if ended.
    Restart,
    /// The leader exited with `code`.
    Exited {
        code: i32,
    },
    /// The backoff of a scheduled restart is over.
    RestartTimer,
    /// The leader was stopped (SIGSTOP, SIGTSTP, ...) or continued.
    JobStopped,
    JobContinued,
    /// The session is ending: nothing starts again.
    Shutdown,
}

/// The restart rules of a task (workers have none: their pool decides).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Rules {
    pub policy: RestartPolicy,
    pub max_restarts: u32,
    pub backoff: Duration,
    pub backoff_max: Duration,
}

/// What a transition may look at besides the state.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Ctx {
    pub now: Instant,
    pub rules: Option<Rules>,
    /// Restarts already made by the policy.
    pub restarts: u32,
    pub shutting_down: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Action {
    /// The stop signal (or SIGKILL if `kill`) to the whole tree; then
    /// SIGCONT if `resume` (a paused tree cannot act on its stop signal).
    Signal { kill: bool, resume: bool },
    /// A scheduled restart was cancelled by the user's stop.
    RestartCancelled,
    /// Start it again after `after` (the policy's backoff).
    ArmRestart(Duration),
    /// Spawn it now: the user's Restart (`by_user`) or the policy's.
    Spawn { by_user: bool },
    /// Report that the leader was paused (true) or resumed.
    Paused(bool),
}

/// The next state and the actions to carry out.
pub(super) fn on(state: Life, input: Input, ctx: &Ctx) -> (Life, Vec<Action>) {
    use Action as A;
    use Life as L;
    match (state, input) {
        (_, Input::Spawned) => (L::Running { paused: false }, vec![]),
        (L::Starting { retry: true }, Input::SpawnFailed) => match backoff(ctx, 127, false) {
            Some(d) => (backing_off(ctx, d, 127), vec![A::ArmRestart(d)]),
            None => (L::FailedToStart, vec![]),
        },
        (_, Input::SpawnFailed) => (L::FailedToStart, vec![]),
        // Running: its host refused the session (sshd's `MaxSessions`),
        // so the command never ran (see `task_refused`).
        (L::Idle | L::Starting { .. } | L::Running { .. }, Input::HostUnreachable { tries }) => {
            match host_retry(ctx, tries) {
                Some(d) => (backing_off(ctx, d, 255), vec![A::ArmRestart(d)]),
                None => (L::FailedToStart, vec![]),
            }
        }
        (_, Input::HostUnreachable { .. }) => (L::FailedToStart, vec![]),

        (L::Running { paused }, Input::Stop { kill, by_user }) => (
            L::Stopping {
                by_user,
                then: Then::End,
                paused,
            },
            vec![A::Signal {
                kill,
                resume: paused && !kill,
            }],
        ),
        (
            L::Stopping {
                by_user: was,
                then,
                paused,
            },
            Input::Stop { kill, by_user },
        ) => {
            let next = L::Stopping {
                by_user: was || by_user,
                // The user's stop overrides a pending Restart.
                then: if by_user { Then::End } else { then },
                paused,
            };
            // Terminating already: only SIGKILL adds anything.
            let actions = if kill {
                vec![A::Signal { kill, resume: false }]
            } else {
                vec![]
            };
            (next, actions)
        }
        (L::BackingOff { code, .. }, Input::Stop { by_user: true, .. }) => {
            (L::Exited { code, stopped: true }, vec![A::RestartCancelled])
        }
        // Ended: what of its tree may be left is still signalled.
        (s, Input::Stop { kill, .. }) => (s, vec![A::Signal { kill, resume: false }]),

        (L::Running { paused } | L::Stopping { paused, .. }, Input::Restart) => (
            L::Stopping {
                by_user: true,
                then: Then::Restart,
                paused,
            },
            vec![A::Signal {
                kill: false,
                resume: paused,
            }],
        ),
        (_, Input::Restart) => (L::Starting { retry: false }, vec![A::Spawn { by_user: true }]),

        (s, Input::Exited { code }) => {
            let (by_user, then) = match s {
                L::Stopping { by_user, then, .. } => (by_user, then),
                _ => (false, Then::End),
            };
            if then == Then::Restart && !ctx.shutting_down {
                return (L::Starting { retry: false }, vec![A::Spawn { by_user: true }]);
            }
            match backoff(ctx, code, by_user) {
                Some(d) => (backing_off(ctx, d, code), vec![A::ArmRestart(d)]),
                None => (
                    L::Exited {
                        code,
                        stopped: by_user,
                    },
                    vec![],
                ),
            }
        }

        (L::BackingOff { .. }, Input::RestartTimer) if !ctx.shutting_down => {
            (L::Starting { retry: true }, vec![A::Spawn { by_user: false }])
        }
        (s, Input::RestartTimer) => (s, vec![]),

        (L::Running { paused: false }, Input::JobStopped) => {
            (L::Running { paused: true }, vec![A::Paused(true)])
        }
        (L::Running { paused: true }, Input::JobContinued) => {
            (L::Running { paused: false }, vec![A::Paused(false)])
        }
        (
            L::Stopping {
                by_user,
                then,
                paused,
            },
            Input::JobStopped | Input::JobContinued,
        ) => {
            let now = input == Input::JobStopped;
            let actions = if now != paused {
                vec![A::Paused(now)]
            } else {
                vec![]
            };
            (
                L::Stopping {
                    by_user,
                    then,
                    paused: now,
                },
                actions,
            )
        }
        (s, Input::JobStopped | Input::JobContinued) => (s, vec![]),

        (L::BackingOff { code, .. }, Input::Shutdown) => (L::Exited { code, stopped: true }, vec![]),
        (L::Stopping { by_user, paused, .. }, Input::Shutdown) => (
            L::Stopping {
                by_user,
                then: Then::End,
                paused,
            },
            vec![],
        ),
        (s, Input::Shutdown) => (s, vec![]),
    }
}

/// The policy's delay before starting again after an exit with `code`.
fn backoff(ctx: &Ctx, code: i32, stopped_by_user: bool) -> Option<Duration> {
    let rules = ctx.rules?;
    let delay = restart_delay(&RestartInput {
        policy: rules.policy,
        exit_code: code,
        restarts: ctx.restarts,
        max_restarts: rules.max_restarts,
        stopped_by_user,
        shutting_down: ctx.shutting_down,
        backoff: rules.backoff,
        backoff_max: rules.backoff_max,
    })?;
    Some(delay.min(MAX_DELAY))
}

/// The delay before trying an unreachable host again, if the task has a
/// restart policy: its backoff, doubled per try, capped at `backoff_max`.
fn host_retry(ctx: &Ctx, tries: u32) -> Option<Duration> {
    let rules = ctx.rules?;
    if ctx.shutting_down || rules.policy == RestartPolicy::Never {
        return None;
    }
    let d = super::restart::backoff_delay(rules.backoff, rules.backoff_max, tries.saturating_sub(1));
    Some(d.min(MAX_DELAY))
}

/// The longest wait for anything: a year.
pub(super) const MAX_DELAY: Duration = Duration::from_secs(365 * 24 * 3600);

fn backing_off(ctx: &Ctx, d: Duration, code: i32) -> Life {
    Life::BackingOff {
        until: ctx.now.checked_add(d).unwrap_or(ctx.now),
        code,
    }
}

/// A pool's state. Its inputs' scheduling is `sched`; this is whether it
/// takes work at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PoolLife {
    Running,
    /// Starts no new input (those running go on).
    Paused,
    /// Stopped by the user: no input starts again, none is added.
    Stopping,
    /// Every input is resolved and no worker is left. `paused` and
    /// `stopped` are kept for inputs added later.
    Finished {
        paused: bool,
        stopped: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PoolInput {
    Pause,
    Resume,
    Stop,
    /// Every input resolved, no worker alive.
    Done,
    /// Inputs were added (refused while stopping: see `takes_new_inputs`).
    Added,
}

impl PoolLife {
    pub(super) fn on(self, input: PoolInput) -> PoolLife {
        use PoolInput as I;
        use PoolLife as P;
        match (self, input) {
            (P::Running, I::Pause) => P::Paused,
            (P::Paused, I::Resume) => P::Running,
            (P::Finished { stopped, .. }, I::Pause | I::Resume) => P::Finished {
                paused: input == I::Pause,
                stopped,
            },
            (P::Running | P::Paused, I::Stop) => P::Stopping,
            (s, I::Done) => P::Finished {
                paused: s.paused(),
                stopped: s.stopping(),
            },
            (
                P::Finished {
                    paused: true,
                    stopped: false,
                },
                I::Added,
            ) => P::Paused,
            (
                P::Finished {
                    paused: false,
                    stopped: false,
                },
                I::Added,
            ) => P::Running,
            (s, _) => s,
        }
    }

    /// Inputs may start now.
    pub(super) fn runs_inputs(self) -> bool {
        self == PoolLife::Running
    }

    pub(super) fn paused(self) -> bool {
        matches!(self, PoolLife::Paused | PoolLife::Finished { paused: true, .. })
    }

    /// Stopped by the user (in progress or done): failures are not retried.
    pub(super) fn stopping(self) -> bool {
        matches!(
            self,
            PoolLife::Stopping | PoolLife::Finished { stopped: true, .. }
        )
    }

    pub(super) fn finished(self) -> bool {
        matches!(self, PoolLife::Finished { .. })
    }

    pub(super) fn takes_new_inputs(self) -> bool {
        !self.stopping()
    }
}

#[cfg(test)]
#[path = "lifecycle_tests.rs"]
mod tests;
