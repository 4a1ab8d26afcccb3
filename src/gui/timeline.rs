//! The timeline panel: a lane per process and per pool worker, a bar per
//! run or input, painted from `pictures::timeline` (which decides what is
//! drawn; this file only paints it and turns the mouse and keys into view
//! changes and intents). Only the lanes on screen are computed, and bars
//! under a pixel are drawn together, so 1,000 processes or 100,000 inputs
//! cost about a bar per pixel of each visible lane.

use super::intent::Intent;
use crate::pictures::host_lanes::{group_by_host, header_text, LaneRow};
use crate::pictures::speedup::{is_straggler, speedup};
use crate::pictures::svg::outcome_rgb;
use crate::pictures::timeline::{
    bar_at, bars, fit, hidden, hidden_text, lanes, pan, short_label, spans, tick_label, tick_step, zoom, Bar,
    LaneKey, View,
};
use crate::pictures::{Outcome, Pictures, Span};
use egui::{pos2, vec2, Align2, Color32, FontId, Rect, Sense, Stroke, StrokeKind, Ui};

#[path = "timeline_parts.rs"]
mod parts;
pub use parts::describe_bar;
use parts::{hidden_mark, legend};

pub const LANE_H: f32 = 18.0;
const LABEL_W: f32 = 170.0;
const AXIS_H: f32 = 20.0;

/// What a click on a bar chose.
#[derive(Clone, Debug, PartialEq)]
pub struct Picked {
    pub process: String,
    pub pool: Option<String>,
    pub input: Option<u64>,
}

pub struct TimelineView {
    /// The window of time shown when not following now.
    window: Option<(f64, f64)>,
    /// Seconds shown while following now (`None`: the whole session).
    follow_span: Option<f64>,
    pub follow: bool,
    pub picked: Option<Picked>,
    /// A bar was clicked this frame (the app selects its row).
    pub just_picked: bool,
    /// What the last frame drew: each visible lane's label and its bars.
    pub drawn: Vec<DrawnLane>,
    /// The host headers the last frame drew (lanes grouped by host).
    pub drawn_headers: Vec<String>,
    /// The lanes (kept while no lane is added) and each pool's median
    /// input time (O(inputs) to compute: at most once a second).
    cache: Option<Cache>,
}

struct Cache {
    lanes_key: (usize, usize, u64),
    /// The lanes, under a header per host when there are several.
    lanes: Vec<LaneRow>,
    medians: Vec<f64>,
    medians_of: (u64, usize),
    medians_at: std::time::Instant,
}

/// What the lanes depend on: how many processes and worker lanes there
/// are, and where they run.
fn lanes_key(p: &Pictures) -> (usize, usize, u64) {
    (
        p.procs.len(),
        p.pools.iter().map(|x| x.lanes.len() + 1).sum(),
        p.hosts_changed,
    )
}

/// A lane as drawn (for tests and the frame measurements).
#[derive(Clone, Debug, PartialEq)]
pub struct DrawnLane {
    pub label: String,
    /// Each bar: the input (a worker's), its outcome, how many it stands for.
    pub bars: Vec<(Option<u64>, Outcome, u32)>,
    /// Where each bar was drawn, on screen.
    pub rects: Vec<Rect>,
    /// The mark of earlier runs no longer kept, when there is one.
    pub hidden: Option<String>,
}

impl Default for TimelineView {
    fn default() -> Self {
        Self {
            window: None,
            follow_span: None,
            follow: true,
            picked: None,
            just_picked: false,
            drawn: Vec::new(),
            drawn_headers: Vec::new(),
            cache: None,
        }
    }
}

pub fn rgb(o: Outcome, dark: bool) -> Color32 {
    let [r, g, b] = outcome_rgb(o, dark);
    Color32::from_rgb(r, g, b)
}

impl TimelineView {
    /// The window shown now.
    pub fn view(&self, p: &Pictures, now: f64, width: f32) -> View {
        match (self.follow, self.window) {
            (false, Some((t0, t1))) => View { t0, t1, width },
            _ => match self.follow_span {
                Some(span) => View {
                    t0: now - span * 0.97,
                    t1: now + span * 0.03,
                    width,
                },
                None => fit(p, now, width),
            },
        }
    }

    fn set(&mut self, v: View, follow: bool) {
        self.follow = follow;
        if follow {
            self.follow_span = Some(v.t1 - v.t0);
        } else {
            self.window = Some((v.t0, v.t1));
        }
    }

    /// Draws the timeline of `p` at `now`; returns what a click asked for.
    pub fn ui(&mut self, ui: &mut Ui, p: &Pictures, now: f64, live: bool) -> Vec<Intent> {
        let mut out = Vec::new();
        let dark = ui.visuals().dark_mode;
        let width = (ui.available_width() - LABEL_W).max(50.0);
        let mut v = self.view(p, now, width);
        ui.horizontal(|ui| {
            if live {
                let mut f = self.follow;
                if ui
                    .checkbox(&mut f, "Follow now")
                    .on_hover_text("Keep the latest moment in view (F)")
                    .changed()
                {
                    self.set(v, f);
                }
            }
            if ui
                .button("Fit")
                .on_hover_text("The whole session (Home)")
                .clicked()
            {
                self.follow_span = None;
                self.set(fit(p, now, width), live);
            }
            if ui.button("Zoom in").on_hover_text("Ctrl+scroll, or +").clicked() {
                let z = zoom(v, 0.5, (v.t0 + v.t1) / 2.0);
                self.set(z, false);
            }
            if ui.button("Zoom out").on_hover_text("Ctrl+scroll, or -").clicked() {
                let z = zoom(v, 2.0, (v.t0 + v.t1) / 2.0);
                self.set(z, false);
            }
            ui.label(
                egui::RichText::new("drag or ← → to pan, shift+scroll to pan")
                    .weak()
                    .small(),
            );
            legend(ui, dark);
        });
        v = self.view(p, now, width);
        self.drawn.clear();
        self.drawn_headers.clear();
        let key = lanes_key(p);
        let of = (p.version, p as *const Pictures as usize);
        let mut c = match self.cache.take() {
            Some(c) if c.lanes_key == key => c,
            _ => Cache {
                lanes_key: key,
                lanes: group_by_host(lanes(p)),
                medians: Vec::new(),
                medians_of: (u64::MAX, 0),
                medians_at: std::time::Instant::now(),
            },
        };
        let stale = c.medians_of != of
            && (c.medians.len() != p.pools.len()
                || c.medians_at.elapsed() >= std::time::Duration::from_secs(1));
        if stale {
            c.medians = p.pools.iter().map(|x| speedup(x, now).median).collect();
            c.medians_of = of;
            c.medians_at = std::time::Instant::now();
        }
        let (all, medians) = (std::mem::take(&mut c.lanes), std::mem::take(&mut c.medians));
        // The axis.
        let (axis, painter) = ui.allocate_painter(vec2(ui.available_width(), AXIS_H), Sense::hover());
        let fg = ui.visuals().text_color();
        let weak = ui.visuals().weak_text_color();
        let step = tick_step(&v, 90.0);
        let first = (v.t0 / step).ceil();
        for k in 0..200 {
            let t = (first + f64::from(k)) * step;
            if t > v.t1 {
                break;
            }
            let x = axis.rect.left() + LABEL_W + v.x(t);
            painter.text(
                pos2(x, axis.rect.center().y),
                Align2::CENTER_CENTER,
                tick_label(t, step),
                FontId::proportional(11.0),
                weak,
            );
        }
        if all.is_empty() {
            ui.label("Nothing has run yet: the timeline shows each process and pool input as it runs.");
            (c.lanes, c.medians) = (all, medians);
            self.cache = Some(c);
            return out;
        }
        let height = all.len() as f32 * LANE_H;
        egui::ScrollArea::vertical()
            .id_salt("timeline-lanes")
            .auto_shrink([false, true])
            .max_height(ui.available_height())
            .show_viewport(ui, |ui, viewport| {
                let (resp, painter) =
                    ui.allocate_painter(vec2(ui.available_width(), height), Sense::click_and_drag());
                let origin = resp.rect.min;
                let lanes_x = origin.x + LABEL_W;
                let first = (viewport.min.y / LANE_H).floor().max(0.0) as usize;
                let last = ((viewport.max.y / LANE_H).ceil() as usize).min(all.len());
                // Grid lines.
                for k in 0..200 {
                    let t = ((v.t0 / step).ceil() + f64::from(k)) * step;
                    if t > v.t1 {
                        break;
                    }
                    let x = lanes_x + v.x(t);
                    painter.line_segment(
                        [
                            pos2(x, origin.y + viewport.min.y),
                            pos2(x, origin.y + viewport.max.y),
                        ],
                        Stroke::new(1.0, ui.visuals().faint_bg_color.gamma_multiply(2.0)),
                    );
                }
                let clip = Rect::from_min_max(pos2(lanes_x, resp.rect.top()), resp.rect.max);
                let bar_painter = painter.with_clip_rect(clip.intersect(painter.clip_rect()));
                let mut hovered: Option<(usize, Bar)> = None;
                let mut hovered_mark: Option<String> = None;
                let pointer = resp.hover_pos();
                for (i, row) in all.iter().enumerate().take(last).skip(first) {
                    let y = origin.y + i as f32 * LANE_H;
                    let lane = match row {
                        LaneRow::Lane(l) => l,
                        LaneRow::Host { host, lanes } => {
                            let text = header_text(host, *lanes);
                            parts::header(&painter, ui, origin.x, y, resp.rect.width(), &text);
                            self.drawn_headers.push(text);
                            continue;
                        }
                    };
                    if i % 2 == 1 {
                        painter.rect_filled(
                            Rect::from_min_size(pos2(origin.x, y), vec2(resp.rect.width(), LANE_H)),
                            0.0,
                            ui.visuals().faint_bg_color,
                        );
                    }
                    painter.text(
                        pos2(origin.x + 4.0, y + LANE_H / 2.0),
                        Align2::LEFT_CENTER,
                        short_label(&lane.label, 24),
                        FontId::proportional(12.0),
                        fg,
                    );
                    let lane_spans = spans(p, lane.key);
                    let lane_bars = bars(lane_spans, now, &v);
                    let median = match lane.key {
                        LaneKey::Worker { pool, .. } => medians.get(pool).copied().unwrap_or(0.0),
                        LaneKey::Proc(_) => 0.0,
                    };
                    for b in &lane_bars {
                        let r = Rect::from_min_max(
                            pos2(lanes_x + b.x0, y + 2.0),
                            pos2(lanes_x + b.x1, y + LANE_H - 2.0),
                        );
                        // Rounded corners only where they show: a narrow bar is a plain quad.
                        let radius = if r.width() > 6.0 { 2.0 } else { 0.0 };
                        bar_painter.rect_filled(r, radius, rgb(b.outcome, dark));
                        let s = &lane_spans[b.first];
                        if b.count == 1 && s.input.is_some() && is_straggler(s.duration(now), median) {
                            bar_painter.rect_stroke(r, 2.0, Stroke::new(2.0, fg), StrokeKind::Outside);
                        }
                        let picked = self.picked.as_ref().is_some_and(|pk| {
                            pk.process == lane.label && (s.input.is_none() || pk.input == s.input)
                        });
                        if picked && b.count == 1 {
                            bar_painter.rect_stroke(
                                r,
                                2.0,
                                Stroke::new(2.0, ui.visuals().selection.stroke.color),
                                StrokeKind::Outside,
                            );
                        }
                    }
                    let in_lane = pointer.filter(|pt| pt.y >= y && pt.y < y + LANE_H);
                    let mark = hidden(p, lane.key).map(|(n, from, to)| {
                        let r = hidden_mark(&v, lanes_x, y, from, to);
                        bar_painter.rect_filled(r, 0.0, weak.gamma_multiply(0.3));
                        let text = format!("\u{00ab} {}", hidden_text(n));
                        bar_painter.text(
                            pos2(r.right().max(lanes_x + 4.0) - 4.0, y + LANE_H / 2.0),
                            Align2::RIGHT_CENTER,
                            &text,
                            FontId::proportional(11.0),
                            fg,
                        );
                        // Said on hover of the mark and of the lane's name.
                        if in_lane.is_some_and(|pt| pt.x < lanes_x || (pt.x >= r.left() && pt.x <= r.right()))
                        {
                            hovered_mark = Some(format!(
                                "{}: {} (a lane keeps its latest {} runs)",
                                lane.label,
                                hidden_text(n),
                                crate::pictures::fold::MAX_RUNS
                            ));
                        }
                        text
                    });
                    self.drawn.push(DrawnLane {
                        label: lane.label.clone(),
                        bars: lane_bars
                            .iter()
                            .map(|b| (lane_spans[b.first].input, b.outcome, b.count))
                            .collect(),
                        rects: lane_bars
                            .iter()
                            .map(|b| {
                                Rect::from_min_max(
                                    pos2(lanes_x + b.x0, y + 2.0),
                                    pos2(lanes_x + b.x1, y + LANE_H - 2.0),
                                )
                            })
                            .collect(),
                        hidden: mark,
                    });
                    if let Some(pt) = in_lane {
                        if let Some(b) = bar_at(&lane_bars, pt.x - lanes_x) {
                            hovered = Some((i, *b));
                        }
                    }
                }
                // Now.
                let x_now = lanes_x + v.x(now);
                if live && x_now >= lanes_x {
                    painter.line_segment(
                        [
                            pos2(x_now, origin.y + viewport.min.y),
                            pos2(x_now, origin.y + viewport.max.y),
                        ],
                        Stroke::new(1.0, ui.visuals().warn_fg_color),
                    );
                }
                if let Some((LaneRow::Lane(lane), b)) = hovered.and_then(|(i, b)| Some((all.get(i)?, b))) {
                    let s = spans(p, lane.key)[b.first];
                    let text = describe_bar(p, lane, &s, b.count, now);
                    let clicked = resp.clicked();
                    resp.clone().on_hover_text_at_pointer(text);
                    if clicked && b.count == 1 {
                        let picked = Picked {
                            process: lane.label.clone(),
                            pool: lane.pool.clone(),
                            input: s.input,
                        };
                        out.push(match (&picked.pool, picked.input) {
                            // A pool's bar: its input in the Pools table and the log.
                            (Some(pool), Some(input)) => Intent::ShowInput {
                                pool: pool.clone(),
                                input,
                            },
                            _ => Intent::ShowInLog(picked.process.clone()),
                        });
                        self.picked = Some(picked);
                        self.just_picked = true;
                    } else if clicked {
                        // Several under the pointer: zoom in on them.
                        let at = v.t(b.x0 + (b.x1 - b.x0) / 2.0);
                        self.set(zoom(v, 0.1, at), false);
                    }
                }
                if hovered.is_none() {
                    if let Some(text) = hovered_mark {
                        resp.clone().on_hover_text_at_pointer(text);
                    }
                }
                self.steer(ui, &resp, v, now);
            });
        (c.lanes, c.medians) = (all, medians);
        self.cache = Some(c);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn following_keeps_now_in_view_and_steering_stops_it() {
        let p = Pictures::default();
        let mut t = TimelineView::default();
        let v = t.view(&p, 100.0, 500.0);
        assert!(v.t0 <= 0.0 && v.t1 >= 100.0, "the whole session at first");
        t.set(
            View {
                t0: 0.0,
                t1: 10.0,
                width: 500.0,
            },
            true,
        );
        let v = t.view(&p, 100.0, 500.0);
        assert!(v.t0 < 100.0 && v.t1 > 100.0 && (v.t1 - v.t0 - 10.0).abs() < 1e-9);
        t.set(
            View {
                t0: 3.0,
                t1: 4.0,
                width: 500.0,
            },
            false,
        );
        assert_eq!(t.view(&p, 200.0, 500.0).t0, 3.0);
    }

    #[test]
    fn long_labels_keep_their_end() {
        assert_eq!(short_label("a/worker-1", 24), "a/worker-1");
        let l = short_label("a-very-long-pool-name-here/worker-12", 24);
        assert!(l.ends_with("/worker-12") && l.chars().count() == 24, "{l}");
        assert!(l.starts_with('\u{2026}'));
    }
}
