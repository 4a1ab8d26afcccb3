//! The pictures as one SVG document, written by hand (no drawing library):
//! the timeline (a lane per process and per pool worker, a bar per run or
//! input, stragglers outlined), each pool's speedup in words, and the
//! session's CPU and memory stacked by task. `proctor run --timeline` and
//! `proctor export J out.svg` write it from a journal; the app's File ▸
//! Export picture… too.

use super::fold::{Outcome, Pictures};
use super::speedup::{describe, is_straggler, speedup};
use super::stacked::stacked;
use super::svg_lanes::{grouped_svg_lanes, lane_bars, merged_bars, SvgLane, LABEL_CHARS, TITLE_CHARS};
use super::timeline::{
    cut, hidden, hidden_text, lanes, short_label, spans, tick_label, tick_step, LaneKey, View,
};
use std::fmt::Write as _;

const WIDTH: f32 = 1200.0;
const LABEL: f32 = 180.0;
const LANE: f32 = 18.0;
const PLOT: f32 = 120.0;
/// Pools whose speedup is said in words.
const MAX_POOL_TEXTS: usize = 10;

/// The colour of an outcome: (r, g, b), for a dark or a light background.
pub fn outcome_rgb(o: Outcome, dark: bool) -> [u8; 3] {
    match (o, dark) {
        (Outcome::Running, true) => [0x4a, 0x9e, 0xff],
        (Outcome::Running, false) => [0x1f, 0x6f, 0xd6],
        (Outcome::Succeeded, true) => [0x4c, 0xc3, 0x6a],
        (Outcome::Succeeded, false) => [0x2e, 0x9a, 0x4b],
        (Outcome::Failed(_), true) => [0xf0, 0x5a, 0x5a],
        (Outcome::Failed(_), false) => [0xd0, 0x30, 0x30],
        (Outcome::Signalled(_), true) => [0xf0, 0xa0, 0x3c],
        (Outcome::Signalled(_), false) => [0xd0, 0x7a, 0x10],
        (Outcome::Stopped, true) => [0x9a, 0x9a, 0xa6],
        (Outcome::Stopped, false) => [0x80, 0x80, 0x8c],
        (Outcome::FailedToStart, true) => [0xc0, 0x6a, 0xe0],
        (Outcome::FailedToStart, false) => [0x9a, 0x40, 0xb8],
    }
}

/// Colours of the stacked plot's groups.
pub const GROUP_RGB: [[u8; 3]; 8] = [
    [0x4e, 0x79, 0xa7],
    [0xf2, 0x8e, 0x2b],
    [0x59, 0xa1, 0x4f],
    [0xe1, 0x57, 0x59],
    [0x76, 0xb7, 0xb2],
    [0xed, 0xc9, 0x48],
    [0xb0, 0x7a, 0xa1],
    [0x9c, 0x75, 0x5f],
];

fn hex(c: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

/// Text made safe for XML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            // Direction overrides and isolates would flip the text around
            // them (a name that reads backwards): shown, not obeyed.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => {
                out.push('\u{fffd}')
            }
            c => out.push(c),
        }
    }
    out
}

/// The SVG of the whole session, with the session's end (or its last
/// event) as "now".
pub fn svg(p: &Pictures, dark: bool) -> String {
    let now = p.last;
    let all = grouped_svg_lanes(lanes(p));
    let figures: Vec<_> = p.pools.iter().map(|x| speedup(x, now)).collect();
    let medians: Vec<f64> = figures.iter().map(|f| f.median).collect();
    let view = View {
        t0: 0.0,
        t1: (now * 1.02).max(1.0),
        width: WIDTH - LABEL - 20.0,
    };
    // Each pool's figures in words (the first few pools, each line cut).
    let mut texts: Vec<String> = p
        .pools
        .iter()
        .zip(&figures)
        .take(MAX_POOL_TEXTS)
        .flat_map(|(pool, f)| describe(&cut(&pool.name, 60), f))
        .map(|line| cut(&line, 190))
        .collect();
    if p.pools.len() > MAX_POOL_TEXTS {
        texts.push(format!(
            "\u{2026} and {} more pools",
            p.pools.len() - MAX_POOL_TEXTS
        ));
    }
    let top = 30.0;
    let lanes_h = all.len() as f32 * LANE;
    let text_y = top + lanes_h + 30.0;
    let plots_y = text_y + texts.len() as f32 * 16.0 + 20.0;
    let height = plots_y + 2.0 * (PLOT + 30.0) + 10.0;
    let (bg, fg, weak) = if dark {
        ("#1b1b1f", "#e6e6e6", "#3a3a42")
    } else {
        ("#ffffff", "#1b1b1f", "#d8d8de")
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="{bg}"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="8" y="18" fill="{fg}" font-weight="bold">Timeline</text>"#
    );
    // The time axis.
    let step = tick_step(&view, 80.0);
    let mut t = 0.0;
    while t <= view.t1 && step > 0.0 {
        let x = LABEL + view.x(t);
        let _ = writeln!(
            s,
            r#"<line x1="{x:.1}" y1="{top}" x2="{x:.1}" y2="{:.1}" stroke="{weak}"/><text x="{x:.1}" y="{:.1}" fill="{fg}" text-anchor="middle">{}</text>"#,
            top + lanes_h,
            top - 4.0,
            tick_label(t, step)
        );
        t += step;
    }
    for (i, lane) in all.iter().enumerate() {
        let y = top + i as f32 * LANE;
        let (label, many) = match lane {
            SvgLane::One(l) => (l.label.as_str(), false),
            SvgLane::Many { label, .. } => (label.as_str(), true),
            SvgLane::Host(text) => {
                let _ = writeln!(
                    s,
                    r#"<text class="host" x="8" y="{:.1}" fill="{fg}" font-weight="bold">{}</text><line x1="8" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="{weak}"/>"#,
                    y + LANE - 5.0,
                    escape(&cut(text, 80)),
                    y + LANE - 0.5,
                    WIDTH - 8.0,
                    y + LANE - 0.5
                );
                continue;
            }
        };
        let _ = writeln!(
            s,
            r#"<text x="8" y="{:.1}" fill="{fg}"{}><title>{}</title>{}</text>"#,
            y + LANE - 5.0,
            if many { r#" font-style="italic""# } else { "" },
            escape(&cut(label, TITLE_CHARS)),
            escape(&short_label(label, LABEL_CHARS))
        );
        let lane = match lane {
            SvgLane::One(l) => l,
            SvgLane::Host(_) => continue,
            SvgLane::Many { label, keys } => {
                for b in merged_bars(p, keys, now, &view) {
                    let _ = writeln!(
                        s,
                        r#"<rect class="bar merged" data-count="{}" x="{:.2}" y="{:.1}" width="{:.2}" height="{:.1}" fill="{}"><title>{}: {} run{} started here</title></rect>"#,
                        b.count,
                        LABEL + b.x0,
                        y + 2.0,
                        (b.x1 - b.x0).max(0.5),
                        LANE - 4.0,
                        hex(outcome_rgb(b.outcome, dark)),
                        escape(label),
                        b.count,
                        if b.count == 1 { "" } else { "s" }
                    );
                }
                continue;
            }
        };
        if let Some((n, from, to)) = hidden(p, lane.key) {
            let x1 = LABEL + view.x(to);
            let x0 = (LABEL + view.x(from)).min(x1 - 6.0).max(LABEL);
            let _ = writeln!(
                s,
                r#"<rect class="hidden-runs" x="{x0:.2}" y="{:.1}" width="{:.2}" height="{:.1}" fill="{weak}"><title>{}</title></rect><text x="{:.1}" y="{:.1}" fill="{fg}" font-size="10" text-anchor="end">{}</text>"#,
                y + 3.0,
                (x1 - x0).max(1.0),
                LANE - 6.0,
                escape(&hidden_text(n)),
                x1.max(LABEL + 60.0) - 3.0,
                y + LANE - 5.0,
                escape(&format!("\u{ab} {}", hidden_text(n)))
            );
        }
        let lane_spans = spans(p, lane.key);
        let median = match lane.key {
            LaneKey::Worker { pool, .. } => medians.get(pool).copied().unwrap_or(0.0),
            LaneKey::Proc(_) => 0.0,
        };
        let name = cut(&lane.label, TITLE_CHARS);
        for b in lane_bars(p, lane.key, now, &view) {
            let first = &lane_spans[b.first];
            let (class, what) = match (first.input, b.count) {
                (Some(input), 1) => ("bar input", format!(" data-input=\"{input}\"")),
                (_, 1) => ("bar run", String::new()),
                (_, n) => ("bar many", format!(" data-count=\"{n}\"")),
            };
            let straggler =
                b.count == 1 && first.input.is_some() && is_straggler(first.duration(now), median);
            let stroke = if straggler {
                format!(r#" stroke="{fg}" stroke-width="2""#)
            } else {
                String::new()
            };
            let title = match (first.input, b.count) {
                (_, n) if n > 1 => format!(
                    "{name}: {n} {} here",
                    if first.input.is_some() { "inputs" } else { "runs" }
                ),
                (Some(i), _) => format!(
                    "{name} input #{i} {}: {:.3}s, {}",
                    cut(
                        lane.pool
                            .as_deref()
                            .and_then(|pool| p.pool(pool))
                            .and_then(|x| x.input_texts.get(&i))
                            .map_or("", |v| v),
                        TITLE_CHARS
                    ),
                    first.duration(now),
                    first.outcome.label()
                ),
                (None, _) => format!("{name}: {:.3}s, {}", first.duration(now), first.outcome.label()),
            };
            let _ = writeln!(
                s,
                r#"<rect class="{class}"{what} x="{:.2}" y="{:.1}" width="{:.2}" height="{:.1}" fill="{}"{stroke}><title>{}{}</title></rect>"#,
                LABEL + b.x0,
                y + 2.0,
                (b.x1 - b.x0).max(0.5),
                LANE - 4.0,
                hex(outcome_rgb(b.outcome, dark)),
                escape(&title),
                if straggler { " (straggler)" } else { "" }
            );
        }
    }
    for (i, line) in texts.iter().enumerate() {
        let _ = writeln!(
            s,
            r#"<text class="speedup" x="8" y="{:.1}" fill="{fg}" xml:space="preserve">{}</text>"#,
            text_y + i as f32 * 16.0,
            escape(line)
        );
    }
    plots(&mut s, p, &view, plots_y, fg, weak);
    s.push_str("</svg>\n");
    s
}

/// The stacked CPU and memory plots, one under the other.
fn plots(s: &mut String, p: &Pictures, view: &View, y0: f32, fg: &str, weak: &str) {
    let buckets = (view.width / 4.0) as usize;
    let st = stacked(p, view.t0, view.t1, buckets);
    for (k, title) in ["CPU by task", "Memory by task"].iter().enumerate() {
        let top = y0 + k as f32 * (PLOT + 30.0);
        let base = top + 16.0 + PLOT;
        let values: Vec<Vec<f64>> = st
            .groups
            .iter()
            .map(|g| match k {
                0 => g.cpu.iter().map(|&c| f64::from(c)).collect(),
                _ => g.rss_kb.iter().map(|&r| r as f64).collect(),
            })
            .collect();
        let n = values.first().map_or(0, Vec::len);
        let max = (0..n)
            .map(|b| values.iter().map(|v| v[b]).sum::<f64>())
            .fold(0.0, f64::max)
            .max(1e-9);
        let peak = if k == 0 {
            format!("{max:.0}% of a CPU")
        } else {
            format!("{:.1} MB (RSS)", max / 1024.0)
        };
        let _ = writeln!(
            s,
            r#"<text x="8" y="{:.1}" fill="{fg}" font-weight="bold">{title}</text><text x="8" y="{:.1}" fill="{fg}">peak {peak}</text><line x1="{LABEL}" y1="{base:.1}" x2="{:.1}" y2="{base:.1}" stroke="{weak}"/>"#,
            top + 12.0,
            top + 30.0,
            LABEL + view.width
        );
        let mut below = vec![0.0f64; n];
        for (gi, g) in st.groups.iter().enumerate() {
            let mut upper = Vec::with_capacity(n);
            let mut lower = Vec::with_capacity(n);
            for b in 0..n {
                let x = LABEL + view.x(st.t0 + (b as f64 + 0.5) * st.step);
                let lo = below[b];
                let hi = lo + values[gi][b];
                below[b] = hi;
                upper.push(format!("{x:.1},{:.1}", base - (hi / max) as f32 * PLOT));
                lower.push(format!("{x:.1},{:.1}", base - (lo / max) as f32 * PLOT));
            }
            lower.reverse();
            let _ = writeln!(
                s,
                r#"<polygon class="area" points="{} {}" fill="{}" fill-opacity="0.8"><title>{}</title></polygon>"#,
                upper.join(" "),
                lower.join(" "),
                hex(GROUP_RGB[gi % GROUP_RGB.len()]),
                escape(&cut(&g.name, TITLE_CHARS))
            );
            let _ = writeln!(
                s,
                r#"<text x="{:.1}" y="{:.1}" fill="{}">{}</text>"#,
                LABEL + 10.0 + gi as f32 * 120.0,
                top + 12.0,
                hex(GROUP_RGB[gi % GROUP_RGB.len()]),
                escape(&short_label(&g.name, 16))
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use crate::pictures::fold::tests_support::at;

    #[test]
    fn names_are_escaped_and_every_input_is_a_bar() {
        let mut p = Pictures::default();
        p.apply(&at(0, EventKind::Spawned { command: "c".into() }).process("a<&>\"b\u{1}", Some(1)));
        for i in 0..3u64 {
            let w = format!("p/worker-{}", i % 2);
            let e = at(
                i as i64 * 100,
                EventKind::TaskStarted {
                    input_text: "x".into(),
                },
            );
            p.apply(&e.process(&w, Some(2)).pool("p", Some(i)));
            let done = at(
                i as i64 * 100 + 90,
                EventKind::TaskDone {
                    exit_code: 0,
                    result: String::new(),
                    duration: 0.09,
                    result_bytes: None,
                },
            );
            p.apply(&done.process(&w, Some(2)).pool("p", Some(i)));
        }
        let text = svg(&p, false);
        assert!(text.contains("a&lt;&amp;&gt;&quot;b\u{fffd}"));
        assert_eq!(escape("p\u{202e}1"), "p\u{fffd}1");
        assert_eq!(text.matches("class=\"bar input\"").count(), 3);
        assert_eq!(text.matches("class=\"bar run\"").count(), 1);
        assert!(text.contains("speedup"));
        assert!(text.ends_with("</svg>\n"));
    }
}
