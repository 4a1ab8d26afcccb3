//! The supervisor's timers: a heap whose earliest deadline bounds the
//! epoll wait.

use super::lifecycle::{Action, Input};
use super::supervisor::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// Pending timers, earliest first.
#[derive(Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<Timer>>,
}

impl Timers {
    pub fn push(&mut self, t: Timer) {
        self.heap.push(Reverse(t));
    }

    /// The earliest timer if it is due at `now`, taken off the heap.
    pub fn pop_due(&mut self, now: Instant) -> Option<Timer> {
        let Reverse(t) = *self.heap.peek()?;
        if t.at > now {
            return None;
        }
        self.heap.pop();
        Some(t)
    }

    /// Milliseconds until the earliest timer (rounded up, so the loop
    /// never wakes just before it), 0 if one is due, -1 if there is none:
    /// an epoll timeout.
    pub fn next_timeout_ms(&self) -> i32 {
        match self.heap.peek() {
            None => -1,
            Some(Reverse(t)) => {
                let now = Instant::now();
                if t.at <= now {
                    0
                } else {
                    // Round up so we never wake just before the deadline.
                    let ms = (t.at - now).as_micros().div_ceil(1000);
                    ms.min(i32::MAX as u128) as i32
                }
            }
        }
    }
}

impl Supervisor {
    pub(super) fn add_timer(&mut self, key: usize, run_id: u64, what: TimerWhat, after: Duration) {
        let gen = self.procs.get(key).map(|p| p.gen).unwrap_or(0);
        // A deadline past what the clock can hold never comes.
        let Some(at) = Instant::now().checked_add(after) else {
            return;
        };
        self.timers.push(Timer {
            at,
            key,
            gen,
            run_id,
            what,
        });
    }

    pub(super) fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(t) = self.timers.pop_due(now) {
            if let TimerWhat::BranchKill(id) = t.what {
                // Whatever became of the process's run since: the branch
                // was pinned at the terminate.
                self.escalate_branch(id);
                continue;
            }
            let valid = self
                .procs
                .get(t.key)
                .is_some_and(|p| p.gen == t.gen && p.run_id == t.run_id);
            if !valid {
                continue;
            }
            match t.what {
                TimerWhat::Kill => self.escalate(t.key),
                TimerWhat::Timeout => self.on_timeout(t.key),
                TimerWhat::Restart => self.on_restart_timer(t.key),
                TimerWhat::InputTimeout(input) => self.on_input_timeout(t.key, input),
                TimerWhat::Audit => self.audit(t.key),
                TimerWhat::Retire => self.on_retire_timer(t.key),
                TimerWhat::BranchKill(_) => {}
            }
        }
    }

    /// The backoff is over: start it again (a spawn that fails is tried
    /// again after the next backoff, see `lifecycle`).
    pub(super) fn on_restart_timer(&mut self, key: usize) {
        for a in self.step(key, Input::RestartTimer) {
            if let Action::Spawn { by_user } = a {
                self.respawn(key, by_user);
            }
        }
    }
}
