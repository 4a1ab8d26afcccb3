//! The event: one entry of the shared queue that every process and the
//! supervisor write to. `EventKind` is the event schema's one source: its
//! serde form is the record of the journal and of JSON Lines exports, and
//! its kind names, the list of kinds and the CSV columns derive from it
//! (see `schema`). The kinds and their fields are documented in
//! docs/events.md; adding one is a variant below and its line in `text.rs`.

pub mod exit;
mod lines;
pub mod raw;
pub mod schema;
pub mod slurm;
mod text;

use chrono::{DateTime, FixedOffset, Local};
use schema::{event_kinds, time_millis};
use serde::{Deserialize, Serialize};

pub use schema::parse_json_line;

/// What an exited process cost: CPU times from the kernel's accounting of
/// the reaped child (`wait4`'s rusage); the peak memory is the child's own
/// `VmHWM`, sampled while it ran (see `peak`), `None` if no sample was taken.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_kb: Option<u64>,
    pub user_cpu: f64,
    #[serde(default)]
    pub sys_cpu: f64,
}

/// Totals of a finished pool.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolTotals {
    pub inputs: u64,
    pub done: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// Seconds from the pool's start to its end.
    pub wall: f64,
    /// The sum of the inputs' own durations, in seconds.
    pub busy: f64,
}

impl PoolTotals {
    pub fn speedup(&self) -> f64 {
        if self.wall > 0.0 {
            self.busy / self.wall
        } else {
            0.0
        }
    }
}

/// One process in a `samples` record: `[pid, cpu, rss_kb]`, CPU in percent
/// of one CPU since the last sample, resident memory in kB.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcSample(pub u32, pub f32, pub u64);

/// A process's whole tree in a `samples` record: `[pid, cpu, rss_kb,
/// count]`, the leader `pid` and its descendants (those that left its
/// group or session too) added up: CPU in percent of one CPU, resident
/// memory in kB, `count` processes. Only for trees of more than the leader.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TreeSample(pub u32, pub f32, pub u64, pub u32);

event_kinds! {
    /// What happened. Each variant is `Name = "kind_name" { fields }`; the
    /// fields are the record's, by the same names (docs/events.md).
    #[derive(Clone, Debug, PartialEq)]
    pub enum EventKind {
        /// The supervisor started; the journal's first event.
        SessionStarted = "session_started" {
            #[serde(default)]
            message: String,
            /// The journal format (docs/journal.md); absent in format 1.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            format: Option<u32>,
        },
        Spawned = "spawned" {
            #[serde(default)]
            command: String,
        },
        SpawnFailed = "spawn_failed" {
            #[serde(default)]
            message: String,
        },
        Stdout = "stdout" {
            line: String,
            /// The line's exact bytes in base64, when they are not UTF-8
            /// (`line` then shows U+FFFD in their place); see `raw`.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            bytes: Option<String>,
        },
        Stderr = "stderr" {
            line: String,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            bytes: Option<String>,
        },
        SignalSent = "signal_sent" {
            signal: String,
            #[serde(default)]
            message: String,
            /// Seconds until SIGKILL follows, when this is a terminate.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            kill_in: Option<f64>,
        },
        Exited = "exited" {
            exit_code: i32,
            /// Seconds the process ran.
            #[serde(default)]
            runtime: f64,
            /// Seconds until the restart policy starts it again, if it will.
            #[serde(default, skip_serializing_if = "Option::is_none")]
            restart_in: Option<f64>,
            #[serde(flatten)]
            usage: Option<Usage>,
            /// The user asked for this stop (Terminate, Kill, Stop all, the
            /// session's end): an outcome, not a failure. Written only when
            /// true.
            #[serde(default, skip_serializing_if = "std::ops::Not::not")]
            stopped: bool,
        },
        /// The process was stopped by a signal (SIGSTOP, SIGTSTP, ...): paused.
        Paused = "paused" { signal: String },
        /// A paused process continued (SIGCONT).
        Resumed = "resumed" { signal: String },
        Restarting = "restarting" {
            #[serde(default)]
            attempt: u32,
            #[serde(default)]
            message: String,
        },
        TaskQueued = "task_queued" {
            #[serde(default)]
            input_text: String,
        },
        TaskStarted = "task_started" {
            #[serde(default)]
            input_text: String,
        },
        TaskDone = "task_done" {
            #[serde(default)]
            exit_code: i32,
            #[serde(default)]
            result: String,
            #[serde(default)]
            duration: f64,
            /// The result's exact bytes in base64, when they are not UTF-8
            /// (a persistent worker's answer; a spawn-mode result's lines
            /// keep theirs in their `stdout` events).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            result_bytes: Option<String>,
        },
        TaskFailed = "task_failed" {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            exit_code: Option<i32>,
            #[serde(default)]
            message: String,
            #[serde(default)]
            duration: f64,
            #[serde(default)]
            will_retry: bool,
        },
        /// An input dropped: before it started (no fields), or while it
        /// ran, its worker stopped by the user (its time, and its exit
        /// code when it is the input's own).
        TaskCancelled = "task_cancelled" {
            #[serde(default, skip_serializing_if = "Option::is_none")]
            exit_code: Option<i32>,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            duration: Option<f64>,
        },
        /// A pool's settings changed: started, paused, resumed or resized.
        PoolState = "pool_state" {
            #[serde(default)]
            paused: bool,
            #[serde(default)]
            workers: usize,
        },
        PoolDone = "pool_done" {
            #[serde(flatten)]
            totals: PoolTotals,
        },
        /// A process of a stopped tree is still alive.
        Leftover = "leftover" {
            #[serde(default)]
            message: String,
        },
        Error = "error" {
            #[serde(default)]
            message: String,
        },
        /// Ended processes and finished pools were forgotten (Clear ended):
        /// the tables drop their rows.
        Cleared = "cleared" {
            #[serde(default)]
            message: String,
        },
        SessionEnded = "session_ended" {
            #[serde(default)]
            message: String,
        },
        /// CPU and memory of every live process, one record per sampling
        /// tick (about once a second while any process lives).
        Samples = "samples" {
            #[serde(default)]
            procs: Vec<ProcSample>,
            /// The trees of the processes that have descendants (absent
            /// when none has; older journals have none).
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            trees: Vec<TreeSample>,
        },
        /// A pool's worker slot runs on this host (`local`, `host`,
        /// `user@host`, or `slurm` until a step names its node).
        WorkerHost = "worker_host" {
            host: String,
        },
        /// A host of a pool refused or dropped out: its slots take no more
        /// inputs; what it held is retried elsewhere (within `retries`).
        HostDown = "host_down" {
            host: String,
            #[serde(default)]
            message: String,
        },
        /// A Slurm job of a pool changed state, as Slurm said (`squeue`,
        /// or `srun`'s last words); `process` is the worker, `input` the
        /// input it runs.
        SlurmState = "slurm_state" {
            #[serde(default)]
            job: String,
            #[serde(flatten)]
            state: slurm::SlurmState,
        },
        /// A start that did not happen (its SSH host could not be reached)
        /// is tried again by the restart policy in `restart_in` seconds:
        /// the process is pending, not ended.
        RestartScheduled = "restart_scheduled" {
            #[serde(default)]
            restart_in: f64,
        },
    }
}

impl EventKind {
    /// A line of standard output that is text (see `raw` for one that is not).
    pub fn stdout(line: impl Into<String>) -> Self {
        EventKind::Stdout {
            line: line.into(),
            bytes: None,
        }
    }

    /// A line of standard error that is text.
    pub fn stderr(line: impl Into<String>) -> Self {
        EventKind::Stderr {
            line: line.into(),
            bytes: None,
        }
    }

    /// Whether a person should see this as a problem (drawn distinctly).
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Self::SpawnFailed { .. }
                | Self::Stderr { .. }
                | Self::TaskFailed { .. }
                | Self::Error { .. }
                | Self::Leftover { .. }
                | Self::HostDown { .. }
        ) || matches!(self, Self::Exited { exit_code, stopped: false, .. } if *exit_code != 0)
            || matches!(self, Self::SlurmState { state, .. } if state.is_problem())
    }
}

/// One event: the fields every kind may have, then the kind's own. Its
/// serde form is one JSON Lines record (docs/events.md).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    #[serde(with = "time_millis")]
    pub time: DateTime<FixedOffset>,
    #[serde(flatten)]
    pub kind: EventKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<u64>,
}

/// The local time now. The UTC offset is looked up at most once a second
/// per thread: `Local::now` consults the time zone on every call, and
/// events are stamped several times for each child.
pub fn local_now() -> DateTime<FixedOffset> {
    use std::cell::Cell;
    use std::time::{Duration, Instant};
    thread_local! {
        static OFFSET: Cell<Option<(FixedOffset, Instant)>> = const { Cell::new(None) };
    }
    let utc = chrono::Utc::now();
    let offset = OFFSET.with(|c| match c.get() {
        Some((o, at)) if at.elapsed() < Duration::from_secs(1) => o,
        _ => {
            let o = *Local::now().offset();
            c.set(Some((o, Instant::now())));
            o
        }
    });
    utc.with_timezone(&offset)
}

impl Event {
    /// An event stamped now; `seq` is set by whoever delivers it.
    pub fn now(kind: EventKind) -> Self {
        Self {
            seq: 0,
            time: local_now(),
            process: None,
            pid: None,
            pool: None,
            input: None,
            kind,
        }
    }

    pub fn process(mut self, name: &str, pid: Option<u32>) -> Self {
        self.process = Some(name.to_string());
        self.pid = pid;
        self
    }

    pub fn pool(mut self, pool: &str, input: Option<u64>) -> Self {
        self.pool = Some(pool.to_string());
        self.input = input;
        self
    }
}

#[cfg(test)]
mod tests;
