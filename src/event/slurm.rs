//! The state of a Slurm job as Slurm reports it (`squeue`, or `srun`'s
//! own last words): the `state` field of a `slurm_state` event and what
//! an input's row shows.

use serde::{Deserialize, Serialize};

/// A Slurm job's state. Its serde form is flat: `{"state": "pending",
/// "reason": "Resources"}`, `{"state": "failed", "exit_code": 3}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SlurmState {
    /// Waiting for an allocation; `reason` is Slurm's (`Resources`,
    /// `Priority`, `PartitionDown`, `BeginTime`, ...).
    Pending {
        #[serde(default)]
        reason: String,
    },
    /// Running (or being set up) on `node`.
    Running {
        #[serde(default)]
        node: String,
    },
    /// Ended with exit code 0.
    Completed,
    /// Ended otherwise: the exit code in Python's convention (a signal
    /// as its negative number) when one is known.
    Failed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
    },
    /// Cancelled (`scancel`, an administrator, or Proctor's Terminate).
    Cancelled,
    /// Ran past its time limit (`time`).
    Timeout,
    /// Its node failed.
    NodeFail,
    /// Preempted by other work.
    Preempted,
    /// Ran out of memory.
    OutOfMemory,
    /// Any other state Slurm names (`SUSPENDED`, `BOOT_FAIL`, ...), as
    /// Slurm wrote it.
    Other {
        #[serde(default)]
        name: String,
    },
}

impl SlurmState {
    /// Whether the job has ended (nothing will change it any more).
    pub fn is_final(&self) -> bool {
        !matches!(
            self,
            Self::Pending { .. } | Self::Running { .. } | Self::Other { .. }
        )
    }

    /// Whether a person should see it as a problem (a cancel may be the
    /// person's own doing: not one).
    pub fn is_problem(&self) -> bool {
        matches!(
            self,
            Self::Failed { .. } | Self::Timeout | Self::NodeFail | Self::OutOfMemory | Self::Preempted
        )
    }

    /// How it reads in a table: `pending: Resources`, `running on n1`,
    /// `timeout`, `failed (3)`.
    pub fn text(&self) -> String {
        match self {
            Self::Pending { reason } if reason.is_empty() => "pending".into(),
            Self::Pending { reason } => format!("pending: {reason}"),
            Self::Running { node } if node.is_empty() => "running".into(),
            Self::Running { node } => format!("running on {node}"),
            Self::Completed => "completed".into(),
            Self::Failed { exit_code: None } => "failed".into(),
            Self::Failed { exit_code: Some(c) } => {
                format!("failed ({})", super::exit::short_exit(*c))
            }
            Self::Cancelled => "cancelled".into(),
            Self::Timeout => "timeout".into(),
            Self::NodeFail => "node failure".into(),
            Self::Preempted => "preempted".into(),
            Self::OutOfMemory => "out of memory".into(),
            Self::Other { name } => name.to_lowercase(),
        }
    }

    /// From Slurm's own words: its state name (`PENDING`, `TIMEOUT`,
    /// `CANCELLED by 0`, ...), the reason, the node list, and the raw wait
    /// status of an ended job (`768` for exit code 3, `15` for SIGTERM).
    /// `None` for a state on the way (`COMPLETING`, `CONFIGURING`) or an
    /// empty one: the last state stands.
    pub fn from_slurm(state: &str, reason: &str, node: &str, status: Option<i64>) -> Option<Self> {
        let word = state.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        let word = word.trim_end_matches('+');
        Some(match word {
            "" | "COMPLETING" | "CONFIGURING" | "STAGE_OUT" | "SIGNALING" => return None,
            "PENDING" | "PD" | "REQUEUED" | "REQUEUE_HOLD" | "REQUEUE_FED" | "RESV_DEL_HOLD" => {
                Self::Pending {
                    reason: clip(reason.trim()),
                }
            }
            "RUNNING" | "R" => Self::Running {
                node: clip(node.trim()),
            },
            "COMPLETED" | "CD" => Self::Completed,
            "FAILED" | "F" => Self::Failed {
                exit_code: status.and_then(wait_status),
            },
            "CANCELLED" | "CA" => Self::Cancelled,
            "TIMEOUT" | "TO" | "DEADLINE" | "DL" => Self::Timeout,
            "NODE_FAIL" | "NF" | "BOOT_FAIL" | "BF" => Self::NodeFail,
            "PREEMPTED" | "PR" => Self::Preempted,
            "OUT_OF_MEMORY" | "OOM" => Self::OutOfMemory,
            other => Self::Other { name: clip(other) },
        })
    }
}

/// Slurm's exit status of an ended job (a `wait` status: code << 8, or
/// the signal) in Python's convention; `None` for nonsense.
fn wait_status(s: i64) -> Option<i32> {
    if !(0..=0xffff).contains(&s) {
        return None;
    }
    let sig = (s & 0x7f) as i32;
    if sig != 0 {
        Some(-sig)
    } else {
        Some(((s >> 8) & 0xff) as i32)
    }
}

/// Slurm's texts are short; a garbled one is kept to 200 characters.
fn clip(s: &str) -> String {
    s.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slurm_words_map_to_states() {
        let p = |s, r, n, x| SlurmState::from_slurm(s, r, n, x);
        assert_eq!(
            p("PENDING", "PartitionDown", "", Some(0)),
            Some(SlurmState::Pending {
                reason: "PartitionDown".into()
            })
        );
        assert_eq!(
            p("RUNNING", "None", "vm", Some(0)),
            Some(SlurmState::Running { node: "vm".into() })
        );
        assert_eq!(
            p("FAILED", "NonZeroExitCode", "vm", Some(768)),
            Some(SlurmState::Failed { exit_code: Some(3) })
        );
        assert_eq!(
            p("FAILED", "JobLaunchFailure", "vm", Some(15)),
            Some(SlurmState::Failed { exit_code: Some(-15) })
        );
        assert_eq!(
            p("CANCELLED by 0", "None", "vm", Some(15)),
            Some(SlurmState::Cancelled)
        );
        assert_eq!(
            p("TIMEOUT", "TimeLimit", "vm", Some(0)),
            Some(SlurmState::Timeout)
        );
        assert_eq!(p("NODE_FAIL", "", "vm", None), Some(SlurmState::NodeFail));
        assert_eq!(p("COMPLETING", "", "vm", None), None);
        assert_eq!(p("", "", "", None), None);
        assert_eq!(
            p("SUSPENDED", "", "", None),
            Some(SlurmState::Other {
                name: "SUSPENDED".into()
            })
        );
        // Nonsense statuses are no exit code, not a panic.
        for s in [i64::MIN, -1, 0x10000, i64::MAX] {
            assert_eq!(
                p("FAILED", "", "", Some(s)),
                Some(SlurmState::Failed { exit_code: None })
            );
        }
        let long = "x".repeat(100_000);
        let Some(SlurmState::Other { name }) = p(&long, &long, &long, None) else {
            panic!()
        };
        assert_eq!(name.len(), 200);
    }

    #[test]
    fn its_record_is_flat_and_its_csv_row_says_it() {
        use crate::event::{schema, Event, EventKind};
        let e = Event::now(EventKind::SlurmState {
            job: "42".into(),
            state: SlurmState::Failed { exit_code: Some(3) },
        })
        .process("p/worker-1", Some(7))
        .pool("p", Some(0));
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "slurm_state");
        assert_eq!(v["state"], "failed");
        assert_eq!(v["exit_code"], 3);
        assert_eq!(v["job"], "42");
        let row = schema::csv_values(&e, Some("in"));
        let col = |name: &str| row[schema::CSV_COLUMNS.iter().position(|c| *c == name).unwrap()].clone();
        assert_eq!(col("message"), "Slurm job 42: failed (3)");
        assert_eq!(col("exit_code"), "3");
        assert_eq!(col("input"), "in");
        let pending = Event::now(EventKind::SlurmState {
            job: "5".into(),
            state: SlurmState::Pending {
                reason: "Resources".into(),
            },
        });
        assert_eq!(pending.text_line().rsplit(": ").next(), Some("Resources"));
        assert!(pending
            .text_line()
            .ends_with("slurm_state: Slurm job 5: pending: Resources"));
    }

    #[test]
    fn texts_read_as_people_say_them() {
        let pending = SlurmState::Pending {
            reason: "Resources".into(),
        };
        assert_eq!(pending.text(), "pending: Resources");
        assert!(!pending.is_final());
        assert_eq!(SlurmState::Timeout.text(), "timeout");
        assert!(SlurmState::Timeout.is_final());
        assert_eq!(SlurmState::NodeFail.text(), "node failure");
        assert_eq!(SlurmState::Failed { exit_code: Some(3) }.text(), "failed (3)");
    }
}
