//! When the engine stops on an internal error (a panic in its thread, see
//! `Engine::failure`): a banner says so and why, nothing waits for the
//! engine any more (quitting is immediate), and *Restart engine* starts a
//! fresh one. The definitions stay; the failed session stays in History.

use super::app::{start_engine, ProctorApp, QuitState};
use super::log::Log;
use super::theme::{color, Tone};
use crate::model::SessionModel;
use egui::{RichText, Ui, ViewportCommand};
use std::path::Path;

impl ProctorApp {
    /// Notices a failed engine (once): the reason is kept for the banner.
    pub(super) fn watch_engine(&mut self) {
        if self.engine_failure.is_some() {
            return;
        }
        let Some(why) = self.engine.as_ref().and_then(|e| e.failure()) else {
            return;
        };
        // Take what it said last (the error and `session_ended`).
        self.drain_events(std::time::Duration::from_millis(50));
        self.starting.clear();
        self.engine_failure = Some(why);
        if matches!(self.quit, QuitState::Asking | QuitState::Stopping) {
            // Nothing is left to wait for: every child was killed.
            self.quit = QuitState::Closing;
            self.ctx.send_viewport_cmd(ViewportCommand::Close);
        }
    }

    /// Why the engine stopped, if it stopped on an internal error.
    pub fn engine_failure(&self) -> Option<&str> {
        self.engine_failure.as_deref()
    }

    /// A new engine (and session) after a failure; the definitions stay.
    pub fn restart_engine(&mut self) {
        match start_engine(&self.ctx, &self.dirs, &self.settings) {
            Ok((engine, journal_problem)) => {
                // The old engine's thread has ended; dropping it returns at once.
                drop(self.engine.replace(engine));
                self.journal = self
                    .engine
                    .as_ref()
                    .and_then(|e| e.journal_path().map(Path::to_path_buf));
                self.engine_failure = None;
                self.model = SessionModel::default();
                self.log = Log::with_capacity(self.settings.log_window);
                self.procs.prune(&self.model);
                self.starting.clear();
                match journal_problem {
                    Some(p) => self.error(p),
                    None => self.info("a new engine started; the failed session is in History".into()),
                }
            }
            Err(e) => self.error(format!("cannot start a new engine: {e:#}")),
        }
    }

    /// The banner over the window while the engine is stopped.
    pub(super) fn failure_banner(&mut self, ui: &mut Ui) {
        let Some(why) = self.engine_failure.clone() else {
            return;
        };
        let mut restart = false;
        egui::Panel::top("engine_failure").show(ui, |ui| {
            let dark = ui.visuals().dark_mode;
            ui.add_space(2.0);
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new("The engine stopped")
                        .strong()
                        .color(color(dark, Tone::Failure)),
                );
                ui.label(format!(
                    "after an internal error: {why}. Every process it started was killed; nothing runs until it is restarted."
                ));
                restart = ui
                    .button("Restart engine")
                    .on_hover_text("Start a new engine; the definitions stay")
                    .clicked();
            });
            ui.add_space(2.0);
        });
        if restart {
            self.restart_engine();
        }
    }
}
