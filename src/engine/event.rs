//! The event: one entry of the shared queue that every process and the
//! supervisor write to. `EventKind` carries each kind's own data; its flat
//! form for exports and journals is `Record` (see `record`).

use super::exit::describe_exit;
use chrono::{DateTime, FixedOffset, Local};
use std::borrow::Cow;

pub use super::record::{parse_json_line, Record};

/// What an exited process cost: CPU times from the kernel's accounting of
/// the reaped child (`wait4`'s rusage); the peak memory is the child's own
/// `VmHWM`, sampled while it ran (see `peak`), `None` if no sample was taken.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Usage {
    pub peak_rss_kb: Option<u64>,
    pub user_cpu: f64,
    pub sys_cpu: f64,
}

/// Totals of a finished pool.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
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

#[derive(Clone, Debug, PartialEq)]
pub enum EventKind {
    SessionStarted {
        message: String,
    },
    Spawned {
        command: String,
    },
    SpawnFailed {
        message: String,
    },
    Stdout {
        line: String,
    },
    Stderr {
        line: String,
    },
    SignalSent {
        signal: String,
        message: String,
        /// Seconds until SIGKILL follows, when this is a terminate.
        kill_in: Option<f64>,
    },
    Exited {
        exit_code: i32,
        /// Seconds the process ran.
        runtime: f64,
        /// Seconds until the restart policy starts it again, if it will.
        restart_in: Option<f64>,
        usage: Option<Usage>,
        /// The user asked for this stop (Terminate, Kill, Stop all, the
        /// session's end): an outcome, not a failure.
        stopped: bool,
    },
    /// The process was stopped by a signal (SIGSTOP, SIGTSTP, ...): paused.
    Paused {
        signal: String,
    },
    /// A paused process continued (SIGCONT).
    Resumed {
        signal: String,
    },
    Restarting {
        attempt: u32,
        message: String,
    },
    TaskQueued {
        input_text: String,
    },
    TaskStarted {
        input_text: String,
    },
    TaskDone {
        exit_code: i32,
        result: String,
        duration: f64,
    },
    TaskFailed {
        exit_code: Option<i32>,
        message: String,
        duration: f64,
        will_retry: bool,
    },
    TaskCancelled,
    /// A pool's settings changed: started, paused, resumed or resized.
    PoolState {
        paused: bool,
        workers: usize,
    },
    PoolDone {
        totals: PoolTotals,
    },
    /// A process of a stopped tree is still alive.
    Leftover {
        message: String,
    },
    Error {
        message: String,
    },
    SessionEnded {
        message: String,
    },
}

impl EventKind {
    pub fn name(&self) -> &'static str {
        match self {
            Self::SessionStarted { .. } => "session_started",
            Self::Spawned { .. } => "spawned",
            Self::SpawnFailed { .. } => "spawn_failed",
            Self::Stdout { .. } => "stdout",
            Self::Stderr { .. } => "stderr",
            Self::SignalSent { .. } => "signal_sent",
            Self::Exited { .. } => "exited",
            Self::Paused { .. } => "paused",
            Self::Resumed { .. } => "resumed",
            Self::Restarting { .. } => "restarting",
            Self::TaskQueued { .. } => "task_queued",
            Self::TaskStarted { .. } => "task_started",
            Self::TaskDone { .. } => "task_done",
            Self::TaskFailed { .. } => "task_failed",
            Self::TaskCancelled => "task_cancelled",
            Self::PoolState { .. } => "pool_state",
            Self::PoolDone { .. } => "pool_done",
            Self::Leftover { .. } => "leftover",
            Self::Error { .. } => "error",
            Self::SessionEnded { .. } => "session_ended",
        }
    }

    /// Every kind name, for filters.
    pub const NAMES: &'static [&'static str] = &[
        "session_started",
        "spawned",
        "spawn_failed",
        "stdout",
        "stderr",
        "signal_sent",
        "exited",
        "paused",
        "resumed",
        "restarting",
        "task_queued",
        "task_started",
        "task_done",
        "task_failed",
        "task_cancelled",
        "pool_state",
        "pool_done",
        "leftover",
        "error",
        "session_ended",
    ];

    /// Whether a person should see this as a problem (drawn distinctly).
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Self::SpawnFailed { .. }
                | Self::Stderr { .. }
                | Self::TaskFailed { .. }
                | Self::Error { .. }
                | Self::Leftover { .. }
        ) || matches!(self, Self::Exited { exit_code, stopped: false, .. } if *exit_code != 0)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub seq: u64,
    pub time: DateTime<FixedOffset>,
    pub process: Option<String>,
    pub pid: Option<u32>,
    pub pool: Option<String>,
    pub input: Option<u64>,
    pub kind: EventKind,
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

    /// The human-readable text of the event (the log view's last column).
    pub fn text(&self) -> String {
        match &self.kind {
            EventKind::SessionStarted { message }
            | EventKind::SpawnFailed { message }
            | EventKind::Error { message }
            | EventKind::Leftover { message }
            | EventKind::SessionEnded { message } => message.clone(),
            EventKind::Spawned { command } => command.clone(),
            EventKind::Stdout { line } | EventKind::Stderr { line } => line.clone(),
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
            EventKind::TaskQueued { input_text } => format!("queued: {input_text}"),
            EventKind::TaskStarted { input_text } => format!("started: {input_text}"),
            EventKind::TaskDone { exit_code, result, duration } => {
                format!("done ({}, {:.3}s): {}", describe_exit(*exit_code), duration, result)
            }
            EventKind::TaskFailed { exit_code, message, .. } => match exit_code {
                Some(c) => format!("failed with {}: {message}", describe_exit(*c)),
                None => format!("failed: {message}"),
            },
            EventKind::TaskCancelled => "cancelled before it started".to_string(),
            EventKind::PoolState { paused, workers } => {
                format!("{} with {workers} worker{}", if *paused { "paused" } else { "running" }, if *workers == 1 { "" } else { "s" })
            }
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

    /// One line of text: time, process, pid, kind, text.
    pub fn text_line(&self) -> String {
        let who = self
            .process
            .as_deref()
            .or(self.pool.as_deref())
            .unwrap_or("proctor");
        let pid = self.pid.map(|p| format!("[{p}]")).unwrap_or_default();
        let input = self.input.map(|i| format!(" #{i}")).unwrap_or_default();
        format!(
            "{} {who}{pid}{input} {}: {}",
            self.clock(),
            self.kind.name(),
            self.text()
        )
    }

    /// The flat form, borrowing the event's text.
    pub fn to_record(&self) -> Record<Cow<'_, str>> {
        Record::from(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_events() -> Vec<Event> {
        let kinds = vec![
            EventKind::SessionStarted { message: "s".into() },
            EventKind::Spawned {
                command: "echo hi".into(),
            },
            EventKind::SpawnFailed {
                message: "No such file".into(),
            },
            EventKind::Stdout {
                line: "a,\"b\"\nc".into(),
            },
            EventKind::Stderr { line: "err".into() },
            EventKind::SignalSent {
                signal: "SIGTERM".into(),
                message: "SIGKILL in 5s".into(),
                kill_in: Some(5.0),
            },
            EventKind::Exited {
                exit_code: -15,
                runtime: 1.25,
                restart_in: Some(0.5),
                usage: Some(Usage {
                    peak_rss_kb: Some(1234),
                    user_cpu: 0.5,
                    sys_cpu: 0.25,
                }),
                stopped: true,
            },
            EventKind::Paused {
                signal: "SIGSTOP".into(),
            },
            EventKind::Resumed {
                signal: "SIGCONT".into(),
            },
            EventKind::Restarting {
                attempt: 2,
                message: "again".into(),
            },
            EventKind::TaskQueued {
                input_text: "3".into(),
            },
            EventKind::TaskStarted {
                input_text: "3".into(),
            },
            EventKind::TaskDone {
                exit_code: 0,
                result: "9".into(),
                duration: 0.125,
            },
            EventKind::TaskFailed {
                exit_code: Some(1),
                message: "m".into(),
                duration: 0.5,
                will_retry: true,
            },
            EventKind::TaskCancelled,
            EventKind::PoolState {
                paused: true,
                workers: 3,
            },
            EventKind::PoolDone {
                totals: PoolTotals {
                    inputs: 4,
                    done: 3,
                    failed: 1,
                    cancelled: 0,
                    wall: 2.0,
                    busy: 3.5,
                },
            },
            EventKind::Leftover {
                message: "pid 5".into(),
            },
            EventKind::Error { message: "e".into() },
            EventKind::SessionEnded {
                message: "bye".into(),
            },
        ];
        assert_eq!(kinds.len(), EventKind::NAMES.len());
        kinds
            .into_iter()
            .enumerate()
            .map(|(i, k)| {
                let mut e = Event::now(k).process("p-1", Some(42)).pool("pl", Some(3));
                e.seq = i as u64 + 1;
                e
            })
            .collect()
    }

    #[test]
    fn json_lines_round_trip_is_lossless() {
        for e in sample_events() {
            let json = serde_json::to_string(&e.to_record()).unwrap();
            let back = parse_json_line(&json).unwrap();
            // Time is kept to the millisecond.
            assert_eq!(back.time.timestamp_millis(), e.time.timestamp_millis());
            let mut e2 = e.clone();
            e2.time = back.time;
            assert_eq!(back, e2, "{json}");
        }
    }

    #[test]
    fn time_is_rfc3339_with_millis_and_offset() {
        let events = sample_events();
        let r = events[0].to_record();
        assert!(DateTime::parse_from_rfc3339(&r.time).is_ok());
        let t = &r.time;
        assert_eq!(&t[19..20], ".", "{t}");
        assert!(
            t.ends_with('Z') || t[23..].starts_with('+') || t[23..].starts_with('-'),
            "{t}"
        );
    }

    #[test]
    fn bad_lines_are_errors_not_panics() {
        assert!(parse_json_line("").is_err());
        assert!(parse_json_line("{}").is_err());
        assert!(parse_json_line(r#"{"seq":1,"time":"x","kind":"stdout"}"#).is_err());
        assert!(
            parse_json_line(r#"{"seq":1,"time":"2026-01-01T00:00:00.000+00:00","kind":"nope"}"#).is_err()
        );
    }
}
