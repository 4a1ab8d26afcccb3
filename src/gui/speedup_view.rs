//! Each pool's speedup under the timeline: the figures in words (kept
//! while nothing changes: they are O(inputs) to compute) and a bar per
//! worker of its busy share.

use super::timeline::rgb;
use crate::pictures::speedup::{speedup, Speedup};
use crate::pictures::{Outcome, Pictures};
use egui::{vec2, Rect, Sense, Ui};

/// Each pool's figures, kept for a version of the pictures (and a second
/// of `now` while a pool runs): they are O(inputs) to compute.
#[derive(Default)]
pub struct SpeedupCache {
    at: Option<(u64, i64, usize)>,
    figures: Vec<Speedup>,
}

impl SpeedupCache {
    pub fn get(&mut self, p: &Pictures, now: f64) -> &[Speedup] {
        // Which pictures (the live session's or a past one's) counts too;
        // a running pool's figures are redone once a second of `now`.
        let running = p.pools.iter().any(|x| x.ended.is_none());
        let spans: usize = p.pools.iter().flat_map(|x| x.spans.iter().map(Vec::len)).sum();
        let ended = p.pools.iter().filter(|x| x.ended.is_some()).count();
        let key = (
            (spans as u64) << 20 | ended as u64,
            if running { now.floor() as i64 } else { -1 },
            p as *const Pictures as usize,
        );
        if self.at != Some(key) || self.figures.len() != p.pools.len() {
            self.at = Some(key);
            self.figures = p.pools.iter().map(|x| speedup(x, now)).collect();
        }
        &self.figures
    }
}

/// Each pool's figures in words, under the timeline.
pub fn speedup_lines(ui: &mut Ui, p: &Pictures, figures: &[Speedup]) {
    for (pool, s) in p.pools.iter().zip(figures) {
        for (i, line) in crate::pictures::speedup::describe(&pool.name, s)
            .iter()
            .enumerate()
        {
            let text = egui::RichText::new(line.trim_start());
            ui.label(if i == 0 { text.strong() } else { text });
        }
        busy_bars(ui, s);
    }
}

/// One bar per worker: its busy share.
fn busy_bars(ui: &mut Ui, s: &Speedup) {
    let dark = ui.visuals().dark_mode;
    for (name, _, share) in &s.busy {
        ui.horizontal(|ui| {
            ui.label(egui::RichText::new(crate::pictures::speedup::short_worker(name)).monospace());
            let (r, _) = ui.allocate_exact_size(vec2(200.0, 10.0), Sense::hover());
            ui.painter().rect_filled(r, 2.0, ui.visuals().extreme_bg_color);
            let w = r.width() * (*share as f32).clamp(0.0, 1.0);
            ui.painter().rect_filled(
                Rect::from_min_size(r.min, vec2(w, r.height())),
                2.0,
                rgb(Outcome::Succeeded, dark),
            );
            ui.label(format!("busy {:.0}%", share * 100.0));
        });
    }
}
