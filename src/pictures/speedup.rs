//! A pool's schedule in figures: how long it took, what one worker would
//! have taken, the speedup and efficiency, how busy each worker was, and
//! the stragglers (inputs far slower than the median).

use super::fold::PoolPicture;

/// An input is a straggler when it took more than this many times the
/// median (and at least [`STRAGGLER_MIN_SECS`] more).
pub const STRAGGLER_FACTOR: f64 = 2.0;
pub const STRAGGLER_MIN_SECS: f64 = 0.1;

#[derive(Clone, Debug, PartialEq)]
pub struct Speedup {
    /// Seconds from the pool's start to its end (or to now).
    pub wall: f64,
    /// The inputs' durations added up: what one worker would take.
    pub sum: f64,
    pub speedup: f64,
    /// Speedup over the number of workers (1.0: none ever idle).
    pub efficiency: f64,
    pub workers: usize,
    /// Per worker lane: (name, busy seconds, busy share of the wall time).
    pub busy: Vec<(String, f64, f64)>,
    pub median: f64,
    /// (input, seconds) of the inputs slower than the median by far.
    pub stragglers: Vec<(u64, f64)>,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The figures of `pool` at `now` (seconds since the session started).
pub fn speedup(pool: &PoolPicture, now: f64) -> Speedup {
    let end = pool.ended.unwrap_or(now).max(pool.started);
    let wall = end - pool.started;
    let busy: Vec<(String, f64, f64)> = pool
        .lanes
        .iter()
        .zip(&pool.spans)
        .map(|(name, spans)| {
            // A span cannot count less than nothing (an input failed
            // before its start was known, a clock step back).
            // (+ 0.0: an empty sum of floats is -0.0, printed "-0.00".)
            let b: f64 = spans.iter().map(|s| s.duration(end).max(0.0)).sum::<f64>() + 0.0;
            (
                name.clone(),
                b,
                if wall > 0.0 { (b / wall).min(1.0) } else { 0.0 },
            )
        })
        .collect();
    let sum: f64 = busy.iter().map(|b| b.1).sum::<f64>() + 0.0;
    let workers = pool.workers.max(pool.lanes.len()).max(1);
    let speedup = if wall > 0.0 { sum / wall } else { 0.0 };
    let ended: Vec<(u64, f64)> = pool
        .inputs()
        .filter(|(_, s)| s.end.is_some())
        .filter_map(|(_, s)| Some((s.input?, s.duration(end))))
        .collect();
    let median = median(ended.iter().map(|x| x.1).collect());
    let mut stragglers: Vec<(u64, f64)> = ended
        .into_iter()
        .filter(|(_, d)| is_straggler(*d, median))
        .collect();
    stragglers.sort_by(|a, b| b.1.total_cmp(&a.1));
    Speedup {
        wall,
        sum,
        speedup,
        efficiency: speedup / workers as f64,
        workers,
        busy,
        median,
        stragglers,
    }
}

pub fn is_straggler(secs: f64, median: f64) -> bool {
    median > 0.0 && secs > median * STRAGGLER_FACTOR && secs - median >= STRAGGLER_MIN_SECS
}

/// The figures in words, as the CLI summary and the app say them.
pub fn describe(name: &str, s: &Speedup) -> Vec<String> {
    let mut out = vec![format!(
        "pool {name}: wall {:.2}s, inputs' time added up {:.2}s (one worker), speedup {:.2}x, efficiency {:.0}% of {} worker{}",
        s.wall,
        s.sum,
        s.speedup,
        s.efficiency * 100.0,
        s.workers,
        if s.workers == 1 { "" } else { "s" }
    )];
    if !s.busy.is_empty() {
        let parts: Vec<String> = s
            .busy
            .iter()
            .map(|(w, secs, share)| format!("{} {:.0}% ({secs:.2}s)", short_worker(w), share * 100.0))
            .collect();
        out.push(format!("  busy: {}", parts.join(", ")));
    }
    if !s.stragglers.is_empty() {
        let parts: Vec<String> = s
            .stragglers
            .iter()
            .take(5)
            .map(|(i, d)| format!("#{i} {d:.2}s"))
            .collect();
        let more = s.stragglers.len().saturating_sub(5);
        out.push(format!(
            "  stragglers (over {STRAGGLER_FACTOR}x the median {:.2}s): {}{}",
            s.median,
            parts.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ));
    }
    out
}

/// `worker-2` for `pool/worker-2`.
pub fn short_worker(name: &str) -> &str {
    name.rsplit_once('/').map_or(name, |(_, w)| w)
}

#[cfg(test)]
mod tests {
    use super::super::fold::{Outcome, Span};
    use super::*;

    fn s(start: f64, end: f64, input: u64) -> Span {
        Span {
            start,
            end: Some(end),
            pid: None,
            outcome: Outcome::Succeeded,
            input: Some(input),
        }
    }

    #[test]
    fn a_pool_with_no_work_says_zero_not_minus_zero() {
        let pool = PoolPicture {
            name: "p".into(),
            started: 0.0,
            ended: Some(0.0),
            workers: 1,
            lanes: vec!["p/worker-1".into()],
            spans: vec![vec![]],
            ..Default::default()
        };
        let text = describe("p", &speedup(&pool, 0.0)).join("\n");
        assert!(!text.contains("-0"), "{text}");
        assert!(text.contains("speedup 0.00x"), "{text}");
    }

    #[test]
    fn two_workers_over_four_half_second_inputs() {
        let pool = PoolPicture {
            name: "p".into(),
            started: 0.0,
            ended: Some(1.0),
            workers: 2,
            lanes: vec!["p/worker-1".into(), "p/worker-2".into()],
            spans: vec![
                vec![s(0.0, 0.5, 0), s(0.5, 1.0, 2)],
                vec![s(0.0, 0.5, 1), s(0.5, 0.9, 3)],
            ],
            ..Default::default()
        };
        let x = speedup(&pool, 5.0);
        assert!((x.wall - 1.0).abs() < 1e-9);
        assert!((x.sum - 1.9).abs() < 1e-9);
        assert!((x.speedup - 1.9).abs() < 1e-9);
        assert!((x.efficiency - 0.95).abs() < 1e-9);
        assert!((x.busy[1].2 - 0.9).abs() < 1e-9);
        assert!(x.stragglers.is_empty());
        let text = describe("p", &x).join("\n");
        assert!(
            text.contains("speedup 1.90x") && text.contains("worker-2 90%"),
            "{text}"
        );
    }

    #[test]
    fn stragglers_are_far_slower_than_the_median_and_nothing_is_nan() {
        let mut spans: Vec<Span> = (0..9).map(|i| s(i as f64, i as f64 + 0.5, i)).collect();
        spans.push(s(10.0, 13.0, 9));
        let pool = PoolPicture {
            lanes: vec!["w".into()],
            spans: vec![spans],
            ..Default::default()
        };
        let x = speedup(&pool, 13.0);
        assert_eq!(x.stragglers, vec![(9, 3.0)]);
        assert_eq!(x.median, 0.5);
        let empty = speedup(&PoolPicture::default(), 0.0);
        assert_eq!((empty.speedup, empty.efficiency, empty.median), (0.0, 0.0, 0.0));
        assert!(describe("e", &empty)[0].contains("speedup 0.00x"));
    }
}
