//! The process table: one row per process, live. `rows` turns the view
//! model into rows (filtered and sorted, testable, and reused by the CSV
//! export); `ProcessesView::ui` draws them with a virtualised table and
//! returns what the user asked for as intents.

use super::intent::Intent;
use super::keys::{shortcut_text, KeyAction};
use super::process_cells::{cell, details_cell};
use super::row_actions::action_menu;
pub(super) use super::row_actions::Action;
pub use super::rows::{rows, rows_csv, Col, Row, Sort, Status};
use super::tree_rows::{self, Item};
use crate::model::SessionModel;
use egui::{RichText, Sense, Ui};
use egui_extras::{Column, TableBuilder};
use std::collections::BTreeSet;

#[derive(Default)]
pub struct ProcessesView {
    pub filter: String,
    pub sort: Option<Sort>,
    pub selected: BTreeSet<String>,
    pub(super) anchor: Option<String>,
    /// The row the arrow keys move from (the last clicked or stepped to).
    pub(super) cursor: Option<String>,
    /// Scroll this row into view on the next frame.
    pub(super) reveal: Option<usize>,
    /// The details pane is hidden (Enter toggles it).
    pub hide_details: bool,
    /// In a narrow window the details open in a window of their own,
    /// asked for with Enter (Process ▸ Show or hide details).
    pub details_window: bool,
    /// Put the keyboard in the filter field on the next frame (Ctrl+F).
    pub focus_filter: bool,
    pub columns: super::columns::Columns,
    /// A past session: rows can be looked at, not acted on.
    pub read_only: bool,
    /// Each process's sparkline of CPU and memory (see `resources_plot`).
    pub sparks: super::resources_plot::Sparks,
    /// Rows expanded to their process tree (see `tree_rows`).
    pub expanded: BTreeSet<String>,
    /// The latest look at each expanded row's tree (set by the app).
    pub trees: std::collections::HashMap<String, Vec<super::tree_view::NodeRow>>,
    /// Where the table and its toolbar were drawn last frame (see `key_target`).
    pub table_rect: Option<egui::Rect>,
}

impl ProcessesView {
    /// For a past session: nothing to act on.
    pub fn read_only() -> Self {
        Self {
            read_only: true,
            ..Default::default()
        }
    }

    /// The selected names that are still listed.
    pub fn prune(&mut self, model: &SessionModel) {
        self.selected.retain(|n| model.row(n).is_some());
        self.expanded.retain(|n| model.row(n).is_some());
    }

    /// Draws the toolbar and the table of `rows` (of `total`); `fresh`
    /// gives a row as it is now (its runtime, countdown, CPU and memory),
    /// for the rows drawn.
    pub fn ui(
        &mut self,
        ui: &mut Ui,
        rows: &[Row],
        total: usize,
        fresh: &dyn Fn(&Row) -> Row,
    ) -> Vec<Intent> {
        self.table_rect = Some(ui.available_rect_before_wrap());
        let mut out = Vec::new();
        let dark = ui.visuals().dark_mode;
        ui.horizontal(|ui| {
            let filter = ui
                .add(
                    egui::TextEdit::singleline(&mut self.filter)
                        .hint_text("Filter processes")
                        .desired_width(if ui.available_width() < 600.0 {
                            130.0
                        } else {
                            200.0
                        }),
                )
                .accessible_name("Filter processes")
                .on_hover_text(format!(
                    "Filter processes ({})",
                    shortcut_text(KeyAction::FindProcess)
                ));
            if std::mem::take(&mut self.focus_filter) {
                filter.request_focus();
            }
            if !self.filter.is_empty() && ui.small_button("Clear filter").clicked() {
                self.filter.clear();
            }
            ui.weak(format!("{} of {total}", rows.len()));
            // Stays open while several columns are ticked; a click outside
            // or Escape closes it.
            egui::containers::menu::MenuButton::new("Columns")
                .config(
                    egui::containers::menu::MenuConfig::new()
                        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside),
                )
                .ui(ui, |ui| self.columns.chooser(ui))
                .0
                .on_hover_text("Choose the columns shown");
            if self.read_only {
                return;
            }
            ui.separator();
            let targets: Vec<&Row> = rows.iter().filter(|r| self.selected.contains(&r.name)).collect();
            ui.label(format!("{} selected", targets.len()));
            super::row_toolbar::toolbar(ui, &targets, &mut out);
        });
        ui.add_space(2.0);
        self.table(ui, rows, dark, fresh, &mut out);
        out
    }

    fn header_cell(&mut self, ui: &mut Ui, col: Col) {
        let mut title = col.title().to_string();
        if let Some(s) = self.sort.filter(|s| s.col == col) {
            title.push_str(if s.ascending { " \u{2191}" } else { " \u{2193}" });
        }
        let r = ui
            .add(egui::Label::new(RichText::new(title).strong()).sense(Sense::click()))
            .on_hover_text("Sort by this column");
        if r.clicked() {
            self.sort = match self.sort {
                Some(s) if s.col == col && s.ascending => Some(Sort {
                    col,
                    ascending: false,
                }),
                Some(s) if s.col == col => None,
                _ => Some(Sort { col, ascending: true }),
            };
        }
    }

    fn click_row(&mut self, ui: &Ui, rows: &[Row], i: usize) {
        let name = rows[i].name.clone();
        let m = ui.input(|i| i.modifiers);
        if m.shift {
            let a = self
                .anchor
                .as_ref()
                .and_then(|a| rows.iter().position(|r| &r.name == a))
                .unwrap_or(i);
            let (lo, hi) = (a.min(i), a.max(i));
            if !m.command {
                self.selected.clear();
            }
            self.selected.extend(rows[lo..=hi].iter().map(|r| r.name.clone()));
        } else if m.command {
            if !self.selected.remove(&name) {
                self.selected.insert(name.clone());
            }
            self.anchor = Some(name);
        } else {
            self.selected.clear();
            self.selected.insert(name.clone());
            self.anchor = Some(name.clone());
        }
        self.cursor = Some(rows[i].name.clone());
    }

    fn table(
        &mut self,
        ui: &mut Ui,
        rows: &[Row],
        dark: bool,
        fresh: &dyn Fn(&Row) -> Row,
        out: &mut Vec<Intent>,
    ) {
        if rows.is_empty() {
            ui.add_space(20.0);
            ui.vertical_centered(|ui| {
                ui.weak("No processes. Start a task or pool from the definitions, or use Start all.");
            });
            return;
        }
        let row_h = 22.0;
        let mut clicked = None;
        let spacing = ui.spacing().item_spacing.x;
        // No sideways scrolling: columns that do not fit give way (see
        // `columns`), so Name always shows.
        // The Host column only when something runs elsewhere.
        let hidden = if rows.iter().any(|r| r.host.is_some()) {
            std::borrow::Cow::Borrowed(&self.columns.hidden)
        } else {
            let mut h = self.columns.hidden.clone();
            h.insert(Col::Host);
            std::borrow::Cow::Owned(h)
        };
        let (cols, details, _) = super::columns::fit(&hidden, ui.available_width(), spacing);
        let mut tb = TableBuilder::new(ui)
            .id_salt("processes")
            .striped(true)
            .resizable(true)
            .sense(Sense::click())
            .auto_shrink([false, false])
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center));
        for &c in &cols {
            let w = super::columns::width(c);
            tb = tb.column(Column::initial(w).at_least(40.0).clip(true));
        }
        tb = tb.column(Column::exact(super::columns::ACTIONS_WIDTH));
        if details {
            tb = tb.column(
                Column::remainder()
                    .at_least(super::columns::DETAILS_MIN)
                    .clip(true),
            );
        }
        let trees = std::mem::take(&mut self.trees);
        let items = tree_rows::items(rows, &self.expanded, &trees);
        if let Some(i) = self.reveal.take().filter(|&i| i < rows.len()) {
            let at = items.iter().position(|x| *x == Item::Row(i)).unwrap_or(i);
            tb = tb.scroll_to_row(at, None);
        }
        let mut toggle = None;
        tb.header(24.0, |mut h| {
            for &c in &cols {
                h.col(|ui| self.header_cell(ui, c));
            }
            h.col(|_| {});
            if details {
                h.col(|ui| {
                    ui.strong("Details");
                });
            }
        })
        .body(|body| {
            body.rows(row_h, items.len(), |mut row| {
                let (i, node) = match items[row.index()] {
                    Item::Row(i) => (i, None),
                    Item::Node(i, k) => (i, trees.get(&rows[i].name).and_then(|t| t.get(k))),
                };
                let r = &rows[i];
                if let Some(n) = node {
                    // A process of an expanded row's tree: its buttons in
                    // the details column, else in a column it leaves empty.
                    let spot = tree_rows::button_spot(&cols, details);
                    for &c in &cols {
                        row.col(|ui| match spot {
                            Some(s) if s == c => {
                                ui.horizontal(|ui| tree_rows::node_actions(ui, &r.name, n, false, out));
                            }
                            _ => tree_rows::node_cell(ui, c, n, dark),
                        });
                    }
                    row.col(|ui| {
                        ui.menu_button("\u{2026}", |ui| {
                            tree_rows::node_actions(ui, &r.name, n, true, out)
                        })
                        .response
                        .on_hover_text(format!("Actions for pid {}", n.node.pid));
                    });
                    if details {
                        row.col(|ui| {
                            ui.horizontal(|ui| tree_rows::node_actions(ui, &r.name, n, false, out));
                        });
                    }
                    return;
                }
                // Only the rows drawn are brought up to date.
                let r = &fresh(r);
                row.set_selected(self.selected.contains(&r.name));
                for &c in &cols {
                    row.col(|ui| match c {
                        Col::OverTime => {
                            if let Some(pts) = self.sparks.of(&r.name) {
                                super::resources_plot::sparkline(ui, pts, 60.0);
                            }
                        }
                        Col::Name if !self.read_only => {
                            let open = self.expanded.contains(&r.name);
                            if (open || tree_rows::expandable(r)) && tree_rows::disclosure(ui, r, open) {
                                toggle = Some(r.name.clone());
                            }
                            cell(ui, c, r, dark);
                        }
                        c => cell(ui, c, r, dark),
                    });
                }
                row.col(|ui| {
                    ui.menu_button("\u{2026}", |ui| {
                        let targets = if self.selected.contains(&r.name) {
                            rows.iter().filter(|x| self.selected.contains(&x.name)).collect()
                        } else {
                            vec![r]
                        };
                        self.row_menu(ui, &targets, out);
                    })
                    .response
                    .on_hover_text(format!("Actions for {}", r.name));
                });
                if details {
                    row.col(|ui| details_cell(ui, r, dark));
                }
                let resp = row.response();
                if resp.clicked() && toggle.is_none() {
                    clicked = Some(i);
                }
                resp.context_menu(|ui| {
                    let targets = if self.selected.contains(&r.name) {
                        rows.iter().filter(|x| self.selected.contains(&x.name)).collect()
                    } else {
                        vec![r]
                    };
                    self.row_menu(ui, &targets, out);
                });
            });
        });
        if let Some(i) = clicked {
            self.click_row(ui, rows, i);
        }
        if let Some(name) = toggle {
            if !self.expanded.remove(&name) {
                self.expanded.insert(name);
            }
        }
        self.trees = trees;
    }
}

impl ProcessesView {
    /// The "…" and right-click menu: copying, then the actions (only
    /// "Show in log" for a past session).
    fn row_menu(&self, ui: &mut Ui, targets: &[&Row], out: &mut Vec<Intent>) {
        let pids: Vec<String> = targets
            .iter()
            .filter_map(|r| r.pid)
            .map(|p| p.to_string())
            .collect();
        let copy_pid = egui::Button::new(if pids.len() == 1 { "Copy PID" } else { "Copy PIDs" })
            .shortcut_text(shortcut_text(KeyAction::CopyPids));
        if ui.add_enabled(!pids.is_empty(), copy_pid).clicked() {
            ui.ctx().copy_text(pids.join("\n"));
            ui.close();
        }
        if ui.button("Copy name").clicked() {
            let names: Vec<&str> = targets.iter().map(|r| r.name.as_str()).collect();
            ui.ctx().copy_text(names.join("\n"));
            ui.close();
        }
        ui.separator();
        if self.read_only {
            if targets.len() == 1 && ui.button("Show in log").clicked() {
                out.push(Intent::ShowInLog(targets[0].name.clone()));
                ui.close();
            }
        } else {
            action_menu(ui, targets, out);
        }
    }
}
