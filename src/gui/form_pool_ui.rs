//! The pool form: one row per field of a `[[pool]]` table (the task form
//! and the rows both share are in `form_ui`).

use super::form_ui::{grid, Form, FormOut, PickField};
use super::forms::{Errors, PoolDraft};
use crate::session::{PoolMode, Protocol};
use egui::{TextEdit, Ui};
use std::collections::BTreeMap;

pub fn pool_form(
    ui: &mut Ui,
    p: &mut PoolDraft,
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
        super::form_place::workers_row(&mut f, ui, &mut p.workers, &p.place);
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
                        .id_salt("form_inputs_file")
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
            let n = p.input_lines().len();
            // Not in a horizontal row: a tall list in one grew over the
            // fields below it and hid its own count.
            let l = ui
                .label("Input list")
                .on_hover_text("One input a line; \u{b6} stands for a line break inside one.");
            ui.vertical(|ui| {
                // A long list scrolls inside its own box.
                let scroll = egui::ScrollArea::vertical()
                    .id_salt("input_list")
                    .max_height(150.0)
                    .show(ui, |ui| {
                        ui.add(
                            TextEdit::multiline(&mut p.inputs_text)
                                .id_salt("form_inputs_text")
                                .desired_rows(5)
                                .desired_width(f32::INFINITY)
                                .font(egui::TextStyle::Monospace),
                        )
                    });
                // The box as shown (the list inside may be taller), named
                // for screen readers.
                let shown = scroll.inner_rect;
                ui.interact(shown, ui.scope_id().with("input_list_box"), egui::Sense::hover())
                    .widget_info(|| egui::WidgetInfo::labeled(egui::Role::Group, true, "Input list box"));
                let r = scroll.inner;
                let r = r.labelled_by(l.id);
                if r.changed() {
                    f.out.changed = true;
                }
                ui.weak(super::plural::count_usize(n, "input"));
            });
            ui.end_row();
            f.error_row(ui, "inputs");
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
        f.check(
            ui,
            "Unbuffered",
            "PYTHONUNBUFFERED=1 in the workers' environment (unless Environment sets it).",
            &mut p.unbuffered,
            "Python output as written",
        );
        super::form_place::place_rows(&mut f, ui, &mut p.place);
        f.heading(ui, "STOPPING");
        f.stop(ui, &mut p.stop_signal, &mut p.stop_timeout);
    });
    f.out
}
