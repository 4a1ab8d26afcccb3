//! Pools inside the supervisor: `workers` slots over a queue of inputs.
//!
//! Spawn mode: each input is one child, run in the slot that took it
//! (`POOL/worker-K`); its stdout is its result. Persistent mode: each slot is
//! one long-lived child; an input is a line on its stdin and the next line on
//! its stdout is the result. Several inputs may be in flight per worker
//! (pipelining, see DESIGN.md); results are matched by order. The decisions
//! (who gets which input, retry or fail) are the pure functions of `sched`.

use super::command::StopHow;
use super::lifecycle::{PoolInput, PoolLife};
use super::sched::{self, AfterFailure, WorkerView};
use super::supervisor::{Origin, Supervisor, TimerWhat};
use crate::event::{Event, EventKind, PoolTotals, Usage};
use crate::session::{PoolMode, PoolSpec};
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Inputs in flight per persistent worker.
const PIPELINE_DEPTH: usize = 8;
/// The stdout kept as a spawn-mode input's result.
const MAX_RESULT: usize = 64 * 1024;
/// Worker deaths in a row without finishing an input before the pool gives up.
const MAX_FRUITLESS_DEATHS: u32 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum InputState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

pub(super) struct Worker {
    pub key: Option<usize>,
    /// Inputs given to this worker, oldest first, with when each started.
    pub in_flight: VecDeque<(usize, Instant)>,
    /// Shrinking: take no more inputs, end after the current ones.
    pub retiring: bool,
    /// Spawn mode: stdout of the current input.
    pub output: String,
    /// Persistent mode: a timeout timer is pending for this worker (one at
    /// a time, for its oldest input, so timers don't pile up).
    pub timer_armed: bool,
}

pub(super) struct PoolRun {
    pub spec: Arc<PoolSpec>,
    pub argv: Vec<String>,
    pub inputs: Vec<String>,
    pub state: Vec<InputState>,
    pub attempts: Vec<u32>,
    pub queue: VecDeque<usize>,
    pub life: PoolLife,
    pub target: usize,
    pub workers: Vec<Worker>,
    pub started: Instant,
    pub busy: f64,
    pub done: u64,
    pub failed: u64,
    pub cancelled: u64,
    pub fruitless_deaths: u32,
}

impl PoolRun {
    /// Inputs not yet done, failed or cancelled (counted, not scanned:
    /// this is asked after every event).
    fn unresolved(&self) -> usize {
        self.inputs
            .len()
            .saturating_sub((self.done + self.failed + self.cancelled) as usize)
    }
    fn in_flight(&self) -> usize {
        self.workers.iter().map(|w| w.in_flight.len()).sum()
    }
}

impl Supervisor {
    pub(super) fn pool_index(&self, name: &str) -> Option<usize> {
        self.pools
            .iter()
            .position(|p| p.as_ref().is_some_and(|p| p.spec.name == name))
    }

    pub(super) fn pool_event(&self, pool: usize, kind: EventKind, input: Option<usize>) -> Event {
        let name = self.pools[pool]
            .as_ref()
            .map(|p| p.spec.name.as_str())
            .unwrap_or("");
        Event::now(kind).pool(name, input.map(|i| i as u64))
    }

    pub(super) fn start_pool(&mut self, spec: PoolSpec) {
        if self.shutting_down {
            return self.error(format!(
                "not starting pool `{}`: the session is ending",
                spec.name
            ));
        }
        if let Some(i) = self.pool_index(&spec.name) {
            if self.pools[i].as_ref().is_some_and(|p| !p.life.finished()) {
                return self.error(format!("pool `{}` is already running", spec.name));
            }
            self.drop_pool(i);
        }
        let argv = match spec.run.argv(spec.shell) {
            Ok(a) => a,
            Err(e) => return self.error(format!("pool `{}`: bad command: {e}", spec.name)),
        };
        let inputs = match spec.load_inputs() {
            Ok(v) => v,
            Err(e) => return self.error(format!("pool `{}`: {e}", spec.name)),
        };
        let n = inputs.len();
        let run = PoolRun {
            target: spec.workers.get() as usize,
            spec: Arc::new(spec),
            argv,
            inputs,
            state: vec![InputState::Queued; n],
            attempts: vec![0; n],
            queue: (0..n).collect(),
            life: PoolLife::Running,
            workers: Vec::new(),
            started: Instant::now(),
            busy: 0.0,
            done: 0,
            failed: 0,
            cancelled: 0,
            fruitless_deaths: 0,
        };
        let slot = match self.pools.iter().position(Option::is_none) {
            Some(s) => {
                self.pools[s] = Some(run);
                s
            }
            None => {
                self.pools.push(Some(run));
                self.pools.len() - 1
            }
        };
        self.emit_pool_state(slot);
        for i in 0..n {
            let text = self.pools[slot].as_ref().expect("just inserted").inputs[i].clone();
            let e = self.pool_event(slot, EventKind::TaskQueued { input_text: text }, Some(i));
            self.emit(e);
        }
        self.schedule_pool(slot);
    }

    fn drop_pool(&mut self, pool: usize) {
        if let Some(run) = self.pools[pool].take() {
            for w in run.workers {
                if let Some(k) = w.key {
                    self.remove_worker_proc(k);
                }
            }
        }
    }

    pub(super) fn clear_ended_pools(&mut self) {
        for i in 0..self.pools.len() {
            if self.pools[i].as_ref().is_some_and(|p| p.life.finished()) {
                self.drop_pool(i);
            }
        }
    }

    pub(super) fn schedule_pools(&mut self) {
        for pool in 0..self.pools.len() {
            if self.pools[pool].as_ref().is_some_and(|p| !p.life.finished()) {
                self.schedule_pool(pool);
            }
        }
    }

    pub(super) fn schedule_pool(&mut self, pool: usize) {
        let Some(run) = self.pools[pool].as_mut() else {
            return;
        };
        if run.life.finished() {
            return;
        }
        let persistent = run.spec.mode == PoolMode::Persistent;
        // Make sure enough worker slots exist.
        let wanted = sched::workers_wanted(
            run.target,
            run.queue.len(),
            run.in_flight(),
            !run.life.runs_inputs(),
        );
        while run.workers.len() < run.target.max(wanted) && run.workers.len() < run.target {
            run.workers.push(Worker {
                key: None,
                in_flight: VecDeque::new(),
                retiring: false,
                output: String::new(),
                timer_armed: false,
            });
        }
        if run.life.runs_inputs() && !self.shutting_down && !run.queue.is_empty() {
            // Persistent workers must be running to take inputs.
            if persistent {
                let need: Vec<usize> = (0..run.workers.len())
                    .filter(|&i| {
                        let w = &run.workers[i];
                        !w.retiring
                            && w.key
                                .is_none_or(|k| self.procs[k].as_ref().is_none_or(|p| !p.alive()))
                    })
                    .take(run.queue.len())
                    .collect();
                for i in need {
                    self.spawn_persistent(pool, i);
                }
            }
            let run = self.pools[pool].as_mut().expect("exists");
            let views: Vec<WorkerView> = run
                .workers
                .iter()
                .map(|w| WorkerView {
                    accepting: !w.retiring
                        && (if persistent {
                            w.key.is_some_and(|k| {
                                self.procs[k].as_ref().is_some_and(|p| {
                                    p.alive()
                                        && p.stdin.as_ref().is_some_and(|s| !s.close_when_flushed)
                                        && p.kill_at.is_none()
                                })
                            })
                        } else {
                            w.key.is_none_or(|k| {
                                self.procs[k]
                                    .as_ref()
                                    .is_none_or(|p| !p.alive() && p.kill_at.is_none())
                            })
                        }),
                    in_flight: w.in_flight.len(),
                })
                .collect();
            let depth = if persistent { PIPELINE_DEPTH } else { 1 };
            let plan = sched::assign(&mut run.queue, &views, depth, false);
            let mut touched = Vec::new();
            for (w, input) in plan {
                self.dispatch_input(pool, w, input);
                if !touched.contains(&w) {
                    touched.push(w);
                }
            }
            // Persistent workers get their new lines in one write each.
            if persistent {
                let keys: Vec<usize> = touched
                    .iter()
                    .filter_map(|&w| self.pools[pool].as_ref().and_then(|r| r.workers[w].key))
                    .collect();
                for k in keys {
                    self.flush_stdin(k);
                }
            }
        }
        self.retire_idle(pool);
        self.check_pool_done(pool);
    }

    /// Closes the stdin of persistent workers with nothing left to do.
    pub(super) fn retire_idle(&mut self, pool: usize) {
        let Some(run) = self.pools[pool].as_ref() else {
            return;
        };
        if run.spec.mode != PoolMode::Persistent {
            return;
        }
        let no_more = run.queue.is_empty() || run.life.stopping();
        let keys: Vec<usize> = run
            .workers
            .iter()
            .filter(|w| w.in_flight.is_empty() && (no_more || w.retiring))
            .filter_map(|w| w.key)
            .collect();
        for k in keys {
            self.close_stdin(k);
        }
    }

    fn ensure_worker_proc(&mut self, pool: usize, w: usize) -> usize {
        let run = self.pools[pool].as_ref().expect("exists");
        if let Some(k) = run.workers[w].key {
            return k;
        }
        let name = run.spec.worker_name(w + 1);
        let stop = run.spec.stop.clone();
        // A name left from an earlier run of the same pool is replaced.
        if let Some(old) = self.by_name.get(&name).copied() {
            if self.procs[old].as_ref().is_some_and(|p| !p.alive()) {
                self.remove_worker_proc(old);
            }
        }
        let key = self.insert_proc(name, Origin::Worker { pool, index: w }, stop);
        self.pools[pool].as_mut().expect("exists").workers[w].key = Some(key);
        key
    }

    fn spawn_persistent(&mut self, pool: usize, w: usize) {
        let key = self.ensure_worker_proc(pool, w);
        let spec = self.pools[pool].as_ref().expect("exists").spec.clone();
        let argv = self.pools[pool].as_ref().expect("exists").argv.clone();
        if self
            .spawn_into(key, &argv, &spec.working_dir(), &spec.env, true)
            .is_none()
        {
            // The worker cannot start: no input can run; fail them all.
            self.fail_all_queued(pool, "the worker could not start (see spawn_failed)");
        }
    }

    fn fail_all_queued(&mut self, pool: usize, why: &str) {
        let run = self.pools[pool].as_mut().expect("exists");
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

    fn dispatch_input(&mut self, pool: usize, w: usize, input: usize) {
        let key = self.ensure_worker_proc(pool, w);
        let run = self.pools[pool].as_mut().expect("exists");
        run.state[input] = InputState::Running;
        run.attempts[input] += 1;
        let now = Instant::now();
        run.workers[w].in_flight.push_back((input, now));
        run.workers[w].output.clear();
        let text = run.inputs[input].clone();
        let spec = run.spec.clone();
        let timeout = spec.timeout.map(|t| t.get());
        match spec.mode {
            PoolMode::Persistent => {
                let mut line = text.clone().into_bytes();
                line.retain(|&b| b != b'\n');
                line.push(b'\n');
                self.queue_stdin(key, &line);
                let (name, pid) = self.procs[key]
                    .as_ref()
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
                let armed = &mut self.pools[pool].as_mut().expect("exists").workers[w].timer_armed;
                if let Some(timeout) = timeout.filter(|_| !*armed) {
                    *armed = true;
                    let run_id = self.procs[key].as_ref().map(|p| p.run_id).unwrap_or(0);
                    self.add_timer(key, run_id, TimerWhat::InputTimeout(input), timeout);
                }
            }
            PoolMode::Spawn => {
                let argv = sched::substitute(&self.pools[pool].as_ref().expect("exists").argv, &text);
                match self.spawn_into(key, &argv, &spec.working_dir(), &spec.env, false) {
                    Some(pid) => {
                        let name = self.procs[key]
                            .as_ref()
                            .map(|p| p.name.clone())
                            .unwrap_or_default();
                        let e = Event::now(EventKind::TaskStarted { input_text: text })
                            .process(&name, Some(pid as u32))
                            .pool(&spec.name, Some(input as u64));
                        self.emit(e);
                        if let Some(timeout) = timeout {
                            let run_id = self.procs[key].as_ref().map(|p| p.run_id).unwrap_or(0);
                            self.add_timer(key, run_id, TimerWhat::Timeout, timeout);
                        }
                    }
                    None => {
                        // The slot is free again at once: nothing else will
                        // wake the loop to give it the next input.
                        self.reschedule = true;
                        self.pools[pool].as_mut().expect("exists").workers[w]
                            .in_flight
                            .clear();
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

    /// A stdout line from a pool worker.
    pub(super) fn pool_stdout_line(&mut self, key: usize, line: String) {
        let Some(Origin::Worker { pool, index }) = self.proc(key).map(|p| p.origin.clone()) else {
            return;
        };
        let Some(run) = self.pools.get_mut(pool).and_then(Option::as_mut) else {
            return;
        };
        let w = &mut run.workers[index];
        match run.spec.mode {
            PoolMode::Spawn => {
                let input = w.in_flight.front().map(|(i, _)| *i as u64);
                if w.output.len() < MAX_RESULT {
                    if !w.output.is_empty() {
                        w.output.push('\n');
                    }
                    let room = MAX_RESULT - w.output.len();
                    let mut cut = line.len().min(room);
                    while !line.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    w.output.push_str(&line[..cut]);
                }
                self.emit_stdout(key, line, input);
            }
            PoolMode::Persistent => match w.in_flight.pop_front() {
                Some((input, started)) => {
                    let duration = started.elapsed().as_secs_f64();
                    run.fruitless_deaths = 0;
                    self.input_done(pool, key, input, 0, line, duration);
                    let retiring = self.pools[pool]
                        .as_ref()
                        .is_some_and(|r| r.workers[index].retiring && r.workers[index].in_flight.is_empty());
                    if retiring {
                        self.close_stdin(key);
                    }
                }
                None => self.emit_stdout(key, line, None),
            },
        }
    }

    fn input_done(
        &mut self,
        pool: usize,
        key: usize,
        input: usize,
        exit_code: i32,
        result: String,
        duration: f64,
    ) {
        let run = self.pools[pool].as_mut().expect("exists");
        run.state[input] = InputState::Done;
        run.done += 1;
        run.busy += duration;
        let (name, pid) = self.procs[key]
            .as_ref()
            .map(|p| (p.name.clone(), p.pid().or(p.pgid.map(|g| g as u32))))
            .unwrap_or_default();
        let e = self
            .pool_event(
                pool,
                EventKind::TaskDone {
                    exit_code,
                    result,
                    duration,
                },
                Some(input),
            )
            .process(&name, pid);
        let spec_name = self.pools[pool].as_ref().expect("exists").spec.name.clone();
        self.emit(Event {
            pool: Some(spec_name),
            input: Some(input as u64),
            ..e
        });
    }

    fn input_failed(
        &mut self,
        pool: usize,
        key: usize,
        input: usize,
        exit_code: Option<i32>,
        message: String,
        duration: f64,
    ) {
        let run = self.pools[pool].as_mut().expect("exists");
        run.busy += duration;
        let retry = !run.life.stopping() && !self.shutting_down;
        let decision = if retry {
            sched::after_failure(run.attempts[input], run.spec.retries.get())
        } else {
            AfterFailure::Fail
        };
        let will_retry = matches!(decision, AfterFailure::Retry { .. });
        if will_retry {
            run.state[input] = InputState::Queued;
            run.queue.push_front(input);
            // Nothing else may wake the loop: schedule again right away.
            self.reschedule = true;
        } else {
            run.state[input] = InputState::Failed;
            run.failed += 1;
        }
        let message = match decision {
            AfterFailure::Retry { attempt } => format!(
                "{message}; retrying (attempt {attempt} of {})",
                run.spec.retries.get() + 1
            ),
            AfterFailure::Fail => message,
        };
        let spec_name = run.spec.name.clone();
        let (name, pid) = self.procs[key]
            .as_ref()
            .map(|p| (p.name.clone(), p.pid().or(p.pgid.map(|g| g as u32))))
            .unwrap_or_default();
        let e = Event::now(EventKind::TaskFailed {
            exit_code,
            message,
            duration,
            will_retry,
        })
        .process(&name, pid)
        .pool(&spec_name, Some(input as u64));
        self.emit(e);
    }

    /// An input whose worker the user stopped: cancelled, not failed.
    fn input_cancelled(&mut self, pool: usize, input: usize, duration: f64) {
        let Some(run) = self.pools[pool].as_mut() else {
            return;
        };
        run.busy += duration;
        run.state[input] = InputState::Cancelled;
        run.cancelled += 1;
        let e = self.pool_event(pool, EventKind::TaskCancelled, Some(input));
        self.emit(e);
    }

    pub(super) fn pool_worker_exited(
        &mut self,
        key: usize,
        pid: i32,
        exit_code: i32,
        runtime: f64,
        usage: Usage,
    ) {
        let Some(Origin::Worker { pool, index }) = self.proc(key).map(|p| p.origin.clone()) else {
            return;
        };
        let (name, stopped) = self
            .proc(key)
            .map(|p| (p.name.clone(), p.life.stopped_by_user()))
            .unwrap_or_default();
        let spec_name = self.pools[pool]
            .as_ref()
            .map(|r| r.spec.name.clone())
            .unwrap_or_default();
        self.emit(
            Event::now(EventKind::Exited {
                exit_code,
                runtime,
                restart_in: None,
                usage: Some(usage),
                stopped,
            })
            .process(&name, Some(pid as u32))
            .pool(&spec_name, None),
        );
        let Some(run) = self.pools[pool].as_mut() else {
            return;
        };
        let w = &mut run.workers[index];
        w.timer_armed = false;
        // A worker we retired (stdin closed on purpose) did not die.
        let retired = w.retiring;
        let in_flight: Vec<(usize, Instant)> = w.in_flight.drain(..).collect();
        let output = std::mem::take(&mut w.output);
        match run.spec.mode {
            PoolMode::Spawn => {
                if let Some(&(input, started)) = in_flight.first() {
                    let duration = started.elapsed().as_secs_f64();
                    if exit_code == 0 {
                        self.input_done(pool, key, input, 0, output, duration);
                    } else if stopped {
                        self.input_cancelled(pool, input, duration);
                    } else {
                        let msg = format!("exited with {}", crate::event::exit::describe_exit(exit_code));
                        self.input_failed(pool, key, input, Some(exit_code), msg, duration);
                    }
                }
            }
            PoolMode::Persistent => {
                let mut iter = in_flight.into_iter();
                if let Some((input, started)) = iter.next() {
                    let duration = started.elapsed().as_secs_f64();
                    if stopped {
                        self.input_cancelled(pool, input, duration);
                    } else {
                        let msg = format!(
                            "the worker died with {} during this input",
                            crate::event::exit::describe_exit(exit_code)
                        );
                        self.input_failed(pool, key, input, Some(exit_code), msg, duration);
                    }
                    // The others go back to the queue, in order, without
                    // counting as an attempt.
                    let run = self.pools[pool].as_mut().expect("exists");
                    let rest: Vec<usize> = iter.map(|(i, _)| i).collect();
                    let mut cancelled = Vec::new();
                    for &i in rest.iter().rev() {
                        run.attempts[i] = run.attempts[i].saturating_sub(1);
                        run.state[i] = InputState::Queued;
                        if run.life.stopping() || self.shutting_down {
                            run.state[i] = InputState::Cancelled;
                            run.cancelled += 1;
                            cancelled.push(i);
                        } else {
                            run.queue.push_front(i);
                        }
                    }
                    if !stopped {
                        run.fruitless_deaths += 1;
                    }
                    for i in cancelled.into_iter().rev() {
                        let e = self.pool_event(pool, EventKind::TaskCancelled, Some(i));
                        self.emit(e);
                    }
                    self.reschedule = true;
                } else if !run.queue.is_empty() && !run.life.stopping() && !retired {
                    run.fruitless_deaths += 1;
                }
                let run = self.pools[pool].as_mut().expect("exists");
                if run.fruitless_deaths >= MAX_FRUITLESS_DEATHS && !run.queue.is_empty() {
                    let why = format!("workers keep dying without finishing an input ({} in a row); the rest of the queue is failed", run.fruitless_deaths);
                    self.error(format!("pool `{spec_name}`: {why}"));
                    self.fail_all_queued(pool, &why);
                }
            }
        }
        self.schedule_pool(pool);
    }

    pub(super) fn on_input_timeout(&mut self, key: usize, input: usize) {
        let Some(Origin::Worker { pool, index }) = self.proc(key).map(|p| p.origin.clone()) else {
            return;
        };
        let Some(run) = self.pools.get(pool).and_then(Option::as_ref) else {
            return;
        };
        let _ = input;
        let t = run.spec.timeout.map_or(Duration::ZERO, |t| t.get());
        let front = run.workers[index].in_flight.front().copied();
        let run = self.pools[pool].as_mut().expect("exists");
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
            let run_id = self.procs[key].as_ref().map(|p| p.run_id).unwrap_or(0);
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
        let Some(run) = self.pools[pool].as_ref() else {
            return;
        };
        if run.life.finished() {
            return;
        }
        let alive = run
            .workers
            .iter()
            .filter_map(|w| w.key)
            .filter(|&k| self.procs[k].as_ref().is_some_and(|p| p.alive()))
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
        let run = self.pools[pool].as_mut().expect("exists");
        run.life = run.life.on(PoolInput::Done);
        let e = self.pool_event(pool, EventKind::PoolDone { totals }, None);
        self.emit(e);
    }
}
