//! The definitions' check, remembered: every frame asks whether the
//! definitions are valid (the toolbar's Start all, the edited marks, the
//! side panel), and checking a thousand of them is far from free. The
//! result is kept while the definitions are unchanged, for at most a
//! second (a check may look at the file system: a working folder that
//! appears or goes is noticed within that).

use super::forms::{Def, Errors, Spec};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// How long a check is trusted while nothing changes.
const FRESH: Duration = Duration::from_secs(1);

pub type Checked = Rc<Vec<Result<Spec, Errors>>>;

#[derive(Default)]
pub struct CheckCache {
    last: RefCell<Option<(Vec<Def>, Instant, Checked)>>,
}

impl CheckCache {
    /// The check of `defs`: the remembered one if `defs` is what it was
    /// made for and it is fresh, else `check()` (remembered).
    pub fn get(&self, defs: &[Def], check: impl FnOnce() -> Vec<Result<Spec, Errors>>) -> Checked {
        let mut last = self.last.borrow_mut();
        if let Some((d, at, c)) = last.as_ref() {
            if at.elapsed() < FRESH && d.as_slice() == defs {
                return Rc::clone(c);
            }
        }
        let c = Rc::new(check());
        *last = Some((defs.to_vec(), Instant::now(), Rc::clone(&c)));
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::forms::TaskDraft;
    use std::cell::Cell;

    #[test]
    fn a_check_is_reused_until_the_definitions_change() {
        let cache = CheckCache::default();
        let runs = Cell::new(0);
        let check = || {
            runs.set(runs.get() + 1);
            Vec::new()
        };
        let mut defs = vec![Def::Task(TaskDraft::new("a".into(), std::env::temp_dir()))];
        cache.get(&defs, check);
        cache.get(&defs, check);
        assert_eq!(runs.get(), 1, "the same definitions are checked once");
        if let Def::Task(t) = &mut defs[0] {
            t.name = "changed".into();
        }
        cache.get(&defs, check);
        assert_eq!(runs.get(), 2, "a change is checked again");
    }
}
