//! Slurm's word on a pool's work (`slurm_state` events): each input's and
//! each worker's last state, the text a row shows, and the pending work
//! with its reasons.

use super::pool::{InputResult, InputStatus, PoolRow};
use crate::event::slurm::SlurmState;

impl PoolRow {
    /// A `slurm_state` event of `worker`: its last state.
    pub(super) fn slurm_seen(&mut self, worker: Option<&str>, state: &SlurmState) {
        if let Some(w) = worker {
            self.hosts.slurm.insert(w.to_string(), state.clone());
        }
    }

    /// The pool's work that Slurm holds back: per reason (Slurm's words,
    /// `Resources`, `PartitionDown`, ...), how many inputs, most first.
    pub fn slurm_pending(&self) -> Vec<(String, usize)> {
        let mut by: std::collections::BTreeMap<&str, usize> = Default::default();
        for r in &self.inputs {
            if let (InputStatus::Running | InputStatus::Queued, Some(SlurmState::Pending { reason })) =
                (r.status, &r.slurm)
            {
                *by.entry(reason.as_str()).or_default() += 1;
            }
        }
        let mut out: Vec<(String, usize)> = by.into_iter().map(|(r, n)| (r.to_string(), n)).collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out
    }
}

impl InputResult {
    /// The Status column: the input's status, said as Slurm says it where
    /// that tells more (`pending: Resources`, `timeout`, `node failure`).
    pub fn status_text(&self) -> String {
        use InputStatus as I;
        let Some(s) = &self.slurm else {
            return self.status.label().to_string();
        };
        match (self.status, s) {
            (I::Queued | I::Running, SlurmState::Pending { .. }) => s.text(),
            (
                I::Failed,
                SlurmState::Timeout | SlurmState::NodeFail | SlurmState::Preempted | SlurmState::OutOfMemory,
            ) => s.text(),
            (I::Failed, SlurmState::Cancelled) => "cancelled in Slurm".to_string(),
            _ => self.status.label().to_string(),
        }
    }

    /// Whether Slurm holds it back (pending).
    pub fn slurm_pending(&self) -> bool {
        matches!(self.status, InputStatus::Queued | InputStatus::Running)
            && matches!(self.slurm, Some(SlurmState::Pending { .. }))
    }
}

#[cfg(test)]
mod tests {
    use crate::event::slurm::SlurmState;
    use crate::event::{Event, EventKind};
    use crate::model::SessionModel;

    fn on(kind: EventKind, input: Option<u64>) -> Event {
        Event::now(kind).pool("p", input).process("p/worker-1", None)
    }

    fn state(s: SlurmState, input: u64) -> Event {
        on(
            EventKind::SlurmState {
                job: "7".into(),
                state: s,
            },
            Some(input),
        )
    }

    #[test]
    fn an_input_reads_as_slurm_says() {
        let mut m = SessionModel::default();
        m.apply(&on(
            EventKind::TaskQueued {
                input_text: "a".into(),
            },
            Some(0),
        ));
        m.apply(&on(
            EventKind::TaskQueued {
                input_text: "b".into(),
            },
            Some(1),
        ));
        m.apply(&on(
            EventKind::TaskStarted {
                input_text: "a".into(),
            },
            Some(0),
        ));
        m.apply(&state(
            SlurmState::Pending {
                reason: "Resources".into(),
            },
            0,
        ));
        let p = m.pool("p").unwrap();
        assert_eq!(p.inputs[0].status_text(), "pending: Resources");
        assert!(p.inputs[0].slurm_pending());
        assert_eq!(p.inputs[1].status_text(), "queued");
        assert_eq!(p.slurm_pending(), vec![("Resources".to_string(), 1)]);
        assert_eq!(
            p.hosts.slurm.get("p/worker-1"),
            Some(&SlurmState::Pending {
                reason: "Resources".into()
            })
        );
        m.apply(&state(SlurmState::Running { node: "n1".into() }, 0));
        assert_eq!(m.pool("p").unwrap().inputs[0].status_text(), "running");
        m.apply(&state(SlurmState::Timeout, 0));
        m.apply(&on(
            EventKind::TaskFailed {
                exit_code: None,
                message: "out of time".into(),
                duration: 60.0,
                will_retry: false,
            },
            Some(0),
        ));
        let p = m.pool("p").unwrap();
        assert_eq!(p.inputs[0].status_text(), "timeout", "not `failed`, not `done`");
        assert!(p.slurm_pending().is_empty());
        // A new attempt forgets the last one's state.
        m.apply(&on(
            EventKind::TaskStarted {
                input_text: "b".into(),
            },
            Some(1),
        ));
        m.apply(&state(SlurmState::Cancelled, 1));
        m.apply(&on(
            EventKind::TaskFailed {
                exit_code: None,
                message: "cancelled".into(),
                duration: 1.0,
                will_retry: true,
            },
            Some(1),
        ));
        assert_eq!(m.pool("p").unwrap().inputs[1].status_text(), "queued");
        m.apply(&on(
            EventKind::TaskStarted {
                input_text: "b".into(),
            },
            Some(1),
        ));
        assert_eq!(m.pool("p").unwrap().inputs[1].slurm, None);
    }
}
