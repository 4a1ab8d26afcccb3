//! What a pool's card needs of all its inputs (their counts, whether any
//! ran on a host), worked out when the model changes, not every frame: a
//! pool of 100,000 inputs was scanned four times a frame. Every event
//! that changes an input moves the model's generation.

use crate::model::{PoolRow, Progress, SessionModel};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PoolSummary {
    pub progress: Progress,
    /// Some input ran on a host (or Slurm), or the pool has hosts: the
    /// results table has a Host column.
    pub remote: bool,
}

impl PoolSummary {
    pub fn of(pool: &PoolRow) -> Self {
        Self {
            progress: pool.progress(),
            remote: !pool.hosts.workers.is_empty() || pool.inputs.iter().any(|r| r.host.is_some()),
        }
    }
}

/// The summaries of one model generation.
#[derive(Default)]
pub struct PoolSummaries {
    generation: Option<u64>,
    by_pool: HashMap<String, PoolSummary>,
}

impl PoolSummaries {
    pub fn get(&mut self, model: &SessionModel, pool: &PoolRow) -> PoolSummary {
        if self.generation != Some(model.generation) {
            self.by_pool.clear();
            self.generation = Some(model.generation);
        }
        if let Some(s) = self.by_pool.get(&pool.name) {
            return *s;
        }
        let s = PoolSummary::of(pool);
        self.by_pool.insert(pool.name.clone(), s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Event, EventKind};

    fn queued(index: u64, input: &str) -> Event {
        Event::now(EventKind::TaskQueued {
            input_text: input.into(),
        })
        .pool("p", Some(index))
    }

    #[test]
    fn a_summary_is_kept_until_the_model_changes() {
        let mut m = SessionModel::default();
        let mut s = PoolSummaries::default();
        m.apply(&queued(0, "a"));
        let first = s.get(&m, m.pool("p").unwrap());
        assert_eq!((first.progress.total, first.progress.queued), (1, 1));
        assert!(!first.remote);
        m.apply(&queued(1, "b"));
        let second = s.get(&m, m.pool("p").unwrap());
        assert_eq!(
            (second.progress.total, second.progress.queued),
            (2, 2),
            "a new input is counted"
        );
        // Output lines do not move the generation, and change no count.
        m.apply(&Event::now(EventKind::stdout("x")).process("w", Some(1)));
        assert_eq!(s.get(&m, m.pool("p").unwrap()), second);
    }
}
