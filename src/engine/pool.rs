//! Pools inside the supervisor: `workers` slots over a queue of inputs.
//!
//! Spawn mode: each input is one child, run in the slot that took it
//! (`POOL/worker-K`); its stdout is its result. Persistent mode: each slot is
//! one long-lived child; an input is a line on its stdin and the next line on
//! its stdout is the result. Several inputs may be in flight per worker
//! (pipelining, see DESIGN.md); results are matched by order. The decisions
//! (who gets which input, retry or fail) are the pure functions of `sched`.

use super::lifecycle::PoolLife;
use super::sched::{self, WorkerView};
use super::supervisor::Supervisor;
use crate::event::{Event, EventKind};
use crate::session::{PoolMode, PoolSpec};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

/// Inputs in flight per persistent worker.
const PIPELINE_DEPTH: usize = 8;
/// The stdout kept as a spawn-mode input's result.
pub(super) const MAX_RESULT: usize = 64 * 1024;
/// Worker deaths in a row without finishing an input before the pool gives up.
pub(super) const MAX_FRUITLESS_DEATHS: u32 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum InputState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

pub(super) struct Worker {
    pub key: Option<usize>,
    /// Inputs given to this worker, oldest first, with when each started.
    pub in_flight: VecDeque<(usize, Instant)>,
    /// Shrinking: take no more inputs, end after the current ones.
    pub retiring: bool,
    /// Spawn mode: stdout of the current input.
    pub output: String,
    /// Persistent mode: a timeout timer is pending for this worker (one at
    /// a time, for its oldest input, so timers don't pile up).
    pub timer_armed: bool,
    /// Persistent mode: the pieces of an answer longer than a line.
    pub partial: super::protocol::Partial,
    /// Persistent mode: when it last answered. An input sent while it was
    /// busy with an earlier one (pipelined) starts, for its duration, when
    /// that one was answered: a worker does one input at a time.
    pub last_answer: Option<Instant>,
    /// A remote worker's wrapper reports (see `pool_remote`).
    pub report: super::remote::SlotReport,
}

pub(super) struct PoolRun {
    pub spec: Arc<PoolSpec>,
    pub argv: Vec<String>,
    pub inputs: Vec<String>,
    pub state: Vec<InputState>,
    pub attempts: Vec<u32>,
    pub queue: VecDeque<usize>,
    pub life: PoolLife,
    pub target: usize,
    pub workers: Vec<Worker>,
    pub started: Instant,
    pub busy: f64,
    pub done: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub fruitless_deaths: u32,
    /// Since when its workers cannot start for want of file descriptors.
    pub fd_since: Option<Instant>,
    /// Where its workers run when not here (see `remote`).
    pub remote: Option<super::remote::RemoteRun>,
}

impl PoolRun {
    /// Puts `input` back in the queue before the inputs that came after
    /// it, so that several put back keep their order.
    pub(super) fn put_back(&mut self, input: usize) {
        let at = self
            .queue
            .iter()
            .position(|&q| q > input)
            .unwrap_or(self.queue.len());
        self.queue.insert(at, input);
    }

    /// Inputs not yet done, failed or cancelled (counted, not scanned:
    /// this is asked after every event).
    pub(super) fn unresolved(&self) -> usize {
        self.inputs
            .len()
            .saturating_sub((self.done + self.failed + self.cancelled) as usize)
    }
    /// Whether worker slot `i` may take inputs: its host is up (always,
    /// for a pool that runs here).
    pub(super) fn slot_ready(&self, i: usize) -> bool {
        self.remote.as_ref().is_none_or(|r| r.slot_ready(i))
    }
    pub(super) fn in_flight(&self) -> usize {
        self.workers.iter().map(|w| w.in_flight.len()).sum()
    }
}

impl Supervisor {
    pub(super) fn pool_index(&self, name: &str) -> Option<usize> {
        self.pools.index(name)
    }

    pub(super) fn pool_event(&self, pool: usize, kind: EventKind, input: Option<usize>) -> Event {
        let name = self.pools.get(pool).map(|p| p.spec.name.as_str()).unwrap_or("");
        Event::now(kind).pool(name, input.map(|i| i as u64))
    }

    pub(super) fn start_pool(&mut self, spec: PoolSpec) {
        if self.shutting_down {
            return self.error(format!(
                "not starting pool `{}`: the session is ending",
                spec.name
            ));
        }
        if let Some(i) = self.pool_index(&spec.name) {
            if self.pools.get(i).is_some_and(|p| !p.life.finished()) {
                return self.error(format!("pool `{}` is already running", spec.name));
            }
            self.drop_pool(i);
        }
        let argv = match spec.run.argv(spec.shell) {
            Ok(a) => a,
            Err(e) => return self.error(format!("pool `{}`: bad command: {e}", spec.name)),
        };
        let inputs = match spec.load_inputs() {
            Ok(v) => v,
            Err(e) => return self.error(format!("pool `{}`: {e}", spec.name)),
        };
        let n = inputs.len();
        let run = PoolRun {
            target: spec.workers.get() as usize,
            spec: Arc::new(spec),
            argv,
            inputs,
            state: vec![InputState::Queued; n],
            attempts: vec![0; n],
            queue: (0..n).collect(),
            life: PoolLife::Running,
            workers: Vec::new(),
            started: Instant::now(),
            busy: 0.0,
            done: 0,
            failed: 0,
            cancelled: 0,
            fruitless_deaths: 0,
            fd_since: None,
            remote: None,
        };
        let slot = self.pools.insert(run);
        self.emit_pool_state(slot);
        for i in 0..n {
            let Some(text) = self.pools.get(slot).map(|r| r.inputs[i].clone()) else {
                return;
            };
            let e = self.pool_event(slot, EventKind::TaskQueued { input_text: text }, Some(i));
            self.emit(e);
        }
        // After the inputs are queued: a placement that cannot be set up
        // fails them, and a failure must come after its input's queueing.
        self.remote_start(slot);
        self.schedule_pool(slot);
    }

    pub(super) fn drop_pool(&mut self, pool: usize) {
        if let Some(run) = self.pools.take(pool) {
            for w in run.workers {
                if let Some(k) = w.key {
                    self.remove_worker_proc(k);
                }
            }
        }
    }

    pub(super) fn clear_ended_pools(&mut self) {
        for i in self.pools.keys_where(|p| p.life.finished()) {
            self.drop_pool(i);
        }
    }

    pub(super) fn schedule_pools(&mut self) {
        // While starts wait for file descriptors, pools are scheduled when
        // a retry is due (see `retry_fd_waits`), not on every wake-up.
        if self.fd_wait.retry_at().is_some() {
            return;
        }
        for pool in self.pools.keys_where(|p| !p.life.finished()) {
            self.schedule_pool(pool);
        }
    }

    pub(super) fn schedule_pool(&mut self, pool: usize) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        if run.life.finished() {
            return;
        }
        if !run.queue.is_empty() && super::pool_remote::all_down(run) {
            // Nothing could take them: they fail rather than wait for ever.
            self.fail_all_queued(pool, "every host of the pool is down");
            return self.check_pool_done(pool);
        }
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        let persistent = run.spec.mode == PoolMode::Persistent;
        // Make sure enough worker slots exist.
        let wanted = sched::workers_wanted(
            run.target,
            run.queue.len(),
            run.in_flight(),
            !run.life.runs_inputs(),
        );
        while run.workers.len() < run.target.max(wanted) && run.workers.len() < run.target {
            run.workers.push(Worker {
                key: None,
                in_flight: VecDeque::new(),
                retiring: false,
                output: String::new(),
                timer_armed: false,
                partial: Default::default(),
                last_answer: None,
                report: Default::default(),
            });
        }
        if run.life.runs_inputs() && !self.shutting_down && !run.queue.is_empty() {
            // Persistent workers must be running to take inputs.
            if persistent {
                let need: Vec<usize> = (0..run.workers.len())
                    .filter(|&i| {
                        let w = &run.workers[i];
                        !w.retiring
                            && run.slot_ready(i)
                            && w.key.is_none_or(|k| self.procs.get(k).is_none_or(|p| !p.alive()))
                    })
                    .take(run.queue.len())
                    .collect();
                for i in need {
                    self.spawn_persistent(pool, i);
                }
            }
            let Some(run) = self.pools.get_mut(pool) else {
                return;
            };
            let views: Vec<WorkerView> = run
                .workers
                .iter()
                .enumerate()
                .map(|(i, w)| WorkerView {
                    accepting: !w.retiring
                        && run.slot_ready(i)
                        && (if persistent {
                            w.key.is_some_and(|k| {
                                self.procs.get(k).is_some_and(|p| {
                                    p.alive()
                                        && p.stdin.as_ref().is_some_and(|s| !s.close_when_flushed)
                                        && p.kill_at.is_none()
                                })
                            })
                        } else {
                            w.key.is_none_or(|k| {
                                self.procs
                                    .get(k)
                                    .is_none_or(|p| !p.alive() && p.kill_at.is_none())
                            })
                        }),
                    in_flight: w.in_flight.len(),
                })
                .collect();
            let depth = if persistent { PIPELINE_DEPTH } else { 1 };
            let plan = sched::assign(&mut run.queue, &views, depth, false);
            let mut touched = Vec::new();
            for (w, input) in plan {
                if self.fd_wait.refused_this_round() && !persistent {
                    // A start was just refused for want of descriptors: the
                    // next would be too. Back in the queue, in order.
                    if let Some(run) = self.pools.get_mut(pool) {
                        run.put_back(input);
                    }
                    continue;
                }
                self.dispatch_input(pool, w, input);
                if !touched.contains(&w) {
                    touched.push(w);
                }
            }
            // Persistent workers get their new lines in one write each.
            if persistent {
                let keys: Vec<usize> = touched
                    .iter()
                    .filter_map(|&w| self.pools.get(pool).and_then(|r| r.workers[w].key))
                    .collect();
                for k in keys {
                    self.flush_stdin(k);
                }
            }
        }
        self.retire_idle(pool);
        self.check_pool_done(pool);
    }

    /// Closes the stdin of persistent workers with nothing left to do.
    pub(super) fn retire_idle(&mut self, pool: usize) {
        let Some(run) = self.pools.get(pool) else {
            return;
        };
        if run.spec.mode != PoolMode::Persistent {
            return;
        }
        let no_more = run.queue.is_empty() || run.life.stopping();
        let keys: Vec<usize> = run
            .workers
            .iter()
            .filter(|w| w.in_flight.is_empty() && (no_more || w.retiring))
            .filter_map(|w| w.key)
            .collect();
        for k in keys {
            self.close_stdin(k);
        }
    }
}
