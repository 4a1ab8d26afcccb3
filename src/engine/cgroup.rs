//! cgroup v2 where the session may use it: one directory for the session
//! below Proctor's own cgroup, and one sub-cgroup per run of a task (and
//! of a persistent pool worker). A child is put into its run's cgroup
//! between clone and exec (see `spawn`), so everything it starts stays
//! there whatever it does (`setsid`, a cleared environment, a double
//! fork): `cgroup.procs` lists its whole tree without scanning `/proc`,
//! `cgroup.kill` ends it at once, and `cgroup.events` says when it is gone.
//!
//! The hierarchy is found from `/proc/self/mountinfo` and our own cgroup
//! from `/proc/self/cgroup`. Where there is no cgroup2 mount, or Proctor
//! may not create a directory below its cgroup, or `cgroup.kill` is
//! missing (Linux < 5.14), the session falls back to tagging (see `tree`).
//! `PROCTOR_CGROUP=off` forces the fallback.
//!
//! Spawn-mode pool workers, which start by the thousand, are not moved:
//! moving a process between cgroups costs a lock the whole system shares.

use std::io::{self, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

/// The variable that forces the fallback: `PROCTOR_CGROUP=off`.
pub const CGROUP_VAR: &str = "PROCTOR_CGROUP";

/// The mount point and mount root of the cgroup2 hierarchy in a
/// `/proc/self/mountinfo` text.
pub fn cgroup2_mount(mountinfo: &str) -> Option<(PathBuf, String)> {
    mountinfo.lines().find_map(|line| {
        let (left, right) = line.split_once(" - ")?;
        if right.split_whitespace().next()? != "cgroup2" {
            return None;
        }
        let mut f = left.split_whitespace();
        let root = f.nth(3)?;
        let mount = f.next()?;
        Some((PathBuf::from(unescape(mount)), unescape(root)))
    })
}

/// mountinfo escapes space, tab, newline and backslash as `\ooo`.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            let v = (b[i + 1] - b'0') as u32 * 64 + (b[i + 2] - b'0') as u32 * 8 + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The cgroup2 path (`0::/path`) in a `/proc/PID/cgroup` text.
pub fn own_cgroup(text: &str) -> Option<&str> {
    text.lines().find_map(|l| l.strip_prefix("0::"))
}

/// The directory of cgroup `path` under a mount of root `root` at `mount`;
/// None when the cgroup is outside what the mount shows.
pub fn cgroup_dir(mount: &Path, root: &str, path: &str) -> Option<PathBuf> {
    let rel = if root == "/" {
        path
    } else {
        path.strip_prefix(root)?
    };
    let rel = rel.trim_start_matches('/');
    if rel.split('/').any(|c| c == "..") {
        return None;
    }
    Some(if rel.is_empty() {
        mount.to_path_buf()
    } else {
        mount.join(rel)
    })
}

/// The session's cgroup directory and its runs.
#[derive(Debug)]
pub struct Cgroups {
    /// The session directory.
    dir: PathBuf,
    /// Its cgroup path as `/proc/PID/cgroup` shows it, with a trailing `/`.
    rel: String,
    next: u64,
}

/// A run's cgroup, made before its child is spawned.
pub struct RunCgroup {
    pub path: PathBuf,
    /// `cgroup.procs`, open for writing: the child writes `0` to it.
    pub procs: OwnedFd,
}

impl Cgroups {
    /// The session's cgroup, or why there is none.
    pub fn open(session: &str) -> Result<Cgroups, String> {
        if std::env::var(CGROUP_VAR).is_ok_and(|v| v == "off" || v == "0") {
            return Err(format!("{CGROUP_VAR}=off"));
        }
        let mountinfo = std::fs::read_to_string("/proc/self/mountinfo").map_err(|e| e.to_string())?;
        let (mount, root) = cgroup2_mount(&mountinfo).ok_or("no cgroup2 hierarchy is mounted")?;
        let mine = std::fs::read_to_string("/proc/self/cgroup").map_err(|e| e.to_string())?;
        let own = own_cgroup(&mine).ok_or("no cgroup2 line in /proc/self/cgroup")?;
        let base = cgroup_dir(&mount, &root, own).ok_or("our cgroup is not under the mount")?;
        let name = format!("proctor-{session}");
        let dir = base.join(&name);
        std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        if !dir.join("cgroup.kill").exists() {
            let _ = std::fs::remove_dir(&dir);
            return Err("no cgroup.kill (Linux 5.14 or later needed)".into());
        }
        let own = own.trim_end_matches('/');
        let rel = format!("{own}/{name}/");
        let mut cg = Cgroups { dir, rel, next: 0 };
        // Check that a process can be moved in: move a short-lived child.
        if let Err(e) = cg.probe() {
            cg.remove_all();
            return Err(e);
        }
        Ok(cg)
    }

    fn probe(&mut self) -> Result<(), String> {
        let run = self.new_run().map_err(|e| e.to_string())?;
        let mut child = std::process::Command::new("/bin/sh")
            .args(["-c", "read -r x"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .env_remove(super::tree::SESSION_VAR)
            .spawn()
            .map_err(|e| e.to_string())?;
        let moved = std::fs::write(run.path.join("cgroup.procs"), child.id().to_string());
        drop(child.stdin.take());
        let _ = child.wait();
        let _ = std::fs::remove_dir(&run.path);
        moved.map_err(|e| format!("cannot move a process into {}: {e}", run.path.display()))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new, empty cgroup for one run.
    pub fn new_run(&mut self) -> io::Result<RunCgroup> {
        self.next += 1;
        let path = self.dir.join(self.next.to_string());
        std::fs::create_dir(&path)?;
        let procs = std::fs::OpenOptions::new()
            .write(true)
            .open(path.join("cgroup.procs"))
            .inspect_err(|_| {
                let _ = std::fs::remove_dir(&path);
            })?;
        Ok(RunCgroup {
            path,
            procs: procs.into(),
        })
    }

    /// Whether `pid` is in this session's cgroup (any run).
    pub fn contains(&self, pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .ok()
            .is_some_and(|t| own_cgroup(&t).is_some_and(|p| p.starts_with(&self.rel)))
    }

    /// Whether `pid` is in cgroup `path` (or below it).
    pub fn is_in(&self, pid: i32, path: &Path) -> bool {
        let Ok(sub) = path.strip_prefix(&self.dir) else {
            return false;
        };
        let want = format!("{}{}", self.rel, sub.display());
        std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .ok()
            .is_some_and(|t| own_cgroup(&t).is_some_and(|p| p == want || p.starts_with(&format!("{want}/"))))
    }

    /// Kills everything in the session's cgroup.
    pub fn kill_session(&self) -> io::Result<()> {
        kill(&self.dir)
    }

    /// Removes every run's cgroup that is empty, then the session's.
    pub fn remove_all(&mut self) {
        if let Ok(dir) = std::fs::read_dir(&self.dir) {
            for e in dir.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    remove_tree(&e.path());
                }
            }
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Every pid in cgroup `path` and the cgroups below it.
pub fn pids(path: &Path) -> Vec<i32> {
    let mut out: Vec<i32> = std::fs::read_to_string(path.join("cgroup.procs"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    if let Ok(dir) = std::fs::read_dir(path) {
        for e in dir.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.extend(pids(&e.path()));
            }
        }
    }
    out
}

/// SIGKILL to every process of cgroup `path` and below, at once.
pub fn kill(path: &Path) -> io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path.join("cgroup.kill"))?
        .write_all(b"1")
}

/// Whether any process is left in cgroup `path` or below.
pub fn populated(path: &Path) -> bool {
    std::fs::read_to_string(path.join("cgroup.events"))
        .map(|t| t.lines().any(|l| l == "populated 1"))
        .unwrap_or(false)
}

/// Removes cgroup `path` and the (empty) cgroups below it.
pub fn remove_tree(path: &Path) {
    if let Ok(dir) = std::fs::read_dir(path) {
        for e in dir.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                remove_tree(&e.path());
            }
        }
    }
    let _ = std::fs::remove_dir(path);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_cgroup2_mount_in_mountinfo() {
        let text = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n\
                    32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n\
                    41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
        assert_eq!(
            cgroup2_mount(text),
            Some((PathBuf::from("/sys/fs/cgroup/unified"), "/".into()))
        );
        let odd = "41 31 0:38 /a /mnt/my\\040cg rw shared:5 - cgroup2 none rw\n";
        assert_eq!(
            cgroup2_mount(odd),
            Some((PathBuf::from("/mnt/my cg"), "/a".into()))
        );
        assert_eq!(cgroup2_mount("31 23 0:28 / /x rw - tmpfs tmpfs rw\n"), None);
    }

    #[test]
    fn reads_our_cgroup_and_joins_it_to_the_mount() {
        let text = "4:memory:/x\n0::/user.slice/app.scope\n";
        assert_eq!(own_cgroup(text), Some("/user.slice/app.scope"));
        assert_eq!(own_cgroup("4:memory:/x\n"), None);
        let m = Path::new("/sys/fs/cgroup");
        assert_eq!(
            cgroup_dir(m, "/", "/user.slice/app.scope"),
            Some(PathBuf::from("/sys/fs/cgroup/user.slice/app.scope"))
        );
        assert_eq!(cgroup_dir(m, "/", "/"), Some(PathBuf::from("/sys/fs/cgroup")));
        assert_eq!(
            cgroup_dir(m, "/a", "/a/b"),
            Some(PathBuf::from("/sys/fs/cgroup/b"))
        );
        assert_eq!(cgroup_dir(m, "/a", "/c"), None);
        assert_eq!(cgroup_dir(m, "/", "/../etc"), None);
    }
}
