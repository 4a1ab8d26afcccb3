//! The status bar: CPU count, running / total processes, events so far,
//! Proctor's own memory, and the latest notice (an error or a done action).

use super::theme::{color, format_bytes, mono, Tone};
use egui::{RichText, Ui};

pub struct StatusInfo {
    pub cpus: usize,
    pub running: usize,
    pub total: usize,
    pub events: u64,
    pub own_memory: u64,
    /// A running export: its file and the events written so far.
    pub exporting: Option<(std::path::PathBuf, u64)>,
}

/// A message for the user at the end of the status bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// Draws the bar; returns true when the notice was dismissed.
pub fn ui(ui: &mut Ui, s: &StatusInfo, notice: Option<&Notice>) -> bool {
    let dark = ui.visuals().dark_mode;
    let mut dismissed = false;
    ui.horizontal(|ui| {
        ui.label(mono(format!("{} CPUs", s.cpus)))
            .on_hover_text("Logical CPUs (the default pool size)");
        ui.separator();
        let running = RichText::new(format!("{} running", s.running)).monospace();
        ui.label(if s.running > 0 {
            running.color(color(dark, Tone::Running))
        } else {
            running
        });
        ui.label(mono(format!(
            "/ {}",
            super::plural::count(s.total as u64, "process")
        )));
        ui.separator();
        ui.label(mono(super::plural::count(s.events, "event")))
            .on_hover_text(
                "Events of this session, as the log counts them (resource samples are kept for the \
             plots and the journal); lines read together are one event here and a row each in the log",
            );
        ui.separator();
        ui.label(mono(format!("Proctor {}", format_bytes(s.own_memory))))
            .on_hover_text("Proctor's own resident memory");
        if let Some((p, n)) = &s.exporting {
            ui.separator();
            ui.spinner();
            let name = p.file_name().map(|f| f.to_string_lossy()).unwrap_or_default();
            ui.label(mono(format!(
                "exporting {name}: {}",
                super::plural::count(*n, "event")
            )));
        }
        if let Some(n) = notice {
            ui.separator();
            let tone = if n.error { Tone::Failure } else { Tone::Success };
            ui.add(egui::Label::new(RichText::new(&n.text).color(color(dark, tone))).truncate());
            if ui.small_button("Dismiss").clicked() {
                dismissed = true;
            }
        }
    });
    dismissed
}
