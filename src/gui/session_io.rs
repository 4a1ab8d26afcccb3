//! Sessions as files around the edges of the app: the definitions
//! autosaved in the config folder and restored at the next start, the
//! recent list, keyboard shortcuts, files dropped on the window, the prompt
//! before unsaved definitions are lost, and the settings dialog.

use super::app::ProctorApp;
use super::definitions::Definitions;
use super::intent::Intent;
use super::settings::{write_in_background, AppDirs, Settings};
use crate::session::{parse_session, session_to_toml, Session};
use egui::Ui;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The autosave is written at most this often (and when the app closes).
const AUTOSAVE_EVERY: Duration = Duration::from_secs(1);

/// The definitions autosaved last time (empty if none), with the file they
/// belong to and whether they had unsaved changes.
pub fn restore_autosave(dirs: &AppDirs, settings: &Settings) -> (Definitions, Option<String>) {
    let file = dirs.autosave_file();
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (Definitions::new(&Session::default()), None)
        }
        Err(e) => {
            let why = format!("cannot read the autosaved definitions {}: {e}", file.display());
            return (Definitions::new(&Session::default()), Some(why));
        }
    };
    let base = match &settings.autosave_of {
        Some(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
        None => std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
    };
    match parse_session(&text, &file.display().to_string(), &base) {
        Ok(mut s) => {
            s.path = settings.autosave_of.clone();
            let mut defs = Definitions::new(&s);
            defs.dirty = settings.autosave_dirty;
            (defs, None)
        }
        Err(e) => (
            Definitions::new(&Session::default()),
            Some(format!("the autosaved definitions could not be read: {e}")),
        ),
    }
}

/// Files dropped on the window: a session file opens, a journal (`.jsonl`)
/// shows as a past session. (The keyboard shortcuts are in `keys.rs`.)
pub fn drops(ui: &Ui) -> Vec<Intent> {
    let mut out = Vec::new();
    ui.input_mut(|i| {
        for f in std::mem::take(&mut i.raw.dropped_files) {
            let p = f.path();
            if crate::journal::is_journal_name(p) {
                // A journal (or a JSON Lines export): shown as a past session.
                out.push(Intent::OpenPast(p.to_path_buf()));
            } else if !p.as_os_str().is_empty() {
                out.push(Intent::OpenSession(p.to_path_buf()));
            }
        }
    });
    let hovering = ui.input(|i| !i.raw.hovered_files.is_empty());
    if hovering {
        let screen = ui.ctx().content_rect();
        let painter = ui.ctx().layer_painter(egui::LayerId::new(
            egui::Order::Foreground,
            egui::Id::unique("drop_overlay"),
        ));
        painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(160));
        painter.text(
            screen.center(),
            egui::Align2::CENTER_CENTER,
            "Drop a session file (.toml) to open it",
            egui::FontId::proportional(22.0),
            egui::Color32::WHITE,
        );
    }
    out
}

impl ProctorApp {
    /// The definitions as TOML, if they are complete enough to save.
    pub(super) fn defs_toml(&self) -> Option<String> {
        self.defs.session().ok().map(|s| session_to_toml(&s))
    }

    /// Writes the definitions to the autosave file when they changed (at
    /// most once a second; on a helper thread).
    pub(super) fn autosave(&mut self) {
        if self.autosaved.1.elapsed() < AUTOSAVE_EVERY {
            return;
        }
        self.autosaved.1 = Instant::now();
        self.autosave_now();
    }

    pub(super) fn autosave_now(&mut self) {
        let Some(text) = self.defs_toml() else { return };
        let owner_changed =
            self.settings.autosave_of != self.defs.path || self.settings.autosave_dirty != self.defs.dirty;
        if text != self.autosaved.0 {
            write_in_background(
                self.dirs.autosave_file(),
                text.clone(),
                self.write_errors.0.clone(),
            );
            self.autosaved.0 = text;
        }
        if owner_changed {
            self.settings.autosave_of = self.defs.path.clone();
            self.settings.autosave_dirty = self.defs.dirty;
            self.save_settings();
        }
    }

    pub(super) fn save_settings(&self) {
        write_in_background(
            self.dirs.settings_file(),
            self.settings.to_toml(),
            self.write_errors.0.clone(),
        );
    }

    /// Saves the settings (with the window's layout) before returning: the
    /// last thing the app does.
    pub fn save_settings_now(&self) {
        if let Err(e) = super::settings::write_atomic(&self.dirs.settings_file(), &self.settings.to_toml()) {
            eprintln!("could not write {}: {e}", self.dirs.settings_file().display());
        }
    }

    /// Puts a session file first in the recent list.
    pub(super) fn remember(&mut self, p: &Path) {
        self.settings.remember(p);
        self.save_settings();
    }

    /// New or Open with unsaved definitions: save, discard, or cancel.
    pub(super) fn discard_dialog(&mut self, ui: &mut Ui) -> Vec<Intent> {
        let mut out = Vec::new();
        let Some(pending) = self.pending_discard.clone() else {
            return out;
        };
        let quitting = matches!(pending, Intent::Quit);
        let mut close = false;
        let modal = egui::Modal::new(egui::Id::unique("discard_dialog")).show(ui.ctx(), |ui| {
            ui.set_width(440.0);
            let file = self
                .defs
                .path
                .as_ref()
                .and_then(|p| p.file_name())
                .map(|f| f.to_string_lossy().to_string());
            match (&pending, &file) {
                (Intent::Quit, Some(f)) => {
                    ui.heading(format!("Save the changes to {f} before quitting?"));
                    ui.add_space(4.0);
                    ui.label("The definitions have changes not saved to the file; quitting without saving loses them.");
                }
                _ => {
                    ui.heading("Unsaved definitions");
                    ui.add_space(4.0);
                    let what = match &pending {
                        Intent::OpenSession(p) => format!("Opening {}", p.display()),
                        _ => "A new session".to_string(),
                    };
                    ui.label(format!(
                        "{what} replaces the definitions, which have changes not saved to a file."
                    ));
                }
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                // Cancel has the keyboard: Enter loses nothing.
                let cancel = ui.button("Cancel");
                super::confirm::focus_default(ui, &cancel);
                if cancel.clicked() {
                    close = true;
                }
                let discard = if quitting {
                    "Quit without saving"
                } else {
                    "Discard changes"
                };
                if ui.button(discard).clicked() {
                    if quitting {
                        self.desk.quit_unsaved_ok = true;
                    } else {
                        self.defs.dirty = false;
                    }
                    out.push(pending.clone());
                    close = true;
                }
                if let Some(p) = self.defs.path.clone() {
                    let save = if quitting {
                        "Save and quit"
                    } else {
                        "Save, then continue"
                    };
                    if ui.button(save).clicked() {
                        out.push(Intent::SaveSession(p));
                        out.push(pending.clone());
                        close = true;
                    }
                }
            });
        });
        if modal.should_close() {
            close = true;
        }
        if close {
            self.pending_discard = None;
        }
        out
    }
}
