//! How an event reads to a person: the log view's text column, the clock,
//! and the one-line form of text exports and the terminal. Kept apart from
//! the event's data: nothing here is stored in the journal.

use super::exit::describe_exit;
use super::{Event, EventKind};

impl Event {
    /// The human-readable text of the event (the log view's last column).
    pub fn text(&self) -> String {
        match &self.kind {
            EventKind::SessionStarted { message, .. }
            | EventKind::SpawnFailed { message }
            | EventKind::Error { message }
            | EventKind::Leftover { message }
            | EventKind::Cleared { message }
            | EventKind::SessionEnded { message } => message.clone(),
            EventKind::Spawned { command } => command.clone(),
            EventKind::Stdout { line, .. } | EventKind::Stderr { line, .. } => line.clone(),
            EventKind::SignalSent { signal, message, .. } => {
                if message.is_empty() {
                    signal.clone()
                } else {
                    format!("{signal} {message}")
                }
            }
            EventKind::Exited { exit_code, runtime, restart_in, stopped, .. } => {
                let mut s = format!("exit code {} after {:.2}s", describe_exit(*exit_code), runtime);
                if *stopped {
                    s.push_str("; stopped by the user");
                }
                if let Some(d) = restart_in {
                    s.push_str(&format!("; restarting in {d:.2}s"));
                }
                s
            }
            EventKind::Paused { signal } => format!("paused by {signal}"),
            EventKind::Resumed { signal } => format!("resumed by {signal}"),
            EventKind::Restarting { message, .. } => message.clone(),
            EventKind::RestartScheduled { restart_in } => {
                format!("trying again in {restart_in:.2}s (its restart policy)")
            }
            EventKind::TaskQueued { input_text } => format!("queued: {input_text}"),
            EventKind::TaskStarted { input_text } => format!("started: {input_text}"),
            EventKind::TaskDone {
                exit_code,
                result,
                duration,
                ..
            } => {
                format!("done ({}, {:.3}s): {}", describe_exit(*exit_code), duration, result)
            }
            EventKind::TaskFailed { exit_code, message, .. } => match exit_code {
                Some(c) => format!("failed with {}: {message}", describe_exit(*c)),
                None => format!("failed: {message}"),
            },
            EventKind::TaskCancelled {
                exit_code,
                duration: Some(d),
            } => match exit_code {
                Some(c) => format!(
                    "cancelled after {d:.2}s, its worker stopped by the user; it exited with {}",
                    super::exit::describe_exit(*c)
                ),
                None => format!("cancelled after {d:.2}s, its worker stopped by the user"),
            },
            EventKind::TaskCancelled { .. } => "cancelled before it started".to_string(),
            EventKind::WorkerHost { host } => format!("runs on {host}"),
            EventKind::HostDown { host, message } => format!("host {host} is down: {message}"),
            EventKind::SlurmState { job, state } => format!("Slurm job {job}: {}", state.text()),
            EventKind::PoolState { paused, workers } => {
                format!("{} with {workers} worker{}", if *paused { "paused" } else { "running" }, if *workers == 1 { "" } else { "s" })
            }
            EventKind::Samples { procs, .. } => format!(
                "{} process{} sampled",
                procs.len(),
                if procs.len() == 1 { "" } else { "es" }
            ),
            EventKind::PoolDone { totals: t } => format!(
                "pool done: {} inputs, {} done, {} failed, {} cancelled in {:.3}s (busy {:.3}s, speedup {:.2}x)",
                t.inputs,
                t.done,
                t.failed,
                t.cancelled,
                t.wall,
                t.busy,
                t.speedup()
            ),
        }
    }

    /// Local wall-clock time with milliseconds, for the log view.
    pub fn clock(&self) -> String {
        self.time.format("%H:%M:%S%.3f").to_string()
    }

    /// One line of text: time, process, pid, kind, text. Output lines read
    /// together give one such line each (the same prefix).
    pub fn text_line(&self) -> String {
        let prefix = self.line_prefix();
        match &self.kind {
            EventKind::Stdout { line, .. } | EventKind::Stderr { line, .. } if line.contains('\n') => {
                let mut out = String::with_capacity(line.len() + 8 * prefix.len());
                for (i, piece) in line.split('\n').enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str(&prefix);
                    out.push_str(piece);
                }
                out
            }
            _ => prefix + &self.text(),
        }
    }

    /// `time who[pid] #input kind: `, what comes before the text.
    fn line_prefix(&self) -> String {
        let who = self
            .process
            .as_deref()
            .or(self.pool.as_deref())
            .unwrap_or("proctor");
        let pid = self.pid.map(|p| format!("[{p}]")).unwrap_or_default();
        let input = self.input.map(|i| format!(" #{i}")).unwrap_or_default();
        format!("{} {who}{pid}{input} {}: ", self.clock(), self.kind.name())
    }
}
