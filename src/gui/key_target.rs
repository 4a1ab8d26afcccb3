//! Which panel the keys belong to: the last one clicked. Delete, the
//! arrows, Ctrl+A and Ctrl+C act on the process table only when it was
//! clicked last; Ctrl+C copies the picked log lines when the log was.

use super::app::ProctorApp;
use egui::{Pos2, Rect, Ui};

/// The panel the last click landed in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KeyTarget {
    /// The process table (as when the app starts).
    #[default]
    Table,
    Log,
    Elsewhere,
}

/// Where the panels were drawn last frame.
#[derive(Clone, Copy, Debug, Default)]
pub struct Panels {
    pub table: Option<Rect>,
    pub log: Option<Rect>,
    pub definitions: Option<Rect>,
}

/// The target of a click at `at`; `None` (unchanged) for the menu bar,
/// the toolbar and the status bar.
pub fn target_of(at: Pos2, p: Panels) -> Option<KeyTarget> {
    let within = |r: Option<Rect>| r.is_some_and(|r| r.contains(at));
    if within(p.table) {
        Some(KeyTarget::Table)
    } else if within(p.log) {
        Some(KeyTarget::Log)
    } else if within(p.definitions) {
        Some(KeyTarget::Elsewhere)
    } else {
        None
    }
}

impl ProctorApp {
    /// Follows this frame's click; copies the picked log lines on Ctrl+C
    /// when the log has the keys. True when the table has them.
    pub(super) fn update_key_target(&mut self, ui: &Ui) -> bool {
        let press = ui.input(|i| {
            if i.pointer.any_pressed() {
                i.pointer.press_origin()
            } else {
                None
            }
        });
        // A click in a popup, a menu or a window (above the panels) leaves
        // the target as it was.
        let on_panels = |at: Pos2| {
            ui.ctx()
                .layer_id_at(at)
                .is_none_or(|l| l.order == egui::Order::Background)
        };
        if let Some(at) = press.filter(|&at| on_panels(at) && !ui.ctx().any_popup_open()) {
            let panels = Panels {
                table: self.view_procs().table_rect,
                log: self.desk.log_rect,
                definitions: self.desk.defs_rect,
            };
            if let Some(t) = target_of(at, panels) {
                self.desk.key_target = t;
            }
        }
        let typing = ui.ctx().egui_wants_keyboard_input();
        if self.desk.key_target == KeyTarget::Log && !typing {
            let log = match self.past.as_ref() {
                Some(p) => &p.log,
                None => &self.log,
            };
            let text = log.picked_text();
            let copied = ui.input_mut(|i| {
                let at = i.events.iter().position(|e| matches!(e, egui::Event::Copy));
                let event = at.map(|at| i.events.remove(at)).is_some();
                event || i.consume_key(egui::Modifiers::COMMAND, egui::Key::C)
            });
            if copied && !text.is_empty() {
                ui.ctx().copy_text(text);
            }
        }
        self.desk.key_target == KeyTarget::Table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_click_goes_to_the_panel_under_it() {
        let r = |x0, y0, x1, y1| Some(Rect::from_min_max(Pos2::new(x0, y0), Pos2::new(x1, y1)));
        let p = Panels {
            table: r(300.0, 100.0, 800.0, 400.0),
            log: r(300.0, 400.0, 800.0, 600.0),
            definitions: r(0.0, 60.0, 300.0, 600.0),
        };
        let at = |x, y| target_of(Pos2::new(x, y), p);
        assert_eq!(at(500.0, 200.0), Some(KeyTarget::Table));
        assert_eq!(at(500.0, 500.0), Some(KeyTarget::Log));
        assert_eq!(at(100.0, 200.0), Some(KeyTarget::Elsewhere));
        assert_eq!(at(100.0, 10.0), None, "the menu bar leaves it");
    }
}
