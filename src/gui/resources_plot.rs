//! CPU and memory over time: the sparkline of a process table row, the
//! larger plot of one process (`show`, for its detail pane) with its peak
//! memory and CPU seconds, and the session's CPU and memory stacked by task.

use super::theme::format_bytes;
use crate::pictures::series::Series;
use crate::pictures::stacked::{stacked, Stack};
use crate::pictures::svg::GROUP_RGB;
use crate::pictures::timeline::{tick_label, tick_step, View};
use crate::pictures::ProcLane;
use egui::{pos2, vec2, Color32, FontId, Rect, Sense, Shape, Stroke, Ui};

fn cpu_color(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0x4a, 0x9e, 0xff)
    } else {
        Color32::from_rgb(0x1f, 0x6f, 0xd6)
    }
}

fn mem_color(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xf0, 0xa0, 0x3c)
    } else {
        Color32::from_rgb(0xc0, 0x6a, 0x00)
    }
}

/// A line of `series` in `rect`: CPU (`cpu`) or memory, scaled to `max`.
fn line(series: &Series, rect: Rect, t0: f64, t1: f64, max: f64, cpu: bool) -> Vec<egui::Pos2> {
    let span = (t1 - t0).max(1e-9);
    series
        .points()
        .filter(|p| p.t >= t0 && p.t <= t1)
        .map(|p| {
            let v = if cpu { f64::from(p.cpu) } else { p.rss_kb as f64 };
            let x = rect.left() + ((p.t - t0) / span) as f32 * rect.width();
            let y = rect.bottom() - ((v / max.max(1e-9)) as f32).clamp(0.0, 1.0) * rect.height();
            pos2(x, y)
        })
        .collect()
}

/// Points of a sparkline: the last `n` samples of a process, each as
/// (CPU, memory) scaled to 0..1 (CPU of one full CPU, memory of its peak).
pub fn spark_points(lane: &ProcLane, n: usize) -> Vec<[f32; 2]> {
    let len = lane.series.len();
    let peak = lane.series.points().map(|p| p.rss_kb).max().unwrap_or(0).max(1) as f32;
    lane.series
        .points()
        .skip(len.saturating_sub(n))
        .map(|p| {
            [
                (p.cpu / 100.0).clamp(0.0, 1.0),
                (p.rss_kb as f32 / peak).clamp(0.0, 1.0),
            ]
        })
        .collect()
}

/// Points of every process's sparkline, recomputed when new samples came.
#[derive(Default)]
pub struct Sparks {
    by_name: std::collections::HashMap<String, Vec<[f32; 2]>>,
    /// Samples and processes seen when they were computed.
    at: u64,
}

impl Sparks {
    pub fn update(&mut self, model: &crate::model::SessionModel) {
        // New samples, or a process started or ended.
        let at = model.pictures.samples_seen ^ (model.pictures.procs.len() as u64) << 40;
        if self.at == at && at != 0 {
            return;
        }
        self.at = at;
        self.by_name.clear();
        for lane in &model.pictures.procs {
            if lane.series.len() >= 2 {
                self.by_name.insert(lane.name.clone(), spark_points(lane, 60));
            }
        }
    }

    pub fn of(&self, name: &str) -> Option<&[[f32; 2]]> {
        self.by_name.get(name).map(Vec::as_slice)
    }
}

/// A sparkline in a table cell: memory (orange) and CPU (blue).
pub fn sparkline(ui: &mut Ui, pts: &[[f32; 2]], width: f32) -> egui::Response {
    let (rect, resp) = ui.allocate_exact_size(vec2(width, 14.0), Sense::hover());
    if pts.len() < 2 {
        return resp;
    }
    let dark = ui.visuals().dark_mode;
    let p = ui.painter_at(rect);
    let step = rect.width() / (pts.len() - 1) as f32;
    for (k, c) in [(1, mem_color(dark)), (0, cpu_color(dark))] {
        let line: Vec<egui::Pos2> = pts
            .iter()
            .enumerate()
            .map(|(i, v)| {
                pos2(
                    rect.left() + i as f32 * step,
                    rect.bottom() - v[k] * rect.height(),
                )
            })
            .collect();
        p.add(Shape::line(line, Stroke::new(1.0, c)));
    }
    resp
}

/// The larger plot of one process: memory and CPU over its life, peak
/// memory and CPU seconds in words. For the selected process's detail pane.
pub fn show(ui: &mut Ui, lane: &ProcLane, now: f64) {
    let dark = ui.visuals().dark_mode;
    ui.horizontal_wrapped(|ui| {
        ui.strong(&lane.name);
        ui.label(format!(
            "peak memory {} · CPU {:.2}s in total · {} run{}",
            format_bytes(lane.peak_rss_kb.saturating_mul(1024)),
            lane.cpu_seconds(),
            lane.runs.len(),
            if lane.runs.len() == 1 { "" } else { "s" }
        ));
        // The figures are the whole tree's; the leader's own apart.
        let tree = lane.series.points().map(|p| p.procs).max().unwrap_or(1);
        if tree > 1 {
            ui.label(
                egui::RichText::new(format!(
                    "(its whole tree, up to {tree} processes; the leader alone peaked at {})",
                    format_bytes(lane.own_peak_rss_kb.saturating_mul(1024))
                ))
                .weak(),
            );
        }
    });
    let Some(first) = lane.runs.first().map(|r| r.start) else {
        ui.label("It has not run.");
        return;
    };
    let end = lane.runs.last().map_or(now, |r| r.end_or(now)).max(first + 1.0);
    if lane.series.is_empty() {
        ui.label("No samples: it ran for less than a second.");
        return;
    }
    let max_mem = lane.series.points().map(|p| p.rss_kb).max().unwrap_or(1) as f64;
    let max_cpu = lane
        .series
        .points()
        .map(|p| f64::from(p.cpu))
        .fold(100.0, f64::max);
    for (cpu, title, max) in [
        (
            false,
            format!(
                "Memory (RSS), up to {}",
                format_bytes((max_mem as u64).saturating_mul(1024))
            ),
            max_mem,
        ),
        (true, format!("CPU, up to {max_cpu:.0}% of one CPU"), max_cpu),
    ] {
        ui.label(egui::RichText::new(title).small());
        let w = ui.available_width().max(100.0);
        let (rect, resp) = ui.allocate_exact_size(vec2(w, 90.0), Sense::hover());
        let p = ui.painter_at(rect);
        p.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let _ = axis(ui, &p, rect, first, end);
        let pts = line(&lane.series, rect, first, end, max, cpu);
        let c = if cpu { cpu_color(dark) } else { mem_color(dark) };
        p.add(Shape::line(pts, Stroke::new(1.5, c)));
        if let Some(pos) = resp.hover_pos() {
            let t = first + f64::from((pos.x - rect.left()) / rect.width()) * (end - first);
            if let Some(pt) = lane
                .series
                .points()
                .min_by(|a, b| (a.t - t).abs().total_cmp(&(b.t - t).abs()))
            {
                let own = if pt.procs > 1 {
                    format!(
                        "\n{} processes; the leader alone: CPU {:.1}%, memory {}",
                        pt.procs,
                        pt.own_cpu,
                        format_bytes(pt.own_rss_kb.saturating_mul(1024))
                    )
                } else {
                    String::new()
                };
                resp.on_hover_text_at_pointer(format!(
                    "at {:.1}s: CPU {:.1}%, memory {}{own}",
                    pt.t,
                    pt.cpu,
                    format_bytes(pt.rss_kb.saturating_mul(1024))
                ));
            }
        }
    }
}

/// The time axis's ticks over `[t0, t1]` drawn `width` wide: each tick's
/// x (from the left) and label.
pub fn ticks(t0: f64, t1: f64, width: f32) -> Vec<(f32, String)> {
    let v = View { t0, t1, width };
    let step = tick_step(&v, 80.0);
    let mut t = (t0 / step).ceil() * step;
    let mut out = Vec::new();
    for _ in 0..100 {
        if t > t1 {
            break;
        }
        out.push((v.x(t), tick_label(t, step)));
        t += step;
    }
    out
}

/// Where a label `w` wide centred on `x` goes so that it stays within
/// `[left, right]` (the first and last ticks are at the edges).
pub fn label_left(x: f32, w: f32, left: f32, right: f32) -> f32 {
    (x - w / 2.0).min(right - w).max(left)
}

/// Draws the time axis in `rect`; returns where each label went.
fn axis(ui: &Ui, p: &egui::Painter, rect: Rect, t0: f64, t1: f64) -> Vec<Rect> {
    let weak = ui.visuals().weak_text_color();
    let mut out = Vec::new();
    for (x, label) in ticks(t0, t1, rect.width()) {
        let g = p.layout_no_wrap(label, FontId::proportional(10.0), weak);
        let size = g.size();
        let left = label_left(rect.left() + x, size.x, rect.left() + 1.0, rect.right() - 1.0);
        let at = pos2(left, rect.bottom() - 2.0 - size.y);
        out.push(Rect::from_min_size(at, size));
        p.galley(at, g, weak);
    }
    out
}

/// The session's CPU and memory stacked by task, over `[t0, t1]`.
pub fn stacked_ui(ui: &mut Ui, pictures: &crate::pictures::Pictures, t0: f64, t1: f64) {
    let w = ui.available_width().max(100.0);
    let st = stacked(pictures, t0, t1, (w / 3.0) as usize);
    if st.groups.is_empty() {
        ui.label("No samples yet: processes are sampled about once a second while they run.");
        return;
    }
    ui.horizontal_wrapped(|ui| {
        for (i, g) in st.groups.iter().enumerate() {
            let [r, gr, b] = GROUP_RGB[i % GROUP_RGB.len()];
            let (rect, _) = ui.allocate_exact_size(vec2(10.0, 10.0), Sense::hover());
            ui.painter().rect_filled(rect, 2.0, Color32::from_rgb(r, gr, b));
            ui.label(egui::RichText::new(&g.name).small());
        }
    });
    for cpu in [true, false] {
        let _ = stacked_plot(ui, &st, cpu, t0, t1, w);
    }
}

/// Draws one stacked plot; returns where its axis labels went.
pub fn stacked_plot(ui: &mut Ui, st: &Stack, cpu: bool, t0: f64, t1: f64, w: f32) -> Vec<Rect> {
    let n = st.groups.first().map_or(0, |g| g.cpu.len());
    let value = |g: &crate::pictures::stacked::Group, b: usize| {
        if cpu {
            f64::from(g.cpu[b])
        } else {
            g.rss_kb[b] as f64
        }
    };
    let max = (0..n)
        .map(|b| st.groups.iter().map(|g| value(g, b)).sum::<f64>())
        .fold(0.0, f64::max)
        .max(1e-9);
    ui.label(
        egui::RichText::new(if cpu {
            format!("CPU by task, up to {max:.0}% of one CPU")
        } else {
            format!(
                "Memory by task, up to {}",
                format_bytes((max as u64).saturating_mul(1024))
            )
        })
        .small(),
    );
    let (rect, _) = ui.allocate_exact_size(vec2(w, 80.0), Sense::hover());
    let p = ui.painter_at(rect);
    p.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
    let bw = rect.width() / n.max(1) as f32;
    for b in 0..n {
        let mut y = rect.bottom();
        for (gi, g) in st.groups.iter().enumerate() {
            let h = (value(g, b) / max) as f32 * rect.height();
            if h <= 0.0 {
                continue;
            }
            let [r, gr, bl] = GROUP_RGB[gi % GROUP_RGB.len()];
            let x = rect.left() + b as f32 * bw;
            p.rect_filled(
                Rect::from_min_max(pos2(x, y - h), pos2(x + bw.max(1.0), y)),
                0.0,
                Color32::from_rgb(r, gr, bl),
            );
            y -= h;
        }
    }
    axis(ui, &p, rect, t0, t1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_and_last_tick_labels_stay_inside_the_plot() {
        assert_eq!(
            label_left(0.0, 20.0, 0.0, 300.0),
            0.0,
            "the first, at the left edge"
        );
        assert_eq!(
            label_left(300.0, 20.0, 0.0, 300.0),
            280.0,
            "the last, at the right edge"
        );
        assert_eq!(label_left(150.0, 20.0, 0.0, 300.0), 140.0, "others centred");
        // Drawn: every label of a plot from 0 to 10 s is inside it.
        let ctx = egui::Context::default();
        let mut drawn = Vec::new();
        let mut out = ctx.run_ui(egui::RawInput::default(), |ui| {
            let st = Stack {
                t0: 0.0,
                step: 1.0,
                groups: vec![crate::pictures::stacked::Group {
                    name: "a".into(),
                    cpu: vec![50.0; 10],
                    rss_kb: vec![100; 10],
                }],
            };
            let before = ui.cursor().min;
            let labels = stacked_plot(ui, &st, true, 0.0, 10.0, 300.0);
            let rect = Rect::from_min_size(pos2(before.x, ui.min_rect().bottom() - 80.0), vec2(300.0, 80.0));
            drawn.push((labels, rect));
        });
        out.textures_delta.clear();
        let (labels, rect) = &drawn[0];
        assert!(labels.len() >= 3, "{labels:?}");
        for l in labels {
            assert!(rect.contains_rect(*l), "{l:?} outside {rect:?}");
        }
    }
}
