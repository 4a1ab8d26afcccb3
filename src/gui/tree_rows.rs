//! A process row of the table expanded to its tree: the row gets a
//! disclosure triangle, and under it one row per descendant (pid,
//! command, state, CPU, memory), indented by depth, the ones that left its
//! group or session included and marked, with Terminate and Kill for that
//! branch. Only expanded rows are looked at (see `tree_view::TreeWatch`,
//! about once a second), never per frame.

use super::intent::Intent;
use super::rows::{Col, Row};
use super::theme::{color, format_bytes, mono, Tone};
use super::tree_view::{state_text, NodeRow, Target};
use crate::engine::{Command, StopHow};
use crate::model::SessionModel;
use egui::{RichText, Ui};
use std::collections::{BTreeSet, HashMap};

/// A line of the table: a process's row, or one of its tree's processes
/// under it (the row's index and the node's index in its tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    Row(usize),
    Node(usize, usize),
}

/// The lines of the table: each row, and under each expanded one its tree
/// but the leader (which is the row itself).
pub fn items(rows: &[Row], expanded: &BTreeSet<String>, trees: &HashMap<String, Vec<NodeRow>>) -> Vec<Item> {
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        out.push(Item::Row(i));
        if !expanded.contains(&r.name) {
            continue;
        }
        let Some(tree) = trees.get(&r.name) else { continue };
        for (k, n) in tree.iter().enumerate() {
            let leader = n.node.depth == 0 && r.pid == Some(n.node.pid as u32);
            if !leader {
                out.push(Item::Node(i, k));
            }
        }
    }
    out
}

/// The trees to look at: each expanded row's, and `chosen`'s (the
/// Timeline's selected process); none for a past session.
pub fn watched(
    model: &SessionModel,
    expanded: &BTreeSet<String>,
    chosen: Option<&str>,
    past: bool,
) -> Vec<Target> {
    if past {
        return Vec::new();
    }
    expanded
        .iter()
        .map(String::as_str)
        .chain(chosen)
        .filter(|n| model.row(n).is_some())
        .map(|name| Target {
            leader: model
                .row(name)
                .filter(|r| r.state.is_alive())
                .and_then(|r| r.pid)
                .map(|p| p as i32),
            name: name.to_string(),
        })
        .collect()
}

/// Whether a row can be expanded: it runs (its tree is live).
pub fn expandable(r: &Row) -> bool {
    r.status.is_alive()
}

/// The disclosure triangle of a row; true when clicked.
pub fn disclosure(ui: &mut Ui, r: &Row, open: bool) -> bool {
    let tip = match (open, r.own) {
        (true, _) => "Hide its process tree".to_string(),
        (false, Some((_, _, n))) => format!("Show its process tree ({n} processes)"),
        (false, None) => "Show its process tree".to_string(),
    };
    let glyph = if open { "\u{25bc}" } else { "\u{25b6}" };
    ui.add(
        egui::Button::new(RichText::new(glyph).small())
            .frame(false)
            .min_size(egui::vec2(14.0, 14.0)),
    )
    .on_hover_text(&tip)
    .accessible_name(format!("{tip} of {}", r.name))
    .clicked()
}

/// The marks of a process that went its own way.
fn marks(n: &NodeRow) -> String {
    let n = &n.node;
    format!(
        "{}{}{}",
        if n.left_group { " \u{21b3}" } else { "" },
        if n.left_session { " \u{2197}" } else { "" },
        if n.orphaned { " \u{2205}" } else { "" }
    )
}

fn marks_text(n: &NodeRow) -> String {
    let n = &n.node;
    let mut parts = Vec::new();
    if n.left_group {
        parts.push("left the process group");
    }
    if n.left_session {
        parts.push("left the session (setsid)");
    }
    if n.orphaned {
        parts.push("re-parented: its parent ended");
    }
    parts.join(", ")
}

/// One cell of a tree line.
pub fn node_cell(ui: &mut Ui, c: Col, n: &NodeRow, dark: bool) {
    let muted = color(dark, Tone::Muted);
    match c {
        Col::Name => {
            let indent = "   ".repeat(n.node.depth.clamp(1, 12));
            let cmd: String = n.command.chars().take(200).collect();
            let how = marks_text(n);
            let tip = if how.is_empty() {
                n.command.clone()
            } else {
                format!("{}\n{how}", n.command)
            };
            ui.add(
                egui::Label::new(mono(format!("{indent}\u{2514}{} {cmd}", marks(n))).color(muted))
                    .truncate()
                    .selectable(false),
            )
            .on_hover_text(tip);
        }
        Col::Pid => {
            ui.add(egui::Label::new(mono(n.node.pid.to_string())).selectable(false));
        }
        Col::State => {
            let tone = match n.node.state {
                'R' => Tone::Running,
                'T' | 't' => Tone::Stopping,
                'Z' => Tone::Failure,
                _ => Tone::Muted,
            };
            ui.add(
                egui::Label::new(
                    RichText::new(format!("\u{25cf} {}", state_text(n.node.state))).color(color(dark, tone)),
                )
                .selectable(false),
            );
        }
        Col::Cpu => {
            ui.add(egui::Label::new(mono(format!("{:5.1}", n.cpu))).selectable(false));
        }
        Col::Memory => {
            ui.add(egui::Label::new(mono(format_bytes(n.rss_kb.saturating_mul(1024)))).selectable(false));
        }
        _ => {}
    }
}

/// Where a tree line's buttons go when there is no details column: the
/// first column the line leaves empty that is shown (`None`: in the
/// details column, or only in the "…" menu).
pub fn button_spot(cols: &[Col], details: bool) -> Option<Col> {
    if details {
        return None;
    }
    [
        Col::Started,
        Col::OverTime,
        Col::Exit,
        Col::Runtime,
        Col::Restarts,
    ]
    .into_iter()
    .find(|c| cols.contains(c))
}

/// Terminate and Kill for the branch of `n` in the tree of process `name`.
/// (`in_menu`: they are a menu's entries, which close it; in a narrow
/// column they say `Term` and `Kill`, named in full for screen readers.)
pub fn node_actions(ui: &mut Ui, name: &str, n: &NodeRow, in_menu: bool, out: &mut Vec<Intent>) {
    let narrow = !in_menu && ui.available_width() < 200.0;
    for (label, short, how, what) in [
        (
            "Terminate branch",
            "Term",
            StopHow::Terminate,
            "SIGTERM, then SIGKILL after the stop timeout,",
        ),
        ("Kill branch", "Kill", StopHow::Kill, "SIGKILL"),
    ] {
        if ui
            .small_button(if narrow { short } else { label })
            .accessible_name(label)
            .on_hover_text(format!(
                "{what} to pid {} and everything under it; the rest of `{name}` runs on",
                n.node.pid
            ))
            .clicked()
        {
            out.push(Intent::Send(Command::StopBranch {
                process: name.to_string(),
                pid: n.node.pid as u32,
                how,
            }));
            if in_menu {
                ui.close();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::branch::TreeNode;

    fn node(pid: i32, depth: usize) -> NodeRow {
        NodeRow {
            node: TreeNode {
                pid,
                ppid: 1,
                depth,
                comm: "x".into(),
                state: 'S',
                left_group: false,
                left_session: false,
                orphaned: false,
                start: 0,
            },
            command: "x".into(),
            cpu: 0.0,
            rss_kb: 0,
        }
    }

    fn row(name: &str, pid: u32) -> Row {
        let mut m = crate::model::SessionModel::default();
        m.apply(
            &crate::event::Event::now(crate::event::EventKind::Spawned { command: "c".into() })
                .process(name, Some(pid)),
        );
        let now = chrono::Local::now().fixed_offset();
        super::super::rows::rows(&m, &Default::default(), &Default::default(), "", None, now).remove(0)
    }

    #[test]
    fn only_expanded_rows_list_their_tree_without_the_leader() {
        let rows = vec![row("a", 10), row("b", 20)];
        let trees: HashMap<String, Vec<NodeRow>> = [
            ("a".to_string(), vec![node(10, 0), node(11, 1), node(12, 2)]),
            ("b".to_string(), vec![node(20, 0), node(21, 1)]),
        ]
        .into();
        let none = items(&rows, &BTreeSet::new(), &trees);
        assert_eq!(none, [Item::Row(0), Item::Row(1)]);
        let open: BTreeSet<String> = ["a".to_string()].into();
        assert_eq!(
            items(&rows, &open, &trees),
            [Item::Row(0), Item::Node(0, 1), Item::Node(0, 2), Item::Row(1)]
        );
        assert!(expandable(&rows[0]));
    }
}
