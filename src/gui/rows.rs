//! The process table's rows: a pure function from the view model (plus
//! the names being started and the latest CPU/memory sample) to filtered,
//! sorted rows. The table draws them and the CSV export writes them.

use super::stats::Sample;
use super::theme::{exit_tone, Tone};
use crate::event::exit::short_exit;
use crate::model::{ProcessRow, RowState, SessionModel};
use crate::pictures::ProcLane;
use chrono::{DateTime, FixedOffset};
use std::collections::HashSet;

pub use super::row_order::{Col, Sort};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Starting,
    Running,
    Paused,
    Stopping,
    Restarting,
    Exited,
    Stopped,
    FailedToStart,
    /// A past session's process alive where its journal ends unfinished.
    Unknown,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Running => "running",
            Status::Paused => "paused",
            Status::Stopping => "stopping",
            Status::Restarting => "restarting",
            Status::Exited => "exited",
            Status::Stopped => "stopped",
            Status::FailedToStart => "failed to start",
            Status::Unknown => "end unknown",
        }
    }
    pub fn is_alive(self) -> bool {
        matches!(self, Status::Running | Status::Paused | Status::Stopping)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: String,
    pub pool: Option<String>,
    pub pid: Option<u32>,
    pub status: Status,
    pub exit_code: Option<i32>,
    /// Live CPU % (of one core) of the whole tree (the leader and every
    /// descendant); none once ended.
    pub cpu: Option<f32>,
    /// Live resident memory in bytes of the whole tree; none once ended.
    pub rss: Option<u64>,
    /// The leader's own CPU % and memory, and how many processes the tree
    /// holds, when it holds more than the leader.
    pub own: Option<(f32, u64, u32)>,
    pub started: Option<DateTime<FixedOffset>>,
    pub runtime: Option<f64>,
    pub restarts: u32,
    /// What is going on: the stop countdown, a spawn error, or the command.
    pub details: String,
    /// Whole seconds until SIGKILL (stopping) or the restart (restarting).
    pub countdown: Option<u64>,
    /// The SSH host (or Slurm node) it runs on; `None`: this machine.
    pub host: Option<String>,
}

impl Row {
    /// The host it runs on when that is not this machine: its CPU and
    /// memory are not sampled (the local `ssh` or `srun` only relays).
    pub fn elsewhere(&self) -> Option<&str> {
        self.host.as_deref().filter(|h| *h != "local")
    }

    fn from_model(
        r: &ProcessRow,
        stats: &Sample,
        lane: Option<&ProcLane>,
        now: DateTime<FixedOffset>,
    ) -> Row {
        let secs_to = |t: DateTime<FixedOffset>| ((t - now).num_milliseconds() as f64 / 1000.0).max(0.0);
        let (status, details, countdown) = match &r.state {
            RowState::Running => (Status::Running, r.command.clone(), None),
            RowState::Paused { signal } => (Status::Paused, format!("paused by {signal}"), None),
            RowState::Stopping { signal, kill_at } => match kill_at {
                Some(t) => {
                    let n = secs_to(*t).ceil() as u64;
                    (
                        Status::Stopping,
                        format!("{signal} sent, SIGKILL in {n}s"),
                        Some(n),
                    )
                }
                None => (Status::Stopping, format!("{signal} sent"), None),
            },
            RowState::Exited => (Status::Exited, r.command.clone(), None),
            RowState::Stopped => (Status::Stopped, r.command.clone(), None),
            RowState::FailedToStart { message } => (Status::FailedToStart, message.clone(), None),
            RowState::Unknown => (
                Status::Unknown,
                format!(
                    "{} (the journal ends without the session's end: how it ended is not known)",
                    r.command
                ),
                None,
            ),
            RowState::BackingOff { at } => {
                let secs = secs_to(*at);
                (
                    Status::Restarting,
                    format!("restart in {secs:.1}s"),
                    Some(secs.ceil() as u64),
                )
            }
        };
        let live = r.state.is_alive();
        // A process on another host: its local pid is an `ssh` or `srun`
        // whose figures are not the command's (see `Row::elsewhere`).
        let here = r.host.as_deref().is_none_or(|h| h == "local");
        let stat = r.pid.filter(|_| live && here).and_then(|p| stats.per_pid.get(&p));
        let runtime = r.runtime(now);
        // Live figures only: the rusage of a reaped child also counts the
        // memory it shared with Proctor before exec, so it would mislead.
        let (mut cpu, mut rss) = (stat.map(|s| s.cpu), stat.map(|s| s.rss));
        // A tree of more than the leader (the engine's latest sample): its
        // figures added up, the leader's own kept apart.
        let tree = lane
            .filter(|_| live)
            .and_then(ProcLane::live_figures)
            .filter(|p| p.procs > 1);
        let own = tree.map(|p| {
            let own = (
                cpu.unwrap_or(p.own_cpu),
                rss.unwrap_or(p.own_rss_kb.saturating_mul(1024)),
            );
            // The tree's total holds the leader as the engine sampled it;
            // with the leader's fresher figure here, the rest is added.
            cpu = Some((p.cpu - p.own_cpu).max(0.0) + own.0);
            rss = Some(
                p.rss_kb
                    .saturating_sub(p.own_rss_kb)
                    .saturating_mul(1024)
                    .saturating_add(own.1),
            );
            (own.0, own.1, p.procs)
        });
        Row {
            name: r.name.clone(),
            pool: r.pool.clone(),
            pid: r.pid,
            status,
            exit_code: if live { None } else { r.exit_code },
            cpu,
            rss,
            own,
            started: r.started,
            runtime,
            restarts: r.restarts,
            details,
            countdown,
            host: r.host.clone(),
        }
    }

    fn starting(name: &str) -> Row {
        Row {
            name: name.to_string(),
            pool: None,
            pid: None,
            status: Status::Starting,
            exit_code: None,
            cpu: None,
            rss: None,
            own: None,
            started: None,
            runtime: None,
            restarts: 0,
            details: "starting\u{2026}".into(),
            countdown: None,
            host: None,
        }
    }

    /// The state cell: `● running`, `● stopping 4s` (SIGKILL in 4 s).
    pub fn state_text(&self) -> String {
        match self.countdown {
            Some(n) => format!("\u{25cf} {} {n}s", self.status.label()),
            None => format!("\u{25cf} {}", self.status.label()),
        }
    }

    pub fn exit_text(&self) -> String {
        self.exit_code.map(short_exit).unwrap_or_default()
    }

    pub fn tone(&self) -> Tone {
        match self.status {
            Status::Starting | Status::Restarting => Tone::Waiting,
            Status::Running => Tone::Running,
            Status::Stopping | Status::Paused => Tone::Stopping,
            Status::Stopped | Status::Unknown => Tone::Muted,
            Status::FailedToStart => Tone::Failure,
            Status::Exited => self.exit_code.map(exit_tone).unwrap_or(Tone::Muted),
        }
    }

    pub fn is_worker(&self) -> bool {
        self.pool.is_some()
    }

    /// The row as CSV cells: numbers as plain numbers (seconds, bytes,
    /// percent) and the start as a full ISO-8601 time with its offset, so
    /// that a spreadsheet or a script reads them without parsing units.
    pub fn cells(&self) -> [String; 10] {
        [
            self.name.clone(),
            self.pid.map(|p| p.to_string()).unwrap_or_default(),
            self.status.label().to_string(),
            self.exit_code.map(|c| c.to_string()).unwrap_or_default(),
            self.cpu.map(|c| format!("{c:.1}")).unwrap_or_default(),
            self.rss.map(|b| b.to_string()).unwrap_or_default(),
            self.started.map(iso_time).unwrap_or_default(),
            self.runtime.map(|r| format!("{r:.3}")).unwrap_or_default(),
            self.restarts.to_string(),
            self.details.clone(),
        ]
    }

    pub const CSV_HEADER: [&'static str; 10] = [
        "name",
        "pid",
        "state",
        "exit_code",
        "cpu_percent",
        "memory_bytes",
        "started",
        "runtime_seconds",
        "restarts",
        "details",
    ];

    /// Whether the row shows `needle` (lower-case) in its name, state,
    /// details, pid or exit.
    pub(super) fn matches(&self, needle: &str) -> bool {
        needle.is_empty()
            || self.name.to_lowercase().contains(needle)
            || self.status.label().contains(needle)
            || self.details.to_lowercase().contains(needle)
            || self.pid.is_some_and(|p| p.to_string().contains(needle))
            || self.exit_text().to_lowercase().contains(needle)
    }
}

/// A time as ISO-8601 with its date and offset, to the second
/// (`2026-11-26T16:12:09+01:00`), as tables and exports show it.
pub fn iso_time(t: DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The row of process `r` of `model` at `now` (shown as starting when its
/// name is being started again).
pub fn row_of(
    model: &SessionModel,
    r: &ProcessRow,
    starting: &HashSet<String>,
    stats: &Sample,
    now: DateTime<FixedOffset>,
) -> Row {
    let row = Row::from_model(r, stats, model.pictures.proc(&r.name), now);
    if starting.contains(&r.name) && !r.state.is_alive() {
        Row {
            status: Status::Starting,
            details: "starting\u{2026}".into(),
            exit_code: None,
            ..row
        }
    } else {
        row
    }
}

/// The table's rows: every process of the model (plus those being
/// started), keeping those matching `filter`, in `sort` order (model order
/// when `None`).
pub fn rows(
    model: &SessionModel,
    starting: &HashSet<String>,
    stats: &Sample,
    filter: &str,
    sort: Option<Sort>,
    now: DateTime<FixedOffset>,
) -> Vec<Row> {
    let needle = filter.trim().to_lowercase();
    let mut out: Vec<Row> = model
        .processes
        .iter()
        .map(|r| row_of(model, r, starting, stats, now))
        .collect();
    let mut pending: Vec<&String> = starting.iter().filter(|n| model.row(n).is_none()).collect();
    pending.sort();
    out.extend(pending.into_iter().map(|n| Row::starting(n)));
    out.retain(|r| r.matches(&needle));
    if let Some(s) = sort {
        super::row_order::sort_rows(&mut out, s);
    }
    out
}

/// The process table as CSV (a header row, then the rows as shown).
pub fn rows_csv(rows: &[Row]) -> String {
    use crate::journal::export::csv_row;
    let mut s = csv_row(&Row::CSV_HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(&csv_row(&r.cells()));
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, EventKind};

    fn model() -> SessionModel {
        let mut m = SessionModel::default();
        let spawn = |name: &str, pid: u32| {
            Event::now(EventKind::Spawned {
                command: format!("run {name}"),
            })
            .process(name, Some(pid))
        };
        m.apply(&spawn("web", 300));
        m.apply(&spawn("db", 100));
        m.apply(&spawn("cache", 200));
        m.apply(
            &Event::now(EventKind::Exited {
                exit_code: -15,
                runtime: 1.0,
                restart_in: None,
                usage: None,
                stopped: false,
            })
            .process("db", Some(100)),
        );
        m.apply(
            &Event::now(EventKind::SpawnFailed {
                message: "no such file".into(),
            })
            .process("ghost", None),
        );
        m
    }

    fn names(rows: &[Row]) -> Vec<&str> {
        rows.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn rows_keep_model_order_sort_by_any_column_and_filter() {
        let m = model();
        let s = Sample::default();
        let now = chrono::Local::now().fixed_offset();
        let none = HashSet::new();
        let all = rows(&m, &none, &s, "", None, now);
        assert_eq!(names(&all), ["web", "db", "cache", "ghost"]);
        assert_eq!(all[1].status, Status::Exited);
        assert_eq!(all[1].exit_text(), "-15 SIGTERM");
        assert_eq!(all[3].status, Status::FailedToStart);
        assert_eq!(all[3].details, "no such file");

        let by_pid = rows(
            &m,
            &none,
            &s,
            "",
            Some(Sort {
                col: Col::Pid,
                ascending: true,
            }),
            now,
        );
        assert_eq!(
            names(&by_pid),
            ["db", "cache", "web", "ghost"],
            "no pid sorts last"
        );
        let by_name_desc = rows(
            &m,
            &none,
            &s,
            "",
            Some(Sort {
                col: Col::Name,
                ascending: false,
            }),
            now,
        );
        assert_eq!(names(&by_name_desc), ["web", "ghost", "db", "cache"]);
        let by_state = rows(
            &m,
            &none,
            &s,
            "",
            Some(Sort {
                col: Col::State,
                ascending: true,
            }),
            now,
        );
        assert_eq!(names(&by_state), ["cache", "web", "db", "ghost"]);

        assert_eq!(names(&rows(&m, &none, &s, "SIGTERM", None, now)), ["db"]);
        assert_eq!(names(&rows(&m, &none, &s, "20", None, now)), ["cache"]);
        assert_eq!(names(&rows(&m, &none, &s, "failed", None, now)), ["ghost"]);
    }

    #[test]
    fn starting_names_show_until_spawned_and_csv_has_every_row() {
        let m = model();
        let starting: HashSet<String> = ["new".to_string(), "db".to_string()].into();
        let now = chrono::Local::now().fixed_offset();
        let r = rows(&m, &starting, &Sample::default(), "", None, now);
        assert_eq!(names(&r), ["web", "db", "cache", "ghost", "new"]);
        assert_eq!(r[1].status, Status::Starting, "an ended row started again");
        assert_eq!(r[4].status, Status::Starting);
        let csv = rows_csv(&r);
        assert_eq!(csv.lines().count(), 6);
        assert!(csv.starts_with("name,pid,state,exit_code,cpu_percent,memory_bytes,started,runtime_seconds"));
        // Numbers as numbers, times with date and offset.
        let db = csv.lines().nth(1).expect("web");
        assert!(db.starts_with("web,300,running,,,,"), "{db}");
        let started = db.split(',').nth(6).expect("started");
        assert!(chrono::DateTime::parse_from_rfc3339(started).is_ok(), "{started}");
        let runtime = db.split(',').nth(7).expect("runtime");
        assert!(runtime.parse::<f64>().is_ok(), "{runtime}");
    }

    #[test]
    fn a_stopping_row_says_which_signal_and_when_sigkill_follows() {
        let mut m = model();
        m.apply(
            &Event::now(EventKind::SignalSent {
                signal: "SIGTERM".into(),
                message: String::new(),
                kill_in: Some(5.0),
            })
            .process("web", Some(300)),
        );
        let now = chrono::Local::now().fixed_offset();
        let r = rows(&m, &HashSet::new(), &Sample::default(), "web", None, now);
        assert_eq!(r[0].status, Status::Stopping);
        assert!(
            r[0].details.starts_with("SIGTERM sent, SIGKILL in "),
            "{}",
            r[0].details
        );
    }
}
