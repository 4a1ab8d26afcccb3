//! The app: owns the engine, folds its events into the view model and the
//! log, draws the panels, and applies what they ask for (intents) in one
//! place. It never touches a child process itself.

use super::definitions::Definitions;
use super::files::{Dialogs, Picked, Target};
use super::intent::{Intent, PathPurpose};
use super::log::Log;
use super::menu::{self, BarState};
use super::pools::{PoolInfo, PoolsView};
use super::processes::{self, ProcessesView, Row};
use super::stats::Stats;
use super::status::{self, Notice, StatusInfo};
use crate::engine::event::{Event, EventKind};
use crate::engine::export::export_events;
use crate::engine::spec::{parse_session_file, session_to_toml, Session};
use crate::engine::{Command, Engine, EngineConfig, PoolAction, StopHow};
use crate::model::{RowState, SessionModel};
use egui::{RichText, ThemePreference, Ui, ViewportCommand};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Time a frame may spend taking events off the queue.
const DRAIN_BUDGET: Duration = Duration::from_millis(4);
/// A `starting` row with no answer from the engine is dropped after this.
const STARTING_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Processes,
    Pools,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuitState {
    Idle,
    /// The dialog asks: terminate all and quit, or cancel.
    Asking,
    /// Terminating; the window closes when nothing is left.
    Stopping,
    /// Closing the window.
    Closing,
}

pub struct ProctorApp {
    engine: Option<Engine>,
    model: SessionModel,
    log: Log,
    defs: Definitions,
    procs: ProcessesView,
    pools: PoolsView,
    stats: Stats,
    dialogs: Dialogs,
    /// Names sent a start, not yet spawned (or failed).
    starting: HashMap<String, Instant>,
    paused: HashSet<String>,
    pool_workers: HashMap<String, usize>,
    tab: Tab,
    notice: Option<Notice>,
    quit: QuitState,
    cpus: usize,
    theme: ThemePreference,
    title: String,
    ctx: egui::Context,
}

impl ProctorApp {
    /// The app with a session (its definitions only: nothing starts unless
    /// `start`, and then only the autostart ones).
    pub fn new(ctx: &egui::Context, session: Session, start: bool) -> anyhow::Result<Self> {
        super::theme::apply_style(ctx);
        let repaint = ctx.clone();
        let engine = Engine::start(EngineConfig {
            notify: Some(Arc::new(move || repaint.request_repaint())),
            ..Default::default()
        })?;
        let mut app = Self {
            engine: Some(engine),
            model: SessionModel::default(),
            log: Log::default(),
            defs: Definitions::new(&session),
            procs: ProcessesView::default(),
            pools: PoolsView::default(),
            stats: Stats::start(),
            dialogs: Dialogs::new(ctx.clone()),
            starting: HashMap::new(),
            paused: HashSet::new(),
            pool_workers: HashMap::new(),
            tab: Tab::Processes,
            notice: None,
            quit: QuitState::Idle,
            cpus: crate::engine::spec::default_workers(),
            theme: ctx.options(|o| o.theme_preference),
            title: String::new(),
            ctx: ctx.clone(),
        };
        if start {
            match app.defs.start_autostart() {
                Ok(intents) => intents.into_iter().for_each(|i| app.apply(i)),
                Err(e) => app.error(format!("nothing was started: {e}")),
            }
        }
        Ok(app)
    }

    /// The app with a session file. A file with problems opens nothing and
    /// says why (file, line and field); the window still opens.
    pub fn open(ctx: &egui::Context, path: Option<&Path>, start: bool) -> anyhow::Result<Self> {
        let (session, problem) = match path {
            None => (Session::default(), None),
            Some(p) => match parse_session_file(p) {
                Ok(s) => (s, None),
                Err(e) => (Session::default(), Some(e.to_string())),
            },
        };
        let mut app = Self::new(ctx, session, start && problem.is_none())?;
        if let Some(p) = problem {
            app.error(format!("could not open the session; nothing was started. {p}"));
        }
        Ok(app)
    }

    // ----- read access (for tests and the status bar) -----------------

    pub fn model(&self) -> &SessionModel {
        &self.model
    }
    pub fn log(&self) -> &Log {
        &self.log
    }
    pub fn definitions(&self) -> &Definitions {
        &self.defs
    }
    pub fn quit_state(&self) -> QuitState {
        self.quit
    }
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    /// Something is alive, stopping, or about to be (re)started.
    pub fn busy(&self) -> bool {
        !self.starting.is_empty()
            || self
                .model
                .processes
                .iter()
                .any(|r| r.state.is_alive() || matches!(r.state, RowState::BackingOff { .. }))
    }

    fn pools_active(&self) -> bool {
        self.model.pools.iter().any(|p| p.finished.is_none())
    }

    fn error(&mut self, text: String) {
        self.notice = Some(Notice { text, error: true });
    }

    fn info(&mut self, text: String) {
        self.notice = Some(Notice { text, error: false });
    }

    fn send(&mut self, c: Command) {
        let failed = match &self.engine {
            Some(e) => e.send(c).is_err(),
            None => true,
        };
        if failed {
            self.error("the engine has stopped; restart Proctor".into());
        }
    }

    // ----- events ------------------------------------------------------

    /// Takes events off the queue for at most `budget`; true if some remain.
    pub fn drain_events(&mut self, budget: Duration) -> bool {
        let deadline = Instant::now() + budget;
        loop {
            let Some(engine) = &self.engine else { return false };
            match engine.events().try_recv() {
                Ok(e) => self.ingest(e),
                Err(_) => return false,
            }
            if Instant::now() >= deadline {
                return self.engine.as_ref().is_some_and(|e| !e.events().is_empty());
            }
        }
    }

    fn ingest(&mut self, e: Event) {
        self.model.apply(&e);
        match &e.kind {
            EventKind::Spawned { .. } | EventKind::SpawnFailed { .. } => {
                if let Some(p) = &e.process {
                    self.starting.remove(p);
                }
                if let (EventKind::SpawnFailed { message }, Some(p)) = (&e.kind, &e.process) {
                    self.error(format!("{p} failed to start: {message}"));
                }
            }
            EventKind::Error { message } => {
                self.starting.retain(|n, _| !message.contains(&format!("`{n}`")));
                self.error(message.clone());
            }
            EventKind::PoolDone { .. } => {
                if let Some(p) = &e.pool {
                    self.paused.remove(p);
                }
            }
            _ => {}
        }
        self.log.push(e);
    }

    // ----- intents -----------------------------------------------------

    pub fn apply(&mut self, intent: Intent) {
        match intent {
            Intent::Send(c) => {
                if let Command::Pool { pool, action } = &c {
                    match action {
                        PoolAction::Pause => {
                            self.paused.insert(pool.clone());
                        }
                        PoolAction::Resume => {
                            self.paused.remove(pool);
                        }
                        PoolAction::Resize(n) => {
                            self.pool_workers.insert(pool.clone(), *n);
                        }
                        _ => {}
                    }
                }
                self.send(c);
            }
            Intent::StartTask(task) => {
                let now = Instant::now();
                for n in task.instance_names() {
                    let alive = self.model.row(&n).is_some_and(|r| r.state.is_alive());
                    if !alive {
                        self.starting.insert(n, now);
                    }
                }
                self.send(Command::Start { task });
            }
            Intent::StartPool(pool) => {
                self.pool_workers.insert(pool.name.clone(), pool.workers);
                self.paused.remove(&pool.name);
                self.send(Command::StartPool { pool });
            }
            Intent::StartAll => match self.defs.start_all() {
                Ok(v) => v.into_iter().for_each(|i| self.apply(i)),
                Err(e) => self.error(e),
            },
            Intent::Restart(name) => {
                if self.model.row(&name).is_some_and(|r| !r.state.is_alive()) {
                    self.starting.insert(name.clone(), Instant::now());
                }
                self.send(Command::Restart { process: name });
            }
            Intent::ClearEnded => {
                self.send(Command::ClearEnded);
                self.model.clear_ended();
                self.procs.prune(&self.model);
            }
            Intent::ShowInLog(name) => self.log.show_process(&name),
            Intent::Quit => self.ask_quit(),
            Intent::NewSession => {
                self.defs = Definitions::new(&Session::default());
            }
            Intent::OpenSession(p) => match parse_session_file(&p) {
                Ok(s) => {
                    self.defs = Definitions::new(&s);
                    self.info(format!("opened {}", p.display()));
                }
                Err(e) => self.error(format!("could not open the session: {e}")),
            },
            Intent::SaveSession(p) => self.save_session(p),
            Intent::ExportLog(p, f) => match export_events(&p, f, self.log.events()) {
                Ok(()) => self.info(format!("wrote {} events to {}", self.log.len(), p.display())),
                Err(e) => self.error(format!("could not write {}: {e}", p.display())),
            },
            Intent::ExportProcesses(p) => {
                let rows = self.rows_unfiltered();
                match std::fs::write(&p, processes::rows_csv(&rows)) {
                    Ok(()) => self.info(format!("wrote {} rows to {}", rows.len(), p.display())),
                    Err(e) => self.error(format!("could not write {}: {e}", p.display())),
                }
            }
            Intent::AskPath(purpose) => {
                let default = self.default_path(purpose);
                self.dialogs.ask(purpose, default);
            }
            Intent::SetTheme(t) => {
                self.theme = t;
                self.ctx.set_theme(t);
            }
        }
    }

    fn save_session(&mut self, p: PathBuf) {
        match self.defs.session() {
            Ok(s) => match std::fs::write(&p, session_to_toml(&s)) {
                Ok(()) => {
                    self.defs.path = Some(p.clone());
                    self.defs.dirty = false;
                    self.info(format!("saved {}", p.display()));
                }
                Err(e) => self.error(format!("could not write {}: {e}", p.display())),
            },
            Err(e) => self.error(format!("not saved: {e}")),
        }
    }

    fn default_path(&self, purpose: PathPurpose) -> String {
        let dir = &self.defs.base_dir;
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let p = match purpose {
            PathPurpose::OpenSession => return String::new(),
            PathPurpose::SaveSession => match &self.defs.path {
                Some(p) => return p.display().to_string(),
                None => dir.join("session.toml"),
            },
            PathPurpose::ExportLog(f) => dir.join(format!("proctor-log-{stamp}.{}", f.extension())),
            PathPurpose::ExportProcesses => dir.join(format!("proctor-processes-{stamp}.csv")),
        };
        p.display().to_string()
    }

    fn rows_unfiltered(&self) -> Vec<Row> {
        let names: HashSet<String> = self.starting.keys().cloned().collect();
        processes::rows(&self.model, &names, &self.stats.snapshot(), "", None, now())
    }

    // ----- quitting ----------------------------------------------------

    fn ask_quit(&mut self) {
        if self.busy() || self.pools_active() {
            if self.quit == QuitState::Idle {
                self.quit = QuitState::Asking;
            }
        } else {
            self.quit = QuitState::Closing;
            self.ctx.send_viewport_cmd(ViewportCommand::Close);
        }
    }

    fn handle_close_request(&mut self, ui: &Ui) {
        if !ui.input(|i| i.viewport().close_requested()) {
            return;
        }
        match self.quit {
            QuitState::Closing => {}
            _ if self.busy() || self.pools_active() => {
                ui.send_viewport_cmd(ViewportCommand::CancelClose);
                if self.quit == QuitState::Idle {
                    self.quit = QuitState::Asking;
                }
            }
            _ => self.quit = QuitState::Closing,
        }
    }

    fn quit_dialog(&mut self, ui: &mut Ui) {
        if !matches!(self.quit, QuitState::Asking | QuitState::Stopping) {
            return;
        }
        let alive: Vec<String> = self
            .model
            .processes
            .iter()
            .filter(|r| r.state.is_alive())
            .map(|r| r.name.clone())
            .collect();
        if self.quit == QuitState::Stopping && !self.busy() {
            self.quit = QuitState::Closing;
            ui.send_viewport_cmd(ViewportCommand::Close);
            return;
        }
        let mut choice = None;
        egui::Modal::new(egui::Id::unique("quit_dialog")).show(ui.ctx(), |ui| {
            ui.set_width(420.0);
            if self.quit == QuitState::Asking {
                ui.heading("Quit Proctor?");
                ui.add_space(4.0);
                let n = alive.len();
                ui.label(format!(
                    "{n} process{} still running. Quitting terminates {} (stop signal, then SIGKILL after the stop timeout).",
                    if n == 1 { " is" } else { "es are" },
                    if n == 1 { "it" } else { "them" }
                ));
                list_names(ui, &alive);
                ui.add_space(8.0);
                ui.horizontal(|ui| {
                    if ui.button("Terminate all and quit").clicked() {
                        choice = Some(true);
                    }
                    if ui.button("Cancel").clicked() {
                        choice = Some(false);
                    }
                });
            } else {
                ui.heading("Stopping\u{2026}");
                ui.label(format!("Waiting for {} process(es) to end.", alive.len()));
                list_names(ui, &alive);
                ui.add_space(8.0);
                if ui.button("Kill now").on_hover_text("SIGKILL whatever is left").clicked() {
                    self.send(Command::StopAll { how: StopHow::Kill });
                }
            }
        });
        match choice {
            Some(true) => {
                self.quit = QuitState::Stopping;
                self.starting.clear();
                self.send(Command::StopAll {
                    how: StopHow::Terminate,
                });
            }
            Some(false) => self.quit = QuitState::Idle,
            None => {}
        }
    }

    // ----- the frame ---------------------------------------------------

    /// One frame: drain events, draw every panel, apply the intents.
    pub fn show(&mut self, ui: &mut Ui) {
        self.handle_close_request(ui);
        let more = self.drain_events(DRAIN_BUDGET);
        let t0 = Instant::now();
        self.starting
            .retain(|_, t| t0.duration_since(*t) < STARTING_TIMEOUT);
        let live: Vec<u32> = self
            .model
            .processes
            .iter()
            .filter(|r| r.state.is_alive())
            .filter_map(|r| r.pid)
            .collect();
        self.stats.set_pids(live);
        let mut intents = Vec::new();
        for picked in self.dialogs.poll() {
            match picked {
                Picked::Path(Target::Field(i, f), p) => self.defs.set_picked(i, f, &p),
                Picked::Path(Target::Prompt(_), _) => {}
                Picked::Unavailable => self.error(
                    "no file dialog is available on this system; type the path in the field instead".into(),
                ),
            }
        }
        self.update_title(ui);

        let now = now();
        let sample = self.stats.snapshot();
        let starting: HashSet<String> = self.starting.keys().cloned().collect();
        let all_rows = processes::rows(&self.model, &starting, &sample, "", self.procs.sort, now);
        let checked_all = self.defs.session().err();
        let bar = BarState {
            start_all_blocked: checked_all,
            any_definition: !self.defs.defs.is_empty(),
            any_alive: all_rows.iter().any(|r| r.status.is_alive()),
            any_ended: self.model.processes.iter().any(|r| r.state.is_ended())
                || self.model.pools.iter().any(|p| p.finished.is_some()),
            session_path: self.defs.path.clone(),
            theme: self.theme,
        };

        egui::Panel::top("menu").show(ui, |ui| {
            intents.extend(menu::menu_bar(ui, &bar));
        });
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(2.0);
            intents.extend(menu::toolbar(ui, &bar));
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            let info = StatusInfo {
                cpus: self.cpus,
                running: all_rows.iter().filter(|r| r.status.is_alive()).count(),
                total: all_rows.len(),
                events: self.model.events_seen,
                own_memory: sample.own_rss,
            };
            if status::ui(ui, &info, self.notice.as_ref()) {
                self.notice = None;
            }
        });
        egui::Panel::bottom("log")
            .resizable(true)
            .default_size(230.0)
            .min_size(120.0)
            .show(ui, |ui| {
                self.log.set_selection(&self.procs.selected);
                self.log.ui(ui, &self.model);
            });
        egui::Panel::left("definitions")
            .resizable(true)
            .default_size(340.0)
            .size_range(260.0..=720.0)
            .show(ui, |ui| {
                let out = self.defs.ui(ui);
                intents.extend(out.intents);
                if let Some((i, field)) = out.browse {
                    self.dialogs
                        .pick(Target::Field(i, field), self.defs.base_dir.clone());
                }
            });
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                let n = all_rows.len();
                ui.selectable_value(&mut self.tab, Tab::Processes, format!("Processes ({n})"));
                let p = self.model.pools.len();
                ui.selectable_value(&mut self.tab, Tab::Pools, format!("Pools ({p})"));
            });
            ui.separator();
            match self.tab {
                Tab::Processes => {
                    let rows = if self.procs.filter.trim().is_empty() {
                        all_rows.clone()
                    } else {
                        processes::rows(
                            &self.model,
                            &starting,
                            &sample,
                            &self.procs.filter,
                            self.procs.sort,
                            now,
                        )
                    };
                    intents.extend(self.procs.ui(ui, &rows, all_rows.len()));
                }
                Tab::Pools => {
                    let info = PoolInfo {
                        paused: &self.paused,
                        workers: &self.pool_workers,
                    };
                    intents.extend(self.pools.ui(ui, &self.model, &all_rows, &info, now));
                }
            }
        });
        if let Some(i) = self.dialogs.prompt_ui(ui, self.defs.base_dir.clone()) {
            intents.push(i);
        }
        self.quit_dialog(ui);

        for i in intents {
            self.apply(i);
        }

        if more {
            ui.ctx().request_repaint();
        } else if self.busy() || self.pools_active() || self.quit == QuitState::Stopping {
            // Runtimes, countdowns and CPU tick once a second; idle means no repaint.
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
    }

    fn update_title(&mut self, ui: &Ui) {
        let file = self
            .defs
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|f| format!(" \u{2014} {}", f.to_string_lossy()))
            .unwrap_or_default();
        let dirty = if self.defs.dirty { " *" } else { "" };
        let title = format!("Proctor{file}{dirty}");
        if title != self.title {
            ui.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }
}

fn list_names(ui: &mut Ui, names: &[String]) {
    let shown: Vec<&str> = names.iter().take(6).map(String::as_str).collect();
    if !shown.is_empty() {
        let more = names.len().saturating_sub(shown.len());
        let mut t = shown.join(", ");
        if more > 0 {
            t.push_str(&format!(" and {more} more"));
        }
        ui.label(RichText::new(t).monospace().weak());
    }
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

impl eframe::App for ProctorApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn on_exit(&mut self) {
        // Stop every child by its stop policy and wait (the engine's Drop
        // does the same; doing it here keeps the order explicit).
        if let Some(engine) = self.engine.take() {
            engine.shutdown(|_| {});
        }
    }
}
