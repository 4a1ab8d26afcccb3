//! Lines picked in the event log (click, Ctrl+click, Shift+click), what
//! the log's right-click menu copies, and the Show list's search.

use super::log::{Log, ProcessFilter};
use crate::event::Event;
use crate::model::SessionModel;
use egui::Ui;
use std::collections::BTreeSet;

/// The log's picked lines (absolute event indices) and the last one
/// clicked (Shift+click extends from it).
#[derive(Clone, Debug, Default)]
pub struct Picked {
    pub lines: BTreeSet<u64>,
    pub anchor: Option<u64>,
    /// The text typed in the Show list's search.
    pub find: String,
}

/// The Show list gets a search box from this many names on.
pub const SEARCH_FROM: usize = 8;

/// One line as copied: time with date and offset, process, kind, text
/// (colour sequences removed).
pub fn copy_text(e: &Event) -> String {
    let who = e.process.as_deref().or(e.pool.as_deref()).unwrap_or("proctor");
    let input = e.input.map(|i| format!(" #{i}")).unwrap_or_default();
    format!(
        "{} {who}{input} {}: {}",
        e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
        e.kind.name(),
        super::ansi::strip(&e.text())
    )
}

impl Log {
    /// A click on the shown line `abs` with `m` held.
    pub fn pick(&mut self, abs: u64, m: egui::Modifiers) {
        let p = &mut self.picked;
        if m.shift {
            let a = p.anchor.unwrap_or(abs);
            let (lo, hi) = (a.min(abs), a.max(abs));
            if !m.command {
                p.lines.clear();
            }
            let shown: Vec<u64> = self.shown_indices().filter(|i| (lo..=hi).contains(i)).collect();
            self.picked.lines.extend(shown);
        } else if m.command {
            if !p.lines.remove(&abs) {
                p.lines.insert(abs);
            }
            p.anchor = Some(abs);
        } else {
            p.lines.clear();
            p.lines.insert(abs);
            p.anchor = Some(abs);
        }
    }

    /// The picked lines still kept, oldest first, as copied.
    pub fn picked_text(&self) -> String {
        let lines: Vec<String> = self
            .picked
            .lines
            .iter()
            .filter_map(|&a| self.get(a))
            .map(|e| copy_text(&e))
            .collect();
        lines.join("\n")
    }

    /// The right-click menu of the line `abs`; the process to show only,
    /// if that was chosen.
    pub(super) fn line_menu(&self, ui: &mut Ui, abs: u64) -> Option<String> {
        let e = self.get(abs)?;
        let line = copy_text(&e);
        let text = super::ansi::strip(&e.text());
        let who = e.process.clone().or(e.pool.clone());
        if ui.button("Copy line").clicked() {
            ui.ctx().copy_text(line);
            ui.close();
        }
        if ui.button("Copy text only").clicked() {
            ui.ctx().copy_text(text);
            ui.close();
        }
        let n = self.picked.lines.len();
        if n > 1 && ui.button(format!("Copy {} picked lines", n)).clicked() {
            ui.ctx().copy_text(self.picked_text());
            ui.close();
        }
        let w = who?;
        ui.separator();
        if ui.button(format!("Show only {w}")).clicked() {
            ui.close();
            return Some(w);
        }
        None
    }

    /// The Show list: every process and pool (natural order), with a
    /// search box when there are many.
    pub(super) fn show_list(&mut self, ui: &mut Ui, model: &SessionModel) {
        let mut chose = ui
            .selectable_value(&mut self.process, ProcessFilter::All, "All processes")
            .clicked();
        chose |= ui
            .selectable_value(&mut self.process, ProcessFilter::Selected, "Selected in table")
            .clicked();
        let mut names: Vec<&String> = model
            .pools
            .iter()
            .map(|p| &p.name)
            .chain(model.processes.iter().map(|r| &r.name))
            .collect();
        names.sort_by(|a, b| super::natural::natural_cmp(a, b));
        names.dedup();
        if names.len() >= SEARCH_FROM {
            ui.add(
                egui::TextEdit::singleline(&mut self.picked.find)
                    .hint_text("Find a process")
                    .desired_width(f32::INFINITY),
            )
            .accessible_name("Find a process");
        }
        let needle = self.picked.find.trim().to_lowercase();
        let mut shown = 0;
        egui::ScrollArea::vertical().max_height(320.0).show(ui, |ui| {
            for n in names
                .iter()
                .filter(|n| needle.is_empty() || n.to_lowercase().contains(&needle))
            {
                shown += 1;
                chose |= ui
                    .selectable_value(&mut self.process, ProcessFilter::One((*n).clone()), n.as_str())
                    .clicked();
            }
        });
        if shown == 0 {
            ui.weak("No process matches.");
        }
        if chose {
            self.picked.find.clear();
            ui.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    #[test]
    fn a_copied_line_has_the_full_time_and_no_colour_codes() {
        let e = Event::now(EventKind::stdout("\u{1b}[31mred\u{1b}[0m")).process("w", Some(3));
        let t = copy_text(&e);
        assert!(t.ends_with(" w stdout: red"), "{t}");
        let time = t.split(' ').next().unwrap();
        assert!(chrono::DateTime::parse_from_rfc3339(time).is_ok(), "{time}");
    }

    #[test]
    fn clicks_pick_and_shift_clicks_extend() {
        let mut log = Log::with_capacity(100);
        for i in 0..5 {
            log.push(Event::now(EventKind::stdout(format!("l{i}"))).process("a", Some(1)));
        }
        log.refilter();
        log.pick(1, egui::Modifiers::NONE);
        log.pick(3, egui::Modifiers::SHIFT);
        assert_eq!(log.picked.lines.iter().copied().collect::<Vec<_>>(), [1, 2, 3]);
        log.pick(2, egui::Modifiers::COMMAND);
        assert_eq!(log.picked.lines.iter().copied().collect::<Vec<_>>(), [1, 3]);
        let text = log.picked_text();
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains("l1") && text.contains("l3"));
    }
}
