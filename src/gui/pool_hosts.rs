//! A pool's hosts in the pools view: per host, its inputs running, done
//! and failed, their time, its rate, and whether (and why) it went down.

use super::theme::{color, mono, Tone};
use crate::model::PoolRow;
use chrono::{DateTime, FixedOffset};
use egui::{RichText, Ui};

/// The "Hosts" section of a pool that runs on hosts or Slurm nodes;
/// nothing for a pool that runs here.
pub fn hosts_section(ui: &mut Ui, pool: &PoolRow, now: DateTime<FixedOffset>, dark: bool) {
    let figures = pool.per_host();
    if figures.is_empty() {
        return;
    }
    let down = figures.iter().filter(|f| f.down).count();
    let title = if down > 0 {
        format!("Hosts ({}, {down} down)", figures.len())
    } else {
        format!("Hosts ({})", figures.len())
    };
    let wall = match (pool.finished, pool.started) {
        (Some(t), _) => t.wall,
        (None, Some(s)) => (now - s).num_milliseconds().max(0) as f64 / 1000.0,
        _ => 0.0,
    };
    egui::CollapsingHeader::new(title)
        .id_salt(("hosts", &pool.name))
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new(("hosts_grid", &pool.name))
                .striped(true)
                .spacing([14.0, 4.0])
                .show(ui, |ui| {
                    for t in ["Host", "Running", "Done", "Failed", "Busy", "Rate", "State"] {
                        ui.strong(t);
                    }
                    ui.end_row();
                    for f in &figures {
                        ui.label(mono(&f.host));
                        ui.label(mono(f.running.to_string()));
                        ui.label(mono(f.done.to_string()).color(color(dark, Tone::Success)));
                        let failed = if f.failed > 0 { Tone::Failure } else { Tone::Muted };
                        ui.label(mono(f.failed.to_string()).color(color(dark, failed)));
                        ui.label(mono(format!("{:.1}s", f.busy)));
                        ui.label(mono(format!("{:.2}/s", f.throughput(wall))));
                        if f.down {
                            let why = pool
                                .hosts
                                .down
                                .iter()
                                .rev()
                                .find(|(h, _)| h == &f.host)
                                .map(|(_, w)| w.as_str())
                                .unwrap_or("");
                            ui.label(RichText::new("down").color(color(dark, Tone::Failure)))
                                .on_hover_text(why);
                        } else {
                            ui.label(RichText::new("up").color(color(dark, Tone::Running)));
                        }
                        ui.end_row();
                    }
                });
        });
}
