//! A child's own peak memory.
//!
//! `wait4`'s `ru_maxrss` cannot be used: a child is cloned with `CLONE_VM`
//! (see `spawn`), and `execve` carries the high-water mark of the memory it
//! leaves (Proctor's own) into the figure. The new program's own mark is
//! `VmHWM` in `/proc/PID/status`, which is gone once the child has exited.
//! So the supervisor samples it, about once a second, in one pass over its
//! live children, keeps the highest value seen per pid, and reports that
//! at the exit. A process that ended before any sample has no known peak.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How often live children are sampled.
pub const EVERY: Duration = Duration::from_secs(1);
/// At most this many `/proc` reads per pass (about 10 µs each): with more
/// live children, a pass continues where the last one stopped.
const PER_PASS: usize = 1024;

/// `VmHWM` (kB) of a live process, from the text of `/proc/PID/status`.
pub fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().strip_suffix("kB"))
        .and_then(|v| v.trim().parse().ok())
}

fn vm_hwm(pid: i32) -> Option<u64> {
    parse_vm_hwm(&std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?)
}

/// The highest `VmHWM` seen for each live child.
pub(super) struct Peaks {
    by_pid: HashMap<i32, u64>,
    next: Instant,
    /// Where the next pass starts, when one pass could not take them all.
    cursor: usize,
    /// The last pass found no live child (and none started since): no
    /// pass is due until one starts.
    idle: bool,
}

impl Default for Peaks {
    fn default() -> Self {
        Self {
            by_pid: HashMap::new(),
            next: Instant::now() + EVERY,
            cursor: 0,
            idle: true,
        }
    }
}

impl Peaks {
    /// When the next pass is due, if one is (some child may be alive).
    pub fn next_at(&self) -> Option<Instant> {
        (!self.idle).then_some(self.next)
    }

    /// A child was started: passes are due again.
    pub fn spawned(&mut self) {
        if self.idle {
            self.idle = false;
            self.next = Instant::now() + EVERY;
        }
    }

    /// One pass over `live` (the pids of live children) if it is due.
    pub fn sample_if_due(&mut self, live: impl FnOnce() -> Vec<i32>) {
        let now = Instant::now();
        if self.idle || now < self.next {
            return;
        }
        self.next = now + EVERY;
        let pids = live();
        if pids.is_empty() {
            self.by_pid.clear();
            self.cursor = 0;
            self.idle = true;
            return;
        }
        let start = if self.cursor < pids.len() { self.cursor } else { 0 };
        let n = pids.len().min(PER_PASS);
        for i in 0..n {
            let pid = pids[(start + i) % pids.len()];
            if let Some(kb) = vm_hwm(pid) {
                let peak = self.by_pid.entry(pid).or_insert(0);
                *peak = (*peak).max(kb);
            }
        }
        self.cursor = (start + n) % pids.len();
        if self.by_pid.len() > pids.len() {
            // Pids that ended without being taken (should not happen).
            let live: std::collections::HashSet<i32> = pids.into_iter().collect();
            self.by_pid.retain(|pid, _| live.contains(pid));
        }
    }

    /// The peak of `pid`, which has exited (`None`: never sampled).
    pub fn take(&mut self, pid: i32) -> Option<u64> {
        self.by_pid.remove(&pid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_hwm_is_read_from_status_text() {
        let text = "Name:\tsleep\nVmPeak:\t  8000 kB\nVmHWM:\t    1234 kB\nVmRSS:\t  1000 kB\n";
        assert_eq!(parse_vm_hwm(text), Some(1234));
        // A zombie's status has no memory lines.
        assert_eq!(parse_vm_hwm("Name:\tx\nState:\tZ (zombie)\n"), None);
        assert_eq!(parse_vm_hwm("VmHWM:\tlots kB\n"), None);
    }

    #[test]
    fn the_highest_sample_is_kept_and_taken_once() {
        let me = std::process::id() as i32;
        let mut p = Peaks::default();
        p.spawned();
        p.next = Instant::now();
        p.by_pid.insert(me, u64::MAX);
        p.sample_if_due(|| vec![me]);
        assert_eq!(p.take(me), Some(u64::MAX));
        assert_eq!(p.take(me), None);
        p.next = Instant::now();
        p.sample_if_due(|| vec![me]);
        assert!(p.take(me).is_some_and(|kb| kb > 0));
        // Not due again for a second.
        p.sample_if_due(|| panic!("not due"));
        // No live child: idle until one starts.
        p.next = Instant::now();
        p.sample_if_due(Vec::new);
        assert_eq!(p.next_at(), None);
        p.spawned();
        assert!(p.next_at().is_some());
    }
}
