//! The view model: tables built from events alone. The GUI draws it, the
//! CLI summarises with it, and exports of the process table use the same
//! rows. Nothing here touches a process.

use crate::engine::event::{Event, EventKind, PoolTotals, Usage};
use chrono::{DateTime, FixedOffset};
use std::collections::HashMap;

/// `time` plus `secs` seconds, if that is a representable time.
fn after(time: DateTime<FixedOffset>, secs: f64) -> Option<DateTime<FixedOffset>> {
    if !secs.is_finite() || secs.abs() > 1e9 {
        return None;
    }
    chrono::Duration::try_milliseconds((secs * 1000.0) as i64).and_then(|d| time.checked_add_signed(d))
}

/// How far past the known inputs an input index may point.
const MAX_INPUT_GAP: usize = 1_000_000;

#[derive(Clone, Debug, PartialEq)]
pub enum RowState {
    Running,
    /// Stopped by a signal (SIGSTOP, SIGTSTP, ...) until SIGCONT.
    Paused {
        signal: String,
    },
    /// A signal was sent to stop it; SIGKILL follows at `kill_at` (if set).
    Stopping {
        signal: String,
        kill_at: Option<DateTime<FixedOffset>>,
    },
    Exited,
    /// Ended by a stop the user asked for: an outcome, not a failure.
    Stopped,
    FailedToStart {
        message: String,
    },
    /// Will be restarted at `at`.
    BackingOff {
        at: DateTime<FixedOffset>,
    },
}

impl RowState {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused { .. } => "paused",
            Self::Stopping { .. } => "stopping",
            Self::Exited => "exited",
            Self::Stopped => "stopped",
            Self::FailedToStart { .. } => "failed to start",
            Self::BackingOff { .. } => "restarting",
        }
    }

    pub fn is_alive(&self) -> bool {
        matches!(self, Self::Running | Self::Paused { .. } | Self::Stopping { .. })
    }

    /// Ended for good (no restart pending).
    pub fn is_ended(&self) -> bool {
        matches!(self, Self::Exited | Self::Stopped | Self::FailedToStart { .. })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProcessRow {
    pub name: String,
    pub pool: Option<String>,
    pub pid: Option<u32>,
    pub state: RowState,
    pub exit_code: Option<i32>,
    pub command: String,
    pub started: Option<DateTime<FixedOffset>>,
    pub ended: Option<DateTime<FixedOffset>>,
    pub restarts: u32,
    pub usage: Option<Usage>,
    /// Seconds of the last run that ended.
    pub last_runtime: Option<f64>,
}

impl ProcessRow {
    fn new(name: &str, pool: Option<String>) -> Self {
        Self {
            name: name.to_string(),
            pool,
            pid: None,
            state: RowState::Exited,
            exit_code: None,
            command: String::new(),
            started: None,
            ended: None,
            restarts: 0,
            usage: None,
            last_runtime: None,
        }
    }

    /// Seconds it has run (so far, or in its last run).
    pub fn runtime(&self, now: DateTime<FixedOffset>) -> Option<f64> {
        let start = self.started?;
        let end = if self.state.is_alive() {
            now
        } else {
            self.ended.unwrap_or(now)
        };
        Some(((end - start).num_milliseconds() as f64 / 1000.0).max(0.0))
    }
}

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
        let p = self.progress();
        let start = self.started?;
        let elapsed = (now - start).num_milliseconds() as f64 / 1000.0;
        let finished = p.done + p.failed;
        if finished == 0 || self.finished.is_some() || elapsed <= 0.0 {
            return None;
        }
        let left = p.queued + p.running;
        Some(elapsed / finished as f64 * left as f64)
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
            });
        }
        &mut self.inputs[i]
    }
}

/// Everything a front end shows, folded from the event stream.
#[derive(Clone, Debug, Default)]
pub struct SessionModel {
    pub processes: Vec<ProcessRow>,
    index: HashMap<String, usize>,
    pub pools: Vec<PoolRow>,
    pool_index: HashMap<String, usize>,
    pub events_seen: u64,
    pub session_ended: bool,
    /// Processes of stopped trees still running (`leftover` events), until
    /// a SIGKILL for their pid is reported.
    pub leftovers: Vec<Leftover>,
    /// Runs, pool inputs and resources over time, for the pictures.
    pub pictures: crate::pictures::Pictures,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Leftover {
    pub process: Option<String>,
    pub pid: u32,
    pub message: String,
}

impl SessionModel {
    pub fn row(&self, name: &str) -> Option<&ProcessRow> {
        self.index.get(name).map(|&i| &self.processes[i])
    }

    pub fn pool(&self, name: &str) -> Option<&PoolRow> {
        self.pool_index.get(name).map(|&i| &self.pools[i])
    }

    fn row_mut(&mut self, name: &str, pool: Option<&String>) -> &mut ProcessRow {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                self.processes.push(ProcessRow::new(name, pool.cloned()));
                self.index.insert(name.to_string(), self.processes.len() - 1);
                self.processes.len() - 1
            }
        };
        &mut self.processes[i]
    }

    fn pool_mut(&mut self, name: &str) -> &mut PoolRow {
        let i = match self.pool_index.get(name) {
            Some(&i) => i,
            None => {
                self.pools.push(PoolRow {
                    name: name.to_string(),
                    ..Default::default()
                });
                self.pool_index.insert(name.to_string(), self.pools.len() - 1);
                self.pools.len() - 1
            }
        };
        &mut self.pools[i]
    }

    /// Folds one event into the tables.
    pub fn apply(&mut self, e: &Event) {
        self.events_seen += 1;
        self.pictures.apply(e);
        if self.apply_leftover(e) {
            return;
        }
        self.apply_pool(e);
        let Some(name) = e.process.as_deref() else {
            match e.kind {
                EventKind::SessionEnded { .. } => self.session_ended = true,
                // Clear ended is an event: a replay drops the same rows.
                EventKind::Cleared { .. } => self.clear_ended(),
                _ => {}
            }
            return;
        };
        // Only a spawn (or a failed one) makes a row; other events about a
        // name the tables do not know (an error naming it) leave them be.
        let makes_row = matches!(e.kind, EventKind::Spawned { .. } | EventKind::SpawnFailed { .. });
        if !makes_row && !self.index.contains_key(name) {
            return;
        }
        let pool = e.pool.clone();
        let row = self.row_mut(name, pool.as_ref());
        match &e.kind {
            EventKind::Spawned { command } => {
                row.pid = e.pid;
                row.state = RowState::Running;
                row.exit_code = None;
                row.command = command.clone();
                row.started = Some(e.time);
                row.ended = None;
            }
            EventKind::SpawnFailed { message } => {
                row.pid = None;
                row.state = RowState::FailedToStart {
                    message: message.clone(),
                };
                row.ended = Some(e.time);
            }
            // Only a stop (a terminate, which says when SIGKILL follows, or
            // SIGKILL itself) makes a row "stopping": any other signal
            // leaves the state alone (a stop signal shows as `paused`).
            EventKind::SignalSent { signal, kill_in, .. }
                if row.state.is_alive() && (kill_in.is_some() || signal == "SIGKILL") =>
            {
                let kill_at = match (&row.state, kill_in) {
                    (_, Some(d)) => after(e.time, *d),
                    _ if signal == "SIGKILL" => None,
                    (RowState::Stopping { kill_at, .. }, None) => *kill_at,
                    _ => None,
                };
                row.state = RowState::Stopping {
                    signal: signal.clone(),
                    kill_at,
                };
            }
            EventKind::Paused { signal } if matches!(row.state, RowState::Running) => {
                row.state = RowState::Paused {
                    signal: signal.clone(),
                };
            }
            EventKind::Resumed { .. } if matches!(row.state, RowState::Paused { .. }) => {
                row.state = RowState::Running;
            }
            EventKind::Exited {
                exit_code,
                runtime,
                restart_in,
                usage,
                stopped,
            } => {
                row.exit_code = Some(*exit_code);
                row.ended = Some(e.time);
                row.usage = *usage;
                row.last_runtime = Some(*runtime);
                row.state = match restart_in {
                    Some(d) => RowState::BackingOff {
                        at: after(e.time, *d).unwrap_or(e.time),
                    },
                    None if *stopped => RowState::Stopped,
                    None => RowState::Exited,
                };
            }
            EventKind::Restarting { attempt, .. } => {
                if *attempt > 0 {
                    row.restarts = *attempt;
                } else if matches!(row.state, RowState::BackingOff { .. }) {
                    // A cancelled restart (the user stopped it).
                    row.state = RowState::Stopped;
                }
            }
            _ => {}
        }
    }

    /// Leftover reports and the kills of leftovers; true if `e` was one
    /// (they concern a stray pid, not the named process's row).
    fn apply_leftover(&mut self, e: &Event) -> bool {
        match (&e.kind, e.pid) {
            (EventKind::Leftover { message }, Some(pid)) => {
                if !self.leftovers.iter().any(|l| l.pid == pid) {
                    self.leftovers.push(Leftover {
                        process: e.process.clone(),
                        pid,
                        message: message.clone(),
                    });
                }
                true
            }
            (EventKind::SignalSent { signal, .. }, Some(pid))
                if self.leftovers.iter().any(|l| l.pid == pid) =>
            {
                if signal == "SIGKILL" {
                    self.leftovers.retain(|l| l.pid != pid);
                }
                true
            }
            _ => false,
        }
    }

    fn apply_pool(&mut self, e: &Event) {
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
                EventKind::PoolDone { totals } => p.finished = Some(*totals),
                EventKind::PoolState { paused, workers } => {
                    p.paused = *paused;
                    p.workers = *workers;
                }
                _ => {}
            }
            return;
        };
        match &e.kind {
            EventKind::TaskQueued { input_text } => {
                if index == 0 && p.finished.is_some() {
                    // The pool was started again: a new run, new rows.
                    let name = std::mem::take(&mut p.name);
                    *p = PoolRow {
                        name,
                        started: Some(time),
                        ..Default::default()
                    };
                }
                p.finished = None;
                let r = p.input_mut(index);
                r.input = input_text.clone();
                r.status = InputStatus::Queued;
            }
            EventKind::TaskStarted { input_text } => {
                let r = p.input_mut(index);
                if r.input.is_empty() {
                    r.input = input_text.clone();
                }
                r.status = InputStatus::Running;
                r.worker = worker;
            }
            EventKind::TaskDone {
                exit_code,
                result,
                duration,
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
            EventKind::TaskCancelled => p.input_mut(index).status = InputStatus::Cancelled,
            _ => {}
        }
    }

    /// Forgets rows that have ended (as the engine's ClearEnded does).
    pub fn clear_ended(&mut self) {
        self.processes.retain(|r| !r.state.is_ended());
        self.index = self
            .processes
            .iter()
            .enumerate()
            .map(|(i, r)| (r.name.clone(), i))
            .collect();
        self.pools.retain(|p| p.finished.is_none());
        self.pool_index = self
            .pools
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
    }

    pub fn running_count(&self) -> usize {
        self.processes.iter().filter(|r| r.state.is_alive()).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::{Event, EventKind};

    #[test]
    fn only_stops_make_a_row_stopping_and_pauses_are_states() {
        let mut m = SessionModel::default();
        let on = |k| Event::now(k).process("a", Some(1));
        let sent = |signal: &str, kill_in| EventKind::SignalSent {
            signal: signal.into(),
            message: String::new(),
            kill_in,
        };
        m.apply(&on(EventKind::Spawned { command: "c".into() }));
        for s in ["SIGHUP", "SIGUSR1", "SIGSTOP", "SIGCONT"] {
            m.apply(&on(sent(s, None)));
            assert_eq!(m.row("a").unwrap().state, RowState::Running, "{s}");
        }
        m.apply(&on(EventKind::Paused {
            signal: "SIGTSTP".into(),
        }));
        assert_eq!(m.row("a").unwrap().state.label(), "paused");
        assert!(m.row("a").unwrap().state.is_alive());
        m.apply(&on(EventKind::Resumed {
            signal: "SIGCONT".into(),
        }));
        assert_eq!(m.row("a").unwrap().state, RowState::Running);
        m.apply(&on(sent("SIGTERM", Some(5.0))));
        assert_eq!(m.row("a").unwrap().state.label(), "stopping");
        // Continued by the stop itself: still stopping.
        m.apply(&on(EventKind::Resumed {
            signal: "SIGCONT".into(),
        }));
        assert_eq!(m.row("a").unwrap().state.label(), "stopping");
        m.apply(&on(EventKind::Exited {
            exit_code: -15,
            runtime: 1.0,
            restart_in: None,
            usage: None,
            stopped: true,
        }));
        assert_eq!(m.row("a").unwrap().state, RowState::Stopped);
        assert!(m.row("a").unwrap().state.is_ended());
    }

    #[test]
    fn corrupt_numbers_do_not_panic_or_allocate_without_bound() {
        let mut m = SessionModel::default();
        let mut e = Event::now(EventKind::TaskQueued {
            input_text: "x".into(),
        })
        .pool("p", Some(u64::MAX / 2));
        m.apply(&e);
        assert!(m.pool("p").unwrap().inputs.len() <= MAX_INPUT_GAP + 1);
        e = Event::now(EventKind::Spawned { command: "c".into() }).process("a", Some(1));
        m.apply(&e);
        for d in [f64::MAX, -f64::MAX, f64::NAN, 1e300] {
            m.apply(
                &Event::now(EventKind::SignalSent {
                    signal: "SIGTERM".into(),
                    message: String::new(),
                    kill_in: Some(d),
                })
                .process("a", Some(1)),
            );
            m.apply(
                &Event::now(EventKind::Exited {
                    exit_code: 1,
                    runtime: 0.0,
                    restart_in: Some(d),
                    usage: None,
                    stopped: false,
                })
                .process("a", Some(1)),
            );
        }
    }
}
