//! The forms for a task and a pool: one row per field of the session file,
//! each input named by its label, and each problem shown under its field.

use super::forms::{input_lines, stop_signals, Errors, PoolDraft, TaskDraft};
use super::theme::{color, Tone};
use crate::session::{PoolMode, Protocol, RestartPolicy};
use egui::{Response, RichText, TextEdit, Ui};

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

struct Form<'e> {
    errors: Option<&'e Errors>,
    dark: bool,
    out: FormOut,
}

impl Form<'_> {
    /// One labelled row; `key` names the field whose problem is shown under it.
    fn row(
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

    fn error_row(&mut self, ui: &mut Ui, key: &str) {
        if let Some(msg) = self.errors.and_then(|e| e.get(key)) {
            ui.label("");
            ui.label(RichText::new(format!("\u{25b2} {msg}")).color(color(self.dark, Tone::Failure)));
            ui.end_row();
        }
    }

    fn text(&mut self, ui: &mut Ui, label: &str, help: &str, key: &str, value: &mut String, mono: bool) {
        self.row(ui, label, help, key, |ui| {
            let mut edit = TextEdit::singleline(value).desired_width(f32::INFINITY);
            if mono {
                edit = edit.font(egui::TextStyle::Monospace);
            }
            ui.add(edit)
        });
    }

    fn number(&mut self, ui: &mut Ui, label: &str, help: &str, key: &str, value: &mut String, unit: &str) {
        self.row(ui, label, help, key, |ui| {
            let r = ui.add(
                TextEdit::singleline(value)
                    .desired_width(80.0)
                    .font(egui::TextStyle::Monospace),
            );
            if !unit.is_empty() {
                ui.weak(unit);
            }
            r
        });
    }

    fn check(&mut self, ui: &mut Ui, label: &str, help: &str, value: &mut bool, text: &str) {
        self.row(ui, label, help, "", |ui| ui.checkbox(value, text));
    }

    fn cwd(&mut self, ui: &mut Ui, value: &mut String) {
        let mut browse = false;
        self.row(
            ui,
            "Working folder",
            "Relative to the session file's folder; empty: that folder.",
            "cwd",
            |ui| {
                let r = ui.add(
                    TextEdit::singleline(value)
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

    fn env(&mut self, ui: &mut Ui, env: &mut Vec<(String, String)>) {
        let l = ui
            .label("Environment")
            .on_hover_text("Variables added to Proctor's own environment.");
        let mut remove = None;
        ui.vertical(|ui| {
            for (i, (k, v)) in env.iter_mut().enumerate() {
                ui.horizontal(|ui| {
                    let kr = ui.add(
                        TextEdit::singleline(k)
                            .desired_width(110.0)
                            .hint_text("NAME")
                            .font(egui::TextStyle::Monospace),
                    );
                    ui.label("=");
                    let vr = ui.add(
                        TextEdit::singleline(v)
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

    fn stop(&mut self, ui: &mut Ui, signal: &mut String, timeout: &mut String) {
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

    fn heading(&mut self, ui: &mut Ui, text: &str) {
        ui.label(
            RichText::new(text)
                .small()
                .strong()
                .color(color(self.dark, Tone::Muted)),
        );
        ui.end_row();
    }
}

fn grid(ui: &mut Ui, id: &str, add: impl FnOnce(&mut Ui)) {
    egui::Grid::new(id)
        .num_columns(2)
        .spacing([10.0, 6.0])
        .min_col_width(92.0)
        .striped(false)
        .show(ui, add);
}

pub fn task_form(ui: &mut Ui, t: &mut TaskDraft, errors: Option<&Errors>, dark: bool) -> FormOut {
    let mut f = Form {
        errors,
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

pub fn pool_form(ui: &mut Ui, p: &mut PoolDraft, errors: Option<&Errors>, dark: bool) -> FormOut {
    let mut f = Form {
        errors,
        dark,
        out: FormOut::default(),
    };
    grid(ui, "pool_form", |ui| {
        f.text(
            ui,
            "Name",
            "Unique; workers are named NAME/worker-N.",
            "name",
            &mut p.name,
            false,
        );
        f.text(
            ui,
            "Command",
            "spawn: {} is replaced by the input (or it is appended). persistent: the worker's command.",
            "run",
            &mut p.run,
            true,
        );
        f.check(
            ui,
            "Shell",
            "Run the command line with /bin/sh -c.",
            &mut p.shell,
            "run with /bin/sh -c",
        );
        f.number(
            ui,
            "Workers",
            "How many at once; empty: one per CPU.",
            "workers",
            &mut p.workers,
            "",
        );
        f.row(
            ui,
            "Mode",
            "spawn: one process per input. persistent: long-lived workers, one input a line on stdin.",
            "",
            |ui| {
                let a = ui.radio_value(&mut p.mode, PoolMode::Spawn, "spawn");
                let b = ui.radio_value(&mut p.mode, PoolMode::Persistent, "persistent");
                a | b
            },
        );
        f.row(
            ui,
            "Protocol",
            "How persistent workers answer. lines: the next stdout line is the answer. jsonl: {\"id\",\"input\"} in, {\"id\",\"result\"} out, one JSON object a line, matched by id.",
            "",
            |ui| {
                ui.add_enabled_ui(p.mode == PoolMode::Persistent, |ui| {
                    let a = ui.radio_value(&mut p.protocol, Protocol::Lines, "lines");
                    let b = ui.radio_value(&mut p.protocol, Protocol::Jsonl, "jsonl");
                    a | b
                })
                .inner
            },
        );
        f.row(
            ui,
            "Inputs",
            "Typed here, one a line, or read from a file.",
            "",
            |ui| {
                let a = ui.radio_value(&mut p.inputs_from_file, false, "list");
                let b = ui.radio_value(&mut p.inputs_from_file, true, "file");
                a | b
            },
        );
        if p.inputs_from_file {
            let mut browse = false;
            f.row(ui, "Inputs file", "One input a line.", "inputs_file", |ui| {
                let r = ui.add(
                    TextEdit::singleline(&mut p.inputs_file)
                        .desired_width((ui.available_width() - 100.0).max(60.0)),
                );
                if ui
                    .button("Browse\u{2026}")
                    .on_hover_text("Pick the inputs file")
                    .clicked()
                {
                    browse = true;
                }
                r
            });
            if browse {
                f.out.browse = Some(PickField::InputsFile);
            }
        } else {
            let n = input_lines(&p.inputs_text).len();
            f.row(ui, "Input list", "One input a line.", "inputs", |ui| {
                ui.vertical(|ui| {
                    let r = ui.add(
                        TextEdit::multiline(&mut p.inputs_text)
                            .desired_rows(5)
                            .desired_width(f32::INFINITY)
                            .font(egui::TextStyle::Monospace),
                    );
                    ui.weak(format!("{n} input{}", if n == 1 { "" } else { "s" }));
                    r
                })
                .inner
            });
        }
        f.cwd(ui, &mut p.cwd);
        f.env(ui, &mut p.env);
        f.number(
            ui,
            "Retries",
            "Extra attempts for a failing input.",
            "retries",
            &mut p.retries,
            "",
        );
        f.number(
            ui,
            "Timeout",
            "Per input; 0: none.",
            "timeout",
            &mut p.timeout,
            "s (0 = none)",
        );
        f.check(
            ui,
            "Autostart",
            "Started by Start all and by --start.",
            &mut p.autostart,
            "start with the session",
        );
        f.heading(ui, "STOPPING");
        f.stop(ui, &mut p.stop_signal, &mut p.stop_timeout);
    });
    f.out
}
