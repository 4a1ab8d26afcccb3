//! The supervisor's timers: a heap whose earliest deadline bounds the
//! epoll wait.

use super::lifecycle::{Action, Input};
use super::supervisor::*;
use std::cmp::Reverse;
use std::time::{Duration, Instant};

impl Supervisor {
    // ----- timers --------------------------------------------------------

    pub(super) fn add_timer(&mut self, key: usize, run_id: u64, what: TimerWhat, after: Duration) {
        let gen = self.procs[key].as_ref().map(|p| p.gen).unwrap_or(0);
        // A deadline past what the clock can hold never comes.
        let Some(at) = Instant::now().checked_add(after) else {
            return;
        };
        self.timers.push(Reverse(Timer {
            at,
            key,
            gen,
            run_id,
            what,
        }));
    }

    pub(super) fn next_timeout_ms(&self) -> i32 {
        match self.timers.peek() {
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

    pub(super) fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(Reverse(t)) = self.timers.peek().copied() {
            if t.at > now {
                break;
            }
            self.timers.pop();
            let valid = self
                .procs
                .get(t.key)
                .and_then(Option::as_ref)
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
