//! The details pane of the selected process: its full command line,
//! working folder, environment, pid, process group and session, start,
//! exit and restarts, each with a copy button; its resources; and its own
//! output (stdout and stderr, colours drawn, wrapped or not, following the
//! tail until scrolled up).

use super::ansi;
use super::desk::Origin;
use super::detail_output::{OutLine, ProcOutput};
use super::detail_proc::ProcInfo;
use super::detail_resources::{resources, ResourcesInput};
use super::intent::Intent;
use super::processes::Row;
use super::rows::iso_time;
use super::theme::{color, format_duration, mono, Tone};
use crate::model::ProcessRow;
use egui::{RichText, Ui};

pub struct DetailView {
    pub wrap: bool,
    pub follow: bool,
    /// The line to send to the process's stdin.
    pub stdin_line: String,
    /// The last line sent, and to whom: put back in the field if the
    /// engine refuses it (`Desk::observe`).
    pub stdin_sent: Option<(String, String)>,
}

impl Default for DetailView {
    fn default() -> Self {
        Self {
            wrap: true,
            follow: true,
            stdin_line: String::new(),
            stdin_sent: None,
        }
    }
}

/// What the pane shows for one process.
pub struct DetailInput<'a> {
    pub row: &'a Row,
    pub model: Option<&'a ProcessRow>,
    pub origin: Option<&'a Origin>,
    /// /proc's view, for a live process of the live session.
    pub proc: Option<&'a ProcInfo>,
    pub output: Option<&'a ProcOutput>,
    /// Output lines no longer kept here (the log and journal have them).
    pub dropped: u64,
    pub past: bool,
    /// The process reads its stdin from a pipe Proctor holds.
    pub stdin: bool,
    /// Its CPU and memory over time (the sampler's series), and the
    /// session's clock in seconds for the plot's right edge.
    pub lane: Option<&'a crate::pictures::ProcLane>,
    pub now: f64,
}

/// A value with a copy button beside it (labelled for screen readers and
/// tests as "Copy <what>"). The name and the button stand at the top of
/// the row, level with the first line of a long wrapped value.
fn value_row(ui: &mut Ui, what: &str, value: &str, monospace: bool) {
    // The row's height as last drawn (a grid centres each cell in it).
    let key = ui.scope_id().with(("value_row_height", what));
    let h = ui.data(|d| d.get_temp::<f32>(key)).unwrap_or(0.0);
    let top = egui::Layout::top_down(egui::Align::Min);
    top_cell(ui, h, top, |ui| {
        ui.add(egui::Label::new(RichText::new(what).weak()).extend());
    });
    // Each in its own cell (a wrapped value inside a row of widgets grew
    // over the rows below it).
    let b = top_cell(ui, h, top, |ui| {
        ui.add(
            egui::Button::new("Copy")
                .small()
                .wrap_mode(egui::TextWrapMode::Extend),
        )
        .on_hover_text(format!("Copy the {}", what.to_lowercase()))
    });
    let b = b.accessible_name(format!("Copy {}", what.to_lowercase()));
    if b.clicked() {
        ui.ctx().copy_text(value.to_string());
    }
    let text = if monospace {
        mono(value)
    } else {
        RichText::new(value)
    };
    let v = ui.add(egui::Label::new(text).wrap());
    ui.data_mut(|d| d.insert_temp(key, v.rect.height()));
    ui.end_row();
}

/// A grid cell whose content starts at the top of a row `h` high.
fn top_cell<R>(ui: &mut Ui, h: f32, layout: egui::Layout, add: impl FnOnce(&mut Ui) -> R) -> R {
    ui.allocate_ui_with_layout(egui::vec2(0.0, h), layout, |ui| {
        ui.set_min_height(h);
        add(ui)
    })
    .inner
}

/// The command line as one shell-quoted string.
/// Whether the row runs on another host: its live pid is the local `ssh`
/// or `srun`, whose command line and environment are not the command's.
fn elsewhere(d: &DetailInput<'_>) -> bool {
    d.model
        .and_then(|m| m.host.as_deref())
        .is_some_and(|h| h != "local")
}

pub fn command_line(d: &DetailInput<'_>) -> String {
    if let Some(p) = d.proc.filter(|p| !p.argv.is_empty() && !elsewhere(d)) {
        return shlex::try_join(p.argv.iter().map(String::as_str)).unwrap_or_else(|_| p.argv.join(" "));
    }
    d.model.map(|m| m.command.clone()).unwrap_or_default()
}

/// The environment as `NAME=value` lines: all of it for a live process,
/// else what the definition adds.
pub fn environment(d: &DetailInput<'_>) -> (String, &'static str) {
    if let Some(p) = d.proc.filter(|p| !p.env.is_empty() && !elsewhere(d)) {
        let lines: Vec<String> = p.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        return (lines.join("\n"), "as the process has it");
    }
    match d.origin {
        Some(o) => {
            let lines: Vec<String> = o.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
            (lines.join("\n"), "added by its definition to Proctor's")
        }
        None => (String::new(), "not known"),
    }
}

pub fn pane(ui: &mut Ui, view: &mut DetailView, d: &DetailInput<'_>) -> Vec<Intent> {
    let mut out = Vec::new();
    let dark = ui.visuals().dark_mode;
    let r = d.row;
    ui.horizontal(|ui| {
        ui.heading(&r.name);
        ui.label(RichText::new(r.state_text()).color(color(dark, r.tone())));
    });
    egui::ScrollArea::vertical()
        .id_salt("detail_scroll")
        .auto_shrink([false, false])
        .max_height(ui.available_height() * 0.5)
        .show(ui, |ui| {
            egui::Grid::new("detail_grid")
                .num_columns(3)
                .spacing([10.0, 4.0])
                .min_col_width(80.0)
                .show(ui, |ui| {
                    value_row(ui, "Command", &command_line(d), true);
                    let cwd = d
                        .proc
                        .and_then(|p| p.cwd.as_ref())
                        .or(d.origin.map(|o| &o.cwd))
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|| "\u{2014}".into());
                    value_row(ui, "Working folder", &cwd, true);
                    let dash = || "\u{2014}".to_string();
                    let pid = r.pid.map(|p| p.to_string()).unwrap_or_else(dash);
                    value_row(ui, "PID", &pid, true);
                    let pgid = d
                        .proc
                        .and_then(|p| p.pgid)
                        .map(|g| g.to_string())
                        .unwrap_or_else(dash);
                    value_row(ui, "Process group", &pgid, true);
                    let sid = d
                        .proc
                        .and_then(|p| p.sid)
                        .map(|s| s.to_string())
                        .unwrap_or_else(dash);
                    value_row(ui, "Session", &sid, true);
                    let started = r.started.map(iso_time).unwrap_or_else(dash);
                    value_row(ui, "Started", &started, true);
                    let exit = match (r.exit_code, d.model.and_then(|m| m.ended)) {
                        (Some(c), Some(t)) => {
                            format!("{} at {}", crate::event::exit::short_exit(c), iso_time(t))
                        }
                        (Some(c), None) => crate::event::exit::short_exit(c),
                        _ if r.status.is_alive() => "still running".into(),
                        _ => dash(),
                    };
                    value_row(ui, "Exit", &exit, true);
                    let runtime = r.runtime.map(format_duration).unwrap_or_else(dash);
                    value_row(ui, "Runtime", &runtime, true);
                    value_row(ui, "Restarts", &r.restarts.to_string(), true);
                    if let Some(o) = d.origin {
                        value_row(ui, "Definition", &o.definition, false);
                    }
                    if let Some(p) = d.proc.and_then(|p| p.problem.as_ref()) {
                        ui.weak("Note");
                        ui.label("");
                        ui.label(RichText::new(p).color(color(dark, Tone::Muted)));
                        ui.end_row();
                    }
                });
            let (env, whose) = environment(d);
            let n = env.lines().count();
            egui::CollapsingHeader::new(format!(
                "Environment ({}, {whose})",
                super::plural::count_usize(n, "variable")
            ))
            .id_salt("detail_env")
            .show(ui, |ui| {
                if ui.small_button("Copy environment").clicked() {
                    ui.ctx().copy_text(env.clone());
                }
                for l in env.lines() {
                    ui.add(egui::Label::new(mono(l)).wrap());
                }
            });
            egui::CollapsingHeader::new("Resources")
                .id_salt("detail_resources")
                .default_open(true)
                .show(ui, |ui| {
                    resources(
                        ui,
                        &ResourcesInput {
                            row: r,
                            past: d.past,
                            lane: d.lane,
                            now: d.now,
                        },
                    )
                });
        });
    ui.separator();
    output(ui, view, d, dark, &mut out);
    out
}

fn output(ui: &mut Ui, view: &mut DetailView, d: &DetailInput<'_>, dark: bool, out: &mut Vec<Intent>) {
    let lines = d.output.map(|o| o.len()).unwrap_or(0);
    ui.horizontal(|ui| {
        ui.strong("Output");
        ui.weak(super::plural::count_usize(lines, "line"));
        ui.checkbox(&mut view.wrap, "Wrap");
        ui.checkbox(&mut view.follow, "Follow");
        if ui
            .add_enabled(lines > 0, egui::Button::new("Copy output"))
            .on_hover_text("Copy these lines as plain text (colours removed)")
            .clicked()
        {
            if let Some(o) = d.output {
                let text: Vec<String> = o.iter().map(|l| ansi::strip(l.text)).collect();
                ui.ctx().copy_text(text.join("\n"));
            }
        }
    });
    if d.dropped > 0 {
        ui.weak(format!(
            "{} not shown here (the log and the journal have them)",
            super::plural::count(d.dropped, "earlier line")
        ));
    }
    if !d.past && d.stdin && d.row.status.is_alive() {
        ui.horizontal(|ui| {
            let l = ui.label("Send to stdin");
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut view.stdin_line)
                        .desired_width((ui.available_width() - 60.0).max(60.0))
                        .hint_text("a line; Enter sends it")
                        .font(egui::TextStyle::Monospace),
                )
                .labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Send").clicked() || enter {
                let line = std::mem::take(&mut view.stdin_line);
                view.stdin_sent = Some((d.row.name.clone(), line.clone()));
                out.push(Intent::Send(crate::engine::Command::WriteStdin {
                    process: d.row.name.clone(),
                    line,
                }));
                r.request_focus();
            }
        });
    }
    let Some(o) = d.output.filter(|o| !o.is_empty()) else {
        ui.weak("No output yet.");
        return;
    };
    let font = egui::TextStyle::Monospace.resolve(ui.style());
    let base = ui.visuals().text_color();
    let stderr = color(dark, Tone::Stderr);
    let scroll = egui::ScrollArea::both()
        .id_salt("detail_output")
        .auto_shrink([false, false])
        .stick_to_bottom(view.follow);
    let wrap = view.wrap;
    let res = if wrap {
        // Wrapped lines differ in height: drawn all (at most 5,000).
        scroll.show(ui, |ui| {
            let w = ui.available_width();
            for l in o.iter() {
                let job = ansi::layout_job(
                    l.text,
                    if l.stderr { stderr } else { base },
                    font.clone(),
                    dark,
                    Some(w),
                );
                line_label(ui, job, &l);
            }
        })
    } else {
        let h = ui.text_style_height(&egui::TextStyle::Monospace);
        scroll.show_rows(ui, h, o.len(), |ui, range| {
            for l in o.range(range) {
                let job = ansi::layout_job(
                    l.text,
                    if l.stderr { stderr } else { base },
                    font.clone(),
                    dark,
                    None,
                );
                line_label(ui, job, &l);
            }
        })
    };
    let at_bottom = res.state.clamped_offset().y + res.inner_rect.height() >= res.content_size.y - 4.0;
    if !at_bottom && ui.input(|i| i.smooth_scroll_delta.y > 0.0) {
        view.follow = false;
    }
}

fn line_label(ui: &mut Ui, job: egui::text::LayoutJob, l: &OutLine<'_>) {
    let r = ui.add(egui::Label::new(job).sense(egui::Sense::click()));
    r.context_menu(|ui| {
        if ui.button("Copy line").clicked() {
            ui.ctx().copy_text(ansi::strip(l.text));
            ui.close();
        }
    });
}
