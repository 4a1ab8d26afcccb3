//! Output events that carry several lines: the lines one read of a pipe
//! brought are one `stdout`/`stderr` event whose `line` holds them joined
//! by newlines (a line itself never holds one).

use super::{Event, EventKind};

impl Event {
    /// Calls `f` with each line of an output event as an event of its own
    /// (`stdout`/`stderr` carry in `line` the lines read together, joined by
    /// newlines; a line itself never holds one), and with any other event
    /// as it is. The pieces share the event's `seq`, time and process.
    pub fn for_each_line(self, mut f: impl FnMut(Event)) {
        let several = match &self.kind {
            EventKind::Stdout { line, .. } | EventKind::Stderr { line, .. } => line.contains('\n'),
            _ => false,
        };
        if !several {
            return f(self);
        }
        let (text, bytes, err) = match &self.kind {
            EventKind::Stdout { line, bytes } => (line, bytes, false),
            EventKind::Stderr { line, bytes } => (line, bytes, true),
            _ => unreachable!("checked above"),
        };
        let piece_event = |line: String, bytes: Option<String>| Event {
            seq: self.seq,
            time: self.time,
            kind: if err {
                EventKind::Stderr { line, bytes }
            } else {
                EventKind::Stdout { line, bytes }
            },
            process: self.process.clone(),
            pid: self.pid,
            pool: self.pool.clone(),
            input: self.input,
        };
        // Lines that were not all UTF-8 carry their exact bytes: each line
        // gets its own (none if it was UTF-8).
        let raw = bytes.as_deref().and_then(super::raw::decode);
        match raw {
            Some(raw) if raw.split(|&b| b == b'\n').count() == text.split('\n').count() => {
                for piece in raw.split(|&b| b == b'\n') {
                    let (line, bytes) = super::raw::text_and_raw(piece);
                    f(piece_event(line, bytes));
                }
            }
            _ => {
                for piece in text.split('\n') {
                    f(piece_event(piece.to_string(), None));
                }
            }
        }
    }

    /// The events [`for_each_line`](Self::for_each_line) gives.
    pub fn into_lines(self) -> Vec<Event> {
        let mut v = Vec::new();
        self.for_each_line(|e| v.push(e));
        v
    }

    /// How many lines of output the event carries (0 for other kinds).
    pub fn output_lines(&self) -> usize {
        match &self.kind {
            EventKind::Stdout { line, .. } | EventKind::Stderr { line, .. } => {
                1 + line.bytes().filter(|&b| b == b'\n').count()
            }
            _ => 0,
        }
    }
}
