//! A pool's row: its inputs and their results, progress and ETA, and how
//! the pool's events fold into it.

use super::{SessionModel, MAX_INPUT_GAP};
use crate::event::{Event, EventKind, PoolTotals};
use chrono::{DateTime, FixedOffset};

#[derive(Clone, Debug, PartialEq)]
pub struct InputResult {
    pub index: u64,
    pub input: String,
    pub worker: Option<String>,
    pub exit_code: Option<i32>,
    pub result: Option<String>,
    pub message: Option<String>,
    pub duration: Option<f64>,
    pub status: InputStatus,
    /// Where its last attempt ran (pools with `hosts` or `slurm`).
    pub host: Option<String>,
    /// Its last attempt's Slurm state (`slurm_state`), Slurm pools only.
    pub slurm: Option<crate::event::slurm::SlurmState>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputStatus {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl InputStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolRow {
    pub name: String,
    /// As the engine last reported (`pool_state`).
    pub paused: bool,
    pub workers: usize,
    pub inputs: Vec<InputResult>,
    /// Input indices in the order they completed (done or failed).
    pub completion_order: Vec<u64>,
    pub started: Option<DateTime<FixedOffset>>,
    pub finished: Option<PoolTotals>,
    /// Where each worker runs (`worker_host`), and the hosts that went
    /// down (see `hosts`).
    pub hosts: super::hosts::PoolHosts,
}

/// Counts for a progress bar.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub total: usize,
    pub queued: usize,
    pub running: usize,
    pub done: usize,
    pub failed: usize,
    pub cancelled: usize,
}

impl Progress {
    pub fn resolved(&self) -> usize {
        self.done + self.failed + self.cancelled
    }
    pub fn fraction(&self) -> f32 {
        if self.total == 0 {
            1.0
        } else {
            self.resolved() as f32 / self.total as f32
        }
    }
}

impl PoolRow {
    pub fn progress(&self) -> Progress {
        let mut p = Progress {
            total: self.inputs.len(),
            ..Default::default()
        };
        for i in &self.inputs {
            match i.status {
                InputStatus::Queued => p.queued += 1,
                InputStatus::Running => p.running += 1,
                InputStatus::Done => p.done += 1,
                InputStatus::Failed => p.failed += 1,
                InputStatus::Cancelled => p.cancelled += 1,
            }
        }
        p
    }

    /// Seconds left at the rate so far, if it can be told.
    pub fn eta(&self, now: DateTime<FixedOffset>) -> Option<f64> {
        self.eta_with(&self.progress(), now)
    }

    /// `eta`, with the pool's progress already counted.
    pub fn eta_with(&self, p: &Progress, now: DateTime<FixedOffset>) -> Option<f64> {
        let start = self.started?;
        let elapsed = (now - start).num_milliseconds() as f64 / 1000.0;
        let finished = p.done + p.failed;
        if finished == 0 || self.finished.is_some() || elapsed <= 0.0 {
            return None;
        }
        let left = p.queued + p.running;
        Some(elapsed / finished as f64 * left as f64)
    }

    /// Forgets the last run's rows for a new one starting at `time`.
    /// A new run of the pool: new rows. Its size and paused state are what
    /// its latest `pool_state` said (a new run says its state first).
    fn new_run(&mut self, time: DateTime<FixedOffset>) {
        let name = std::mem::take(&mut self.name);
        *self = PoolRow {
            name,
            started: Some(time),
            workers: self.workers,
            paused: self.paused,
            ..Default::default()
        };
    }

    fn input_mut(&mut self, index: u64) -> &mut InputResult {
        // Inputs arrive in order; an index far beyond them (a corrupt
        // journal) must not allocate rows for every number in between.
        let i = (index as usize).min(self.inputs.len() + MAX_INPUT_GAP);
        while self.inputs.len() <= i {
            let n = self.inputs.len() as u64;
            self.inputs.push(InputResult {
                index: n,
                input: String::new(),
                worker: None,
                exit_code: None,
                result: None,
                message: None,
                duration: None,
                status: InputStatus::Queued,
                host: None,
                slurm: None,
            });
        }
        &mut self.inputs[i]
    }
}

impl SessionModel {
    pub(super) fn apply_pool(&mut self, e: &Event) {
        let (Some(pool), input) = (e.pool.as_deref(), e.input) else {
            return;
        };
        let worker = e.process.clone();
        let time = e.time;
        let p = self.pool_mut(pool);
        if p.started.is_none() {
            p.started = Some(time);
        }
        let Some(index) = input else {
            match &e.kind {
                EventKind::PoolDone { totals } => {
                    if p.finished.is_some() {
                        // Ended twice with no input queued between: it was
                        // started again with no inputs, a new (empty) run.
                        p.new_run(time);
                    }
                    p.finished = Some(*totals);
                }
                EventKind::PoolState { paused, workers } => {
                    // Not a sign of a new run: a finished pool resized or
                    // paused says its state too (a new run is known by its
                    // first input queued again, below).
                    p.paused = *paused;
                    p.workers = *workers;
                }
                EventKind::WorkerHost { host } => {
                    p.hosts.placed(worker.as_deref(), host);
                    // A Slurm step names its node after it started: its
                    // input runs there.
                    for r in p.inputs.iter_mut().rev() {
                        if r.status == InputStatus::Running && r.worker == worker && r.host.is_none() {
                            r.host = Some(host.clone());
                        }
                    }
                }
                EventKind::HostDown { host, message } => p.hosts.down(host, message),
                EventKind::SlurmState { state, .. } => p.slurm_seen(worker.as_deref(), state),
                _ => {}
            }
            return;
        };
        match &e.kind {
            EventKind::TaskQueued { input_text } => {
                if index == 0 && p.finished.is_some() {
                    // The pool was started again: a new run, new rows.
                    p.new_run(time);
                }
                p.finished = None;
                let r = p.input_mut(index);
                r.input = input_text.clone();
                r.status = InputStatus::Queued;
            }
            EventKind::TaskStarted { input_text } => {
                let host = p.hosts.of(worker.as_deref());
                let r = p.input_mut(index);
                if r.input.is_empty() {
                    r.input = input_text.clone();
                }
                r.status = InputStatus::Running;
                r.host = host;
                r.worker = worker;
                r.slurm = None;
            }
            EventKind::SlurmState { state, .. } => {
                p.slurm_seen(worker.as_deref(), state);
                p.input_mut(index).slurm = Some(state.clone());
            }
            EventKind::TaskDone {
                exit_code,
                result,
                duration,
                ..
            } => {
                let r = p.input_mut(index);
                r.status = InputStatus::Done;
                r.exit_code = Some(*exit_code);
                r.result = Some(result.clone());
                r.duration = Some(*duration);
                r.worker = worker.or(r.worker.take());
                p.completion_order.push(index);
            }
            EventKind::TaskFailed {
                exit_code,
                message,
                duration,
                will_retry,
            } => {
                let r = p.input_mut(index);
                r.exit_code = *exit_code;
                r.message = Some(message.clone());
                r.duration = Some(*duration);
                r.worker = worker.or(r.worker.take());
                if *will_retry {
                    r.status = InputStatus::Queued;
                } else {
                    r.status = InputStatus::Failed;
                    p.completion_order.push(index);
                }
            }
            EventKind::TaskCancelled { exit_code, duration } => {
                let r = p.input_mut(index);
                r.status = InputStatus::Cancelled;
                // It ran: what it did stays in its row.
                if duration.is_some() {
                    r.exit_code = *exit_code;
                    r.duration = *duration;
                    r.worker = worker.or(r.worker.take());
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(kind: EventKind, input: Option<u64>) -> Event {
        Event::now(kind).pool("p", input)
    }

    #[test]
    fn a_pool_started_again_keeps_the_size_its_new_run_announced() {
        let mut m = SessionModel::default();
        m.apply(&on(
            EventKind::PoolState {
                paused: false,
                workers: 4,
            },
            None,
        ));
        m.apply(&on(
            EventKind::TaskQueued {
                input_text: "a".into(),
            },
            Some(0),
        ));
        m.apply(&on(
            EventKind::PoolState {
                paused: false,
                workers: 2,
            },
            None,
        ));
        m.apply(&on(
            EventKind::PoolDone {
                totals: PoolTotals::default(),
            },
            None,
        ));
        assert_eq!(m.pool("p").unwrap().workers, 2);
        // Started again: its state comes before its inputs.
        m.apply(&on(
            EventKind::PoolState {
                paused: false,
                workers: 4,
            },
            None,
        ));
        m.apply(&on(
            EventKind::TaskQueued {
                input_text: "b".into(),
            },
            Some(0),
        ));
        let p = m.pool("p").unwrap();
        assert_eq!(p.workers, 4, "the new run's size, not the old one's or none");
        assert!(p.finished.is_none());
        assert_eq!(p.inputs.len(), 1);
        assert_eq!(p.inputs[0].input, "b");
    }

    #[test]
    fn a_pool_started_again_with_no_inputs_has_no_rows_of_the_run_before() {
        let mut m = SessionModel::default();
        m.apply(&on(
            EventKind::TaskQueued {
                input_text: "a".into(),
            },
            Some(0),
        ));
        let one = PoolTotals {
            done: 1,
            ..Default::default()
        };
        m.apply(&on(EventKind::PoolDone { totals: one }, None));
        m.apply(&on(
            EventKind::PoolState {
                paused: false,
                workers: 2,
            },
            None,
        ));
        m.apply(&on(
            EventKind::PoolDone {
                totals: PoolTotals::default(),
            },
            None,
        ));
        let p = m.pool("p").unwrap();
        assert!(p.inputs.is_empty(), "{:?}", p.inputs);
        assert_eq!(p.finished, Some(PoolTotals::default()));
        assert_eq!(p.workers, 2);
    }

    #[test]
    fn a_finished_pool_resized_keeps_its_totals() {
        let mut m = SessionModel::default();
        m.apply(&on(
            EventKind::TaskQueued {
                input_text: "a".into(),
            },
            Some(0),
        ));
        let totals = PoolTotals {
            done: 1,
            ..Default::default()
        };
        m.apply(&on(EventKind::PoolDone { totals }, None));
        // A resize that reached the engine after the pool ended.
        m.apply(&on(
            EventKind::PoolState {
                paused: false,
                workers: 1,
            },
            None,
        ));
        let p = m.pool("p").unwrap();
        assert_eq!(p.finished, Some(totals), "the totals stay");
        assert_eq!(p.inputs.len(), 1);
        assert_eq!(p.workers, 1);
    }
}
