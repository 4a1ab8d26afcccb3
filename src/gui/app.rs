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
use super::pools::PoolsView;
use super::processes::ProcessesView;
use super::settings::{AppDirs, Settings};
use super::stats::Stats;
use super::status::Notice;
use crate::engine::{Engine, EngineConfig};
use crate::event::{Event, EventKind};
use crate::journal::JournalConfig;
use crate::model::{RowState, SessionModel};
use crate::session::{parse_session_file, Session};
use crossbeam_channel::{unbounded, Receiver, Sender};
use egui::Ui;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Time a frame may spend taking events off the queue.
pub(super) const DRAIN_BUDGET: Duration = Duration::from_millis(4);
/// A `starting` row with no answer from the engine is dropped after this.
pub(super) const STARTING_TIMEOUT: Duration = Duration::from_secs(10);

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
    /// The process tables' rows, built when they change (see `row_cache`).
    pub(super) row_cache: super::row_cache::RowCaches,
    pub(super) dialogs: Dialogs,
    /// Names sent a start, not yet spawned (or failed).
    pub(super) starting: HashMap<String, Instant>,
    pub(super) tab: Tab,
    pub(super) notice: Option<Notice>,
    pub(super) quit: QuitState,
    /// SIGTERM, SIGHUP and SIGINT, when the app listens for them.
    pub(super) quit_signals: Option<super::quit_signals::QuitSignals>,
    pub(super) cpus: usize,
    pub(super) title: String,
    pub(super) ctx: egui::Context,
    pub(super) dirs: AppDirs,
    pub(super) settings: Settings,
    /// The settings dialog's draft, while it is open.
    pub(super) settings_form: Option<super::settings_dialog::SettingsForm>,
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
    /// Details pane, keyboard, confirmations, notifications (`desk`).
    pub(super) desk: super::desk::Desk,
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
        super::cjk_font::install(ctx);
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
            row_cache: Default::default(),
            dialogs: Dialogs::new(ctx.clone()),
            starting: HashMap::new(),
            tab: Tab::Processes,
            notice: None,
            quit: QuitState::Idle,
            quit_signals: None,
            cpus: crate::session::default_workers(),
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
            desk: Default::default(),
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
    /// The History tab's list of past sessions.
    pub fn history(&self) -> &History {
        &self.history
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

    /// Folds one event into the tables, the log and the panes, as one off
    /// the engine's queue is (public for the frame benchmark).
    #[doc(hidden)]
    pub fn ingest(&mut self, e: Event) {
        self.model.apply(&e);
        self.desk.observe(&e);
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
            EventKind::Cleared { .. } => {
                self.procs.prune(&self.model);
                let model = &self.model;
                self.desk.outputs.retain(|n| model.row(n).is_some());
            }
            _ => {}
        }
        // The log shows a line per row (lines read together are one event:
        // the log's store splits them).
        self.log.push(e);
    }

    // ----- the frame ---------------------------------------------------

    /// Results of helper threads: picked paths, exports, history, writes.
    pub(super) fn poll_helpers(&mut self) {
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
                    let unit = x.unit.strip_suffix('s').unwrap_or(x.unit);
                    let what = if x.unit == super::export_job::PICTURE {
                        "the timeline picture (SVG)".to_string()
                    } else {
                        super::plural::count(x.count, unit)
                    };
                    self.info(format!("exported {what} to {}{note}", x.dest.display()));
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
                            format!(
                                " ({} skipped)",
                                super::plural::count_usize(problems, "unreadable line")
                            )
                        } else {
                            String::new()
                        }
                    ));
                    if past.unfinished {
                        self.error(format!(
                            "{}: {}",
                            super::history::file_name(&past.path),
                            crate::journal::UNFINISHED
                        ));
                    }
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
            // The queue's slots are allocated up front (176 bytes each): the
            // default 65,536 held 11.5 MB at rest. A frame takes events off
            // for a time budget, so 16,384 is still ten frames' worth at
            // 100,000 lines/s before the supervisor waits.
            event_capacity: GUI_EVENT_CAPACITY,
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

/// How many events may wait for the window's next frame (see `start_engine`).
const GUI_EVENT_CAPACITY: usize = 16_384;

pub(super) fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Local::now().fixed_offset()
}

impl eframe::App for ProctorApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn raw_input_hook(&mut self, _ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        super::input_burst::coalesce_typing(&mut raw_input.events);
    }

    // eframe's `on_exit` takes the GL context when built with glow.
    #[cfg(feature = "glow")]
    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.exit();
    }

    #[cfg(not(feature = "glow"))]
    fn on_exit(&mut self) {
        self.exit();
    }
}

impl ProctorApp {
    /// What the window's closing does (eframe's `on_exit`, whichever the
    /// renderer): save, then stop every child and wait.
    pub fn exit(&mut self) {
        self.autosave_now();
        self.save_settings_now();
        // Stop every child by its stop policy and wait (the engine's Drop
        // does the same; doing it here keeps the order explicit).
        if let Some(engine) = self.engine.take() {
            engine.shutdown(|_| {});
        }
    }
}
