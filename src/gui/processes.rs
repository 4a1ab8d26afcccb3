//! The process table: one row per process, live. `rows` turns the view
//! model into rows (filtered and sorted, testable, and reused by the CSV
//! export); `ProcessesView::ui` draws them with a virtualised table and
//! returns what the user asked for as intents.

use super::intent::Intent;
use super::stats::Sample;
use super::theme::{color, exit_tone, format_bytes, format_duration, mono, Tone};
use crate::engine::exit::short_exit;
use crate::engine::signal::COMMON_SIGNALS;
use crate::engine::{Command, StopHow};
use crate::model::{ProcessRow, RowState, SessionModel};
use chrono::{DateTime, FixedOffset};
use egui::{RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashSet};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Name,
    Pid,
    State,
    Exit,
    Cpu,
    Memory,
    Started,
    Runtime,
    Restarts,
}

impl Col {
    pub const ALL: [Col; 9] = [
        Col::Name,
        Col::Pid,
        Col::State,
        Col::Exit,
        Col::Cpu,
        Col::Memory,
        Col::Started,
        Col::Runtime,
        Col::Restarts,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Col::Name => "Name",
            Col::Pid => "PID",
            Col::State => "State",
            Col::Exit => "Exit",
            Col::Cpu => "CPU %",
            Col::Memory => "Memory",
            Col::Started => "Started",
            Col::Runtime => "Runtime",
            Col::Restarts => "Restarts",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub col: Col,
    pub ascending: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Starting,
    Running,
    Stopping,
    Restarting,
    Exited,
    FailedToStart,
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Starting => "starting",
            Status::Running => "running",
            Status::Stopping => "stopping",
            Status::Restarting => "restarting",
            Status::Exited => "exited",
            Status::FailedToStart => "failed to start",
        }
    }
    pub fn is_alive(self) -> bool {
        matches!(self, Status::Running | Status::Stopping)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub name: String,
    pub pool: Option<String>,
    pub pid: Option<u32>,
    pub status: Status,
    pub exit_code: Option<i32>,
    /// Live CPU % (of one core); none once ended.
    pub cpu: Option<f32>,
    /// Live resident memory in bytes; none once ended.
    pub rss: Option<u64>,
    pub started: Option<DateTime<FixedOffset>>,
    pub runtime: Option<f64>,
    pub restarts: u32,
    /// What is going on: the stop countdown, a spawn error, or the command.
    pub details: String,
    /// Whole seconds until SIGKILL (stopping) or the restart (restarting).
    pub countdown: Option<u64>,
}

impl Row {
    fn from_model(r: &ProcessRow, stats: &Sample, now: DateTime<FixedOffset>) -> Row {
        let secs_to = |t: DateTime<FixedOffset>| ((t - now).num_milliseconds() as f64 / 1000.0).max(0.0);
        let (status, details, countdown) = match &r.state {
            RowState::Running => (Status::Running, r.command.clone(), None),
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
            RowState::FailedToStart { message } => (Status::FailedToStart, message.clone(), None),
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
        let stat = r.pid.filter(|_| live).and_then(|p| stats.per_pid.get(&p));
        let runtime = r.runtime(now);
        // Live figures only: the rusage of a reaped child also counts the
        // memory it shared with Proctor before exec, so it would mislead.
        let (cpu, rss) = (stat.map(|s| s.cpu), stat.map(|s| s.rss));
        Row {
            name: r.name.clone(),
            pool: r.pool.clone(),
            pid: r.pid,
            status,
            exit_code: if live { None } else { r.exit_code },
            cpu,
            rss,
            started: r.started,
            runtime,
            restarts: r.restarts,
            details,
            countdown,
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
            started: None,
            runtime: None,
            restarts: 0,
            details: "starting\u{2026}".into(),
            countdown: None,
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
            Status::Stopping => Tone::Stopping,
            Status::FailedToStart => Tone::Failure,
            Status::Exited => self.exit_code.map(exit_tone).unwrap_or(Tone::Muted),
        }
    }

    pub fn is_worker(&self) -> bool {
        self.pool.is_some()
    }

    pub fn cells(&self) -> [String; 10] {
        [
            self.name.clone(),
            self.pid.map(|p| p.to_string()).unwrap_or_default(),
            self.status.label().to_string(),
            self.exit_text(),
            self.cpu.map(|c| format!("{c:.1}")).unwrap_or_default(),
            self.rss.map(format_bytes).unwrap_or_default(),
            self.started
                .map(|t| t.format("%H:%M:%S").to_string())
                .unwrap_or_default(),
            self.runtime.map(format_duration).unwrap_or_default(),
            self.restarts.to_string(),
            self.details.clone(),
        ]
    }

    pub const CSV_HEADER: [&'static str; 10] = [
        "name",
        "pid",
        "state",
        "exit",
        "cpu_percent",
        "memory",
        "started",
        "runtime",
        "restarts",
        "details",
    ];

    fn matches(&self, needle: &str) -> bool {
        needle.is_empty()
            || self.name.to_lowercase().contains(needle)
            || self.status.label().contains(needle)
            || self.details.to_lowercase().contains(needle)
            || self.pid.is_some_and(|p| p.to_string().contains(needle))
            || self.exit_text().to_lowercase().contains(needle)
    }
}

fn cmp_opt<T: PartialOrd>(a: &Option<T>, b: &Option<T>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
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
        .map(|r| {
            if starting.contains(&r.name) && !r.state.is_alive() {
                Row {
                    status: Status::Starting,
                    details: "starting\u{2026}".into(),
                    exit_code: None,
                    ..Row::from_model(r, stats, now)
                }
            } else {
                Row::from_model(r, stats, now)
            }
        })
        .collect();
    let mut pending: Vec<&String> = starting.iter().filter(|n| model.row(n).is_none()).collect();
    pending.sort();
    out.extend(pending.into_iter().map(|n| Row::starting(n)));
    out.retain(|r| r.matches(&needle));
    if let Some(s) = sort {
        out.sort_by(|a, b| {
            let o = match s.col {
                Col::Name => a.name.cmp(&b.name),
                Col::Pid => cmp_opt(&a.pid, &b.pid),
                Col::State => a.status.cmp(&b.status),
                Col::Exit => cmp_opt(&a.exit_code, &b.exit_code),
                Col::Cpu => cmp_opt(&a.cpu, &b.cpu),
                Col::Memory => cmp_opt(&a.rss, &b.rss),
                Col::Started => cmp_opt(&a.started, &b.started),
                Col::Runtime => cmp_opt(&a.runtime, &b.runtime),
                Col::Restarts => a.restarts.cmp(&b.restarts),
            };
            let o = if s.ascending { o } else { o.reverse() };
            o.then_with(|| a.name.cmp(&b.name))
        });
    }
    out
}

/// The process table as CSV (a header row, then the rows as shown).
pub fn rows_csv(rows: &[Row]) -> String {
    use crate::engine::export::csv_row;
    let mut s = csv_row(&Row::CSV_HEADER);
    s.push('\n');
    for r in rows {
        s.push_str(&csv_row(&r.cells()));
        s.push('\n');
    }
    s
}

#[derive(Default)]
pub struct ProcessesView {
    pub filter: String,
    pub sort: Option<Sort>,
    pub selected: BTreeSet<String>,
    anchor: Option<String>,
}

/// Actions that apply to some processes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Action {
    Terminate,
    Kill,
    Signal(nix::sys::signal::Signal),
    Restart,
    StartAgain,
    ShowInLog,
}

impl Action {
    fn applies(self, r: &Row) -> bool {
        match self {
            Action::Terminate | Action::Kill | Action::Signal(_) => r.status.is_alive(),
            Action::Restart => r.status.is_alive() && !r.is_worker(),
            Action::StartAgain => {
                matches!(r.status, Status::Exited | Status::FailedToStart) && !r.is_worker()
            }
            Action::ShowInLog => true,
        }
    }

    fn intent(self, name: &str) -> Intent {
        let stop = |how| {
            Intent::Send(Command::Stop {
                process: name.to_string(),
                how,
            })
        };
        match self {
            Action::Terminate => stop(StopHow::Terminate),
            Action::Kill => stop(StopHow::Kill),
            Action::Signal(s) => stop(StopHow::Signal(s)),
            Action::Restart | Action::StartAgain => Intent::Restart(name.to_string()),
            Action::ShowInLog => Intent::ShowInLog(name.to_string()),
        }
    }
}

/// The action menu's entries; `targets` are the rows it acts on.
fn action_menu(ui: &mut Ui, targets: &[&Row], out: &mut Vec<Intent>) {
    let mut act = |ui: &mut Ui, a: Action, label: &str, hint: &str| {
        let n = targets.iter().filter(|r| a.applies(r)).count();
        if ui
            .add_enabled(n > 0, egui::Button::new(label))
            .on_hover_text(hint)
            .clicked()
        {
            out.extend(targets.iter().filter(|r| a.applies(r)).map(|r| a.intent(&r.name)));
            ui.close();
        }
    };
    act(
        ui,
        Action::Terminate,
        "Terminate",
        "Stop signal, then SIGKILL after the stop timeout",
    );
    act(ui, Action::Kill, "Kill", "SIGKILL now");
    ui.menu_button("Send signal", |ui| {
        for &s in COMMON_SIGNALS {
            act(ui, Action::Signal(s), s.as_str(), "Send this signal once");
        }
    });
    act(ui, Action::Restart, "Restart", "Terminate, then start it again");
    act(
        ui,
        Action::StartAgain,
        "Start again",
        "Start an ended process again",
    );
    if targets.len() == 1 {
        act(
            ui,
            Action::ShowInLog,
            "Show in log",
            "Filter the event log to this process",
        );
    }
}

impl ProcessesView {
    /// The selected names that are still listed.
    pub fn prune(&mut self, model: &SessionModel) {
        self.selected.retain(|n| model.row(n).is_some());
    }

    pub fn ui(&mut self, ui: &mut Ui, rows: &[Row], total: usize) -> Vec<Intent> {
        let mut out = Vec::new();
        let dark = ui.visuals().dark_mode;
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.filter)
                    .hint_text("Filter processes")
                    .desired_width(200.0),
            )
            .accessible_name("Filter processes");
            if !self.filter.is_empty() && ui.small_button("Clear filter").clicked() {
                self.filter.clear();
            }
            ui.weak(format!("{} of {total}", rows.len()));
            ui.separator();
            let targets: Vec<&Row> = rows.iter().filter(|r| self.selected.contains(&r.name)).collect();
            ui.label(format!("{} selected", targets.len()));
            let mut act = |ui: &mut Ui, a: Action, label: &str, hint: &str| {
                let n = targets.iter().filter(|r| a.applies(r)).count();
                if ui
                    .add_enabled(n > 0, egui::Button::new(label))
                    .on_hover_text(hint)
                    .clicked()
                {
                    out.extend(targets.iter().filter(|r| a.applies(r)).map(|r| a.intent(&r.name)));
                }
            };
            act(
                ui,
                Action::Terminate,
                "Terminate",
                "Stop signal, then SIGKILL after the stop timeout",
            );
            act(ui, Action::Kill, "Kill", "SIGKILL now");
            let any_alive = targets.iter().any(|r| r.status.is_alive());
            ui.add_enabled_ui(any_alive, |ui| {
                ui.menu_button("Send signal", |ui| {
                    for &s in COMMON_SIGNALS {
                        act(ui, Action::Signal(s), s.as_str(), "Send this signal once");
                    }
                });
            });
            act(ui, Action::Restart, "Restart", "Terminate, then start it again");
            act(
                ui,
                Action::StartAgain,
                "Start again",
                "Start an ended process again",
            );
        });
        ui.add_space(2.0);
        self.table(ui, rows, dark, &mut out);
        out
    }

    fn header_cell(&mut self, ui: &mut Ui, col: Col) {
        let mut title = col.title().to_string();
        if let Some(s) = self.sort.filter(|s| s.col == col) {
            title.push_str(if s.ascending { " \u{2191}" } else { " \u{2193}" });
        }
        let r = ui
            .add(egui::Label::new(RichText::new(title).strong()).sense(Sense::click()))
            .on_hover_text("Sort by this column");
        if r.clicked() {
            self.sort = match self.sort {
                Some(s) if s.col == col && s.ascending => Some(Sort {
                    col,
                    ascending: false,
                }),
                Some(s) if s.col == col => None,
                _ => Some(Sort { col, ascending: true }),
            };
        }
    }

    fn click_row(&mut self, ui: &Ui, rows: &[Row], i: usize) {
        let name = rows[i].name.clone();
        let m = ui.input(|i| i.modifiers);
        if m.shift {
            let a = self
                .anchor
                .as_ref()
                .and_then(|a| rows.iter().position(|r| &r.name == a))
                .unwrap_or(i);
            let (lo, hi) = (a.min(i), a.max(i));
            if !m.command {
                self.selected.clear();
            }
            self.selected.extend(rows[lo..=hi].iter().map(|r| r.name.clone()));
        } else if m.command {
            if !self.selected.remove(&name) {
                self.selected.insert(name.clone());
            }
            self.anchor = Some(name);
        } else {
            self.selected.clear();
            self.selected.insert(name.clone());
            self.anchor = Some(name);
        }
    }

    fn table(&mut self, ui: &mut Ui, rows: &[Row], dark: bool, out: &mut Vec<Intent>) {
        if rows.is_empty() {
            ui.add_space(20.0);
            ui.vertical_centered(|ui| {
                ui.weak("No processes. Start a task or pool from the definitions, or use Start all.");
            });
            return;
        }
        let row_h = 22.0;
        let mut clicked = None;
        egui::ScrollArea::horizontal()
            .id_salt("processes_h")
            .show(ui, |ui| {
                TableBuilder::new(ui)
                    .id_salt("processes")
                    .striped(true)
                    .resizable(true)
                    .sense(Sense::click())
                    .auto_shrink([false, false])
                    .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                    .column(Column::initial(150.0).at_least(80.0).clip(true))
                    .column(Column::initial(56.0).at_least(40.0))
                    .column(Column::initial(106.0).at_least(60.0))
                    .column(Column::initial(92.0).at_least(40.0))
                    .column(Column::initial(50.0).at_least(40.0))
                    .column(Column::initial(74.0).at_least(50.0))
                    .column(Column::initial(64.0).at_least(50.0))
                    .column(Column::initial(62.0).at_least(50.0))
                    .column(Column::initial(58.0).at_least(40.0))
                    .column(Column::exact(24.0))
                    .column(Column::remainder().at_least(160.0).clip(true))
                    .header(24.0, |mut h| {
                        for c in Col::ALL {
                            h.col(|ui| self.header_cell(ui, c));
                        }
                        h.col(|_| {});
                        h.col(|ui| {
                            ui.strong("Details");
                        });
                    })
                    .body(|body| {
                        body.rows(row_h, rows.len(), |mut row| {
                            let i = row.index();
                            let r = &rows[i];
                            row.set_selected(self.selected.contains(&r.name));
                            let tone = color(dark, r.tone());
                            let muted = color(dark, Tone::Muted);
                            let ended = !r.status.is_alive();
                            row.col(|ui| {
                                ui.add(
                                    egui::Label::new(RichText::new(&r.name).strong())
                                        .truncate()
                                        .selectable(false),
                                );
                            });
                            row.col(|ui| {
                                if let Some(p) = r.pid {
                                    let t = mono(p.to_string());
                                    ui.add(
                                        egui::Label::new(if ended { t.color(muted) } else { t })
                                            .selectable(false),
                                    );
                                }
                            });
                            row.col(|ui| {
                                ui.add(
                                    egui::Label::new(RichText::new(r.state_text()).color(tone))
                                        .selectable(false),
                                )
                                .on_hover_text(&r.details);
                            });
                            row.col(|ui| {
                                if let Some(c) = r.exit_code {
                                    ui.add(
                                        egui::Label::new(
                                            mono(short_exit(c)).color(color(dark, exit_tone(c))),
                                        )
                                        .selectable(false),
                                    );
                                }
                            });
                            let num = |ui: &mut Ui, text: Option<String>| {
                                if let Some(t) = text {
                                    let t = mono(t);
                                    ui.add(
                                        egui::Label::new(if ended { t.color(muted) } else { t })
                                            .selectable(false),
                                    );
                                }
                            };
                            row.col(|ui| num(ui, r.cpu.map(|c| format!("{c:5.1}"))));
                            row.col(|ui| num(ui, r.rss.map(format_bytes)));
                            row.col(|ui| num(ui, r.started.map(|t| t.format("%H:%M:%S").to_string())));
                            row.col(|ui| num(ui, r.runtime.map(format_duration)));
                            row.col(|ui| num(ui, Some(r.restarts.to_string()).filter(|s| s != "0")));
                            row.col(|ui| {
                                ui.menu_button("\u{2026}", |ui| {
                                    let targets = if self.selected.contains(&r.name) {
                                        rows.iter().filter(|x| self.selected.contains(&x.name)).collect()
                                    } else {
                                        vec![r]
                                    };
                                    action_menu(ui, &targets, out);
                                })
                                .response
                                .on_hover_text(format!("Actions for {}", r.name));
                            });
                            row.col(|ui| {
                                let tone = match r.status {
                                    Status::FailedToStart => color(dark, Tone::Failure),
                                    Status::Stopping => color(dark, Tone::Stopping),
                                    Status::Restarting => color(dark, Tone::Waiting),
                                    _ => muted,
                                };
                                let t = RichText::new(&r.details).color(tone);
                                let t = if matches!(r.status, Status::Running | Status::Exited) {
                                    t.monospace()
                                } else {
                                    t
                                };
                                ui.add(egui::Label::new(t).truncate().selectable(false));
                            });
                            let resp = row.response();
                            if resp.clicked() {
                                clicked = Some(i);
                            }
                            resp.context_menu(|ui| {
                                let targets = if self.selected.contains(&r.name) {
                                    rows.iter().filter(|x| self.selected.contains(&x.name)).collect()
                                } else {
                                    vec![r]
                                };
                                action_menu(ui, &targets, out);
                            });
                        });
                    });
            });
        if let Some(i) = clicked {
            self.click_row(ui, rows, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::event::{Event, EventKind};

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
        assert!(csv.starts_with("name,pid,state,exit"));
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
