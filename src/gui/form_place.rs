//! The pool form's "where it runs" rows: here, SSH hosts (a text field of
//! `host:SLOTS` entries and one of ssh options), or Slurm (partition,
//! CPUs per task, time limit, more srun options). Checked by the same
//! functions as the session file (`session::placement`).

use super::form_ui::Form;
use super::forms::Errors;
use crate::session::placement::{self, Placement, SlurmSpec};
use egui::Ui;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PlaceKind {
    #[default]
    Here,
    Hosts,
    Slurm,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlaceDraft {
    pub kind: PlaceKind,
    /// `local:2, build1:8, user@build2:4`
    pub hosts: String,
    /// Options for every ssh, separated by spaces.
    pub ssh_options: String,
    pub partition: String,
    pub cpus_per_task: String,
    pub time: String,
    /// More srun options, separated by spaces.
    pub extra: String,
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

impl PlaceDraft {
    pub fn from_placement(p: &Placement) -> Self {
        match p {
            Placement::Local => Self {
                cpus_per_task: "1".into(),
                ..Default::default()
            },
            Placement::Hosts { hosts, ssh_options } => Self {
                kind: PlaceKind::Hosts,
                hosts: placement::hosts_text(hosts),
                ssh_options: ssh_options.join(" "),
                cpus_per_task: "1".into(),
                ..Default::default()
            },
            Placement::Slurm(s) => Self {
                kind: PlaceKind::Slurm,
                partition: s.partition.clone().unwrap_or_default(),
                cpus_per_task: s.cpus_per_task.to_string(),
                time: s.time.clone().unwrap_or_default(),
                extra: s.extra.join(" "),
                ..Default::default()
            },
        }
    }

    /// The placement, or its problems put in `e` (under `hosts`,
    /// `partition`, `cpus_per_task`, `time`).
    pub fn to_placement(&self, e: &mut Errors) -> Option<Placement> {
        match self.kind {
            PlaceKind::Here => Some(Placement::Local),
            PlaceKind::Hosts => match placement::parse_hosts_text(&self.hosts) {
                Ok(hosts) => Some(Placement::Hosts {
                    hosts,
                    ssh_options: words(&self.ssh_options),
                }),
                Err(m) => {
                    e.insert("hosts", m);
                    None
                }
            },
            PlaceKind::Slurm => {
                let mut s = SlurmSpec::default();
                let mut ok = true;
                let p = self.partition.trim();
                if !p.is_empty() {
                    match placement::partition(p) {
                        Ok(p) => s.partition = Some(p),
                        Err(m) => {
                            e.insert("partition", m);
                            ok = false;
                        }
                    }
                }
                let c = self.cpus_per_task.trim();
                if !c.is_empty() {
                    match placement::cpus_per_task(c) {
                        Ok(n) => s.cpus_per_task = n,
                        Err(m) => {
                            e.insert("cpus_per_task", m);
                            ok = false;
                        }
                    }
                }
                let t = self.time.trim();
                if !t.is_empty() {
                    match placement::slurm_time(t) {
                        Ok(t) => s.time = Some(t),
                        Err(m) => {
                            e.insert("time", m);
                            ok = false;
                        }
                    }
                }
                s.extra = words(&self.extra);
                ok.then_some(Placement::Slurm(s))
            }
        }
    }
}

/// What the Workers field shows while the pool runs on SSH hosts: the
/// sum of their slots (the workers `hosts` makes), `None` while the hosts
/// do not parse. `workers` and `hosts` cannot be combined, so the field
/// is read-only then, and what was typed in it is kept for a switch back.
pub fn slots_shown(d: &PlaceDraft) -> Option<Option<u32>> {
    (d.kind == PlaceKind::Hosts).then(|| {
        placement::parse_hosts_text(&d.hosts)
            .ok()
            .map(|h| h.iter().map(|x| x.slots).fold(0u32, u32::saturating_add))
    })
}

/// The Workers row: editable here and on Slurm (inputs in flight); the
/// hosts' slots, read-only, on SSH hosts.
pub(super) fn workers_row(f: &mut Form<'_>, ui: &mut Ui, workers: &mut String, d: &PlaceDraft) {
    let Some(slots) = slots_shown(d) else {
        let help = match d.kind {
            PlaceKind::Slurm => {
                "How many inputs in flight at once (each a Slurm job step); empty: one per CPU."
            }
            _ => "How many at once; empty: one per CPU.",
        };
        return f.number(ui, "Workers", help, "workers", workers, "");
    };
    let mut shown = slots.map_or_else(|| "\u{2014}".to_string(), |n| n.to_string());
    f.row(
        ui,
        "Workers",
        "With SSH hosts the workers are the hosts' slots: set them in Hosts below (host:SLOTS).",
        "",
        |ui| {
            let r = ui.add_enabled(
                false,
                egui::TextEdit::singleline(&mut shown)
                    .id_salt(("form_number", "Workers"))
                    .desired_width(80.0)
                    .font(egui::TextStyle::Monospace),
            );
            ui.weak("the hosts' slots (set in Hosts below)");
            r
        },
    );
}

/// The rows of the form.
pub(super) fn place_rows(f: &mut Form<'_>, ui: &mut Ui, d: &mut PlaceDraft) {
    f.heading(ui, "WHERE IT RUNS");
    f.row(
        ui,
        "Runs on",
        "here: this machine. ssh hosts: worker slots on hosts reached through OpenSSH. slurm: each input a Slurm job step (srun).",
        "",
        |ui| {
            let a = ui.radio_value(&mut d.kind, PlaceKind::Here, "this machine");
            let b = ui.radio_value(&mut d.kind, PlaceKind::Hosts, "ssh hosts");
            let c = ui.radio_value(&mut d.kind, PlaceKind::Slurm, "slurm");
            a | b | c
        },
    );
    match d.kind {
        PlaceKind::Here => {}
        PlaceKind::Hosts => {
            f.text(
                ui,
                "Hosts",
                "host:SLOTS, user@host:SLOTS or local:SLOTS, separated by commas; the workers are the slots.",
                "hosts",
                &mut d.hosts,
                true,
            );
            f.text(
                ui,
                "SSH options",
                "Given to every ssh before Proctor's own, e.g. -F ~/.ssh/cluster_config -o Port=2222.",
                "",
                &mut d.ssh_options,
                true,
            );
        }
        PlaceKind::Slurm => {
            f.text(
                ui,
                "Partition",
                "Empty: the cluster's default.",
                "partition",
                &mut d.partition,
                true,
            );
            f.number(
                ui,
                "CPUs per task",
                "--cpus-per-task of each step.",
                "cpus_per_task",
                &mut d.cpus_per_task,
                "",
            );
            f.text(
                ui,
                "Time limit",
                "Slurm's --time, e.g. 00:10:00; empty: the partition's.",
                "time",
                &mut d.time,
                true,
            );
            f.text(
                ui,
                "More srun options",
                "Passed to every srun as they are.",
                "",
                &mut d.extra,
                true,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workers_shown_on_hosts_are_their_slots() {
        let mut d = PlaceDraft::default();
        assert_eq!(slots_shown(&d), None, "here: the field is editable");
        d.kind = PlaceKind::Hosts;
        d.hosts = "local:2, b1:8".into();
        assert_eq!(slots_shown(&d), Some(Some(10)));
        d.hosts = "b1:0".into();
        assert_eq!(slots_shown(&d), Some(None));
        d.kind = PlaceKind::Slurm;
        assert_eq!(slots_shown(&d), None);
    }

    #[test]
    fn drafts_round_trip_and_say_what_is_wrong() {
        let p = Placement::Hosts {
            hosts: placement::parse_hosts_text("local:2, b1:8").unwrap(),
            ssh_options: vec!["-F".into(), "cfg".into()],
        };
        let d = PlaceDraft::from_placement(&p);
        assert_eq!(d.hosts, "local:2, b1:8");
        let mut e = Errors::new();
        assert_eq!(d.to_placement(&mut e), Some(p));
        let bad = PlaceDraft {
            kind: PlaceKind::Hosts,
            hosts: "b1:0".into(),
            ..Default::default()
        };
        assert_eq!(bad.to_placement(&mut e), None);
        assert!(e["hosts"].contains("out of range"));
        let s = PlaceDraft {
            kind: PlaceKind::Slurm,
            time: "ten".into(),
            cpus_per_task: "1".into(),
            ..Default::default()
        };
        let mut e = Errors::new();
        assert_eq!(s.to_placement(&mut e), None);
        assert!(e.contains_key("time"));
    }
}
