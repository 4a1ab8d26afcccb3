//! The supervisor's pools, by slot. A slot is reused when its pool is
//! dropped; looking one up gives an `Option`, so a stale slot number (a
//! timer or a worker of a pool that is gone) finds nothing rather than
//! another pool's state.

use super::pool::PoolRun;

#[derive(Default)]
pub(super) struct Pools {
    slots: Vec<Option<PoolRun>>,
}

impl Pools {
    pub fn get(&self, pool: usize) -> Option<&PoolRun> {
        self.slots.get(pool).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, pool: usize) -> Option<&mut PoolRun> {
        self.slots.get_mut(pool).and_then(Option::as_mut)
    }

    /// The slot of the pool named `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|p| p.as_ref().is_some_and(|p| p.spec.name == name))
    }

    /// Puts a pool in a free slot.
    pub fn insert(&mut self, run: PoolRun) -> usize {
        match self.slots.iter().position(Option::is_none) {
            Some(s) => {
                self.slots[s] = Some(run);
                s
            }
            None => {
                self.slots.push(Some(run));
                self.slots.len() - 1
            }
        }
    }

    /// Takes the pool out of its slot.
    pub fn take(&mut self, pool: usize) -> Option<PoolRun> {
        self.slots.get_mut(pool)?.take()
    }

    /// The slots of the pools that pass `keep` (a list, so that the caller
    /// may change pools while it goes through them).
    pub fn keys_where(&self, keep: impl Fn(&PoolRun) -> bool) -> Vec<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, p)| p.as_ref().is_some_and(&keep))
            .map(|(i, _)| i)
            .collect()
    }
}
