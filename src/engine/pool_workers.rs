//! A pool's workers inside the supervisor: starting a worker's process
//! (spawn mode per input, persistent mode once) and handing it an input.

use super::pool::*;
use super::protocol;
use super::sched;
use super::supervisor::{Origin, Supervisor, TimerWhat};
use super::tasks::NotStarted;
use crate::event::{Event, EventKind};
use crate::session::{PoolMode, Protocol};
use std::time::Instant;

impl Supervisor {
    pub(super) fn ensure_worker_proc(&mut self, pool: usize, w: usize) -> Option<usize> {
        let run = self.pools.get(pool)?;
        if let Some(k) = run.workers[w].key {
            return Some(k);
        }
        let name = run.spec.worker_name(w + 1);
        let stop = run.spec.stop.clone();
        // A name left from an earlier run of the same pool is replaced.
        if let Some(old) = self.procs.key(&name) {
            if self.procs.get(old).is_some_and(|p| !p.alive()) {
                self.remove_worker_proc(old);
            }
        }
        let key = self.insert_proc(name.clone(), Origin::Worker { pool, index: w }, stop);
        self.pools.get_mut(pool)?.workers[w].key = Some(key);
        self.remote_slot_made(pool, w, &name);
        Some(key)
    }

    pub(super) fn spawn_persistent(&mut self, pool: usize, w: usize) {
        let Some(key) = self.ensure_worker_proc(pool, w) else {
            return;
        };
        if let Some(run) = self.pools.get_mut(pool) {
            // Pieces of an answer its last process left unfinished are not
            // the start of the new one's.
            run.workers[w].partial = Default::default();
            run.workers[w].last_answer = None;
        }
        let Some((spec, argv)) = self.pools.get(pool).map(|r| (r.spec.clone(), r.argv.clone())) else {
            return;
        };
        let env = super::pty::child_env(&spec.env, spec.unbuffered);
        let io = super::tasks::Io {
            stdin: true,
            pty: false,
        };
        let what = spec.worker_name(w + 1);
        let argv = self.remote_argv(pool, w, &argv, &what).unwrap_or(argv);
        if self.spawn_into(key, &argv, &spec.working_dir(), &env, io) == Err(NotStarted::Failed) {
            let others = self.pools.get(pool).is_some_and(|r| {
                r.workers
                    .iter()
                    .enumerate()
                    .any(|(i, o)| i != w && o.key.and_then(|k| self.procs.get(k)).is_some_and(|p| p.alive()))
            });
            if others {
                // The pool goes on with the workers it has; this slot is
                // not tried again (a resize or the next start tries anew).
                if let Some(run) = self.pools.get_mut(pool) {
                    run.workers[w].retiring = true;
                    let running = run.workers.iter().filter(|o| !o.retiring).count();
                    let name = run.spec.name.clone();
                    let e = self.pool_event(
                        pool,
                        EventKind::Error {
                            message: format!(
                                "pool `{name}` goes on with {running} worker{}: another could not start (see spawn_failed)",
                                if running == 1 { "" } else { "s" }
                            ),
                        },
                        None,
                    );
                    self.emit(e);
                }
            } else {
                // No worker runs: no input can; fail them all.
                self.fail_all_queued(pool, "the worker could not start (see spawn_failed)");
            }
        }
    }

    pub(super) fn fail_all_queued(&mut self, pool: usize, why: &str) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        let queued: Vec<usize> = run.queue.drain(..).collect();
        for &i in &queued {
            run.state[i] = InputState::Failed;
        }
        run.failed += queued.len() as u64;
        for i in queued {
            let e = self.pool_event(
                pool,
                EventKind::TaskFailed {
                    exit_code: None,
                    message: why.to_string(),
                    duration: 0.0,
                    will_retry: false,
                },
                Some(i),
            );
            self.emit(e);
        }
    }

    /// An input the protocol cannot carry: it fails at once, without a
    /// retry (another attempt could not do better).
    fn input_refused(&mut self, pool: usize, w: usize, input: usize, why: String) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        run.workers[w].in_flight.retain(|&(i, _)| i != input);
        run.state[input] = InputState::Failed;
        run.failed += 1;
        let e = self.pool_event(
            pool,
            EventKind::TaskFailed {
                exit_code: None,
                message: why,
                duration: 0.0,
                will_retry: false,
            },
            Some(input),
        );
        self.emit(e);
        self.reschedule = true;
    }

    pub(super) fn dispatch_input(&mut self, pool: usize, w: usize, input: usize) {
        let Some(key) = self.ensure_worker_proc(pool, w) else {
            return;
        };
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        run.state[input] = InputState::Running;
        run.attempts[input] += 1;
        let run_attempt = run.attempts[input];
        let now = Instant::now();
        run.workers[w].in_flight.push_back((input, now));
        run.workers[w].output.clear();
        let text = run.inputs[input].clone();
        let spec = run.spec.clone();
        let timeout = spec.timeout.map(|t| t.get());
        match spec.mode {
            PoolMode::Persistent => {
                let jsonl = spec.protocol == Protocol::Jsonl;
                let id = protocol::request_id(input, run_attempt);
                let line = match protocol::request(jsonl, id, &text) {
                    Ok(line) => line,
                    Err(why) => return self.input_refused(pool, w, input, why),
                };
                self.queue_stdin(key, &line);
                let (name, pid) = self
                    .procs
                    .get(key)
                    .map(|p| (p.name.clone(), p.pid()))
                    .unwrap_or_default();
                let e = self
                    .pool_event(pool, EventKind::TaskStarted { input_text: text }, Some(input))
                    .process(&name, pid);
                let e = Event {
                    pool: Some(spec.name.clone()),
                    input: Some(input as u64),
                    ..e
                };
                self.emit(e);
                let Some(run) = self.pools.get_mut(pool) else {
                    return;
                };
                let armed = &mut run.workers[w].timer_armed;
                if let Some(timeout) = timeout.filter(|_| !*armed) {
                    *armed = true;
                    let run_id = self.procs.get(key).map(|p| p.run_id).unwrap_or(0);
                    self.add_timer(key, run_id, TimerWhat::InputTimeout(input), timeout);
                }
            }
            PoolMode::Spawn => {
                let Some(run) = self.pools.get(pool) else { return };
                let argv = sched::substitute(&run.argv, &text);
                let env = super::pty::child_env(&spec.env, spec.unbuffered);
                // A remote worker's stdin is a pipe held open: its end is
                // what stops the remote side.
                let (argv, io) = match self.remote_argv(pool, w, &argv, &format!("{input}")) {
                    Some(a) => (
                        a,
                        super::tasks::Io {
                            stdin: true,
                            pty: false,
                        },
                    ),
                    None => (argv, super::tasks::Io::default()),
                };
                match self.spawn_into(key, &argv, &spec.working_dir(), &env, io) {
                    Ok(pid) => {
                        // Its time runs from now, as its `task_started` event
                        // says (the spawn itself was the supervisor's work).
                        if let Some(f) = self
                            .pools
                            .get_mut(pool)
                            .and_then(|r| r.workers[w].in_flight.back_mut())
                        {
                            f.1 = Instant::now();
                        }
                        let name = self.procs.get(key).map(|p| p.name.clone()).unwrap_or_default();
                        let e = Event::now(EventKind::TaskStarted { input_text: text })
                            .process(&name, Some(pid as u32))
                            .pool(&spec.name, Some(input as u64));
                        self.emit(e);
                        if let Some(timeout) = timeout {
                            let run_id = self.procs.get(key).map(|p| p.run_id).unwrap_or(0);
                            self.add_timer(key, run_id, TimerWhat::Timeout, timeout);
                        }
                    }
                    Err(NotStarted::Waiting) => {
                        // Back in the queue, first: it starts when
                        // descriptors free up (see `fd_wait`).
                        if let Some(run) = self.pools.get_mut(pool) {
                            run.workers[w].in_flight.clear();
                            run.state[input] = InputState::Queued;
                            run.attempts[input] = run.attempts[input].saturating_sub(1);
                            run.put_back(input);
                        }
                    }
                    Err(NotStarted::Failed) => {
                        // The slot is free again at once: nothing else will
                        // wake the loop to give it the next input.
                        self.reschedule = true;
                        if let Some(run) = self.pools.get_mut(pool) {
                            run.workers[w].in_flight.clear();
                        }
                        self.input_failed(
                            pool,
                            key,
                            input,
                            None,
                            "could not start (see spawn_failed)".into(),
                            0.0,
                        );
                    }
                }
            }
        }
    }
}
