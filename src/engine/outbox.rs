//! Where the supervisor's events go: numbered, appended to the journal,
//! then put on the bounded shared queue, whose reader is woken (the
//! injected callback) once per loop iteration rather than per event.

use super::handle::Notify;
use crate::event::Event;
use crate::journal::Journal;
use crossbeam_channel::Sender;
use std::time::Instant;

pub(super) struct Outbox {
    events: Sender<Event>,
    notify: Option<Notify>,
    seq: u64,
    /// Events were sent since the reader was last woken.
    dirty: bool,
    journal: Option<Journal>,
}

impl Outbox {
    pub fn new(events: Sender<Event>, notify: Option<Notify>) -> Self {
        Self {
            events,
            notify,
            seq: 0,
            dirty: false,
            journal: None,
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
        if self.events.is_full() {
            // Wake the reader before waiting on it.
            self.dirty = true;
            self.wake_reader();
        }
        let _ = self.events.send(e);
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
    /// the session's end); a write that failed is returned as the message of
    /// an error event to emit.
    pub fn flush_journal(&mut self) -> Option<String> {
        let j = self.journal.as_mut()?;
        j.settle();
        j.take_error()
    }
}
