//! A process's tree, live: every descendant (pid, command, state, CPU,
//! memory), the ones that left its group or session included, with
//! Terminate and Kill for one branch. A helper thread looks at `/proc` about
//! once a second, once for all the trees watched (the expanded rows of the
//! process table, the Timeline's selected process) and not at all while
//! none is; the UI never waits on it. The stop itself is a command to the
//! engine (`StopBranch`).

use super::intent::Intent;
use super::theme::format_bytes;
use crate::engine::branch::{tree_of, TreeNode};
use crate::engine::sampler::{cpu_percent, parse_stat_figures};
use crate::engine::tree::Snapshot;
use crate::engine::{Command, StopHow};
use crossbeam_channel::{unbounded, RecvTimeoutError, Sender};
use egui::{RichText, Ui};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One process of the tree with its figures.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeRow {
    pub node: TreeNode,
    pub command: String,
    pub cpu: f32,
    pub rss_kb: u64,
}

/// What the window shows: the process and its leader's pid.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub name: String,
    pub leader: Option<i32>,
}

/// The latest look at each watched tree, by process name.
type Shared = Arc<Mutex<HashMap<String, (Target, Vec<NodeRow>)>>>;

pub struct TreeWatch {
    targets: Vec<Target>,
    tx: Sender<Vec<Target>>,
    shared: Shared,
}

fn cmdline(pid: i32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let parts: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// What the helper thread keeps between looks: each process's CPU ticks.
struct Looker {
    hz: f64,
    page_kb: u64,
    prev: HashMap<(i32, u64), (u64, Instant)>,
}

impl Looker {
    fn new() -> Self {
        // SAFETY: sysconf only reads system constants.
        let (hz, page) = unsafe {
            (
                libc::sysconf(libc::_SC_CLK_TCK),
                libc::sysconf(libc::_SC_PAGESIZE),
            )
        };
        Self {
            hz: if hz > 0 { hz as f64 } else { 100.0 },
            page_kb: if page > 0 { page as u64 / 1024 } else { 4 },
            prev: HashMap::new(),
        }
    }

    /// Every watched tree from one snapshot of `/proc`.
    fn look(
        &mut self,
        session: &str,
        not_before: u64,
        targets: &[Target],
    ) -> HashMap<String, (Target, Vec<NodeRow>)> {
        let snap = Snapshot::take(session, not_before);
        let mut seen = HashMap::new();
        let mut out = HashMap::new();
        for t in targets {
            let rows: Vec<NodeRow> = tree_of(&snap, t.leader, &t.name)
                .into_iter()
                .map(|node| self.row(node, &mut seen))
                .collect();
            out.insert(t.name.clone(), (t.clone(), rows));
        }
        self.prev = seen;
        out
    }

    fn row(&self, node: TreeNode, seen: &mut HashMap<(i32, u64), (u64, Instant)>) -> NodeRow {
        let figs = std::fs::read_to_string(format!("/proc/{}/stat", node.pid))
            .ok()
            .and_then(|s| parse_stat_figures(&s));
        let now = Instant::now();
        let (cpu, rss_kb) = match figs {
            Some(f) => {
                let key = (node.pid, f.start);
                seen.insert(key, (f.cpu_ticks, now));
                let cpu = self.prev.get(&key).map_or(0.0, |&(ticks, at)| {
                    cpu_percent(
                        f.cpu_ticks.saturating_sub(ticks),
                        self.hz,
                        now.duration_since(at).as_secs_f64(),
                    )
                });
                (cpu, f.rss_pages.saturating_mul(self.page_kb))
            }
            None => (0.0, 0),
        };
        let command = cmdline(node.pid).unwrap_or_else(|| node.comm.clone());
        NodeRow {
            node,
            command,
            cpu,
            rss_kb,
        }
    }
}

impl TreeWatch {
    /// Starts the helper thread for the session tagged `session`. It looks
    /// at `/proc` about once a second, and only while some tree is
    /// watched (an expanded row, or the Timeline's selected process).
    pub fn start(session: String, repaint: Option<egui::Context>) -> Self {
        let (tx, rx) = unbounded::<Vec<Target>>();
        let shared: Shared = Arc::default();
        let out = shared.clone();
        let not_before = crate::engine::tree::thread_start_ticks().saturating_sub(2);
        let _ = std::thread::Builder::new()
            .name("proctor-tree".into())
            .spawn(move || {
                let mut looker = Looker::new();
                let mut targets: Vec<Target> = Vec::new();
                loop {
                    if !targets.is_empty() {
                        let trees = looker.look(&session, not_before, &targets);
                        if let Ok(mut s) = out.lock() {
                            *s = trees;
                        }
                        if let Some(c) = &repaint {
                            c.request_repaint();
                        }
                    }
                    let wait = if targets.is_empty() {
                        Duration::from_secs(3600)
                    } else {
                        Duration::from_secs(1)
                    };
                    match rx.recv_timeout(wait) {
                        Ok(mut t) => {
                            // Only the newest list matters.
                            while let Ok(newer) = rx.try_recv() {
                                t = newer;
                            }
                            targets = t;
                        }
                        Err(RecvTimeoutError::Timeout) => {}
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            });
        Self {
            targets: Vec::new(),
            tx,
            shared,
        }
    }

    /// Watch these processes' trees (none: the helper sleeps).
    pub fn watch(&mut self, mut targets: Vec<Target>) {
        targets.sort_by(|a, b| a.name.cmp(&b.name));
        targets.dedup_by(|a, b| a.name == b.name);
        if targets != self.targets {
            self.targets = targets.clone();
            if let Ok(mut s) = self.shared.lock() {
                s.retain(|name, (t, _)| targets.iter().any(|x| x == t && &x.name == name));
            }
            let _ = self.tx.send(targets);
        }
    }

    /// The latest look at the watched tree of process `name` (empty until
    /// the first look, or when it is not watched).
    pub fn rows(&self, name: &str) -> Vec<NodeRow> {
        let Some(want) = self.targets.iter().find(|t| t.name == name) else {
            return Vec::new();
        };
        match self.shared.lock() {
            Ok(s) => match s.get(name) {
                Some((t, rows)) if t == want => rows.clone(),
                _ => Vec::new(),
            },
            Err(_) => Vec::new(),
        }
    }
}

pub(super) fn state_text(c: char) -> &'static str {
    match c {
        'R' => "running",
        'S' | 'D' | 'I' => "sleeping",
        'T' | 't' => "stopped",
        'Z' => "zombie",
        _ => "other",
    }
}

/// The tree as a table with a Terminate and a Kill per branch.
pub fn tree_ui(ui: &mut Ui, name: &str, rows: &[NodeRow], read_only: bool) -> Vec<Intent> {
    let mut out = Vec::new();
    if rows.is_empty() {
        ui.label(format!(
            "No live process of `{name}` (yet): the tree shows while it runs."
        ));
        return out;
    }
    ui.label(
        RichText::new(format!(
            "{} process{} · \u{21b3} left the group · \u{2197} left the session · \u{2205} re-parented",
            rows.len(),
            if rows.len() == 1 { "" } else { "es" }
        ))
        .small()
        .weak(),
    );
    egui::ScrollArea::horizontal()
        .id_salt(("tree-scroll", name))
        .show(ui, |ui| grid(ui, name, rows, read_only, &mut out));
    out
}

fn grid(ui: &mut Ui, name: &str, rows: &[NodeRow], read_only: bool, out: &mut Vec<Intent>) {
    egui::Grid::new(("tree", name)).striped(true).show(ui, |ui| {
        for h in ["", "Process", "PID", "State", "CPU %", "Memory"] {
            ui.strong(h);
        }
        ui.end_row();
        for r in rows {
            let n = &r.node;
            let marks = format!(
                "{}{}{}",
                if n.left_group { "\u{21b3}" } else { "" },
                if n.left_session { "\u{2197}" } else { "" },
                if n.orphaned { "\u{2205}" } else { "" }
            );
            let indent = "  ".repeat(n.depth.min(30));
            let cmd: String = r.command.chars().take(40).collect();
            ui.horizontal(|ui| {
                ui.add_enabled_ui(!read_only, |ui| {
                    for (label, how) in [("Terminate", StopHow::Terminate), ("Kill", StopHow::Kill)] {
                        let what = if n.depth == 0 {
                            "the whole process"
                        } else {
                            "this branch"
                        };
                        if ui
                            .small_button(label)
                            .on_hover_text(format!("{label} pid {} and everything under it ({what})", n.pid))
                            .clicked()
                        {
                            out.push(Intent::Send(Command::StopBranch {
                                process: name.to_string(),
                                pid: n.pid as u32,
                                how,
                            }));
                        }
                    }
                });
            });
            ui.label(RichText::new(format!("{indent}{cmd} {marks}")).monospace())
                .on_hover_text(&r.command);
            ui.label(RichText::new(n.pid.to_string()).monospace());
            ui.label(state_text(n.state));
            ui.label(RichText::new(format!("{:5.1}", r.cpu)).monospace());
            ui.label(RichText::new(format_bytes(r.rss_kb.saturating_mul(1024))).monospace());
            ui.end_row();
        }
    });
}
