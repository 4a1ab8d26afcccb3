//! The "Resources" section of the details pane. It shows the live CPU and
//! memory figures of the table's row; the resources-over-time plot (CPU %
//! and RSS samples, peak RSS, CPU seconds) is drawn here by
//! `resources_plot` once the sampler that keeps them exists.

use super::processes::Row;
use super::theme::{format_bytes, mono};
use egui::Ui;

/// What the section is drawn from.
pub struct ResourcesInput<'a> {
    pub row: &'a Row,
    /// A past session (figures come only from its journal).
    pub past: bool,
}

/// The section's body.
pub fn resources(ui: &mut Ui, r: &ResourcesInput<'_>) {
    if r.past {
        ui.weak("A past session: figures were taken live, and only the journal is left.");
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

/// The plot over time: nothing is sampled over time yet, so nothing is
/// drawn; this is where it goes.
pub fn resources_plot(_ui: &mut Ui, _r: &ResourcesInput<'_>) {}
