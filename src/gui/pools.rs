//! The pools view: one card per pool with a progress bar and ETA, its
//! controls, its workers (expandable to their process rows) and the
//! per-input results in input or completion order.

use super::intent::Intent;
use super::pool_summary::{PoolSummaries, PoolSummary};

#[path = "pool_results_table.rs"]
mod results_table;
use super::processes::{Row, Status};
use super::theme::{color, format_bytes, format_duration, mono, Tone};
use crate::engine::{Command, PoolAction};
use crate::model::{PoolRow, Progress, SessionModel};
use crate::session::Workers;
use chrono::{DateTime, FixedOffset};
use egui::{RichText, Ui};
use std::collections::{HashMap, HashSet};

#[derive(Default)]
pub struct PoolsView {
    by_completion: HashSet<String>,
    add_text: HashMap<String, String>,
    /// The Workers box: (what it shows, the pool's size it was set from).
    resize: HashMap<String, (u32, u32)>,
    /// Pools whose "Add inputs" editor is open.
    adding: HashSet<String>,
    /// A past session: no controls.
    pub read_only: bool,
    /// The input selected (a bar of the timeline, or a row clicked):
    /// (pool, input).
    pub selected_input: Option<(String, u64)>,
    /// Scroll the selected input into view on the next frame.
    reveal_input: bool,
    summaries: PoolSummaries,
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
    let (rect, resp) = ui.allocate_exact_size(egui::vec2(w, 18.0), egui::Sense::hover());
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
    let text = bar_text(p);
    resp.widget_info(|| egui::WidgetInfo::labeled(egui::Role::ProgressIndicator, true, &text));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        text,
        egui::FontId::monospace(12.0),
        ui.visuals().strong_text_color(),
    );
}

/// What the bar says: inputs that ran of all of them; cancelled ones are
/// named apart (they did not run, so "20 / 20" would overstate the work).
pub fn bar_text(p: &Progress) -> String {
    let ran = p.done + p.failed;
    if p.cancelled > 0 {
        format!("{ran} / {} \u{b7} {} cancelled", p.total, p.cancelled)
    } else {
        format!("{ran} / {}", p.total)
    }
}

/// The ETA beside the bar. A paused pool starts nothing, so it has none.
pub fn eta_text(pool: &PoolRow, p: &Progress, now: DateTime<FixedOffset>) -> String {
    match (&pool.finished, pool.paused, pool.eta_with(p, now)) {
        (Some(t), _, _) => format!(
            "took {} \u{b7} speedup {:.2}x",
            format_duration(t.wall),
            t.speedup()
        ),
        (None, true, _) => "ETA \u{2014} (paused)".into(),
        (None, false, Some(eta)) => format!("ETA {}", format_duration(eta)),
        (None, false, None) => "ETA \u{2014}".into(),
    }
}

impl PoolsView {
    /// For a past session: nothing to act on.
    pub fn read_only() -> Self {
        Self {
            read_only: true,
            ..Default::default()
        }
    }

    /// Selects one input (its row shows highlighted and is scrolled to).
    pub fn select_input(&mut self, pool: &str, input: u64) {
        self.selected_input = Some((pool.to_string(), input));
        self.reveal_input = true;
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
                        let summary = self.summaries.get(model, pool);
                        self.card(ui, pool, summary, rows, now, &mut out);
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
        summary: PoolSummary,
        rows: &[Row],
        now: DateTime<FixedOffset>,
        out: &mut Vec<Intent>,
    ) {
        let dark = ui.visuals().dark_mode;
        let name = &pool.name;
        let p = summary.progress;
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
            let eta = eta_text(pool, &p, now);
            if pool.finished.is_none() && (paused || pool.eta_with(&p, now).is_none()) {
                ui.weak(eta);
            } else {
                ui.label(mono(eta));
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
            super::pool_hosts::running_and_pending(ui, pool, p.running, dark);
            ui.label(RichText::new(format!("{} queued", p.queued)).color(c(Tone::Muted)));
            if p.cancelled > 0 {
                ui.label(RichText::new(format!("{} cancelled", p.cancelled)).color(c(Tone::Muted)));
            }
            ui.weak(format!("of {}", p.total));
        });
        if !finished && !self.read_only {
            self.controls(ui, name, paused, pool.workers, out);
            if self.adding.contains(name) {
                self.add_inputs(ui, name, out);
            }
        }
        let workers: Vec<&Row> = rows.iter().filter(|r| r.pool.as_deref() == Some(name)).collect();
        let alive = workers.iter().filter(|r| r.status.is_alive()).count();
        egui::CollapsingHeader::new(format!("Workers ({alive} alive, {} in all)", workers.len()))
            .id_salt(("workers", name))
            .show(ui, |ui| workers_grid(ui, name, &workers, &pool.hosts, dark));
        super::pool_hosts::hosts_section(ui, pool, now, dark);
        egui::CollapsingHeader::new(format!(
            "Results ({} of {})",
            pool.completion_order.len(),
            p.total
        ))
        .id_salt(("results", name))
        .default_open(true)
        .open(self.revealing(name).then_some(true))
        .show(ui, |ui| self.results(ui, pool, summary.remote, dark, out));
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
            let open = self.adding.contains(name);
            if ui
                .selectable_label(open, "Add inputs\u{2026}")
                .on_hover_text("Queue more inputs for this pool")
                .clicked()
            {
                if open {
                    self.adding.remove(name);
                } else {
                    self.adding.insert(name.to_string());
                }
            }
            ui.separator();
            let current = workers.max(1) as u32;
            let draft = self.resize.entry(name.to_string()).or_insert((current, current));
            // The box shows the pool's size until it is edited, and again
            // whenever that size changes (a resize, the pool started anew).
            if draft.1 != current {
                *draft = (current, current);
            }
            ui.label("Workers");
            ui.add(egui::DragValue::new(&mut draft.0).range(Workers::LOW.get()..=Workers::HIGH.get()))
                .accessible_name(format!("Workers of {name}"));
            let w = draft.0;
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

    /// The "Add inputs" editor, inline under the controls (a popup closed
    /// on the first click into its text and Tab never reached it).
    fn add_inputs(&mut self, ui: &mut Ui, name: &str, out: &mut Vec<Intent>) {
        let text = self.add_text.entry(name.to_string()).or_default();
        let lines = super::forms::input_lines(text);
        let mut close = false;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            let l = ui.label("Inputs to add, one a line:");
            ui.add(
                egui::TextEdit::multiline(text)
                    .desired_rows(4)
                    .desired_width(ui.available_width().min(480.0))
                    .hint_text("one input a line")
                    .font(egui::TextStyle::Monospace),
            )
            .labelled_by(l.id);
            ui.horizontal(|ui| {
                let n = lines.len();
                if ui
                    .add_enabled(n > 0, egui::Button::new(format!("Add {n}")))
                    .on_hover_text(format!("Queue {}", super::plural::count_usize(n, "input")))
                    .clicked()
                {
                    out.push(send(name, PoolAction::AddInputs(lines.clone())));
                    close = true;
                }
                if ui.button("Close").clicked() {
                    close = true;
                }
            });
        });
        if close {
            text.clear();
            self.adding.remove(name);
        }
    }

    /// Whether the selected input of pool `name` is to be scrolled to.
    fn revealing(&self, name: &str) -> bool {
        self.reveal_input && self.selected_input.as_ref().is_some_and(|(p, _)| p == name)
    }
}

fn workers_grid(ui: &mut Ui, pool: &str, workers: &[&Row], hosts: &crate::model::PoolHosts, dark: bool) {
    if workers.is_empty() {
        ui.weak("No worker has started.");
        return;
    }
    egui::Grid::new(("workers_grid", pool))
        .striped(true)
        .spacing([14.0, 4.0])
        .show(ui, |ui| {
            let remote = !hosts.workers.is_empty();
            for t in ["Name", "PID", "State", "Exit", "CPU %", "Memory", "Runtime"] {
                ui.strong(t);
            }
            if remote {
                ui.strong("Host");
            }
            ui.end_row();
            for r in workers {
                ui.label(&r.name);
                ui.label(mono(r.pid.map(|p| p.to_string()).unwrap_or_default()));
                super::pool_hosts::worker_state(ui, r, hosts, dark);
                ui.label(mono(r.exit_text()));
                ui.label(mono(r.cpu.map(|c| format!("{c:.1}")).unwrap_or_default()));
                ui.label(mono(r.rss.map(format_bytes).unwrap_or_default()));
                ui.label(mono(r.runtime.map(format_duration).unwrap_or_default()));
                if remote {
                    ui.label(mono(hosts.of(Some(&r.name)).unwrap_or_default()));
                }
                ui.end_row();
                if r.status == Status::FailedToStart {
                    ui.label("");
                    ui.label(RichText::new(&r.details).color(color(dark, Tone::Failure)));
                    ui.end_row();
                }
            }
        });
}
