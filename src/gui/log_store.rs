//! The event log's lean store. The lines an output event carries (read
//! together, joined by newlines) share one head (time, seq, pid, input, an
//! interned process-and-pool id): each line costs 4 bytes (where its text
//! ends) and its text, appended to the text of a chunk of lines. Other
//! events (rare: spawned, exited, ...) are kept whole beside the heads.
//! Chunks hold up to `CHUNK_LINES` lines; the window is bounded by line
//! count and memory is freed a whole chunk at a time (the oldest lines of
//! the front chunk are dead until all of it is).
//!
//! Lines are addressed by an absolute index that only grows: the first
//! line ever pushed is 0, whatever has been dropped since.

use crate::event::{Event, EventKind};
use chrono::{DateTime, FixedOffset};
use std::collections::{HashMap, VecDeque};

/// Lines per chunk.
pub const CHUNK_LINES: usize = 4096;
/// A chunk is also closed when its text reaches this many bytes.
const CHUNK_TEXT: usize = 8 << 20;
/// `pid` and `input` when absent.
const NONE32: u32 = u32::MAX;
const NONE64: u64 = u64::MAX;

/// What a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Stdout,
    Stderr,
    /// Any other event, kept whole in its chunk's `others`.
    Other,
}

/// What the lines of one event share (a batch cut by a chunk's end gets a
/// head in each chunk).
#[derive(Clone, Copy, Debug)]
struct Head {
    seq: u64,
    secs: i64,
    /// The pool input; for an other event, its index in the chunk's
    /// `others` (the event kept whole has its input).
    input: u64,
    nanos: u32,
    offset: i32,
    who: u32,
    pid: u32,
    /// The index in the chunk of its first line.
    first: u32,
    kind: LineKind,
}

#[derive(Debug, Default)]
struct Chunk {
    /// The absolute index of its first line.
    first: u64,
    heads: Vec<Head>,
    /// Per line: where its text ends in `text` (it starts where the line
    /// before ends; an other event's line is empty).
    ends: Vec<u32>,
    text: String,
    others: Vec<Event>,
}

impl Chunk {
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// The index of the head of line `i`.
    fn head_of(&self, i: usize) -> usize {
        self.heads
            .partition_point(|h| h.first as usize <= i)
            .saturating_sub(1)
    }

    #[cfg(test)]
    fn bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.heads.capacity() * std::mem::size_of::<Head>()
            + self.ends.capacity() * std::mem::size_of::<u32>()
            + self.text.capacity()
            + self.others.capacity() * std::mem::size_of::<Event>()
            + self.others.iter().map(|e| e.text().len()).sum::<usize>()
    }

    fn seal(&mut self) {
        self.heads.shrink_to_fit();
        self.ends.shrink_to_fit();
        self.text.shrink_to_fit();
        self.others.shrink_to_fit();
    }
}

/// A process and pool, interned: each line names them by index.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Who {
    pub process: Option<String>,
    pub pool: Option<String>,
}

/// One line as stored, borrowed from the store.
#[derive(Clone, Copy)]
pub struct Line<'a> {
    head: &'a Head,
    chunk: &'a Chunk,
    /// Its index in the chunk.
    i: usize,
    who: &'a Who,
}

impl<'a> Line<'a> {
    pub fn kind(&self) -> LineKind {
        self.head.kind
    }

    /// The text of an output line (None for other events).
    pub fn output_text(&self) -> Option<&'a str> {
        if self.head.kind == LineKind::Other {
            return None;
        }
        let start = match self.i {
            0 => 0,
            i => *self.chunk.ends.get(i - 1)? as usize,
        };
        let end = *self.chunk.ends.get(self.i)? as usize;
        self.chunk.text.get(start..end)
    }

    /// The whole event of an other line.
    pub fn other(&self) -> Option<&'a Event> {
        match self.head.kind {
            LineKind::Other => self.chunk.others.get(usize::try_from(self.head.input).ok()?),
            _ => None,
        }
    }

    /// The pool input the line belongs to, if any.
    pub fn input(&self) -> Option<u64> {
        match self.head.kind {
            LineKind::Other => self.other().and_then(|e| e.input),
            _ => (self.head.input != NONE64).then_some(self.head.input),
        }
    }

    /// The interned id of the line's process and pool.
    pub fn who_id(&self) -> u32 {
        self.head.who
    }

    pub fn who(&self) -> &'a Who {
        self.who
    }

    /// The line as an event of its own.
    pub fn to_event(self) -> Event {
        if let Some(e) = self.other() {
            return e.clone();
        }
        let r = self.head;
        let line = self.output_text().unwrap_or_default().to_string();
        let kind = match r.kind {
            LineKind::Stderr => EventKind::stderr(line),
            _ => EventKind::stdout(line),
        };
        let offset = FixedOffset::east_opt(r.offset).unwrap_or(FixedOffset::east_opt(0).expect("UTC"));
        let time = DateTime::from_timestamp(r.secs, r.nanos)
            .unwrap_or_default()
            .with_timezone(&offset);
        Event {
            seq: r.seq,
            time,
            kind,
            process: self.who.process.clone(),
            pid: (r.pid != NONE32).then_some(r.pid),
            pool: self.who.pool.clone(),
            input: (r.input != NONE64).then_some(r.input),
        }
    }
}

#[derive(Debug)]
pub struct LogStore {
    chunks: VecDeque<Chunk>,
    /// The absolute index of the oldest line kept.
    first: u64,
    /// The absolute index the next line gets.
    end: u64,
    capacity: usize,
    names: Vec<Who>,
    ids: HashMap<Who, u32>,
}

impl LogStore {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            chunks: VecDeque::new(),
            first: 0,
            end: 0,
            capacity: capacity.max(1),
            names: Vec::new(),
            ids: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        (self.end - self.first) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.first
    }

    /// The absolute index of the oldest line kept.
    pub fn first(&self) -> u64 {
        self.first
    }

    /// The absolute index the next line gets (one past the newest).
    pub fn end(&self) -> u64 {
        self.end
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The interned processes and pools, by id.
    #[cfg(test)]
    pub fn names(&self) -> &[Who] {
        &self.names
    }

    /// Keeps at most `capacity` lines from now on (dropping the oldest now).
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        self.trim();
    }

    /// Adds an event: an output event gives a line for each of the lines
    /// it carries (read together, joined by newlines). Returns the absolute
    /// indices of the lines added.
    pub fn push(&mut self, mut e: Event) -> std::ops::Range<u64> {
        let start = self.end;
        let who = self.intern(&mut e);
        let (secs, nanos, offset) = (
            e.time.timestamp(),
            e.time.timestamp_subsec_nanos(),
            e.time.offset().local_minus_utc(),
        );
        let mut head = Head {
            seq: e.seq,
            secs,
            input: e.input.unwrap_or(NONE64),
            nanos,
            offset,
            who,
            pid: e.pid.unwrap_or(NONE32),
            first: 0,
            kind: LineKind::Other,
        };
        // Output is kept as its text: a line that was not UTF-8 is shown
        // lossily, and its exact bytes stay in the journal (which exports
        // read), not here, where they cost 3 times the text.
        let output = match &e.kind {
            EventKind::Stdout { line, .. } => Some((LineKind::Stdout, line)),
            EventKind::Stderr { line, .. } => Some((LineKind::Stderr, line)),
            _ => None,
        };
        match output {
            Some((kind, text)) if text.len() <= u32::MAX as usize / 2 => {
                head.kind = kind;
                let mut headed = false;
                for piece in text.split('\n') {
                    let chunk = self.open_chunk(piece.len());
                    // The event's first line, or its first in a new chunk.
                    if !headed || chunk.ends.is_empty() {
                        head.first = chunk.len() as u32;
                        chunk.heads.push(head);
                        headed = true;
                    }
                    chunk.text.push_str(piece);
                    chunk.ends.push(chunk.text.len() as u32);
                    self.end += 1;
                }
            }
            _ => {
                // The names were moved out to intern them; an event kept
                // whole gets them back.
                let w = &self.names[who as usize];
                e.process = w.process.clone();
                e.pool = w.pool.clone();
                let chunk = self.open_chunk(0);
                head.first = chunk.len() as u32;
                head.input = chunk.others.len() as u64;
                chunk.others.push(e);
                chunk.heads.push(head);
                chunk.ends.push(chunk.text.len() as u32);
                self.end += 1;
            }
        }
        self.trim();
        start..self.end
    }

    /// The line at absolute index `abs`, if it is still kept.
    pub fn line(&self, abs: u64) -> Option<Line<'_>> {
        if abs < self.first || abs >= self.end {
            return None;
        }
        let c = self.chunks.partition_point(|c| c.first <= abs).checked_sub(1)?;
        let chunk = self.chunks.get(c)?;
        let i = (abs - chunk.first) as usize;
        if i >= chunk.len() {
            return None;
        }
        let head = chunk.heads.get(chunk.head_of(i))?;
        Some(Line {
            head,
            chunk,
            i,
            who: self.names.get(head.who as usize)?,
        })
    }

    /// The event at `abs`, materialised.
    pub fn get(&self, abs: u64) -> Option<Event> {
        self.line(abs).map(|l| l.to_event())
    }

    /// The lines from absolute index `from` (clamped to those kept) on,
    /// oldest first, with their indices.
    pub fn lines_from(&self, from: u64) -> impl Iterator<Item = (u64, Line<'_>)> + '_ {
        let from = from.max(self.first);
        let skip = self.chunks.partition_point(|c| c.first <= from).saturating_sub(1);
        self.chunks.iter().skip(skip).flat_map(move |chunk| {
            let lo = from.saturating_sub(chunk.first) as usize;
            let mut h = chunk.head_of(lo);
            (lo..chunk.len()).filter_map(move |i| {
                // The heads are in line order: step to line i's.
                while chunk.heads.get(h + 1).is_some_and(|n| n.first as usize <= i) {
                    h += 1;
                }
                let head = chunk.heads.get(h)?;
                Some((
                    chunk.first + i as u64,
                    Line {
                        head,
                        chunk,
                        i,
                        who: self.names.get(head.who as usize)?,
                    },
                ))
            })
        })
    }

    /// Every line kept as an event, oldest first.
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        self.lines_from(self.first).map(|(_, l)| l.to_event())
    }

    /// The bytes the store holds on the heap and in itself (records, text,
    /// events kept whole, the interned names), for the memory budget.
    #[cfg(test)]
    pub fn bytes_held(&self) -> usize {
        let names: usize = self
            .names
            .iter()
            .map(|w| {
                2 * (std::mem::size_of::<Who>() + 8)
                    + 2 * (w.process.as_ref().map_or(0, |s| s.capacity())
                        + w.pool.as_ref().map_or(0, |s| s.capacity()))
            })
            .sum();
        std::mem::size_of::<Self>()
            + self.chunks.capacity() * std::mem::size_of::<Chunk>()
            + self
                .chunks
                .iter()
                .map(|c| c.bytes() - std::mem::size_of::<Chunk>())
                .sum::<usize>()
            + names
    }

    /// The text bytes of the output lines kept (what `bytes_held` counts on
    /// top of the records).
    #[cfg(test)]
    pub fn text_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.text.len()).sum()
    }

    /// The id of the event's process and pool, moving its names out.
    fn intern(&mut self, e: &mut Event) -> u32 {
        let key = Who {
            process: e.process.take(),
            pool: e.pool.take(),
        };
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        if id == u32::MAX {
            // Four billion names: share the last one rather than fail.
            return id - 1;
        }
        self.names.push(key.clone());
        self.ids.insert(key, id);
        id
    }

    /// The chunk the next line goes to, with room for `text` more bytes.
    fn open_chunk(&mut self, text: usize) -> &mut Chunk {
        let full = self
            .chunks
            .back()
            .is_none_or(|c| c.len() >= CHUNK_LINES || c.text.len() + text > CHUNK_TEXT);
        if full {
            let guess = self.chunks.back().map_or(0, |c| c.text.len());
            if let Some(c) = self.chunks.back_mut() {
                c.seal();
            }
            self.chunks.push_back(Chunk {
                first: self.end,
                heads: Vec::new(),
                ends: Vec::with_capacity(CHUNK_LINES),
                text: String::with_capacity(guess),
                others: Vec::new(),
            });
        }
        self.chunks.back_mut().expect("a chunk was just ensured")
    }

    /// Drops the oldest lines beyond the capacity; a chunk's memory goes
    /// when all its lines have.
    fn trim(&mut self) {
        let keep_from = self.end.saturating_sub(self.capacity as u64);
        if keep_from > self.first {
            self.first = keep_from;
        }
        while let Some(c) = self.chunks.front() {
            if c.first + c.len() as u64 <= self.first {
                self.chunks.pop_front();
            } else {
                break;
            }
        }
    }
}

#[cfg(test)]
#[path = "log_store_tests.rs"]
mod tests;
