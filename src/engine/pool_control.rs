//! Live control of a running pool: pause, resume, cancel the rest, add
//! inputs, resize, stop. Each change is reported as a `pool_state` event.

use super::command::{PoolAction, StopHow};
use super::lifecycle::PoolInput;
use super::pool::InputState;
use super::supervisor::Supervisor;
use crate::event::EventKind;
use crate::session::PoolMode;

impl Supervisor {
    pub(super) fn pool_action(&mut self, name: &str, action: PoolAction) {
        let Some(pool) = self.pool_index(name) else {
            return self.error(format!("no pool named `{name}`"));
        };
        match action {
            PoolAction::Pause | PoolAction::Resume => {
                let Some(run) = self.pools.get_mut(pool) else {
                    return;
                };
                let input = if action == PoolAction::Pause {
                    PoolInput::Pause
                } else {
                    PoolInput::Resume
                };
                run.life = run.life.on(input);
                self.emit_pool_state(pool);
            }
            PoolAction::CancelPending => self.cancel_pending(pool),
            PoolAction::AddInputs(new) => {
                if self.shutting_down {
                    return self.error(format!("not adding inputs to `{name}`: the session is ending"));
                }
                let Some(run) = self.pools.get_mut(pool) else {
                    return;
                };
                if !run.life.takes_new_inputs() {
                    return self.error(format!("pool `{name}` is being stopped; inputs not added"));
                }
                run.life = run.life.on(PoolInput::Added);
                let first = run.inputs.len();
                for text in new {
                    run.inputs.push(text);
                    run.state.push(InputState::Queued);
                    run.attempts.push(0);
                }
                let last = run.inputs.len();
                run.queue.extend(first..last);
                for i in first..last {
                    let Some(text) = self.pools.get(pool).map(|r| r.inputs[i].clone()) else {
                        return;
                    };
                    let e = self.pool_event(pool, EventKind::TaskQueued { input_text: text }, Some(i));
                    self.emit(e);
                }
            }
            PoolAction::Resize(n) => {
                self.resize(pool, crate::session::Workers::saturating(n as u64).get() as usize);
                self.emit_pool_state(pool);
            }
            PoolAction::Terminate => self.stop_pool(pool, StopHow::Terminate),
            PoolAction::Kill => self.stop_pool(pool, StopHow::Kill),
        }
        self.schedule_pool(pool);
    }

    pub(super) fn emit_pool_state(&mut self, pool: usize) {
        let Some(run) = self.pools.get(pool) else {
            return;
        };
        let kind = EventKind::PoolState {
            paused: run.life.paused(),
            workers: run.target,
        };
        let e = self.pool_event(pool, kind, None);
        self.emit(e);
    }

    pub(super) fn cancel_pending(&mut self, pool: usize) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        let queued: Vec<usize> = run.queue.drain(..).collect();
        for i in queued {
            self.input_cancelled_unstarted(pool, i);
        }
    }

    pub(super) fn resize(&mut self, pool: usize, n: usize) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        run.target = n;
        let mut to_close = Vec::new();
        for (i, w) in run.workers.iter_mut().enumerate() {
            w.retiring = i >= n;
            if w.retiring && w.in_flight.is_empty() {
                if let Some(k) = w.key {
                    to_close.push(k);
                }
            }
        }
        if run.spec.mode == PoolMode::Persistent {
            for k in to_close {
                self.close_stdin(k);
            }
        }
    }

    /// Stops every worker; inputs not started are cancelled.
    pub(super) fn stop_pool(&mut self, pool: usize, how: StopHow) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        if run.life.finished() {
            return;
        }
        if !matches!(how, StopHow::Signal(_)) {
            run.life = run.life.on(PoolInput::Stop);
            self.cancel_pending(pool);
        }
        let keys: Vec<usize> = self
            .pools
            .get(pool)
            .map(|r| r.workers.iter().filter_map(|w| w.key).collect())
            .unwrap_or_default();
        for k in keys {
            self.stop(k, how, true, "");
        }
        if !matches!(how, StopHow::Signal(_)) {
            self.remote_stopping(pool, how == StopHow::Kill);
        }
        self.check_pool_done(pool);
    }

    /// Stop on one worker (by name): its inputs fail, and it is replaced.
    pub(super) fn stop_pool_worker(&mut self, _pool: usize, key: usize, how: StopHow) {
        self.stop(key, how, false, "");
    }
}
