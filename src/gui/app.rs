//! The app: owns the engine, folds its events into the view model and the
//! log, draws the panels, and applies what they ask for (intents, in
//! `apply.rs`) in one place. It never touches a child process itself.

use super::definitions::Definitions;
use super::export_dialog::ExportDialog;
use super::export_job::ExportJob;
use super::files::{Dialogs, Picked, Target};
use super::history::{History, PastSession};
use super::intent::Intent;
use super::log::Log;
use super::menu::{self, BarState};
use super::pools::PoolsView;
use super::processes::{self, ProcessesView};
use super::settings::{AppDirs, Settings};
use super::stats::Stats;
use super::status::{self, Notice, StatusInfo};
use crate::engine::event::{Event, EventKind};
use crate::engine::journal::JournalConfig;
use crate::engine::spec::{parse_session_file, Session};
use crate::engine::{Engine, EngineConfig};
use crate::model::{RowState, SessionModel};
use crossbeam_channel::{unbounded, Receiver, Sender};
use egui::{Ui, ViewportCommand};
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
    /// The timeline, speedup and resource plots (see `pictures_tab`).
    Timeline,
    History,
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
    pub(super) engine: Option<Engine>,
    /// This session's journal, if one is kept.
    pub(super) journal: Option<PathBuf>,
    pub(super) model: SessionModel,
    pub(super) log: Log,
    pub(super) defs: Definitions,
    pub(super) procs: ProcessesView,
    pub(super) pools: PoolsView,
    pub(super) stats: Stats,
    pub(super) dialogs: Dialogs,
    /// Names sent a start, not yet spawned (or failed).
    pub(super) starting: HashMap<String, Instant>,
    pub(super) tab: Tab,
    pub(super) notice: Option<Notice>,
    pub(super) quit: QuitState,
    pub(super) cpus: usize,
    pub(super) title: String,
    pub(super) ctx: egui::Context,
    pub(super) dirs: AppDirs,
    pub(super) settings: Settings,
    /// The settings dialog's draft, while it is open.
    pub(super) settings_form: Option<Settings>,
    pub(super) history: History,
    /// A past session shown read-only instead of the live one.
    pub(super) past: Option<PastSession>,
    pub(super) export_dialog: ExportDialog,
    pub(super) exports: Vec<ExportJob>,
    /// New / Open waiting for the user to discard unsaved definitions.
    pub(super) pending_discard: Option<Intent>,
    /// The definitions as last autosaved, and when.
    pub(super) autosaved: (String, Instant),
    /// Background writes report failures here.
    pub(super) write_errors: (Sender<String>, Receiver<String>),
    /// Why the engine stopped on an internal error (see `engine_failure`).
    pub(super) engine_failure: Option<String>,
    /// The Timeline tab's views (live and past).
    pub(super) pictures: super::pictures_tab::PicturesTab,
    /// The live process tree of the selected process.
    pub(super) tree: super::tree_view::TreeWatch,
    /// A PNG of the Timeline tab waiting for its screenshot.
    pub(super) png: super::picture_export::PngState,
}

impl ProctorApp {
    /// The app over a session's definitions (nothing starts unless `start`,
    /// and then only the autostart ones). `None`: the definitions autosaved
    /// last time, if any. Settings, autosave and journals live in `dirs`.
    pub fn new(
        ctx: &egui::Context,
        session: Option<Session>,
        start: bool,
        dirs: AppDirs,
    ) -> anyhow::Result<Self> {
        super::theme::apply_style(ctx);
        let (settings, settings_problem) = Settings::load(&dirs.settings_file());
        ctx.set_theme(settings.theme_preference());
        let (engine, journal_problem) = start_engine(ctx, &dirs, &settings)?;
        let restored = session.is_none();
        let (defs, autosave_problem) = match session {
            Some(s) => (Definitions::new(&s), None),
            None => super::session_io::restore_autosave(&dirs, &settings),
        };
        let tree = super::tree_view::TreeWatch::start(engine.session_tag().to_string(), Some(ctx.clone()));
        let mut app = Self {
            journal: engine.journal_path().map(Path::to_path_buf),
            engine: Some(engine),
            model: SessionModel::default(),
            log: Log::with_capacity(settings.log_window),
            defs,
            procs: ProcessesView::default(),
            pools: PoolsView::default(),
            stats: Stats::start(),
            dialogs: Dialogs::new(ctx.clone()),
            starting: HashMap::new(),
            tab: Tab::Processes,
            notice: None,
            quit: QuitState::Idle,
            cpus: crate::engine::spec::default_workers(),
            title: String::new(),
            ctx: ctx.clone(),
            dirs,
            settings,
            settings_form: None,
            history: History::default(),
            past: None,
            export_dialog: ExportDialog::default(),
            exports: Vec::new(),
            pending_discard: None,
            autosaved: (String::new(), Instant::now()),
            write_errors: unbounded(),
            engine_failure: None,
            pictures: Default::default(),
            tree,
            png: Default::default(),
        };
        if restored {
            app.autosaved.0 = app.defs_toml().unwrap_or_default();
        }
        for p in [settings_problem, journal_problem, autosave_problem]
            .into_iter()
            .flatten()
        {
            app.error(p);
        }
        if start {
            match app.defs.start_autostart() {
                Ok(intents) => intents.into_iter().for_each(|i| app.apply(i)),
                Err(e) => app.error(format!("nothing was started: {e}")),
            }
        }
        Ok(app)
    }

    /// The app with a session file (else the autosaved definitions). A file
    /// with problems opens nothing and says why (file, line and field); the
    /// window still opens.
    pub fn open(ctx: &egui::Context, path: Option<&Path>, start: bool) -> anyhow::Result<Self> {
        let (session, problem) = match path {
            None => (None, None),
            Some(p) => match parse_session_file(p) {
                Ok(s) => (Some(s), None),
                Err(e) => (Some(Session::default()), Some(e.to_string())),
            },
        };
        let mut app = Self::new(ctx, session, start && problem.is_none(), AppDirs::from_env())?;
        match (problem, path) {
            (Some(p), _) => app.error(format!("could not open the session; nothing was started. {p}")),
            (None, Some(p)) => app.remember(p),
            _ => {}
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
    pub fn journal_path(&self) -> Option<&Path> {
        self.journal.as_deref()
    }
    pub fn settings(&self) -> &Settings {
        &self.settings
    }
    /// The past session shown, if one is.
    pub fn past(&self) -> Option<&PastSession> {
        self.past.as_ref()
    }
    /// An export is running.
    pub fn exporting(&self) -> bool {
        !self.exports.is_empty()
    }

    /// Something is alive, stopping, or about to be (re)started (never
    /// after the engine failed: it killed everything).
    pub fn busy(&self) -> bool {
        self.engine_failure.is_none()
            && (!self.starting.is_empty()
                || self
                    .model
                    .processes
                    .iter()
                    .any(|r| r.state.is_alive() || matches!(r.state, RowState::BackingOff { .. })))
    }

    pub(super) fn pools_active(&self) -> bool {
        self.engine_failure.is_none() && self.model.pools.iter().any(|p| p.finished.is_none())
    }

    pub(super) fn error(&mut self, text: String) {
        self.notice = Some(Notice { text, error: true });
    }

    pub(super) fn info(&mut self, text: String) {
        self.notice = Some(Notice { text, error: false });
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
                if let Some(p) = &e.process {
                    self.starting.remove(p);
                }
                self.error(message.clone());
            }
            EventKind::Cleared { .. } => self.procs.prune(&self.model),
            _ => {}
        }
        self.log.push(e);
    }

    // ----- the frame ---------------------------------------------------

    /// Results of helper threads: picked paths, exports, history, writes.
    fn poll_helpers(&mut self) {
        for picked in self.dialogs.poll() {
            match picked {
                Picked::Path(Target::Field(i, f), p) => self.defs.set_picked(i, f, &p),
                Picked::Path(Target::Export, p) => self.export_dialog.set_path(&p),
                Picked::Path(Target::Prompt(_), _) => {}
                Picked::Unavailable => self.error(
                    "no file dialog is available on this system; type the path in the field instead".into(),
                ),
            }
        }
        let mut done = Vec::new();
        self.exports.retain_mut(|job| match job.poll() {
            Some(r) => {
                done.push(r);
                false
            }
            None => true,
        });
        for r in done {
            match r {
                Ok(x) => {
                    let note = x.note.map(|n| format!(" ({n})")).unwrap_or_default();
                    self.info(format!(
                        "exported {} {} to {}{note}",
                        x.count,
                        x.unit,
                        x.dest.display()
                    ));
                }
                Err(e) => self.error(e),
            }
        }
        if let Some(r) = self.history.poll() {
            match r {
                Ok(past) => {
                    let problems = past.problems.len();
                    self.info(format!(
                        "showing the past session {}{}",
                        super::history::file_name(&past.path),
                        if problems > 0 {
                            format!(" ({problems} unreadable line(s) skipped)")
                        } else {
                            String::new()
                        }
                    ));
                    self.past = Some(past);
                    self.tab = Tab::Processes;
                }
                Err(e) => self.error(e),
            }
        }
        while let Ok(e) = self.write_errors.1.try_recv() {
            self.error(e);
        }
    }

    /// One frame: drain events, draw every panel, apply the intents.
    pub fn show(&mut self, ui: &mut Ui) {
        self.handle_close_request(ui);
        let more = self.drain_events(DRAIN_BUDGET);
        self.watch_engine();
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
        self.poll_helpers();
        self.poll_png(ui);
        let mut intents = super::session_io::shortcuts_and_drops(ui, self.defs.path.as_deref());
        self.autosave();
        self.update_title(ui);

        let now = now();
        let sample = self.stats.snapshot();
        let starting: HashSet<String> = self.starting.keys().cloned().collect();
        let live_rows = processes::rows(&self.model, &starting, &sample, "", self.procs.sort, now);
        let bar = BarState {
            start_all_blocked: self.defs.session().err(),
            any_definition: !self.defs.defs.is_empty(),
            any_alive: live_rows.iter().any(|r| r.status.is_alive()),
            any_ended: self.model.processes.iter().any(|r| r.state.is_ended())
                || self.model.pools.iter().any(|p| p.finished.is_some()),
            leftovers: self.model.leftovers.len(),
            session_path: self.defs.path.clone(),
            theme: self.settings.theme_preference(),
            recent: self.settings.recent.clone(),
            past: self.past.is_some(),
        };

        egui::Panel::top("menu").show(ui, |ui| {
            intents.extend(menu::menu_bar(ui, &bar));
        });
        self.failure_banner(ui);
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(2.0);
            match &self.past {
                Some(p) => intents.extend(menu::past_banner(ui, p)),
                None => intents.extend(menu::toolbar(ui, &bar)),
            }
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            let info = StatusInfo {
                cpus: self.cpus,
                running: live_rows.iter().filter(|r| r.status.is_alive()).count(),
                total: live_rows.len(),
                events: self.model.events_seen,
                own_memory: sample.own_rss,
                exporting: self.exports.first().map(|j| (j.dest.clone(), j.progress)),
            };
            if status::ui(ui, &info, self.notice.as_ref()) {
                self.notice = None;
            }
        });
        let selected = match &self.past {
            Some(p) => p.procs.selected.clone(),
            None => self.procs.selected.clone(),
        };
        let log_panel = egui::Panel::bottom("log")
            .resizable(true)
            .default_size(self.settings.layout.log_height())
            .min_size(120.0)
            .show(ui, |ui| {
                let (log, model) = match self.past.as_mut() {
                    Some(p) => (&mut p.log, &p.model),
                    None => (&mut self.log, &self.model),
                };
                log.set_selection(&selected);
                log.ui(ui, model);
            });
        self.settings.layout.log_height = Some(log_panel.response.rect.height());
        if self.past.is_none() {
            let defs_panel = egui::Panel::left("definitions")
                .resizable(true)
                .default_size(self.settings.layout.definitions_width())
                .size_range(260.0..=720.0)
                .show(ui, |ui| {
                    let out = self.defs.ui(ui);
                    intents.extend(out.intents);
                    if let Some((i, field)) = out.browse {
                        self.dialogs
                            .pick(Target::Field(i, field), self.defs.base_dir.clone());
                    }
                });
            self.settings.layout.definitions_width = Some(defs_panel.response.rect.width());
        }
        ui.input(|i| self.settings.layout.observe(i.viewport()));
        egui::CentralPanel::default().show(ui, |ui| {
            intents.extend(self.central(ui, &live_rows, &starting, &sample, now));
        });
        if let Some(i) = self.dialogs.prompt_ui(ui, self.defs.base_dir.clone()) {
            intents.push(i);
        }
        let out = self.export_dialog.ui(ui);
        intents.extend(out.intent);
        if let Some(dir) = out.browse {
            self.dialogs.pick(Target::Export, dir);
        }
        intents.extend(self.discard_dialog(ui));
        intents.extend(self.settings_dialog(ui));
        self.quit_dialog(ui);

        for i in intents {
            self.apply(i);
        }

        if more {
            ui.ctx().request_repaint();
        } else if self.busy()
            || self.pools_active()
            || self.quit == QuitState::Stopping
            || !self.exports.is_empty()
        {
            // Runtimes, countdowns and CPU tick once a second; idle means no repaint.
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
    }

    /// The tabs: processes, pools (of the live or the past session), history.
    fn central(
        &mut self,
        ui: &mut Ui,
        live_rows: &[processes::Row],
        starting: &HashSet<String>,
        sample: &super::stats::Sample,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Vec<Intent> {
        let mut out = Vec::new();
        let (model, procs, pools, starting, past) = match self.past.as_mut() {
            Some(p) => (&p.model, &mut p.procs, &mut p.pools, HashSet::new(), true),
            None => (
                &self.model,
                &mut self.procs,
                &mut self.pools,
                starting.clone(),
                false,
            ),
        };
        let empty = super::stats::Sample::default();
        let sample = if past { &empty } else { sample };
        let all_rows = if past {
            processes::rows(model, &starting, sample, "", procs.sort, now)
        } else {
            live_rows.to_vec()
        };
        ui.horizontal(|ui| {
            let n = all_rows.len();
            ui.selectable_value(&mut self.tab, Tab::Processes, format!("Processes ({n})"));
            let p = model.pools.len();
            ui.selectable_value(&mut self.tab, Tab::Pools, format!("Pools ({p})"));
            ui.selectable_value(&mut self.tab, Tab::Timeline, "Timeline")
                .on_hover_text("Every run and pool input over time, speedup, CPU and memory");
            if ui
                .selectable_label(self.tab == Tab::History, "History")
                .on_hover_text("Past sessions, from their journals")
                .clicked()
                && self.tab != Tab::History
            {
                out.push(Intent::ShowHistory);
            }
        });
        ui.separator();
        if self.tab != Tab::Timeline {
            self.tree.watch(None);
        }
        match self.tab {
            Tab::Processes => {
                let rows = if procs.filter.trim().is_empty() {
                    all_rows.clone()
                } else {
                    processes::rows(model, &starting, sample, &procs.filter, procs.sort, now)
                };
                procs.sparks.update(model);
                out.extend(procs.ui(ui, &rows, all_rows.len()));
            }
            Tab::Pools => out.extend(pools.ui(ui, model, &all_rows, now)),
            Tab::Timeline => {
                let chosen = self.pictures.chosen(past, &procs.selected);
                let target = chosen.filter(|_| !past).map(|name| super::tree_view::Target {
                    leader: model
                        .row(&name)
                        .filter(|r| r.state.is_alive())
                        .and_then(|r| r.pid)
                        .map(|p| p as i32),
                    name,
                });
                self.tree.watch(target);
                let tree = self.tree.rows();
                self.png.area = Some(ui.available_rect_before_wrap());
                out.extend(self.pictures.ui(ui, model, &procs.selected, now, past, &tree));
            }
            Tab::History => {
                let viewing = self.past.as_ref().map(|p| p.path.clone());
                out.extend(self.history.ui(ui, self.journal.as_deref(), viewing.as_deref()));
            }
        }
        if past {
            // A past session is only looked at.
            out.retain(|i| !matches!(i, Intent::Send(_) | Intent::Restart(_) | Intent::ClearEnded));
        }
        out
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
        let past = match &self.past {
            Some(p) => format!(" [past session {}]", p.started.as_deref().unwrap_or("")),
            None => String::new(),
        };
        let title = format!("Proctor{file}{dirty}{past}");
        if title != self.title {
            ui.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }
}

/// The engine, keeping a journal where the settings say; without one (and
/// why) if the journal cannot be created.
pub(super) fn start_engine(
    ctx: &egui::Context,
    dirs: &AppDirs,
    settings: &Settings,
) -> anyhow::Result<(Engine, Option<String>)> {
    let config = |journal| {
        let repaint = ctx.clone();
        EngineConfig {
            notify: Some(Arc::new(move || repaint.request_repaint())),
            journal,
            ..Default::default()
        }
    };
    let journal = JournalConfig {
        dir: dirs.journals.clone(),
        max_total_bytes: settings.journal_max_bytes(),
    };
    match Engine::start(config(Some(journal))) {
        Ok(e) => Ok((e, None)),
        Err(e) => {
            let why =
                format!("no journal is kept for this session ({e}); exports hold only the events in memory");
            Ok((Engine::start(config(None))?, Some(why)))
        }
    }
}

pub(super) fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

impl eframe::App for ProctorApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn on_exit(&mut self) {
        self.autosave_now();
        self.save_settings_now();
        // Stop every child by its stop policy and wait (the engine's Drop
        // does the same; doing it here keeps the order explicit).
        if let Some(engine) = self.engine.take() {
            engine.shutdown(|_| {});
        }
    }
}
