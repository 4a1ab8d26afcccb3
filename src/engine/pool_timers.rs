//! A pool's timers and its end: an input that runs past its `timeout`, a
//! retired persistent worker that does not exit, and the pool done once
//! every input is resolved and no worker is alive.

use super::command::StopHow;
use super::lifecycle::PoolInput;
use super::sched;
use super::supervisor::{Origin, Supervisor, TimerWhat};
use crate::event::{EventKind, PoolTotals};
use std::time::Duration;

impl Supervisor {
    pub(super) fn on_input_timeout(&mut self, key: usize, input: usize) {
        let Some(Origin::Worker { pool, index }) = self.proc(key).map(|p| p.origin.clone()) else {
            return;
        };
        let Some(run) = self.pools.get(pool) else {
            return;
        };
        let _ = input;
        let t = run.spec.timeout.map_or(Duration::ZERO, |t| t.get());
        let front = run.workers[index].in_flight.front().copied();
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        run.workers[index].timer_armed = false;
        let Some((oldest, started)) = front else { return };
        let elapsed = started.elapsed();
        if elapsed.saturating_add(Duration::from_millis(1)) >= t {
            let t = t.as_secs_f64();
            self.stop(
                key,
                StopHow::Terminate,
                false,
                &format!("input #{oldest} ran longer than {t:.1}s; "),
            );
        } else {
            // The input this timer was for is done; watch the oldest one left.
            run.workers[index].timer_armed = true;
            let run_id = self.procs.get(key).map(|p| p.run_id).unwrap_or(0);
            self.add_timer(
                key,
                run_id,
                TimerWhat::InputTimeout(oldest),
                t.saturating_sub(elapsed),
            );
        }
    }

    /// A retired persistent worker that does not exit after its stdin
    /// closed is terminated (else the pool could never finish).
    pub(super) fn on_retire_timer(&mut self, key: usize) {
        let Some(p) = self.proc(key) else { return };
        let closing = p.stdin.as_ref().is_none_or(|s| s.close_when_flushed);
        if p.alive() && closing && p.kill_at.is_none() {
            self.stop(
                key,
                StopHow::Terminate,
                false,
                "still running 10s after its stdin was closed; ",
            );
        }
    }

    pub(super) fn check_pool_done(&mut self, pool: usize) {
        let Some(run) = self.pools.get(pool) else {
            return;
        };
        if run.life.finished() {
            return;
        }
        let alive = run
            .workers
            .iter()
            .filter_map(|w| w.key)
            .filter(|&k| self.procs.get(k).is_some_and(|p| p.alive()))
            .count();
        if !sched::pool_done(run.unresolved(), alive) {
            return;
        }
        let totals = PoolTotals {
            inputs: run.inputs.len() as u64,
            done: run.done,
            failed: run.failed,
            cancelled: run.cancelled,
            wall: run.started.elapsed().as_secs_f64(),
            busy: run.busy,
        };
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        run.life = run.life.on(PoolInput::Done);
        self.remote_close(pool);
        let e = self.pool_event(pool, EventKind::PoolDone { totals }, None);
        self.emit(e);
    }
}
