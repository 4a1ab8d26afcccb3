//! Back-pressure when file descriptors run out. Every child costs the
//! supervisor a few descriptors (its pipes and pidfd) while it lives; when
//! the limit is reached, a spawn fails with `EMFILE` (or `ENFILE`, the
//! system's table). That is not the command's fault: what cannot start now
//! waits until descriptors free up (a child ends, or the loop's retry finds
//! room), and the shortage is reported once. What still cannot start after
//! its stop timeout, because nothing frees one, fails with the OS error.

use std::time::{Duration, Instant};

/// How often starts that wait are tried again while nothing else happens.
pub(super) const RETRY: Duration = Duration::from_millis(100);

/// Whether an OS error is a shortage of descriptors.
pub(super) fn is_shortage(errno: Option<i32>) -> bool {
    matches!(errno, Some(libc::EMFILE) | Some(libc::ENFILE))
}

/// What to do with a start that found no descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Wait and try again.
    Wait,
    /// It has waited its stop timeout: fail with the OS error.
    GiveUp,
}

/// A start first refused at `since`, refused again at `now`.
pub(super) fn verdict(since: Instant, now: Instant, stop_timeout: Duration) -> Verdict {
    if now.saturating_duration_since(since) >= stop_timeout {
        Verdict::GiveUp
    } else {
        Verdict::Wait
    }
}

/// The supervisor's starts that wait for descriptors.
#[derive(Default)]
pub(super) struct FdWait {
    /// Tasks waiting to start: key, generation, first refused at.
    tasks: Vec<(usize, u32, Instant)>,
    /// The keys in `tasks` (thousands may wait: no search to tell).
    waiting: std::collections::HashSet<usize>,
    /// The current shortage has been reported. It ends when a retry round
    /// passes without a refusal.
    announced: bool,
    /// A start was refused since the last retry round.
    refused_since_due: bool,
    /// When the waiting starts are tried again.
    retry_at: Option<Instant>,
}

impl FdWait {
    /// A start was refused for want of descriptors. Returns whether this
    /// shortage is new (to be reported).
    pub fn refused(&mut self, now: Instant) -> bool {
        self.refused_since_due = true;
        if self.retry_at.is_none() {
            self.retry_at = now.checked_add(RETRY);
        }
        !std::mem::replace(&mut self.announced, true)
    }

    /// When the task at `key` first waited, recording it if it was not
    /// waiting yet.
    pub fn task_since(&mut self, key: usize, gen: u32, now: Instant) -> Instant {
        if self.waiting.contains(&key) {
            if let Some(&(_, _, since)) = self.tasks.iter().find(|t| t.0 == key && t.1 == gen) {
                return since;
            }
        }
        self.waiting.insert(key);
        self.tasks.push((key, gen, now));
        now
    }

    /// Whether the task at `key` waits to start.
    pub fn is_waiting(&self, key: usize) -> bool {
        self.waiting.contains(&key)
    }

    /// The task at `key` no longer waits (it started, failed or went away).
    pub fn forget_task(&mut self, key: usize) {
        if self.waiting.remove(&key) {
            self.tasks.retain(|t| t.0 != key);
        }
    }

    /// Something freed descriptors (a child ended): try again at once.
    pub fn freed(&mut self) {
        if self.retry_at.is_some() || !self.tasks.is_empty() || self.announced {
            self.retry_at = Some(Instant::now());
        }
    }

    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    /// If a retry is due: the waiting tasks to start again (key,
    /// generation), and whether pools should be scheduled. The retry timer
    /// is cleared; a start refused again arms it again.
    pub fn due(&mut self, now: Instant) -> Option<Vec<(usize, u32, Instant)>> {
        if self.retry_at.is_none_or(|at| at > now) {
            return None;
        }
        self.retry_at = None;
        if !std::mem::take(&mut self.refused_since_due) {
            self.announced = false;
        }
        Some(self.tasks.clone())
    }

    /// The session is ending: nothing waits any longer. Returns the tasks
    /// that were waiting (to be reported as not started).
    pub fn clear(&mut self) -> Vec<(usize, u32)> {
        self.retry_at = None;
        self.waiting.clear();
        self.tasks.drain(..).map(|t| (t.0, t.1)).collect()
    }

    /// Whether a start was refused since the last retry round began (the
    /// round stops trying: the next start would be refused too).
    pub fn refused_this_round(&self) -> bool {
        self.refused_since_due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_waits_for_its_stop_timeout_then_gives_up() {
        let t0 = Instant::now();
        let five = Duration::from_secs(5);
        assert_eq!(verdict(t0, t0, five), Verdict::Wait);
        assert_eq!(
            verdict(t0, t0 + Duration::from_millis(4_999), five),
            Verdict::Wait
        );
        assert_eq!(verdict(t0, t0 + five, five), Verdict::GiveUp);
        assert_eq!(
            verdict(t0, t0, Duration::ZERO),
            Verdict::GiveUp,
            "no timeout: no wait"
        );
        // A clock that went backwards never gives up early nor panics.
        assert_eq!(verdict(t0 + five, t0, five), Verdict::Wait);
    }

    #[test]
    fn the_shortage_is_reported_once_until_a_round_passes_without_refusal() {
        let mut w = FdWait::default();
        let now = Instant::now();
        assert!(w.refused(now));
        assert!(!w.refused(now));
        // A retry round in which some start is refused again: the same
        // shortage.
        w.freed();
        assert!(w.due(Instant::now()).is_some());
        assert!(!w.refused(now));
        // A round without a refusal ends it; the next one is new.
        w.freed();
        assert!(w.due(Instant::now()).is_some());
        assert!(w.due(Instant::now()).is_none());
        w.freed();
        assert!(
            w.due(Instant::now()).is_some(),
            "a reported shortage is checked once more"
        );
        assert!(w.refused(now), "a new shortage is reported again");
    }

    #[test]
    fn waiting_tasks_keep_their_first_refusal_and_retry_when_freed() {
        let mut w = FdWait::default();
        let t0 = Instant::now();
        assert_eq!(w.task_since(3, 1, t0), t0);
        let later = t0 + Duration::from_secs(1);
        assert_eq!(w.task_since(3, 1, later), t0, "the first refusal counts");
        assert_eq!(
            w.task_since(3, 2, later),
            later,
            "another generation is another process"
        );
        w.refused(t0);
        assert_eq!(w.due(t0), None, "not before the retry interval");
        w.freed();
        assert_eq!(w.due(Instant::now()), Some(vec![(3, 1, t0), (3, 2, later)]));
        assert_eq!(w.due(Instant::now()), None, "one retry per refusal or release");
        w.forget_task(3);
        w.freed();
        assert_eq!(
            w.due(Instant::now()),
            Some(vec![]),
            "a round that ends the shortage"
        );
        w.freed();
        assert_eq!(w.due(Instant::now()), None, "nothing waits: nothing to retry");
    }
}
