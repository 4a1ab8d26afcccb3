//! The pools view: one card per pool with a progress bar and ETA, its
//! controls, its workers (expandable to their process rows) and the
//! per-input results in input or completion order.

use super::intent::Intent;
use super::processes::{Row, Status};
use super::theme::{color, exit_tone, format_bytes, format_duration, mono, Tone};
use crate::engine::{Command, PoolAction};
use crate::event::exit::short_exit;
use crate::model::{InputResult, InputStatus, PoolRow, Progress, SessionModel};
use crate::session::Workers;
use chrono::{DateTime, FixedOffset};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub struct PoolsView {
    by_completion: HashSet<String>,
    add_text: HashMap<String, String>,
    resize: HashMap<String, u32>,
    /// A past session: no controls.
    pub read_only: bool,
}

fn send(pool: &str, action: PoolAction) -> Intent {
    Intent::Send(Command::Pool {
        pool: pool.to_string(),
        action,
    })
}

/// A bar in segments: done, failed, cancelled, running, then queued.
fn progress_bar(ui: &mut Ui, p: &Progress, dark: bool) {
    let w = ui.available_width().clamp(120.0, 420.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(w, 18.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let bg = ui.visuals().extreme_bg_color;
    painter.rect_filled(rect, 4.0, bg);
    if p.total > 0 {
        let mut x = rect.left();
        let segs = [
            (p.done, color(dark, Tone::Success)),
            (p.failed, color(dark, Tone::Failure)),
            (p.cancelled, color(dark, Tone::Muted)),
            (p.running, color(dark, Tone::Running).gamma_multiply(0.6)),
        ];
        for (n, c) in segs {
            if n == 0 {
                continue;
            }
            let sw = rect.width() * n as f32 / p.total as f32;
            let r = egui::Rect::from_min_max(egui::pos2(x, rect.top()), egui::pos2(x + sw, rect.bottom()));
            painter.rect_filled(r, 0.0, c);
            x += sw;
        }
    }
    painter.rect_stroke(
        rect,
        4.0,
        ui.visuals().widgets.noninteractive.bg_stroke,
        egui::StrokeKind::Inside,
    );
    let text = format!("{} / {}", p.resolved(), p.total);
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        text,
        egui::FontId::monospace(12.0),
        ui.visuals().strong_text_color(),
    );
}

impl PoolsView {
    /// For a past session: nothing to act on.
    pub fn read_only() -> Self {
        Self {
            read_only: true,
            ..Default::default()
        }
    }

    pub fn ui(
        &mut self,
        ui: &mut Ui,
        model: &SessionModel,
        rows: &[Row],
        now: DateTime<FixedOffset>,
    ) -> Vec<Intent> {
        let mut out = Vec::new();
        if model.pools.is_empty() {
            ui.add_space(20.0);
            ui.vertical_centered(|ui| ui.weak("No pools yet. Define one with + Pool and start it."));
            return out;
        }
        egui::ScrollArea::vertical()
            .id_salt("pools")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for pool in &model.pools {
                    egui::Frame::group(ui.style()).inner_margin(10.0).show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        self.card(ui, pool, rows, now, &mut out);
                    });
                    ui.add_space(6.0);
                }
            });
        out
    }

    fn card(
        &mut self,
        ui: &mut Ui,
        pool: &PoolRow,
        rows: &[Row],
        now: DateTime<FixedOffset>,
        out: &mut Vec<Intent>,
    ) {
        let dark = ui.visuals().dark_mode;
        let name = &pool.name;
        let p = pool.progress();
        let paused = pool.paused;
        let finished = pool.finished.is_some();
        let (state, tone) = if finished {
            if p.failed > 0 || p.cancelled > 0 {
                ("ended", Tone::Signalled)
            } else {
                ("done", Tone::Success)
            }
        } else if paused {
            ("paused", Tone::Stopping)
        } else {
            ("running", Tone::Running)
        };
        ui.horizontal(|ui| {
            ui.label(RichText::new(name).heading().strong());
            ui.label(RichText::new(format!("\u{25cf} {state}")).color(color(dark, tone)));
            progress_bar(ui, &p, dark);
            match (&pool.finished, pool.eta(now)) {
                (Some(t), _) => {
                    ui.label(mono(format!(
                        "took {} \u{b7} speedup {:.2}x",
                        format_duration(t.wall),
                        t.speedup()
                    )));
                }
                (None, Some(eta)) => {
                    ui.label(mono(format!("ETA {}", format_duration(eta))));
                }
                (None, None) => {
                    ui.weak("ETA \u{2014}");
                }
            }
        });
        ui.horizontal(|ui| {
            let c = |t: Tone| color(dark, t);
            ui.label(RichText::new(format!("{} done", p.done)).color(c(Tone::Success)));
            ui.label(
                RichText::new(format!("{} failed", p.failed)).color(if p.failed > 0 {
                    c(Tone::Failure)
                } else {
                    c(Tone::Muted)
                }),
            );
            ui.label(RichText::new(format!("{} running", p.running)).color(c(Tone::Running)));
            ui.label(RichText::new(format!("{} queued", p.queued)).color(c(Tone::Muted)));
            if p.cancelled > 0 {
                ui.label(RichText::new(format!("{} cancelled", p.cancelled)).color(c(Tone::Muted)));
            }
            ui.weak(format!("of {}", p.total));
        });
        if !finished && !self.read_only {
            self.controls(ui, name, paused, pool.workers, out);
        }
        let workers: Vec<&Row> = rows.iter().filter(|r| r.pool.as_deref() == Some(name)).collect();
        let alive = workers.iter().filter(|r| r.status.is_alive()).count();
        egui::CollapsingHeader::new(format!("Workers ({alive} alive, {} in all)", workers.len()))
            .id_salt(("workers", name))
            .show(ui, |ui| workers_grid(ui, name, &workers, dark));
        egui::CollapsingHeader::new(format!(
            "Results ({} of {})",
            pool.completion_order.len(),
            p.total
        ))
        .id_salt(("results", name))
        .default_open(true)
        .show(ui, |ui| self.results(ui, pool, dark));
    }

    fn controls(&mut self, ui: &mut Ui, name: &str, paused: bool, workers: usize, out: &mut Vec<Intent>) {
        ui.horizontal(|ui| {
            if paused {
                if ui
                    .button("Resume")
                    .on_hover_text("Start queued inputs again")
                    .clicked()
                {
                    out.push(send(name, PoolAction::Resume));
                }
            } else if ui
                .button("Pause")
                .on_hover_text("Start no new inputs; running ones finish")
                .clicked()
            {
                out.push(send(name, PoolAction::Pause));
            }
            if ui
                .button("Cancel rest")
                .on_hover_text("Drop the inputs not started yet")
                .clicked()
            {
                out.push(send(name, PoolAction::CancelPending));
            }
            ui.menu_button("Add inputs\u{2026}", |ui| {
                let text = self.add_text.entry(name.to_string()).or_default();
                ui.label("One input a line:");
                ui.add(
                    egui::TextEdit::multiline(text)
                        .desired_rows(4)
                        .desired_width(240.0)
                        .hint_text("inputs to add")
                        .font(egui::TextStyle::Monospace),
                );
                let lines = super::forms::input_lines(text);
                if ui
                    .add_enabled(
                        !lines.is_empty(),
                        egui::Button::new(format!("Add {}", lines.len())),
                    )
                    .clicked()
                {
                    out.push(send(name, PoolAction::AddInputs(lines)));
                    text.clear();
                    ui.close();
                }
            });
            ui.separator();
            let current = workers.max(1) as u32;
            let want = self.resize.entry(name.to_string()).or_insert(current);
            let l = ui.label("Workers");
            ui.add(egui::DragValue::new(want).range(Workers::LOW.get()..=Workers::HIGH.get()))
                .labelled_by(l.id);
            let w = *want;
            if ui
                .add_enabled(w != current, egui::Button::new("Resize"))
                .on_hover_text(format!(
                    "Now {current}; grow at once, or shrink as workers finish"
                ))
                .clicked()
            {
                out.push(send(name, PoolAction::Resize(w as usize)));
            }
            ui.separator();
            if ui
                .button("Terminate pool")
                .on_hover_text("Stop every worker; cancel the rest")
                .clicked()
            {
                out.push(send(name, PoolAction::Terminate));
            }
            if ui
                .button("Kill pool")
                .on_hover_text("SIGKILL every worker; cancel the rest")
                .clicked()
            {
                out.push(send(name, PoolAction::Kill));
            }
        });
    }

    fn results(&mut self, ui: &mut Ui, pool: &PoolRow, dark: bool) {
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
        let order: Vec<&InputResult> = if by_completion {
            pool.completion_order
                .iter()
                .filter_map(|&i| pool.inputs.get(i as usize))
                .collect()
        } else {
            pool.inputs.iter().collect()
        };
        if order.is_empty() {
            ui.weak(if by_completion {
                "Nothing has finished yet."
            } else {
                "No inputs."
            });
            return;
        }
        ui.push_id(("results_table", name), |ui| {
            TableBuilder::new(ui)
                .striped(true)
                .resizable(true)
                .max_scroll_height(260.0)
                .auto_shrink([false, true])
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(Column::initial(44.0))
                .column(Column::initial(140.0).clip(true))
                .column(Column::initial(150.0).clip(true))
                .column(Column::initial(84.0))
                .column(Column::initial(74.0))
                .column(Column::initial(76.0))
                .column(Column::remainder().clip(true))
                .header(22.0, |mut h| {
                    for t in ["#", "Input", "Worker", "Exit", "Duration", "Status", "Result"] {
                        h.col(|ui| {
                            ui.strong(t);
                        });
                    }
                })
                .body(|body| {
                    body.rows(20.0, order.len(), |mut row| {
                        let r = order[row.index()];
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
                                InputStatus::Done => Tone::Success,
                                InputStatus::Failed => Tone::Failure,
                                InputStatus::Running => Tone::Running,
                                InputStatus::Queued | InputStatus::Cancelled => Tone::Muted,
                            };
                            ui.label(RichText::new(r.status.label()).color(color(dark, tone)));
                        });
                        row.col(|ui| {
                            let text = match (&r.result, &r.message) {
                                (Some(res), _) => mono(res),
                                (None, Some(m)) => RichText::new(m).color(color(dark, Tone::Failure)),
                                _ => RichText::new(""),
                            };
                            ui.add(egui::Label::new(text).truncate());
                        });
                    });
                });
        });
    }
}

fn workers_grid(ui: &mut Ui, pool: &str, workers: &[&Row], dark: bool) {
    if workers.is_empty() {
        ui.weak("No worker has started.");
        return;
    }
    egui::Grid::new(("workers_grid", pool))
        .striped(true)
        .spacing([14.0, 4.0])
        .show(ui, |ui| {
            for t in ["Name", "PID", "State", "Exit", "CPU %", "Memory", "Runtime"] {
                ui.strong(t);
            }
            ui.end_row();
            for r in workers {
                ui.label(&r.name);
                ui.label(mono(r.pid.map(|p| p.to_string()).unwrap_or_default()));
                ui.label(RichText::new(r.status.label()).color(color(dark, r.tone())));
                ui.label(mono(r.exit_text()));
                ui.label(mono(r.cpu.map(|c| format!("{c:.1}")).unwrap_or_default()));
                ui.label(mono(r.rss.map(format_bytes).unwrap_or_default()));
                ui.label(mono(r.runtime.map(format_duration).unwrap_or_default()));
                ui.end_row();
                if r.status == Status::FailedToStart {
                    ui.label("");
                    ui.label(RichText::new(&r.details).color(color(dark, Tone::Failure)));
                    ui.end_row();
                }
            }
        });
}
