//! The forms for a task and a pool: one row per field of the session file,
//! each input named by its label, and each problem shown under its field.

use super::forms::{stop_signals, Errors, TaskDraft};
use super::theme::{color, Tone};
use crate::session::RestartPolicy;
use egui::{Response, RichText, TextEdit, Ui};
use std::collections::BTreeMap;

/// A field that wants a path picked with a file dialog.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickField {
    Cwd,
    InputsFile,
}

#[derive(Default)]
pub struct FormOut {
    pub changed: bool,
    pub browse: Option<PickField>,
}

pub(super) struct Form<'e> {
    pub(super) errors: Option<&'e Errors>,
    /// Fields that have shown a problem since this definition was
    /// selected: their problem line stays (blank once fixed), so the fields
    /// below never move under the pointer as problems come and go.
    pub(super) reserved: &'e mut BTreeMap<String, f32>,
    pub(super) dark: bool,
    pub(super) out: FormOut,
}

impl Form<'_> {
    /// One labelled row; `key` names the field whose problem is shown under it.
    pub(super) fn row(
        &mut self,
        ui: &mut Ui,
        label: &str,
        help: &str,
        key: &str,
        add: impl FnOnce(&mut Ui) -> Response,
    ) {
        let l = ui.label(label).on_hover_text(help);
        let r = ui.horizontal(|ui| ui.label_inputs_by(l.id, add)).inner;
        if r.changed() {
            self.out.changed = true;
        }
        ui.end_row();
        self.error_row(ui, key);
    }

    pub(super) fn error_row(&mut self, ui: &mut Ui, key: &str) {
        if key.is_empty() {
            return;
        }
        let msg = self.errors.and_then(|e| e.get(key));
        let Some(&min_h) = self.reserved.get(key).or(msg.map(|_| &0.0)) else {
            return;
        };
        ui.label("");
        // At least as tall as the tallest problem this field has shown,
        // blank once fixed; wrapped, so a long one cannot widen the panel.
        let w = ui.available_width().max(60.0);
        let dark = self.dark;
        let r = ui.allocate_ui_with_layout(
            egui::vec2(w, min_h),
            egui::Layout::top_down(egui::Align::Min),
            |ui| {
                ui.set_min_height(min_h);
                if let Some(m) = msg {
                    ui.add(
                        egui::Label::new(
                            RichText::new(format!("\u{25b2} {m}")).color(color(dark, Tone::Failure)),
                        )
                        .wrap(),
                    );
                }
            },
        );
        self.reserved
            .insert(key.to_string(), min_h.max(r.response.rect.height()));
        ui.end_row();
    }

    pub(super) fn text(
        &mut self,
        ui: &mut Ui,
        label: &str,
        help: &str,
        key: &str,
        value: &mut String,
        mono: bool,
    ) {
        self.row(ui, label, help, key, |ui| {
            // A stable id: the field keeps the keyboard whatever is drawn
            // before it (an auto id changed when the "edited" hint came).
            let mut edit = TextEdit::singleline(value)
                .id_salt(("form_text", label))
                .desired_width(f32::INFINITY);
            if mono {
                edit = edit.font(egui::TextStyle::Monospace);
            }
            ui.add(edit)
        });
    }

    pub(super) fn number(
        &mut self,
        ui: &mut Ui,
        label: &str,
        help: &str,
        key: &str,
        value: &mut String,
        unit: &str,
    ) {
        self.row(ui, label, help, key, |ui| {
            let r = ui.add(
                TextEdit::singleline(value)
                    .id_salt(("form_number", label))
                    .desired_width(80.0)
                    .font(egui::TextStyle::Monospace),
            );
            if !unit.is_empty() {
                ui.weak(unit);
            }
            r
        });
    }

    pub(super) fn check(&mut self, ui: &mut Ui, label: &str, help: &str, value: &mut bool, text: &str) {
        self.row(ui, label, help, "", |ui| ui.checkbox(value, text));
    }

    pub(super) fn cwd(&mut self, ui: &mut Ui, value: &mut String) {
        let mut browse = false;
        self.row(
            ui,
            "Working folder",
            "Relative to the session file's folder; empty: that folder.",
            "cwd",
            |ui| {
                let r = ui.add(
                    TextEdit::singleline(value)
                        .id_salt("form_cwd")
                        .desired_width((ui.available_width() - 100.0).max(60.0))
                        .hint_text("(session folder)"),
                );
                if ui
                    .button("Browse\u{2026}")
                    .on_hover_text("Pick a folder")
                    .clicked()
                {
                    browse = true;
                }
                r
            },
        );
        if browse {
            self.out.browse = Some(PickField::Cwd);
        }
    }

    pub(super) fn env(&mut self, ui: &mut Ui, env: &mut Vec<(String, String)>) {
        let l = ui
            .label("Environment")
            .on_hover_text("Variables added to Proctor's own environment.");
        let mut remove = None;
        ui.vertical(|ui| {
            for (i, (k, v)) in env.iter_mut().enumerate() {
                ui.horizontal(|ui| {
                    let kr = ui.add(
                        TextEdit::singleline(k)
                            .id_salt(("env_name", i))
                            .desired_width(110.0)
                            .hint_text("NAME")
                            .font(egui::TextStyle::Monospace),
                    );
                    ui.label("=");
                    let vr = ui.add(
                        TextEdit::singleline(v)
                            .id_salt(("env_value", i))
                            .desired_width((ui.available_width() - 40.0).max(60.0))
                            .hint_text("value")
                            .font(egui::TextStyle::Monospace),
                    );
                    if kr.changed() || vr.changed() {
                        self.out.changed = true;
                    }
                    if ui
                        .small_button("\u{d7}")
                        .on_hover_text(format!("Remove variable {k}"))
                        .clicked()
                    {
                        remove = Some(i);
                    }
                });
            }
            if ui
                .small_button("+ Variable")
                .labelled_by(l.id)
                .on_hover_text("Add an environment variable")
                .clicked()
            {
                env.push((String::new(), String::new()));
                self.out.changed = true;
            }
        });
        if let Some(i) = remove {
            env.remove(i);
            self.out.changed = true;
        }
        ui.end_row();
        self.error_row(ui, "env");
    }

    pub(super) fn stop(&mut self, ui: &mut Ui, signal: &mut String, timeout: &mut String) {
        self.row(
            ui,
            "Stop signal",
            "Sent to the process group by Terminate; SIGKILL follows after the stop timeout.",
            "stop_signal",
            |ui| {
                egui::ComboBox::from_id_salt("stop_signal")
                    .selected_text(signal.as_str())
                    .show_ui(ui, |ui| {
                        let mut r = None::<Response>;
                        for s in stop_signals() {
                            let x = ui.selectable_value(signal, s.as_str().to_string(), s.as_str());
                            r = Some(match r {
                                Some(a) => a | x,
                                None => x,
                            });
                        }
                        r
                    })
                    .inner
                    .flatten()
                    .unwrap_or_else(|| ui.label(""))
            },
        );
        self.number(
            ui,
            "Stop timeout",
            "Seconds between the stop signal and SIGKILL.",
            "stop_timeout",
            timeout,
            "s before SIGKILL",
        );
    }

    pub(super) fn heading(&mut self, ui: &mut Ui, text: &str) {
        ui.label(
            RichText::new(text)
                .small()
                .strong()
                .color(color(self.dark, Tone::Muted)),
        );
        ui.end_row();
    }
}

pub(super) fn grid(ui: &mut Ui, id: &str, add: impl FnOnce(&mut Ui)) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([10.0, 6.0])
        .min_col_width(92.0)
        .striped(false)
        .show(ui, add);
}

pub fn task_form(
    ui: &mut Ui,
    t: &mut TaskDraft,
    errors: Option<&Errors>,
    reserved: &mut BTreeMap<String, f32>,
    dark: bool,
) -> FormOut {
    let mut f = Form {
        errors,
        reserved,
        dark,
        out: FormOut::default(),
    };
    grid(ui, "task_form", |ui| {
        f.text(
            ui,
            "Name",
            "Unique; instances get -1, -2, \u{2026} suffixes.",
            "name",
            &mut t.name,
            false,
        );
        f.text(
            ui,
            "Command",
            "Split like a shell does (no shell runs), e.g. sleep 5 or sh -c 'echo hi'.",
            "run",
            &mut t.run,
            true,
        );
        f.check(
            ui,
            "Shell",
            "Run the command line with /bin/sh -c.",
            &mut t.shell,
            "run with /bin/sh -c",
        );
        f.cwd(ui, &mut t.cwd);
        f.env(ui, &mut t.env);
        f.heading(ui, "PROCESSES");
        f.number(
            ui,
            "Instances",
            "How many copies to start.",
            "instances",
            &mut t.instances,
            "",
        );
        f.check(
            ui,
            "Daemon",
            "Terminated when the session ends; never waited for.",
            &mut t.daemon,
            "stop with the session",
        );
        f.check(
            ui,
            "Autostart",
            "Started by Start all and by --start.",
            &mut t.autostart,
            "start with the session",
        );
        f.heading(ui, "INPUT AND OUTPUT");
        f.check(
            ui,
            "Unbuffered",
            "PYTHONUNBUFFERED=1 in its environment, so Python writes lines as it goes (unless Environment sets it).",
            &mut t.unbuffered,
            "Python output as written",
        );
        f.check(
            ui,
            "Terminal",
            "Run it under a pseudo-terminal: line-buffered output, and programs that need a terminal work. stdout and stderr arrive as one stream.",
            &mut t.pty,
            "run in a pseudo-terminal",
        );
        f.check(
            ui,
            "Stdin",
            "Give it a stdin pipe: lines can be sent to it from its details. Otherwise stdin is /dev/null.",
            &mut t.stdin,
            "lines can be sent to it",
        );
        super::form_task_host::host_rows(&mut f, ui, t);
        f.heading(ui, "RESTART");
        f.row(ui, "Restart", "When to start it again after it ends.", "", |ui| {
            let mut r = None::<Response>;
            for p in RestartPolicy::ALL {
                let x = ui.radio_value(&mut t.restart, p, p.as_str());
                r = Some(match r {
                    Some(a) => a | x,
                    None => x,
                });
            }
            r.unwrap_or_else(|| ui.label(""))
        });
        if t.restart != RestartPolicy::Never {
            f.number(
                ui,
                "Max restarts",
                "Restarts before giving up.",
                "max_restarts",
                &mut t.max_restarts,
                "",
            );
            f.number(
                ui,
                "Backoff",
                "First restart delay; doubles each time.",
                "backoff",
                &mut t.backoff,
                "s",
            );
            f.number(
                ui,
                "Backoff max",
                "Longest restart delay.",
                "backoff_max",
                &mut t.backoff_max,
                "s",
            );
        }
        f.heading(ui, "STOPPING");
        f.stop(ui, &mut t.stop_signal, &mut t.stop_timeout);
        f.number(
            ui,
            "Timeout",
            "Terminate it when it runs longer than this; 0: never.",
            "timeout",
            &mut t.timeout,
            "s (0 = none)",
        );
    });
    f.out
}
