//! The process table's rows, built again only when what they show changed:
//! the model's generation (every event but output lines and resource
//! samples), the names being started, the sort, and, for a sort by a live
//! column, the latest sample (CPU, memory, about once a second) or the
//! second (runtime). The filtered rows are kept beside them, built again
//! when the filter or the rows change.
//!
//! Between builds a frame does nothing per row: the table draws only the
//! rows in view, and takes those as they are now from the model (`fresh`:
//! runtime, countdowns, CPU and memory), so that what ticks by itself is
//! computed for the rows seen and nothing else.

use super::rows::{self, Col, Row, Sort};
use super::stats::Sample;
use crate::model::SessionModel;
use chrono::{DateTime, FixedOffset};
use std::collections::HashSet;
use std::sync::Arc;

/// What the rows were built from.
#[derive(Clone, Debug, PartialEq)]
struct Key {
    generation: u64,
    starting: Vec<String>,
    sort: Option<Sort>,
    /// The sample and the engine's samples seen, for a sort by CPU or memory.
    live: (u64, u64),
    /// The second, for a sort by runtime.
    tick: i64,
}

impl Key {
    fn new(
        model: &SessionModel,
        starting: &HashSet<String>,
        sample: &Sample,
        sort: Option<Sort>,
        now: DateTime<FixedOffset>,
    ) -> Key {
        let col = sort.map(|s| s.col);
        let live = matches!(col, Some(Col::Cpu | Col::Memory | Col::OverTime));
        let mut starting: Vec<String> = starting.iter().cloned().collect();
        starting.sort_unstable();
        Key {
            generation: model.generation,
            starting,
            sort,
            live: if live {
                (sample.seq, model.pictures.samples_seen)
            } else {
                (0, 0)
            },
            tick: if col == Some(Col::Runtime) {
                now.timestamp()
            } else {
                0
            },
        }
    }
}

/// One table's rows (the live session's, or a past one's).
#[derive(Default)]
pub struct RowCache {
    key: Option<Key>,
    all: Arc<Vec<Row>>,
    /// The filter `shown` was built for (trimmed, lower-cased).
    needle: Option<String>,
    shown: Arc<Vec<Row>>,
    /// The model generation the live pids were taken at.
    pids_at: Option<u64>,
    /// How many times the rows were built (for tests and benchmarks).
    pub builds: u64,
}

impl RowCache {
    /// Every row (none filtered out), in `sort` order.
    pub fn all(
        &mut self,
        model: &SessionModel,
        starting: &HashSet<String>,
        sample: &Sample,
        sort: Option<Sort>,
        now: DateTime<FixedOffset>,
    ) -> Arc<Vec<Row>> {
        let key = Key::new(model, starting, sample, sort, now);
        if self.key.as_ref() != Some(&key) {
            self.all = Arc::new(rows::rows(model, starting, sample, "", sort, now));
            self.key = Some(key);
            self.needle = None;
            self.builds += 1;
        }
        self.all.clone()
    }

    /// The rows of the last `all` that pass `filter`.
    pub fn shown(&mut self, filter: &str) -> Arc<Vec<Row>> {
        let needle = filter.trim().to_lowercase();
        if needle.is_empty() {
            return self.all.clone();
        }
        if self.needle.as_deref() != Some(needle.as_str()) {
            let kept: Vec<Row> = self.all.iter().filter(|r| r.matches(&needle)).cloned().collect();
            self.shown = Arc::new(kept);
            self.needle = Some(needle);
        }
        self.shown.clone()
    }

    /// The pids of the live processes, when they may have changed since
    /// the last call (the model's generation moved).
    pub fn live_pids(&mut self, model: &SessionModel) -> Option<Vec<u32>> {
        if self.pids_at == Some(model.generation) {
            return None;
        }
        self.pids_at = Some(model.generation);
        Some(
            model
                .processes
                .iter()
                .filter(|r| r.state.is_alive())
                .filter_map(|r| r.pid)
                .collect(),
        )
    }
}

/// The live session's table and a past session's.
#[derive(Default)]
pub struct RowCaches {
    pub live: RowCache,
    pub past: RowCache,
}

/// `row` as it is now: its runtime, countdown, CPU and memory taken from
/// the model and the sample at `now` (the row itself if the model no
/// longer has it).
pub fn fresh(
    model: &SessionModel,
    starting: &HashSet<String>,
    sample: &Sample,
    now: DateTime<FixedOffset>,
    row: &Row,
) -> Row {
    match model.row(&row.name) {
        Some(r) => rows::row_of(model, r, starting, sample, now),
        None => row.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, EventKind};

    fn spawn(m: &mut SessionModel, name: &str, pid: u32) {
        m.apply(&Event::now(EventKind::Spawned { command: "c".into() }).process(name, Some(pid)));
    }

    #[test]
    fn rows_are_built_again_only_when_an_event_or_the_sort_changes_them() {
        let mut m = SessionModel::default();
        spawn(&mut m, "b", 2);
        spawn(&mut m, "a", 1);
        let mut c = RowCache::default();
        let none = HashSet::new();
        let s = Sample::default();
        let now = chrono::Local::now().fixed_offset();
        let r = c.all(&m, &none, &s, None, now);
        assert_eq!(r.len(), 2);
        assert_eq!(c.builds, 1);
        // Output lines change no row.
        m.apply(&Event::now(EventKind::stdout("x")).process("a", Some(1)));
        c.all(&m, &none, &s, None, now);
        assert_eq!(c.builds, 1, "output is not a reason to build the rows");
        // An exit is.
        m.apply(
            &Event::now(EventKind::Exited {
                exit_code: 3,
                runtime: 1.0,
                restart_in: None,
                usage: None,
                stopped: false,
            })
            .process("a", Some(1)),
        );
        let r = c.all(&m, &none, &s, None, now);
        assert_eq!(c.builds, 2);
        assert_eq!(r[1].status, rows::Status::Exited);
        assert_eq!(r[1].exit_code, Some(3));
        // So is the sort.
        let by_name = Some(Sort {
            col: Col::Name,
            ascending: true,
        });
        let r = c.all(&m, &none, &s, by_name, now);
        assert_eq!(c.builds, 3);
        assert_eq!(r[0].name, "a");
        // A sort by runtime is built again each second, no more often.
        let by_runtime = Some(Sort {
            col: Col::Runtime,
            ascending: true,
        });
        c.all(&m, &none, &s, by_runtime, now);
        c.all(&m, &none, &s, by_runtime, now);
        assert_eq!(c.builds, 4);
        c.all(&m, &none, &s, by_runtime, now + chrono::Duration::seconds(1));
        assert_eq!(c.builds, 5);
        // The filter narrows the rows built, without building them again.
        assert_eq!(c.shown("A").len(), 1);
        assert_eq!(c.shown("").len(), 2);
        assert_eq!(c.builds, 5);
    }

    #[test]
    fn live_pids_are_taken_when_the_model_changed() {
        let mut m = SessionModel::default();
        spawn(&mut m, "a", 10);
        let mut c = RowCache::default();
        assert_eq!(c.live_pids(&m), Some(vec![10]));
        assert_eq!(c.live_pids(&m), None);
        spawn(&mut m, "b", 11);
        assert_eq!(c.live_pids(&m), Some(vec![10, 11]));
    }

    #[test]
    fn a_fresh_row_has_the_runtime_of_now() {
        let mut m = SessionModel::default();
        spawn(&mut m, "a", 10);
        let mut c = RowCache::default();
        let (none, s) = (HashSet::new(), Sample::default());
        let now = chrono::Local::now().fixed_offset();
        let r = c.all(&m, &none, &s, None, now);
        let later = now + chrono::Duration::seconds(90);
        let f = fresh(&m, &none, &s, later, &r[0]);
        let (was, is) = (r[0].runtime.unwrap_or(0.0), f.runtime.unwrap_or(0.0));
        assert!(is - was > 89.0, "{was} then {is}");
    }
}
