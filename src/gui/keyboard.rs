//! What the keys in `keys.rs` do: the app's side of the shortcuts, the
//! shortcuts window (F1, Ctrl+?), and a focus ring drawn around whatever
//! has the keyboard, in both themes.

use super::app::{ProctorApp, Tab};
use super::intent::{Intent, PathPurpose};
use super::keys::{self, KeyAction};
use super::processes::{Action, Row};
use super::theme::{color, Tone};
use egui::{RichText, Ui};

impl ProctorApp {
    /// The shortcuts pressed this frame, as intents: each does what its
    /// menu entry does (`Intent::Do`).
    pub(super) fn handle_keys(&mut self, ui: &Ui) -> Vec<Intent> {
        self.close_on_escape(ui);
        let target = self.update_key_target(ui);
        keys::pressed(ui, target).into_iter().map(Intent::Do).collect()
    }

    /// Escape closes the topmost of the shortcuts window and the details
    /// window, unless a menu, a popup or a dialog takes it first, or a
    /// text field (which Escape leaves).
    fn close_on_escape(&mut self, ui: &Ui) {
        let ctx = ui.ctx();
        let dialog = self.desk.confirming.is_some()
            || self.settings_form.is_some()
            || self.pending_discard.is_some()
            || self.quit != super::app::QuitState::Idle
            || self.export_dialog.is_open();
        if dialog || ctx.any_popup_open() || ctx.egui_wants_keyboard_input() {
            return;
        }
        let details = self.tab == Tab::Processes && self.view_procs().details_window;
        if !self.desk.show_shortcuts && !details {
            return;
        }
        if !ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Escape)) {
            return;
        }
        if self.desk.show_shortcuts {
            self.desk.show_shortcuts = false;
        } else {
            let v = self.view_procs();
            v.details_window = false;
            v.hide_details = true;
        }
    }

    /// Carries out an action of the menus and the keys. Row actions apply
    /// to the rows selected among those shown last frame.
    pub(super) fn do_action(&mut self, a: KeyAction) {
        let rows = std::mem::take(&mut self.desk.shown);
        let intents = self.action_intents(a, &rows);
        self.desk.shown = rows;
        for i in intents {
            self.apply(i);
        }
    }

    fn action_intents(&mut self, a: KeyAction, rows: &[Row]) -> Vec<Intent> {
        let mut out = Vec::new();
        match a {
            KeyAction::NewSession => out.push(Intent::NewSession),
            KeyAction::OpenSession => out.push(Intent::AskPath(PathPurpose::OpenSession)),
            KeyAction::SaveSession => out.push(match &self.defs.path {
                Some(p) => Intent::SaveSession(p.clone()),
                None => Intent::AskPath(PathPurpose::SaveSession),
            }),
            KeyAction::ExportLog => out.push(Intent::ShowExportDialog),
            KeyAction::Quit => out.push(Intent::Quit),
            KeyAction::Shortcuts => self.desk.show_shortcuts = !self.desk.show_shortcuts,
            KeyAction::UndoRemove => out.push(Intent::UndoRemove),
            _ if self.tab != Tab::Processes => {}
            KeyAction::FindProcess => self.view_procs().focus_filter = true,
            KeyAction::ToggleDetails => {
                // Beside the table: shown or hidden. In a narrow window:
                // a window of its own, opened or closed.
                let v = self.view_procs();
                v.details_window = !v.details_window;
                v.hide_details = !v.details_window;
            }
            KeyAction::SelectAll => self.view_procs().select_all(rows),
            KeyAction::SelectUp => self.view_procs().step(rows, -1, false),
            KeyAction::SelectDown => self.view_procs().step(rows, 1, false),
            KeyAction::ExtendUp => self.view_procs().step(rows, -1, true),
            KeyAction::ExtendDown => self.view_procs().step(rows, 1, true),
            KeyAction::CopyPids => {
                let pids: Vec<String> = self
                    .view_procs()
                    .selected_rows(rows)
                    .filter_map(|r| r.pid)
                    .map(|p| p.to_string())
                    .collect();
                copy_lines(&self.ctx, pids);
            }
            KeyAction::CopyCommands => {
                let names: Vec<Row> = self.view_procs().selected_rows(rows).cloned().collect();
                let cmds = names.iter().map(|r| self.command_of(r)).collect();
                copy_lines(&self.ctx, cmds);
            }
            KeyAction::Terminate => out.extend(self.row_action(rows, Action::Terminate)),
            KeyAction::Kill => out.extend(self.row_action(rows, Action::Kill)),
            KeyAction::Pause => out.extend(self.row_action(rows, Action::Pause)),
            KeyAction::Resume => out.extend(self.row_action(rows, Action::Resume)),
            KeyAction::Restart => out.extend(self.row_action(rows, Action::Restart)),
        }
        out
    }

    /// The command line a row was started with.
    fn command_of(&self, r: &Row) -> String {
        let model = self.past.as_ref().map_or(&self.model, |p| &p.model);
        model
            .row(&r.name)
            .map(|m| m.command.clone())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| r.details.clone())
    }

    pub(super) fn view_procs(&mut self) -> &mut super::processes::ProcessesView {
        match self.past.as_mut() {
            Some(p) => &mut p.procs,
            None => &mut self.procs,
        }
    }

    /// The intents a row action gives for the selected rows (none for a
    /// past session, which is only looked at).
    fn row_action(&mut self, rows: &[Row], a: Action) -> Vec<Intent> {
        if self.past.is_some() {
            return Vec::new();
        }
        self.procs
            .selected_rows(rows)
            .filter(|r| a.applies(r))
            .map(|r| a.intent(&r.name))
            .collect()
    }

    /// The shortcuts window, listing `keys::BINDINGS`.
    pub(super) fn shortcuts_window(&mut self, ui: &Ui) {
        let mut open = self.desk.show_shortcuts;
        // Never taller than the window: the list scrolls at 800×600.
        let max_h = (ui.ctx().content_rect().height() - 80.0).max(160.0);
        egui::Window::new("Keyboard shortcuts")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .max_height(max_h)
            .vscroll(true)
            .show(ui.ctx(), |ui| {
                let mut group = "";
                egui::Grid::new("shortcuts_grid")
                    .num_columns(2)
                    .spacing([18.0, 4.0])
                    .show(ui, |ui| {
                        for (g, keys, what) in keys::listing() {
                            if g != group {
                                group = g;
                                ui.label(RichText::new(g).strong());
                                ui.end_row();
                            }
                            ui.label(RichText::new(keys).monospace());
                            ui.label(what);
                            ui.end_row();
                        }
                    });
            });
        self.desk.show_shortcuts = open;
    }
}

/// Puts `lines` on the clipboard, one a line (nothing if empty).
pub fn copy_lines(ctx: &egui::Context, lines: Vec<String>) {
    if !lines.is_empty() {
        ctx.copy_text(lines.join("\n"));
    }
}

/// A 2-point ring around the widget that has the keyboard focus, in a
/// colour that stands out on both themes' backgrounds.
pub fn focus_ring(ctx: &egui::Context) {
    let Some(id) = ctx.memory(|m| m.focused()) else {
        return;
    };
    let Some(r) = ctx.read_response(id) else {
        return;
    };
    // The part of it that is shown (a scroll area may hide the rest), in
    // its own layer, so windows above it still cover the ring.
    let rect = r.interact_rect;
    if !rect.is_finite() || rect.area() <= 0.0 {
        return;
    }
    let dark = ctx.global_style().visuals.dark_mode;
    let painter = ctx.layer_painter(r.layer_id);
    painter.rect_stroke(
        rect.expand(1.0),
        4.0,
        egui::Stroke::new(2.0, color(dark, Tone::Running)),
        egui::StrokeKind::Outside,
    );
}
