//! Past sessions: the journals in the state folder, listed with their start
//! time, tasks and counts, and opened read-only into the same log and
//! tables the live session uses. Listing and opening read files, so both
//! run on helper threads.

use super::intent::Intent;
use super::log::Log;
use super::pools::PoolsView;
use super::processes::ProcessesView;
use super::theme::{color, format_bytes, Tone};
use crate::journal::{for_each_event, list_journals, JournalSummary, Problems, UNFINISHED};
use crate::model::SessionModel;
use crossbeam_channel::{bounded, Receiver};
use egui::{RichText, Ui};
use std::path::{Path, PathBuf};

/// A past session, opened read-only.
pub struct PastSession {
    pub path: PathBuf,
    pub started: Option<String>,
    pub model: SessionModel,
    pub log: Log,
    pub procs: ProcessesView,
    pub pools: PoolsView,
    /// Lines of the journal that could not be read.
    pub problems: Problems,
    pub last_seq: u64,
    /// Its journal ends without its session's end, and no session writes
    /// it any more.
    pub unfinished: bool,
}

/// A journal as History lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Listed {
    pub summary: JournalSummary,
    /// The rows its opened view shows: one per process name, as the
    /// tables fold them (restarts and repeated starts are one row; rows
    /// cleared with Clear ended are gone). None if it cannot be read.
    pub rows: Option<usize>,
}

#[derive(Default)]
pub struct History {
    list: Option<Vec<Listed>>,
    listing: Option<Receiver<Vec<Listed>>>,
    /// A listing asked for while one ran: the folder and the context.
    again: Option<(PathBuf, egui::Context)>,
    opening: Option<(PathBuf, Receiver<Result<PastSession, String>>)>,
}

impl History {
    /// Lists the journals in `dir` again (on a helper thread).
    /// While a listing runs, another is asked for once it ends (a click
    /// each second on a slow folder must not start a thread each).
    pub fn refresh(&mut self, dir: &Path, ctx: &egui::Context) {
        self.take_listing();
        if self.listing.is_some() {
            self.again = Some((dir.to_path_buf(), ctx.clone()));
            return;
        }
        let (tx, rx) = bounded(1);
        let dir = dir.to_path_buf();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("proctor-history".into())
            .spawn(move || {
                let list = list_journals(&dir)
                    .into_iter()
                    .map(|summary| Listed {
                        rows: summary.problem.is_none().then_some(summary.rows as usize),
                        summary,
                    })
                    .collect();
                let _ = tx.send(list);
                ctx.request_repaint();
            });
        if spawned.is_ok() {
            self.listing = Some(rx);
        }
    }

    /// Reads the journal at `path` into a model and a log of `window` events.
    pub fn open(&mut self, path: PathBuf, window: usize, ctx: &egui::Context) -> Result<(), String> {
        let (tx, rx) = bounded(1);
        let p = path.clone();
        let ctx = ctx.clone();
        std::thread::Builder::new()
            .name("proctor-open-journal".into())
            .spawn(move || {
                let _ = tx.send(load(&p, window));
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        self.opening = Some((path, rx));
        Ok(())
    }

    /// Takes the running listing's result if it ended; true if it did (or
    /// its thread is gone).
    fn take_listing(&mut self) -> bool {
        let Some(rx) = &self.listing else {
            return false;
        };
        match rx.try_recv() {
            Ok(list) => self.list = Some(list),
            Err(crossbeam_channel::TryRecvError::Empty) => return false,
            Err(crossbeam_channel::TryRecvError::Disconnected) => {}
        }
        self.listing = None;
        true
    }

    /// The journals as last listed (None while the first listing runs).
    pub fn listed(&self) -> Option<&[Listed]> {
        self.list.as_deref()
    }

    /// A past session that finished loading (or why it could not).
    pub fn poll(&mut self) -> Option<Result<PastSession, String>> {
        if self.take_listing() {
            if let Some((dir, ctx)) = self.again.take() {
                self.refresh(&dir, &ctx);
            }
        }
        let (_, rx) = self.opening.as_ref()?;
        let r = match rx.try_recv() {
            Ok(r) => r,
            Err(crossbeam_channel::TryRecvError::Empty) => return None,
            Err(crossbeam_channel::TryRecvError::Disconnected) => {
                Err("the journal could not be read".to_string())
            }
        };
        self.opening = None;
        Some(r)
    }

    /// The list of past sessions; `live` is this session's own journal.
    pub fn ui(&mut self, ui: &mut Ui, live: Option<&Path>, viewing: Option<&Path>) -> Vec<Intent> {
        let mut out = Vec::new();
        let dark = ui.visuals().dark_mode;
        ui.horizontal(|ui| {
            ui.strong("Past sessions");
            if ui
                .button("Refresh")
                .on_hover_text("Read the journal folder again")
                .clicked()
            {
                out.push(Intent::RefreshHistory);
            }
            if self.listing.is_some() {
                ui.spinner();
            }
            if let Some((p, _)) = &self.opening {
                ui.spinner();
                ui.weak(format!("opening {}\u{2026}", file_name(p)));
            }
        });
        ui.add_space(4.0);
        let Some(list) = &self.list else {
            ui.weak("Reading the journals\u{2026}");
            return out;
        };
        // A session in which nothing ran (an app opened and closed, or
        // killed before anything started) is not worth a row.
        let list: Vec<&Listed> = list
            .iter()
            .filter(|l| live == Some(l.summary.path.as_path()) || !l.ran_nothing())
            .collect();
        let hidden = self.list.as_ref().map_or(0, Vec::len) - list.len();
        if list.is_empty() {
            ui.weak("No journals yet: every session in which something ran, here or with `proctor run`, keeps one.");
        }
        if hidden > 0 {
            ui.weak(format!(
                "{} in which nothing ran not listed",
                super::plural::count_usize(hidden, "session")
            ));
        }
        if list.is_empty() {
            return out;
        }
        egui::ScrollArea::both()
            .id_salt("history")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                egui::Grid::new("history_grid")
                    .striped(true)
                    .num_columns(9)
                    .spacing([14.0, 6.0])
                    .show(ui, |ui| {
                        for (h, help) in [
                            ("", ""),
                            ("Started", "When its first event was written"),
                            ("Tasks", "The tasks and pools it ran"),
                            ("Processes", PROCESSES_HELP),
                            ("Starts", STARTS_HELP),
                            (
                                "Failures",
                                "Failed starts, failed inputs, and non-zero exits not asked for",
                            ),
                            ("Stopped", "Stopped by the user: not failures"),
                            ("Events", "Events in its journal"),
                            ("Size", "The journal's size on disk"),
                        ] {
                            let r = ui.strong(h);
                            if !help.is_empty() {
                                r.on_hover_text(help);
                            }
                        }
                        ui.end_row();
                        for l in list {
                            let s = &l.summary;
                            let this = live == Some(s.path.as_path());
                            // First, so that it stays in view however narrow the window.
                            let open = viewing == Some(s.path.as_path());
                            let b = ui
                                .add_enabled(!open && !this, egui::Button::new("Open"))
                                .on_hover_text("Show this session read-only in the log and tables")
                                .on_disabled_hover_text(if this {
                                    "This is the live session"
                                } else {
                                    "Shown now"
                                });
                            if b.clicked() {
                                out.push(Intent::OpenPast(s.path.clone()));
                            }
                            let mut started = s.started.clone().unwrap_or_else(|| "(empty)".into());
                            if this {
                                started.push_str("  (this session)");
                            }
                            ui.label(RichText::new(started).monospace())
                                .on_hover_text(s.path.display().to_string());
                            // A short cell; the whole problem on hover.
                            let unfinished = s.unfinished().then(|| format!("The journal {UNFINISHED}."));
                            let (mut names, why) = match (&s.problem, &s.damage) {
                                (Some(p), _) => ("cannot be read".to_string(), Some(p)),
                                (None, Some(d)) if s.unfinished() && !this => (
                                    format!("unfinished, damaged in part \u{2014} {}", s.names.join(", ")),
                                    Some(d),
                                ),
                                (None, Some(d)) => (
                                    format!("damaged in part \u{2014} {}", s.names.join(", ")),
                                    Some(d),
                                ),
                                (None, None) if unfinished.is_some() && !this => (
                                    format!("unfinished \u{2014} {}", s.names.join(", ")),
                                    unfinished.as_ref(),
                                ),
                                (None, None) => (s.names.join(", "), None),
                            };
                            if names.is_empty() {
                                names = "\u{2014}".into();
                            }
                            // Left-aligned in a column of its own width,
                            // cut with "…" beyond it.
                            let cell = ui
                                .allocate_ui_with_layout(
                                    egui::vec2(TASKS_WIDTH, 18.0),
                                    egui::Layout::left_to_right(egui::Align::Center),
                                    |ui| {
                                        ui.set_width(TASKS_WIDTH);
                                        ui.add(egui::Label::new(names).truncate())
                                    },
                                )
                                .inner;
                            match why {
                                Some(why) => cell.on_hover_text(why.as_str()),
                                None => cell.on_hover_text(s.names.join(", ")),
                            };
                            let rows = l.rows.map(|n| n.to_string()).unwrap_or_else(|| "\u{2014}".into());
                            ui.label(RichText::new(rows).monospace())
                                .on_hover_text(PROCESSES_HELP);
                            ui.label(RichText::new(s.processes.to_string()).monospace())
                                .on_hover_text(STARTS_HELP);
                            let f = RichText::new(s.failures.to_string()).monospace();
                            ui.label(if s.failures > 0 {
                                f.color(color(dark, Tone::Failure))
                            } else {
                                f
                            });
                            ui.label(RichText::new(s.stopped.to_string()).monospace())
                                .on_hover_text("Stopped by the user: not failures");
                            ui.label(RichText::new(s.events.to_string()).monospace());
                            ui.label(RichText::new(format_bytes(s.size)).monospace());
                            ui.end_row();
                        }
                    });
            });
        out
    }
}

/// The Tasks column's width: names beyond it are cut, the whole list on
/// hover, so that the row's Open button stays in view.
const TASKS_WIDTH: f32 = 180.0;

impl Listed {
    /// Nothing ran in it: it reads whole and holds only its start, its end
    /// and samples (a journal left by an app killed before anything ran);
    /// the same rule that removes such a journal at a session's end.
    pub fn ran_nothing(&self) -> bool {
        let s = &self.summary;
        s.telling == 0 && s.problem.is_none() && s.damage.is_none()
    }
}

const PROCESSES_HELP: &str =
    "Processes as the opened session lists them: one row per name (a restart or a new start of the same name is the same row)";
const STARTS_HELP: &str =
    "Times a process was started: restarts and every pool input in spawn mode count again";

pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

impl PastSession {
    /// Reads and folds a journal as the History view opens it (blocking;
    /// the view calls this on a helper thread).
    pub fn load(path: &Path, window: usize) -> Result<PastSession, String> {
        load(path, window)
    }
}

/// Folds a journal into a read-only past session, an event at a time: the
/// log keeps its window of `window` lines and the model its rows, so a
/// journal of millions of records opens in bounded memory.
fn load(path: &Path, window: usize) -> Result<PastSession, String> {
    let mut model = SessionModel::default();
    let mut log = Log::with_capacity(window);
    let mut started = None;
    let mut last_seq = 0;
    let mut ended = false;
    let mut last_time = None;
    let problems = for_each_event(path, |e| {
        ended |= matches!(e.kind, crate::event::EventKind::SessionEnded { .. });
        last_time = Some(e.time);
        if started.is_none() {
            started = Some(e.time.format("%Y-%m-%d %H:%M:%S").to_string());
        }
        model.apply(&e);
        last_seq = last_seq.max(e.seq);
        log.push(e);
    })
    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let unfinished = !ended && !crate::journal::is_live(path);
    if let Some(at) = last_time.filter(|_| unfinished) {
        model.journal_ends_unfinished(at);
    }
    Ok(PastSession {
        path: path.to_path_buf(),
        started,
        model,
        log,
        procs: ProcessesView::read_only(),
        pools: PoolsView::read_only(),
        problems,
        last_seq,
        unfinished,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing_threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .map(|d| {
                d.flatten()
                    .filter(|t| {
                        std::fs::read_to_string(t.path().join("comm"))
                            .is_ok_and(|c| c.trim() == "proctor-history")
                    })
                    .count()
            })
            .unwrap_or(0)
    }

    #[test]
    fn refreshes_while_a_listing_runs_start_no_more_threads() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..200 {
            std::fs::write(dir.path().join(format!("{i:03}.jsonl")), "{\"seq\":0,\"time\":\"2026-11-26T12:00:00.000+00:00\",\"kind\":\"session_started\",\"format\":2}\n").unwrap();
        }
        let ctx = egui::Context::default();
        let mut h = History::default();
        for _ in 0..50 {
            h.refresh(dir.path(), &ctx);
            assert!(listing_threads() <= 1, "one listing at a time");
        }
        let t0 = std::time::Instant::now();
        while h.listed().is_none_or(|l| l.len() < 200) || h.listing.is_some() {
            h.poll();
            assert!(t0.elapsed() < std::time::Duration::from_secs(60));
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(h.listed().unwrap().len(), 200);
    }

    #[test]
    fn a_past_session_keeps_its_window_of_lines_and_folds_every_event() {
        use crate::event::{Event, EventKind};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut text = String::new();
        let mut push = |seq: u64, kind: EventKind| {
            let mut e = Event::now(kind);
            e.seq = seq;
            e.process = Some("w".into());
            text.push_str(&serde_json::to_string(&e).unwrap());
            text.push('\n');
        };
        push(
            1,
            EventKind::SessionStarted {
                message: "m".into(),
                format: Some(2),
            },
        );
        push(2, EventKind::Spawned { command: "sh".into() });
        for i in 0..20_000u64 {
            push(3 + i, EventKind::stdout(format!("line {i}")));
        }
        std::fs::write(&path, text).unwrap();
        let past = PastSession::load(&path, 100).unwrap();
        assert_eq!(past.last_seq, 20_002);
        assert_eq!(past.log.len(), 100, "the window, not the journal");
        assert_eq!(past.log.last().unwrap().kind, EventKind::stdout("line 19999"));
        assert_eq!(past.model.processes.len(), 1);
        assert!(past.problems.is_empty());
        // It has no `session_ended`: unfinished, and its process, alive
        // where the journal ends, has an unknown end there (not "running",
        // its runtime growing with the clock).
        assert!(past.unfinished);
        let row = &past.model.processes[0];
        assert_eq!(row.state, crate::model::RowState::Unknown);
        let end = past.log.last().unwrap().time;
        assert_eq!(row.ended, Some(end));
        let later = end + chrono::Duration::hours(1);
        assert_eq!(row.runtime(later), row.runtime(end));
    }
}
