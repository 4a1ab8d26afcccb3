//! A process's tree as it is now, and stopping one branch of it.
//!
//! The tree of a named process is its leader, the leader's descendants by
//! parent links, and every process tagged with its name (see `tree`), with
//! their descendants: so a grandchild that called `setsid` or double-forked
//! is still in it. [`tree_of`] orders it depth first from the leader; a
//! member whose parent is not a member (it was re-parented) hangs under
//! the leader, marked as having left.

use super::command::StopHow;
use super::supervisor::Supervisor;
use super::supervisor::TimerWhat;
use super::tree::{pidfd_open, pidfd_signal, pidfd_unreaped, ProcInfo, Snapshot};
use crate::event::{Event, EventKind};
use nix::sys::signal::Signal;
use std::collections::{HashMap, HashSet};
use std::os::fd::OwnedFd;
use std::time::Duration;

/// One process of a tree.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeNode {
    pub pid: i32,
    pub ppid: i32,
    /// 0 for the leader.
    pub depth: usize,
    pub comm: String,
    pub state: char,
    /// Not in the leader's process group.
    pub left_group: bool,
    /// Not in the leader's session (it called `setsid`).
    pub left_session: bool,
    /// Its parent is not in the tree (re-parented after its parent ended).
    pub orphaned: bool,
    pub start: u64,
}

/// At most this many processes are listed in one tree.
pub const MAX_NODES: usize = 10_000;

/// The tree of process `name` whose live leader is `leader` (if it lives).
pub fn tree_of(snap: &Snapshot, leader: Option<i32>, name: &str) -> Vec<TreeNode> {
    let by_pid: HashMap<i32, &ProcInfo> = snap.procs.iter().map(|p| (p.pid, p)).collect();
    let mut members: HashSet<i32> = HashSet::new();
    let mut roots: Vec<i32> = Vec::new();
    if let Some(l) = leader.filter(|l| by_pid.contains_key(l)) {
        members.insert(l);
        roots.push(l);
        members.extend(snap.descendants(l).iter().map(|p| p.pid));
    }
    for p in snap.tagged_as(name) {
        if members.insert(p.pid) {
            members.extend(snap.descendants(p.pid).iter().map(|d| d.pid));
        }
    }
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    let mut orphans: Vec<i32> = Vec::new();
    let mut sorted: Vec<i32> = members.iter().copied().collect();
    sorted.sort_unstable();
    for &pid in &sorted {
        if Some(pid) == leader {
            continue;
        }
        let ppid = by_pid.get(&pid).map_or(0, |p| p.ppid);
        if members.contains(&ppid) {
            children.entry(ppid).or_default().push(pid);
        } else {
            orphans.push(pid);
        }
    }
    let lead = leader.and_then(|l| by_pid.get(&l).copied());
    let mut out = Vec::new();
    let mut stack: Vec<(i32, usize, bool)> = Vec::new();
    for &o in orphans.iter().rev() {
        stack.push((o, usize::from(lead.is_some()), true));
    }
    for &r in roots.iter().rev() {
        stack.push((r, 0, false));
    }
    while let Some((pid, depth, orphaned)) = stack.pop() {
        if out.len() >= MAX_NODES {
            break;
        }
        let Some(p) = by_pid.get(&pid) else { continue };
        out.push(TreeNode {
            pid,
            ppid: p.ppid,
            depth,
            comm: p.comm.clone(),
            state: p.state,
            left_group: lead.is_some_and(|l| l.pgrp != p.pgrp),
            left_session: lead.is_some_and(|l| l.sid != p.sid),
            orphaned,
            start: p.start,
        });
        for &c in children.get(&pid).into_iter().flatten().rev() {
            stack.push((c, depth + 1, false));
        }
    }
    out
}

/// `pid` and everything under it in `tree` (depth-first order).
pub fn branch(tree: &[TreeNode], pid: i32) -> Vec<&TreeNode> {
    let Some(at) = tree.iter().position(|n| n.pid == pid) else {
        return Vec::new();
    };
    let depth = tree[at].depth;
    let mut out = vec![&tree[at]];
    out.extend(tree[at + 1..].iter().take_while(|n| n.depth > depth));
    out
}

fn start_of(pid: i32) -> Option<u64> {
    super::tree::parse_start(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

impl Supervisor {
    /// Stops one branch of process `name`'s tree: `pid` and its
    /// descendants. The leader's own pid stops the whole process, as Stop.
    pub(super) fn stop_branch(&mut self, name: &str, pid: u32, how: StopHow) {
        let Some(key) = self.procs.key(name) else {
            return self.process_error(name, format!("no process named `{name}`"));
        };
        let leader = self.procs.get(key).and_then(|p| p.live.as_ref().map(|l| l.pid));
        let pid = pid as i32;
        if leader == Some(pid) {
            return self.apply(super::command::Command::Stop {
                process: name.to_string(),
                how,
            });
        }
        let snap = self.fresh_snapshot().clone();
        let tree = tree_of(&snap, leader, name);
        let targets: Vec<(i32, u64)> = branch(&tree, pid).iter().map(|n| (n.pid, n.start)).collect();
        if targets.is_empty() {
            return self.process_error(
                name,
                format!("pid {pid} is not in the tree of `{name}` (it may have ended)"),
            );
        }
        let sig = match how {
            StopHow::Terminate => Signal::SIGTERM,
            StopHow::Kill => Signal::SIGKILL,
            StopHow::Signal(s) => s,
        };
        // Each member is pinned by a pidfd before its start time is checked:
        // a pid reused by a stranger is never signalled, now or at the
        // SIGKILL that follows a terminate.
        let escalate = how == StopHow::Terminate;
        let mut pinned: Vec<Pinned> = Vec::new();
        let mut sent = 0;
        // Leaves first, so that no parent reacts to a child's death by
        // starting another.
        for &(p, start) in targets.iter().rev() {
            let Ok(fd) = pidfd_open(p) else { continue };
            if start_of(p) != Some(start) || pidfd_signal(&fd, sig).is_err() {
                continue;
            }
            sent += 1;
            if escalate {
                pinned.push(Pinned { pid: p, start, fd });
            }
        }
        let timeout = self
            .procs
            .get(key)
            .map_or(Duration::from_secs(5), |p| p.stop.timeout.get());
        let then = if escalate && !pinned.is_empty() {
            format!("; SIGKILL in {:.1}s if still running", timeout.as_secs_f64())
        } else {
            String::new()
        };
        let mut e = Event::now(EventKind::SignalSent {
            signal: format!("{sig:?}"),
            message: format!(
                "to the branch of `{name}` at pid {pid} ({sent} of {} process{}){then}",
                targets.len(),
                if targets.len() == 1 { "" } else { "es" }
            ),
            kill_in: None,
        });
        e.pid = Some(pid as u32);
        self.emit(e);
        if !then.is_empty() {
            let id = self.branch_kills.add(BranchKill {
                name: name.to_string(),
                pid,
                members: pinned,
            });
            self.add_timer(key, 0, TimerWhat::BranchKill(id), timeout);
        }
    }

    /// A branch's stop timeout is over: SIGKILL to what of it still runs
    /// (through the pidfds taken at the terminate).
    pub(super) fn escalate_branch(&mut self, id: u64) {
        let Some(BranchKill { name, pid, members }) = self.branch_kills.take(id) else {
            return;
        };
        let mut known: HashSet<i32> = members.iter().map(|m| m.pid).collect();
        let mut left: Vec<Pinned> = members
            .into_iter()
            .filter(|m| pidfd_unreaped(&m.fd) && start_of(m.pid) == Some(m.start))
            .filter(|m| !is_zombie(m.pid))
            .collect();
        if left.is_empty() {
            return;
        }
        // What the members started during the timeout is part of the branch
        // too. The branch is frozen first (a stopped process forks nothing),
        // then looked at again until the look finds nothing new: what the
        // SIGKILL reaches is then the whole branch, a child forked during
        // the look included.
        for _ in 0..FREEZE_ROUNDS {
            for m in &left {
                let _ = pidfd_signal(&m.fd, Signal::SIGSTOP);
            }
            wait_halted(&left);
            let snap = self.fresh_snapshot();
            let mut born: Vec<(i32, u64)> = Vec::new();
            for m in &left {
                for d in snap.descendants(m.pid) {
                    if known.insert(d.pid) {
                        born.push((d.pid, d.start));
                    }
                }
            }
            if born.is_empty() {
                break;
            }
            for (p, start) in born {
                let Ok(fd) = pidfd_open(p) else { continue };
                if start_of(p) == Some(start) {
                    left.push(Pinned { pid: p, start, fd });
                }
            }
        }
        // Children before parents: a parent killed first could reap or
        // re-parent them in between.
        let killed = left
            .iter()
            .rev()
            .filter(|m| pidfd_signal(&m.fd, Signal::SIGKILL).is_ok())
            .count();
        let mut e = Event::now(EventKind::SignalSent {
            signal: "SIGKILL".into(),
            message: format!(
                "to the branch of `{name}` at pid {pid}: {killed} process{} still running after the stop timeout",
                if killed == 1 { "" } else { "es" }
            ),
            kill_in: None,
        });
        e.pid = Some(pid as u32);
        self.emit(e);
    }
}

/// At most this many rounds of freezing a branch and looking for what it
/// started (each round finds at least one new process, or it is the last).
const FREEZE_ROUNDS: usize = 16;

/// Waits (at most 50 ms) until every process of `members` is halted by
/// the SIGSTOP just sent, or gone.
fn wait_halted(members: &[Pinned]) {
    let deadline = std::time::Instant::now() + Duration::from_millis(50);
    while std::time::Instant::now() < deadline {
        let all = members.iter().all(|m| {
            !pidfd_unreaped(&m.fd) || is_zombie(m.pid) || super::pausing::proc_stopped(m.pid) != Some(false)
        });
        if all {
            return;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| super::tree::parse_stat(&s))
        .is_some_and(|(_, state, ..)| state == 'Z' || state == 'X')
}

/// A member of a branch, pinned by a pidfd taken before its start time
/// was checked.
pub(super) struct Pinned {
    pid: i32,
    start: u64,
    fd: OwnedFd,
}

/// A branch sent a terminate, waiting for its SIGKILL.
pub(super) struct BranchKill {
    name: String,
    pid: i32,
    members: Vec<Pinned>,
}

/// The branches waiting for their SIGKILL, by the id their timer carries.
#[derive(Default)]
pub(super) struct BranchKills {
    next: u64,
    pending: HashMap<u64, BranchKill>,
}

impl BranchKills {
    fn add(&mut self, b: BranchKill) -> u64 {
        self.next = self.next.wrapping_add(1);
        self.pending.insert(self.next, b);
        self.next
    }

    fn take(&mut self, id: u64) -> Option<BranchKill> {
        self.pending.remove(&id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pid: i32, ppid: i32, pgrp: i32, sid: i32, tag: Option<&str>) -> ProcInfo {
        ProcInfo {
            pid,
            ppid,
            pgrp,
            sid,
            state: 'S',
            comm: format!("c{pid}"),
            tagged: tag.map(str::to_string),
            foreign: false,
            start: pid as u64,
        }
    }

    #[test]
    fn the_tree_holds_descendants_and_the_tagged_that_left() {
        let snap = Snapshot::from_procs(vec![
            p(10, 1, 10, 10, Some("a")),
            p(11, 10, 10, 10, Some("a")),
            p(12, 11, 10, 10, Some("a")),
            // Left the session and was re-parented to the subreaper.
            p(20, 1, 20, 20, Some("a")),
            p(21, 20, 20, 20, None),
            p(30, 1, 30, 30, Some("b")),
            p(31, 10, 10, 10, Some("b")),
        ]);
        let t = tree_of(&snap, Some(10), "a");
        let got: Vec<(i32, usize)> = t.iter().map(|n| (n.pid, n.depth)).collect();
        assert_eq!(got, [(10, 0), (11, 1), (12, 2), (31, 1), (20, 1), (21, 2)]);
        assert!(t[4].orphaned && t[4].left_session && t[4].left_group);
        assert!(!t[1].left_group && !t[1].orphaned);
        let b: Vec<i32> = branch(&t, 20).iter().map(|n| n.pid).collect();
        assert_eq!(b, [20, 21]);
        let b: Vec<i32> = branch(&t, 11).iter().map(|n| n.pid).collect();
        assert_eq!(b, [11, 12]);
        assert!(branch(&t, 99).is_empty());
        // The leader gone: what is left is still listed.
        let t = tree_of(&snap, None, "a");
        assert_eq!(
            t.iter().map(|n| n.pid).collect::<Vec<_>>(),
            [10, 11, 12, 31, 20, 21]
        );
    }
}
