//! Drawing the event log: its filter bar and the virtualised table.

use super::log::{is_error, Log, ProcessFilter};
use super::theme::{color, problem_background, Tone};
use crate::event::EventKind;
use crate::model::SessionModel;
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};

impl Log {
    pub fn ui(&mut self, ui: &mut Ui, model: &SessionModel) {
        let dark = ui.visuals().dark_mode;
        // Wrapped: in a narrow window the controls go on a second line
        // rather than off the edge.
        ui.horizontal_wrapped(|ui| {
            ui.strong("Event log");
            let l = ui.label("Show");
            let current = match &self.process {
                ProcessFilter::All => "All processes".to_string(),
                ProcessFilter::Selected => "Selected in table".to_string(),
                ProcessFilter::One(n) => n.clone(),
                ProcessFilter::Input { pool, input } => format!("{pool} input #{input}"),
            };
            egui::ComboBox::from_id_salt("log_process")
                .selected_text(current)
                .width(170.0)
                // Stays open while its search box is typed in.
                .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
                .show_ui(ui, |ui| self.show_list(ui, model))
                .response
                .labelled_by(l.id);
            let hidden = self.hidden_kinds.len();
            let title = if hidden == 0 {
                "Kinds: all".to_string()
            } else {
                format!(
                    "Kinds: {} of {}",
                    EventKind::NAMES.len() - hidden,
                    EventKind::NAMES.len()
                )
            };
            ui.menu_button(title, |ui| {
                ui.horizontal(|ui| {
                    if ui.small_button("All").clicked() {
                        self.hidden_kinds.clear();
                    }
                    if ui.small_button("None").clicked() {
                        self.hidden_kinds = EventKind::NAMES.iter().copied().collect();
                    }
                    if ui.small_button("Output only").clicked() {
                        self.hidden_kinds = EventKind::NAMES
                            .iter()
                            .copied()
                            .filter(|k| *k != "stdout" && *k != "stderr")
                            .collect();
                    }
                });
                for &k in EventKind::NAMES {
                    let mut on = !self.hidden_kinds.contains(k);
                    if ui.checkbox(&mut on, k).changed() {
                        if on {
                            self.hidden_kinds.remove(k);
                        } else {
                            self.hidden_kinds.insert(k);
                        }
                    }
                }
            });
            ui.checkbox(&mut self.problems_only, "Problems only")
                .on_hover_text("stderr, failures and errors");
            ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text("Search the log")
                    .desired_width(180.0),
            )
            .accessible_name("Search the log");
            if !self.search.is_empty() && ui.small_button("Clear search").clicked() {
                self.search.clear();
            }
            let of = super::plural::count_usize(self.store.len(), "event");
            match self.scan_progress() {
                Some(p) => ui.weak(format!(
                    "matching\u{2026} {:.0}%: {} of {of}",
                    p * 100.0,
                    self.shown.len()
                )),
                None => ui.weak(format!("{} of {of}", self.shown.len())),
            };
            if self.follow {
                ui.add(
                    egui::Label::new(RichText::new("\u{2193} following").color(color(dark, Tone::Running)))
                        .extend(),
                )
                .on_hover_text("New events scroll into view; scroll up to pause");
            } else if ui
                .button("\u{2193} Follow")
                .on_hover_text("Jump to the newest event and keep following")
                .clicked()
            {
                self.follow = true;
                self.jump_to_end = true;
            }
        });
        self.refilter_if_changed();
        // A bounded share of the filtering a frame; the rest next frame.
        if !self.scan_done() {
            self.scan_step();
            ui.ctx().request_repaint();
        }
        self.table(ui, dark);
    }

    fn table(&mut self, ui: &mut Ui, dark: bool) {
        let row_h = 18.0;
        let n = self.shown.len();
        let modifiers = ui.input(|i| i.modifiers);
        let mut tb = TableBuilder::new(ui)
            .id_salt("event_log")
            .sense(egui::Sense::click())
            .striped(true)
            .resizable(true)
            .stick_to_bottom(self.follow)
            .auto_shrink([false, false])
            // The panel's height is the user's: the rows scroll in what is
            // left under the filter bar (the default asked for 200 points
            // and pushed the bar out of a short panel).
            .min_scrolled_height(0.0)
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(92.0).at_least(60.0))
            .column(Column::initial(190.0).at_least(60.0).clip(true))
            .column(Column::initial(100.0).at_least(60.0).clip(true))
            .column(Column::remainder().at_least(100.0).clip(true));
        if self.jump_to_end && n > 0 {
            tb = tb.scroll_to_row(n - 1, Some(egui::Align::BOTTOM));
        }
        self.jump_to_end = false;
        let mut clicked: Option<(u64, egui::Modifiers)> = None;
        let mut show_only: Option<String> = None;
        let out = tb
            .header(20.0, |mut h| {
                for t in ["Time", "Process", "Kind", "Text"] {
                    h.col(|ui| {
                        ui.strong(t);
                    });
                }
            })
            .body(|body| {
                body.rows(row_h, n, |mut row| {
                    let Some(abs) = self.shown.get(row.index()) else {
                        return;
                    };
                    let Some(e) = self.get(abs) else {
                        return;
                    };
                    row.set_selected(self.picked.lines.contains(&abs));
                    let err = is_error(&e.kind);
                    let tone = kind_tone(&e.kind);
                    let bg = |ui: &mut Ui| {
                        if err {
                            ui.painter().rect_filled(
                                ui.max_rect().expand(2.0),
                                0.0,
                                problem_background(dark),
                            );
                        }
                    };
                    row.col(|ui| {
                        bg(ui);
                        ui.add(
                            egui::Label::new(
                                RichText::new(e.clock())
                                    .monospace()
                                    .color(color(dark, Tone::Muted)),
                            )
                            .selectable(false),
                        )
                        .on_hover_text(e.time.to_rfc3339_opts(chrono::SecondsFormat::Millis, false));
                    });
                    row.col(|ui| {
                        bg(ui);
                        let who = e.process.as_deref().or(e.pool.as_deref()).unwrap_or("proctor");
                        let mut t = who.to_string();
                        if let Some(i) = e.input {
                            t.push_str(&format!(" #{i}"));
                        }
                        ui.add(egui::Label::new(t).truncate().selectable(false));
                    });
                    row.col(|ui| {
                        bg(ui);
                        let t = RichText::new(e.kind.name()).monospace();
                        ui.add(
                            egui::Label::new(match tone {
                                Some(tone) => t.color(color(dark, tone)),
                                None => t.color(color(dark, Tone::Muted)),
                            })
                            .selectable(false),
                        );
                    });
                    row.col(|ui| {
                        bg(ui);
                        let output = matches!(e.kind, EventKind::Stdout { .. } | EventKind::Stderr { .. });
                        if output {
                            // The child's colours, drawn; its other escape
                            // sequences dropped (see `ansi`).
                            let base = if matches!(e.kind, EventKind::Stderr { .. }) {
                                color(dark, Tone::Stderr)
                            } else {
                                ui.visuals().text_color()
                            };
                            let font = egui::TextStyle::Monospace.resolve(ui.style());
                            let mut job = super::ansi::layout_job(&e.text(), base, font, dark, None);
                            job.wrap.max_width = ui.available_width();
                            job.wrap.overflow_character = Some('\u{2026}');
                            ui.add(egui::Label::new(job).selectable(false));
                        } else {
                            let mut t = RichText::new(e.text()).monospace();
                            if err {
                                t = t.color(color(dark, Tone::Failure)).strong();
                            }
                            ui.add(egui::Label::new(t).truncate().selectable(false));
                        }
                    });
                    let resp = row.response();
                    if resp.clicked() {
                        clicked = Some((abs, modifiers));
                    }
                    if resp.secondary_clicked() && !self.picked.lines.contains(&abs) {
                        clicked = Some((abs, egui::Modifiers::NONE));
                    }
                    resp.context_menu(|ui| {
                        if let Some(w) = self.line_menu(ui, abs) {
                            show_only = Some(w);
                        }
                    });
                });
            });
        if let Some((abs, m)) = clicked {
            self.pick(abs, m);
        }
        if let Some(w) = show_only {
            self.show_process(&w);
        }
        let at_bottom = out.state.clamped_offset().y + out.inner_rect.height() >= out.content_size.y - row_h;
        self.follow = at_bottom || n == 0;
    }
}

/// The colour a kind is drawn in (None: the muted default).
fn kind_tone(kind: &EventKind) -> Option<Tone> {
    Some(match kind {
        EventKind::Spawned { .. } => Tone::Running,
        EventKind::Stderr { .. } => Tone::Stderr,
        EventKind::SignalSent { .. } => Tone::Stopping,
        EventKind::Exited { exit_code, .. } => super::theme::exit_tone(*exit_code),
        EventKind::TaskDone { .. } | EventKind::PoolDone { .. } => Tone::Success,
        EventKind::Restarting { .. } => Tone::Waiting,
        k if is_error(k) => Tone::Failure,
        _ => return None,
    })
}
