//! Which columns the process table shows: the ones the user chose (View ▸
//! Columns, or the table's Columns menu), of which those that fit the
//! width, by priority. Name always shows and never scrolls away: the table
//! drops columns rather than scroll sideways.

use super::rows::Col;
use egui::Ui;
use std::collections::BTreeSet;

/// The order columns give way when the table is narrow (last first).
const PRIORITY: [Col; 11] = [
    Col::Name,
    Col::State,
    Col::Pid,
    Col::Exit,
    Col::Host,
    Col::Cpu,
    Col::Memory,
    Col::Runtime,
    Col::Restarts,
    Col::Started,
    Col::OverTime,
];

/// The actions column ("…") and the spacing between columns.
pub const ACTIONS_WIDTH: f32 = 24.0;
/// The details column shows when at least this much is left for it.
pub const DETAILS_MIN: f32 = 160.0;

pub fn width(c: Col) -> f32 {
    match c {
        Col::Name => 150.0,
        Col::Pid => 60.0,
        Col::State => 110.0,
        Col::Host => 110.0,
        Col::Exit => 92.0,
        Col::Cpu => 54.0,
        Col::Memory => 76.0,
        Col::Started => 190.0,
        Col::Runtime => 68.0,
        Col::Restarts => 64.0,
        Col::OverTime => 70.0,
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Columns {
    /// Columns the user hid.
    pub hidden: BTreeSet<Col>,
}

/// What the table shows in `available` points: the chosen columns in
/// table order that fit by priority, whether the details column fits, and
/// how many chosen columns had to give way.
pub fn fit(hidden: &BTreeSet<Col>, available: f32, spacing: f32) -> (Vec<Col>, bool, usize) {
    let mut left = available - ACTIONS_WIDTH - spacing;
    let mut keep = BTreeSet::new();
    let mut dropped = 0;
    for c in PRIORITY {
        if hidden.contains(&c) && c != Col::Name {
            continue;
        }
        let w = width(c) + spacing;
        if c == Col::Name || w <= left {
            left -= w;
            keep.insert(c);
        } else {
            dropped += 1;
        }
    }
    let shown = Col::ALL.into_iter().filter(|c| keep.contains(c)).collect();
    (shown, left >= DETAILS_MIN, dropped)
}

impl Columns {
    /// A checkbox per column (Name cannot be hidden).
    pub fn chooser(&mut self, ui: &mut Ui) {
        for c in Col::ALL {
            let mut on = !self.hidden.contains(&c);
            let r = ui.add_enabled(c != Col::Name, egui::Checkbox::new(&mut on, c.title()));
            if r.changed() {
                if on {
                    self.hidden.remove(&c);
                } else {
                    self.hidden.insert(c);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_tables_keep_name_and_drop_by_priority() {
        let none = BTreeSet::new();
        let (all, details, dropped) = fit(&none, 2000.0, 8.0);
        assert_eq!(all, Col::ALL.to_vec());
        assert!(details);
        assert_eq!(dropped, 0);
        let (some, details, dropped) = fit(&none, 460.0, 8.0);
        assert_eq!(some[0], Col::Name);
        assert!(some.contains(&Col::State) && some.contains(&Col::Pid));
        assert!(!some.contains(&Col::Started));
        assert!(!details);
        assert_eq!(some.len() + dropped, Col::ALL.len());
        let (tiny, _, _) = fit(&none, 10.0, 8.0);
        assert_eq!(tiny, [Col::Name], "Name shows however narrow");
        let hidden: BTreeSet<Col> = [Col::Pid, Col::Name].into();
        let (chosen, _, dropped) = fit(&hidden, 2000.0, 8.0);
        assert!(!chosen.contains(&Col::Pid));
        assert!(chosen.contains(&Col::Name), "Name cannot be hidden");
        assert_eq!(dropped, 0);
        let (nan, _, _) = fit(&none, f32::NAN, 8.0);
        assert_eq!(nan, [Col::Name]);
    }
}
