//! Where a pool's work ran: each worker's host (`worker_host`), the hosts
//! that went down (`host_down`), and per-host figures for the tables and
//! the summary.

use super::pool::{InputStatus, PoolRow};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PoolHosts {
    /// Worker name → host.
    pub workers: BTreeMap<String, String>,
    /// Hosts that refused or dropped out, with why, in order.
    pub down: Vec<(String, String)>,
    /// Worker name → the state of its last Slurm job (`slurm_state`).
    pub slurm: BTreeMap<String, crate::event::slurm::SlurmState>,
}

impl PoolHosts {
    pub(super) fn placed(&mut self, worker: Option<&str>, host: &str) {
        if let Some(w) = worker {
            self.workers.insert(w.to_string(), host.to_string());
        }
    }
    pub(super) fn down(&mut self, host: &str, why: &str) {
        self.down.push((host.to_string(), why.to_string()));
    }
    pub fn of(&self, worker: Option<&str>) -> Option<String> {
        worker.and_then(|w| self.workers.get(w)).cloned()
    }
    pub fn is_down(&self, host: &str) -> bool {
        self.down.iter().any(|(h, _)| h == host)
    }
}

/// One host's share of a pool's inputs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HostFigures {
    pub host: String,
    pub running: usize,
    pub done: usize,
    pub failed: usize,
    /// Seconds of the inputs that ended there.
    pub busy: f64,
    pub down: bool,
}

impl HostFigures {
    /// Inputs done per second over `wall` seconds (0 without time).
    pub fn throughput(&self, wall: f64) -> f64 {
        if wall > 0.0 {
            self.done as f64 / wall
        } else {
            0.0
        }
    }
}

impl PoolRow {
    /// Figures per host, in the order of host names; empty for a pool
    /// that ran here only.
    pub fn per_host(&self) -> Vec<HostFigures> {
        let mut by: BTreeMap<&str, HostFigures> = BTreeMap::new();
        for h in self.hosts.workers.values() {
            by.entry(h).or_insert_with(|| HostFigures {
                host: h.clone(),
                ..Default::default()
            });
        }
        for (h, _) in &self.hosts.down {
            by.entry(h).or_insert_with(|| HostFigures {
                host: h.clone(),
                ..Default::default()
            });
        }
        for i in &self.inputs {
            let Some(h) = i.host.as_deref() else { continue };
            let f = by.entry(h).or_insert_with(|| HostFigures {
                host: h.to_string(),
                ..Default::default()
            });
            match i.status {
                InputStatus::Running => f.running += 1,
                InputStatus::Done => f.done += 1,
                InputStatus::Failed => f.failed += 1,
                _ => {}
            }
            // Inputs cancelled while they ran count their time, as in the
            // pool's busy total.
            if matches!(
                i.status,
                InputStatus::Done | InputStatus::Failed | InputStatus::Cancelled
            ) {
                f.busy += i.duration.unwrap_or(0.0);
            }
        }
        let mut out: Vec<HostFigures> = by.into_values().collect();
        for f in &mut out {
            f.down = self.hosts.is_down(&f.host);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{Event, EventKind};
    use crate::model::SessionModel;

    #[test]
    fn inputs_count_for_the_host_of_their_worker() {
        let mut m = SessionModel::default();
        let ev = |k: EventKind, w: Option<&str>, i: Option<u64>| {
            let mut e = Event::now(k).pool("p", i);
            e.process = w.map(String::from);
            e
        };
        m.apply(&ev(
            EventKind::WorkerHost { host: "a".into() },
            Some("p/worker-1"),
            None,
        ));
        m.apply(&ev(
            EventKind::WorkerHost { host: "b".into() },
            Some("p/worker-2"),
            None,
        ));
        for (i, w) in [(0, "p/worker-1"), (1, "p/worker-2"), (2, "p/worker-1")] {
            m.apply(&ev(
                EventKind::TaskQueued {
                    input_text: "x".into(),
                },
                None,
                Some(i),
            ));
            m.apply(&ev(
                EventKind::TaskStarted {
                    input_text: "x".into(),
                },
                Some(w),
                Some(i),
            ));
        }
        m.apply(&ev(
            EventKind::TaskDone {
                exit_code: 0,
                result: "r".into(),
                duration: 1.5,
                result_bytes: None,
            },
            Some("p/worker-1"),
            Some(0),
        ));
        m.apply(&ev(
            EventKind::HostDown {
                host: "b".into(),
                message: "gone".into(),
            },
            None,
            None,
        ));
        let p = m.pool("p").unwrap();
        assert_eq!(p.inputs[1].host.as_deref(), Some("b"));
        let f = p.per_host();
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].host.as_str(), f[0].done, f[0].running, f[0].down),
            ("a", 1, 1, false)
        );
        assert_eq!((f[1].host.as_str(), f[1].running, f[1].down), ("b", 1, true));
        assert_eq!(f[0].busy, 1.5);
        // An input cancelled while it ran counts its time on its host.
        m.apply(&ev(
            EventKind::TaskCancelled {
                exit_code: Some(-15),
                duration: Some(2.0),
            },
            Some("p/worker-1"),
            Some(2),
        ));
        let f = m.pool("p").unwrap().per_host();
        assert_eq!(f[0].busy, 3.5);
    }
}
