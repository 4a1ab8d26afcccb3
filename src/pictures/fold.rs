//! What the pictures are drawn from, folded from the events alone (live, or
//! a past session's journal): every run of every process with its outcome,
//! every pool input with its worker and times, and each process's CPU and
//! memory over time. Times are seconds since the session's first event.

use super::series::{Point, Series};
use crate::event::{Event, EventKind, TreeSample};
use chrono::{DateTime, FixedOffset};
use std::collections::HashMap;

/// Runs kept per process; a process restarted more often keeps its latest.
pub const MAX_RUNS: usize = 10_000;

/// How a run ended (or that it has not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Running,
    /// Exit code 0.
    Succeeded,
    /// A non-zero exit code.
    Failed(i32),
    /// Ended by a signal nobody in Proctor asked for (the signal number).
    Signalled(i32),
    /// Ended by a stop the user asked for.
    Stopped,
    FailedToStart,
}

impl Outcome {
    pub fn from_exit(code: i32, stopped: bool) -> Self {
        match code {
            _ if stopped => Self::Stopped,
            0 => Self::Succeeded,
            c if c < 0 => Self::Signalled(c.saturating_neg()),
            c => Self::Failed(c),
        }
    }

    /// Higher is more worth seeing when bars are drawn as one.
    pub fn weight(self) -> u8 {
        match self {
            Self::Succeeded => 0,
            Self::Running => 1,
            Self::Stopped => 2,
            Self::Signalled(_) => 3,
            Self::Failed(_) => 4,
            Self::FailedToStart => 5,
        }
    }

    pub fn label(self) -> String {
        match self {
            Self::Running => "running".into(),
            Self::Succeeded => "exited 0".into(),
            Self::Failed(c) => format!("failed (exit {c})"),
            Self::Signalled(s) => format!(
                "killed by {}",
                crate::session::signal::signal_name(s).unwrap_or("a signal")
            ),
            Self::Stopped => "stopped by the user".into(),
            Self::FailedToStart => "failed to start".into(),
        }
    }
}

/// One run of a process, or one input on a worker: a bar of the timeline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Span {
    pub start: f64,
    /// `None` while it runs.
    pub end: Option<f64>,
    pub pid: Option<u32>,
    pub outcome: Outcome,
    /// The pool input, for a worker's bar.
    pub input: Option<u64>,
}

impl Span {
    pub fn end_or(&self, now: f64) -> f64 {
        self.end.unwrap_or(now).max(self.start)
    }
    pub fn duration(&self, now: f64) -> f64 {
        self.end_or(now) - self.start
    }
}

/// A process (a row of the process table) across its runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProcLane {
    pub name: String,
    pub pool: Option<String>,
    pub command: String,
    pub runs: Vec<Span>,
    pub series: Series,
    /// The highest resident memory seen, kB (samples and the exit's peak).
    pub peak_rss_kb: u64,
    /// Runs dropped to keep the latest [`MAX_RUNS`]: the timeline marks
    /// that earlier runs are not shown.
    pub dropped_runs: u64,
    /// When its first run (kept or dropped) started.
    pub first_start: Option<f64>,
    /// The leader's own highest resident memory, kB.
    pub own_peak_rss_kb: u64,
    /// CPU seconds of ended runs (the kernel's figure when it gave one).
    cpu_done: f64,
    /// The current run was sampled with descendants.
    run_tree: bool,
    /// CPU seconds of the current run, from samples.
    cpu_run: f64,
    last_sample: Option<f64>,
}

impl ProcLane {
    pub fn cpu_seconds(&self) -> f64 {
        self.cpu_done + self.cpu_run
    }
    pub fn alive(&self) -> bool {
        self.runs.last().is_some_and(|r| r.end.is_none())
    }
    /// The latest sample of the current run, while it runs.
    pub fn live_figures(&self) -> Option<Point> {
        self.last_sample.filter(|_| self.alive())?;
        self.series.last()
    }
}

/// A pool: one lane per worker, one span per input run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolPicture {
    pub name: String,
    pub started: f64,
    pub ended: Option<f64>,
    /// Workers as the engine last said (`pool_state`).
    pub workers: usize,
    /// Worker process names, in the order they took a first input.
    pub lanes: Vec<String>,
    /// Spans of each lane, in start order.
    pub spans: Vec<Vec<Span>>,
    /// Where each running input's span is: input -> (lane, position).
    pub(crate) running: HashMap<u64, (usize, usize)>,
    pub input_texts: HashMap<u64, String>,
}

impl PoolPicture {
    pub fn inputs(&self) -> impl Iterator<Item = (usize, &Span)> {
        self.spans
            .iter()
            .enumerate()
            .flat_map(|(l, s)| s.iter().map(move |x| (l, x)))
    }
}

#[derive(Clone, Debug, Default)]
pub struct Pictures {
    pub t0: Option<DateTime<FixedOffset>>,
    /// Seconds of the latest event.
    pub last: f64,
    pub ended: bool,
    pub procs: Vec<ProcLane>,
    proc_index: HashMap<String, usize>,
    /// Live pids -> their process.
    pid_index: HashMap<u32, usize>,
    pub pools: Vec<PoolPicture>,
    pool_index: HashMap<String, usize>,
    /// `samples` records folded (the plots change only when this does).
    pub samples_seen: u64,
    /// Events folded: what is computed from the pictures can be kept
    /// until this changes.
    pub version: u64,
    /// Where each process (task or worker) runs, by name, when not here
    /// (`worker_host`).
    pub hosts: HashMap<String, String>,
    /// Changes to `hosts` (the lanes' grouping changes with it).
    pub hosts_changed: u64,
}

impl Pictures {
    /// Seconds from the session's start to `t`.
    pub fn secs(&self, t: DateTime<FixedOffset>) -> f64 {
        let Some(t0) = self.t0 else { return 0.0 };
        let d = t - t0;
        d.num_microseconds()
            .map(|us| us as f64 / 1e6)
            .unwrap_or(d.num_milliseconds() as f64 / 1e3)
    }

    pub fn proc(&self, name: &str) -> Option<&ProcLane> {
        self.proc_index.get(name).map(|&i| &self.procs[i])
    }

    pub fn pool(&self, name: &str) -> Option<&PoolPicture> {
        self.pool_index.get(name).map(|&i| &self.pools[i])
    }

    fn proc_mut(&mut self, name: &str, pool: Option<&String>) -> usize {
        if let Some(&i) = self.proc_index.get(name) {
            return i;
        }
        self.procs.push(ProcLane {
            name: name.to_string(),
            pool: pool.cloned(),
            ..Default::default()
        });
        self.proc_index.insert(name.to_string(), self.procs.len() - 1);
        self.procs.len() - 1
    }

    fn pool_mut(&mut self, name: &str, t: f64) -> &mut PoolPicture {
        let i = match self.pool_index.get(name) {
            Some(&i) => i,
            None => {
                self.pools.push(PoolPicture {
                    name: name.to_string(),
                    started: t,
                    ..Default::default()
                });
                self.pool_index.insert(name.to_string(), self.pools.len() - 1);
                self.pools.len() - 1
            }
        };
        &mut self.pools[i]
    }

    /// Folds one event.
    pub fn apply(&mut self, e: &Event) {
        self.version += 1;
        if self.t0.is_none() {
            self.t0 = Some(e.time);
        }
        let t = self.secs(e.time).max(0.0);
        self.last = self.last.max(t);
        match &e.kind {
            EventKind::Samples { procs, trees } => {
                self.samples_seen += 1;
                let trees: HashMap<u32, &TreeSample> = trees.iter().map(|x| (x.0, x)).collect();
                for s in procs {
                    if let Some(&i) = self.pid_index.get(&s.0) {
                        // The whole tree's figures where it has more than
                        // its leader, else the leader's own.
                        let (cpu, rss_kb, n) = match trees.get(&s.0) {
                            Some(x) if x.1.is_finite() => (x.1, x.2, x.3.max(1)),
                            _ => (s.1, s.2, 1),
                        };
                        let lane = &mut self.procs[i];
                        let since = lane
                            .last_sample
                            .or(lane.runs.last().map(|r| r.start))
                            .unwrap_or(t);
                        let dt = (t - since).clamp(0.0, 60.0);
                        if cpu.is_finite() {
                            lane.cpu_run += f64::from(cpu.max(0.0)) / 100.0 * dt;
                        }
                        lane.run_tree |= n > 1;
                        lane.last_sample = Some(t);
                        lane.peak_rss_kb = lane.peak_rss_kb.max(rss_kb);
                        lane.own_peak_rss_kb = lane.own_peak_rss_kb.max(s.2);
                        lane.series.push(Point {
                            t,
                            cpu,
                            rss_kb,
                            own_cpu: s.1,
                            own_rss_kb: s.2,
                            procs: n,
                        });
                    }
                }
                return;
            }
            EventKind::SessionEnded { .. } => self.ended = true,
            _ => {}
        }
        self.apply_pool(e, t);
        let Some(name) = e.process.as_deref() else { return };
        match &e.kind {
            EventKind::Spawned { command } => {
                // A task says where it runs after each spawn (a worker
                // before): where it ran before may not be where it runs.
                if e.pool.is_none() && self.hosts.remove(name).is_some() {
                    self.hosts_changed += 1;
                }
                let i = self.proc_mut(name, e.pool.as_ref());
                let lane = &mut self.procs[i];
                lane.command = command.clone();
                if let Some(r) = lane.runs.last_mut().filter(|r| r.end.is_none()) {
                    // A spawn without the exit of the last run (a torn journal).
                    r.end = Some(t);
                }
                lane.push_run(Span {
                    start: t,
                    end: None,
                    pid: e.pid,
                    outcome: Outcome::Running,
                    input: None,
                });
                lane.cpu_done += std::mem::take(&mut lane.cpu_run);
                lane.last_sample = None;
                lane.run_tree = false;
                if let Some(pid) = e.pid {
                    self.pid_index.insert(pid, i);
                }
            }
            EventKind::SpawnFailed { .. } => {
                let i = self.proc_mut(name, e.pool.as_ref());
                self.procs[i].push_run(Span {
                    start: t,
                    end: Some(t),
                    pid: None,
                    outcome: Outcome::FailedToStart,
                    input: None,
                });
            }
            EventKind::Exited {
                exit_code,
                usage,
                stopped,
                ..
            } => {
                let Some(&i) = self.proc_index.get(name) else {
                    return;
                };
                let lane = &mut self.procs[i];
                if let Some(r) = lane.runs.last_mut().filter(|r| r.end.is_none()) {
                    r.end = Some(t);
                    r.outcome = Outcome::from_exit(*exit_code, *stopped);
                }
                let run_cpu = std::mem::take(&mut lane.cpu_run);
                // The kernel's figure counts the leader and the children it
                // waited for; a tree whose descendants went elsewhere may
                // have used more, as sampled.
                let tree = std::mem::take(&mut lane.run_tree);
                lane.cpu_done += match usage {
                    Some(u) if u.user_cpu + u.sys_cpu > 0.0 => {
                        let kernel = (u.user_cpu + u.sys_cpu).min(1e12);
                        if tree {
                            kernel.max(run_cpu)
                        } else {
                            kernel
                        }
                    }
                    _ => run_cpu,
                };
                if let Some(kb) = usage.and_then(|u| u.peak_rss_kb) {
                    lane.peak_rss_kb = lane.peak_rss_kb.max(kb);
                    lane.own_peak_rss_kb = lane.own_peak_rss_kb.max(kb);
                }
                if let Some(pid) = e.pid {
                    self.pid_index.remove(&pid);
                }
            }
            EventKind::WorkerHost { host } if self.hosts.get(name) != Some(host) => {
                self.hosts.insert(name.to_string(), host.clone());
                self.hosts_changed += 1;
            }
            _ => {}
        }
    }
}

impl ProcLane {
    /// Adds a run, dropping the oldest tenth when [`MAX_RUNS`] are kept.
    fn push_run(&mut self, s: Span) {
        self.first_start.get_or_insert(s.start);
        if self.runs.len() >= MAX_RUNS {
            self.runs.drain(..MAX_RUNS / 10);
            self.dropped_runs += (MAX_RUNS / 10) as u64;
        }
        self.runs.push(s);
    }

    /// The time before its first kept run where dropped runs were:
    /// `(from, to)`, when some were dropped.
    pub fn hidden_span(&self) -> Option<(f64, f64)> {
        let to = self.runs.first()?.start;
        (self.dropped_runs > 0).then(|| (self.first_start.unwrap_or(to).min(to), to))
    }
}

#[path = "fold_pool.rs"]
mod pool;

#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use chrono::TimeZone;

    /// An event at `ms` milliseconds after the epoch.
    pub(crate) fn at(ms: i64, kind: EventKind) -> Event {
        let mut e = Event::now(kind);
        e.time = FixedOffset::east_opt(0)
            .unwrap()
            .timestamp_millis_opt(ms)
            .unwrap();
        e
    }
}

#[cfg(test)]
#[path = "fold_tests.rs"]
mod tests;
