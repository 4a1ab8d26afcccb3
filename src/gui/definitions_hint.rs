//! The hint under a definition's form when its running copies were
//! started from the definition as it was before an edit.

use super::definitions::DefsOut;
use super::forms::Spec;
use super::intent::Intent;
use super::theme::{color, Tone};
use egui::{RichText, Ui};

/// The hint that running copies still use the definition as it was; its
/// height, for the form to leave room for it next frame.
pub(super) fn edited_hint(
    ui: &mut Ui,
    spec: Option<&Spec>,
    running: &[String],
    dark: bool,
    out: &mut DefsOut,
) -> f32 {
    let tone = color(dark, Tone::Stopping);
    let shown = egui::Frame::new()
        .stroke(egui::Stroke::new(1.0, tone))
        .corner_radius(4.0)
        .inner_margin(6.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            match spec {
                Some(Spec::Task(t)) => {
                    let who = match running.len() {
                        1 => "its running copy uses".to_string(),
                        n => format!("its {n} running copies use"),
                    };
                    ui.label(
                        RichText::new(format!("Edited: {who} the old definition; restart to apply."))
                            .color(tone),
                    );
                    if ui
                        .button("Restart running copies")
                        .on_hover_text("Terminate them, then start the task with the definition as it is now")
                        .clicked()
                    {
                        out.intents.push(Intent::ApplyDefinition(t.clone()));
                    }
                }
                _ => {
                    ui.label(
                        RichText::new("Edited: the running pool uses the old definition; it applies when the pool starts again.")
                            .color(tone),
                    );
                }
            }
        });
    shown.response.rect.height()
}
