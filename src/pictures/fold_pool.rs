//! A pool's picture folded from its events: a bar per input on its
//! worker's lane, from its start to its end, coloured by how it ended.

use super::{Outcome, Pictures, PoolPicture, Span};
use crate::event::{Event, EventKind};

impl Pictures {
    pub(super) fn apply_pool(&mut self, e: &Event, t: f64) {
        let Some(pool) = e.pool.as_deref() else { return };
        let p = self.pool_mut(pool, t);
        let Some(index) = e.input else {
            match &e.kind {
                EventKind::PoolState { workers, .. } => p.workers = *workers,
                EventKind::PoolDone { .. } => {
                    p.ended = Some(t);
                    // Inputs still drawn as running did not report (a
                    // torn journal): they end with the pool.
                    for (_, (l, k)) in p.running.drain() {
                        if let Some(s) = p.spans.get_mut(l).and_then(|v| v.get_mut(k)) {
                            s.end = Some(t);
                        }
                    }
                }
                _ => {}
            }
            return;
        };
        match &e.kind {
            EventKind::TaskQueued { input_text } => {
                if index == 0 && p.ended.is_some() {
                    // Started again: a new run of the pool.
                    let name = std::mem::take(&mut p.name);
                    *p = PoolPicture {
                        name,
                        started: t,
                        ..Default::default()
                    };
                }
                p.input_texts.insert(index, input_text.clone());
            }
            EventKind::TaskStarted { .. } => {
                let worker = e.process.clone().unwrap_or_default();
                let lane = match p.lanes.iter().position(|w| *w == worker) {
                    Some(l) => l,
                    None => {
                        p.lanes.push(worker);
                        p.spans.push(Vec::new());
                        p.lanes.len() - 1
                    }
                };
                p.spans[lane].push(Span {
                    start: t,
                    end: None,
                    pid: e.pid,
                    outcome: Outcome::Running,
                    input: Some(index),
                });
                p.running.insert(index, (lane, p.spans[lane].len() - 1));
            }
            EventKind::TaskDone { .. } | EventKind::TaskFailed { .. } => {
                let Some((l, k)) = p.running.remove(&index) else {
                    return;
                };
                if let Some(s) = p.spans.get_mut(l).and_then(|v| v.get_mut(k)) {
                    s.end = Some(t.max(s.start));
                    // The engine's own figure for the input's time (a
                    // persistent worker's pipelined input waited before it
                    // began): the bar starts then, so the pictures and
                    // `pool_done` add up the same durations.
                    let d = match &e.kind {
                        EventKind::TaskDone { duration, .. } | EventKind::TaskFailed { duration, .. } => {
                            *duration
                        }
                        _ => f64::NAN,
                    };
                    // Exactly the engine's duration, so that the bars of a
                    // pool add up to `pool_done`'s busy time to the last
                    // millisecond (its start may lie a little before the
                    // `task_started` event: the engine times from the spawn).
                    if d.is_finite() && d >= 0.0 {
                        s.start = (t - d).min(t);
                    }
                    s.outcome = match &e.kind {
                        EventKind::TaskFailed { exit_code, .. } => match exit_code {
                            Some(c) if *c < 0 => Outcome::Signalled(c.saturating_neg()),
                            Some(c) => Outcome::Failed(*c),
                            None => Outcome::Failed(-1),
                        },
                        _ => Outcome::Succeeded,
                    };
                }
            }
            EventKind::TaskCancelled { duration, .. } => {
                let Some((l, k)) = p.running.remove(&index) else {
                    return;
                };
                match duration.filter(|d| d.is_finite() && *d >= 0.0) {
                    // Stopped while it ran: its bar ends here, its time
                    // the engine's (as `pool_done`'s busy time counts it).
                    Some(d) => {
                        if let Some(s) = p.spans.get_mut(l).and_then(|v| v.get_mut(k)) {
                            s.end = Some(t.max(s.start));
                            s.start = (t - d).min(t);
                            s.outcome = Outcome::Stopped;
                        }
                    }
                    // Cancelled before it started (a Slurm step still
                    // pending): no bar, no busy time.
                    None => {
                        if k < p.spans.get(l).map_or(0, Vec::len) {
                            p.spans[l].remove(k);
                            for (lane, at) in p.running.values_mut() {
                                if *lane == l && *at > k {
                                    *at -= 1;
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
