//! The Timeline tab: the timeline, each pool's speedup, the selected
//! process's CPU and memory, and the session's CPU and memory by task. The
//! same for the live session and a past one (drawn from its journal).

use super::intent::Intent;
use super::resources_plot;
use super::timeline::TimelineView;
use crate::model::SessionModel;
use chrono::{DateTime, FixedOffset};
use egui::Ui;
use std::collections::BTreeSet;

#[derive(Default)]
pub struct PicturesTab {
    pub live: TimelineView,
    pub past: TimelineView,
    speedups: super::speedup_view::SpeedupCache,
}

/// Seconds since the session started, now (a past session: its last event).
pub fn now_secs(model: &SessionModel, now: DateTime<FixedOffset>, past: bool) -> f64 {
    let p = &model.pictures;
    if past || p.ended {
        p.last
    } else {
        p.secs(now).max(p.last)
    }
}

impl PicturesTab {
    /// The process whose resources and tree are shown: the one selected in
    /// the process table (a bar clicked selects it), else the one picked.
    pub fn chosen(&self, past: bool, selected: &BTreeSet<String>) -> Option<String> {
        let view = if past { &self.past } else { &self.live };
        match selected.len() {
            1 => selected.iter().next().cloned(),
            _ => view.picked.as_ref().map(|x| x.process.clone()),
        }
    }

    pub fn ui(
        &mut self,
        ui: &mut Ui,
        model: &SessionModel,
        selected: &BTreeSet<String>,
        now: DateTime<FixedOffset>,
        past: bool,
        tree: &[super::tree_view::NodeRow],
    ) -> Vec<Intent> {
        let chosen = self.chosen(past, selected);
        let p = &model.pictures;
        let t = now_secs(model, now, past);
        let view = if past { &mut self.past } else { &mut self.live };
        let mut out = Vec::new();
        let total = ui.available_height();
        // The lanes get what they need (up to half), the plots the rest.
        let count = p.procs.iter().filter(|l| l.pool.is_none()).count()
            + p.pools.iter().map(|x| x.lanes.len()).sum::<usize>()
            + host_headers(p);
        let lanes = (count as f32 * super::timeline::LANE_H + 90.0).clamp(total * 0.3, total * 0.5);
        egui::Panel::bottom("pictures-below")
            .resizable(true)
            .default_size((total - lanes).max(120.0))
            .show(ui, |ui| {
                ui.columns(2, |cols| {
                    egui::ScrollArea::vertical()
                        .id_salt("pictures-left")
                        .show(&mut cols[0], |ui| {
                            if !p.pools.is_empty() {
                                ui.heading("Speedup");
                                let figures = self.speedups.get(p, t);
                                super::speedup_view::speedup_lines(ui, p, figures);
                                ui.separator();
                            }
                            match chosen.as_deref().and_then(|n| p.proc(n)) {
                                Some(lane) => {
                                    ui.heading("Selected process");
                                    resources_plot::show(ui, lane, t);
                                    if !past {
                                        egui::CollapsingHeader::new("Process tree (live)")
                                            .default_open(true)
                                            .show(ui, |ui| {
                                                out.extend(super::tree_view::tree_ui(
                                                    ui, &lane.name, tree, past,
                                                ));
                                            });
                                    }
                                }
                                None => {
                                    ui.weak(
                                        "Select a process (click its bar, or its row in Processes) \
                                         to see its CPU, memory and process tree.",
                                    );
                                }
                            }
                        });
                    egui::ScrollArea::vertical()
                        .id_salt("pictures-right")
                        .show(&mut cols[1], |ui| {
                            ui.heading("CPU and memory by task");
                            resources_plot::stacked_ui(ui, p, 0.0, (t * 1.02).max(1.0));
                        });
                });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            out.extend(view.ui(ui, p, t, !past && !p.ended));
        });
        out
    }
}

impl PicturesTab {
    /// The process of a bar clicked this frame, once.
    pub fn take_picked(&mut self, past: bool) -> Option<String> {
        let view = if past { &mut self.past } else { &mut self.live };
        std::mem::take(&mut view.just_picked)
            .then(|| view.picked.as_ref().map(|p| p.process.clone()))
            .flatten()
    }
}

impl super::app::ProctorApp {
    /// The lanes and bars the Timeline tab drew last (of the session shown).
    pub fn timeline_drawn(&self) -> &[super::timeline::DrawnLane] {
        match self.past {
            Some(_) => &self.pictures.past.drawn,
            None => &self.pictures.live.drawn,
        }
    }

    /// The host headers the timeline drew last (lanes grouped by host).
    pub fn timeline_headers(&self) -> &[String] {
        match self.past {
            Some(_) => &self.pictures.past.drawn_headers,
            None => &self.pictures.live.drawn_headers,
        }
    }

    /// The input selected in the Pools table (of the session shown).
    pub fn selected_input(&self) -> Option<&(String, u64)> {
        match &self.past {
            Some(p) => p.pools.selected_input.as_ref(),
            None => self.pools.selected_input.as_ref(),
        }
    }
}

/// About how many host headers the timeline draws (each host's, and this
/// machine's, when anything ran elsewhere).
fn host_headers(p: &crate::pictures::Pictures) -> usize {
    if p.hosts.is_empty() {
        return 0;
    }
    let hosts: std::collections::HashSet<&str> = p.hosts.values().map(String::as_str).collect();
    hosts.len() + usize::from(!hosts.contains(crate::pictures::host_lanes::LOCAL))
}
