//! The supervisor's side of remote pools (see `remote`): setting up and
//! ending a pool's hosts, the argument vector of a remote worker, the
//! wrapper's reports on stderr, and hosts that refuse or drop out.

use super::lines::Line;
use super::remote::{argv, Change, RemoteRun};
use super::supervisor::{Origin, Supervisor};
use crate::event::{Event, EventKind};
use crate::session::Placement;
use std::ops::Not;

/// Seconds a persistent remote worker has to exit after its stdin ends
/// (as a retired local one, see `on_retire_timer`).
const REMOTE_GRACE_SECS: u64 = 10;

/// How a worker's process ended, as far as its input is concerned.
pub(super) struct RemoteEnd {
    /// The command's exit code (the remote one when it came back).
    pub code: i32,
    /// Why the input failed when its code does not say it (a host lost,
    /// a Slurm step out of time, ...).
    pub lost: Option<String>,
    /// A remote worker whose exit code never came back: its local
    /// `ssh`/`srun` code says nothing of the command (a stopped one is
    /// cancelled, never done).
    pub no_code: bool,
    /// A Slurm step stopped (by Proctor or the user) while it was still
    /// pending: it never ran, so its time counts as no busy time (and one
    /// the user stopped was cancelled before it started).
    pub never_ran: bool,
}

impl Supervisor {
    /// At a pool's start: its hosts start connecting.
    pub(super) fn remote_start(&mut self, pool: usize) {
        let Some(run) = self.pools.get(pool) else { return };
        match RemoteRun::start(&run.spec, &self.session) {
            Ok(remote) => {
                if remote.as_ref().is_some_and(RemoteRun::is_slurm) {
                    if let Some(w) = self.watchdog.as_mut() {
                        w.note_slurm();
                    }
                    self.slurm_watch_start();
                }
                if let Some(run) = self.pools.get_mut(pool) {
                    run.remote = remote;
                }
            }
            Err(e) => {
                let e2 = self.pool_event(pool, EventKind::Error { message: e.clone() }, None);
                self.emit(e2);
                self.fail_all_queued(pool, &e);
            }
        }
    }

    /// Whether any pool's host is still connecting (the loop then looks
    /// again within 50 ms).
    pub(super) fn remotes_connecting(&self) -> bool {
        self.pools
            .keys_where(|p| p.remote.as_ref().is_some_and(|r| r.hosts.any_connecting()))
            .is_empty()
            .not()
    }

    /// Looks at every pool's masters: hosts up get inputs, hosts down are
    /// reported.
    pub(super) fn poll_remotes(&mut self) {
        let pools: Vec<usize> = self.pools.keys_where(|p| p.remote.is_some());
        for pool in pools {
            let changes = match self.pools.get_mut(pool).and_then(|r| r.remote.as_mut()) {
                Some(r) => r.hosts.poll(),
                None => continue,
            };
            for c in changes {
                match c {
                    Change::Up => self.reschedule = true,
                    Change::Down(h, why) => self.host_down(pool, h, why),
                }
            }
        }
    }

    fn host_down(&mut self, pool: usize, h: usize, message: String) {
        let Some(run) = self.pools.get(pool) else { return };
        let host = run
            .remote
            .as_ref()
            .map(|r| r.hosts.label(h).to_string())
            .unwrap_or_default();
        let message = super::remote::why::shorten(&message);
        let e = self.pool_event(pool, EventKind::HostDown { host, message }, None);
        self.emit(e);
        self.reschedule = true;
        let Some(run) = self.pools.get(pool) else { return };
        let usable = run
            .remote
            .as_ref()
            .is_none_or(|r| r.hosts.any_usable() && r.any_slot_usable());
        if !usable && !run.life.finished() {
            self.fail_all_queued(pool, "every host of the pool is down");
        }
    }

    /// A new worker slot of a pool with hosts: says where it runs.
    pub(super) fn remote_slot_made(&mut self, pool: usize, w: usize, name: &str) {
        let Some(run) = self.pools.get(pool) else { return };
        let Some(r) = run.remote.as_ref().filter(|r| !r.is_slurm()) else {
            return;
        };
        let host = r.slot_label(w);
        let spec = run.spec.name.clone();
        let e = Event::now(EventKind::WorkerHost { host })
            .process(name, None)
            .pool(&spec, None);
        self.emit(e);
    }

    /// The command of worker slot `w` where it runs: `None` for this
    /// machine, else the local `ssh`/`srun` line and whether its stdin is
    /// to be a pipe Proctor holds (always, for a remote worker: its end is
    /// what stops the remote side).
    pub(super) fn remote_argv(
        &self,
        pool: usize,
        w: usize,
        command: &[String],
        what: &str,
    ) -> Option<Vec<String>> {
        let run = self.pools.get(pool)?;
        let r = run.remote.as_ref()?;
        let spec = &run.spec;
        let persistent = spec.mode == crate::session::PoolMode::Persistent;
        let mut env: Vec<(String, String)> = super::pty::child_env(&spec.env, spec.unbuffered)
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        env.push((super::tree::SESSION_VAR.into(), self.session.clone()));
        env.push(("PROCTOR_PROCESS".into(), spec.worker_name(w + 1)));
        let wrap = argv::Wrap {
            marker: &r.marker,
            stop_signal: spec.stop.signal as i32,
            stop_timeout_secs: spec.stop.timeout.get().as_secs_f64().ceil() as u64,
            grace_secs: persistent.then_some(REMOTE_GRACE_SECS),
            env,
            // The run about to start (`run_id` counts successful spawns).
            run: run.workers[w]
                .key
                .and_then(|k| self.procs.get(k))
                .map_or(1, |p| p.run_id.saturating_add(1)),
        };
        match &r.placement {
            Placement::Local => None,
            Placement::Hosts { .. } => {
                let h = r.host_of(w)?;
                if !r.hosts.remote(h) {
                    return None;
                }
                r.hosts.worker_argv(h, &argv::remote_line(&wrap, command))
            }
            Placement::Slurm(s) => {
                let comment = format!("{}:{what}", spec.name);
                Some(argv::srun_argv(
                    s,
                    &self.session,
                    &comment,
                    argv::wrapped_argv(&wrap, command),
                ))
            }
        }
    }

    /// A remote worker's stderr: the wrapper's own lines are taken out
    /// (and remembered), the rest goes on as output.
    pub(super) fn remote_stderr(&mut self, key: usize, lines: Vec<Line>) -> Vec<Line> {
        let Some(Origin::Worker { pool, index }) = self.proc(key).map(|p| p.origin.clone()) else {
            return lines;
        };
        let Some(run) = self.pools.get_mut(pool) else {
            return lines;
        };
        let Some(r) = run.remote.as_mut() else {
            return lines;
        };
        let slurm = r.is_slurm();
        let marker = r.marker.clone();
        let mut out = Vec::with_capacity(lines.len());
        let mut node_seen = None;
        let mut srun_said = Vec::new();
        let mut seen = Vec::new();
        for line in lines {
            let keep = match argv::parse_line(&line.text, &marker) {
                argv::Said::Line => {
                    if slurm {
                        srun_said.push(line.text.clone());
                    } else if !run.workers[index].report.started
                        && super::remote::why::refused_session(&line.text)
                    {
                        run.workers[index].report.refused = true;
                    }
                    // A refused session ran nothing: what follows is ssh's
                    // (its failed fallback), no output of the input's.
                    if !run.workers[index].report.refused {
                        out.push(line);
                    }
                    continue;
                }
                argv::Said::Started { before, host, job } => {
                    if let Some(j) = job {
                        r.jobs.insert(j.to_string());
                        seen.push(j.to_string());
                    }
                    let report = &mut run.workers[index].report;
                    let first = !report.started;
                    report.started = true;
                    report.job = job.map(String::from);
                    if slurm && report.node.as_deref() != Some(host) {
                        report.node = Some(host.to_string());
                        node_seen = Some(host.to_string());
                    }
                    // A step's input runs from now: its wait in Slurm's
                    // queue is no time of the command's (its duration and
                    // the pool's busy time).
                    if slurm && first {
                        // Every input written ahead to a persistent one
                        // waited as well.
                        let now = std::time::Instant::now();
                        for f in run.workers[index].in_flight.iter_mut() {
                            f.1 = now;
                        }
                    }
                    before.to_string()
                }
                argv::Said::Exit { before, code } => {
                    if let Some(j) = &run.workers[index].report.job {
                        r.jobs.remove(j);
                    }
                    run.workers[index].report.exit = Some(code);
                    before.to_string()
                }
            };
            if !keep.is_empty() {
                out.push(Line {
                    text: keep,
                    bytes: None,
                    complete: false,
                });
            }
        }
        let started = slurm.then(|| run.workers[index].report.node.clone()).flatten();
        self.slurm_jobs_seen.extend(seen);
        if let Some(host) = node_seen {
            let spec = run.spec.name.clone();
            let name = self.proc(key).map(|p| p.name.clone()).unwrap_or_default();
            let e = Event::now(EventKind::WorkerHost { host })
                .process(&name, None)
                .pool(&spec, None);
            self.emit(e);
        }
        for text in srun_said {
            self.slurm_srun_line(pool, index, &text);
        }
        if let Some(node) = started {
            let running = crate::event::slurm::SlurmState::Running { node };
            let now = self
                .pools
                .get(pool)
                .and_then(|r| r.workers[index].report.slurm.clone());
            if !matches!(now, Some(crate::event::slurm::SlurmState::Running { .. }))
                && now.as_ref().is_none_or(|s| !s.is_final())
            {
                self.slurm_state_seen(pool, index, running);
            }
        }
        out
    }

    /// How a remote worker's process ended: the remote exit code the
    /// wrapper wrote, or why there is none (the host dropped out, the
    /// Slurm step was cancelled...). A local worker's code is its own.
    ///
    /// `proctor_stop`: Proctor itself stopped the worker (the user, an
    /// input's timeout): the local `ssh` it signalled exits 255, which
    /// says nothing of the host, and the wrapper stops the remote command
    /// when the connection ends; the input ended by that stop signal.
    pub(super) fn remote_outcome(
        &mut self,
        pool: usize,
        w: usize,
        code: i32,
        stopped: bool,
        proctor_stop: bool,
    ) -> RemoteEnd {
        let here = RemoteEnd {
            code,
            lost: None,
            no_code: false,
            never_ran: false,
        };
        let Some(run) = self.pools.get_mut(pool) else {
            return here;
        };
        let report = std::mem::take(&mut run.workers[w].report);
        let Some(r) = run.remote.as_mut() else {
            return here;
        };
        if let Some(j) = &report.job {
            r.jobs.remove(j);
        }
        if r.is_slurm() {
            let signal = run.spec.stop.signal as i32;
            return self.slurm_outcome(pool, w, code, (stopped, proctor_stop, signal), report);
        }
        let host = r.host_of(w);
        if host.is_some_and(|h| !r.hosts.remote(h)) {
            return here;
        }
        if let Some(c) = report.exit {
            return RemoteEnd { code: c, ..here };
        }
        // The connection failed (ssh's 255, not a kill of Proctor's) while
        // Proctor stopped it: the host may be gone, and the command's end
        // is unknown; it is found out below as for any lost connection,
        // so that a dead host is marked down before its input is retried.
        let lost_in_stop = code == 255 && !report.local_killed;
        if (stopped || proctor_stop) && !lost_in_stop {
            let signal = run.spec.stop.signal as i32;
            if report.local_killed {
                let host = host.map(|h| r.hosts.label(h).to_string()).unwrap_or_default();
                let name = run.spec.worker_name(w + 1);
                self.process_error(&name, super::task_remote::end_unknown(&host, code));
            }
            return RemoteEnd {
                code: stopped_code(code, signal),
                lost: None,
                no_code: true,
                never_ran: false,
            };
        }
        let how = crate::event::exit::describe_exit(code);
        let Some(h) = host else { return here };
        if report.refused {
            // One session too many for the host: the host is fine.
            return RemoteEnd {
                code,
                lost: Some(super::remote::why::refused_session_text(r.hosts.label(h))),
                no_code: true,
                never_ran: false,
            };
        }
        // Is the host gone? Its master knows.
        let changes = r.hosts.poll();
        let label = r.hosts.label(h).to_string();
        let mut down = r.hosts.down(h);
        for c in changes {
            if let Change::Down(hh, why) = c {
                self.host_down(pool, hh, why);
            }
        }
        if !down && code == 255 {
            // ssh itself failed (its code 255) while the master lives: the
            // host is not to be trusted either.
            if let Some(r) = self.pools.get_mut(pool).and_then(|r| r.remote.as_mut()) {
                down = r.hosts.mark_down(h, "a worker's connection failed (ssh: 255)");
            }
            if down {
                self.host_down(pool, h, "a worker's connection failed (ssh: 255)".into());
            }
        }
        let why = if down {
            format!("host {label} dropped out (ssh: {how}) during this input")
        } else {
            format!("no exit code came back from {label} (ssh: {how})")
        };
        RemoteEnd {
            code,
            lost: Some(why),
            no_code: true,
            never_ran: false,
        }
    }

    /// The pool ended: its masters end too, and a Slurm job whose end
    /// was not seen is cancelled.
    pub(super) fn remote_close(&mut self, pool: usize) {
        if let Some(r) = self.pools.get_mut(pool).and_then(|r| r.remote.as_mut()) {
            r.hosts.close();
            let jobs: Vec<String> = std::mem::take(&mut r.jobs).into_iter().collect();
            super::scancel::jobs(None, &jobs);
        }
    }

    /// A pool is being stopped: its Slurm steps get the stop signal from
    /// Slurm (Terminate) or are cancelled (Kill), besides the signal their
    /// `srun` gets.
    pub(super) fn remote_stopping(&mut self, pool: usize, kill: bool) {
        let Some(run) = self.pools.get(pool) else { return };
        let Some(r) = run.remote.as_ref().filter(|r| r.is_slurm()) else {
            return;
        };
        // A Terminate reaches a running step (either mode) through its
        // input and, for a persistent worker, its own signal through Slurm
        // (see `pool_remote_stop`): a signal to the whole job as well
        // would be a second (a Python cleanup cut short). A Kill reaches
        // it through Slurm (see `pool_slurm_kill`): a cancel now would send
        // SIGTERM to the step before its SIGKILL, and race it.
        let running: std::collections::BTreeSet<&str> = run
            .workers
            .iter()
            .filter(|w| w.report.node.is_some())
            .filter_map(|w| w.report.job.as_deref())
            .collect();
        let jobs: Vec<String> = r
            .jobs
            .iter()
            .filter(|j| !running.contains(j.as_str()))
            .cloned()
            .collect();
        let sig = run
            .spec
            .stop
            .signal
            .as_str()
            .trim_start_matches("SIG")
            .to_string();
        super::scancel::jobs((!kill).then_some(&sig), &jobs);
    }

    /// The session ends: every Slurm job it may have left is cancelled.
    pub(super) fn cancel_slurm_jobs(&mut self) {
        if !self.watchdog.as_ref().is_some_and(|w| w.slurm_noted()) {
            return;
        }
        let name = argv::slurm_job_name(&self.session);
        if let Some(why) = super::scancel::by_name(&name) {
            // Not confirmed: a retrier outlives the session for a while,
            // and the user is told which jobs and what to run.
            let retrying = super::scancel::retry_detached(&name);
            let ids: Vec<&str> = self.slurm_jobs_seen.iter().map(String::as_str).collect();
            self.error(super::scancel::unconfirmed(&why, &name, &ids, retrying));
        }
    }
}

/// Whether a pool runs on hosts and none of them (or none of its slots)
/// can take work any more: a retry would wait for ever.
pub(super) fn all_down(run: &super::pool::PoolRun) -> bool {
    match run.remote.as_ref() {
        Some(r) if !r.is_slurm() => !r.hosts.any_usable() || !r.any_slot_usable(),
        _ => false,
    }
}

/// The code of a remote input Proctor stopped whose own code did not come
/// back: the local `ssh` exits 255 on the stop signal, which stands for
/// that signal (the wrapper sends it on to the command); one a signal
/// ended (SIGKILL) keeps it.
fn stopped_code(ssh_code: i32, stop_signal: i32) -> i32 {
    if ssh_code == 255 {
        -stop_signal
    } else {
        ssh_code
    }
}

#[cfg(test)]
mod tests {
    use super::stopped_code;

    #[test]
    fn a_stopped_ssh_stands_for_the_stop_signal() {
        assert_eq!(stopped_code(255, 15), -15);
        assert_eq!(stopped_code(255, 2), -2);
        assert_eq!(stopped_code(-9, 15), -9);
        assert_eq!(stopped_code(0, 15), 0);
    }
}
