//! The definitions' list in the side panel: a row per definition with its
//! start button, kind, name and a glimpse of its command; only the rows in
//! view are drawn.

use super::{start_intent, Definitions, DefsOut};
use crate::gui::forms::{Errors, Spec};
use crate::gui::theme::{color, Tone};
use egui::{RichText, Ui};

impl Definitions {
    pub(super) fn list(
        &mut self,
        ui: &mut Ui,
        checked: &[Result<Spec, Errors>],
        dark: bool,
        out: &mut DefsOut,
    ) {
        if self.defs.is_empty() {
            ui.weak("No tasks or pools yet. Add one with + Task or + Pool, or open a session file.");
            return;
        }
        let reveal = self.reveal;
        let max_h = (ui.available_height() * 0.3).max(70.0);
        // Only the rows in view are drawn (a thousand definitions cost a
        // frame otherwise); a row is a line of small widgets.
        let row_h = ui.spacing().interact_size.y;
        let reveal_at = self
            .selected
            .filter(|_| reveal)
            .map(|i| (i as f32 * (row_h + ui.spacing().item_spacing.y) - max_h / 2.0).max(0.0));
        list_area(reveal_at)
            .id_salt("def_list")
            .max_height(max_h)
            .auto_shrink([false, true])
            .show_rows(ui, row_h, self.defs.len(), |ui, rows| {
                for (i, d) in self.defs.iter().enumerate().skip(rows.start).take(rows.len()) {
                    let ok = checked.get(i).is_some_and(Result::is_ok);
                    ui.horizontal(|ui| {
                        let start = ui
                            .add_enabled(ok, egui::Button::new("\u{25b6}").small())
                            .on_hover_text(format!("Start {}", d.name()))
                            .on_disabled_hover_text("Fix the problems in this definition first");
                        if start.clicked() {
                            if let Some(Ok(spec)) = checked.get(i) {
                                out.intents.push(start_intent(spec));
                            }
                        }
                        let kind = RichText::new(format!("{:4}", d.kind()))
                            .monospace()
                            .small()
                            .color(color(dark, Tone::Muted));
                        ui.label(kind);
                        let sel = self.selected == Some(i);
                        let mut name = RichText::new(d.name()).strong();
                        if !ok {
                            name = name.color(color(dark, Tone::Failure));
                        } else if sel {
                            name = name.color(ui.visuals().selection.stroke.color);
                        }
                        // A label, not a button: a button keeps its whole
                        // text and a long name widened the panel.
                        let bg = ui.painter().add(egui::Shape::Noop);
                        // Room is kept for a glimpse of the command.
                        let w = (ui.available_width() - 48.0).max(40.0);
                        let r = ui
                            .scope(|ui| {
                                ui.set_max_width(w);
                                ui.add(egui::Label::new(name).truncate().sense(egui::Sense::click()))
                            })
                            .inner
                            .on_hover_text(d.name());
                        if sel || r.hovered() {
                            let fill = if sel {
                                ui.visuals().selection.bg_fill
                            } else {
                                ui.visuals().widgets.hovered.weak_bg_fill
                            };
                            ui.painter()
                                .set(bg, egui::Shape::rect_filled(r.rect.expand(2.0), 3.0, fill));
                        }
                        let r = if ok {
                            r
                        } else {
                            r.on_hover_text("This definition has a problem")
                        };
                        if r.clicked() {
                            self.selected = Some(i);
                        }
                        if sel && reveal {
                            r.scroll_to_me(None);
                        }
                        if ui.available_width() > 24.0 {
                            ui.add(
                                egui::Label::new(
                                    RichText::new(d.command())
                                        .monospace()
                                        .small()
                                        .color(color(dark, Tone::Muted)),
                                )
                                .truncate(),
                            );
                        }
                    });
                }
            });
        self.reveal = false;
    }
}

/// The list's scroll area, scrolled to `y` when a row is to be revealed.
fn list_area(y: Option<f32>) -> egui::ScrollArea {
    let area = egui::ScrollArea::vertical();
    match y {
        Some(y) => area.vertical_scroll_offset(y),
        None => area,
    }
}
