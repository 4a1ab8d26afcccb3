//! Each process's own output (its stdout and stderr lines, nothing else)
//! for the details pane, bounded per process and in all.

use crate::event::{Event, EventKind};
use chrono::{DateTime, FixedOffset};
use std::collections::{HashMap, VecDeque};

/// Lines kept per process; older ones stay in the log and the journal.
pub const PER_PROCESS: usize = 5_000;
/// Processes whose output is kept (the least recently written go first).
pub const PROCESSES: usize = 2_000;

#[derive(Clone, Debug, PartialEq)]
pub struct OutLine {
    pub time: DateTime<FixedOffset>,
    pub stderr: bool,
    pub text: String,
}

#[derive(Default)]
pub struct OutputStore {
    by_name: HashMap<String, (u64, VecDeque<OutLine>)>,
    /// Counts writes, to find the least recently written process.
    clock: u64,
    /// Lines dropped for the bounds (so the pane can say so).
    pub dropped: HashMap<String, u64>,
}

impl OutputStore {
    pub fn push(&mut self, e: &Event) {
        let (stderr, line) = match &e.kind {
            EventKind::Stdout { line, .. } => (false, line),
            EventKind::Stderr { line, .. } => (true, line),
            _ => return,
        };
        let Some(name) = &e.process else { return };
        self.clock += 1;
        if !self.by_name.contains_key(name) && self.by_name.len() >= PROCESSES {
            let oldest = self
                .by_name
                .iter()
                .min_by_key(|(_, (t, _))| *t)
                .map(|(n, _)| n.clone());
            if let Some(n) = oldest {
                self.by_name.remove(&n);
                self.dropped.remove(&n);
            }
        }
        let (t, lines) = self.by_name.entry(name.clone()).or_default();
        *t = self.clock;
        // Lines read together are one event; a line per entry here.
        for piece in line.split('\n') {
            lines.push_back(OutLine {
                time: e.time,
                stderr,
                text: piece.to_string(),
            });
            if lines.len() > PER_PROCESS {
                lines.pop_front();
                *self.dropped.entry(name.clone()).or_default() += 1;
            }
        }
    }

    pub fn lines(&self, name: &str) -> Option<&VecDeque<OutLine>> {
        self.by_name.get(name).map(|(_, l)| l)
    }

    /// Forgets processes no longer listed (after Clear ended).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.by_name.retain(|n, _| keep(n));
        self.dropped.retain(|n, _| keep(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(p: &str, kind: EventKind) -> Event {
        Event::now(kind).process(p, Some(1))
    }

    #[test]
    fn only_a_process_own_output_is_kept_and_bounded() {
        let mut s = OutputStore::default();
        s.push(&line("a", EventKind::stdout("one")));
        s.push(&line("a", EventKind::stderr("two")));
        s.push(&line("b", EventKind::stdout("other")));
        s.push(&line("a", EventKind::Spawned { command: "x".into() }));
        let a: Vec<_> = s
            .lines("a")
            .unwrap()
            .iter()
            .map(|l| (l.stderr, l.text.as_str()))
            .collect();
        assert_eq!(a, [(false, "one"), (true, "two")]);
        for i in 0..PER_PROCESS + 10 {
            s.push(&line("c", EventKind::stdout(i.to_string())));
        }
        let c = s.lines("c").unwrap();
        assert_eq!(c.len(), PER_PROCESS);
        assert_eq!(c[0].text, "10");
        assert_eq!(s.dropped["c"], 10);
        s.retain(|n| n != "c");
        assert!(s.lines("c").is_none());
    }

    #[test]
    fn the_least_recently_written_process_goes_first() {
        let mut s = OutputStore::default();
        for i in 0..PROCESSES {
            s.push(&line(&format!("p{i}"), EventKind::stdout("x")));
        }
        s.push(&line("p0", EventKind::stdout("again")));
        s.push(&line("new", EventKind::stdout("y")));
        assert!(s.lines("p0").is_some(), "written recently");
        assert!(s.lines("p1").is_none(), "the oldest");
        assert!(s.lines("new").is_some());
    }
}
