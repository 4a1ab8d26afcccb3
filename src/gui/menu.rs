//! The menu bar and the toolbar above the tables.

use super::intent::{Intent, PathPurpose};
use crate::engine::export::Format;
use crate::engine::{Command, StopHow};
use egui::{ThemePreference, Ui};

pub struct BarState {
    /// Why Start all cannot run, if it cannot.
    pub start_all_blocked: Option<String>,
    pub any_definition: bool,
    pub any_alive: bool,
    pub any_ended: bool,
    pub session_path: Option<std::path::PathBuf>,
    pub theme: ThemePreference,
}

pub fn menu_bar(ui: &mut Ui, s: &BarState) -> Vec<Intent> {
    let mut out = Vec::new();
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui.button("New session").clicked() {
                out.push(Intent::NewSession);
            }
            if ui.button("Open session\u{2026}").clicked() {
                out.push(Intent::AskPath(PathPurpose::OpenSession));
            }
            if ui.button("Save session").clicked() {
                out.push(match &s.session_path {
                    Some(p) => Intent::SaveSession(p.clone()),
                    None => Intent::AskPath(PathPurpose::SaveSession),
                });
            }
            if ui.button("Save session as\u{2026}").clicked() {
                out.push(Intent::AskPath(PathPurpose::SaveSession));
            }
            ui.separator();
            ui.menu_button("Export event log", |ui| {
                for f in Format::ALL {
                    if ui.button(format!("{}\u{2026}", f.label())).clicked() {
                        out.push(Intent::AskPath(PathPurpose::ExportLog(f)));
                    }
                }
            });
            if ui.button("Export process table as CSV\u{2026}").clicked() {
                out.push(Intent::AskPath(PathPurpose::ExportProcesses));
            }
            ui.separator();
            if ui.button("Quit").clicked() {
                out.push(Intent::Quit);
            }
        });
        ui.menu_button("View", |ui| {
            let mut t = s.theme;
            ui.label("Theme");
            ui.radio_value(&mut t, ThemePreference::System, "Follow the system");
            ui.radio_value(&mut t, ThemePreference::Dark, "Dark");
            ui.radio_value(&mut t, ThemePreference::Light, "Light");
            if t != s.theme {
                out.push(Intent::SetTheme(t));
            }
        });
    });
    out
}

pub fn toolbar(ui: &mut Ui, s: &BarState) -> Vec<Intent> {
    let mut out = Vec::new();
    ui.horizontal(|ui| {
        let start = ui
            .add_enabled(
                s.any_definition && s.start_all_blocked.is_none(),
                egui::Button::new("Start all"),
            )
            .on_hover_text("Start every task and pool defined");
        let start = match &s.start_all_blocked {
            Some(why) => start.on_disabled_hover_text(why),
            None => start.on_disabled_hover_text("Nothing is defined yet"),
        };
        if start.clicked() {
            out.push(Intent::StartAll);
        }
        if ui
            .add_enabled(s.any_alive, egui::Button::new("Terminate all"))
            .on_hover_text("Each process's stop signal, then SIGKILL after its stop timeout")
            .clicked()
        {
            out.push(Intent::Send(Command::StopAll {
                how: StopHow::Terminate,
            }));
        }
        if ui
            .add_enabled(s.any_alive, egui::Button::new("Kill all"))
            .on_hover_text("SIGKILL every process now")
            .clicked()
        {
            out.push(Intent::Send(Command::StopAll { how: StopHow::Kill }));
        }
        if ui
            .add_enabled(s.any_ended, egui::Button::new("Clear ended"))
            .on_hover_text("Remove ended processes and finished pools from the tables")
            .clicked()
        {
            out.push(Intent::ClearEnded);
        }
    });
    out
}
