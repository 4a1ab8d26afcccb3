//! A pool worker whose session its SSH host refused: one more session
//! than sshd's `MaxSessions` allows over the host's shared connection
//! (10 by default; ssh says "Session open refused by peer"). The host is
//! fine (its other slots run on), so it is not reported down; that slot
//! is said once and not used again, and the inputs it held go back to
//! the queue, in order, without counting as an attempt (nothing ran), to
//! run on the slots that work. Were every slot refused or down, the rest
//! of the queue fails rather than waits for ever.

use super::pool::InputState;
use super::supervisor::Supervisor;
use crate::event::{Event, EventKind};
use std::time::Instant;

impl Supervisor {
    /// Whether the worker of `slot` that just ended was a session its
    /// host refused (it ran nothing; not when the user stopped it).
    pub(super) fn slot_refused(&self, pool: usize, slot: usize, stopped: bool) -> bool {
        !stopped
            && self
                .pools
                .get(pool)
                .and_then(|r| r.workers.get(slot))
                .is_some_and(|w| w.report.refused && w.report.exit.is_none())
    }

    pub(super) fn session_refused(
        &mut self,
        pool: usize,
        key: usize,
        slot: usize,
        in_flight: Vec<(usize, Instant)>,
        why: String,
    ) {
        let name = self.proc(key).map(|p| p.name.clone()).unwrap_or_default();
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        let spec = run.spec.name.clone();
        let stopping = run.life.stopping() || self.shutting_down;
        let Some(r) = run.remote.as_mut() else { return };
        let newly = r.refused.insert(slot);
        let host = r.host_of(slot);
        let left = r
            .slot_host
            .iter()
            .enumerate()
            .filter(|&(s, &h)| Some(h) == host && !r.refused.contains(&s))
            .count();
        let usable = r.any_slot_usable();
        if newly {
            let message = format!(
                "pool `{spec}`: {why}; slot {} (`{name}`) is not used again ({left} slot{} left on that host)",
                slot + 1,
                if left == 1 { "" } else { "s" }
            );
            self.emit(
                Event::now(EventKind::Error { message })
                    .process(&name, None)
                    .pool(&spec, None),
            );
        }
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        let mut said = Vec::new();
        for &(input, started) in in_flight.iter().rev() {
            run.attempts[input] = run.attempts[input].saturating_sub(1);
            if stopping {
                run.state[input] = InputState::Cancelled;
                run.cancelled += 1;
                said.push((input, None));
                continue;
            }
            run.state[input] = InputState::Queued;
            run.put_back(input);
            said.push((input, Some(started.elapsed().as_secs_f64())));
        }
        for (input, duration) in said.into_iter().rev() {
            let kind = match duration {
                None => super::pool_results::never_started(),
                Some(duration) => EventKind::TaskFailed {
                    exit_code: None,
                    message: format!("{why}; back in the queue (not counted as an attempt)"),
                    duration,
                    will_retry: true,
                },
            };
            self.emit(
                Event::now(kind)
                    .process(&name, None)
                    .pool(&spec, Some(input as u64)),
            );
        }
        if !usable {
            self.fail_all_queued(
                pool,
                "every slot of the pool was refused by its host or is on a host that is down",
            );
        }
        self.reschedule = true;
        self.schedule_pool(pool);
    }
}
