//! Paused processes: the Pause and Resume commands, and watching each live
//! leader for stops and continues, whoever sent them (Proctor, another
//! program, the terminal). The row's state follows the child's, not what
//! Proctor sent.

use super::lifecycle::{Action, Input, Life};
use super::supervisor::*;
use crate::event::{Event, EventKind};
use nix::sys::signal::Signal;
use std::time::{Duration, Instant};

/// How often live leaders are asked whether they were stopped or continued.
const WATCH_EVERY: Duration = Duration::from_millis(200);

/// A change of a child's job state, as `waitid` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum JobChange {
    /// Stopped by this signal.
    Stopped(i32),
    Continued,
}

/// The stop or continue of child `pid` not yet reported, if any. Exits are
/// not looked at (nor reaped): `WEXITED` is not asked for.
pub(super) fn job_change(pid: i32) -> Option<JobChange> {
    // SAFETY: siginfo_t is plain data; zero-initialised is valid.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: waitid on one of our children with a valid out-pointer.
    let r = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WSTOPPED | libc::WCONTINUED | libc::WNOHANG,
        )
    };
    // SAFETY: waitid filled `info` (or left it zeroed: no pid).
    if r != 0 || unsafe { info.si_pid() } == 0 {
        return None;
    }
    match info.si_code {
        // SAFETY: for CLD_STOPPED, si_status is the stop signal.
        libc::CLD_STOPPED => Some(JobChange::Stopped(unsafe { info.si_status() })),
        libc::CLD_CONTINUED => Some(JobChange::Continued),
        _ => None,
    }
}

impl Supervisor {
    /// Milliseconds until the next look at the leaders, while any lives.
    pub(super) fn watch_in_ms(&self) -> Option<i32> {
        self.watching.then(|| {
            let left = WATCH_EVERY.saturating_sub(self.last_watch.elapsed());
            left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
        })
    }

    /// Reports the leaders stopped or continued since the last look (one
    /// `waitid` per live leader, a few times a second).
    pub(super) fn watch_job_states(&mut self) {
        if !self.watching || self.last_watch.elapsed() < WATCH_EVERY {
            return;
        }
        self.last_watch = Instant::now();
        let mut any = false;
        let mut changes = Vec::new();
        for (key, p) in self.procs.iter() {
            let Some(live) = p.live.as_ref() else {
                continue;
            };
            any = true;
            // Bounded: a child stopped and continued many times between
            // two looks reports its latest state.
            let before = changes.len();
            for _ in 0..4 {
                match job_change(live.pid) {
                    Some(c) => changes.push((key, c)),
                    None => break,
                }
            }
            // After a stop or continue Proctor sent, and while the row says
            // paused, /proc says too. A leader that stops while it waits in
            // `vfork` (as `sh` does for each command) never stops itself:
            // its child, stopped before its `exec`, holds it in the kernel
            // with the stop pending, and `waitid` has nothing to report.
            let paused = matches!(
                p.life,
                Life::Running { paused: true } | Life::Stopping { paused: true, .. }
            );
            if changes.len() == before && (paused || self.job_signalled.contains_key(&key)) {
                let stopped = proc_stopped(live.pid);
                match (stopped, paused) {
                    (Some(true), false) => changes.push((key, JobChange::Stopped(libc::SIGSTOP))),
                    (Some(false), true) => changes.push((key, JobChange::Continued)),
                    _ => {}
                }
            }
        }
        self.watching = any;
        let now = Instant::now();
        self.job_signalled
            .retain(|_, at| now.saturating_duration_since(*at) < std::time::Duration::from_secs(10));
        for (key, change) in changes {
            let input = match change {
                JobChange::Stopped(_) => Input::JobStopped,
                JobChange::Continued => Input::JobContinued,
            };
            for a in self.step(key, input) {
                let Action::Paused(paused) = a else { continue };
                let Some(p) = self.proc(key) else { continue };
                let (name, pid) = (p.name.clone(), p.pid());
                let kind = match (paused, change) {
                    (true, JobChange::Stopped(sig)) => EventKind::Paused {
                        signal: signal_text(sig),
                    },
                    _ => EventKind::Resumed {
                        signal: "SIGCONT".into(),
                    },
                };
                let mut e = Event::now(kind).process(&name, pid);
                e.pool = self.pool_of_key(key);
                self.emit(e);
            }
        }
    }

    /// Pauses (SIGSTOP) or resumes (SIGCONT) the whole tree of a process.
    /// The row changes when the leader is seen stopped or continued.
    pub(super) fn pause(&mut self, name: &str, pause: bool) {
        let Some(key) = self.procs.key(name) else {
            return self.error(format!("no process named `{name}`"));
        };
        let Some(p) = self.proc(key) else { return };
        let (Some(leader), Some(pgid)) = (p.live.as_ref().map(|l| l.pid), p.pgid) else {
            return self.error(format!("`{name}` is not running"));
        };
        let pid = p.pid();
        let sig = if pause { Signal::SIGSTOP } else { Signal::SIGCONT };
        let (reached, error) = self.signal_tree(name, Some(leader), pgid, sig);
        if reached == 0 {
            if let Some(err) = error {
                self.error(format!("cannot send {} to `{name}`: {err}", sig.as_str()));
            }
            return;
        }
        // A task on a host: its processes there too (the local `ssh`
        // stopped alone would leave the command running).
        let remote = self.signal_remote(key, sig);
        let what = if pause { "pause" } else { "resume" };
        let mut message = if reached > 1 {
            format!("{what} ({reached} processes)")
        } else {
            what.to_string()
        };
        if remote {
            message.push_str(", here and on its host");
        }
        let mut e = Event::now(EventKind::SignalSent {
            signal: sig.as_str().to_string(),
            message,
            kill_in: None,
        })
        .process(name, pid);
        e.pool = self.pool_of_key(key);
        self.emit(e);
        // Look again soon: the stop takes effect by itself.
        self.watching = true;
    }
}

/// Whether /proc shows `pid` halted by a stop signal; None when it cannot
/// say (unreadable, traced, or dead).
pub(super) fn proc_stopped(pid: i32) -> Option<bool> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    halted(&StopView::parse(&status)?)
}

/// What a process's /proc status says of its stops.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct StopView {
    /// The state letter (`R`, `S`, `D`, `T`, `t`, `Z`...).
    pub state: char,
    /// Pending signals, of the process and of its main thread.
    pub pending: u64,
    /// Blocked and caught signals.
    pub blocked: u64,
    pub caught: u64,
}

impl StopView {
    pub fn parse(status: &str) -> Option<StopView> {
        let mut v = StopView::default();
        let mut state = None;
        let mask = |s: &str| u64::from_str_radix(s.trim(), 16).unwrap_or(0);
        for line in status.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            match key {
                "State" => state = value.trim_start().chars().next(),
                "ShdPnd" | "SigPnd" => v.pending |= mask(value),
                "SigBlk" => v.blocked = mask(value),
                "SigCgt" => v.caught = mask(value),
                _ => {}
            }
        }
        v.state = state?;
        Some(v)
    }
}

const SIGSTOP_BIT: u64 = 1 << (libc::SIGSTOP - 1);

/// The signals that stop a process, as bits of a /proc pending mask.
const STOP_SIGNALS: u64 =
    SIGSTOP_BIT | 1 << (libc::SIGTSTP - 1) | 1 << (libc::SIGTTIN - 1) | 1 << (libc::SIGTTOU - 1);

/// Whether a process is halted by a stop: stopped (`T`), or in an
/// uninterruptible wait with a stop pending that will stop it (SIGSTOP, or
/// another stop signal neither blocked nor caught), which it takes the
/// moment the wait ends (a `vfork` parent whose child was stopped before
/// its `exec` waits so until the child is continued). None for a traced
/// process (`t`: a debugger holds it, whatever its job state) and a dead
/// one: they say nothing of a stop or a continue.
pub(super) fn halted(v: &StopView) -> Option<bool> {
    match v.state {
        'T' => Some(true),
        't' | 'Z' | 'X' => None,
        'D' => {
            let will_stop = STOP_SIGNALS & !((v.blocked | v.caught) & !SIGSTOP_BIT);
            Some(v.pending & will_stop != 0)
        }
        _ => Some(false),
    }
}

fn signal_text(sig: i32) -> String {
    crate::session::signal::signal_name(sig)
        .map(str::to_string)
        .unwrap_or_else(|| format!("signal {sig}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bit(sig: i32) -> u64 {
        1u64 << (sig - 1)
    }

    fn view(state: char, pending: u64) -> StopView {
        StopView {
            state,
            pending,
            ..Default::default()
        }
    }

    #[test]
    fn a_stop_pending_in_an_uninterruptible_wait_reads_as_halted() {
        let (stop, tstp, chld) = (bit(libc::SIGSTOP), bit(libc::SIGTSTP), bit(libc::SIGCHLD));
        assert_eq!(halted(&view('T', 0)), Some(true));
        assert_eq!(halted(&view('D', stop | chld)), Some(true));
        assert_eq!(halted(&view('D', tstp)), Some(true));
        assert_eq!(halted(&view('D', chld)), Some(false));
        assert_eq!(halted(&view('D', 0)), Some(false));
        assert_eq!(halted(&view('S', stop)), Some(false));
        assert_eq!(halted(&view('R', stop)), Some(false));
    }

    #[test]
    fn a_traced_or_dead_process_says_nothing() {
        assert_eq!(halted(&view('t', 0)), None);
        assert_eq!(halted(&view('Z', bit(libc::SIGSTOP))), None);
        assert_eq!(halted(&view('X', 0)), None);
    }

    #[test]
    fn a_caught_or_blocked_stop_signal_does_not_stop() {
        let tstp = bit(libc::SIGTSTP);
        let caught = StopView {
            caught: tstp,
            ..view('D', tstp)
        };
        assert_eq!(halted(&caught), Some(false));
        let blocked = StopView {
            blocked: tstp,
            ..view('D', tstp)
        };
        assert_eq!(halted(&blocked), Some(false));
        // SIGSTOP can be neither.
        let stop = bit(libc::SIGSTOP);
        let forced = StopView {
            caught: stop,
            blocked: stop,
            ..view('D', stop)
        };
        assert_eq!(halted(&forced), Some(true));
    }

    #[test]
    fn status_text_is_read_by_its_fields() {
        let text = "Name:\tsh\nState:\tD (disk sleep)\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000050000\nSigBlk:\t0000000000000000\nSigIgn:\t0000000000000004\nSigCgt:\t0000000000010002\n";
        let v = StopView::parse(text).unwrap();
        assert_eq!(v.state, 'D');
        assert_eq!(v.pending, 0x50000);
        assert_eq!(v.caught, 0x10002);
        assert_eq!(halted(&v), Some(true));
        assert_eq!(StopView::parse("Name:\tx\n"), None);
        assert_eq!(StopView::parse(""), None);
    }

    #[test]
    fn the_stop_mask_holds_the_four_stop_signals() {
        assert_eq!(STOP_SIGNALS.count_ones(), 4);
        assert_ne!(STOP_SIGNALS & bit(libc::SIGTTOU), 0);
        assert_eq!(STOP_SIGNALS & bit(libc::SIGCONT), 0);
    }
}
