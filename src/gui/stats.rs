//! CPU and memory of live children, from sysinfo, sampled about once a
//! second on a helper thread so the UI never waits on /proc.
//!
//! The app hands over the pids that are alive; only those are refreshed.
//! With no live pid the thread only looks at Proctor's own memory, every few
//! seconds, and never wakes the UI. sysinfo reports a new child's CPU as 0
//! until it has been seen a few times; that is expected.

use crossbeam_channel::{unbounded, RecvTimeoutError, Sender};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use sysinfo::{Pid, ProcessRefreshKind, ProcessesToUpdate, System};

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PidStat {
    /// Percent of one CPU (may exceed 100 for multi-threaded programs).
    pub cpu: f32,
    /// Resident memory in bytes.
    pub rss: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Sample {
    pub per_pid: HashMap<u32, PidStat>,
    /// Proctor's own resident memory in bytes.
    pub own_rss: u64,
    /// Counts the samples taken (0: none yet), so that a view can tell a
    /// new sample from the one it built with.
    pub seq: u64,
}

pub struct Stats {
    shared: Arc<Mutex<Arc<Sample>>>,
    pids: Option<Sender<Vec<u32>>>,
    last_sent: Vec<u32>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const PERIOD: Duration = Duration::from_secs(1);
const IDLE_PERIOD: Duration = Duration::from_secs(5);

impl Stats {
    pub fn start() -> Self {
        let shared = Arc::new(Mutex::new(Arc::new(Sample::default())));
        let (tx, rx) = unbounded::<Vec<u32>>();
        let out = shared.clone();
        let thread = std::thread::Builder::new()
            .name("proctor-stats".into())
            .spawn(move || {
                let Ok(mut sys) = System::new() else { return };
                let own = sysinfo::get_current_pid().ok();
                let mut pids: Vec<u32> = Vec::new();
                loop {
                    sample(&mut sys, own, &pids, &out);
                    let wait = if pids.is_empty() { IDLE_PERIOD } else { PERIOD };
                    match rx.recv_timeout(wait) {
                        Ok(mut p) => {
                            // Only the newest list matters.
                            while let Ok(newer) = rx.try_recv() {
                                p = newer;
                            }
                            pids = p;
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            })
            .ok();
        Self {
            shared,
            pids: Some(tx),
            last_sent: Vec::new(),
            thread,
        }
    }

    /// Tells the sampler which pids are alive (sent only when it changes).
    pub fn set_pids(&mut self, mut pids: Vec<u32>) {
        pids.sort_unstable();
        if pids != self.last_sent {
            if let Some(tx) = &self.pids {
                let _ = tx.send(pids.clone());
            }
            self.last_sent = pids;
        }
    }

    /// The latest sample (shared, not copied: a frame takes it whole).
    pub fn snapshot(&self) -> Arc<Sample> {
        self.shared.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for Stats {
    fn drop(&mut self) {
        self.pids = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn sample(sys: &mut System, own: Option<Pid>, pids: &[u32], out: &Mutex<Arc<Sample>>) {
    let mut list: Vec<Pid> = pids.iter().map(|&p| Pid::from_u32(p)).collect();
    list.extend(own);
    sys.refresh_processes_specifics(
        ProcessesToUpdate::Some(&list),
        true,
        ProcessRefreshKind::nothing().with_cpu().with_memory(),
    );
    let mut per_pid = HashMap::with_capacity(pids.len());
    for &p in pids {
        if let Some(proc_) = sys.process(Pid::from_u32(p)) {
            per_pid.insert(
                p,
                PidStat {
                    cpu: proc_.cpu_usage(),
                    rss: proc_.memory(),
                },
            );
        }
    }
    let own_rss = own.and_then(|p| sys.process(p)).map(|p| p.memory()).unwrap_or(0);
    if let Ok(mut s) = out.lock() {
        *s = Arc::new(Sample {
            per_pid,
            own_rss,
            seq: s.seq + 1,
        });
    }
}
