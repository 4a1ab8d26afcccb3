//! A process's row: its state as the events say, pid, exit, restarts, usage.

use crate::event::Usage;
use chrono::{DateTime, FixedOffset};

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
    /// A past session's row that was alive (or waiting to restart) where
    /// its journal ends without the session's end: how it ended is not
    /// known.
    Unknown,
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
            Self::Unknown => "end unknown",
        }
    }

    pub fn is_alive(&self) -> bool {
        matches!(self, Self::Running | Self::Paused { .. } | Self::Stopping { .. })
    }

    /// Ended for good (no restart pending).
    pub fn is_ended(&self) -> bool {
        matches!(
            self,
            Self::Exited | Self::Stopped | Self::FailedToStart { .. } | Self::Unknown
        )
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
    /// The SSH host (or Slurm node) it runs on (`worker_host`); `None`:
    /// this machine.
    pub host: Option<String>,
}

impl ProcessRow {
    pub(super) fn new(name: &str, pool: Option<String>) -> Self {
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
            host: None,
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
