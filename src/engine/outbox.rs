//! Where the supervisor's events go: numbered, appended to the journal,
//! then put on the bounded shared queue, whose reader is woken (the
//! injected callback) once per loop iteration rather than per event.
//!
//! The queue is bounded in events and in bytes: an output event holds up
//! to 64 KiB (the lines of one read), so 65,536 of them could hold 4 GiB
//! for a reader that is slower than a child printing without pause. Past
//! `QUEUED_BYTES` the supervisor waits for the reader, as it does for a
//! full queue: the child then waits on its pipe, and nothing is lost.

use super::handle::Notify;
use crate::event::{Event, EventKind};
use crate::journal::Journal;
use crate::journal::END_WAIT;
use crossbeam_channel::Sender;
use std::collections::VecDeque;
use std::sync::Weak;
use std::time::{Duration, Instant};

/// Bytes of events on the queue past which the supervisor waits for the
/// reader.
pub const QUEUED_BYTES: u64 = 32 << 20;

/// What an event costs on the queue, about: its output text and a record.
pub fn weight(e: &Event) -> u64 {
    let text = match &e.kind {
        EventKind::Stdout { line, .. } | EventKind::Stderr { line, .. } => line.len(),
        _ => 0,
    };
    text as u64 + 128
}

pub(super) struct Outbox {
    events: Sender<Event>,
    notify: Option<Notify>,
    seq: u64,
    /// Events were sent since the reader was last woken.
    dirty: bool,
    journal: Option<Journal>,
    /// The weights of the events sent, oldest first, until the queue's
    /// length shows the reader has taken them (the queue is FIFO).
    weights: VecDeque<u64>,
    /// Their sum: the bytes on the queue.
    queued: u64,
    /// Alive while the queue's reader is (the engine's handle).
    reader: Option<Weak<()>>,
}

impl Outbox {
    pub fn new(events: Sender<Event>, notify: Option<Notify>) -> Self {
        Self {
            events,
            notify,
            seq: 0,
            dirty: false,
            journal: None,
            weights: VecDeque::new(),
            queued: 0,
            reader: None,
        }
    }

    /// The reader's token: while it lives the supervisor may wait for it.
    pub fn set_reader(&mut self, reader: Weak<()>) {
        self.reader = Some(reader);
    }

    /// Forgets the weights of the events the reader has taken.
    fn taken(&mut self) {
        let on_queue = self.events.len();
        while self.weights.len() > on_queue {
            let w = self.weights.pop_front().unwrap_or(0);
            self.queued = self.queued.saturating_sub(w);
        }
    }

    /// Waits until `w` more bytes fit on the queue, or the queue is empty
    /// (one event larger than the bound still goes), or its reader is gone.
    fn make_room(&mut self, w: u64) {
        self.taken();
        if self.queued + w <= QUEUED_BYTES || self.weights.is_empty() {
            return;
        }
        self.dirty = true;
        self.wake_reader();
        loop {
            if self.reader.as_ref().is_some_and(|r| r.strong_count() == 0) {
                return;
            }
            std::thread::sleep(Duration::from_micros(500));
            self.taken();
            if self.queued + w <= QUEUED_BYTES || self.weights.is_empty() {
                return;
            }
        }
    }

    pub fn set_journal(&mut self, journal: Journal) {
        self.journal = Some(journal);
    }

    /// Puts an event on the shared queue (waiting if it is full).
    pub fn emit(&mut self, mut e: Event) {
        self.seq += 1;
        e.seq = self.seq;
        if let Some(j) = self.journal.as_mut() {
            j.append(&e);
        }
        let w = weight(&e);
        self.make_room(w);
        if self.events.is_full() {
            // Wake the reader before waiting on it.
            self.dirty = true;
            self.wake_reader();
        }
        if self.events.send(e).is_ok() {
            self.weights.push_back(w);
            self.queued += w;
        }
        self.dirty = true;
    }

    /// Calls the reader's callback if events were sent since the last call.
    pub fn wake_reader(&mut self) {
        if std::mem::take(&mut self.dirty) {
            if let Some(n) = &self.notify {
                n();
            }
        }
    }

    /// Calls the reader's callback whether or not events were sent (after
    /// a panic, whatever state the flag is in).
    pub fn wake_reader_now(&mut self) {
        self.dirty = true;
        self.wake_reader();
    }

    /// When the journal's buffered events must be written by.
    pub fn journal_deadline(&self) -> Option<Instant> {
        self.journal.as_ref().and_then(Journal::deadline)
    }

    /// Writes the journal's buffer if it is due; a write that failed is
    /// returned as the message of an error event to emit.
    pub fn flush_journal_if_due(&mut self) -> Option<String> {
        let j = self.journal.as_mut()?;
        j.flush_if_due();
        j.take_error()
    }

    /// Writes whatever the journal holds and waits until it is written (at
    /// the session's end; [`END_WAIT`] at most); a write that failed, or a
    /// disk that did not take the writes in time, is returned as the
    /// message of an error event to emit.
    pub fn flush_journal(&mut self) -> Option<String> {
        let j = self.journal.as_mut()?;
        if j.settle_by(Instant::now() + END_WAIT) {
            return j.take_error();
        }
        let error = j.take_error().map(|e| format!("{e}; ")).unwrap_or_default();
        Some(format!(
            "{error}the journal {} did not take its last events within {} s (a stalled disk?): the session ends without waiting for it longer, and the journal may lack them",
            j.path().display(),
            END_WAIT.as_secs()
        ))
    }

    /// Closes the journal at the session's end: written out (bounded as
    /// `flush_journal`), or removed if nothing ran in the session (only its
    /// start, end and samples were appended).
    pub fn end_journal(&mut self) {
        match self.journal.take() {
            Some(j) if !j.eventful() => j.discard(),
            Some(mut j) => {
                j.settle_by(Instant::now() + END_WAIT);
            }
            None => {}
        }
    }
}
