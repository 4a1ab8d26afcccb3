//! Output, exits and stdin: reading pipes line by line, reaping children,
//! writing to persistent workers.

use super::child::{self, group_alive};
use super::lifecycle::{Action, Input};
use super::lines::{Line, Piece};
use super::reactor;
use super::supervisor::*;
use crate::event::{Event, EventKind};
use std::os::fd::{AsFd, AsRawFd};
use std::time::{Duration, Instant};

impl Supervisor {
    // ----- I/O -----------------------------------------------------------

    pub(super) fn dispatch(&mut self, tok: u64, events: u32) {
        let (key, gen, fd) = untoken(tok);
        let valid = self.procs.get(key).is_some_and(|p| (p.gen & 0x00FF_FFFF) == gen);
        if !valid {
            return;
        }
        match fd {
            x if x == Fd::Stdout as u8 => self.read_stream(key, Fd::Stdout, READ_BUDGET),
            x if x == Fd::Stderr as u8 => self.read_stream(key, Fd::Stderr, READ_BUDGET),
            x if x == Fd::Exit as u8 => self.on_exit(key),
            x if x == Fd::Stdin as u8 => {
                let _ = events;
                self.flush_stdin(key);
            }
            _ => {}
        }
    }

    /// Reads up to `budget` chunks from a pipe; emits one event per line.
    /// Returns after EOF (the stream is closed) or when the pipe is empty.
    pub(super) fn read_stream(&mut self, key: usize, which: Fd, budget: usize) {
        let mut scratch = std::mem::take(&mut self.scratch);
        for _ in 0..budget {
            let Some(p) = self.procs.get_mut(key) else { break };
            let stream = match which {
                Fd::Stdout => p.stdout.as_mut(),
                _ => p.stderr.as_mut(),
            };
            let Some(stream) = stream.filter(|s| !s.parked) else {
                break;
            };
            match reactor::read_fd(stream.fd.as_raw_fd(), &mut scratch) {
                Ok(0) => {
                    let mut lines = Vec::new();
                    stream.lines.finish(&mut |l| lines.push(l));
                    // Out of epoll first: a pty's stdin is a duplicate of the
                    // same terminal, and epoll forgets an fd only when its
                    // last duplicate closes (else EPOLLHUP fires for ever).
                    if let Some(s) = match which {
                        Fd::Stdout => p.stdout.take(),
                        _ => p.stderr.take(),
                    } {
                        self.epoll.delete(s.fd.as_raw_fd());
                    }
                    self.emit_lines(key, which, lines);
                    break;
                }
                Ok(n) => {
                    let remote_task = which == Fd::Stderr && self.task_hosts.runs_remotely(key);
                    if matches!(p.origin, Origin::Worker { .. }) || remote_task {
                        // A worker's answers are read line by line, and so
                        // is its stderr (a remote worker's or task's exit
                        // is said there, behind a marker).
                        let mut lines = Vec::new();
                        stream.lines.push(&scratch[..n], &mut |l| lines.push(l));
                        self.emit_lines(key, which, lines);
                    } else {
                        let mut pieces = Vec::new();
                        stream.lines.push_joined(&scratch[..n], &mut |l| pieces.push(l));
                        self.emit_pieces(key, which, pieces);
                    }
                    if n < scratch.len() {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                // A pseudo-terminal's master reads EIO once the child side
                // is closed: its end, as EOF is a pipe's. The master stays
                // open until the child exits (closing it would hang up the
                // terminal: SIGHUP to a child that only let go of it), but
                // out of epoll, which would report the hang-up for ever.
                Err(e) if e.raw_os_error() == Some(libc::EIO) => {
                    let mut lines = Vec::new();
                    stream.lines.finish(&mut |l| lines.push(l));
                    stream.parked = true;
                    let fd = stream.fd.as_raw_fd();
                    self.epoll.delete(fd);
                    self.emit_lines(key, which, lines);
                    break;
                }
                Err(e) => {
                    let name = p.name.clone();
                    let fd = match which {
                        Fd::Stdout => p.stdout.take(),
                        _ => p.stderr.take(),
                    };
                    if let Some(s) = fd {
                        self.epoll.delete(s.fd.as_raw_fd());
                    }
                    self.error(format!("reading output of `{name}` failed: {e}"));
                    break;
                }
            }
        }
        self.scratch = scratch;
    }

    pub(super) fn emit_lines(&mut self, key: usize, which: Fd, lines: Vec<Line>) {
        if lines.is_empty() {
            return;
        }
        let lines = if which == Fd::Stderr {
            let lines = self.remote_stderr(key, lines);
            self.remote_task_stderr(key, lines)
        } else {
            lines
        };
        if which == Fd::Stdout && matches!(self.proc(key).map(|p| &p.origin), Some(Origin::Worker { .. })) {
            for line in lines {
                self.pool_stdout_line(key, line);
            }
            return;
        }
        let Some(p) = self.proc(key) else { return };
        let name = p.name.clone();
        let pid = p.pid().or(p.pgid.map(|g| g as u32));
        let pool = self.pool_of_key(key);
        for Line {
            text: line, bytes, ..
        } in lines
        {
            let kind = match which {
                Fd::Stdout => EventKind::Stdout { line, bytes },
                _ => EventKind::Stderr { line, bytes },
            };
            let mut e = Event::now(kind).process(&name, pid);
            e.pool = pool.clone();
            self.emit(e);
        }
    }

    /// Emits what one read brought: the lines read together as one event
    /// (their text joined by newlines), the others one by one.
    fn emit_pieces(&mut self, key: usize, which: Fd, pieces: Vec<Piece>) {
        if pieces.is_empty() {
            return;
        }
        let Some(p) = self.proc(key) else { return };
        let name = p.name.clone();
        let pid = p.pid().or(p.pgid.map(|g| g as u32));
        let pool = self.pool_of_key(key);
        for piece in pieces {
            let (line, bytes) = match piece {
                Piece::Lines { text, bytes, .. } => (text, bytes),
                Piece::One(l) => (l.text, l.bytes),
            };
            let kind = match which {
                Fd::Stdout => EventKind::Stdout { line, bytes },
                _ => EventKind::Stderr { line, bytes },
            };
            let mut e = Event::now(kind).process(&name, pid);
            e.pool = pool.clone();
            self.emit(e);
        }
    }

    /// Emits a stdout line of a pool worker as a plain output event.
    pub(super) fn emit_stdout(&mut self, key: usize, line: Line, input: Option<u64>) {
        let Some(p) = self.proc(key) else { return };
        let name = p.name.clone();
        let pid = p.pid().or(p.pgid.map(|g| g as u32));
        let pool = self.pool_of_key(key);
        let kind = EventKind::Stdout {
            line: line.text,
            bytes: line.bytes,
        };
        let mut e = Event::now(kind).process(&name, pid);
        e.pool = pool;
        e.input = input;
        self.emit(e);
    }

    /// Reads whatever the pipes hold now (bounded), so that output printed
    /// before an exit is logged before the exit.
    pub(super) fn drain_streams(&mut self, key: usize) {
        // 16 MiB per stream at most: a grandchild that keeps the pipe open
        // and floods it cannot hold us here.
        for which in [Fd::Stdout, Fd::Stderr] {
            self.read_stream(key, which, 256);
        }
    }

    pub(super) fn close_streams(&mut self, key: usize) {
        let Some(p) = self.procs.get_mut(key) else { return };
        // Taken out of the epoll set before they close: a pty's stdin and
        // output are duplicates of one terminal, and epoll forgets an fd
        // only when its last duplicate closes.
        let fds = [
            p.stdout.take().map(|s| s.fd),
            p.stderr.take().map(|s| s.fd),
            p.stdin.take().map(|s| s.fd),
        ];
        for fd in fds.iter().flatten() {
            self.epoll.delete(fd.as_raw_fd());
        }
    }

    pub(super) fn on_exit(&mut self, key: usize) {
        let Some(live) = self.proc(key).and_then(|p| p.live.as_ref()) else {
            return;
        };
        let pid = live.pid;
        if let Some((exit_code, usage)) = child::try_reap(pid) {
            self.finish_exit(key, exit_code, usage);
        } else if !super::tree::pidfd_unreaped(&live._pidfd) {
            // Reaped elsewhere: its status is lost, but the row must end
            // (and the readable pidfd must go, or epoll would spin).
            let name = self.proc(key).map(|p| p.name.clone()).unwrap_or_default();
            self.error(format!("the exit status of `{name}` (pid {pid}) was lost"));
            self.finish_exit(key, 255, Default::default());
        }
    }

    fn key_of_live_pid(&self, pid: i32) -> Option<usize> {
        self.procs
            .iter()
            .find(|(_, p)| p.live.as_ref().is_some_and(|l| l.pid == pid))
            .map(|(k, _)| k)
    }

    /// Reaps what has exited in the group of `key`: orphans adopted from it
    /// and, if it has exited, its leader.
    pub(super) fn reap_group(&mut self, key: usize) {
        let Some(p) = self.proc(key) else { return };
        let Some(pgid) = p.pgid else { return };
        let leader = p.live.as_ref().map(|l| l.pid);
        while let Some((pid, exit_code, usage)) = child::reap_group_member(pgid) {
            if Some(pid) == leader {
                self.finish_exit(key, exit_code, usage);
            } else if let Some(other) = self.key_of_live_pid(pid) {
                // A group id reused by another process of ours: its exit
                // still goes to its own row.
                self.finish_exit(other, exit_code, usage);
            }
        }
    }

    pub(super) fn sweep_due(&self) -> bool {
        self.shutting_down || self.procs.all().any(|p| p.kill_at.is_some())
    }

    /// Reaps exited members of the groups we know. Run often while a stop
    /// is in progress (so that a stopped group is seen gone promptly) and
    /// at most once a second otherwise. Even while stopping, at most every
    /// 20 ms: a sweep makes a system call per group, and a stop of
    /// thousands wakes the loop for every exit.
    pub(super) fn sweep(&mut self, force: bool) {
        let every = if force { 20 } else { 1000 };
        if self.last_sweep.elapsed() < Duration::from_millis(every) {
            return;
        }
        self.last_sweep = Instant::now();
        let mut lingering = 0;
        // Only groups whose id cannot have been reused: the leader is
        // unreaped, or a stop of the group is still in progress.
        for key in self.procs.keys_where(|_| true) {
            // An ended group is swept while any member is left (zombies
            // count): while it has a member its id cannot be reused.
            let Some(p) = self.procs.get(key) else {
                continue;
            };
            let Some(g) = p.pgid else { continue };
            let ended_but_alive = p.live.is_none() && p.kill_at.is_none() && group_alive(g);
            if p.live.is_some() || p.kill_at.is_some() || ended_but_alive {
                self.reap_group(key);
                if ended_but_alive && self.procs.get(key).and_then(|p| p.pgid).is_some_and(group_alive) {
                    lingering += 1;
                }
            }
        }
        self.lingering_groups = lingering;
        if self.last_orphan_reap.elapsed() >= Duration::from_secs(5) {
            self.last_orphan_reap = Instant::now();
            self.reap_adopted_zombies();
        }
    }

    /// Reaps exited orphans that were re-parented to us from another
    /// session (descendants that called `setsid`). Children this process
    /// started itself stay in its session and are left to their owners.
    fn reap_adopted_zombies(&mut self) {
        let me = std::process::id() as i32;
        // SAFETY: getsid(0) only reads our own session id.
        let my_sid = unsafe { libc::getsid(0) };
        let zombies: Vec<i32> = self
            .fresh_snapshot()
            .procs
            .iter()
            .filter(|p| p.state == 'Z' && p.ppid == me && p.sid != my_sid)
            .map(|p| p.pid)
            .collect();
        for pid in zombies {
            // SAFETY: reaping one exited child without blocking.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
        }
    }

    pub(super) fn finish_exit(&mut self, key: usize, exit_code: i32, mut usage: crate::event::Usage) {
        let Some(p) = self.procs.get_mut(key) else { return };
        let Some(live) = p.live.as_mut() else { return };
        let pid = live.pid;
        // Its pidfd and pipes are closed below: starts that wait for
        // descriptors may go.
        self.fd_wait.freed();
        usage.peak_rss_kb = self.peaks.take(pid);
        let runtime = live.started.elapsed().as_secs_f64();
        // Our write ends go first, so that the drain below reads to EOF
        // unless a descendant still holds the pipes.
        drop(live.writers.take());
        self.drain_streams(key);
        let Some(p) = self.procs.get_mut(key) else { return };
        // Closing the pidfd takes it out of the epoll set (tokens carry a
        // generation, so nothing stale can reach a reused slot).
        drop(p.live.take());
        // Nothing more can be written to a dead worker.
        if let Some(s) = p.stdin.take() {
            self.epoll.delete(s.fd.as_raw_fd());
        }
        // A terminal kept open after its end (see `read_stream`) closes
        // with the process.
        if p.stdout.as_ref().is_some_and(|s| s.parked) {
            p.stdout = None;
        }
        let name = p.name.clone();
        // Members of its group outlive it: make sure a sweep comes by.
        if p.pgid.is_some_and(group_alive) {
            self.lingering_groups += 1;
        }
        // A stopped process whose whole group is gone needs no SIGKILL; the
        // audit still looks for anything of its tree left elsewhere.
        if p.kill_at.is_some() && !p.pgid.is_some_and(group_alive) {
            p.kill_at = None;
            let run_id = p.run_id;
            self.add_timer(key, run_id, TimerWhat::Audit, Duration::from_millis(300));
        }
        self.forget_run_cgroup(key);
        let stopped = self.proc(key).is_some_and(|p| p.life.stopped_by_user());
        // The local `ssh`'s or `srun`'s figures are not the command's.
        let usage = (!super::elsewhere::runs_elsewhere(&self.procs, &self.task_hosts, &self.pools, key))
            .then_some(usage);
        // Any stop Proctor made (the user's, a timeout's): its end is no
        // host dropping out.
        let proctor_stop = self
            .proc(key)
            .is_some_and(|p| stopped || matches!(p.life, super::lifecycle::Life::Stopping { .. }));
        if !proctor_stop && self.task_session_refused(key) {
            return self.task_refused_exit(key, pid, exit_code, runtime);
        }
        let exit_code = self.remote_task_exit(key, exit_code, stopped);
        let actions = self.step(key, Input::Exited { code: exit_code });
        if let Some(Origin::Worker { .. }) = self.proc(key).map(|p| &p.origin) {
            return self.pool_worker_exited(key, pid, exit_code, runtime, usage, proctor_stop);
        }
        let delay = actions.iter().find_map(|a| match a {
            Action::ArmRestart(d) => Some(*d),
            _ => None,
        });
        self.emit(
            Event::now(EventKind::Exited {
                exit_code,
                runtime,
                restart_in: delay.map(|d| d.as_secs_f64()),
                usage,
                stopped,
            })
            .process(&name, Some(pid as u32)),
        );
        for a in actions {
            match a {
                Action::ArmRestart(d) => self.arm_restart(key, d),
                Action::Spawn { by_user } => self.respawn(key, by_user),
                _ => {}
            }
        }
    }

    // ----- stdin (persistent pool workers) --------------------------------

    /// Queues bytes for a worker's stdin; `flush_stdin` writes them.
    pub(super) fn queue_stdin(&mut self, key: usize, bytes: &[u8]) {
        if let Some(s) = self.procs.get_mut(key).and_then(|p| p.stdin.as_mut()) {
            s.buf.extend_from_slice(bytes);
        }
    }

    pub(super) fn flush_stdin(&mut self, key: usize) {
        let Some(p) = self.procs.get_mut(key) else { return };
        let gen = p.gen;
        let Some(s) = p.stdin.as_mut() else { return };
        let mut broken = false;
        while !s.buf.is_empty() {
            match reactor::write_fd(s.fd.as_raw_fd(), &s.buf) {
                Ok(n) => {
                    s.buf.drain(..n);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        if broken {
            // The worker closed its stdin; its exit will be handled.
            if let Some(s) = p.stdin.take() {
                self.epoll.delete(s.fd.as_raw_fd());
            }
            return;
        }
        if s.buf.is_empty() && s.close_when_flushed {
            if let Some(s) = p.stdin.take() {
                self.epoll.delete(s.fd.as_raw_fd());
            }
            return;
        }
        let want = !s.buf.is_empty();
        if want != s.waiting {
            let fd = s.fd.as_raw_fd();
            let tok = token(key, gen, Fd::Stdin);
            let r = if want {
                if s.waiting {
                    self.epoll.modify(fd, tok, reactor::WRITABLE)
                } else {
                    self.epoll.add(fd, tok, reactor::WRITABLE)
                }
            } else {
                self.epoll.delete(fd);
                Ok(())
            };
            s.waiting = want && r.is_ok();
        }
    }

    /// A line for the stdin of a task that has a stdin pipe (`stdin =
    /// true`); a pool's workers read only their inputs.
    pub(super) fn write_stdin_line(&mut self, name: &str, line: &str) {
        let Some(key) = self.procs.key(name) else {
            return self.process_error(name, format!("no process named `{name}`"));
        };
        let ok = self
            .proc(key)
            .is_some_and(|p| matches!(p.origin, Origin::Task(_)) && p.stdin.is_some());
        if !ok {
            return self.process_error(
                name,
                format!("`{name}` has no stdin to write to (give its task `stdin = true`, and it must be running)"),
            );
        }
        let refused = self
            .proc(key)
            .and_then(|p| p.stdin.as_ref())
            .and_then(|s| super::pty::line_refused(s.fd.as_fd(), line));
        if let Some(why) = refused {
            return self.process_error(name, format!("not sent to `{name}`: {why}"));
        }
        let mut bytes = line.as_bytes().to_vec();
        bytes.push(b'\n');
        self.queue_stdin(key, &bytes);
        self.flush_stdin(key);
    }

    /// Closes a worker's stdin once everything queued is written.
    pub(super) fn close_stdin(&mut self, key: usize) {
        let Some(p) = self.procs.get_mut(key) else { return };
        let run_id = p.run_id;
        if let Some(s) = p.stdin.as_mut() {
            if !s.close_when_flushed {
                s.close_when_flushed = true;
                self.add_timer(key, run_id, TimerWhat::Retire, Duration::from_secs(10));
            }
        }
        self.flush_stdin(key);
    }

    pub(super) fn remove_worker_proc(&mut self, key: usize) {
        self.remove_proc(key);
    }
}
