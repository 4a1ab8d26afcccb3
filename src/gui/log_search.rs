//! Filtering the log without stalling a frame. A change of the filters
//! starts a scan of the stored lines from the oldest; each frame examines
//! at most `SCAN_PER_FRAME` lines, so the matches stream in and the count
//! shows how far the scan got. Lines pushed while a scan runs are reached
//! by it (it scans up to the store's end as it stands); once it has caught
//! up, each new line is tested as it is pushed.
//!
//! Output lines are tested on the store's records (no event is built): the
//! process test and the process-name search are worked out once per
//! interned process, the kind tests once per filter, and an ASCII search
//! in ASCII text compares without lower-casing a copy.

use super::log::LogFilter;
use super::log_shown::Shown;
use super::log_store::{Line, LineKind, LogStore};

/// Lines a frame examines at most while a filter is being applied.
pub const SCAN_PER_FRAME: usize = 50_000;

/// A filter prepared for testing stored lines.
pub struct Compiled {
    filter: LogFilter,
    /// Per interned process: (passes the process filter, its name holds
    /// the search text); None until first seen.
    who: Vec<Option<(bool, bool)>>,
    /// Per output kind (stdout, stderr): (shown at all, its name holds the
    /// search text).
    kinds: [(bool, bool); 2],
    ascii: bool,
}

impl Compiled {
    pub fn new(filter: LogFilter) -> Self {
        let kind = |name: &str, problem: bool| {
            (
                !filter.hidden_kinds.contains(name) && (problem || !filter.problems_only),
                !filter.needle.is_empty() && name.contains(filter.needle.as_str()),
            )
        };
        let kinds = [kind("stdout", false), kind("stderr", true)];
        Self {
            ascii: filter.needle.is_ascii(),
            who: Vec::new(),
            kinds,
            filter,
        }
    }

    pub fn filter(&self) -> &LogFilter {
        &self.filter
    }

    /// Whether the line passes, as `LogFilter::matches` of its event would.
    pub fn matches(&mut self, line: &Line<'_>) -> bool {
        let (kind_ok, kind_hit) = match line.kind() {
            LineKind::Other => return line.other().is_some_and(|e| self.filter.matches(e)),
            LineKind::Stdout => self.kinds[0],
            LineKind::Stderr => self.kinds[1],
        };
        if !kind_ok {
            return false;
        }
        let (who_ok, who_hit) = self.who(line);
        if !who_ok {
            return false;
        }
        if let super::log::ProcessFilter::Input { input, .. } = &self.filter.process {
            if line.input() != Some(*input) {
                return false;
            }
        }
        let needle = self.filter.needle.as_str();
        needle.is_empty()
            || kind_hit
            || who_hit
            || contains_lowercase(line.output_text().unwrap_or_default(), needle, self.ascii)
    }

    fn who(&mut self, line: &Line<'_>) -> (bool, bool) {
        let id = line.who_id() as usize;
        if let Some(Some(v)) = self.who.get(id) {
            return *v;
        }
        let w = line.who();
        let f = &self.filter;
        let is = |n: &str| w.process.as_deref() == Some(n) || w.pool.as_deref() == Some(n);
        let ok = match &f.process {
            super::log::ProcessFilter::All => true,
            super::log::ProcessFilter::One(n) => is(n),
            super::log::ProcessFilter::Selected => f.selection.iter().any(|n| is(n)),
            // The pool here; the input is checked line by line (`matches`).
            super::log::ProcessFilter::Input { pool, .. } => w.pool.as_deref() == Some(pool.as_str()),
        };
        let hit = !f.needle.is_empty()
            && w.process
                .as_deref()
                .is_some_and(|p| p.to_lowercase().contains(f.needle.as_str()));
        if self.who.len() <= id {
            self.who.resize(id + 1, None);
        }
        self.who[id] = Some((ok, hit));
        (ok, hit)
    }
}

/// Whether `text` lower-cased contains `needle` (already lower-case).
fn contains_lowercase(text: &str, needle: &str, needle_ascii: bool) -> bool {
    if !(needle_ascii && text.is_ascii()) {
        return text.to_lowercase().contains(needle);
    }
    let (t, n) = (text.as_bytes(), needle.as_bytes());
    let Some(&first) = n.first() else {
        return true;
    };
    if n.len() > t.len() {
        return false;
    }
    (0..=t.len() - n.len())
        .any(|i| t[i].to_ascii_lowercase() == first && t[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// A filter being applied to the store, and how far it got.
pub struct Scan {
    compiled: Compiled,
    /// The absolute index of the next line to examine.
    next: u64,
}

impl Scan {
    pub fn new(filter: LogFilter, from: u64) -> Self {
        Self {
            compiled: Compiled::new(filter),
            next: from,
        }
    }

    pub fn filter(&self) -> &LogFilter {
        self.compiled.filter()
    }

    /// Examines up to `budget` lines from where the scan stopped, adding
    /// the absolute indices of those that pass to `shown`. Returns how
    /// many it examined.
    pub fn step(&mut self, store: &LogStore, shown: &mut Shown, budget: usize) -> usize {
        self.next = self.next.max(store.first());
        let mut n = 0;
        for (abs, line) in store.lines_from(self.next).take(budget) {
            n += 1;
            if self.compiled.matches(&line) {
                shown.push_back(abs);
            }
            self.next = abs + 1;
        }
        n
    }

    /// Whether every line stored has been examined.
    pub fn done(&self, store: &LogStore) -> bool {
        self.next >= store.end()
    }

    /// The share of the stored lines examined, 0 to 1.
    pub fn progress(&self, store: &LogStore) -> f32 {
        let total = store.len().max(1) as f64;
        let did = self.next.saturating_sub(store.first()) as f64;
        (did / total).clamp(0.0, 1.0) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::super::log::{Log, ProcessFilter};
    use super::*;
    use crate::event::{Event, EventKind};

    #[test]
    fn ascii_and_unicode_search_agree_with_lowercasing() {
        for (t, n) in [
            ("Hello World", "o w"),
            ("ABC", "abc"),
            ("abc", "abcd"),
            ("Grüße", "grü"),
            ("\u{212a}elvin", "kelvin"),
            ("x", "x"),
        ] {
            let want = t.to_lowercase().contains(n);
            assert_eq!(contains_lowercase(t, n, n.is_ascii()), want, "{t} / {n}");
        }
    }

    fn events(n: usize) -> Vec<Event> {
        let mut v = Vec::new();
        let (mut i, mut j) = (0, 0);
        while i < n {
            j += 1;
            let p = format!("Proc-{}", j % 37);
            let e = match j % 11 {
                0 => Event::now(EventKind::Spawned {
                    command: format!("run {i}"),
                })
                .process(&p, Some(2)),
                5 => Event::now(EventKind::stderr(format!("Oops {i}\nwarn {}", i + 1))).process(&p, Some(2)),
                7 => Event::now(EventKind::stdout(format!("ok {i}"))).pool("pool", Some(i as u64)),
                _ => Event::now(EventKind::stdout(format!("line {i}\nLINE {}\nμ{}", i + 1, i + 2)))
                    .process(&p, Some(2)),
            };
            i += e.output_lines().max(1);
            v.push(e);
        }
        v
    }

    /// The straightforward filter: every line as an event, tested whole.
    fn plain(log: &Log, f: &LogFilter) -> Vec<u64> {
        let s = log.store();
        (s.first()..s.end())
            .filter(|&a| s.get(a).is_some_and(|e| f.matches(&e)))
            .collect()
    }

    #[test]
    fn a_keystroke_costs_a_bounded_scan_and_the_result_is_the_plain_filter() {
        let n = 1_000_000;
        let mut log = Log::with_capacity(n - 1000);
        for e in events(n) {
            log.push(e);
        }
        type Change = Box<dyn Fn(&mut Log)>;
        let cases: Vec<Change> = vec![
            Box::new(|l| l.search = "LINE 1".into()),
            Box::new(|l| l.search = "proc-3".into()),
            Box::new(|l| l.search = "μ".into()),
            Box::new(|l| {
                l.search = "oops".into();
                l.problems_only = true;
            }),
            Box::new(|l| {
                l.search.clear();
                l.problems_only = false;
                l.process = ProcessFilter::One("pool".into());
            }),
            Box::new(|l| {
                l.process = ProcessFilter::All;
                l.hidden_kinds.insert("stdout");
                l.search = "run".into();
            }),
        ];
        for (k, change) in cases.iter().enumerate() {
            change(&mut log);
            log.refilter_if_changed();
            let mut frames = 0;
            let mut pushed = 0;
            loop {
                let did = log.scan_step();
                assert!(did <= SCAN_PER_FRAME, "a frame examined {did} lines");
                frames += 1;
                if log.scan_done() {
                    break;
                }
                // Lines arrive while the scan runs (and old ones drop).
                if frames % 3 == 0 {
                    for e in events(20) {
                        pushed += 1;
                        log.push(e);
                    }
                }
                assert!(frames < 1000, "the scan ends");
            }
            assert!(frames > 1, "case {k}: the scan took several frames");
            assert!(pushed > 0);
            let want = plain(&log, &log.filter());
            let got: Vec<u64> = log.shown_indices().collect();
            assert_eq!(got.len(), want.len(), "case {k}");
            assert!(got == want, "case {k}: the result differs from the plain filter");
            assert!(!want.is_empty(), "case {k} finds something");
            // Once caught up, new lines are tested as they come.
            log.push(Event::now(EventKind::stdout("LINE 1 run oops")).pool("pool", None));
            assert_eq!(
                log.shown_indices().collect::<Vec<_>>(),
                plain(&log, &log.filter())
            );
        }
    }
}
