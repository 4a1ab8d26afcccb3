//! The menu bar and the toolbar above the tables.

use super::history::PastSession;
use super::intent::{Intent, PathPurpose};
use super::keys::{shortcut_text, KeyAction};
use super::theme::{color, Tone};
use crate::engine::{Command, StopHow};
use egui::{RichText, ThemePreference, Ui};

pub struct BarState {
    /// Why Start all cannot run, if it cannot.
    pub start_all_blocked: Option<String>,
    pub any_definition: bool,
    pub any_alive: bool,
    pub any_ended: bool,
    /// Processes of stopped trees still running.
    pub leftovers: usize,
    pub session_path: Option<std::path::PathBuf>,
    pub theme: ThemePreference,
    pub recent: Vec<std::path::PathBuf>,
    /// A past session is shown.
    pub past: bool,
    /// Processes selected in the table.
    pub selected: usize,
    /// A removed definition can be brought back.
    pub can_undo: bool,
}

pub fn menu_bar(ui: &mut Ui, s: &BarState) -> Vec<Intent> {
    let mut out = Vec::new();
    let mut out_do = Vec::new();
    let item = |ui: &mut Ui, label: &str, a: KeyAction| {
        ui.add(egui::Button::new(label).shortcut_text(shortcut_text(a)))
            .clicked()
    };
    // An entry that does what its keys do.
    let mut act = |ui: &mut Ui, label: &str, a: KeyAction, enabled: bool| {
        if ui
            .add_enabled(enabled, egui::Button::new(label).shortcut_text(shortcut_text(a)))
            .clicked()
        {
            out_do.push(Intent::Do(a));
        }
    };
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if item(ui, "New session", KeyAction::NewSession) {
                out.push(Intent::NewSession);
            }
            if item(ui, "Open session\u{2026}", KeyAction::OpenSession) {
                out.push(Intent::AskPath(PathPurpose::OpenSession));
            }
            ui.add_enabled_ui(!s.recent.is_empty(), |ui| {
                ui.menu_button("Open recent", |ui| {
                    for p in &s.recent {
                        let name = p
                            .file_name()
                            .map(|f| f.to_string_lossy().into_owned())
                            .unwrap_or_default();
                        let r = ui.button(name).on_hover_text(p.display().to_string());
                        if r.clicked() {
                            out.push(if p.exists() {
                                Intent::OpenSession(p.clone())
                            } else {
                                Intent::ForgetRecent(p.clone())
                            });
                        }
                    }
                });
            });
            if item(ui, "Save session", KeyAction::SaveSession) {
                out.push(match &s.session_path {
                    Some(p) => Intent::SaveSession(p.clone()),
                    None => Intent::AskPath(PathPurpose::SaveSession),
                });
            }
            if ui.button("Save session as\u{2026}").clicked() {
                out.push(Intent::AskPath(PathPurpose::SaveSession));
            }
            ui.separator();
            let whose = if s.past { " (past session)" } else { "" };
            if item(ui, &format!("Export log\u{2026}{whose}"), KeyAction::ExportLog) {
                out.push(Intent::ShowExportDialog);
            }
            if ui.button("Export process table as CSV\u{2026}").clicked() {
                out.push(Intent::AskPath(PathPurpose::ExportProcesses));
            }
            if ui
                .button(format!("Export picture\u{2026}{whose}"))
                .on_hover_text("The timeline, speedup and CPU and memory plots: .svg, or .png as on screen")
                .clicked()
            {
                out.push(Intent::AskPath(PathPurpose::ExportPicture));
            }
            ui.separator();
            if ui.button("Past sessions (History)").clicked() {
                out.push(Intent::ShowHistory);
            }
            ui.separator();
            if item(ui, "Quit", KeyAction::Quit) {
                out.push(Intent::Quit);
            }
        });
        ui.menu_button("Edit", |ui| {
            act(ui, "Undo remove definition", KeyAction::UndoRemove, s.can_undo);
            ui.separator();
            act(ui, "Select all processes", KeyAction::SelectAll, true);
            act(ui, "Filter processes", KeyAction::FindProcess, true);
        });
        ui.menu_button("Process", |ui| {
            let any = s.selected > 0 && !s.past;
            act(ui, "Terminate", KeyAction::Terminate, any);
            act(ui, "Kill", KeyAction::Kill, any);
            act(ui, "Pause", KeyAction::Pause, any);
            act(ui, "Resume", KeyAction::Resume, any);
            act(ui, "Restart", KeyAction::Restart, any);
            ui.separator();
            act(ui, "Copy PIDs", KeyAction::CopyPids, s.selected > 0);
            act(ui, "Copy command lines", KeyAction::CopyCommands, s.selected > 0);
            ui.separator();
            act(ui, "Show or hide details", KeyAction::ToggleDetails, true);
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
            ui.separator();
            if ui.button("Settings\u{2026}").clicked() {
                out.push(Intent::ShowSettings);
            }
        });
        ui.menu_button("Help", |ui| {
            act(ui, "Keyboard shortcuts", KeyAction::Shortcuts, true);
        });
    });
    out.extend(out_do);
    out
}

/// Instead of the toolbar while a past session is shown.
pub fn past_banner(ui: &mut Ui, past: &PastSession) -> Vec<Intent> {
    let mut out = Vec::new();
    let dark = ui.visuals().dark_mode;
    let fill = if dark {
        egui::Color32::from_rgb(0x3a, 0x2f, 0x0b)
    } else {
        egui::Color32::from_rgb(0xff, 0xf4, 0xd0)
    };
    egui::Frame::new()
        .fill(fill)
        .inner_margin(6.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new("PAST SESSION (read-only)")
                        .strong()
                        .color(color(dark, Tone::Stopping)),
                );
                let started = past.started.as_deref().unwrap_or("unknown start");
                ui.label(format!(
                    "started {started} \u{00b7} {} \u{00b7} {}",
                    super::plural::count_usize(past.model.processes.len(), "process"),
                    super::plural::count(past.model.events_seen, "event")
                ));
                ui.label(RichText::new(past.path.display().to_string()).monospace().weak());
                if ui.button("Export log\u{2026}").clicked() {
                    out.push(Intent::ShowExportDialog);
                }
                if ui
                    .button("Back to live session")
                    .on_hover_text("The live session kept running meanwhile")
                    .clicked()
                {
                    out.push(Intent::BackToLive);
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
        if s.leftovers > 0 {
            let text = egui::RichText::new(format!("Kill leftovers ({})", s.leftovers))
                .color(ui.visuals().error_fg_color);
            if ui
                .button(text)
                .on_hover_text(
                    "Processes of stopped tasks are still running (see `leftover` in the log): SIGKILL them",
                )
                .clicked()
            {
                out.push(Intent::Send(Command::KillLeftovers));
            }
        }
    });
    out
}
