//! View ▸ Settings…: the log window, the journals' total size, whether
//! mass actions ask first, and desktop notifications. Numbers are typed as
//! text and checked: a value out of range is said under its field and
//! blocks Save (a drag value clamped 50 to 1,000 without a word).

use super::app::ProctorApp;
use super::intent::Intent;
use super::settings::Settings;
use super::theme::{color, Tone};
use egui::{RichText, Ui};

/// The least and most events the log view may keep.
pub const LOG_WINDOW_RANGE: (u64, u64) = (1_000, 50_000_000);
/// The least and most MiB of journals.
pub const JOURNAL_MB_RANGE: (u64, u64) = (1, 1_000_000);

/// The dialog's draft: the settings, with the numbers as typed.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingsForm {
    pub base: Settings,
    pub log_window: String,
    pub journal_max_mb: String,
}

/// `text` as a whole number within `range`, or why not (with the range).
pub fn parse_in_range(text: &str, (low, high): (u64, u64)) -> Result<u64, String> {
    let t: String = text.trim().chars().filter(|c| *c != ',' && *c != '_').collect();
    match t.parse::<u64>() {
        Ok(n) if n < low => Err(format!("at least {} (it was {n})", group(low))),
        Ok(n) if n > high => Err(format!("at most {} (it was {n})", group(high))),
        Ok(n) => Ok(n),
        Err(_) if t.is_empty() => Err("a number is needed".into()),
        Err(_) => Err(format!("not a whole number: {}", text.trim())),
    }
}

/// 1000000 as "1,000,000".
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl SettingsForm {
    pub fn new(s: &Settings) -> Self {
        Self {
            base: s.clone(),
            log_window: s.log_window.to_string(),
            journal_max_mb: s.journal_max_mb.to_string(),
        }
    }

    /// The settings the form holds, or each problem by field.
    pub fn checked(&self) -> Result<Settings, (Option<String>, Option<String>)> {
        let log = parse_in_range(&self.log_window, LOG_WINDOW_RANGE);
        let mb = parse_in_range(&self.journal_max_mb, JOURNAL_MB_RANGE);
        match (log, mb) {
            (Ok(l), Ok(m)) => Ok(Settings {
                log_window: usize::try_from(l).unwrap_or(usize::MAX),
                journal_max_mb: m,
                ..self.base.clone()
            }),
            (l, m) => Err((l.err(), m.err())),
        }
    }
}

impl ProctorApp {
    pub(super) fn settings_dialog(&mut self, ui: &mut Ui) -> Vec<Intent> {
        let mut out = Vec::new();
        let dark = ui.visuals().dark_mode;
        let journals = self.dirs.journals.display().to_string();
        let Some(form) = self.settings_form.as_mut() else {
            return out;
        };
        let mut close = false;
        let checked = form.checked();
        let (log_err, mb_err) = match &checked {
            Ok(_) => (None, None),
            Err((a, b)) => (a.clone(), b.clone()),
        };
        let problem = |ui: &mut Ui, msg: &Option<String>| {
            // The line is always there, so fields never move under the pointer.
            let text = msg
                .as_deref()
                .map(|m| format!("\u{25b2} {m}"))
                .unwrap_or_default();
            ui.label(RichText::new(text).small().color(color(dark, Tone::Failure)));
        };
        egui::Modal::new(egui::Id::unique("settings_dialog")).show(ui.ctx(), |ui| {
            ui.set_width(520.0);
            ui.heading("Settings");
            ui.add_space(6.0);
            egui::Grid::new("settings_grid")
                .num_columns(2)
                .spacing([12.0, 4.0])
                .show(ui, |ui| {
                    let l = ui.label("Events kept for the log view");
                    ui.add(egui::TextEdit::singleline(&mut form.log_window).desired_width(120.0))
                        .labelled_by(l.id)
                        .on_hover_text(format!(
                            "{} to {}; older events stay in the journal, and exports read it",
                            group(LOG_WINDOW_RANGE.0),
                            group(LOG_WINDOW_RANGE.1)
                        ));
                    ui.end_row();
                    ui.label("");
                    problem(ui, &log_err);
                    ui.end_row();
                    let l = ui.label("Journals kept, in all (MiB)");
                    ui.add(egui::TextEdit::singleline(&mut form.journal_max_mb).desired_width(120.0))
                        .labelled_by(l.id)
                        .on_hover_text("Beyond this, the oldest journals are removed first");
                    ui.end_row();
                    ui.label("");
                    problem(ui, &mb_err);
                    ui.end_row();
                    ui.label("Journal folder");
                    ui.label(RichText::new(&journals).monospace());
                    ui.end_row();
                    ui.label("Confirmations");
                    ui.checkbox(
                        &mut form.base.confirm,
                        "Ask before Terminate all, Kill all, Cancel rest and Remove",
                    );
                    ui.end_row();
                    ui.label("Notifications");
                    ui.checkbox(
                        &mut form.base.notifications,
                        "Desktop notifications while the window is in the background",
                    )
                    .on_hover_text("When a task fails, a pool finishes or leftovers are found");
                    ui.end_row();
                });
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let save = ui
                    .add_enabled(checked.is_ok(), egui::Button::new("Save settings"))
                    .on_disabled_hover_text("Fix the values marked in red first");
                if save.clicked() {
                    if let Ok(s) = &checked {
                        out.push(Intent::ApplySettings(s.clone()));
                        close = true;
                    }
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
        });
        if close {
            self.settings_form = None;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_out_of_range_are_refused_with_the_range_not_clamped() {
        assert_eq!(parse_in_range("5000", LOG_WINDOW_RANGE), Ok(5000));
        assert_eq!(parse_in_range(" 1,000,000 ", LOG_WINDOW_RANGE), Ok(1_000_000));
        let e = parse_in_range("50", LOG_WINDOW_RANGE).unwrap_err();
        assert!(e.contains("at least 1,000") && e.contains("50"), "{e}");
        let e = parse_in_range("99999999999", LOG_WINDOW_RANGE).unwrap_err();
        assert!(e.contains("at most 50,000,000"), "{e}");
        assert!(parse_in_range("-3", JOURNAL_MB_RANGE).is_err());
        assert!(parse_in_range("", JOURNAL_MB_RANGE).is_err());
        assert!(parse_in_range("1e9", JOURNAL_MB_RANGE).is_err());
        assert!(parse_in_range("184467440737095516150", JOURNAL_MB_RANGE).is_err());
        assert_eq!(group(50_000_000), "50,000,000");
        assert_eq!(group(999), "999");
    }

    #[test]
    fn the_form_keeps_other_settings_and_reports_each_field() {
        let s = Settings {
            theme: "dark".into(),
            ..Default::default()
        };
        let mut f = SettingsForm::new(&s);
        f.log_window = "2000".into();
        let ok = f.checked().unwrap();
        assert_eq!(ok.log_window, 2000);
        assert_eq!(ok.theme, "dark");
        f.log_window = "5".into();
        f.journal_max_mb = "0".into();
        let (a, b) = f.checked().unwrap_err();
        assert!(a.is_some() && b.is_some());
    }
}
