//! The row actions above the process table (Terminate, Kill, Pause,
//! Resume, Send signal, Restart, Start again): as many as fit the width
//! as buttons, the rest in a "More" menu, so none is ever cut off.

use super::intent::Intent;
use super::keys::{shortcut_text, KeyAction};
use super::processes::{Action, Row};
use crate::session::signal::COMMON_SIGNALS;
use egui::Ui;

struct Entry {
    action: Option<Action>,
    label: &'static str,
    hint: &'static str,
    key: Option<KeyAction>,
}

const ENTRIES: [Entry; 7] = [
    Entry {
        action: Some(Action::Terminate),
        label: "Terminate",
        hint: "Stop signal, then SIGKILL after the stop timeout",
        key: Some(KeyAction::Terminate),
    },
    Entry {
        action: Some(Action::Kill),
        label: "Kill",
        hint: "SIGKILL now",
        key: Some(KeyAction::Kill),
    },
    Entry {
        action: Some(Action::Pause),
        label: "Pause",
        hint: "SIGSTOP to the whole tree",
        key: Some(KeyAction::Pause),
    },
    Entry {
        action: Some(Action::Resume),
        label: "Resume",
        hint: "SIGCONT to the whole tree",
        key: Some(KeyAction::Resume),
    },
    // Send signal: a menu of signals.
    Entry {
        action: None,
        label: "Send signal",
        hint: "Send one signal",
        key: None,
    },
    Entry {
        action: Some(Action::Restart),
        label: "Restart",
        hint: "Terminate, then start it again",
        key: Some(KeyAction::Restart),
    },
    Entry {
        action: Some(Action::StartAgain),
        label: "Start again",
        hint: "Start an ended process again",
        key: None,
    },
];

/// How many of `widths` fit in `available` when a "More" button of
/// `more` is needed for the rest (none is needed if all fit).
pub fn how_many_fit(widths: &[f32], available: f32, more: f32) -> usize {
    let total: f32 = widths.iter().sum();
    if total <= available {
        return widths.len();
    }
    let mut used = more;
    widths
        .iter()
        .take_while(|w| {
            used += **w;
            used <= available
        })
        .count()
}

fn button_width(ui: &Ui, label: &str) -> f32 {
    let galley = egui::WidgetText::from(label).into_galley(
        ui,
        Some(egui::TextWrapMode::Extend),
        f32::INFINITY,
        egui::TextStyle::Button,
    );
    galley.size().x + 2.0 * ui.spacing().button_padding.x + ui.spacing().item_spacing.x
}

/// The buttons for `targets`, each enabled when it applies to one of them.
pub fn toolbar(ui: &mut Ui, targets: &[&Row], out: &mut Vec<Intent>) {
    let widths: Vec<f32> = ENTRIES.iter().map(|e| button_width(ui, e.label)).collect();
    let more_w = button_width(ui, "More \u{25be}");
    let n = how_many_fit(&widths, ui.available_width(), more_w);
    for e in &ENTRIES[..n] {
        entry(ui, e, targets, out, false);
    }
    if n < ENTRIES.len() {
        ui.menu_button("More \u{25be}", |ui| {
            for e in &ENTRIES[n..] {
                entry(ui, e, targets, out, true);
            }
        })
        .response
        .on_hover_text("More actions for the selected processes");
    }
}

fn entry(ui: &mut Ui, e: &Entry, targets: &[&Row], out: &mut Vec<Intent>, in_menu: bool) {
    let Some(a) = e.action else {
        let any_alive = targets.iter().any(|r| r.status.is_alive());
        ui.add_enabled_ui(any_alive, |ui| {
            ui.menu_button(e.label, |ui| {
                for &s in COMMON_SIGNALS {
                    if ui
                        .button(s.as_str())
                        .on_hover_text("Send this signal once")
                        .clicked()
                    {
                        let a = Action::Signal(s);
                        out.extend(targets.iter().filter(|r| a.applies(r)).map(|r| a.intent(&r.name)));
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text(e.hint);
        });
        return;
    };
    let n = targets.iter().filter(|r| a.applies(r)).count();
    let mut b = egui::Button::new(e.label);
    if in_menu {
        if let Some(k) = e.key {
            b = b.shortcut_text(shortcut_text(k));
        }
    }
    let hint = match e.key {
        Some(k) => format!("{} ({})", e.hint, shortcut_text(k)),
        None => e.hint.to_string(),
    };
    if ui.add_enabled(n > 0, b).on_hover_text(hint).clicked() {
        out.extend(targets.iter().filter(|r| a.applies(r)).map(|r| a.intent(&r.name)));
        if in_menu {
            ui.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::how_many_fit;

    #[test]
    fn what_does_not_fit_goes_to_the_more_menu() {
        let w = [80.0, 50.0, 60.0, 70.0];
        assert_eq!(how_many_fit(&w, 1000.0, 60.0), 4, "all fit: no More");
        assert_eq!(how_many_fit(&w, 260.0, 60.0), 4);
        assert_eq!(how_many_fit(&w, 259.0, 60.0), 3, "room kept for More");
        assert_eq!(how_many_fit(&w, 249.0, 60.0), 2);
        assert_eq!(how_many_fit(&w, 100.0, 60.0), 0);
        assert_eq!(how_many_fit(&w, f32::NAN, 60.0), 0);
        assert_eq!(how_many_fit(&[], 0.0, 60.0), 0);
    }
}
