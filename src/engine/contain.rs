//! A panic cannot strand anything.
//!
//! The supervisor loop runs under `catch_unwind`. If anything in it panics,
//! the supervisor's state may be inconsistent, so the cleanup here relies
//! only on what cannot be wrong: the process groups it knows and the
//! session tag every child carries (see `tree`). It kills every group and
//! every tagged process as at session end, reaps them, reports the panic as
//! an `error` event, ends the journal with `session_ended`, and records the
//! failure where the front end can read it (`Engine::failure`). Each step is
//! itself guarded: a second panic skips that step, never the rest. Should
//! the sweep fail, the crash guard (see `child::Watchdog`) is left to do it:
//! it is not dismissed, and its pipe closing makes it kill every tagged
//! process.

use super::supervisor::Supervisor;
use super::tree::{self, Snapshot};
use crate::event::{Event, EventKind};
use nix::sys::signal::Signal;
use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Where the supervisor leaves the reason it stopped on a panic.
pub type Failure = Arc<Mutex<Option<String>>>;

/// Runs the supervisor; on a panic, cleans up and records the failure.
pub(super) fn run_contained(mut sup: Supervisor, failure: Failure) {
    let Err(payload) = catch_unwind(AssertUnwindSafe(|| sup.run())) else {
        return;
    };
    let message = panic_message(payload.as_ref());
    let swept = guarded(|| {
        sup.error(format!(
            "the engine stopped after an internal error: {message}; every process it started is being killed"
        ))
    })
    .and_then(|()| guarded(|| kill_everything(&mut sup)));
    // Told once nothing is left running (the front end may drop the engine
    // at once) and before `session_ended`, so that whoever reads that event
    // finds the failure.
    if let Ok(mut f) = failure.lock() {
        *f = Some(message.clone());
    }
    guarded(|| {
        if swept.is_some() {
            if let Some(w) = sup.watchdog.take() {
                w.dismiss();
            }
        }
        sup.emit(Event::now(EventKind::SessionEnded {
            message: format!("the engine stopped after an internal error: {message}"),
        }));
    });
    // The journal is flushed whatever happened above.
    guarded(|| {
        let _ = sup.out.flush_journal();
    });
    guarded(|| {
        sup.out.wake_reader_now();
    });
}

fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

/// The text of a panic's payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// SIGKILL to every known group, then to every process carrying the session
/// tag (and orphans that left it, as `final_sweep` does), reaping what was
/// ours. Needs only the groups and the tag.
fn kill_everything(sup: &mut Supervisor) {
    let (groups, leaders) = sup.known_groups();
    for &g in &groups {
        let _ = super::child::signal_group(g, Signal::SIGKILL);
    }
    // The session's cgroup, where it has one, holds every tree whole.
    if let Some(c) = sup.tracker.cgroups.as_ref() {
        let _ = c.kill_session();
    }
    let session = sup.session.clone();
    let mut killed = leaders;
    for _ in 0..3 {
        let found = sweep_tagged(&session);
        if found.is_empty() && killed.is_empty() {
            break;
        }
        killed.extend(found);
        reap(&mut killed, &groups, Duration::from_millis(500));
    }
    // Whatever of the groups is left as zombies is reaped too.
    reap(&mut Vec::new(), &groups, Duration::ZERO);
}

/// SIGKILL to every running process tagged with `session`, and to orphans
/// re-parented to us that left our session. Returns their pids.
fn sweep_tagged(session: &str) -> Vec<i32> {
    // Every process's environment is read: after a panic nothing about
    // start times is trusted.
    let snap = Snapshot::take(session, 0);
    let me = std::process::id() as i32;
    let mut targets: Vec<(i32, bool)> = snap.tagged().map(|p| (p.pid, false)).collect();
    targets.extend(snap.adopted_orphans().map(|p| (p.pid, true)));
    let mut killed = Vec::new();
    for (pid, orphan) in targets {
        let still_ours = |p: i32| {
            if orphan {
                std::fs::read_to_string(format!("/proc/{p}/stat"))
                    .ok()
                    .and_then(|s| tree::parse_stat(&s))
                    .is_some_and(|(_, _, ppid, _, _)| ppid == me)
            } else {
                tree::tag_of(p, session).is_some()
            }
        };
        if tree::signal_checked(pid, Signal::SIGKILL, still_ours) {
            killed.push(pid);
        }
    }
    killed
}

/// Reaps the given pids (those that are our children) and any member of the
/// groups, for at most `within`.
fn reap(pids: &mut Vec<i32>, groups: &[i32], within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        pids.retain(|&pid| {
            // SAFETY: reaping one known pid without blocking.
            let r = unsafe { libc::waitpid(pid, std::ptr::null_mut(), libc::WNOHANG) };
            // Not (yet) our child: it is re-parented to us (a subreaper)
            // when its parent, killed too, is gone.
            // SAFETY: signal 0 only checks that the pid exists.
            r == 0 || (r < 0 && unsafe { libc::kill(pid, 0) } == 0)
        });
        for &g in groups {
            // SAFETY: reaping members of a group of ours without blocking.
            while unsafe { libc::waitpid(-g, std::ptr::null_mut(), libc::WNOHANG) } > 0 {}
        }
        if pids.is_empty() || Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panic_messages_of_both_payload_kinds() {
        let a = catch_unwind(|| panic!("plain")).unwrap_err();
        assert_eq!(panic_message(a.as_ref()), "plain");
        let n = 3;
        let b = catch_unwind(|| panic!("formatted {n}")).unwrap_err();
        assert_eq!(panic_message(b.as_ref()), "formatted 3");
        let c = catch_unwind(|| std::panic::panic_any(7u8)).unwrap_err();
        assert_eq!(panic_message(c.as_ref()), "a panic without a message");
    }
}
