//! Tasks that name an SSH host (`host = "user@build2"`): the local child
//! is an `ssh` through the host's master connection, running the command
//! under the same wrapper as a pool's remote worker (see `remote::argv`):
//! its own process group on the far side, the session tag in its
//! environment, stopped when the connection ends, its exit code brought
//! back behind the session's marker. Stopping the task stops the local
//! `ssh`; the end of the connection is what stops the remote tree.
//!
//! One master per host (and set of ssh options) serves every task on it;
//! a task waits for it to connect, and fails to start when it cannot.
//! The masters end with the session.

use super::lines::Line;
use super::remote::why::shorten;
use super::remote::{argv, Change, Hosts};
use super::supervisor::*;
use super::tasks::Io;
use crate::event::{Event, EventKind};
use crate::session::{HostSlots, TaskSpec};
use std::collections::HashMap;

/// One master connection.
pub(super) struct Master {
    dest: String,
    ssh_options: Vec<String>,
    /// A pool-style set of one host (see `remote::masters`).
    pub(super) hosts: Hosts,
}

/// A remote task's current run: its host and what its wrapper said.
pub(super) struct Run {
    pub(super) gen: u32,
    pub(super) host: String,
    exit: Option<i32>,
    /// Its master (an index into `masters`).
    pub(super) master: usize,
    /// SIGKILL was sent to it on its host (see `task_remote_signal`):
    /// a Kill after that is the local `ssh`'s.
    pub(super) kill_sent: bool,
    /// ssh said the host refused the session (sshd's `MaxSessions`).
    refused: bool,
    /// Its local `ssh` was killed: the host's end never came back.
    pub(super) local_killed: bool,
    /// The wrapper said the command started.
    started: bool,
}

impl Run {
    /// The host refused its session (nothing ran) and Proctor did not
    /// stop it (see `task_refused`).
    pub(super) fn refused_unrun(&self) -> bool {
        self.refused && !self.started && self.exit.is_none()
    }
}

/// The supervisor's remote tasks.
#[derive(Default)]
pub(super) struct TaskHosts {
    pub(super) masters: Vec<Master>,
    /// Tasks waiting for their master to connect: (key, gen, master).
    waiting: Vec<(usize, u32, usize)>,
    /// Remote tasks that run, by key.
    pub(super) runs: HashMap<usize, Run>,
    /// Signals on their way to hosts (see `task_remote_signal`).
    pub(super) sending: Vec<super::remote::signal::Sending>,
    /// Starts refused in a row because the host could not be reached.
    pub(super) refusals: HashMap<usize, u32>,
    /// Sessions refused in a row by the host (see `task_refused`).
    pub(super) session_refusals: HashMap<usize, u32>,
    /// Tasks whose next start retries a refused session (not counted).
    pub(super) uncounted_retry: std::collections::HashSet<usize>,
}

/// Where a master stands, for a task that wants to start.
#[derive(Debug, PartialEq, Eq)]
enum Ready {
    Now,
    Wait,
    Refused(String),
}

/// How a remote task ended: the code its wrapper reported, else the local
/// `ssh`'s, and why no code came back when it was not stopped by Proctor.
pub(super) fn outcome(
    reported: Option<i32>,
    local: i32,
    stopped: bool,
    host: &str,
    (refused, local_killed): (bool, bool),
) -> (i32, Option<String>) {
    match reported {
        Some(c) => (c, None),
        None if stopped && local_killed => (local, Some(end_unknown(host, local))),
        // ssh's own error while the stop was on its way: the connection
        // went (the host died or dropped out), and the command's end with it.
        None if stopped && local == 255 => (
            local,
            Some(format!(
                "the remote command's end is unknown: the connection to {} ended while it was being stopped (255 is ssh's own error, not the command's); if the host is still up, its wrapper stops the command once it sees the connection gone",
                shorten(host)
            )),
        ),
        None if stopped => (local, None),
        None if refused => (local, Some(super::remote::why::refused_session_text(host))),
        None => (
            local,
            Some(format!(
                "no exit code came back from {} (ssh: {}): the connection failed or the host dropped out",
                shorten(host),
                crate::event::exit::describe_exit(local)
            )),
        ),
    }
}

/// Why a remote run stopped by Proctor has no end of its own: its host
/// did not answer, and `local` is its local `ssh`'s end.
pub(super) fn end_unknown(host: &str, local: i32) -> String {
    format!(
        "the remote command's end is unknown: {} did not answer within the stop timeout and 3 s, so the local ssh was killed; {} is that kill, not the command's (the host's wrapper stops the command when it sees the connection gone)",
        shorten(host),
        crate::event::exit::describe_exit(local)
    )
}

impl TaskHosts {
    /// The master for `dest` with these options: the one there is, or a
    /// new one (also in place of one that went down).
    fn master_for(
        &mut self,
        host: &HostSlots,
        ssh_options: &[String],
        session: &str,
    ) -> Result<usize, String> {
        let dest = host.destination().ok_or("no host to connect to")?;
        let found = self
            .masters
            .iter()
            .position(|m| m.dest == dest && m.ssh_options == ssh_options);
        if let Some(i) = found {
            if !self.masters[i].hosts.down(0) {
                return Ok(i);
            }
        }
        let hosts = Hosts::connect(std::slice::from_ref(host), ssh_options, session)?;
        let m = Master {
            dest,
            ssh_options: ssh_options.to_vec(),
            hosts,
        };
        Ok(match found {
            Some(i) => {
                // The old one is down: its folder goes with it.
                let mut old = std::mem::replace(&mut self.masters[i], m);
                old.hosts.close();
                i
            }
            None => {
                self.masters.push(m);
                self.masters.len() - 1
            }
        })
    }

    fn ready(&self, m: usize) -> Ready {
        let Some(h) = self.masters.get(m).map(|x| &x.hosts) else {
            return Ready::Refused("its connection was closed".into());
        };
        if h.ready(0) {
            Ready::Now
        } else if h.down(0) {
            Ready::Refused(h.why_down(0).unwrap_or("it went down").to_string())
        } else {
            Ready::Wait
        }
    }

    pub(super) fn any_connecting(&self) -> bool {
        !self.waiting.is_empty() && self.masters.iter().any(|m| m.hosts.any_connecting())
    }

    /// Whether the process at `key` is a task running on a host.
    pub(super) fn runs_remotely(&self, key: usize) -> bool {
        self.runs.contains_key(&key)
    }

    pub(super) fn any_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Ends every master (the session ends).
    pub(super) fn close(&mut self) {
        for s in &mut self.sending {
            s.kill();
        }
        self.sending.clear();
        for m in &mut self.masters {
            m.hosts.close();
        }
        self.masters.clear();
    }
}

impl Supervisor {
    /// Starts the task at `key` on its host (`spawn_task` for a task with
    /// `host`): now if its master is up, once it is if it connects, or
    /// not at all (`spawn_failed`) if it cannot.
    pub(super) fn spawn_remote_task(&mut self, key: usize, spec: &TaskSpec, command: Vec<String>) {
        let Some(host) = spec.host.as_ref() else { return };
        let Some(gen) = self.proc(key).map(|p| p.gen) else {
            return;
        };
        let label = host.label();
        let m = match self.task_hosts.master_for(host, &spec.ssh_options, &self.session) {
            Ok(m) => m,
            Err(e) => return self.remote_task_refused(key, &label, &e),
        };
        match self.task_hosts.ready(m) {
            Ready::Now => self.launch_remote_task(key, spec, &command, m),
            Ready::Refused(why) => self.remote_task_refused(key, &label, &why),
            Ready::Wait => {
                self.task_hosts.waiting.retain(|w| w.0 != key);
                self.task_hosts.waiting.push((key, gen, m));
            }
        }
    }

    fn remote_task_refused(&mut self, key: usize, host: &str, why: &str) {
        let Some(name) = self.proc(key).map(|p| p.name.clone()) else {
            return;
        };
        let again = self.host_unreachable(key);
        let (host, why) = (shorten(host), shorten(why));
        let message = format!("cannot connect to {host}: {why}");
        self.emit(Event::now(EventKind::SpawnFailed { message }).process(&name, None));
        if let Some(d) = again {
            // Pending, not ended: `proctor run` and the row wait for it.
            let restart_in = d.as_secs_f64();
            self.emit(Event::now(EventKind::RestartScheduled { restart_in }).process(&name, None));
        }
        // The row and the timeline say which host refused it.
        self.emit(Event::now(EventKind::WorkerHost { host }).process(&name, None));
    }

    fn launch_remote_task(&mut self, key: usize, spec: &TaskSpec, command: &[String], m: usize) {
        let Some(name) = self.proc(key).map(|p| p.name.clone()) else {
            return;
        };
        let gen = self.proc(key).map(|p| p.gen).unwrap_or(0);
        let env = super::pty::child_env(&spec.env, spec.unbuffered);
        let mut remote_env: Vec<(String, String)> = env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        remote_env.push((super::tree::SESSION_VAR.into(), self.session.clone()));
        remote_env.push(("PROCTOR_PROCESS".into(), name.clone()));
        let marker = argv::marker(&self.session);
        let wrap = argv::Wrap {
            marker: &marker,
            stop_signal: spec.stop.signal as i32,
            stop_timeout_secs: spec.stop.timeout.get().as_secs_f64().ceil() as u64,
            grace_secs: None,
            env: remote_env,
            // The run about to start (`run_id` counts successful spawns).
            run: self.proc(key).map_or(1, |p| p.run_id.saturating_add(1)),
        };
        let label = spec.host.as_ref().map(HostSlots::label).unwrap_or_default();
        let ssh = self
            .task_hosts
            .masters
            .get(m)
            .and_then(|x| x.hosts.worker_argv(0, &argv::remote_line(&wrap, command)));
        let Some(ssh) = ssh else {
            return self.remote_task_refused(key, &label, "its connection was closed");
        };
        self.task_hosts.runs.insert(
            key,
            Run {
                gen,
                host: label.clone(),
                exit: None,
                master: m,
                kill_sent: false,
                refused: false,
                local_killed: false,
                started: false,
            },
        );
        // Its stdin is a pipe held open and never written to: its end is
        // what stops the remote side.
        let io = Io {
            stdin: true,
            pty: false,
        };
        if self.spawn_into(key, &ssh, &spec.working_dir(), &env, io).is_ok() {
            self.task_hosts.refusals.remove(&key);
            self.emit(Event::now(EventKind::WorkerHost { host: label }).process(&name, None));
            if let Some(timeout) = spec.timeout {
                let run_id = self.procs.get(key).map(|p| p.run_id).unwrap_or(0);
                self.add_timer(key, run_id, TimerWhat::Timeout, timeout.get());
            }
        } else {
            self.task_hosts.runs.remove(&key);
        }
    }

    /// Looks at the task masters: tasks waiting for one that came up
    /// start, those waiting for one that went down fail; none waits past
    /// the session's end.
    pub(super) fn poll_task_hosts(&mut self) {
        self.poll_remote_signals();
        if self.task_hosts.masters.is_empty() {
            return;
        }
        let mut up = Vec::new();
        let mut down = HashMap::new();
        for (i, m) in self.task_hosts.masters.iter_mut().enumerate() {
            for c in m.hosts.poll() {
                match c {
                    Change::Up => up.push(i),
                    Change::Down(_, why) => {
                        down.insert(i, why);
                    }
                }
            }
        }
        if self.task_hosts.waiting.is_empty() {
            return;
        }
        let shutting_down = self.shutting_down;
        let waiting = std::mem::take(&mut self.task_hosts.waiting);
        for (key, gen, m) in waiting {
            let current = self
                .proc(key)
                .filter(|p| p.gen == gen && !p.alive())
                .and_then(|p| match &p.origin {
                    Origin::Task(s) => Some((p.name.clone(), s.clone())),
                    _ => None,
                });
            let Some((name, spec)) = current else { continue };
            if shutting_down {
                let message =
                    "not started: the session ended while it waited for its host to connect".to_string();
                self.emit(Event::now(EventKind::SpawnFailed { message }).process(&name, None));
                self.spawn_failed(key);
            } else if let Some(why) = down.get(&m) {
                let label = spec.host.as_ref().map(HostSlots::label).unwrap_or_default();
                self.remote_task_refused(key, &label, why);
            } else if up.contains(&m) {
                match spec.run.argv(spec.shell) {
                    Ok(a) => self.launch_remote_task(key, &spec, &a, m),
                    Err(e) => {
                        let message = format!("bad command: {e}");
                        self.emit(Event::now(EventKind::SpawnFailed { message }).process(&name, None));
                        self.spawn_failed(key);
                    }
                }
            } else {
                self.task_hosts.waiting.push((key, gen, m));
            }
        }
    }

    /// Closes a remote task's input: on the host its wrapper stops the
    /// command (see `remote::argv::WRAPPER`).
    pub(super) fn close_remote_input(&mut self, key: usize) {
        let Some(p) = self.procs.get_mut(key) else { return };
        if let Some(s) = p.stdin.take() {
            self.epoll.delete(std::os::fd::AsRawFd::as_raw_fd(&s.fd));
        }
    }

    /// A stop of a task that waits for its host: it will not start.
    /// True if it was waiting.
    pub(super) fn cancel_host_wait(&mut self, key: usize) -> bool {
        let before = self.task_hosts.waiting.len();
        self.task_hosts.waiting.retain(|w| w.0 != key);
        if self.task_hosts.waiting.len() == before {
            return false;
        }
        let name = self.proc(key).map(|p| p.name.clone()).unwrap_or_default();
        self.process_error(
            &name,
            format!("`{name}` was waiting for its host to connect; it will not start"),
        );
        true
    }

    /// A remote task's stderr: the wrapper's own lines are taken out (its
    /// exit code remembered), the rest goes on as output.
    pub(super) fn remote_task_stderr(&mut self, key: usize, lines: Vec<Line>) -> Vec<Line> {
        let Some(gen) = self.proc(key).map(|p| p.gen) else {
            return lines;
        };
        let Some(run) = self.task_hosts.runs.get_mut(&key).filter(|r| r.gen == gen) else {
            return lines;
        };
        let marker = argv::marker(&self.session);
        let mut out = Vec::with_capacity(lines.len());
        for line in lines {
            let before = match argv::parse_line(&line.text, &marker) {
                argv::Said::Line => {
                    run.refused |= !run.started && super::remote::why::refused_session(&line.text);
                    // A refused session ran nothing: ssh's own lines.
                    if !run.refused {
                        out.push(line);
                    }
                    continue;
                }
                argv::Said::Started { before, .. } => {
                    run.started = true;
                    self.task_hosts.session_refusals.remove(&key);
                    before.to_string()
                }
                argv::Said::Exit { before, code } => {
                    run.exit = Some(code);
                    before.to_string()
                }
            };
            if !before.is_empty() {
                out.push(Line {
                    text: before,
                    bytes: None,
                    complete: false,
                });
            }
        }
        out
    }

    /// The exit code of a task's ended run: the remote one for a remote
    /// task (with an error said when none came back), else `code`.
    pub(super) fn remote_task_exit(&mut self, key: usize, code: i32, stopped: bool) -> i32 {
        let Some(run) = self.task_hosts.runs.remove(&key) else {
            return code;
        };
        if self.proc(key).is_none_or(|p| p.gen != run.gen) {
            return code;
        }
        // Proctor's own stop (the user's, or a timeout's) ends the local
        // ssh: no code comes back, and none is missing.
        let stopping = stopped
            || self
                .proc(key)
                .is_some_and(|p| matches!(p.life, super::lifecycle::Life::Stopping { .. }));
        let (code, why) = outcome(
            run.exit,
            code,
            stopping,
            &run.host,
            (run.refused, run.local_killed),
        );
        if let Some(message) = why {
            let name = self.proc(key).map(|p| p.name.clone()).unwrap_or_default();
            self.process_error(&name, message);
        }
        code
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_code_wins_and_a_missing_one_is_said() {
        assert_eq!(outcome(Some(3), 0, false, "h", (false, false)), (3, None));
        assert_eq!(outcome(Some(-9), 0, true, "h", (false, true)), (-9, None));
        // Stopped by Proctor: the local ssh's end is the outcome.
        assert_eq!(outcome(None, -15, true, "h", (false, false)), (-15, None));
        // The connection lost while stopping: ssh's 255 is not the command's.
        let (c, why) = outcome(None, 255, true, "h", (false, false));
        assert_eq!(c, 255);
        assert!(why.unwrap().contains("end is unknown: the connection to h ended"));
        // Its local ssh killed, the host silent: the end is not the command's.
        let (c, why) = outcome(None, -9, true, "h", (false, true));
        assert_eq!(c, -9);
        let why = why.unwrap();
        assert!(why.contains("end is unknown: h did not answer"), "{why}");
        assert!(why.contains("-9 (SIGKILL) is that kill"), "{why}");
        let (c, why) = outcome(None, 255, false, "u@b", (false, false));
        assert_eq!(c, 255);
        assert!(why.unwrap().contains("no exit code came back from u@b"));
        // A session the host refused says so.
        let (c, why) = outcome(None, 255, false, "u@b", (true, false));
        assert_eq!(c, 255);
        assert!(why.unwrap().contains("u@b refused more sessions"));
    }
}
