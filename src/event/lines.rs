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
            EventKind::Stdout { line, bytes: None } | EventKind::Stderr { line, bytes: None } => {
                line.contains('\n')
            }
            _ => false,
        };
        if !several {
            return f(self);
        }
        let (text, err) = match &self.kind {
            EventKind::Stdout { line, .. } => (line, false),
            EventKind::Stderr { line, .. } => (line, true),
            _ => unreachable!("checked above"),
        };
        for piece in text.split('\n') {
            let kind = if err {
                EventKind::stderr(piece)
            } else {
                EventKind::stdout(piece)
            };
            f(Event {
                seq: self.seq,
                time: self.time,
                kind,
                process: self.process.clone(),
                pid: self.pid,
                pool: self.pool.clone(),
                input: self.input,
            });
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
