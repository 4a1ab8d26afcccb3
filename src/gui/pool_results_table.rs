//! A pool card's Results table: every input in input or completion order,
//! with its worker, host, exit, duration, status and result; a row clicked
//! shows that input's process and output.

use super::super::intent::Intent;
use super::super::theme::{color, exit_tone, mono, Tone};
use super::PoolsView;
use crate::event::exit::short_exit;
use crate::model::{InputStatus, PoolRow};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

impl PoolsView {
    pub(super) fn results(
        &mut self,
        ui: &mut Ui,
        pool: &PoolRow,
        remote: bool,
        dark: bool,
        out: &mut Vec<Intent>,
    ) {
        let name = &pool.name;
        let mut by_completion = self.by_completion.contains(name);
        ui.horizontal(|ui| {
            ui.selectable_value(&mut by_completion, false, "Input order");
            ui.selectable_value(&mut by_completion, true, "Completion order");
        });
        if by_completion {
            self.by_completion.insert(name.clone());
        } else {
            self.by_completion.remove(name);
        }
        // The k-th row, looked up as it is drawn: no list of all the rows
        // is made a frame.
        let len = if by_completion {
            pool.completion_order.len()
        } else {
            pool.inputs.len()
        };
        let at = |k: usize| {
            if by_completion {
                pool.completion_order
                    .get(k)
                    .and_then(|&i| pool.inputs.get(i as usize))
            } else {
                pool.inputs.get(k)
            }
        };
        if len == 0 {
            ui.weak(if by_completion {
                "Nothing has finished yet."
            } else {
                "No inputs."
            });
            return;
        }
        let selected = self
            .selected_input
            .as_ref()
            .filter(|(p, _)| p == name)
            .map(|&(_, i)| i);
        let reveal = selected
            .filter(|_| std::mem::take(&mut self.reveal_input))
            .and_then(|i| (0..len).position(|k| at(k).is_some_and(|r| r.index == i)));
        let mut clicked = None;
        // Pools that ran on hosts or Slurm have a Host column (`remote`).
        // Slurm's states ("pending: Resources") need a wider Status.
        let slurm = !pool.hosts.slurm.is_empty();
        ui.push_id(("results_table", name), |ui| {
            let mut tb = TableBuilder::new(ui);
            if let Some(at) = reveal {
                tb = tb.scroll_to_row(at, Some(egui::Align::Center));
            }
            tb.striped(true)
                .sense(egui::Sense::click())
                .resizable(true)
                .max_scroll_height(260.0)
                .auto_shrink([false, true])
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(Column::initial(44.0))
                .column(Column::initial(140.0).clip(true))
                .column(Column::initial(150.0).clip(true))
                .column(Column::initial(if remote { 110.0 } else { 0.0 }).clip(true))
                .column(Column::initial(84.0))
                .column(Column::initial(74.0))
                .column(Column::initial(if slurm { 170.0 } else { 76.0 }).clip(true))
                .column(Column::remainder().clip(true))
                .header(22.0, |mut h| {
                    let host = if remote { "Host" } else { "" };
                    for t in [
                        "#", "Input", "Worker", host, "Exit", "Duration", "Status", "Result",
                    ] {
                        h.col(|ui| {
                            ui.strong(t);
                        });
                    }
                })
                .body(|body| {
                    body.rows(20.0, len, |mut row| {
                        let Some(r) = at(row.index()) else { return };
                        row.set_selected(selected == Some(r.index));
                        row.col(|ui| {
                            ui.label(mono(r.index.to_string()));
                        });
                        row.col(|ui| {
                            ui.add(egui::Label::new(mono(&r.input)).truncate());
                        });
                        row.col(|ui| {
                            ui.add(egui::Label::new(r.worker.clone().unwrap_or_default()).truncate());
                        });
                        row.col(|ui| {
                            ui.add(egui::Label::new(r.host.clone().unwrap_or_default()).truncate());
                        });
                        row.col(|ui| {
                            if let Some(c) = r.exit_code {
                                ui.label(mono(short_exit(c)).color(color(dark, exit_tone(c))));
                            }
                        });
                        row.col(|ui| {
                            if let Some(d) = r.duration {
                                ui.label(mono(format!("{d:.3}s")));
                            }
                        });
                        row.col(|ui| {
                            let tone = match r.status {
                                _ if r.slurm_pending() => Tone::Waiting,
                                InputStatus::Done => Tone::Success,
                                InputStatus::Failed => Tone::Failure,
                                InputStatus::Running => Tone::Running,
                                InputStatus::Queued | InputStatus::Cancelled => Tone::Muted,
                            };
                            let text = RichText::new(r.status_text()).color(color(dark, tone));
                            ui.add(egui::Label::new(text).truncate());
                        });
                        row.col(|ui| {
                            let text = match (&r.result, &r.message) {
                                (Some(res), _) => mono(res),
                                (None, Some(m)) => RichText::new(m).color(color(dark, Tone::Failure)),
                                _ => RichText::new(""),
                            };
                            ui.add(egui::Label::new(text).truncate());
                        });
                        if row.response().clicked() {
                            clicked = Some(r.index);
                        }
                    });
                });
        });
        if let Some(input) = clicked {
            self.selected_input = Some((name.clone(), input));
            out.push(Intent::ShowInput {
                pool: name.clone(),
                input,
            });
        }
    }
}
