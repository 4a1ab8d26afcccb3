//! Each process's own output (its stdout and stderr lines, nothing else)
//! for the details pane, bounded per process and in all.

use crate::event::{Event, EventKind};
use std::collections::{HashMap, VecDeque};

/// Lines kept per process; older ones stay in the log and the journal.
pub const PER_PROCESS: usize = 5_000;
/// Processes whose output is kept (the least recently written go first).
pub const PROCESSES: usize = 2_000;

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
            self.by_name.insert(name.clone(), (0, ProcOutput::default()));
        }
        let Some((t, lines)) = self.by_name.get_mut(name) else {
            return;
        };
        *t = self.clock;
        // Lines read together are one event; a line per entry here.
        let mut dropped = 0;
        for piece in line.split('\n') {
            lines.push(piece, stderr);
            if lines.len() > PER_PROCESS {
                lines.pop_front();
                dropped += 1;
            }
        }
        if dropped > 0 {
            *self.dropped.entry(name.clone()).or_default() += dropped;
        }
    }

    pub fn lines(&self, name: &str) -> Option<&ProcOutput> {
        self.by_name.get(name).map(|(_, l)| l)
    }

    /// Forgets processes no longer listed (after Clear ended).
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.by_name.retain(|n, _| keep(n));
        self.dropped.retain(|n, _| keep(n));
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
}
