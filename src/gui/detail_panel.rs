//! Where the details pane sits: beside the process table when there is
//! room; in a narrow window, in a window of its own opened with Enter. For
//! one selected process (a word for several). Enter hides and shows it.

use super::desk::Desk;
use super::detail::{pane, DetailInput};
use super::detail_output::OutputStore;
use super::intent::Intent;
use super::log::Log;
use super::processes::{ProcessesView, Row};
use crate::model::SessionModel;
use egui::Ui;
use std::path::Path;

/// Below this width of the tab the pane goes under the table.
const SIDE_BY_SIDE: f32 = 900.0;

impl Desk {
    pub fn details(
        &mut self,
        ui: &mut Ui,
        model: &SessionModel,
        procs: &mut ProcessesView,
        rows: &[Row],
        past: Option<(&Path, &Log)>,
        fresh: &dyn Fn(&Row) -> Row,
    ) -> Vec<Intent> {
        let mut out = Vec::new();
        if procs.hide_details || procs.selected.is_empty() {
            return out;
        }
        let chosen: Vec<&Row> = rows.iter().filter(|r| procs.selected.contains(&r.name)).collect();
        let wide = ui.available_width() >= SIDE_BY_SIDE;
        let body = |ui: &mut Ui, desk: &mut Desk, out: &mut Vec<Intent>| {
            if chosen.len() != 1 {
                ui.add_space(8.0);
                ui.weak(format!(
                    "{} selected. Select one to see its details; Enter hides this pane.",
                    super::plural::count_usize(chosen.len(), "process")
                ));
                return;
            }
            out.extend(desk.one(ui, model, &fresh(chosen[0]), past));
        };
        if wide {
            egui::Panel::right("process_details")
                .resizable(true)
                .default_size(420.0)
                .size_range(280.0..=900.0)
                .show(ui, |ui| body(ui, self, &mut out));
        } else if procs.details_window {
            // Too narrow to share the width, too short to share the
            // height: a window of its own, over the table.
            let mut open = true;
            let title = match chosen.as_slice() {
                [one] => format!("Details \u{2014} {}", one.name),
                _ => "Details".to_string(),
            };
            egui::Window::new(title)
                .id(egui::Id::unique("process_details_window"))
                .open(&mut open)
                .default_size([560.0, 420.0])
                .show(ui.ctx(), |ui| body(ui, self, &mut out));
            if !open {
                procs.details_window = false;
            }
        }
        out
    }

    fn one(
        &mut self,
        ui: &mut Ui,
        model: &SessionModel,
        r: &Row,
        past: Option<(&Path, &Log)>,
    ) -> Vec<Intent> {
        let live = past.is_none() && r.status.is_alive();
        let proc = match (live, r.pid) {
            (true, Some(pid)) => Some(self.proc_cache.get(pid).clone()),
            _ => None,
        };
        if let Some((path, log)) = past {
            if self.past_outputs.as_ref().is_none_or(|(p, _)| p != path) {
                let mut store = OutputStore::default();
                log.events().for_each(|e| store.push(&e));
                self.past_outputs = Some((path.to_path_buf(), store));
            }
        }
        let store = match (&past, &self.past_outputs) {
            (Some(_), Some((_, s))) => s,
            _ => &self.outputs,
        };
        let origin = if past.is_none() {
            self.origin_of(&r.name, r.pool.as_deref()).cloned()
        } else {
            None
        };
        let stdin = origin
            .as_ref()
            .is_some_and(|o| matches!(&o.spec, super::forms::Spec::Task(t) if t.stdin));
        let input = DetailInput {
            row: r,
            model: model.row(&r.name),
            origin: origin.as_ref(),
            proc: proc.as_ref(),
            output: store.lines(&r.name),
            dropped: store.dropped.get(&r.name).copied().unwrap_or(0),
            past: past.is_some(),
            stdin,
            lane: model.pictures.proc(&r.name),
            now: super::pictures_tab::now_secs(model, super::app::now(), past.is_some()),
        };
        pane(ui, &mut self.detail, &input)
    }
}
