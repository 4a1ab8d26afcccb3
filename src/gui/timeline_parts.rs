//! The timeline panel's smaller parts: a bar's tooltip, steering by
//! mouse and keys, the mark of hidden runs, the legend, and a host's
//! header row (see `timeline`).

use super::*;
use crate::pictures::timeline::Lane;

/// The text of a bar's tooltip.
pub fn describe_bar(p: &Pictures, lane: &Lane, s: &Span, count: u32, now: f64) -> String {
    if count > 1 {
        return format!(
            "{}: {count} {} here; zoom in to see each",
            lane.label,
            if s.input.is_some() { "inputs" } else { "runs" }
        );
    }
    let pid = s.pid.map(|p| format!("pid {p}\n")).unwrap_or_default();
    let ran = format!(
        "{:.3}s{}",
        s.duration(now),
        if s.end.is_none() { " so far" } else { "" }
    );
    match (s.input, &lane.pool) {
        (Some(i), Some(pool)) => {
            let text = p
                .pool(pool)
                .and_then(|x| x.input_texts.get(&i))
                .map(String::as_str)
                .unwrap_or("");
            format!(
                "{pool} input #{i}: {text}\nworker {}\n{pid}{ran}\n{}",
                lane.label,
                s.outcome.label()
            )
        }
        _ => format!("{}\n{pid}{ran}\n{}", lane.label, s.outcome.label()),
    }
}

impl TimelineView {
    /// Mouse and keys: drag and shift+scroll pan, ctrl+scroll and +/-
    /// zoom, arrows pan, Home fits, F follows now.
    pub(super) fn steer(&mut self, ui: &Ui, resp: &egui::Response, v: View, now: f64) {
        let secs_per_px = (v.t1 - v.t0) / f64::from(v.width.max(1.0));
        if resp.dragged() {
            let dx = resp.drag_delta().x;
            if dx != 0.0 {
                self.set(pan(v, -f64::from(dx) * secs_per_px), false);
            }
        }
        if resp.hovered() {
            let (zoom_delta, scroll, shift) =
                ui.input(|i| (i.zoom_delta(), i.smooth_scroll_delta, i.modifiers.shift));
            let at = resp
                .hover_pos()
                .map(|p| v.t(p.x - resp.rect.left() - LABEL_W))
                .unwrap_or((v.t0 + v.t1) / 2.0);
            if zoom_delta != 1.0 {
                self.set(zoom(v, 1.0 / f64::from(zoom_delta), at), false);
            } else if shift && scroll.x.abs() + scroll.y.abs() > 0.0 {
                let d = if scroll.x != 0.0 { scroll.x } else { scroll.y };
                self.set(pan(v, -f64::from(d) * secs_per_px), false);
            }
        }
        if resp.hovered() || resp.has_focus() {
            let keys = ui.input(|i| {
                use egui::Key;
                (
                    i.key_pressed(Key::Plus) || i.key_pressed(Key::Equals),
                    i.key_pressed(Key::Minus),
                    i.key_pressed(Key::ArrowLeft),
                    i.key_pressed(Key::ArrowRight),
                    i.key_pressed(Key::Home),
                    i.key_pressed(Key::F),
                )
            });
            let mid = (v.t0 + v.t1) / 2.0;
            let span = v.t1 - v.t0;
            match keys {
                (true, ..) => self.set(zoom(v, 0.5, mid), false),
                (_, true, ..) => self.set(zoom(v, 2.0, mid), false),
                (_, _, true, ..) => self.set(pan(v, -span / 4.0), false),
                (_, _, _, true, ..) => self.set(pan(v, span / 4.0), false),
                (_, _, _, _, true, _) => {
                    self.follow_span = None;
                    self.window = None;
                    self.follow = true;
                }
                (.., true) => {
                    self.follow = true;
                    let _ = now;
                }
                _ => {}
            }
        }
    }
}

/// The rectangle marking where runs no longer kept were (at least a few
/// pixels wide, ending where the first kept run starts).
pub(super) fn hidden_mark(v: &View, lanes_x: f32, y: f32, from: f64, to: f64) -> Rect {
    let x1 = lanes_x + v.x(to);
    let x0 = (lanes_x + v.x(from)).min(x1 - 6.0);
    Rect::from_min_max(pos2(x0, y + 3.0), pos2(x1, y + LANE_H - 3.0))
}

pub(super) fn legend(ui: &mut Ui, dark: bool) {
    for (o, name) in [
        (Outcome::Running, "running"),
        (Outcome::Succeeded, "exit 0"),
        (Outcome::Failed(1), "failed"),
        (Outcome::Signalled(9), "signal"),
        (Outcome::Stopped, "stopped"),
        (Outcome::FailedToStart, "no start"),
    ] {
        let (r, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
        ui.painter().rect_filled(r, 2.0, rgb(o, dark));
        ui.label(egui::RichText::new(name).small());
    }
}

/// A host's header row: its name and lane count, bold, over a rule.
pub(super) fn header(painter: &egui::Painter, ui: &Ui, x: f32, y: f32, w: f32, text: &str) {
    let v = ui.visuals();
    painter.rect_filled(
        Rect::from_min_size(pos2(x, y), vec2(w, LANE_H)),
        0.0,
        v.extreme_bg_color,
    );
    painter.line_segment(
        [pos2(x, y + LANE_H - 0.5), pos2(x + w, y + LANE_H - 0.5)],
        Stroke::new(1.0, v.weak_text_color()),
    );
    painter.text(
        pos2(x + 4.0, y + LANE_H / 2.0),
        Align2::LEFT_CENTER,
        text,
        FontId::new(12.0, egui::FontFamily::Proportional),
        v.strong_text_color(),
    );
}
