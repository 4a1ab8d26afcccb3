//! The flat form of an event, `Record`: what JSON Lines and CSV exports
//! and the journal hold, and how it is read back into an `Event`.

use super::event::{Event, EventKind, PoolTotals, Usage};
use chrono::{DateTime, SecondsFormat};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The flat form of an event: what JSON Lines and CSV hold. The first
/// twelve fields are DESIGN.md's contract; the rest carry each kind's
/// remaining data so that a JSON Lines export is lossless.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record<S = String> {
    pub seq: u64,
    pub time: S,
    pub kind: S,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<S>,
    // Beyond the contract:
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_text: Option<S>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_in: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_in: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub will_retry: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_kb: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_cpu: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sys_cpu: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wall: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speedup: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workers: Option<u64>,
    /// Only when true: the user stopped the process (`exited`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<bool>,
}

impl Record {
    /// The CSV columns: DESIGN.md's fields, in its order.
    pub const CSV_COLUMNS: [&'static str; 12] = [
        "seq",
        "time",
        "kind",
        "process",
        "pid",
        "pool",
        "input",
        "line",
        "exit_code",
        "signal",
        "result",
        "message",
    ];
}

impl<S: AsRef<str>> Record<S> {
    pub fn csv_values(&self) -> [String; 12] {
        fn o<T: ToString>(v: &Option<T>) -> String {
            v.as_ref().map(ToString::to_string).unwrap_or_default()
        }
        fn s<S: AsRef<str>>(v: &Option<S>) -> String {
            v.as_ref().map(|x| x.as_ref().to_string()).unwrap_or_default()
        }
        [
            self.seq.to_string(),
            self.time.as_ref().to_string(),
            self.kind.as_ref().to_string(),
            s(&self.process),
            o(&self.pid),
            s(&self.pool),
            o(&self.input),
            s(&self.line),
            o(&self.exit_code),
            s(&self.signal),
            s(&self.result),
            s(&self.message),
        ]
    }
}

impl<'a> From<&'a Event> for Record<Cow<'a, str>> {
    fn from(e: &'a Event) -> Self {
        let mut r = Record {
            seq: e.seq,
            time: Cow::Owned(e.time.to_rfc3339_opts(SecondsFormat::Millis, false)),
            kind: Cow::Borrowed(e.kind.name()),
            process: e.process.as_deref().map(Cow::Borrowed),
            pid: e.pid,
            pool: e.pool.as_deref().map(Cow::Borrowed),
            input: e.input,
            ..Default::default()
        };
        match &e.kind {
            EventKind::SessionStarted { message }
            | EventKind::SpawnFailed { message }
            | EventKind::Error { message }
            | EventKind::Leftover { message }
            | EventKind::SessionEnded { message } => r.message = Some(Cow::Borrowed(message.as_str())),
            EventKind::Spawned { command } => r.command = Some(Cow::Borrowed(command.as_str())),
            EventKind::Stdout { line } | EventKind::Stderr { line } => {
                r.line = Some(Cow::Borrowed(line.as_str()))
            }
            EventKind::SignalSent {
                signal,
                message,
                kill_in,
            } => {
                r.signal = Some(Cow::Borrowed(signal.as_str()));
                r.message = Some(Cow::Borrowed(message.as_str()));
                r.kill_in = *kill_in;
            }
            EventKind::Exited {
                exit_code,
                runtime,
                restart_in,
                usage,
                stopped,
            } => {
                r.stopped = stopped.then_some(true);
                r.exit_code = Some(*exit_code);
                r.runtime = Some(*runtime);
                r.restart_in = *restart_in;
                r.message = Some(Cow::Owned(e.text()));
                if let Some(u) = usage {
                    r.peak_rss_kb = u.peak_rss_kb;
                    r.user_cpu = Some(u.user_cpu);
                    r.sys_cpu = Some(u.sys_cpu);
                }
            }
            EventKind::Paused { signal } | EventKind::Resumed { signal } => {
                r.signal = Some(Cow::Borrowed(signal.as_str()));
                r.message = Some(Cow::Owned(e.text()));
            }
            EventKind::Restarting { attempt, message } => {
                r.attempt = Some(*attempt);
                r.message = Some(Cow::Borrowed(message.as_str()));
            }
            EventKind::TaskQueued { input_text } | EventKind::TaskStarted { input_text } => {
                r.input_text = Some(Cow::Borrowed(input_text.as_str()))
            }
            EventKind::TaskDone {
                exit_code,
                result,
                duration,
            } => {
                r.exit_code = Some(*exit_code);
                r.result = Some(Cow::Borrowed(result.as_str()));
                r.duration = Some(*duration);
            }
            EventKind::TaskFailed {
                exit_code,
                message,
                duration,
                will_retry,
            } => {
                r.exit_code = *exit_code;
                r.message = Some(Cow::Borrowed(message.as_str()));
                r.duration = Some(*duration);
                r.will_retry = Some(*will_retry);
            }
            EventKind::TaskCancelled => {}
            EventKind::PoolState { paused, workers } => {
                r.paused = Some(*paused);
                r.workers = Some(*workers as u64);
                r.message = Some(Cow::Owned(e.text()));
            }
            EventKind::PoolDone { totals: t } => {
                r.inputs = Some(t.inputs);
                r.done = Some(t.done);
                r.failed = Some(t.failed);
                r.cancelled = Some(t.cancelled);
                r.wall = Some(t.wall);
                r.busy = Some(t.busy);
                r.speedup = Some(t.speedup());
                r.message = Some(Cow::Owned(e.text()));
            }
        }
        r
    }
}

impl TryFrom<Record> for Event {
    type Error = String;

    fn try_from(r: Record) -> Result<Self, String> {
        let time =
            DateTime::parse_from_rfc3339(&r.time).map_err(|e| format!("bad time `{}`: {e}", r.time))?;
        let need = |v: Option<String>, f: &str| v.ok_or_else(|| format!("`{}` event without `{f}`", r.kind));
        let msg = r.message.clone().unwrap_or_default();
        let kind = match r.kind.as_str() {
            "session_started" => EventKind::SessionStarted { message: msg },
            "spawned" => EventKind::Spawned {
                command: r.command.clone().unwrap_or_default(),
            },
            "spawn_failed" => EventKind::SpawnFailed { message: msg },
            "stdout" => EventKind::Stdout {
                line: need(r.line.clone(), "line")?,
            },
            "stderr" => EventKind::Stderr {
                line: need(r.line.clone(), "line")?,
            },
            "signal_sent" => EventKind::SignalSent {
                signal: need(r.signal.clone(), "signal")?,
                message: msg,
                kill_in: r.kill_in,
            },
            "exited" => EventKind::Exited {
                exit_code: r.exit_code.ok_or("`exited` event without `exit_code`")?,
                runtime: r.runtime.unwrap_or(0.0),
                restart_in: r.restart_in,
                // Older journals always have `peak_rss_kb`; newer ones leave
                // it out when no sample was taken.
                usage: (r.peak_rss_kb.is_some() || r.user_cpu.is_some()).then(|| Usage {
                    peak_rss_kb: r.peak_rss_kb,
                    user_cpu: r.user_cpu.unwrap_or(0.0),
                    sys_cpu: r.sys_cpu.unwrap_or(0.0),
                }),
                stopped: r.stopped.unwrap_or(false),
            },
            "paused" => EventKind::Paused {
                signal: need(r.signal.clone(), "signal")?,
            },
            "resumed" => EventKind::Resumed {
                signal: need(r.signal.clone(), "signal")?,
            },
            "restarting" => EventKind::Restarting {
                attempt: r.attempt.unwrap_or(0),
                message: msg,
            },
            "task_queued" => EventKind::TaskQueued {
                input_text: r.input_text.clone().unwrap_or_default(),
            },
            "task_started" => EventKind::TaskStarted {
                input_text: r.input_text.clone().unwrap_or_default(),
            },
            "task_done" => EventKind::TaskDone {
                exit_code: r.exit_code.unwrap_or(0),
                result: r.result.clone().unwrap_or_default(),
                duration: r.duration.unwrap_or(0.0),
            },
            "task_failed" => EventKind::TaskFailed {
                exit_code: r.exit_code,
                message: msg,
                duration: r.duration.unwrap_or(0.0),
                will_retry: r.will_retry.unwrap_or(false),
            },
            "task_cancelled" => EventKind::TaskCancelled,
            "pool_state" => EventKind::PoolState {
                paused: r.paused.unwrap_or(false),
                workers: r.workers.unwrap_or(0) as usize,
            },
            "pool_done" => EventKind::PoolDone {
                totals: PoolTotals {
                    inputs: r.inputs.unwrap_or(0),
                    done: r.done.unwrap_or(0),
                    failed: r.failed.unwrap_or(0),
                    cancelled: r.cancelled.unwrap_or(0),
                    wall: r.wall.unwrap_or(0.0),
                    busy: r.busy.unwrap_or(0.0),
                },
            },
            "leftover" => EventKind::Leftover { message: msg },
            "error" => EventKind::Error { message: msg },
            "session_ended" => EventKind::SessionEnded { message: msg },
            other => return Err(format!("unknown event kind `{other}`")),
        };
        Ok(Event {
            seq: r.seq,
            time,
            process: r.process,
            pid: r.pid,
            pool: r.pool,
            input: r.input,
            kind,
        })
    }
}

/// Parses one JSON Lines line back into an event.
pub fn parse_json_line(line: &str) -> Result<Event, String> {
    let record: Record = serde_json::from_str(line).map_err(|e| e.to_string())?;
    Event::try_from(record)
}
