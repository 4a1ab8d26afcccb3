//! The definitions panel's form: the selected definition's fields, its
//! Start button and problems, and the hint that running copies use the old
//! definition.

use super::super::form_pool_ui::pool_form;
use super::super::form_ui::task_form;
use super::super::forms::{Def, Errors, Spec};
use super::super::theme::{color, Tone};
use super::{start_intent, Definitions, DefsOut};
use egui::{RichText, Ui};

impl Definitions {
    pub(super) fn editor(
        &mut self,
        ui: &mut Ui,
        checked: &[Result<Spec, Errors>],
        dark: bool,
        out: &mut DefsOut,
    ) {
        let Some(i) = self.selected.filter(|&i| i < self.defs.len()) else {
            return;
        };
        let result = checked.get(i);
        let errors = result.and_then(|r| r.as_ref().err());
        if self.reserved_for != Some(i) {
            self.reserved.clear();
            self.reserved_for = Some(i);
        }
        if self.form_for != Some(i) {
            self.form_gen += 1;
            self.form_for = Some(i);
        }
        let gen = self.form_gen;
        ui.horizontal(|ui| {
            let kind = if matches!(self.defs[i], Def::Task(_)) {
                "Task"
            } else {
                "Pool"
            };
            ui.label(RichText::new(kind).strong());
            let start = ui
                .add_enabled(errors.is_none(), egui::Button::new("Start"))
                .on_hover_text("Start it now")
                .on_disabled_hover_text("Fix the problems shown in red first");
            if start.clicked() {
                if let Some(Ok(spec)) = result {
                    out.intents.push(start_intent(spec));
                }
            }
            if let Some(e) = errors {
                let n = e.len();
                ui.label(
                    RichText::new(format!("{n} problem{} to fix", if n == 1 { "" } else { "s" }))
                        .color(color(dark, Tone::Failure)),
                );
            }
        });
        ui.add_space(4.0);
        // The hint that running copies use the old definition goes under
        // the form and takes only its own height (measured last frame): the
        // form's viewport shrinks, no field moves or vanishes.
        let hint_id = egui::Id::unique(("edited_hint_height", i));
        let running = self.edited.get(&i).cloned();
        let reserve = match running {
            Some(_) => {
                let h = ui.ctx().data(|d| d.get_temp::<f32>(hint_id)).unwrap_or(64.0);
                h + ui.spacing().item_spacing.y
            }
            None => 0.0,
        };
        let form_height = (ui.available_height() - reserve).max(0.0);
        egui::ScrollArea::vertical()
            .id_salt("def_form")
            .auto_shrink([false, false])
            .max_height(form_height)
            .show(ui, |ui| {
                // One definition's copy a frame: how a change of any kind
                // the form makes is known (cheaper than comparing them all).
                let before = self.defs[i].clone();
                let f = ui
                    .push_id(("definition_form", gen), |ui| match &mut self.defs[i] {
                        Def::Task(t) => task_form(ui, t, errors, &mut self.reserved, dark),
                        Def::Pool(p) => pool_form(ui, p, errors, &mut self.reserved, dark),
                    })
                    .inner;
                if f.changed {
                    self.dirty = true;
                }
                if self.defs[i] != before {
                    self.gen += 1;
                }
                if let Some(field) = f.browse {
                    out.browse = Some((i, field));
                }
            });
        if let Some(running) = running {
            let spec = result.and_then(|r| r.as_ref().ok());
            let h = super::super::definitions_hint::edited_hint(ui, spec, &running, dark, out);
            ui.ctx().data_mut(|d| d.insert_temp(hint_id, h));
        }
    }
}
