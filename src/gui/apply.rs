//! Carrying out intents: the one place where what a panel asked for
//! happens (commands to the engine, files, exports, views).

use super::app::{now, ProctorApp, Tab};
use super::definitions::Definitions;
use super::export_job::{ExportJob, ExportWhat, LogExport};
use super::intent::{Intent, PathPurpose};
use super::processes::{self, Row};
use crate::engine::Command;
use crate::journal::export::Format;
use crate::journal::rotate;
use crate::session::{parse_session_file, session_to_toml, Session};
use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

/// Newest events of the in-memory window handed to a live export, for what
/// the journal has not flushed yet when it stops waiting for it (the
/// engine flushes every 100 ms or 256 KiB). Without a journal, the whole
/// window is handed over.
const EXPORT_TAIL: usize = 50_000;

impl ProctorApp {
    pub(super) fn send(&mut self, c: Command) {
        let failed = match &self.engine {
            Some(e) => e.send(c).is_err(),
            None => true,
        };
        if failed {
            self.error("the engine has stopped; use Restart engine".into());
        }
    }

    pub fn apply(&mut self, intent: Intent) {
        match intent {
            Intent::Send(c) => self.send(c),
            Intent::StartTask(task) => {
                let now = Instant::now();
                for n in task.instance_names() {
                    let alive = self.model.row(&n).is_some_and(|r| r.state.is_alive());
                    if !alive {
                        self.starting.insert(n, now);
                    }
                }
                self.desk.started_task(&task);
                self.send(Command::Start { task });
            }
            Intent::StartPool(pool) => {
                self.desk.started_pool(&pool);
                self.send(Command::StartPool { pool })
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
            // The engine answers with a `cleared` event; the model drops
            // the rows when it folds it (so a replay shows the same).
            Intent::ClearEnded => self.send(Command::ClearEnded),
            Intent::ShowInLog(name) => match self.past.as_mut() {
                Some(p) => p.log.show_process(&name),
                None => self.log.show_process(&name),
            },
            Intent::ShowInput { pool, input } => match self.past.as_mut() {
                Some(p) => {
                    p.log.show_input(&pool, input);
                    p.pools.select_input(&pool, input);
                }
                None => {
                    self.log.show_input(&pool, input);
                    self.pools.select_input(&pool, input);
                }
            },
            Intent::Quit => self.ask_quit(),
            Intent::NewSession | Intent::OpenSession(_) if self.defs.dirty => {
                self.pending_discard = Some(intent);
            }
            Intent::NewSession => {
                self.defs = Definitions::new(&Session::default());
                self.log.process = super::log::ProcessFilter::All;
                self.info("new session: no definitions yet".into());
            }
            Intent::OpenSession(p) => self.open_session(p),
            Intent::SaveSession(p) => self.save_session(p),
            Intent::ExportLog {
                path,
                format,
                filtered,
                plain,
            } => self.export_log(path, format, filtered, plain),
            Intent::ExportProcesses(p) => {
                let text = processes::rows_csv(&self.table_rows());
                self.spawn_export(p, ExportWhat::Text(text));
            }
            Intent::ExportPicture(p) => match self.picture_svg(&p) {
                Some(svg) => self.spawn_export(p, ExportWhat::Picture(svg)),
                None => self.request_png(p),
            },
            Intent::ShowExportDialog => {
                let (active, shown) = match &self.past {
                    Some(p) => (p.log.is_filtered(), p.log.shown_len()),
                    None => (self.log.is_filtered(), self.log.shown_len()),
                };
                let dir = self.defs.base_dir.clone();
                self.export_dialog.open(&dir, active, shown, self.past.is_some());
            }
            Intent::AskPath(purpose) => {
                let default = self.default_path(purpose);
                self.dialogs.ask(purpose, default);
            }
            Intent::SetTheme(t) => {
                self.settings.set_theme(t);
                self.ctx.set_theme(t);
                self.save_settings();
            }
            Intent::ShowHistory => {
                self.tab = Tab::History;
                self.history.refresh(&self.dirs.journals, &self.ctx);
            }
            Intent::RefreshHistory => self.history.refresh(&self.dirs.journals, &self.ctx),
            Intent::OpenPast(p) => {
                if let Err(e) = self.history.open(p, self.settings.log_window, &self.ctx) {
                    self.error(e);
                }
            }
            Intent::BackToLive => {
                self.past = None;
                if self.tab == Tab::History {
                    self.tab = Tab::Processes;
                }
                self.info("back to the live session".into());
            }
            Intent::Do(a) => self.do_action(a),
            Intent::ApplyDefinition(task) => {
                for n in task.instance_names() {
                    if self.model.row(&n).is_some_and(|r| r.state.is_alive()) {
                        self.send(Command::Stop {
                            process: n,
                            how: crate::engine::StopHow::Terminate,
                        });
                    }
                }
                self.desk.restart_after_stop.push(task);
            }
            Intent::RemoveDefinition(i) => {
                if let Some(d) = self.defs.remove(i) {
                    self.info(format!(
                        "removed the definition \u{201c}{}\u{201d}; {} brings it back",
                        d.name(),
                        super::keys::shortcut_text(super::keys::KeyAction::UndoRemove)
                    ));
                    self.desk.removed.push((i, d));
                }
            }
            Intent::UndoRemove => match self.desk.removed.pop() {
                Some((i, d)) => {
                    let was = d.name().to_string();
                    let name = self.defs.restore(i, d);
                    if name == was {
                        self.info(format!("brought back the definition \u{201c}{name}\u{201d}"));
                    } else {
                        self.info(format!(
                            "brought back the definition \u{201c}{was}\u{201d} as \u{201c}{name}\u{201d}: another definition has its name now"
                        ));
                    }
                }
                None => self.info("nothing to undo".into()),
            },
            Intent::ShowSettings => {
                self.settings_form = Some(super::settings_dialog::SettingsForm::new(&self.settings))
            }
            Intent::ApplySettings(s) => self.apply_settings(s),
            Intent::ForgetRecent(p) => {
                self.settings.forget(&p);
                self.save_settings();
            }
        }
    }

    fn apply_settings(&mut self, s: super::settings::Settings) {
        let rotate_now = s.journal_max_mb < self.settings.journal_max_mb;
        self.settings.log_window = s.log_window.max(1_000);
        self.settings.journal_max_mb = s.journal_max_mb.max(1);
        self.settings.confirm = s.confirm;
        self.settings.notifications = s.notifications;
        self.log.set_capacity(self.settings.log_window);
        if rotate_now {
            let (dir, max) = (self.dirs.journals.clone(), self.settings.journal_max_bytes());
            let keep = self.journal.clone();
            let _ = std::thread::Builder::new()
                .name("proctor-rotate".into())
                .spawn(move || rotate(&dir, max, keep.as_deref()));
        }
        self.save_settings();
        self.info("settings saved".into());
    }

    fn open_session(&mut self, p: PathBuf) {
        match parse_session_file(&p) {
            Ok(s) => {
                self.defs = Definitions::new(&s);
                // A process filter from before would hide the new
                // session's events: the log shows every process again.
                self.log.process = super::log::ProcessFilter::All;
                self.remember(&p);
                self.past = None;
                self.info(format!("opened {}", p.display()));
            }
            Err(e) => self.error(format!("could not open the session: {e}")),
        }
    }

    fn save_session(&mut self, p: PathBuf) {
        match self.defs.session() {
            Ok(s) => match super::session_write::write_session(&p, &session_to_toml(&s)) {
                Ok(()) => {
                    self.defs.path = Some(p.clone());
                    self.defs.dirty = false;
                    self.remember(&p);
                    self.info(format!("saved {}", p.display()));
                }
                Err(e) => self.error(e),
            },
            Err(e) => self.error(format!("not saved: {e}")),
        }
    }

    /// Exports the shown session's log on a helper thread: the journal
    /// first, then the newer events held in memory.
    fn export_log(&mut self, path: PathBuf, format: Format, filtered: bool, plain: bool) {
        let req = match &self.past {
            Some(p) => LogExport {
                format,
                filter: filtered.then(|| p.log.filter()),
                journal: Some(p.path.clone()),
                live: false,
                upto: p.last_seq,
                tail: Vec::new(),
                plain,
            },
            None => LogExport {
                format,
                filter: filtered.then(|| self.log.filter()),
                journal: self.journal.clone(),
                live: true,
                upto: self.log.last().map_or(0, |e| e.seq),
                tail: match self.journal {
                    Some(_) => self.log.tail(EXPORT_TAIL),
                    None => self.log.tail(usize::MAX),
                },
                plain,
            },
        };
        self.spawn_export(path, ExportWhat::Log(req));
    }

    /// Why an export must not write `path`: it is the session file, the
    /// live journal, the past session's journal, or any journal.
    pub(super) fn protected_path(&self, path: &std::path::Path) -> Option<String> {
        use crate::journal::output::same_file;
        let named = [
            (self.defs.path.as_deref(), "the session file"),
            (self.journal_path(), "the session's journal"),
            (
                self.past.as_ref().map(|p| p.path.as_path()),
                "the journal of the past session shown",
            ),
        ];
        for (p, what) in named {
            if p.is_some_and(|p| same_file(p, path)) {
                return Some(format!("{} is {what}; it would be overwritten", path.display()));
            }
        }
        // Through a link too: what it points at.
        let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if crate::journal::is_journal_name(&target) && target.exists() {
            return Some(format!(
                "{} is a journal; it would be overwritten",
                path.display()
            ));
        }
        None
    }

    fn spawn_export(&mut self, path: PathBuf, what: ExportWhat) {
        if let Some(why) = self.protected_path(&path) {
            return self.error(why);
        }
        match ExportJob::spawn(path.clone(), what, self.ctx.clone()) {
            Ok(job) => {
                self.info(format!("exporting to {}\u{2026}", path.display()));
                self.exports.push(job);
            }
            Err(e) => self.error(e),
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
            PathPurpose::ExportProcesses => dir.join(format!("proctor-processes-{stamp}.csv")),
            PathPurpose::ExportPicture => dir.join(format!("proctor-timeline-{stamp}.svg")),
        };
        p.display().to_string()
    }

    /// Every row of the table shown (the live or the past session's).
    fn table_rows(&self) -> Vec<Row> {
        match &self.past {
            Some(p) => processes::rows(
                &p.model,
                &HashSet::new(),
                &super::stats::Sample::default(),
                "",
                None,
                now(),
            ),
            None => {
                let names: HashSet<String> = self.starting.keys().cloned().collect();
                processes::rows(&self.model, &names, &self.stats.snapshot(), "", None, now())
            }
        }
    }
}
