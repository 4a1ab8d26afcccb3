//! File ▸ Export log… (Ctrl+E): the format, the whole session or only what
//! the log's filter shows, and the path: typed in the field, or picked
//! with the system dialog (Browse…) where there is one.

use super::intent::Intent;
use crate::journal::export::Format;
use egui::{RichText, Ui};
use std::path::{Path, PathBuf};

struct Form {
    format: Format,
    filtered: bool,
    /// Text and CSV without colour codes.
    plain: bool,
    path: String,
    /// The log's filter narrows it (else "only what the filter shows" is the same).
    filter_active: bool,
    shown: usize,
    /// Exporting a past session, not the live one.
    past: bool,
}

#[derive(Default)]
pub struct ExportDialog {
    form: Option<Form>,
}

impl ExportDialog {
    pub fn is_open(&self) -> bool {
        self.form.is_some()
    }
}

/// What the dialog asked for this frame.
#[derive(Default)]
pub struct DialogOut {
    pub intent: Option<Intent>,
    /// Open the system file dialog, starting here.
    pub browse: Option<PathBuf>,
}

impl ExportDialog {
    pub fn open(&mut self, dir: &Path, filter_active: bool, shown: usize, past: bool) {
        let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
        let format = self.form.as_ref().map_or(Format::JsonLines, |f| f.format);
        let path = dir.join(format!("proctor-log-{stamp}.{}", format.extension()));
        self.form = Some(Form {
            format,
            filtered: false,
            plain: self.form.as_ref().is_some_and(|f| f.plain),
            path: path.display().to_string(),
            filter_active,
            shown,
            past,
        });
    }

    /// A path picked in the system dialog.
    pub fn set_path(&mut self, p: &Path) {
        if let Some(f) = self.form.as_mut() {
            f.path = p.display().to_string();
            if let Some(fmt) = Format::from_path(p) {
                f.format = fmt;
            }
        }
    }

    pub fn ui(&mut self, ui: &mut Ui) -> DialogOut {
        let mut out = DialogOut::default();
        let Some(f) = self.form.as_mut() else {
            return out;
        };
        let mut close = false;
        egui::Modal::new(egui::Id::unique("export_dialog")).show(ui.ctx(), |ui| {
            ui.set_width(560.0);
            ui.heading(if f.past {
                "Export the past session's log"
            } else {
                "Export the event log"
            });
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                ui.label("Format");
                for fmt in Format::ALL {
                    if ui.radio_value(&mut f.format, fmt, fmt.label()).changed() {
                        f.path = with_extension(&f.path, fmt);
                    }
                }
            });
            ui.horizontal(|ui| {
                ui.label("Events");
                ui.radio_value(&mut f.filtered, false, "The whole session")
                    .on_hover_text("Every event, read from the session's journal");
                ui.add_enabled_ui(f.filter_active, |ui| {
                    ui.radio_value(&mut f.filtered, true, "Only what the filter shows")
                        .on_hover_text(
                            "The log's filters and search, applied to the whole journal",
                        )
                        .on_disabled_hover_text("The log is not filtered");
                });
            });
            if f.filtered {
                ui.weak(format!(
                    "{} in the window match; older matching events come from the journal.",
                    super::plural::count_usize(f.shown, "event")
                ));
            }
            ui.add_enabled_ui(f.format != Format::JsonLines, |ui| {
                ui.checkbox(&mut f.plain, "Without colour codes")
                    .on_hover_text("Remove the ANSI escape sequences children write from text and CSV")
                    .on_disabled_hover_text("JSON Lines keeps every byte as it was written");
            });
            ui.add_space(4.0);
            let mut go = false;
            ui.horizontal(|ui| {
                let l = ui.label("Export to");
                let r = ui
                    .add(
                        egui::TextEdit::singleline(&mut f.path)
                            .desired_width(360.0)
                            .font(egui::TextStyle::Monospace),
                    )
                    .labelled_by(l.id);
                if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                    go = true;
                }
                if ui
                    .button("Browse\u{2026}")
                    .on_hover_text("Choose the file with the system's file dialog")
                    .clicked()
                {
                    let p = PathBuf::from(f.path.trim());
                    out.browse = Some(p.parent().map(Path::to_path_buf).unwrap_or_default());
                }
            });
            ui.label(
                RichText::new("Written to a temporary file, then renamed: an earlier file is replaced only when the export is complete.")
                    .small()
                    .weak(),
            );
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let ok = !f.path.trim().is_empty();
                if ui.add_enabled(ok, egui::Button::new("Export")).clicked() {
                    go = true;
                }
                if ui.button("Cancel").clicked() {
                    close = true;
                }
            });
            if go && !f.path.trim().is_empty() {
                out.intent = Some(Intent::ExportLog {
                    path: PathBuf::from(f.path.trim()),
                    format: f.format,
                    filtered: f.filtered,
                    plain: f.plain && f.format != Format::JsonLines,
                });
                close = true;
            }
        });
        if close {
            self.form = None;
        }
        out
    }
}

/// `path` with the extension of `fmt` when it has one of the known ones.
fn with_extension(path: &str, fmt: Format) -> String {
    let p = PathBuf::from(path);
    if Format::from_path(&p).is_some() {
        p.with_extension(fmt.extension()).display().to_string()
    } else {
        path.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_follows_the_format_only_when_it_was_a_known_one() {
        assert_eq!(with_extension("/t/a.jsonl", Format::Csv), "/t/a.csv");
        assert_eq!(with_extension("/t/a.csv", Format::Text), "/t/a.txt");
        assert_eq!(with_extension("/t/notes", Format::Csv), "/t/notes");
    }
}
