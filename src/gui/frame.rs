//! One frame of the app: drain the engine's events, draw the menus, tabs
//! and panels, apply what they asked for, keep the window title current.

use super::app::{now, ProctorApp, QuitState, Tab, DRAIN_BUDGET, STARTING_TIMEOUT};
use super::files::Target;
use super::intent::Intent;
use super::menu::{self, BarState};
use super::processes::{self};
use super::status::{self, StatusInfo};
use egui::{Ui, ViewportCommand};
use std::collections::HashSet;
use std::time::{Duration, Instant};

impl ProctorApp {
    /// One frame: drain events, draw every panel, apply the intents.
    pub fn show(&mut self, ui: &mut Ui) {
        self.on_quit_signals();
        self.handle_close_request(ui);
        let more = self.drain_events(DRAIN_BUDGET);
        self.watch_engine();
        let t0 = Instant::now();
        self.starting
            .retain(|_, t| t0.duration_since(*t) < STARTING_TIMEOUT);
        if let Some(live) = self.row_cache.live.live_pids(&self.model) {
            self.stats.set_pids(live);
        }
        self.poll_helpers();
        self.poll_png(ui);
        let mut intents = super::session_io::drops(ui);
        intents.extend(self.handle_keys(ui));
        let focused = ui.input(|i| i.viewport().focused.unwrap_or(true));
        self.desk_frame(focused);
        self.autosave();
        self.update_title(ui);

        let now = now();
        let sample = self.stats.snapshot();
        let starting: HashSet<String> = self.starting.keys().cloned().collect();
        let live_rows = self
            .row_cache
            .live
            .all(&self.model, &starting, &sample, self.procs.sort, now);
        let bar = BarState {
            start_all_blocked: self.defs.problem(),
            any_definition: !self.defs.defs().is_empty(),
            any_alive: live_rows.iter().any(|r| r.status.is_alive()),
            any_ended: self.model.processes.iter().any(|r| r.state.is_ended())
                || self.model.pools.iter().any(|p| p.finished.is_some()),
            leftovers: self.model.leftovers.len(),
            session_path: self.defs.path.clone(),
            theme: self.settings.theme_preference(),
            recent: self.settings.recent.clone(),
            past: self.past.is_some(),
            selected: match &self.past {
                Some(p) => p.procs.selected.len(),
                None => self.procs.selected.len(),
            },
            can_undo: !self.desk.removed.is_empty(),
        };

        egui::Panel::top("menu").show(ui, |ui| {
            intents.extend(menu::menu_bar(ui, &bar));
        });
        self.failure_banner(ui);
        egui::Panel::top("toolbar").show(ui, |ui| {
            ui.add_space(2.0);
            match &self.past {
                Some(p) => intents.extend(menu::past_banner(ui, p)),
                None => intents.extend(menu::toolbar(ui, &bar)),
            }
            ui.add_space(2.0);
        });
        egui::Panel::bottom("status").show(ui, |ui| {
            let info = StatusInfo {
                cpus: self.cpus,
                running: live_rows.iter().filter(|r| r.status.is_alive()).count(),
                total: live_rows.len(),
                // As the log counts them: without resource samples.
                events: self.model.events_seen - self.model.samples_seen,
                own_memory: sample.own_rss,
                exporting: self.exports.first().map(|j| (j.dest.clone(), j.progress)),
            };
            if status::ui(ui, &info, self.notice.as_ref()) {
                self.notice = None;
            }
        });
        let selected = match &self.past {
            Some(p) => p.procs.selected.clone(),
            None => self.procs.selected.clone(),
        };
        if self.past.is_none() {
            let defs_panel = egui::Panel::left("definitions")
                .resizable(true)
                .default_size(self.settings.layout.definitions_width())
                .size_range(260.0..=720.0)
                .show(ui, |ui| {
                    let out = self.defs.ui(ui);
                    intents.extend(out.intents);
                    if let Some((i, field)) = out.browse {
                        self.dialogs
                            .pick(Target::Field(i, field), self.defs.base_dir.clone());
                    }
                });
            self.settings.layout.definitions_width = Some(defs_panel.response.rect.width());
            self.desk.defs_rect = Some(defs_panel.response.rect);
        }
        // The log sits under the tabs only (the definitions run the full
        // height at their left): it may take at most half of that height,
        // so that the table and its buttons are never squeezed out, and
        // starts at no more than 40 % of it (35 % the first time).
        let column = ui.available_height();
        let log_max = (column * 0.5).max(120.0);
        let log_panel = egui::Panel::bottom("log")
            .resizable(true)
            .default_size(
                match self.settings.layout.log_height {
                    Some(h) => h.min(column * 0.4),
                    None => self.settings.layout.log_height().min(column * 0.35),
                }
                .clamp(120.0, log_max),
            )
            .size_range(120.0..=log_max)
            .show(ui, |ui| {
                let (log, model) = match self.past.as_mut() {
                    Some(p) => (&mut p.log, &p.model),
                    None => (&mut self.log, &self.model),
                };
                log.set_selection(&selected);
                log.ui(ui, model);
            });
        self.settings.layout.log_height = Some(log_panel.response.rect.height());
        self.desk.log_rect = Some(log_panel.response.rect);
        ui.input(|i| self.settings.layout.observe(i.viewport()));
        egui::CentralPanel::default().show(ui, |ui| {
            intents.extend(self.central(ui, &live_rows, &starting, &sample, now));
        });
        if let Some(i) = self.dialogs.prompt_ui(ui, self.defs.base_dir.clone()) {
            intents.push(i);
        }
        let out = self.export_dialog.ui(ui);
        intents.extend(out.intent);
        if let Some(dir) = out.browse {
            self.dialogs.pick(Target::Export, dir);
        }
        intents.extend(self.discard_dialog(ui));
        intents.extend(self.settings_dialog(ui));
        let confirmed = self.confirm_dialog(ui);
        self.shortcuts_window(ui);
        self.quit_dialog(ui);

        for i in self.gate(intents).into_iter().chain(confirmed) {
            self.apply(i);
        }
        super::keyboard::focus_ring(ui.ctx());

        if more {
            ui.ctx().request_repaint();
        } else if self.busy()
            || self.pools_active()
            || self.quit == QuitState::Stopping
            || !self.exports.is_empty()
        {
            // Runtimes, countdowns and CPU tick once a second; idle means no repaint.
            ui.ctx().request_repaint_after(Duration::from_secs(1));
        }
    }

    /// The tabs: processes, pools (of the live or the past session), history.
    fn central(
        &mut self,
        ui: &mut Ui,
        live_rows: &std::sync::Arc<Vec<processes::Row>>,
        starting: &HashSet<String>,
        sample: &super::stats::Sample,
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Vec<Intent> {
        let mut out = Vec::new();
        let (model, procs, pools, starting, past, past_log) = match self.past.as_mut() {
            Some(p) => (
                &p.model,
                &mut p.procs,
                &mut p.pools,
                HashSet::new(),
                true,
                Some((p.path.as_path(), &p.log)),
            ),
            None => (
                &self.model,
                &mut self.procs,
                &mut self.pools,
                starting.clone(),
                false,
                None,
            ),
        };
        let empty = super::stats::Sample::default();
        let sample = if past { &empty } else { sample };
        let cache = if past {
            &mut self.row_cache.past
        } else {
            &mut self.row_cache.live
        };
        let all_rows = if past {
            cache.all(model, &starting, sample, procs.sort, now)
        } else {
            live_rows.clone()
        };
        let fresh = |r: &processes::Row| super::row_cache::fresh(model, &starting, sample, now, r);
        ui.horizontal(|ui| {
            let n = all_rows.len();
            ui.selectable_value(&mut self.tab, Tab::Processes, format!("Processes ({n})"));
            let p = model.pools.len();
            ui.selectable_value(&mut self.tab, Tab::Pools, format!("Pools ({p})"));
            ui.selectable_value(&mut self.tab, Tab::Timeline, "Timeline")
                .on_hover_text("Every run and pool input over time, speedup, CPU and memory");
            if ui
                .selectable_label(self.tab == Tab::History, "History")
                .on_hover_text("Past sessions, from their journals")
                .clicked()
                && self.tab != Tab::History
            {
                out.push(Intent::ShowHistory);
            }
        });
        ui.separator();
        // The trees looked at: the expanded rows', and the Timeline's
        // selected process's (a past session has no live tree).
        let chosen = (self.tab == Tab::Timeline && !past)
            .then(|| self.pictures.chosen(past, &procs.selected))
            .flatten();
        let watched = super::tree_rows::watched(model, &procs.expanded, chosen.as_deref(), past);
        self.tree.watch(watched);
        procs.trees = procs
            .expanded
            .iter()
            .map(|n| (n.clone(), self.tree.rows(n)))
            .collect();
        match self.tab {
            Tab::Processes => {
                let rows = cache.shown(&procs.filter);
                procs.sparks.update(model);
                out.extend(self.desk.details(ui, model, procs, &rows, past_log, &fresh));
                out.extend(procs.ui(ui, &rows, all_rows.len(), &fresh));
                self.desk.shown = rows;
            }
            Tab::Pools => {
                // The workers' rows as they are now (their runtime, CPU
                // and memory); the pools' cards list them.
                let workers: Vec<processes::Row> =
                    all_rows.iter().filter(|r| r.is_worker()).map(&fresh).collect();
                out.extend(pools.ui(ui, model, &workers, now));
                self.desk.shown = Default::default();
            }
            Tab::Timeline => {
                self.desk.shown = Default::default();
                let tree = chosen.as_deref().map(|n| self.tree.rows(n)).unwrap_or_default();
                self.png.area = Some(ui.available_rect_before_wrap());
                out.extend(self.pictures.ui(ui, model, &procs.selected, now, past, &tree));
                // A bar clicked selects its process in the tables too.
                if let Some(name) = self.pictures.take_picked(past) {
                    procs.selected = std::iter::once(name).collect();
                }
            }
            Tab::History => {
                let viewing = self.past.as_ref().map(|p| p.path.clone());
                out.extend(self.history.ui(ui, self.journal.as_deref(), viewing.as_deref()));
            }
        }
        if past {
            // A past session is only looked at.
            out.retain(|i| !matches!(i, Intent::Send(_) | Intent::Restart(_) | Intent::ClearEnded));
        }
        out
    }

    fn update_title(&mut self, ui: &Ui) {
        let file = self
            .defs
            .path
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|f| format!(" \u{2014} {}", f.to_string_lossy()))
            .unwrap_or_default();
        let dirty = if self.defs.dirty { " *" } else { "" };
        let past = match &self.past {
            Some(p) => format!(" [past session {}]", p.started.as_deref().unwrap_or("")),
            None => String::new(),
        };
        let title = format!("Proctor{file}{dirty}{past}");
        if title != self.title {
            ui.send_viewport_cmd(ViewportCommand::Title(title.clone()));
            self.title = title;
        }
    }
}
