//! The view model: tables built from events alone. The GUI draws it, the
//! CLI summarises with it, and exports of the process table use the same
//! rows. Nothing here touches a process. `process` holds a process's row,
//! `pool` a pool's row and how pool events fold into it.

mod hosts;
mod pool;
mod process;
mod slurm;

pub use hosts::{HostFigures, PoolHosts};
pub use pool::{InputResult, InputStatus, PoolRow, Progress};
pub use process::{ProcessRow, RowState};

use crate::event::{Event, EventKind};
use chrono::{DateTime, FixedOffset};
use std::collections::HashMap;

/// `time` plus `secs` seconds, if that is a representable time.
fn after(time: DateTime<FixedOffset>, secs: f64) -> Option<DateTime<FixedOffset>> {
    if !secs.is_finite() || secs.abs() > 1e9 {
        return None;
    }
    chrono::Duration::try_milliseconds((secs * 1000.0) as i64).and_then(|d| time.checked_add_signed(d))
}

/// A generation no model has had.
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// How far past the known inputs an input index may point.
const MAX_INPUT_GAP: usize = 1_000_000;

/// Everything a front end shows, folded from the event stream.
#[derive(Clone, Debug, Default)]
pub struct SessionModel {
    pub processes: Vec<ProcessRow>,
    index: HashMap<String, usize>,
    pub pools: Vec<PoolRow>,
    pool_index: HashMap<String, usize>,
    pub events_seen: u64,
    /// Of those, resource samples (data for the plots, not log lines).
    pub samples_seen: u64,
    /// Changed by every event that may change a process or pool row (all
    /// but output lines and resource samples), and by `clear_ended`: a
    /// view that built its rows at one generation need not build them
    /// again until it changes. Unique across models (a past session's, a
    /// new one after a failure), 0 only for a model nothing changed.
    pub generation: u64,
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
    /// A past session whose journal ends without the session's end, at
    /// `at` (its last event): rows still alive or waiting to restart there
    /// ended, how is not known.
    pub fn journal_ends_unfinished(&mut self, at: DateTime<FixedOffset>) {
        for row in &mut self.processes {
            if row.state.is_alive() || matches!(row.state, RowState::BackingOff { .. }) {
                row.state = RowState::Unknown;
                row.ended = Some(at);
            }
        }
    }

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
        if matches!(e.kind, EventKind::Samples { .. }) {
            self.samples_seen += 1;
        }
        if !matches!(
            e.kind,
            EventKind::Stdout { .. } | EventKind::Stderr { .. } | EventKind::Samples { .. }
        ) {
            self.generation = next_generation();
        }
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
        // A worker's host is said before its first spawn (a task's after).
        let worker_host = pool.as_ref().and_then(|_| self.pictures.hosts.get(name).cloned());
        let row = self.row_mut(name, pool.as_ref());
        match &e.kind {
            EventKind::Spawned { command } => {
                row.host = worker_host;
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
            EventKind::WorkerHost { host } => row.host = Some(host.clone()),
            EventKind::RestartScheduled { restart_in } => {
                row.state = RowState::BackingOff {
                    at: after(e.time, *restart_in).unwrap_or(e.time),
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

    /// Forgets rows that have ended (as the engine's ClearEnded does).
    pub fn clear_ended(&mut self) {
        self.generation = next_generation();
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
    use crate::event::{Event, EventKind};

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
