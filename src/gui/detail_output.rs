//! Each process's own output (its stdout and stderr lines, nothing else)
//! for the details pane, bounded per process and in all.

use crate::event::{Event, EventKind};
use std::collections::{HashMap, VecDeque};

/// Lines kept per process; older ones stay in the log and the journal.
pub const PER_PROCESS: usize = 5_000;
/// Text kept per process, whatever its lines' length (a line can be 64
/// KiB): 5,000 lines of 200 bytes. The last line is always kept.
pub const PER_PROCESS_BYTES: u64 = 1 << 20;
/// Processes whose output is kept (the least recently written go first).
pub const PROCESSES: usize = 2_000;
/// Text kept for all processes together; past it the least recently
/// written processes' output goes (it stays in the log and the journal).
pub const TOTAL_BYTES: u64 = 96 << 20;

/// One line of a process's output, borrowed from its store.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutLine<'a> {
    pub stderr: bool,
    pub text: &'a str,
}

/// The stderr flag in a line's entry (the rest is where its text ends).
const STDERR: u64 = 1 << 63;

/// One process's output lines, lean: their text back to back in one
/// string, and per line 8 bytes (where its text ends, and whether it is
/// stderr). The oldest lines' text is cut off the front once it is half
/// the string.
#[derive(Debug, Default)]
pub struct ProcOutput {
    text: String,
    /// Where the text of `text[0]` lies in the stream of everything kept
    /// since the start (the text cut off the front before it).
    base: u64,
    /// Where the oldest line kept starts, in that stream.
    head: u64,
    /// Per line: where its text ends in that stream, and `STDERR`.
    ends: VecDeque<u64>,
}

impl ProcOutput {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn get(&self, i: usize) -> Option<OutLine<'_>> {
        let end = *self.ends.get(i)?;
        let start = match i {
            0 => self.head,
            _ => self.ends[i - 1] & !STDERR,
        };
        let (lo, hi) = (
            (start - self.base) as usize,
            ((end & !STDERR) - self.base) as usize,
        );
        Some(OutLine {
            stderr: end & STDERR != 0,
            text: self.text.get(lo..hi).unwrap_or_default(),
        })
    }

    pub fn iter(&self) -> impl Iterator<Item = OutLine<'_>> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    pub fn range(&self, r: std::ops::Range<usize>) -> impl Iterator<Item = OutLine<'_>> + '_ {
        r.filter_map(|i| self.get(i))
    }

    /// The bytes of text of the lines kept.
    fn kept(&self) -> u64 {
        self.ends.back().map_or(0, |e| (e & !STDERR) - self.head)
    }

    fn push(&mut self, text: &str, stderr: bool) {
        if self.text.capacity() - self.text.len() < text.len() {
            // Grown by a quarter, not doubled: at most a quarter unused.
            let more = text.len().max(self.text.len() / 4).max(64);
            self.text.reserve_exact(more);
        }
        self.text.push_str(text);
        let end = self.base + self.text.len() as u64;
        self.ends.push_back(end | if stderr { STDERR } else { 0 });
    }

    fn pop_front(&mut self) {
        let Some(end) = self.ends.pop_front() else { return };
        self.head = end & !STDERR;
        let dead = (self.head - self.base) as usize;
        if dead > 4096 && dead * 2 > self.text.len() {
            self.text.drain(..dead);
            self.base = self.head;
        }
    }

    /// The heap bytes held (tests).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 8
    }
}

#[derive(Default)]
pub struct OutputStore {
    by_name: HashMap<String, (u64, ProcOutput)>,
    /// The text kept for all processes (`ProcOutput::kept` summed).
    total: u64,
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
        if !self.by_name.contains_key(name) {
            if self.by_name.len() >= PROCESSES {
                self.forget_oldest(name);
            }
            self.by_name.insert(name.clone(), (0, ProcOutput::default()));
        }
        let Some((t, lines)) = self.by_name.get_mut(name) else {
            return;
        };
        *t = self.clock;
        let before = lines.kept();
        // Lines read together are one event; a line per entry here.
        let mut dropped = 0;
        for piece in line.split('\n') {
            lines.push(piece, stderr);
            while lines.len() > PER_PROCESS || (lines.kept() > PER_PROCESS_BYTES && lines.len() > 1) {
                lines.pop_front();
                dropped += 1;
            }
        }
        self.total = self.total.saturating_sub(before) + lines.kept();
        if dropped > 0 {
            *self.dropped.entry(name.clone()).or_default() += dropped;
        }
        while self.total > TOTAL_BYTES && self.by_name.len() > 1 {
            self.forget_oldest(name);
        }
    }

    /// Forgets the output of the least recently written process but `keep`.
    fn forget_oldest(&mut self, keep: &str) {
        let oldest = self
            .by_name
            .iter()
            .filter(|(n, _)| n.as_str() != keep)
            .min_by_key(|(_, (t, _))| *t)
            .map(|(n, _)| n.clone());
        if let Some((_, out)) = oldest.and_then(|n| {
            self.dropped.remove(&n);
            self.by_name.remove(&n)
        }) {
            self.total = self.total.saturating_sub(out.kept());
        }
    }

    pub fn lines(&self, name: &str) -> Option<&ProcOutput> {
        self.by_name.get(name).map(|(_, l)| l)
    }

    /// Forgets processes no longer listed (after Clear ended).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.by_name.retain(|n, _| keep(n));
        self.dropped.retain(|n, _| keep(n));
        self.total = self.by_name.values().map(|(_, o)| o.kept()).sum();
    }

    /// The heap bytes the lines hold (tests).
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.by_name.values().map(|(_, o)| o.bytes()).sum()
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
        let a: Vec<_> = s.lines("a").unwrap().iter().map(|l| (l.stderr, l.text)).collect();
        assert_eq!(a, [(false, "one"), (true, "two")]);
        for i in 0..PER_PROCESS + 10 {
            s.push(&line("c", EventKind::stdout(i.to_string())));
        }
        let c = s.lines("c").unwrap();
        assert_eq!(c.len(), PER_PROCESS);
        assert_eq!(c.get(0).map(|l| l.text), Some("10"));
        assert_eq!(
            c.get(PER_PROCESS - 1).map(|l| l.text),
            Some((PER_PROCESS + 9).to_string().as_str())
        );
        assert_eq!(c.range(1..3).map(|l| l.text).collect::<Vec<_>>(), ["11", "12"]);
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

    #[test]
    fn a_line_costs_its_text_and_a_few_bytes() {
        let mut s = OutputStore::default();
        let mut text = 0;
        for p in 0..100 {
            let lines: Vec<String> = (0..1000)
                .map(|i| format!("{i} request served in {p} ms"))
                .collect();
            text += lines.iter().map(String::len).sum::<usize>();
            for batch in lines.chunks(10) {
                s.push(&line(&format!("p{p}"), EventKind::stdout(batch.join("\n"))));
            }
        }
        let per = (s.bytes() - text) as f64 / 100_000.0;
        println!("details output: {per:.1} bytes a line beside its text");
        assert!(per <= 16.0, "{per:.1} bytes a line beside its text");
        // Cut at the front, the text is dropped too, and what is left reads.
        for i in 0..3 * PER_PROCESS {
            s.push(&line("p0", EventKind::stderr(format!("late {i}"))));
        }
        let p0 = s.lines("p0").unwrap();
        assert_eq!(p0.len(), PER_PROCESS);
        let first = p0.get(0).unwrap();
        assert_eq!(
            (first.stderr, first.text),
            (true, format!("late {}", 2 * PER_PROCESS).as_str())
        );
        assert!(p0.text.len() <= 2 * PER_PROCESS * 10, "{}", p0.text.len());
    }

    #[test]
    fn long_lines_are_bounded_in_bytes_per_process_and_in_all() {
        let mut s = OutputStore::default();
        let long = "x".repeat(64 * 1024);
        for _ in 0..100 {
            s.push(&line("a", EventKind::stdout(long.clone())));
        }
        let a = s.lines("a").unwrap();
        assert!(a.kept() <= PER_PROCESS_BYTES, "{}", a.kept());
        assert_eq!(a.len(), (PER_PROCESS_BYTES / long.len() as u64) as usize);
        assert_eq!(s.dropped["a"], 100 - a.len() as u64);
        assert_eq!(s.total, a.kept());
        // One line over the bound is kept whole: the last line always is.
        let huge = "y".repeat(PER_PROCESS_BYTES as usize + 10);
        s.push(&line("a", EventKind::stdout(huge.clone())));
        assert_eq!(s.lines("a").unwrap().len(), 1);
        assert_eq!(s.lines("a").unwrap().get(0).unwrap().text, huge);
        // Many processes full of long lines: the total is bounded, the
        // least recently written go, the last written stays.
        let n = (TOTAL_BYTES / PER_PROCESS_BYTES) as usize + 20;
        for p in 0..n {
            for _ in 0..16 {
                s.push(&line(&format!("p{p}"), EventKind::stdout(long.clone())));
            }
        }
        assert!(s.total <= TOTAL_BYTES, "{}", s.total);
        assert_eq!(s.total, s.by_name.values().map(|(_, o)| o.kept()).sum::<u64>());
        assert!(s.lines("a").is_none(), "the least recently written went");
        assert!(s.lines("p0").is_none());
        assert_eq!(s.lines(&format!("p{}", n - 1)).unwrap().len(), 16);
        s.retain(|n| n != "p1");
        assert_eq!(s.total, s.by_name.values().map(|(_, o)| o.kept()).sum::<u64>());
    }
}
