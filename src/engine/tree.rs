//! Finding every process a task started, wherever it went.
//!
//! Process groups reach a task's children, but a grandchild that calls
//! `setsid` or double-forks leaves the group. Proctor tracks descendants
//! three ways, none of which needs privileges or cgroup delegation:
//! - every child gets `PROCTOR_SESSION=<token>` and `PROCTOR_PROCESS=<name>`
//!   in its environment, which descendants inherit; a snapshot of `/proc`
//!   finds them by that tag whatever group or session they moved to;
//! - the parent links in `/proc/*/stat` find descendants of a live leader;
//! - Proctor is a child subreaper, so orphans are re-parented to it (and
//!   reaped by it) instead of escaping to init.
//!
//! Signals to a pid found this way go through a pidfd opened *before* the
//! tag is re-checked, so a pid reused by a stranger is never signalled.

use nix::sys::signal::Signal;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

pub const SESSION_VAR: &str = "PROCTOR_SESSION";
pub const PROCESS_VAR: &str = "PROCTOR_PROCESS";

#[derive(Clone, Debug, PartialEq)]
pub struct ProcInfo {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub sid: i32,
    pub state: char,
    pub comm: String,
    /// `PROCTOR_PROCESS` of a process tagged with our session.
    pub tagged: Option<String>,
    /// It carries another session's tag (another engine's, in this process
    /// or another): never one of our orphans.
    pub foreign: bool,
    /// When it started, in clock ticks since boot (`/proc/PID/stat` field 22).
    pub start: u64,
}

impl ProcInfo {
    pub fn running(&self) -> bool {
        self.state != 'Z' && self.state != 'X'
    }
}

/// One look at `/proc`, indexed by parent and by tag.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub procs: Vec<ProcInfo>,
    /// Indexes into `procs` of each pid's children.
    children: HashMap<i32, Vec<usize>>,
    /// Indexes into `procs` of the running processes tagged with each name.
    by_tag: HashMap<String, Vec<usize>>,
    /// Processes that started before this (clock ticks since boot) are not
    /// this engine's: their environment was not read.
    not_before: u64,
}

/// Parses `/proc/PID/stat`: (comm, state, ppid, pgrp, session).
pub fn parse_stat(text: &str) -> Option<(String, char, i32, i32, i32)> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let comm = text.get(open + 1..close)?.to_string();
    let mut rest = text.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    let pgrp = rest.next()?.parse().ok()?;
    let sid = rest.next()?.parse().ok()?;
    Some((comm, state, ppid, pgrp, sid))
}

/// The start time in clock ticks since boot from `/proc/PID/stat`.
pub fn parse_start(text: &str) -> Option<u64> {
    let close = text.rfind(')')?;
    // Field 22; the text after `)` starts at field 3.
    text.get(close + 1..)?.split_whitespace().nth(19)?.parse().ok()
}

/// The start time of the calling thread, in the ticks of `parse_start`.
/// Nothing this thread starts afterwards can have started earlier, so a
/// scan need not read the environment of older processes.
pub fn thread_start_ticks() -> u64 {
    std::fs::read_to_string("/proc/thread-self/stat")
        .ok()
        .and_then(|s| parse_start(&s))
        .unwrap_or(0)
}

/// This process's children when its first engine started, by (pid, start
/// ticks): never its orphans. A program started with its output piped
/// through a process substitution (`proctor run > >(reader)`) has the
/// reader as a child, forked just before the exec, in another session
/// when started with `setsid`; started within a clock tick of the engine,
/// it looked like an orphan adopted at the session's end and was killed.
static PREEXISTING: std::sync::OnceLock<std::collections::HashSet<(i32, u64)>> = std::sync::OnceLock::new();

/// Notes this process's children, once (at the first engine's start).
pub fn note_preexisting_children() {
    PREEXISTING.get_or_init(|| {
        let me = std::process::id() as i32;
        let mut found = std::collections::HashSet::new();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return found;
        };
        for entry in dir.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            if parse_stat(&stat).is_some_and(|(_, _, ppid, _, _)| ppid == me) {
                if let Some(start) = parse_start(&stat) {
                    found.insert((pid, start));
                }
            }
        }
        found
    });
}

fn preexisting(p: &ProcInfo) -> bool {
    PREEXISTING.get().is_some_and(|s| s.contains(&(p.pid, p.start)))
}

static TAG_SCAN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

/// Whether processes are found by their tag at all (see
/// `EngineConfig::tag_scan`).
pub fn tag_scan() -> bool {
    TAG_SCAN.load(std::sync::atomic::Ordering::Relaxed)
}

/// Tests of remote workers only: off, Proctor finds only its own
/// descendants (by parent, group and cgroup), never a process by its tag;
/// the crash guard does not look for tags either. Process-wide.
pub fn set_tag_scan(on: bool) {
    TAG_SCAN.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// The `PROCTOR_PROCESS` of `pid` if it carries our session tag.
pub fn tag_of(pid: i32, session: &str) -> Option<String> {
    tags_of(pid, session).0
}

/// `tag_of`, and whether the process carries another session's tag.
fn tags_of(pid: i32, session: &str) -> (Option<String>, bool) {
    if !tag_scan() {
        return (None, false);
    }
    let Ok(env) = std::fs::read(format!("/proc/{pid}/environ")) else {
        return (None, false);
    };
    let want = format!("{SESSION_VAR}={session}");
    let mut ours = false;
    let mut foreign = false;
    let mut name = None;
    for var in env.split(|&b| b == 0) {
        if var == want.as_bytes() {
            ours = true;
        } else if var.starts_with(SESSION_VAR.as_bytes()) && var.get(SESSION_VAR.len()) == Some(&b'=') {
            foreign = true;
        } else if let Some(v) = var
            .strip_prefix(PROCESS_VAR.as_bytes())
            .and_then(|r| r.strip_prefix(b"="))
        {
            name = Some(String::from_utf8_lossy(v).into_owned());
        }
    }
    if ours {
        (name, false)
    } else {
        (None, foreign)
    }
}

impl Snapshot {
    /// Every process but this one; the environment (for the tag) is read
    /// only of processes that started at `not_before` (clock ticks since
    /// boot) or later, and are not zombies.
    pub fn take(session: &str, not_before: u64) -> Self {
        let mut procs = Vec::new();
        let me = std::process::id() as i32;
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Self::from_procs(procs);
        };
        let mut path = String::with_capacity(32);
        let mut stat = String::with_capacity(512);
        for entry in dir.flatten() {
            let name = entry.file_name();
            let Some(pid) = name.to_str().and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            if pid == me {
                continue;
            }
            use std::fmt::Write as _;
            use std::io::Read as _;
            path.clear();
            let _ = write!(path, "/proc/{pid}/stat");
            stat.clear();
            let Ok(mut f) = std::fs::File::open(&path) else {
                continue;
            };
            if f.read_to_string(&mut stat).is_err() {
                continue;
            }
            let Some((comm, state, ppid, pgrp, sid)) = parse_stat(&stat) else {
                continue;
            };
            let start = parse_start(&stat).unwrap_or(u64::MAX);
            let (tagged, foreign) = if state == 'Z' || start < not_before {
                (None, false)
            } else {
                tags_of(pid, session)
            };
            procs.push(ProcInfo {
                pid,
                ppid,
                pgrp,
                sid,
                state,
                comm,
                tagged,
                foreign,
                start,
            });
        }
        Self {
            not_before,
            ..Self::from_procs(procs)
        }
    }

    pub fn from_procs(procs: Vec<ProcInfo>) -> Self {
        let mut children: HashMap<i32, Vec<usize>> = HashMap::new();
        let mut by_tag: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in procs.iter().enumerate() {
            children.entry(p.ppid).or_default().push(i);
            if let (true, Some(t)) = (p.running(), &p.tagged) {
                by_tag.entry(t.clone()).or_default().push(i);
            }
        }
        Self {
            procs,
            children,
            by_tag,
            not_before: 0,
        }
    }

    /// Running processes tagged as belonging to process `name`.
    pub fn tagged_as<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a ProcInfo> + 'a {
        self.by_tag
            .get(name)
            .into_iter()
            .flatten()
            .map(|&i| &self.procs[i])
    }

    /// Running processes tagged with our session at all.
    pub fn tagged(&self) -> impl Iterator<Item = &ProcInfo> {
        self.procs.iter().filter(|p| p.running() && p.tagged.is_some())
    }

    /// Orphans re-parented to us (we are a subreaper) that left our session
    /// with `setsid`: descendants of some task that cleared their tag.
    /// (Children this process started itself, such as a file dialog, stay in
    /// our session and are not counted; nor is what started before this
    /// engine, or carries another session's tag: another engine's children
    /// in the same process, which are children of ours in other sessions
    /// too; nor a child this process had when its first engine started.)
    pub fn adopted_orphans(&self) -> impl Iterator<Item = &ProcInfo> {
        let me = std::process::id() as i32;
        // SAFETY: getsid(0) only reads our own session id.
        let my_sid = unsafe { libc::getsid(0) };
        self.children
            .get(&me)
            .into_iter()
            .flatten()
            .map(|&i| &self.procs[i])
            .filter(move |p| {
                p.running()
                    && p.sid != my_sid
                    && p.tagged.is_none()
                    && !p.foreign
                    && p.start >= self.not_before
                    && !preexisting(p)
            })
    }

    /// Running descendants of `root` by parent links.
    pub fn descendants(&self, root: i32) -> Vec<&ProcInfo> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(pid) = stack.pop() {
            for &i in self.children.get(&pid).into_iter().flatten() {
                if out.len() > 100_000 {
                    return out;
                }
                let k = &self.procs[i];
                stack.push(k.pid);
                if k.running() {
                    out.push(k);
                }
            }
        }
        out
    }
}

pub fn pidfd_open(pid: i32) -> std::io::Result<OwnedFd> {
    // SAFETY: pidfd_open returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Whether the process of `fd` is unreaped (running or a zombie): signal 0
/// through its pidfd, which a reused pid cannot fool.
pub fn pidfd_unreaped(fd: &OwnedFd) -> bool {
    pidfd_send(fd, 0).map_or_else(|e| e.raw_os_error() != Some(libc::ESRCH), |()| true)
}

pub fn pidfd_signal(fd: &OwnedFd, sig: Signal) -> std::io::Result<()> {
    pidfd_send(fd, sig as i32)
}

fn pidfd_send(fd: &OwnedFd, sig: i32) -> std::io::Result<()> {
    // SAFETY: pidfd_send_signal with a valid fd and no siginfo.
    let r = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            sig,
            std::ptr::null::<u8>(),
            0,
        )
    };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// Signals `pid` only if, once pinned by a pidfd, it still is the process
/// `is_ours` says it is. Returns whether the signal was sent.
pub fn signal_checked(pid: i32, sig: Signal, is_ours: impl Fn(i32) -> bool) -> bool {
    let Ok(fd) = pidfd_open(pid) else { return false };
    // The pidfd now refers to one process for good; if the pid was reused
    // before we opened it, the check below sees the stranger and refuses.
    if !is_ours(pid) {
        return false;
    }
    pidfd_signal(&fd, sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_spaces_and_parens_in_comm() {
        let s = "123 (my (odd) prog) S 1 123 123 0 -1 4194560 100";
        assert_eq!(parse_stat(s), Some(("my (odd) prog".into(), 'S', 1, 123, 123)));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn finds_a_tagged_child_and_descendants() {
        let mut child = std::process::Command::new("sleep")
            .arg("10")
            .env(SESSION_VAR, "test-token-xyz")
            .env(PROCESS_VAR, "napper")
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        // exec may not have happened yet: wait for the tag to be visible.
        let mut found = false;
        for _ in 0..200 {
            let snap = Snapshot::take("test-token-xyz", 0);
            if snap.tagged_as("napper").any(|p| p.pid == pid) {
                found = true;
                let me = std::process::id() as i32;
                let _ = me;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(found);
        assert_eq!(tag_of(pid, "other-token"), None);
        assert!(signal_checked(pid, Signal::SIGKILL, |p| tag_of(
            p,
            "test-token-xyz"
        )
        .is_some()));
        let _ = child.wait();
        assert!(
            !signal_checked(pid, Signal::SIGKILL, |_| true),
            "a reaped pid is not signalled"
        );
    }

    /// A child of this process in a session of its own, carrying `tag`
    /// (or none) as its `PROCTOR_SESSION`, once it has exec'd.
    fn child_in_own_session(tag: Option<&str>) -> std::process::Child {
        use std::os::unix::process::CommandExt;
        let mut c = std::process::Command::new("sleep");
        c.arg("30").env_remove(SESSION_VAR).env("PROCTOR_TEST_MARK", "1");
        if let Some(t) = tag {
            c.env(SESSION_VAR, t);
        }
        // SAFETY: setsid is async-signal-safe.
        unsafe {
            c.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut child = c.spawn().unwrap();
        let pid = child.id();
        for _ in 0..500 {
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            if env.windows(18).any(|w| w == b"PROCTOR_TEST_MARK=") {
                return child;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("sleep never exec'd");
    }

    #[test]
    fn another_sessions_children_and_older_processes_are_not_our_orphans() {
        let mut foreign = child_in_own_session(Some("another-engine-token"));
        let mut bare = child_in_own_session(None);
        let is_orphan =
            |snap: &Snapshot, c: &std::process::Child| snap.adopted_orphans().any(|p| p.pid == c.id() as i32);
        let snap = Snapshot::take("our-token", 0);
        assert!(
            !is_orphan(&snap, &foreign),
            "a child carrying another session's tag is that session's, not an orphan of ours"
        );
        assert!(
            is_orphan(&snap, &bare),
            "an untagged child in another session looks like one"
        );
        let later = super::thread_start_ticks() + 1_000_000;
        let snap = Snapshot::take("our-token", later);
        assert!(
            !is_orphan(&snap, &bare),
            "what started before the engine is not its orphan"
        );
        for c in [&mut foreign, &mut bare] {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}
