//! Stopping a process's whole tree, escalating to SIGKILL, and finding
//! what a stop left behind (see `tree` for how descendants are found).

use super::child::signal_group;
use super::command::StopHow;
use super::lifecycle::{Action, Input};
use super::supervisor::*;
use crate::event::{Event, EventKind};
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

impl Supervisor {
    /// Stops the process at `key` (or sends it one signal: `StopHow::Signal`
    /// is not a stop). `by_user` marks it so that its restart policy does
    /// not start it again and its end is `stopped`, not a failure.
    pub(super) fn stop(&mut self, key: usize, how: StopHow, by_user: bool, why: &str) {
        if self.proc(key).is_some_and(|p| !p.alive()) && self.cancel_host_wait(key) {
            return;
        }
        if self.fd_wait.is_waiting(key) && self.proc(key).is_some_and(|p| !p.alive()) {
            // It never started: stopping it cancels the start.
            self.fd_wait.forget_task(key);
            let name = self.proc(key).map(|p| p.name.clone()).unwrap_or_default();
            return self.process_error(
                &name,
                format!("`{name}` was waiting for file descriptors to start; it will not start"),
            );
        }
        let kill = match how {
            StopHow::Terminate => false,
            StopHow::Kill => true,
            StopHow::Signal(_) => return self.signal_stop(key, how, false, why),
        };
        for a in self.step(key, Input::Stop { kill, by_user }) {
            match a {
                Action::Signal { kill, resume } => {
                    let how = if kill { StopHow::Kill } else { StopHow::Terminate };
                    self.signal_stop(key, how, resume, why);
                }
                Action::RestartCancelled => {
                    let Some(name) = self.proc(key).map(|p| p.name.clone()) else {
                        continue;
                    };
                    self.emit(
                        Event::now(EventKind::Restarting {
                            attempt: 0,
                            message: "restart cancelled: stopped by the user".into(),
                        })
                        .process(&name, None),
                    );
                }
                _ => {}
            }
        }
    }

    /// Sends `how`'s signal to the tree of `key` (then SIGCONT if `resume`)
    /// and, for a terminate, schedules SIGKILL after the stop timeout.
    pub(super) fn signal_stop(&mut self, key: usize, how: StopHow, resume: bool, why: &str) {
        /// How much longer than its host a remote task's local `ssh` waits.
        const REMOTE_KILL_GRACE: std::time::Duration = std::time::Duration::from_secs(3);
        let Some(p) = self.proc(key) else { return };
        let Some(pgid) = p.pgid else { return };
        if how == StopHow::Terminate && p.kill_at.is_some() {
            // Already being terminated; SIGKILL is scheduled.
            return;
        }
        let leader = p.live.as_ref().map(|l| l.pid);
        let name = p.name.clone();
        let (sig, message) = match how {
            StopHow::Terminate => {
                let t = p.stop.timeout.as_secs_f64();
                (p.stop.signal, format!("{why}SIGKILL in {t:.1}s if still running"))
            }
            StopHow::Kill => (Signal::SIGKILL, why.trim_end_matches("; ").to_string()),
            StopHow::Signal(s) => (s, why.trim_end_matches("; ").to_string()),
        };
        // A task on an SSH host is asked to stop through its connection:
        // its input closes, and the host's wrapper sends the stop signal
        // (then SIGKILL after the stop timeout) while the connection stays
        // up, so that its end and exit code come back as they happen. Its
        // local `ssh` gets only the SIGKILL, if it comes to that.
        // Kill sends SIGKILL on the host the same way (and closes the
        // input too, should that signal not arrive): the end is reported
        // when it comes back. Other signals go to the host's processes
        // (see `task_remote_signal`).
        // A pool worker on an SSH host is stopped the same way (see
        // `pool_remote_stop`).
        // So is a running Slurm step's Terminate (not its Kill: `srun` and
        // `scancel` end it).
        let slurm_stop = how == StopHow::Terminate && self.running_slurm_step(key);
        // Its Kill goes through Slurm (see `pool_slurm_kill`).
        let slurm_kill = how == StopHow::Kill && self.slurm_kill_due(key).is_some();
        let remote =
            self.task_hosts.runs_remotely(key) || self.ssh_worker(key).is_some() || slurm_stop || slurm_kill;
        if remote && leader.is_none() {
            // Its local `ssh` (or `srun`) ended: its host's end came back
            // (or was lost); nothing of it is left to signal there.
            return;
        }
        let remote_stop = how == StopHow::Terminate && remote;
        let remote_kill = how == StopHow::Kill && remote && self.remote_kill_due(key);
        let (reached, error) = if slurm_kill {
            self.kill_slurm_step(key);
            (1, None)
        } else if remote_stop {
            if !self.stop_ssh_worker(key, sig) {
                self.close_remote_input(key);
            }
            (1, None)
        } else if remote_kill {
            self.close_remote_input(key);
            self.signal_remote(key, Signal::SIGKILL);
            // A paused local `ssh` could not bring the end back.
            self.signal_tree(&name, leader, pgid, Signal::SIGCONT);
            (1, None)
        } else if let (StopHow::Signal(s), true) = (how, self.signals_remotely(key)) {
            let sent = self.signal_remote(key, s);
            if super::task_remote_signal::job_control(s) {
                let local = if s == Signal::SIGCONT { s } else { Signal::SIGSTOP };
                self.signal_tree(&name, leader, pgid, local);
            }
            (usize::from(sent), None)
        } else {
            if how == StopHow::Kill && remote {
                self.note_local_ssh_killed(key);
            }
            self.signal_tree(&name, leader, pgid, sig)
        };
        if reached == 0 {
            if let Some(err) = error {
                self.error(format!("cannot send {} to `{name}`: {err}", sig.as_str()));
            }
            return;
        }
        // A paused tree cannot act on its stop signal: continue it (as
        // systemd does), so that the stop timeout runs against a process
        // that can exit by itself.
        let resumed = resume && sig != Signal::SIGKILL;
        if resumed {
            self.signal_tree(&name, leader, pgid, Signal::SIGCONT);
            if remote {
                self.signal_remote(key, Signal::SIGCONT);
            }
        }
        // A persistent SSH worker's (or Slurm step's) wrapper waits out its
        // grace: the SIGKILL goes to its host at the stop timeout itself.
        let host_kills_at_timeout = how == StopHow::Terminate
            && (self.ssh_worker(key).is_some_and(|w| w.persistent)
                || self.slurm_step_mode(key) == Some(crate::session::PoolMode::Persistent));
        let p = self.procs.get_mut(key).expect("checked above");
        let pid = p.pid();
        let run_id = p.run_id;
        let stop_timeout = p.stop.timeout;
        if (how == StopHow::Terminate || remote_kill || slurm_kill) && p.kill_at.is_none() {
            // A remote task's host kills it after the stop timeout itself;
            // its local `ssh` is killed only if nothing came back a little
            // after that.
            let d = if remote && !host_kills_at_timeout {
                stop_timeout.get().saturating_add(REMOTE_KILL_GRACE)
            } else {
                stop_timeout.get()
            };
            // At most a year ahead (a `Seconds`): the sum cannot overflow.
            let now = Instant::now();
            p.kill_at = Some(now.checked_add(d).unwrap_or(now));
            self.add_timer(key, run_id, TimerWhat::Kill, d);
        }
        let pool = self.pool_of_key(key);
        let kill_in =
            (how == StopHow::Terminate && sig != Signal::SIGKILL).then_some(stop_timeout.as_secs_f64());
        let mut extra = if reached > 1 {
            format!(" ({reached} processes)")
        } else {
            String::new()
        };
        if resumed {
            extra.push_str("; SIGCONT sent as it was paused");
        }
        let sep = if message.is_empty() && extra.is_empty() {
            ""
        } else {
            " "
        };
        if slurm_kill {
            let t = stop_timeout.get().saturating_add(REMOTE_KILL_GRACE).as_secs_f64();
            extra.push_str(&format!(
                "{sep}through Slurm (scancel --signal=KILL); its srun is killed in {t:.1}s if the step has not ended"
            ));
        } else if remote_kill {
            let t = stop_timeout.get().saturating_add(REMOTE_KILL_GRACE).as_secs_f64();
            extra.push_str(&format!(
                "{sep}on its host; its local ssh is killed in {t:.1}s if the host's end has not come back"
            ));
        } else if matches!(how, StopHow::Signal(_)) && self.signals_remotely(key) {
            extra.push_str(&format!("{sep}on its host"));
        }
        let mut e = Event::now(EventKind::SignalSent {
            signal: sig.as_str().to_string(),
            message: format!("{message}{extra}").trim_start().to_string(),
            kill_in,
        })
        .process(&name, pid);
        e.pool = pool;
        self.emit(e);
    }

    /// Sends `sig` to the whole tree of process `name`: its group (while the
    /// leader is unreaped the group id cannot be reused, so `killpg` is
    /// safe), every process tagged with its name in any group or session,
    /// and the leader's descendants by parent link. Returns how many
    /// processes (or groups) it reached, and the last error.
    pub(super) fn signal_tree(
        &mut self,
        name: &str,
        leader: Option<i32>,
        pgid: i32,
        sig: Signal,
    ) -> (usize, Option<nix::Error>) {
        if matches!(
            sig,
            Signal::SIGSTOP | Signal::SIGTSTP | Signal::SIGTTIN | Signal::SIGTTOU | Signal::SIGCONT
        ) {
            if let Some(key) = self.procs.key(name) {
                self.job_signalled.insert(key, Instant::now());
            }
        }
        let mut reached = 0;
        let mut error = None;
        if leader.is_some() {
            match signal_group(pgid, sig) {
                Ok(()) => reached += 1,
                Err(nix::errno::Errno::ESRCH) => {}
                Err(e) => error = Some(e),
            }
        }
        if let Some(path) = self.run_cgroup_of(name) {
            // Its cgroup holds its whole tree: no look at /proc needed.
            let (n, e) = self.signal_cgroup(&path, leader, pgid, sig);
            return (reached + n, e.or(error));
        }
        let session = self.session.clone();
        let snap = self.snapshot();
        let mut targets: Vec<(i32, Option<i32>)> = snap
            .tagged_as(name)
            .filter(|p| leader.is_none() || p.pgrp != pgid)
            .map(|p| (p.pid, None))
            .collect();
        if let Some(l) = leader {
            for d in snap.descendants(l) {
                if d.pgrp != pgid && !targets.iter().any(|t| t.0 == d.pid) {
                    targets.push((d.pid, Some(d.ppid)));
                }
            }
        }
        for (pid, parent) in targets {
            let ok = super::tree::signal_checked(pid, sig, |p| match parent {
                None => super::tree::tag_of(p, &session).as_deref() == Some(name),
                Some(pp) => std::fs::read_to_string(format!("/proc/{p}/stat"))
                    .ok()
                    .and_then(|s| super::tree::parse_stat(&s))
                    .is_some_and(|(_, _, ppid, _, _)| ppid == pp),
            });
            if ok {
                reached += 1;
            }
        }
        (reached, error)
    }

    /// `signal_tree` for a process whose run has a cgroup: SIGKILL through
    /// `cgroup.kill`, any other signal to each member outside the group.
    fn signal_cgroup(
        &mut self,
        path: &std::path::Path,
        leader: Option<i32>,
        pgid: i32,
        sig: Signal,
    ) -> (usize, Option<nix::Error>) {
        let members = super::cgroup::pids(path);
        if sig == Signal::SIGKILL {
            return match super::cgroup::kill(path) {
                Ok(()) => (members.len(), None),
                Err(e) => (
                    0,
                    Some(nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0))),
                ),
            };
        }
        let mut reached = 0;
        for pid in members {
            if Some(pid) == leader {
                continue;
            }
            let in_group = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| super::tree::parse_stat(&s))
                .is_some_and(|(_, _, _, pgrp, _)| pgrp == pgid && leader.is_some());
            if in_group {
                continue;
            }
            if super::tree::signal_checked(pid, sig, |p| self.in_cgroup(p, path)) {
                reached += 1;
            }
        }
        (reached, None)
    }

    /// After a stop: anything of the tree still running is a leftover.
    /// Uses the batch's snapshot (see `tracking::run_audits`).
    pub(super) fn audit_one(&mut self, key: usize) {
        let Some(p) = self.proc(key) else { return };
        if p.alive() {
            return;
        }
        let name = p.name.clone();
        let tracker = &self.tracker;
        let snap = tracker.current();
        let mut left: Vec<(i32, String)> = snap
            .tagged_as(&name)
            .map(|p| {
                (
                    p.pid,
                    format!(
                        "pid {} ({}) of `{name}` is still running after it was stopped",
                        p.pid, p.comm
                    ),
                )
            })
            .collect();
        // Orphans are the same for every audit of a batch: looked at once.
        let mut orphans: Vec<(i32, String)> = if tracker.orphans_audited {
            Vec::new()
        } else {
            snap.adopted_orphans()
                .filter(|p| tracker.orphan_is_ours(p))
                .map(|p| (p.pid, p.comm.clone()))
                .collect()
        };
        self.tracker.orphans_audited = true;
        orphans.retain(|o| !self.tracker.reported_orphans.contains(&o.0));
        // An orphan cannot be told to belong to one task: report it once.
        self.tracker.reported_orphans.extend(orphans.iter().map(|o| o.0));
        left.extend(orphans.into_iter().map(|(pid, comm)| {
            (
                pid,
                format!(
                    "pid {pid} ({comm}) left its session and cleared its environment; it was re-parented to Proctor and is still running after `{name}` was stopped"
                ),
            )
        }));
        if let Some(path) = self.run_cgroup_of(&name) {
            for pid in super::cgroup::pids(&path) {
                if !left.iter().any(|l| l.0 == pid) {
                    left.push((
                        pid,
                        format!("pid {pid} of `{name}` is still running in its cgroup after it was stopped"),
                    ));
                }
            }
        }
        for (pid, message) in left {
            self.emit(Event::now(EventKind::Leftover { message }).process(&name, Some(pid as u32)));
        }
    }

    /// Kills every process of this session whose named process has ended
    /// (and orphans that escaped their tag): the leftovers. Returns the pids.
    pub(super) fn kill_leftovers(&mut self, why: &str) -> Vec<i32> {
        let live: std::collections::HashSet<String> = self
            .procs
            .all()
            .filter(|p| p.alive())
            .map(|p| p.name.clone())
            .collect();
        let session = self.session.clone();
        let me = std::process::id() as i32;
        self.fresh_snapshot();
        let tracker = &self.tracker;
        let snap = tracker.current();
        let mut left: Vec<(i32, String, String, bool)> = snap
            .tagged()
            .filter(|p| !live.contains(p.tagged.as_deref().unwrap_or("")))
            .map(|p| (p.pid, p.tagged.clone().unwrap_or_default(), p.comm.clone(), false))
            .collect();
        left.extend(
            snap.adopted_orphans()
                .filter(|p| tracker.orphan_is_ours(p))
                .map(|p| (p.pid, String::new(), p.comm.clone(), true)),
        );
        let mut killed = Vec::new();
        // Ended runs' cgroups still holding processes: one write each.
        for (name, path) in self.ended_cgroups() {
            let pids = super::cgroup::pids(&path);
            if super::cgroup::kill(&path).is_err() {
                continue;
            }
            for pid in pids {
                killed.push(pid);
                let mut e = Event::now(EventKind::SignalSent {
                    signal: "SIGKILL".into(),
                    message: format!("{why}leftover pid {pid} (in the cgroup of an ended run)"),
                    kill_in: None,
                });
                e.process = (!name.is_empty()).then(|| name.clone());
                e.pid = Some(pid as u32);
                self.emit(e);
            }
        }
        left.retain(|l| !killed.contains(&l.0));
        for (pid, name, comm, orphan) in left {
            let still_ours = |p: i32| {
                if orphan {
                    std::fs::read_to_string(format!("/proc/{p}/stat"))
                        .ok()
                        .and_then(|s| super::tree::parse_stat(&s))
                        .is_some_and(|(_, _, ppid, _, _)| ppid == me)
                } else {
                    super::tree::tag_of(p, &session).is_some()
                }
            };
            if super::tree::signal_checked(pid, Signal::SIGKILL, still_ours) {
                killed.push(pid);
                let mut e = Event::now(EventKind::SignalSent {
                    signal: "SIGKILL".into(),
                    message: format!("{why}leftover pid {pid} ({comm})"),
                    kill_in: None,
                });
                // An orphan's task is not known: no process name.
                e.process = (!name.is_empty()).then_some(name);
                e.pid = Some(pid as u32);
                self.emit(e);
            }
        }
        killed
    }

    /// At the end of the session nothing it started may be left running.
    pub(super) fn final_sweep(&mut self) {
        for _ in 0..3 {
            let mut killed = self.kill_leftovers("session end: ");
            if killed.is_empty() {
                break;
            }
            // Reap the ones that were re-parented to us (only those: other
            // children of this process are not ours to reap).
            let deadline = Instant::now() + Duration::from_millis(500);
            while !killed.is_empty() && Instant::now() < deadline {
                killed.retain(|&pid| {
                    // SAFETY: reaping one known pid without blocking.
                    let r = unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
                    r == 0
                });
                std::thread::sleep(Duration::from_millis(5));
            }
            self.remove_empty_cgroups();
        }
        self.end_cgroups();
    }

    pub(super) fn escalate(&mut self, key: usize) {
        let Some(p) = self.procs.get_mut(key) else { return };
        if p.kill_at.take().is_none() {
            return;
        }
        let t = p.stop.timeout.as_secs_f64();
        let run_id = p.run_id;
        // A remote task whose end did not come back: its local `ssh` goes.
        self.mark_remote_kill_sent(key);
        let why = if self.kills_local_ssh(key) {
            format!("no end came back from its host within {t:.1}s of the stop signal and 3 s more; the local ssh is killed (the remote command's end is unknown); ")
        } else {
            format!("still running {t:.1}s after the stop signal; ")
        };
        self.stop(key, StopHow::Kill, false, &why);
        self.add_timer(key, run_id, TimerWhat::Audit, Duration::from_millis(300));
    }

    pub(super) fn on_timeout(&mut self, key: usize) {
        let Some(p) = self.proc(key) else { return };
        if !p.alive() {
            return;
        }
        let why = match &p.origin {
            Origin::Task(spec) => format!("timeout after {:.1}s; ", secs(spec.timeout)),
            Origin::Worker { pool, .. } => {
                let t = self.pools.get(*pool).map(|p| secs(p.spec.timeout)).unwrap_or(0.0);
                format!("input timeout after {t:.1}s; ")
            }
        };
        self.stop(key, StopHow::Terminate, false, &why);
    }
}

/// A time limit in seconds for a message; 0 for none.
fn secs(t: Option<crate::session::Seconds>) -> f64 {
    t.map_or(0.0, |t| t.as_secs_f64())
}
