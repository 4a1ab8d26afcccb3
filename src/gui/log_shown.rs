//! The lines of the log that pass its filters, by absolute index, oldest
//! first. With no filter every line kept passes: that is a range, not a
//! list of a million indices (8 MB); a filter keeps the list.

use std::collections::VecDeque;

#[derive(Debug, Default)]
pub struct Shown {
    /// Every line pushed passes: `lo..hi` are shown, `list` is unused.
    every: bool,
    lo: u64,
    hi: u64,
    list: VecDeque<u64>,
}

impl Shown {
    /// Empty; `every`: every line will pass (no filter).
    pub fn new(every: bool) -> Self {
        Self {
            every,
            ..Default::default()
        }
    }

    pub fn len(&self) -> usize {
        if self.every {
            (self.hi - self.lo) as usize
        } else {
            self.list.len()
        }
    }

    /// The absolute index of the `i`th line shown.
    pub fn get(&self, i: usize) -> Option<u64> {
        if self.every {
            let a = self.lo.checked_add(i as u64)?;
            (a < self.hi).then_some(a)
        } else {
            self.list.get(i).copied()
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Adds line `abs` (after every line already shown).
    pub fn push_back(&mut self, abs: u64) {
        if !self.every {
            self.list.push_back(abs);
        } else if abs == self.hi && self.lo < self.hi {
            self.hi += 1;
        } else if abs >= self.hi {
            // The first, or after lines dropped from the store before they
            // were examined (the older ones shown went with them).
            (self.lo, self.hi) = (abs, abs + 1);
        } else {
            // Not the next line: no longer a range.
            self.list = (self.lo..self.hi).chain([abs]).collect();
            self.every = false;
        }
    }

    /// Forgets the lines before `first` (dropped from the store).
    pub fn drop_before(&mut self, first: u64) {
        if self.every {
            self.lo = self.lo.max(first).min(self.hi);
        } else {
            while self.list.front().is_some_and(|&a| a < first) {
                self.list.pop_front();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_while_every_line_passes_a_list_otherwise() {
        let mut s = Shown::new(true);
        for a in 5..10 {
            s.push_back(a);
        }
        assert_eq!(s.len(), 5);
        assert_eq!(s.get(0), Some(5));
        assert_eq!(s.get(5), None);
        s.drop_before(7);
        assert_eq!(s.iter().collect::<Vec<_>>(), [7, 8, 9]);
        s.push_back(12);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [12],
            "10 and 11 were dropped unseen"
        );
        s.push_back(3);
        assert_eq!(s.iter().collect::<Vec<_>>(), [12, 3], "kept as a list");
        let mut f = Shown::new(false);
        f.push_back(3);
        f.push_back(8);
        f.drop_before(4);
        assert_eq!(f.iter().collect::<Vec<_>>(), [8]);
        assert_eq!(f.get(1), None);
    }
}
