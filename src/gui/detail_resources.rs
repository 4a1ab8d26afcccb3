//! The "Resources" section of the details pane: the live CPU and memory
//! figures of the table's row, then the plot over time (CPU % and RSS
//! samples, peak RSS, CPU seconds) that `resources_plot` draws.

use super::processes::Row;
use super::theme::{format_bytes, mono};
use egui::Ui;

/// What the section is drawn from.
pub struct ResourcesInput<'a> {
    pub row: &'a Row,
    /// A past session (figures come only from its journal).
    pub past: bool,
    /// Its series over time, if the sampler has any.
    pub lane: Option<&'a crate::pictures::ProcLane>,
    /// The session's clock, in seconds since it started.
    pub now: f64,
}

/// The section's body.
pub fn resources(ui: &mut Ui, r: &ResourcesInput<'_>) {
    if let Some(host) = r.row.elsewhere() {
        ui.weak(super::process_cells::not_sampled(host));
        return;
    }
    if r.past {
        ui.weak("A past session: the figures below are its journal's samples.");
    }
    egui::Grid::new("detail_resources")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            ui.weak("CPU");
            ui.label(mono(
                r.row
                    .cpu
                    .map(|c| format!("{c:.1} %"))
                    .unwrap_or_else(|| "\u{2014}".into()),
            ));
            ui.end_row();
            ui.weak("Memory");
            ui.label(mono(
                r.row.rss.map(format_bytes).unwrap_or_else(|| "\u{2014}".into()),
            ));
            ui.end_row();
        });
    resources_plot(ui, r);
}

/// The plot over time, with peak memory and CPU seconds.
pub fn resources_plot(ui: &mut Ui, r: &ResourcesInput<'_>) {
    match r.lane {
        Some(lane) => super::resources_plot::show(ui, lane, r.now),
        None => {
            ui.weak("No samples yet (taken once a second while it runs).");
        }
    }
}
