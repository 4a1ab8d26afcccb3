//! The event log: every event of the shared queue, newest at the bottom,
//! in a bounded window. Filter by process and kind, search text, and follow
//! the tail until the user scrolls up. Drawn with a virtualised table, so a
//! million lines scroll as easily as ten.

use crate::event::{Event, EventKind};
use std::collections::{BTreeSet, VecDeque};

/// Events kept in memory; older ones are dropped from the view.
pub const LOG_CAPACITY: usize = 1_000_000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProcessFilter {
    All,
    /// The processes selected in the process table.
    Selected,
    One(String),
    /// One input of a pool (a bar of the timeline clicked): its events and
    /// the output of its run.
    Input {
        pool: String,
        input: u64,
    },
}

/// A snapshot of the log's filters, usable off the UI thread.
#[derive(Clone, Debug, PartialEq)]
pub struct LogFilter {
    pub process: ProcessFilter,
    pub selection: BTreeSet<String>,
    pub hidden_kinds: BTreeSet<&'static str>,
    pub problems_only: bool,
    /// The search text, trimmed and lower-cased.
    pub needle: String,
}

impl LogFilter {
    pub fn matches(&self, e: &Event) -> bool {
        filter_matches(
            e,
            &self.process,
            &self.selection,
            &self.hidden_kinds,
            self.problems_only,
            &self.needle,
        )
    }

    pub fn is_active(&self) -> bool {
        self.process != ProcessFilter::All
            || !self.hidden_kinds.is_empty()
            || self.problems_only
            || !self.needle.is_empty()
    }
}

fn filter_matches(
    e: &Event,
    process: &ProcessFilter,
    selection: &BTreeSet<String>,
    hidden_kinds: &BTreeSet<&'static str>,
    problems_only: bool,
    needle: &str,
) -> bool {
    let who = |name: &str| e.process.as_deref() == Some(name) || e.pool.as_deref() == Some(name);
    let process_ok = match process {
        ProcessFilter::All => true,
        ProcessFilter::One(n) => who(n),
        ProcessFilter::Input { pool, input } => {
            e.pool.as_deref() == Some(pool.as_str()) && e.input == Some(*input)
        }
        ProcessFilter::Selected => selection.iter().any(|n| who(n)),
    };
    if !process_ok || hidden_kinds.contains(e.kind.name()) {
        return false;
    }
    if problems_only && !e.kind.is_problem() {
        return false;
    }
    needle.is_empty()
        || e.text().to_lowercase().contains(needle)
        || e.process
            .as_deref()
            .is_some_and(|p| p.to_lowercase().contains(needle))
        || e.kind.name().contains(needle)
}

pub struct Log {
    pub(super) events: VecDeque<Event>,
    /// The absolute index of `events[0]` (grows as old events are dropped).
    pub(super) first: u64,
    /// Absolute indices of the events that pass the filters, in order.
    pub(super) shown: VecDeque<u64>,
    pub(super) capacity: usize,
    pub process: ProcessFilter,
    pub(super) selection: BTreeSet<String>,
    pub hidden_kinds: BTreeSet<&'static str>,
    pub problems_only: bool,
    pub search: String,
    /// The filters as last applied (to know when to filter again).
    pub(super) applied: (
        ProcessFilter,
        BTreeSet<&'static str>,
        bool,
        String,
        BTreeSet<String>,
    ),
    pub follow: bool,
    pub(super) jump_to_end: bool,
    /// Lines picked for copying, and the Show list's search (`log_pick`).
    pub(super) picked: super::log_pick::Picked,
}

impl Default for Log {
    fn default() -> Self {
        Self::with_capacity(LOG_CAPACITY)
    }
}

pub(super) fn is_error(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::SpawnFailed { .. }
            | EventKind::Error { .. }
            | EventKind::TaskFailed { .. }
            | EventKind::Leftover { .. }
    )
}

impl Log {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            events: VecDeque::new(),
            first: 0,
            shown: VecDeque::new(),
            capacity: capacity.max(1),
            process: ProcessFilter::All,
            selection: BTreeSet::new(),
            hidden_kinds: BTreeSet::new(),
            problems_only: false,
            search: String::new(),
            applied: (
                ProcessFilter::All,
                BTreeSet::new(),
                false,
                String::new(),
                BTreeSet::new(),
            ),
            follow: true,
            jump_to_end: false,
            picked: Default::default(),
        }
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// How many events pass the filters.
    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    /// The events that pass the filters, oldest first.
    pub fn shown(&self) -> impl Iterator<Item = &Event> {
        self.shown.iter().filter_map(|&a| self.get(a))
    }

    pub fn events(&self) -> impl Iterator<Item = &Event> {
        self.events.iter()
    }

    /// The absolute indices of the lines shown, oldest first.
    pub(super) fn shown_indices(&self) -> impl Iterator<Item = u64> + '_ {
        self.shown.iter().copied()
    }

    /// Applies the filters now (tests; the view does it each frame).
    #[cfg(test)]
    pub(super) fn refilter(&mut self) {
        self.refilter_if_changed();
    }

    pub(super) fn get(&self, abs: u64) -> Option<&Event> {
        abs.checked_sub(self.first)
            .and_then(|i| self.events.get(i as usize))
    }

    pub fn push(&mut self, e: Event) {
        // Resource samples are data for the plots (and the journal), not
        // something to read: they would be a line a second.
        if matches!(e.kind, crate::event::EventKind::Samples { .. }) {
            return;
        }
        let abs = self.first + self.events.len() as u64;
        let needle = self.search.trim().to_lowercase();
        if self.matches(&e, &needle) {
            self.shown.push_back(abs);
        }
        self.events.push_back(e);
        while self.events.len() > self.capacity {
            self.events.pop_front();
            self.first += 1;
        }
        while self.shown.front().is_some_and(|&a| a < self.first) {
            self.shown.pop_front();
        }
    }

    /// Shows only this process's (or pool's) events.
    pub fn show_process(&mut self, name: &str) {
        self.process = ProcessFilter::One(name.to_string());
        self.refilter_if_changed();
    }

    /// Shows only the events of one input of a pool.
    pub fn show_input(&mut self, pool: &str, input: u64) {
        self.process = ProcessFilter::Input {
            pool: pool.to_string(),
            input,
        };
        self.refilter_if_changed();
    }

    /// The process table's selection, for the "selected in table" filter.
    pub fn set_selection(&mut self, selection: &BTreeSet<String>) {
        if &self.selection != selection {
            self.selection = selection.clone();
            self.refilter_if_changed();
        }
    }

    pub(super) fn matches(&self, e: &Event, needle: &str) -> bool {
        filter_matches(
            e,
            &self.process,
            &self.selection,
            &self.hidden_kinds,
            self.problems_only,
            needle,
        )
    }

    /// The filters as they stand, to apply to events elsewhere (an export
    /// of what the filter shows reads the whole journal through this).
    pub fn filter(&self) -> LogFilter {
        LogFilter {
            process: self.process.clone(),
            selection: self.selection.clone(),
            hidden_kinds: self.hidden_kinds.clone(),
            problems_only: self.problems_only,
            needle: self.search.trim().to_lowercase(),
        }
    }

    /// Whether any filter narrows the log.
    pub fn is_filtered(&self) -> bool {
        self.filter().is_active()
    }

    /// The newest event kept.
    pub fn last(&self) -> Option<&Event> {
        self.events.back()
    }

    /// The newest `n` events kept, oldest first.
    pub fn tail(&self, n: usize) -> Vec<Event> {
        let skip = self.events.len().saturating_sub(n);
        self.events.iter().skip(skip).cloned().collect()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keeps at most `capacity` events from now on (dropping the oldest now).
    pub fn set_capacity(&mut self, capacity: usize) {
        self.capacity = capacity.max(1);
        while self.events.len() > self.capacity {
            self.events.pop_front();
            self.first += 1;
        }
        while self.shown.front().is_some_and(|&a| a < self.first) {
            self.shown.pop_front();
        }
    }

    pub(super) fn refilter_if_changed(&mut self) {
        let now = (
            self.process.clone(),
            self.hidden_kinds.clone(),
            self.problems_only,
            self.search.clone(),
            if self.process == ProcessFilter::Selected {
                self.selection.clone()
            } else {
                BTreeSet::new()
            },
        );
        if now == self.applied {
            return;
        }
        self.applied = now;
        let needle = self.search.trim().to_lowercase();
        let shown: VecDeque<u64> = self
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| self.matches(e, &needle))
            .map(|(i, _)| self.first + i as u64)
            .collect();
        self.shown = shown;
        self.jump_to_end = self.follow;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(process: &str, kind: EventKind) -> Event {
        Event::now(kind).process(process, Some(1))
    }

    #[test]
    fn filters_and_search_narrow_and_capacity_drops_oldest() {
        let mut log = Log::with_capacity(3);
        log.push(ev("a", EventKind::stdout("hello")));
        log.push(ev("b", EventKind::stdout("world")));
        log.push(ev("a", EventKind::stderr("oops")));
        assert_eq!(log.shown_len(), 3);
        log.show_process("a");
        assert_eq!(log.shown_len(), 2);
        log.search = "OOPS".into();
        log.refilter_if_changed();
        assert_eq!(log.shown_len(), 1);
        log.search.clear();
        log.process = ProcessFilter::All;
        log.hidden_kinds.insert("stdout");
        log.refilter_if_changed();
        assert_eq!(log.shown_len(), 1);
        log.hidden_kinds.clear();
        log.refilter_if_changed();
        log.push(ev("c", EventKind::stdout("new")));
        assert_eq!(log.len(), 3);
        assert_eq!(log.shown_len(), 3);
        assert_eq!(log.shown().next().map(|e| e.text()), Some("world".to_string()));
    }
}
