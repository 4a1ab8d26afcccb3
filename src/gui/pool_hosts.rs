//! A pool's hosts in the pools view: per host, its inputs running, done
//! and failed, their time, its rate, and whether (and why) it went down;
//! and the work Slurm holds back, with Slurm's reasons.

use super::processes::Row;
use super::theme::{color, mono, Tone};
use crate::event::slurm::SlurmState;
use crate::model::{PoolHosts, PoolRow};
use chrono::{DateTime, FixedOffset};
use egui::{RichText, Ui};

/// The "Hosts" section of a pool that runs on hosts or Slurm nodes;
/// nothing for a pool that runs here.
pub fn hosts_section(ui: &mut Ui, pool: &PoolRow, now: DateTime<FixedOffset>, dark: bool) {
    let figures = pool.per_host();
    let pending = pool.slurm_pending();
    if figures.is_empty() && pending.is_empty() {
        return;
    }
    let down = figures.iter().filter(|f| f.down).count();
    let title = if down > 0 {
        format!("Hosts ({}, {down} down)", figures.len())
    } else {
        format!("Hosts ({})", figures.len())
    };
    let wall = match (pool.finished, pool.started) {
        (Some(t), _) => t.wall,
        (None, Some(s)) => (now - s).num_milliseconds().max(0) as f64 / 1000.0,
        _ => 0.0,
    };
    egui::CollapsingHeader::new(title)
        .id_salt(("hosts", &pool.name))
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new(("hosts_grid", &pool.name))
                .striped(true)
                .spacing([14.0, 4.0])
                .show(ui, |ui| {
                    for t in ["Host", "Running", "Done", "Failed", "Busy", "Rate", "State"] {
                        ui.strong(t);
                    }
                    ui.end_row();
                    for f in &figures {
                        ui.label(mono(&f.host));
                        ui.label(mono(f.running.to_string()));
                        ui.label(mono(f.done.to_string()).color(color(dark, Tone::Success)));
                        let failed = if f.failed > 0 { Tone::Failure } else { Tone::Muted };
                        ui.label(mono(f.failed.to_string()).color(color(dark, failed)));
                        ui.label(mono(format!("{:.1}s", f.busy)));
                        ui.label(mono(format!("{:.2}/s", f.throughput(wall))));
                        if f.down {
                            let why = pool
                                .hosts
                                .down
                                .iter()
                                .rev()
                                .find(|(h, _)| h == &f.host)
                                .map(|(_, w)| w.as_str())
                                .unwrap_or("");
                            ui.label(RichText::new("down").color(color(dark, Tone::Failure)))
                                .on_hover_text(why);
                        } else {
                            ui.label(RichText::new("up").color(color(dark, Tone::Running)));
                        }
                        ui.end_row();
                    }
                });
            if !pending.is_empty() {
                ui.label(RichText::new(pending_text(&pending)).color(color(dark, Tone::Waiting)));
            }
        });
}

/// `Pending in Slurm: 3 inputs (Resources: 2, Priority: 1)`.
pub fn pending_text(pending: &[(String, usize)]) -> String {
    let n: usize = pending.iter().map(|p| p.1).sum();
    let reasons: Vec<String> = pending
        .iter()
        .map(|(r, k)| {
            let r = if r.is_empty() { "no reason yet" } else { r.as_str() };
            format!("{r}: {k}")
        })
        .collect();
    format!(
        "Pending in Slurm: {n} input{} ({})",
        if n == 1 { "" } else { "s" },
        reasons.join(", ")
    )
}

/// The progress line's `N running` and, when Slurm holds some of them
/// back (their `srun` runs, their job waits), `M pending in Slurm`.
pub fn running_and_pending(ui: &mut Ui, pool: &PoolRow, running: usize, dark: bool) {
    let n = pool.inputs.iter().filter(|r| r.slurm_pending()).count();
    let running = running.saturating_sub(n);
    ui.label(RichText::new(format!("{running} running")).color(color(dark, Tone::Running)));
    if n > 0 {
        ui.label(RichText::new(format!("{n} pending in Slurm")).color(color(dark, Tone::Waiting)));
    }
}

/// A worker's State: its process's, Slurm's pending reason while its job
/// waits for an allocation (its `srun` runs meanwhile), or how Slurm
/// ended its last step when that went wrong (`timeout`, `node failure`:
/// `srun` itself may well have exited 0).
pub fn worker_state(ui: &mut Ui, r: &Row, hosts: &PoolHosts, dark: bool) {
    match hosts.slurm.get(&r.name) {
        Some(s @ SlurmState::Pending { .. }) if r.status.is_alive() => {
            ui.label(RichText::new(s.text()).color(color(dark, Tone::Waiting)));
        }
        Some(s) if !r.status.is_alive() && s.is_final() && s.is_problem() => {
            ui.label(RichText::new(s.text()).color(color(dark, Tone::Failure)));
        }
        _ => {
            ui.label(RichText::new(r.status.label()).color(color(dark, r.tone())));
        }
    }
}
