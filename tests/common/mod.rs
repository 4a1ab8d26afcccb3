//! Helpers shared by the integration tests: a real engine, real processes,
//! and waiting for conditions with a generous timeout (never a fixed sleep
//! that a test depends on).
#![allow(dead_code)]

use proctor::engine::{Command, Engine, EngineConfig};
use proctor::event::{Event, EventKind};
use proctor::session::{PoolSpec, RunSpec, TaskSpec, Workers};
use std::time::{Duration, Instant};

pub const TIMEOUT: Duration = Duration::from_secs(180);

pub struct Run {
    pub engine: Engine,
    pub events: Vec<Event>,
}

impl Run {
    pub fn new() -> Self {
        Self {
            engine: Engine::start(EngineConfig::default()).expect("engine starts"),
            events: Vec::new(),
        }
    }

    /// With the tag scan off: Proctor tracks its own descendants only
    /// (what the remote tests need, see `EngineConfig::tag_scan`).
    pub fn own_descendants_only() -> Self {
        Self {
            engine: Engine::start(EngineConfig {
                tag_scan: false,
                ..Default::default()
            })
            .expect("engine starts"),
            events: Vec::new(),
        }
    }

    /// The tables as the events so far fold into.
    pub fn model(&self) -> proctor::model::SessionModel {
        let mut m = proctor::model::SessionModel::default();
        for e in &self.events {
            m.apply(e);
        }
        m
    }

    pub fn send(&self, c: Command) {
        self.engine.send(c).expect("engine accepts commands");
    }

    pub fn start(&self, task: TaskSpec) {
        self.send(Command::Start { task });
    }

    /// Receives more events (everything queued, waiting a little if none).
    fn receive(&mut self, what: &str, deadline: Instant) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "timed out waiting for {what}; last events:\n{}",
            self.dump()
        );
        if let Ok(e) = self
            .engine
            .events()
            .recv_timeout(left.min(Duration::from_millis(200)))
        {
            // A line per event: lines read together are one event.
            e.for_each_line(|l| self.events.push(l));
        }
        while let Ok(e) = self.engine.events().try_recv() {
            e.for_each_line(|l| self.events.push(l));
        }
    }

    /// Receives whatever is queued now (waiting a little if nothing is).
    pub fn drain(&mut self) {
        self.receive("more events", Instant::now() + TIMEOUT);
    }

    /// Receives events until `pred` holds for the collected events.
    pub fn until(&mut self, what: &str, pred: impl Fn(&[Event]) -> bool) {
        let deadline = Instant::now() + TIMEOUT;
        while !pred(&self.events) {
            self.receive(what, deadline);
        }
    }

    /// The first event (already received or still to come) that matches.
    pub fn wait_event(&mut self, what: &str, pred: impl Fn(&Event) -> bool) -> Event {
        let deadline = Instant::now() + TIMEOUT;
        let mut from = 0;
        loop {
            if let Some(e) = self.events[from..].iter().find(|e| pred(e)) {
                return e.clone();
            }
            from = self.events.len();
            self.receive(what, deadline);
        }
    }

    /// Waits for `exited` (or `spawn_failed`) of `name`; returns its exit code.
    pub fn wait_exit(&mut self, name: &str) -> Option<i32> {
        let e = self.wait_event(&format!("{name} to end"), |e| {
            e.process.as_deref() == Some(name) && ends(e)
        });
        match e.kind {
            EventKind::Exited { exit_code, .. } => Some(exit_code),
            _ => None,
        }
    }

    pub fn wait_kind(&mut self, name: &str, kind: &str) -> Event {
        self.wait_event(&format!("{kind} of {name}"), |e| {
            e.process.as_deref() == Some(name) && e.kind.name() == kind
        })
    }

    pub fn pid_of(&mut self, name: &str) -> i32 {
        self.wait_kind(name, "spawned").pid.expect("spawned has a pid") as i32
    }

    pub fn of(&self, name: &str, kind: &str) -> Vec<&Event> {
        self.events
            .iter()
            .filter(|e| e.process.as_deref() == Some(name) && e.kind.name() == kind)
            .collect()
    }

    pub fn lines(&self, name: &str, kind: &str) -> Vec<String> {
        self.of(name, kind)
            .into_iter()
            .filter_map(|e| match &e.kind {
                EventKind::Stdout { line, .. } | EventKind::Stderr { line, .. } => Some(line.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn dump(&self) -> String {
        // Resource samples (one a second) would push out what matters.
        let told: Vec<&Event> = self
            .events
            .iter()
            .filter(|e| e.kind.name() != "samples")
            .collect();
        let n = told.len();
        told[n.saturating_sub(60)..]
            .iter()
            .map(|e| e.text_line())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Shuts down and returns every event, the last `session_ended`.
    pub fn finish(mut self) -> Vec<Event> {
        let mut rest = Vec::new();
        self.engine.shutdown(|e| e.for_each_line(|l| rest.push(l)));
        self.events.extend(rest);
        self.events
    }
}

pub fn ends(e: &Event) -> bool {
    matches!(
        e.kind,
        EventKind::Exited { restart_in: None, .. } | EventKind::SpawnFailed { .. }
    )
}

pub fn sh(name: &str, script: &str) -> TaskSpec {
    TaskSpec::new(name, RunSpec::Args(vec!["sh".into(), "-c".into(), script.into()]))
}

pub fn pool(name: &str, workers: usize, run: &[&str], inputs: Vec<String>) -> PoolSpec {
    let mut p = PoolSpec::new(
        name,
        RunSpec::Args(run.iter().map(|s| s.to_string()).collect()),
        inputs,
    );
    p.workers = Workers::new(workers as u64).expect("1 to 4096 workers");
    p
}

/// Whether a process exists (zombies count as existing).
pub fn exists(pid: i32) -> bool {
    // SAFETY: signal 0 only checks for existence.
    unsafe { libc::kill(pid, 0) == 0 }
}

/// Whether a pid is gone or a zombie (it no longer runs).
pub fn gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(s) => s
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

pub fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + TIMEOUT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Pids of zombie children of `parent`.
pub fn zombie_children(parent: u32) -> Vec<i32> {
    let mut out = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for entry in dir.flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
                continue;
            };
            let Some(rest) = stat.rsplit(')').next() else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.len() > 2 && fields[0] == "Z" && fields[1] == parent.to_string() {
                out.push(pid);
            }
        }
    }
    out
}

/// The pids a process printed as `pid N` lines.
pub fn stdout_pids(run: &Run, name: &str) -> Vec<i32> {
    run.lines(name, "stdout")
        .iter()
        .filter_map(|l| l.strip_prefix("pid "))
        .map(|p| p.trim().parse().unwrap())
        .collect()
}

/// Waits for `n` `pid N` lines of `name`; returns the pids printed.
pub fn wait_lines(run: &mut Run, name: &str, n: usize) -> Vec<i32> {
    run.until(&format!("{n} pid lines of {name}"), |evs| {
        evs.iter()
            .filter(|e| e.process.as_deref() == Some(name))
            .filter(|e| matches!(&e.kind, EventKind::Stdout { line, .. } if line.starts_with("pid ")))
            .count()
            >= n
    });
    stdout_pids(run, name)
}

/// Waits until `pid` runs `sleep` in a session of its own, a child of
/// `parent` (an orphan adopted by a subreaper).
pub fn wait_adopted(pid: i32, parent: i32) {
    wait_for("the orphan to be adopted", || {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        proctor::engine::tree::parse_stat(&stat)
            .is_some_and(|(comm, _, ppid, _, sid)| comm == "sleep" && ppid == parent && sid == pid)
    });
}
