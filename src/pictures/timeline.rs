//! The timeline as data: which lanes there are, and which bars a lane
//! shows in a window of time at a width in pixels. Pure functions of the
//! folded pictures; the app, the SVG and the tests all draw from them.
//!
//! Bars narrower than a pixel are drawn together: neighbours closer than a
//! pixel join one bar up to [`JOIN_PX`] wide, coloured by the outcome most
//! worth seeing among them, so a lane costs at most about one bar per pixel
//! however many runs or inputs it has.

use super::fold::{Outcome, Pictures, Span};

/// How wide a bar made of several may grow, in pixels.
pub const JOIN_PX: f32 = 3.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LaneKey {
    /// A process that is not a pool worker: one bar per run.
    Proc(usize),
    /// A pool's worker: one bar per input it ran.
    Worker { pool: usize, lane: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lane {
    pub key: LaneKey,
    pub label: String,
    /// The pool it belongs to.
    pub pool: Option<String>,
    /// The host it runs on (`worker_host`); `None`: this machine.
    pub host: Option<String>,
}

/// Every lane: the processes first (in the order they started), then each
/// pool's workers.
pub fn lanes(p: &Pictures) -> Vec<Lane> {
    let mut out: Vec<Lane> = p
        .procs
        .iter()
        .enumerate()
        .filter(|(_, l)| l.pool.is_none())
        .map(|(i, l)| Lane {
            key: LaneKey::Proc(i),
            label: l.name.clone(),
            pool: None,
            host: p.hosts.get(&l.name).cloned(),
        })
        .collect();
    for (pi, pool) in p.pools.iter().enumerate() {
        for (li, w) in pool.lanes.iter().enumerate() {
            out.push(Lane {
                key: LaneKey::Worker { pool: pi, lane: li },
                label: w.clone(),
                pool: Some(pool.name.clone()),
                host: p.hosts.get(w).cloned(),
            });
        }
    }
    out
}

/// The spans of a lane, in start order (empty if the key is stale).
pub fn spans(p: &Pictures, key: LaneKey) -> &[Span] {
    match key {
        LaneKey::Proc(i) => p.procs.get(i).map_or(&[], |l| &l.runs),
        LaneKey::Worker { pool, lane } => p
            .pools
            .get(pool)
            .and_then(|x| x.spans.get(lane))
            .map_or(&[], |v| v.as_slice()),
    }
}

/// Runs of a lane that are no longer kept (see `fold::MAX_RUNS`): how
/// many, and the time they were in, `(count, from, to)`.
pub fn hidden(p: &Pictures, key: LaneKey) -> Option<(u64, f64, f64)> {
    match key {
        LaneKey::Proc(i) => {
            let lane = p.procs.get(i)?;
            let (from, to) = lane.hidden_span()?;
            Some((lane.dropped_runs, from, to))
        }
        LaneKey::Worker { .. } => None,
    }
}

/// What the mark of hidden runs says.
pub fn hidden_text(count: u64) -> String {
    format!(
        "{count} earlier run{} not shown",
        if count == 1 { "" } else { "s" }
    )
}

/// A label cut to `max` characters with an ellipsis, keeping its end (a
/// worker's number, a process's suffix).
pub fn short_label(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let keep = max.saturating_sub(1);
    let tail: String = s.chars().skip(n - keep).collect();
    format!("\u{2026}{tail}")
}

/// Text cut to `max` characters with an ellipsis at the end.
pub fn cut(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('\u{2026}');
    out
}

/// A window of time drawn over a width in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    pub t0: f64,
    pub t1: f64,
    pub width: f32,
}

impl View {
    pub fn x(&self, t: f64) -> f32 {
        let span = (self.t1 - self.t0).max(1e-9);
        (((t - self.t0) / span) as f32 * self.width).clamp(-1e6, 1e6)
    }
    pub fn t(&self, x: f32) -> f64 {
        self.t0 + f64::from(x / self.width.max(1.0)) * (self.t1 - self.t0)
    }
}

/// A bar as drawn: one span, or several under a few pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bar {
    pub x0: f32,
    pub x1: f32,
    pub outcome: Outcome,
    /// Spans it stands for.
    pub count: u32,
    /// Index in the lane's spans of the first.
    pub first: usize,
}

/// The bars of one lane's `spans` (start order, not overlapping) in `view`;
/// `now` ends the spans still running.
pub fn bars(spans: &[Span], now: f64, view: &View) -> Vec<Bar> {
    let from = spans.partition_point(|s| s.end_or(now) < view.t0);
    let mut out: Vec<Bar> = Vec::new();
    for (i, s) in spans.iter().enumerate().skip(from) {
        if s.start > view.t1 {
            break;
        }
        let x0 = view.x(s.start);
        // Even an instant (a failed start) gets a pixel.
        let x1 = view.x(s.end_or(now)).max(x0 + 1.0);
        if let Some(b) = out.last_mut() {
            let narrow = b.x1 - b.x0 <= 1.0 || x1 - x0 <= 1.0;
            if narrow && x0 - b.x1 < 1.0 && x1 - b.x0 <= JOIN_PX {
                b.x1 = b.x1.max(x1);
                b.count += 1;
                if s.outcome.weight() > b.outcome.weight() {
                    b.outcome = s.outcome;
                }
                continue;
            }
        }
        out.push(Bar {
            x0,
            x1,
            outcome: s.outcome,
            count: 1,
            first: i,
        });
    }
    out
}

/// The bar under `x`, if any.
pub fn bar_at(bars: &[Bar], x: f32) -> Option<&Bar> {
    let i = bars.partition_point(|b| b.x1 < x);
    bars.get(i).filter(|b| b.x0 <= x)
}

/// Zooms `view` by `factor` (< 1 zooms in) around time `at`, never to less
/// than a millisecond or more than ten years.
pub fn zoom(view: View, factor: f64, at: f64) -> View {
    let factor = if factor.is_finite() && factor > 0.0 {
        factor
    } else {
        1.0
    };
    let span = ((view.t1 - view.t0) * factor).clamp(1e-3, 3.2e8);
    let k = if view.t1 > view.t0 {
        ((at - view.t0) / (view.t1 - view.t0)).clamp(0.0, 1.0)
    } else {
        0.5
    };
    let t0 = at - span * k;
    View {
        t0,
        t1: t0 + span,
        width: view.width,
    }
}

/// Moves `view` by `dt` seconds.
pub fn pan(view: View, dt: f64) -> View {
    let dt = if dt.is_finite() {
        dt.clamp(-3.2e8, 3.2e8)
    } else {
        0.0
    };
    View {
        t0: view.t0 + dt,
        t1: view.t1 + dt,
        width: view.width,
    }
}

/// The whole session, with a little room at the end.
pub fn fit(p: &Pictures, now: f64, width: f32) -> View {
    let end = now.max(p.last).max(1.0);
    View {
        t0: 0.0,
        t1: end * 1.02,
        width,
    }
}

/// Steps for the time axis: a round number of seconds giving ticks at
/// least `min_px` apart.
pub fn tick_step(view: &View, min_px: f32) -> f64 {
    let per_px = (view.t1 - view.t0) / f64::from(view.width.max(1.0));
    let want = per_px * f64::from(min_px);
    const STEPS: [f64; 21] = [
        0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0,
        300.0, 600.0, 1800.0, 3600.0,
    ];
    STEPS
        .iter()
        .copied()
        .find(|s| *s >= want)
        .unwrap_or_else(|| (want / 3600.0).ceil().max(1.0) * 3600.0)
}

/// A tick's label: `750ms`, `12s`, `2m30s`, `1h05m`.
pub fn tick_label(t: f64, step: f64) -> String {
    if step < 1.0 {
        return format!(
            "{:.*}s",
            if step < 0.01 {
                3
            } else if step < 0.1 {
                2
            } else {
                1
            },
            t
        );
    }
    let s = t.round() as i64;
    match s.abs() {
        a if a < 60 => format!("{s}s"),
        a if a < 3600 => format!("{}m{:02}s", s / 60, (s % 60).abs()),
        _ => format!("{}h{:02}m", s / 3600, ((s % 3600) / 60).abs()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: f64, end: Option<f64>, outcome: Outcome) -> Span {
        Span {
            start,
            end,
            pid: None,
            outcome,
            input: None,
        }
    }

    #[test]
    fn bars_are_placed_and_cut_to_the_view() {
        let s = [
            span(0.0, Some(1.0), Outcome::Succeeded),
            span(2.0, Some(3.0), Outcome::Failed(1)),
            span(5.0, None, Outcome::Running),
        ];
        let v = View {
            t0: 1.5,
            t1: 6.5,
            width: 500.0,
        };
        let b = bars(&s, 6.0, &v);
        assert_eq!(b.len(), 2, "the first ended before the view");
        assert_eq!((b[0].x0, b[0].x1, b[0].first), (50.0, 150.0, 1));
        assert_eq!((b[1].x0, b[1].x1), (350.0, 450.0), "running: up to now");
        assert_eq!(bar_at(&b, 100.0).map(|b| b.first), Some(1));
        assert_eq!(bar_at(&b, 200.0), None);
    }

    #[test]
    fn a_hundred_thousand_inputs_make_about_one_bar_per_pixel() {
        let mut s: Vec<Span> = (0..100_000)
            .map(|i| span(i as f64 * 0.01, Some(i as f64 * 0.01 + 0.009), Outcome::Succeeded))
            .collect();
        s[50_000].outcome = Outcome::Failed(2);
        let v = View {
            t0: 0.0,
            t1: 1000.0,
            width: 1000.0,
        };
        let b = bars(&s, 1000.0, &v);
        assert!(b.len() <= 1000 && b.len() >= 300, "{}", b.len());
        assert_eq!(b.iter().map(|b| b.count as usize).sum::<usize>(), 100_000);
        assert!(b.iter().all(|b| b.x1 - b.x0 <= JOIN_PX + 1.0));
        assert_eq!(
            b.iter().filter(|b| b.outcome == Outcome::Failed(2)).count(),
            1,
            "a failure stays visible"
        );
        // Zoomed in, each is its own bar.
        let v = View {
            t0: 100.0,
            t1: 101.0,
            width: 1000.0,
        };
        assert!(bars(&s, 1000.0, &v).iter().all(|b| b.count == 1));
    }

    #[test]
    fn zoom_and_pan_keep_the_anchor_and_stay_sane() {
        let v = View {
            t0: 0.0,
            t1: 10.0,
            width: 100.0,
        };
        let z = zoom(v, 0.5, 5.0);
        assert_eq!((z.t0, z.t1), (2.5, 7.5));
        let z = zoom(v, 0.5, 0.0);
        assert_eq!((z.t0, z.t1), (0.0, 5.0));
        assert_eq!(zoom(v, f64::NAN, 3.0), v);
        assert!(zoom(v, 1e-30, 3.0).t1 - zoom(v, 1e-30, 3.0).t0 >= 0.99e-3);
        assert_eq!(pan(v, 2.0).t0, 2.0);
        assert_eq!(pan(v, f64::INFINITY), v);
        assert!((v.t(v.x(3.3)) - 3.3).abs() < 1e-6);
    }

    #[test]
    fn ticks_are_round_and_labelled() {
        let v = View {
            t0: 0.0,
            t1: 100.0,
            width: 1000.0,
        };
        assert_eq!(tick_step(&v, 60.0), 10.0);
        assert_eq!(tick_label(150.0, 30.0), "2m30s");
        assert_eq!(tick_label(3900.0, 600.0), "1h05m");
        assert_eq!(tick_label(0.25, 0.05), "0.25s");
    }
}
