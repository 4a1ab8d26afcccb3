//! CPU and memory of every live child over time.
//!
//! One pass over the live leaders, on the supervisor's own tick (the one
//! that samples peak memory, about once a second while any child lives; no
//! thread of its own, none per process). Each pass reads `/proc/PID/stat`
//! once per child and becomes one `samples` event holding every live
//! process: `[pid, cpu %, rss kB]`. CPU is the change of `utime + stime`
//! since the last pass; a child seen for the first time gets its average
//! since it started, so a new child's CPU is not shown as 0.
//!
//! The same pass adds up each leader's whole tree: its descendants, the
//! ones that left its group or session too (found through the run's
//! cgroup, or one look at `/proc` by parent link and tag for all leaders
//! without one), as `trees`: `[pid, cpu %, rss kB, processes]`, only for
//! trees of more than the leader.

use super::tree::Snapshot;
use crate::event::{ProcSample, TreeSample};
use std::collections::{HashMap, HashSet};
use std::time::Instant;

/// What `/proc/PID/stat` says of one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatFigures {
    /// `utime + stime`, in clock ticks.
    pub cpu_ticks: u64,
    /// Start time, in clock ticks since boot.
    pub start: u64,
    /// Resident set size, in pages.
    pub rss_pages: u64,
}

/// Parses the figures out of the text of `/proc/PID/stat`.
pub fn parse_stat_figures(text: &str) -> Option<StatFigures> {
    let close = text.rfind(')')?;
    // The text after `)` starts at field 3 (state).
    let f: Vec<&str> = text.get(close + 1..)?.split_whitespace().take(22).collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok());
    Some(StatFigures {
        cpu_ticks: num(11)?.saturating_add(num(12)?),
        start: num(19)?,
        rss_pages: num(21)?,
    })
}

/// Percent of one CPU used over `secs` seconds by `ticks` clock ticks.
pub fn cpu_percent(ticks: u64, hz: f64, secs: f64) -> f32 {
    if secs <= 0.0 || hz <= 0.0 || !secs.is_finite() {
        return 0.0;
    }
    let p = ticks as f64 / hz / secs * 100.0;
    // One decimal is enough and keeps the records short.
    ((p * 10.0).round() / 10.0).clamp(0.0, 1e6) as f32
}

pub(super) struct Sampler {
    /// Each pid's (start, cpu ticks) at the last pass.
    prev: HashMap<i32, (u64, u64)>,
    last: Option<Instant>,
    hz: f64,
    page_kb: u64,
}

impl Default for Sampler {
    fn default() -> Self {
        // SAFETY: sysconf only reads system constants.
        let (hz, page) = unsafe {
            (
                libc::sysconf(libc::_SC_CLK_TCK),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        Self {
            prev: HashMap::new(),
            last: None,
            hz: if hz > 0 { hz as f64 } else { 100.0 },
            page_kb: if page > 0 { page as u64 / 1024 } else { 4 },
        }
    }
}

/// Seconds since boot (`/proc/uptime`).
fn uptime() -> Option<f64> {
    std::fs::read_to_string("/proc/uptime")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A leader and the other processes of its tree (see `tree_members`).
pub(super) type TreeOf = (i32, Vec<i32>);

impl Sampler {
    /// The figures of one process: (cpu %, rss kB), remembered in `seen`
    /// for the next pass.
    fn figures(
        &self,
        pid: i32,
        up: Option<f64>,
        since: Option<f64>,
        seen: &mut HashMap<i32, (u64, u64)>,
    ) -> Option<(f32, u64)> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let s = parse_stat_figures(&text)?;
        let cpu = match (self.prev.get(&pid), since) {
            (Some(&(start, ticks)), Some(secs)) if start == s.start => {
                cpu_percent(s.cpu_ticks.saturating_sub(ticks), self.hz, secs)
            }
            // First seen: its average since it started.
            _ => match up {
                Some(up) => {
                    let age = (up - s.start as f64 / self.hz).max(0.01);
                    cpu_percent(s.cpu_ticks, self.hz, age)
                }
                None => 0.0,
            },
        };
        seen.insert(pid, (s.start, s.cpu_ticks));
        Some((cpu, s.rss_pages.saturating_mul(self.page_kb)))
    }

    /// One pass over the live leaders and their trees: a record per leader
    /// that could be read, and the added-up figures of each tree of more
    /// than its leader.
    pub fn sample(&mut self, trees: &[TreeOf]) -> (Vec<ProcSample>, Vec<TreeSample>) {
        let now = Instant::now();
        let since = self.last.map(|t| now.duration_since(t).as_secs_f64());
        self.last = Some(now);
        let up = uptime();
        let mut out = Vec::with_capacity(trees.len());
        let mut sums = Vec::new();
        let mut seen = HashMap::with_capacity(trees.len());
        for (pid, members) in trees {
            let Some((cpu, rss)) = self.figures(*pid, up, since, &mut seen) else {
                continue;
            };
            out.push(ProcSample(*pid as u32, cpu, rss));
            let (mut tcpu, mut trss, mut n) = (cpu, rss, 1u32);
            for &m in members.iter().filter(|&&m| m != *pid) {
                if let Some((c, r)) = self.figures(m, up, since, &mut seen) {
                    tcpu += c;
                    trss = trss.saturating_add(r);
                    n = n.saturating_add(1);
                }
            }
            if n > 1 {
                sums.push(TreeSample(*pid as u32, (tcpu * 10.0).round() / 10.0, trss, n));
            }
        }
        self.prev = seen;
        (out, sums)
    }
}

impl super::supervisor::Supervisor {
    /// The other processes of each live leader's tree `(pid, name)`: its
    /// run's cgroup where it has one, else its descendants by parent link
    /// and the processes tagged with its name (wherever they went) with
    /// theirs, from one look at `/proc` for all of them.
    pub(super) fn tree_members(&mut self, leaders: &[(i32, String)]) -> Vec<TreeOf> {
        let mut out: Vec<TreeOf> = Vec::with_capacity(leaders.len());
        let mut without = Vec::new();
        for (i, (pid, name)) in leaders.iter().enumerate() {
            match self.run_cgroup_of(name) {
                Some(path) => out.push((*pid, super::cgroup::pids(&path))),
                None => {
                    out.push((*pid, Vec::new()));
                    without.push(i);
                }
            }
        }
        if !without.is_empty() {
            let snap = self.fresh_snapshot();
            for i in without {
                let (pid, name) = &leaders[i];
                out[i].1 = members(snap, *pid, name);
            }
        }
        out
    }

    /// One `samples` event for the live leaders `(pid, name)` and their
    /// trees (none if no one could be read).
    pub(super) fn emit_samples(&mut self, leaders: &[(i32, String)]) {
        let trees = self.tree_members(leaders);
        let (procs, trees) = self.sampler.sample(&trees);
        if !procs.is_empty() {
            self.emit(crate::event::Event::now(crate::event::EventKind::Samples {
                procs,
                trees,
            }));
        }
    }
}

/// The tree of `name` led by `leader` in `snap`, but the leader: its
/// descendants, and the processes tagged with its name with theirs.
pub(super) fn members(snap: &Snapshot, leader: i32, name: &str) -> Vec<i32> {
    let mut set: HashSet<i32> = snap.descendants(leader).iter().map(|p| p.pid).collect();
    for p in snap.tagged_as(name) {
        if p.pid != leader && set.insert(p.pid) {
            set.extend(snap.descendants(p.pid).iter().map(|d| d.pid));
        }
    }
    set.remove(&leader);
    let mut v: Vec<i32> = set.into_iter().collect();
    v.sort_unstable();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_read_from_stat_text() {
        // Fields 14, 15 (utime, stime), 22 (start) and 24 (rss).
        let s = "42 (a (b) c) R 1 42 42 0 -1 0 0 0 0 0 150 50 7 7 20 0 1 0 9000 1000000 256 x";
        assert_eq!(
            parse_stat_figures(s),
            Some(StatFigures {
                cpu_ticks: 200,
                start: 9000,
                rss_pages: 256
            })
        );
        assert_eq!(parse_stat_figures("42 (x) R 1 2"), None);
        assert_eq!(parse_stat_figures(""), None);
    }

    #[test]
    fn cpu_percent_is_ticks_over_time_and_never_nonsense() {
        assert_eq!(cpu_percent(100, 100.0, 1.0), 100.0);
        assert_eq!(cpu_percent(50, 100.0, 2.0), 25.0);
        assert_eq!(cpu_percent(5, 100.0, 0.0), 0.0);
        assert_eq!(cpu_percent(5, 100.0, f64::NAN), 0.0);
        assert_eq!(cpu_percent(u64::MAX, 100.0, 1e-300), 1e6);
    }

    #[test]
    fn a_busy_process_is_sampled_with_its_cpu_and_memory() {
        let mut child = std::process::Command::new("sh")
            .args(["-c", "while :; do :; done"])
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        let mut s = Sampler::default();
        std::thread::sleep(std::time::Duration::from_millis(300));
        let first = s.sample(&[(pid, vec![]), (-5, vec![])]).0;
        std::thread::sleep(std::time::Duration::from_millis(500));
        let second = s.sample(&[(pid, vec![])]).0;
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(first.len(), 1, "the bad pid is skipped");
        // More than next to nothing (the loop shares two cores with
        // whatever else runs).
        assert!(first[0].1 > 1.0, "average since start: {:?}", first[0]);
        assert!(second[0].1 > 1.0, "a busy loop: {:?}", second[0]);
        assert!(second[0].2 > 100, "some memory: {:?}", second[0]);
    }
}
