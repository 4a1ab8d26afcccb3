//! Quitting: with processes still running, a dialog asks to terminate them
//! all (then waits for them) or to cancel; otherwise the window closes.

use super::app::{ProctorApp, QuitState};
use crate::engine::{Command, StopHow};
use egui::{RichText, Ui, ViewportCommand};

impl ProctorApp {
    /// Edits to a session file not saved to it (an unnamed session is
    /// autosaved instead).
    fn unsaved_file(&self) -> bool {
        self.defs.dirty && self.defs.path.is_some() && !self.desk.quit_unsaved_ok
    }

    pub(super) fn ask_quit(&mut self) {
        if self.unsaved_file() {
            // Save, discard or cancel first (`discard_dialog`); quitting
            // goes on from there.
            self.pending_discard = Some(super::intent::Intent::Quit);
        } else if self.busy() || self.pools_active() {
            if self.quit == QuitState::Idle {
                self.quit = QuitState::Asking;
            }
        } else {
            self.quit = QuitState::Closing;
            self.ctx.send_viewport_cmd(ViewportCommand::Close);
        }
    }

    /// From now on SIGTERM, SIGHUP and SIGINT quit the app without asking
    /// (see `quit_signals`).
    pub fn listen_for_quit_signals(&mut self) -> std::io::Result<()> {
        self.quit_signals = Some(super::quit_signals::QuitSignals::install(&self.ctx)?);
        Ok(())
    }

    /// A quit signal came: the first stops everything and closes the
    /// window once every process has ended; another kills what is left.
    pub(super) fn on_quit_signals(&mut self) {
        let Some(n) = self.quit_signals.as_mut().and_then(|q| q.take()) else {
            return;
        };
        if self.quit == QuitState::Closing {
            return;
        }
        if self.quit == QuitState::Stopping && n > 1 {
            self.send(Command::StopAll { how: StopHow::Kill });
            return;
        }
        // Nobody to ask: unsaved edits go to the autosave at the exit.
        self.pending_discard = None;
        self.desk.quit_unsaved_ok = true;
        if self.busy() || self.pools_active() {
            self.quit = QuitState::Stopping;
            self.starting.clear();
            self.send(Command::StopAll {
                how: StopHow::Terminate,
            });
        } else {
            self.quit = QuitState::Closing;
            self.ctx.send_viewport_cmd(ViewportCommand::Close);
        }
    }

    pub(super) fn handle_close_request(&mut self, ui: &Ui) {
        if !ui.input(|i| i.viewport().close_requested()) {
            return;
        }
        match self.quit {
            QuitState::Closing => {}
            QuitState::Idle if self.unsaved_file() => {
                ui.send_viewport_cmd(ViewportCommand::CancelClose);
                self.pending_discard = Some(super::intent::Intent::Quit);
            }
            _ if self.busy() || self.pools_active() => {
                ui.send_viewport_cmd(ViewportCommand::CancelClose);
                if self.quit == QuitState::Idle {
                    self.quit = QuitState::Asking;
                }
            }
            _ => self.quit = QuitState::Closing,
        }
    }

    pub(super) fn quit_dialog(&mut self, ui: &mut Ui) {
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
                    // Cancel has the keyboard: Enter does not stop anything.
                    let cancel = ui.button("Cancel");
                    super::confirm::focus_default(ui, &cancel);
                    if cancel.clicked() {
                        choice = Some(false);
                    }
                    if ui.button("Terminate all and quit").clicked() {
                        choice = Some(true);
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
            Some(false) => {
                // Cancel: everything as before the quit began.
                self.quit = QuitState::Idle;
                self.desk.quit_unsaved_ok = false;
            }
            None => {}
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
