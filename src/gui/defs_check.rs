//! The definitions' check, remembered: every frame asks whether the
//! definitions are valid (the toolbar's Start all, the edited marks, the
//! side panel), and checking a thousand of them is far from free. The
//! result is kept while the definitions' generation (moved by every
//! change) is the same, for at most a second (a check may look at the
//! file system: a working folder that appears or goes is noticed within
//! that). Comparing a thousand definitions with a copy, three times a
//! frame, was itself a third of an idle frame.

use super::forms::{Errors, Spec};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How long a check is trusted while nothing changes.
const FRESH: Duration = Duration::from_secs(1);

pub type Checked = Rc<Vec<Result<Spec, Errors>>>;

#[derive(Default)]
pub struct CheckCache {
    last: RefCell<Option<(u64, Instant, Checked)>>,
}

impl CheckCache {
    /// The check of the definitions' generation `gen`: the remembered one
    /// if it was made for `gen` and is fresh, else `check()` (remembered).
    pub fn get(&self, gen: u64, check: impl FnOnce() -> Vec<Result<Spec, Errors>>) -> Checked {
        let mut last = self.last.borrow_mut();
        if let Some((g, at, c)) = last.as_ref() {
            if at.elapsed() < FRESH && *g == gen {
                return Rc::clone(c);
            }
        }
        let c = Rc::new(check());
        *last = Some((gen, Instant::now(), Rc::clone(&c)));
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[test]
    fn a_check_is_reused_until_the_generation_moves() {
        let cache = CheckCache::default();
        let runs = Cell::new(0);
        let check = || {
            runs.set(runs.get() + 1);
            Vec::new()
        };
        cache.get(7, check);
        cache.get(7, check);
        assert_eq!(runs.get(), 1, "the same generation is checked once");
        cache.get(8, check);
        assert_eq!(runs.get(), 2, "a change is checked again");
    }
}
