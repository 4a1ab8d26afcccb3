//! The event log: every event of the shared queue, newest at the bottom,
//! in a bounded window. Filter by process and kind, search text, and follow
//! the tail until the user scrolls up. Drawn with a virtualised table, so a
//! million lines scroll as easily as ten.

use super::log_search::{Scan, SCAN_PER_FRAME};
use super::log_shown::Shown;
use super::log_store::LogStore;
use crate::event::{Event, EventKind};
use std::collections::BTreeSet;

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

    /// No filter: every line passes.
    pub fn none() -> Self {
        Self {
            process: ProcessFilter::All,
            selection: BTreeSet::new(),
            hidden_kinds: BTreeSet::new(),
            problems_only: false,
            needle: String::new(),
        }
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
    /// The lines kept (a lean store: see `log_store`).
    pub(super) store: LogStore,
    /// Absolute indices of the lines that pass the filters, in order.
    pub(super) shown: Shown,
    /// The filters being applied (or applied) to the store.
    pub(super) scan: Scan,
    pub process: ProcessFilter,
    pub(super) selection: BTreeSet<String>,
    pub hidden_kinds: BTreeSet<&'static str>,
    pub problems_only: bool,
    pub search: String,
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
        let mut log = Self {
            store: LogStore::with_capacity(capacity),
            shown: Shown::new(true),
            scan: Scan::new(LogFilter::none(), 0),
            process: ProcessFilter::All,
            selection: BTreeSet::new(),
            hidden_kinds: BTreeSet::new(),
            problems_only: false,
            search: String::new(),
            follow: true,
            jump_to_end: false,
            picked: Default::default(),
        };
        log.scan = Scan::new(log.filter(), 0);
        log
    }

    /// Lines kept (an output event gives one per line it carries).
    pub fn len(&self) -> usize {
        self.store.len()
    }

    pub fn is_empty(&self) -> bool {
        self.store.is_empty()
    }

    /// How many lines pass the filters (so far, while a scan runs).
    pub fn shown_len(&self) -> usize {
        self.shown.len()
    }

    /// The lines that pass the filters, oldest first, as events.
    pub fn shown(&self) -> impl Iterator<Item = Event> + '_ {
        self.shown.iter().filter_map(|a| self.get(a))
    }

    /// Every line kept, oldest first, as events.
    pub fn events(&self) -> impl Iterator<Item = Event> + '_ {
        self.store.events()
    }

    #[cfg(test)]
    pub(super) fn store(&self) -> &LogStore {
        &self.store
    }

    /// The absolute indices of the lines shown, oldest first.
    pub(super) fn shown_indices(&self) -> impl Iterator<Item = u64> + '_ {
        self.shown.iter()
    }

    /// Applies the filters now, to the end (tests; the view scans a
    /// bounded number of lines a frame).
    #[cfg(test)]
    pub(super) fn refilter(&mut self) {
        self.refilter_if_changed();
        while !self.scan_done() {
            self.scan_step();
        }
    }

    /// The line at absolute index `abs`, as an event.
    pub(super) fn get(&self, abs: u64) -> Option<Event> {
        self.store.get(abs)
    }

    pub fn push(&mut self, e: Event) {
        // Resource samples are data for the plots (and the journal), not
        // something to read: they would be a line a second.
        if matches!(e.kind, crate::event::EventKind::Samples { .. }) {
            return;
        }
        let caught_up = self.scan.done(&self.store);
        self.store.push(e);
        if caught_up {
            // Only the lines just added are left to examine.
            self.scan.step(&self.store, &mut self.shown, usize::MAX);
        }
        self.drop_dead();
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

    /// The filters as they stand, to apply to events elsewhere (an export
    /// of what the filter shows reads the whole journal through this).
    pub fn filter(&self) -> LogFilter {
        LogFilter {
            process: self.process.clone(),
            selection: if self.process == ProcessFilter::Selected {
                self.selection.clone()
            } else {
                BTreeSet::new()
            },
            hidden_kinds: self.hidden_kinds.clone(),
            problems_only: self.problems_only,
            needle: self.search.trim().to_lowercase(),
        }
    }

    /// Whether any filter narrows the log.
    pub fn is_filtered(&self) -> bool {
        self.filter().is_active()
    }

    /// The newest line kept, as an event.
    pub fn last(&self) -> Option<Event> {
        self.store.end().checked_sub(1).and_then(|a| self.get(a))
    }

    /// The newest `n` lines kept, oldest first, as events.
    pub fn tail(&self, n: usize) -> Vec<Event> {
        let from = self.store.end().saturating_sub(n as u64);
        self.store.lines_from(from).map(|(_, l)| l.to_event()).collect()
    }

    pub fn capacity(&self) -> usize {
        self.store.capacity()
    }

    /// Keeps at most `capacity` events from now on (dropping the oldest now).
    pub fn set_capacity(&mut self, capacity: usize) {
        self.store.set_capacity(capacity);
        self.drop_dead();
    }

    fn drop_dead(&mut self) {
        let first = self.store.first();
        self.shown.drop_before(first);
    }

    /// Starts applying the filters again if they changed.
    pub(super) fn refilter_if_changed(&mut self) {
        let now = self.filter();
        if &now == self.scan.filter() {
            return;
        }
        self.shown = Shown::new(!now.is_active());
        self.scan = Scan::new(now, self.store.first());
        self.jump_to_end = self.follow;
    }

    /// One frame's share of applying the filters; the lines examined.
    pub(super) fn scan_step(&mut self) -> usize {
        self.scan.step(&self.store, &mut self.shown, SCAN_PER_FRAME)
    }

    /// Whether the filters have been applied to every line kept.
    pub(super) fn scan_done(&self) -> bool {
        self.scan.done(&self.store)
    }

    /// How far applying the filters got, while it runs.
    pub(super) fn scan_progress(&self) -> Option<f32> {
        (!self.scan_done()).then(|| self.scan.progress(&self.store))
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
        log.refilter();
        assert_eq!(log.shown_len(), 2);
        log.search = "OOPS".into();
        log.refilter();
        assert_eq!(log.shown_len(), 1);
        log.search.clear();
        log.process = ProcessFilter::All;
        log.hidden_kinds.insert("stdout");
        log.refilter();
        assert_eq!(log.shown_len(), 1);
        log.hidden_kinds.clear();
        log.refilter();
        log.push(ev("c", EventKind::stdout("new")));
        assert_eq!(log.len(), 3);
        assert_eq!(log.shown_len(), 3);
        assert_eq!(log.shown().next().map(|e| e.text()), Some("world".to_string()));
    }
}
