//! The process table's selection moved by the keyboard: arrows, Shift+
//! arrows and Ctrl+A, over the rows as shown (filtered and sorted).

use super::processes::{ProcessesView, Row};

impl ProcessesView {
    /// Every row shown.
    pub fn select_all(&mut self, rows: &[Row]) {
        self.selected = rows.iter().map(|r| r.name.clone()).collect();
    }

    /// The selected rows, in the order shown.
    pub fn selected_rows<'r>(&'r self, rows: &'r [Row]) -> impl Iterator<Item = &'r Row> + 'r {
        rows.iter().filter(|r| self.selected.contains(&r.name))
    }

    /// Moves the cursor (the last row clicked or stepped to) by `by` rows;
    /// `extend` keeps the rows between the anchor and it selected, as
    /// Shift+click does. With nothing selected, the first (or last) row.
    pub fn step(&mut self, rows: &[Row], by: isize, extend: bool) {
        if rows.is_empty() {
            return;
        }
        let pos = |name: &Option<String>| name.as_ref().and_then(|n| rows.iter().position(|r| &r.name == n));
        let last = rows.len() - 1;
        let to = match pos(&self.cursor).or_else(|| pos(&self.anchor)) {
            Some(i) => i.saturating_add_signed(by).min(last),
            None if by < 0 => last,
            None => 0,
        };
        let name = rows[to].name.clone();
        if extend {
            let a = pos(&self.anchor).unwrap_or(to);
            let (lo, hi) = (a.min(to), a.max(to));
            self.selected = rows[lo..=hi].iter().map(|r| r.name.clone()).collect();
            if self.anchor.is_none() {
                self.anchor = Some(name.clone());
            }
        } else {
            self.selected.clear();
            self.selected.insert(name.clone());
            self.anchor = Some(name.clone());
        }
        self.cursor = Some(name);
        self.reveal = Some(to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(names: &[&str]) -> Vec<Row> {
        let model = crate::model::SessionModel::default();
        let starting = names.iter().map(|s| s.to_string()).collect();
        let mut r = super::super::rows::rows(
            &model,
            &starting,
            &Default::default(),
            "",
            None,
            chrono::Local::now().fixed_offset(),
        );
        r.sort_by(|a, b| super::super::natural::natural_cmp(&a.name, &b.name));
        r
    }

    fn sel(v: &ProcessesView) -> Vec<String> {
        v.selected.iter().cloned().collect()
    }

    #[test]
    fn arrows_move_and_shift_arrows_extend_within_the_rows() {
        let r = rows(&["a", "b", "c", "d"]);
        let mut v = ProcessesView::default();
        v.step(&r, 1, false);
        assert_eq!(sel(&v), ["a"], "nothing selected: the first row");
        v.step(&r, 1, false);
        assert_eq!(sel(&v), ["b"]);
        v.step(&r, 1, true);
        v.step(&r, 1, true);
        assert_eq!(sel(&v), ["b", "c", "d"]);
        v.step(&r, 5, true);
        assert_eq!(sel(&v), ["b", "c", "d"], "stops at the last row");
        v.step(&r, -1, false);
        assert_eq!(sel(&v), ["c"]);
        v.step(&r, -9, false);
        assert_eq!(sel(&v), ["a"]);
        v.select_all(&r);
        assert_eq!(sel(&v).len(), 4);
        v.step(&[], 1, false);
        let mut w = ProcessesView::default();
        w.step(&r, -1, false);
        assert_eq!(sel(&w), ["d"], "up with nothing selected: the last row");
    }
}
