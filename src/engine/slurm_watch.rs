//! The state of Slurm work as Slurm says it.
//!
//! A thread of its own (the watcher) runs `squeue` for the session's jobs
//! (by their job name) about once a second while any is in flight, and
//! hands the parsed answer to the supervisor through a channel, waking its
//! loop; it never runs on the supervisor's thread. The supervisor owns the
//! states: per worker slot, the state of its current job, and a
//! `slurm_state` event when it changes. Besides `squeue`, `srun`'s own
//! stderr says when a job is queued (its id before it runs), and, when a
//! step ends, whether it was cancelled, ran out of time or lost its node
//! (see `remote::squeue`): that is read in order with the step's end, so
//! an input's outcome never waits for a poll. `sacct` is not used: a
//! cluster without accounting has none, and the end of a step is known
//! from `srun` and the wrapper's exit code before `sacct` could say it.

use super::reactor::Waker;
use super::remote::squeue::{self, SrunSaid};
use super::remote::SlotReport;
use super::supervisor::Supervisor;
use crate::event::slurm::SlurmState;
use crate::event::EventKind;
use crossbeam_channel::{Receiver, Sender};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often `squeue` is asked while Slurm work is in flight.
const POLL_EVERY: Duration = Duration::from_secs(1);
/// An `squeue` that takes longer is killed (one with a bad configuration
/// retries for a minute).
const SQUEUE_LIMIT: Duration = Duration::from_secs(15);

type Answer = Result<Vec<(String, SlurmState)>, String>;

/// The watcher thread's handle: dropping it ends the thread (and its
/// `squeue`, if one runs).
pub(super) struct SlurmWatch {
    answers: Receiver<Answer>,
    active: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// `squeue` failed once already (said once, not every second).
    failed_said: bool,
}

impl SlurmWatch {
    pub fn start(job_name: String, waker: Arc<Waker>) -> Option<Self> {
        let (tx, answers) = crossbeam_channel::bounded(4);
        let active = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (active.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("proctor-squeue".into())
            .spawn(move || watch(&job_name, &tx, &waker, &a, &s))
            .ok()?;
        Some(Self {
            answers,
            active,
            stop,
            thread: Some(thread),
            failed_said: false,
        })
    }
}

impl Drop for SlurmWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sleeps `d` in short steps; false when told to stop.
fn nap(d: Duration, stop: &AtomicBool) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    !stop.load(Ordering::Relaxed)
}

fn watch(name: &str, tx: &Sender<Answer>, waker: &Waker, active: &AtomicBool, stop: &AtomicBool) {
    let args = squeue::squeue_args(name);
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        if !active.load(Ordering::Relaxed) {
            if !nap(Duration::from_millis(200), stop) {
                return;
            }
            continue;
        }
        let answer = run_squeue(&args, stop);
        if stop.load(Ordering::Relaxed) {
            return;
        }
        if tx.try_send(answer).is_ok() {
            waker.wake();
        }
        if !nap(POLL_EVERY, stop) {
            return;
        }
    }
}

/// One `squeue`, killed when told to stop or past its limit.
fn run_squeue(args: &[String], stop: &AtomicBool) -> Answer {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let mut child = Command::new("squeue")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("squeue cannot run: {e}"))?;
    let (otx, orx) = crossbeam_channel::bounded(1);
    let mut out = child.stdout.take();
    let mut err = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut o = Vec::new();
        let mut e = Vec::new();
        if let Some(s) = out.as_mut() {
            let _ = s.take(64 << 20).read_to_end(&mut o);
        }
        if let Some(s) = err.as_mut() {
            let _ = s.take(64 << 10).read_to_end(&mut e);
        }
        let _ = otx.send((o, e));
    });
    let deadline = Instant::now() + SQUEUE_LIMIT;
    let got = loop {
        match orx.recv_timeout(Duration::from_millis(50)) {
            Ok(v) => break Some(v),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break None,
            Err(_) if stop.load(Ordering::Relaxed) || Instant::now() >= deadline => break None,
            Err(_) => {}
        }
    };
    if got.is_none() {
        let _ = child.kill();
    }
    let status = child.wait();
    let _ = reader.join();
    let Some((o, e)) = got else {
        return Err("squeue did not answer within 15 s".into());
    };
    match status {
        Ok(s) if s.success() => Ok(squeue::parse_squeue(&String::from_utf8_lossy(&o))),
        _ => {
            let e = String::from_utf8_lossy(&e);
            let last = e.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("failed");
            Err(format!("squeue: {}", last.chars().take(300).collect::<String>()))
        }
    }
}

/// The final state of a step that ended, from what was seen: `srun`'s
/// last words, the wrapper's exit code, the last state `squeue` gave,
/// and whether Proctor stopped it. `None`: nothing tells.
pub fn final_state(report: &SlotReport, stopped: bool) -> Option<SlurmState> {
    if let Some(s) = &report.ended {
        return Some(s.clone());
    }
    let by_code = match report.exit {
        Some(0) => Some(SlurmState::Completed),
        // Stopped by Proctor: cancelled, whatever the signal did.
        Some(c) if !stopped => Some(SlurmState::Failed { exit_code: Some(c) }),
        _ => None,
    };
    by_code
        .or_else(|| report.slurm.clone().filter(SlurmState::is_final))
        .or(stopped.then_some(SlurmState::Cancelled))
}

/// Why an input whose step Proctor stopped (its `timeout`) before Slurm
/// ran it failed: with Slurm's last reason for the wait, if one was seen.
pub fn pending_timeout(last: Option<&SlurmState>) -> String {
    match last {
        Some(SlurmState::Pending { reason }) if !reason.is_empty() => {
            format!("timed out while pending in Slurm (reason {reason}); it never ran")
        }
        _ => "timed out while pending in Slurm; it never ran".to_string(),
    }
}

/// Why an input whose step ended in `state` failed, when the state says
/// it (out of time, node failure, cancelled by someone else).
pub fn failure_of(state: &SlurmState, node: Option<&str>) -> Option<String> {
    let on = node.map(|n| format!(" on {n}")).unwrap_or_default();
    Some(match state {
        SlurmState::Timeout => format!("the Slurm step{on} ran past its time limit (Slurm: timeout)"),
        SlurmState::NodeFail => format!("the Slurm step's node{on} failed (Slurm: node failure)"),
        SlurmState::Cancelled => {
            format!("the Slurm step{on} was cancelled from outside Proctor (Slurm: cancelled)")
        }
        SlurmState::Preempted => format!("the Slurm step{on} was preempted (Slurm: preempted)"),
        SlurmState::OutOfMemory => format!("the Slurm step{on} ran out of memory (Slurm: out of memory)"),
        _ => return None,
    })
}

impl Supervisor {
    /// A Slurm pool started: the watcher runs (one for the session).
    pub(super) fn slurm_watch_start(&mut self) {
        if self.slurm_watch.is_none() {
            let name = super::remote::argv::slurm_job_name(&self.session);
            self.slurm_watch = SlurmWatch::start(name, self.waker.clone());
        }
    }

    /// Each turn of the loop: tells the watcher whether to ask, and takes
    /// its answers.
    pub(super) fn slurm_tick(&mut self) {
        let Some(w) = self.slurm_watch.as_mut() else {
            return;
        };
        let answers: Vec<Answer> = w.answers.try_iter().collect();
        let in_flight = !self
            .pools
            .keys_where(|p| {
                p.remote.as_ref().is_some_and(|r| r.is_slurm())
                    && p.workers.iter().any(|w| w.report.job.is_some())
            })
            .is_empty();
        if let Some(w) = self.slurm_watch.as_mut() {
            w.active.store(in_flight, Ordering::Relaxed);
        }
        for a in answers {
            match a {
                Ok(jobs) => {
                    for (job, state) in jobs {
                        self.slurm_polled(&job, state);
                    }
                }
                Err(e) => {
                    let said = self
                        .slurm_watch
                        .as_mut()
                        .map(|w| std::mem::replace(&mut w.failed_said, true));
                    if said == Some(false) {
                        self.error(format!("{e}; Slurm states come from srun alone"));
                    }
                }
            }
        }
    }

    /// `squeue` said `job` is in `state`: the worker running it hears.
    fn slurm_polled(&mut self, job: &str, state: SlurmState) {
        let pools = self
            .pools
            .keys_where(|p| p.remote.as_ref().is_some_and(|r| r.jobs.contains(job)));
        for pool in pools {
            let Some(run) = self.pools.get(pool) else { continue };
            let Some(w) = run
                .workers
                .iter()
                .position(|w| w.report.job.as_deref() == Some(job))
            else {
                continue;
            };
            let report = &run.workers[w].report;
            // What srun said of the end stands; a node seen stays; a job
            // seen running is not pending again (an answer older than the
            // wrapper's start; a requeue is missed).
            if report.ended.is_some()
                || matches!(
                    (&report.slurm, &state),
                    (
                        Some(SlurmState::Running { .. }),
                        SlurmState::Running { .. } | SlurmState::Pending { .. }
                    )
                )
            {
                continue;
            }
            self.slurm_state_seen(pool, w, state.clone());
        }
    }

    /// The worker's job is in `state`: a `slurm_state` event if that is
    /// news.
    pub(super) fn slurm_state_seen(&mut self, pool: usize, w: usize, state: SlurmState) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        let Some(worker) = run.workers.get_mut(w) else {
            return;
        };
        let report = &mut worker.report;
        if report.slurm.as_ref() == Some(&state) {
            return;
        }
        let Some(job) = report.job.clone() else { return };
        report.slurm = Some(state.clone());
        let input = worker.in_flight.front().map(|&(i, _)| i);
        let key = worker.key;
        let (name, pid) = key
            .and_then(|k| self.procs.get(k))
            .map(|p| (p.name.clone(), p.pid()))
            .unwrap_or_else(|| (run.spec.worker_name(w + 1), None));
        let e = self
            .pool_event(pool, EventKind::SlurmState { job, state }, input)
            .process(&name, pid);
        let spec = self.pools.get(pool).map(|r| r.spec.name.clone());
        self.emit(crate::event::Event { pool: spec, ..e });
    }

    /// A line of a Slurm worker's stderr that `srun` wrote about its job:
    /// remembered (the job's id, how the step ended).
    pub(super) fn slurm_srun_line(&mut self, pool: usize, w: usize, text: &str) {
        let Some(said) = squeue::parse_srun_line(text) else {
            return;
        };
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        let Some(worker) = run.workers.get_mut(w) else {
            return;
        };
        match said {
            SrunSaid::Queued(job) => {
                if let Some(r) = run.remote.as_mut() {
                    r.jobs.insert(job.clone());
                }
                worker.report.job = Some(job);
                self.slurm_state_seen(
                    pool,
                    w,
                    SlurmState::Pending {
                        reason: String::new(),
                    },
                );
            }
            SrunSaid::Ended(state) => worker.report.ended = Some(state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_state_takes_slurms_word_first() {
        let mut r = SlotReport::default();
        assert_eq!(final_state(&r, false), None);
        assert_eq!(final_state(&r, true), Some(SlurmState::Cancelled));
        r.slurm = Some(SlurmState::Running { node: "n".into() });
        assert_eq!(final_state(&r, false), None, "running is no end");
        r.exit = Some(3);
        assert_eq!(
            final_state(&r, false),
            Some(SlurmState::Failed { exit_code: Some(3) })
        );
        r.exit = Some(-15);
        assert_eq!(final_state(&r, true), Some(SlurmState::Cancelled), "Terminate");
        r.exit = Some(0);
        assert_eq!(final_state(&r, true), Some(SlurmState::Completed));
        r.ended = Some(SlurmState::Timeout);
        assert_eq!(final_state(&r, false), Some(SlurmState::Timeout));
        let r = SlotReport {
            slurm: Some(SlurmState::NodeFail),
            ..Default::default()
        };
        assert_eq!(final_state(&r, false), Some(SlurmState::NodeFail));
    }

    #[test]
    fn a_timeout_while_pending_says_the_reason() {
        let p = SlurmState::Pending {
            reason: "PartitionDown".into(),
        };
        assert_eq!(
            pending_timeout(Some(&p)),
            "timed out while pending in Slurm (reason PartitionDown); it never ran"
        );
        assert_eq!(
            pending_timeout(None),
            "timed out while pending in Slurm; it never ran"
        );
    }

    #[test]
    fn failures_say_what_slurm_said() {
        assert!(failure_of(&SlurmState::Timeout, Some("n1"))
            .unwrap()
            .contains("time limit"));
        assert!(failure_of(&SlurmState::NodeFail, None)
            .unwrap()
            .contains("node failure"));
        assert!(failure_of(&SlurmState::Cancelled, None)
            .unwrap()
            .contains("cancelled"));
        assert_eq!(failure_of(&SlurmState::Completed, None), None);
        assert_eq!(failure_of(&SlurmState::Failed { exit_code: Some(1) }, None), None);
    }
}
