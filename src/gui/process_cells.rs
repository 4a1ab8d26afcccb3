//! The cells of a process row as the table draws them.

use super::rows::{Col, Row, Status};
use super::theme::{color, exit_tone, format_bytes, format_duration, mono, Tone};
use crate::event::exit::short_exit;
use egui::{RichText, Ui};

/// One cell of a row.
pub(super) fn cell(ui: &mut Ui, c: Col, r: &Row, dark: bool) {
    let muted = color(dark, Tone::Muted);
    let ended = !r.status.is_alive();
    let num = |ui: &mut Ui, text: Option<String>| {
        if let Some(t) = text {
            let t = mono(t);
            ui.add(egui::Label::new(if ended { t.color(muted) } else { t }).selectable(false));
        }
    };
    match c {
        Col::Name => {
            ui.add(
                egui::Label::new(RichText::new(&r.name).strong())
                    .truncate()
                    .selectable(false),
            );
        }
        Col::Pid => num(ui, r.pid.map(|p| p.to_string())),
        Col::Host => num(ui, r.host.clone()),
        Col::State => {
            ui.add(
                egui::Label::new(RichText::new(r.state_text()).color(color(dark, r.tone())))
                    .selectable(false),
            )
            .on_hover_text(&r.details);
        }
        Col::Exit => {
            if let Some(c) = r.exit_code {
                ui.add(
                    egui::Label::new(mono(short_exit(c)).color(color(dark, exit_tone(c)))).selectable(false),
                );
            }
        }
        Col::Cpu | Col::Memory if !ended && r.cpu.is_none() && r.rss.is_none() && r.elsewhere().is_some() => {
            let host = r.elsewhere().unwrap_or_default();
            ui.add(egui::Label::new(RichText::new("remote").color(muted)).selectable(false))
                .on_hover_text(not_sampled(host));
        }
        Col::Cpu | Col::Memory => {
            let text = match c {
                Col::Cpu => r.cpu.map(|c| format!("{c:5.1}")),
                _ => r.rss.map(format_bytes),
            };
            match r.own {
                // The whole tree's figure; the leader's own on hover.
                Some((cpu, rss, n)) => {
                    if let Some(t) = text {
                        let t = mono(format!("{t} \u{2211}"));
                        ui.add(egui::Label::new(t).selectable(false))
                            .on_hover_text(format!(
                            "The whole tree: {n} processes (the ones that left its group or session too)\n\
                             The leader alone: CPU {cpu:.1}%, memory {}",
                            format_bytes(rss)
                        ));
                    }
                }
                None => num(ui, text),
            }
        }
        Col::Started => num(ui, r.started.map(super::rows::iso_time)),
        Col::Runtime => num(ui, r.runtime.map(format_duration)),
        Col::Restarts => num(ui, Some(r.restarts.to_string()).filter(|s| s != "0")),
        // Drawn by the table, which holds the series.
        Col::OverTime => {}
    }
}

/// Why a process that runs elsewhere has no CPU or memory figures.
pub(super) fn not_sampled(host: &str) -> String {
    format!(
        "Not sampled: it runs on {host}. The local ssh or srun only relays its output; \
         its CPU and memory would not be the command's."
    )
}

pub(super) fn details_cell(ui: &mut Ui, r: &Row, dark: bool) {
    let tone = match r.status {
        Status::FailedToStart => color(dark, Tone::Failure),
        Status::Stopping | Status::Paused => color(dark, Tone::Stopping),
        Status::Restarting => color(dark, Tone::Waiting),
        _ => color(dark, Tone::Muted),
    };
    let t = RichText::new(&r.details).color(tone);
    let t = if matches!(r.status, Status::Running | Status::Exited | Status::Stopped) {
        t.monospace()
    } else {
        t
    };
    ui.add(egui::Label::new(t).truncate().selectable(false));
}
