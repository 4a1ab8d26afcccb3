//! Which lanes the SVG draws, and bounded: past [`MAX_PROC_LANES`]
//! processes (or [`MAX_WORKER_LANES`] pool workers) the rest are drawn as
//! one lane, "N more processes", each pixel coloured by the outcome most
//! worth seeing among what ran there; and no lane draws more than about
//! [`MAX_BARS`] bars (sub-pixel bars are joined at a coarser grain). So a
//! journal of 100,000 processes makes an SVG of a few hundred lanes' worth.

use super::fold::{Outcome, Pictures};
use super::timeline::{bars, spans, Bar, Lane, LaneKey, View};

/// Process lanes drawn one by one; the rest are one lane.
pub const MAX_PROC_LANES: usize = 60;
/// Pool worker lanes drawn one by one (all pools); the rest are one lane.
pub const MAX_WORKER_LANES: usize = 40;
/// Bars drawn at most in one lane (about).
pub const MAX_BARS: usize = 300;
/// Characters of a lane's label (about what fits in its column).
pub const LABEL_CHARS: usize = 26;
/// Characters of a text in a tooltip (an input, a name).
pub const TITLE_CHARS: usize = 120;

/// A lane of the SVG.
#[derive(Clone, Debug, PartialEq)]
pub enum SvgLane {
    One(Lane),
    /// Several lanes drawn as one: their label, and theirs keys.
    Many {
        label: String,
        keys: Vec<LaneKey>,
    },
    /// The header of a host's lanes (see `host_lanes`).
    Host(String),
}

/// The lanes to draw, under a header per host when the work ran on more
/// than one (each host's lanes bounded as `svg_lanes` bounds them).
pub fn grouped_svg_lanes(all: Vec<Lane>) -> Vec<SvgLane> {
    use super::host_lanes::{group_by_host, header_text, LaneRow};
    let rows = group_by_host(all);
    let mut out = Vec::new();
    let mut group = Vec::new();
    let mut header = None;
    for row in rows.into_iter().chain([LaneRow::Host {
        host: String::new(),
        lanes: 0,
    }]) {
        match row {
            LaneRow::Lane(l) => group.push(l),
            LaneRow::Host { host, lanes } => {
                out.extend(header.take());
                out.extend(svg_lanes(std::mem::take(&mut group)));
                header = Some(SvgLane::Host(header_text(&host, lanes)));
            }
        }
    }
    out
}

/// The lanes to draw, bounded.
pub fn svg_lanes(all: Vec<Lane>) -> Vec<SvgLane> {
    let (procs, workers): (Vec<Lane>, Vec<Lane>) = all.into_iter().partition(|l| l.pool.is_none());
    let mut out = Vec::new();
    for (group, max, what) in [
        (procs, MAX_PROC_LANES, "processes"),
        (workers, MAX_WORKER_LANES, "pool workers"),
    ] {
        if group.len() <= max {
            out.extend(group.into_iter().map(SvgLane::One));
            continue;
        }
        let mut group = group;
        let rest = group.split_off(max - 1);
        out.extend(group.into_iter().map(SvgLane::One));
        out.push(SvgLane::Many {
            label: format!("{} more {what}", rest.len()),
            keys: rest.into_iter().map(|l| l.key).collect(),
        });
    }
    out
}

/// The bars of one lane, at most about [`MAX_BARS`]: past that, drawn as
/// at a coarser width (neighbours under a coarse pixel join).
pub fn lane_bars(p: &Pictures, key: LaneKey, now: f64, view: &View) -> Vec<Bar> {
    let s = spans(p, key);
    let b = bars(s, now, view);
    if b.len() <= MAX_BARS {
        return b;
    }
    let coarse = View {
        width: MAX_BARS as f32 / 2.0,
        ..*view
    };
    let k = view.width / coarse.width;
    bars(s, now, &coarse)
        .into_iter()
        .map(|b| Bar {
            x0: b.x0 * k,
            x1: b.x1 * k,
            ..b
        })
        .collect()
}

/// Several lanes as one: one bar per stretch of pixels where something
/// ran, coloured by the outcome most worth seeing there; `count` is how
/// many runs started in the stretch. O(runs + width).
pub fn merged_bars(p: &Pictures, keys: &[LaneKey], now: f64, view: &View) -> Vec<Bar> {
    let w = if view.width.is_finite() {
        view.width.clamp(1.0, 10_000.0) as usize
    } else {
        1
    };
    // Per outcome weight: +1 where a run starts covering a pixel, -1 after.
    let mut diff = vec![[0i64; 6]; w + 1];
    let mut starts = vec![0u32; w + 1];
    let mut seen: [Option<Outcome>; 6] = [None; 6];
    let px = |x: f32| (x.max(0.0) as usize).min(w);
    for &key in keys {
        for s in spans(p, key) {
            let (t0, t1) = (s.start, s.end_or(now));
            if t1 < view.t0 || t0 > view.t1 {
                continue;
            }
            let (a, b) = (px(view.x(t0)), px(view.x(t1)).max(px(view.x(t0)) + 1).min(w));
            if a >= w {
                continue;
            }
            let k = usize::from(s.outcome.weight()).min(5);
            seen[k].get_or_insert(s.outcome);
            diff[a][k] += 1;
            diff[b][k] -= 1;
            starts[a] = starts[a].saturating_add(1);
        }
    }
    let mut out: Vec<Bar> = Vec::new();
    let mut live = [0i64; 6];
    for x in 0..w {
        for (k, d) in diff[x].iter().enumerate() {
            live[k] += d;
        }
        let Some(k) = (0..6).rev().find(|&k| live[k] > 0) else {
            continue;
        };
        let outcome = seen[k].unwrap_or(Outcome::Succeeded);
        match out.last_mut() {
            Some(b) if b.x1 == x as f32 && b.outcome == outcome => {
                b.x1 += 1.0;
                b.count = b.count.saturating_add(starts[x]);
            }
            _ => out.push(Bar {
                x0: x as f32,
                x1: x as f32 + 1.0,
                outcome,
                count: starts[x],
                first: 0,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use crate::pictures::fold::tests_support::at;
    use crate::pictures::timeline::lanes;

    #[test]
    fn many_processes_are_drawn_as_a_bounded_number_of_lanes() {
        let mut p = Pictures::default();
        for i in 0..1000u32 {
            let name = format!("p{i}");
            let t = i64::from(i);
            p.apply(&at(t, EventKind::Spawned { command: "x".into() }).process(&name, Some(i + 10)));
            p.apply(
                &at(
                    t + 5,
                    EventKind::Exited {
                        exit_code: if i == 700 { 3 } else { 0 },
                        runtime: 0.005,
                        restart_in: None,
                        usage: None,
                        stopped: false,
                    },
                )
                .process(&name, Some(i + 10)),
            );
        }
        let l = svg_lanes(lanes(&p));
        assert_eq!(l.len(), MAX_PROC_LANES);
        let SvgLane::Many { label, keys } = l.last().unwrap() else {
            panic!("the last lane stands for the rest")
        };
        assert_eq!(label, &format!("{} more processes", 1000 - MAX_PROC_LANES + 1));
        let view = View {
            t0: 0.0,
            t1: 1.1,
            width: 1000.0,
        };
        let b = merged_bars(&p, keys, 1.1, &view);
        assert!(!b.is_empty() && b.len() < 1000, "{}", b.len());
        assert_eq!(
            b.iter().map(|b| b.count as usize).sum::<usize>(),
            keys.len(),
            "every run is counted once"
        );
        assert!(
            b.iter().any(|b| b.outcome == Outcome::Failed(3)),
            "the failure stays visible"
        );
    }
}
