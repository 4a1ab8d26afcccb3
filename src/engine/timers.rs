//! The supervisor's timers: a heap whose earliest deadline bounds the
//! epoll wait.

use super::event::{Event, EventKind};
use super::restart::{restart_delay, RestartInput};
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

    pub(super) fn on_restart_timer(&mut self, key: usize) {
        let Some(p) = self.procs[key].as_mut() else { return };
        if !p.restart_pending || self.shutting_down {
            return;
        }
        p.restarts += 1;
        let attempt = p.restarts;
        let name = p.name.clone();
        let max = match &p.origin {
            Origin::Task(s) => s.max_restarts.get(),
            Origin::Worker { .. } => 0,
        };
        self.emit(
            Event::now(EventKind::Restarting {
                attempt,
                message: format!("restart {attempt} of at most {max}"),
            })
            .process(&name, None),
        );
        self.spawn_task(key);
        let Some(p) = self.procs[key].as_mut() else { return };
        p.restart_pending = false;
        if p.alive() {
            return;
        }
        // The restart could not start (e.g. fork failed): the policy still
        // holds, so try again after the next backoff.
        let Origin::Task(spec) = p.origin.clone() else {
            return;
        };
        let input = RestartInput::for_task(&spec, 127, p.restarts, p.stopped_by_user, self.shutting_down);
        let delay = restart_delay(&input);
        if let Some(d) = delay {
            p.restart_pending = true;
            let run_id = p.run_id;
            self.add_timer(key, run_id, TimerWhat::Restart, d);
        }
    }
}
