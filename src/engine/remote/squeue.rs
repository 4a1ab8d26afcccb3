//! What Slurm says about a session's jobs, read by pure functions: the
//! lines of `squeue` (see [`squeue_args`]) and `srun`'s own diagnostics
//! on its stderr (a job queued, a step cancelled, out of time, its node
//! failed). The lines in the tests are as Slurm 22.05 wrote them.

use crate::event::slurm::SlurmState;

/// `squeue`'s arguments for the jobs named `name`, ended ones included
/// (those Slurm still remembers, `MinJobAge`): one line per job,
/// `ID|STATE|NODES|EXIT-STATUS|REASON` (the reason last: it is free text).
pub fn squeue_args(name: &str) -> Vec<String> {
    vec![
        "--noheader".into(),
        "--states=all".into(),
        format!("--name={name}"),
        "--Format=JobID:|,State:|,NodeList:|,exit_code:|,Reason:0".into(),
    ]
}

/// The jobs of one `squeue` answer: job id and state. Lines that make no
/// sense are skipped; so are states on the way (`COMPLETING`).
pub fn parse_squeue(out: &str) -> Vec<(String, SlurmState)> {
    out.lines().filter_map(parse_squeue_line).collect()
}

fn parse_squeue_line(line: &str) -> Option<(String, SlurmState)> {
    let mut f = line.splitn(5, '|');
    let job = f.next()?.trim();
    let state = f.next()?.trim();
    let node = f.next()?.trim();
    let status = f.next()?.trim().parse::<i64>().ok();
    let reason = f.next().unwrap_or("").trim();
    if job.is_empty()
        || job.len() > 64
        || !job
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.+-".contains(&b))
    {
        return None;
    }
    let state = SlurmState::from_slurm(state, reason, node, status)?;
    Some((job.to_string(), state))
}

/// What a line of `srun`'s stderr says about its job, if anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SrunSaid {
    /// `srun: job 7 queued and waiting for resources`.
    Queued(String),
    /// The step ended as Slurm says (cancelled, out of time, node failure).
    Ended(SlurmState),
}

pub fn parse_srun_line(line: &str) -> Option<SrunSaid> {
    let line = line.trim_end();
    if let Some(rest) = line.strip_prefix("srun: job ") {
        let (job, tail) = rest.split_once(' ')?;
        if tail.starts_with("queued and waiting")
            && !job.is_empty()
            && job.bytes().all(|b| b.is_ascii_digit())
        {
            return Some(SrunSaid::Queued(job.to_string()));
        }
        return None;
    }
    // `slurmstepd-NODE: error: *** STEP 5.0 ON NODE CANCELLED AT TIME DUE TO TIME LIMIT ***`
    if line.starts_with("srun: error: Node failure on ") {
        return Some(SrunSaid::Ended(SlurmState::NodeFail));
    }
    if line.starts_with("slurmstepd") || line.starts_with("srun:") {
        let (_, star) = line.split_once("*** ")?;
        let star = star.strip_suffix(" ***").unwrap_or(star);
        if !(star.starts_with("STEP ") || star.starts_with("JOB ")) || !star.contains(" CANCELLED AT ") {
            return None;
        }
        let state = match star.split_once(" DUE TO ").map(|(_, why)| why) {
            Some(w) if w.starts_with("TIME LIMIT") => SlurmState::Timeout,
            Some(w) if w.starts_with("NODE FAIL") => SlurmState::NodeFail,
            Some(w) if w.starts_with("PREEMPTION") => SlurmState::Preempted,
            _ => SlurmState::Cancelled,
        };
        return Some(SrunSaid::Ended(state));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// As `squeue` answered on a one-node cluster (Slurm 22.05).
    const CAPTURED: &str = "1|FAILED|vm|768|NonZeroExitCode
2|FAILED|vm|15|JobLaunchFailure
3|CANCELLED|vm|15|None
4|RUNNING|vm|0|None
5|TIMEOUT|vm|0|TimeLimit
6|PENDING||0|PartitionDown
7|PENDING||0|Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions
8|COMPLETING|vm|0|None
9|COMPLETED|vm|0|None
";

    #[test]
    fn squeue_lines_as_slurm_wrote_them() {
        let got = parse_squeue(CAPTURED);
        let want = vec![
            ("1", SlurmState::Failed { exit_code: Some(3) }),
            ("2", SlurmState::Failed { exit_code: Some(-15) }),
            ("3", SlurmState::Cancelled),
            ("4", SlurmState::Running { node: "vm".into() }),
            ("5", SlurmState::Timeout),
            (
                "6",
                SlurmState::Pending {
                    reason: "PartitionDown".into(),
                },
            ),
            (
                "7",
                SlurmState::Pending {
                    reason: "Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions".into(),
                },
            ),
            ("9", SlurmState::Completed),
        ];
        let want: Vec<(String, SlurmState)> = want.into_iter().map(|(j, s)| (j.to_string(), s)).collect();
        assert_eq!(got, want);
        // A reason with the separator in it stays whole.
        assert_eq!(
            parse_squeue("10|PENDING||0|a|b"),
            vec![("10".into(), SlurmState::Pending { reason: "a|b".into() })]
        );
    }

    #[test]
    fn garbage_is_skipped_never_a_panic() {
        for junk in [
            "",
            "\n\n",
            "|||",
            "||||",
            "x",
            "1",
            "1|",
            "1|RUNNING",
            "squeue: error: Invalid user: x",
            "a b|RUNNING|n|0|",
            "\u{0}|\u{fffd}|\u{202e}|99999999999999999999999|",
        ] {
            for (job, _) in parse_squeue(junk) {
                assert!(!job.is_empty());
            }
        }
        let huge = format!("{}|RUNNING|{}|0|", "1".repeat(100), "n".repeat(1_000_000));
        assert!(parse_squeue(&huge).is_empty(), "a job id that long is not one");
        let long_node = format!("1|RUNNING|{}|0|", "n".repeat(1_000_000));
        let got = parse_squeue(&long_node);
        assert!(matches!(&got[0].1, SlurmState::Running { node } if node.len() == 200));
    }

    #[test]
    fn srun_lines_as_slurm_wrote_them() {
        assert_eq!(
            parse_srun_line("srun: job 6 queued and waiting for resources"),
            Some(SrunSaid::Queued("6".into()))
        );
        assert_eq!(parse_srun_line("srun: job 6 has been allocated resources"), None);
        assert_eq!(
            parse_srun_line(
                "slurmstepd-vm: error: *** STEP 5.0 ON vm CANCELLED AT 2026-11-26T22:41:48 DUE TO TIME LIMIT ***"
            ),
            Some(SrunSaid::Ended(SlurmState::Timeout))
        );
        assert_eq!(
            parse_srun_line("slurmstepd-vm: error: *** STEP 3.0 ON vm CANCELLED AT 2026-11-26T22:40:03 ***"),
            Some(SrunSaid::Ended(SlurmState::Cancelled))
        );
        assert_eq!(
            parse_srun_line("slurmstepd: error: *** JOB 12 ON n3 CANCELLED AT 2026-11-26T22:40:03 DUE TO NODE FAILURE, SEE SLURMCTLD LOG ***"),
            Some(SrunSaid::Ended(SlurmState::NodeFail))
        );
        assert_eq!(
            parse_srun_line("srun: error: Node failure on n3"),
            Some(SrunSaid::Ended(SlurmState::NodeFail))
        );
        for other in [
            "srun: Job step aborted: Waiting up to 4 seconds for job step to finish.",
            "srun: error: vm: task 0: Exited with exit code 3",
            "srun: Partition in DOWN state",
            "srun: job ",
            "srun: job x queued and waiting for resources",
            "my program says *** STEP 1 CANCELLED AT now ***",
            "slurmstepd: ***",
            "",
        ] {
            assert_eq!(parse_srun_line(other), None, "{other}");
        }
    }
}
