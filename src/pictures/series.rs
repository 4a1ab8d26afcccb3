//! A process's CPU and memory over time, in bounded memory however long it
//! runs: at most [`CAPACITY`] points. When full, neighbouring points are
//! merged in pairs (CPU averaged, memory the larger) and from then on each
//! point stands for twice as many samples, so the series always spans the
//! whole run at a coarser grain.

/// Points kept per series.
pub const CAPACITY: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Seconds since the session started.
    pub t: f64,
    /// Percent of one CPU: the process's whole tree (its leader and every
    /// descendant, those that left its group or session too).
    pub cpu: f32,
    /// Resident memory of the whole tree, kB.
    pub rss_kb: u64,
    /// The leader's own CPU and memory (the same as the tree's when it has
    /// no descendant).
    pub own_cpu: f32,
    pub own_rss_kb: u64,
    /// Processes in the tree (1: the leader alone).
    pub procs: u32,
}

impl Point {
    /// A sample of a process with no descendants.
    pub fn alone(t: f64, cpu: f32, rss_kb: u64) -> Self {
        Self {
            t,
            cpu,
            rss_kb,
            own_cpu: cpu,
            own_rss_kb: rss_kb,
            procs: 1,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    points: Vec<Point>,
    /// Raw samples per point.
    stride: u32,
    /// Samples gathered for the next point.
    pending: Option<(Point, u32)>,
}

impl Default for Series {
    fn default() -> Self {
        Self {
            points: Vec::new(),
            stride: 1,
            pending: None,
        }
    }
}

fn merge(a: Point, an: u32, b: Point) -> Point {
    let n = an as f32;
    Point {
        t: a.t,
        cpu: (a.cpu * n + b.cpu) / (n + 1.0),
        rss_kb: a.rss_kb.max(b.rss_kb),
        own_cpu: (a.own_cpu * n + b.own_cpu) / (n + 1.0),
        own_rss_kb: a.own_rss_kb.max(b.own_rss_kb),
        procs: a.procs.max(b.procs),
    }
}

impl Series {
    /// Adds one sample (times should not go back; one that does is dropped).
    pub fn push(&mut self, p: Point) {
        if !p.t.is_finite() || self.last().is_some_and(|l| p.t < l.t) {
            return;
        }
        let (acc, n) = match self.pending.take() {
            Some((acc, n)) => (merge(acc, n, p), n + 1),
            None => (p, 1),
        };
        if n < self.stride {
            self.pending = Some((acc, n));
            return;
        }
        if self.points.len() >= CAPACITY {
            // From now on a point is twice as many samples: this one is
            // half of the next.
            self.halve();
            self.pending = Some((acc, n));
            return;
        }
        self.points.push(acc);
    }

    fn halve(&mut self) {
        let old = std::mem::take(&mut self.points);
        self.points = old
            .chunks(2)
            .map(|c| if c.len() == 2 { merge(c[0], 1, c[1]) } else { c[0] })
            .collect();
        self.stride = self.stride.saturating_mul(2);
    }

    /// The points, oldest first (the last, partly gathered point included).
    pub fn points(&self) -> impl Iterator<Item = Point> + '_ {
        self.points.iter().copied().chain(self.pending.map(|(p, _)| p))
    }

    pub fn len(&self) -> usize {
        self.points.len() + usize::from(self.pending.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn last(&self) -> Option<Point> {
        self.pending.map(|(p, _)| p).or(self.points.last().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: f64, cpu: f32, rss_kb: u64) -> Point {
        Point::alone(t, cpu, rss_kb)
    }

    #[test]
    fn memory_is_bounded_and_the_span_and_peak_are_kept() {
        let mut s = Series::default();
        for i in 0..100_000u64 {
            s.push(at(
                i as f64,
                (i % 2) as f32 * 100.0,
                if i == 77_777 { 9_999 } else { i % 10 },
            ));
            assert!(s.len() <= CAPACITY + 1);
        }
        let pts: Vec<Point> = s.points().collect();
        assert_eq!(pts[0].t, 0.0);
        assert!(pts.last().unwrap().t > 99_000.0);
        assert_eq!(
            pts.iter().map(|p| p.rss_kb).max(),
            Some(9_999),
            "the peak survives merging"
        );
        // Alternating 0 and 100: merged points average 50.
        let off: Vec<f32> = pts[..pts.len() - 1]
            .iter()
            .map(|p| p.cpu)
            .filter(|c| (c - 50.0).abs() > 0.01)
            .collect();
        assert!(off.is_empty(), "{off:?}");
        assert!(pts.windows(2).all(|w| w[0].t < w[1].t));
    }

    #[test]
    fn few_samples_are_kept_as_they_are_and_bad_times_dropped() {
        let mut s = Series::default();
        s.push(at(1.0, 5.0, 10));
        s.push(at(0.5, 5.0, 10));
        s.push(at(f64::NAN, 5.0, 10));
        s.push(at(2.0, 7.0, 20));
        assert_eq!(
            s.points().collect::<Vec<_>>(),
            vec![at(1.0, 5.0, 10), at(2.0, 7.0, 20)]
        );
    }
}
