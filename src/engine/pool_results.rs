//! What comes back from a pool's workers: result lines, finished, failed
//! and cancelled inputs, worker exits (input timeouts and the pool's end:
//! `pool_timers`).

use super::command::StopHow;
use super::lines::Line;
use super::pool::{InputState, MAX_FRUITLESS_DEATHS, MAX_RESULT};
use super::protocol::{self, Answer, Joined};
use super::sched::{self, AfterFailure};
use super::supervisor::{Origin, Supervisor};
use crate::event::{Event, EventKind, Usage};
use crate::session::{PoolMode, Protocol};
use std::time::Instant;

impl Supervisor {
    /// A stdout line from a pool worker.
    pub(super) fn pool_stdout_line(&mut self, key: usize, line: Line) {
        let Some(Origin::Worker { pool, index }) = self.proc(key).map(|p| p.origin.clone()) else {
            return;
        };
        let Some(run) = self.pools.get_mut(pool) else {
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
                    let text = &line.text;
                    let room = MAX_RESULT - w.output.len();
                    let mut cut = text.len().min(room);
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    w.output.push_str(&text[..cut]);
                }
                self.emit_stdout(key, line, input);
            }
            PoolMode::Persistent => {
                // A long answer comes in pieces: one answer, one result.
                let Some(joined) = w.partial.push(line.text, line.bytes, line.complete) else {
                    return;
                };
                let jsonl = run.spec.protocol == Protocol::Jsonl;
                let answer = match joined {
                    Joined::Line { text, bytes } => Ok(Line {
                        text,
                        bytes,
                        complete: true,
                    }),
                    Joined::TooLong { len } => Err(format!("an answer longer than {} MiB", len >> 20)),
                };
                if jsonl {
                    self.jsonl_answer(pool, key, index, answer);
                } else {
                    self.line_answer(pool, key, index, answer);
                }
            }
        }
    }

    /// `protocol = "lines"`: the answer of the oldest input in flight.
    fn line_answer(&mut self, pool: usize, key: usize, index: usize, answer: Result<Line, String>) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        let Some((input, started)) = run.workers[index].in_flight.pop_front() else {
            // Nothing was asked: it is output, not an answer.
            if let Ok(line) = answer {
                self.emit_stdout(key, line, None);
            }
            return;
        };
        let duration = answer_duration(&mut run.workers[index].last_answer, started);
        run.fruitless_deaths = 0;
        match answer {
            Ok(line) => self.input_done(pool, key, input, 0, line, duration),
            Err(why) => self.input_failed(pool, key, input, None, why, duration),
        }
        self.after_answer(pool, key, index);
    }

    /// `protocol = "jsonl"`: the answer of the input its id names.
    fn jsonl_answer(&mut self, pool: usize, key: usize, index: usize, answer: Result<Line, String>) {
        let worker = self.proc(key).map(|p| p.name.clone()).unwrap_or_default();
        let line = match answer {
            Ok(line) => line,
            Err(why) => {
                // Its id cannot be read, so no input can be given this
                // answer: the worker is stopped, and what it held is retried
                // (within `retries`) as for any worker that dies.
                self.pool_error(
                    pool,
                    format!("`{worker}` wrote {why}, which cannot be read; stopping it"),
                );
                return self.stop(key, StopHow::Terminate, false, "an answer too long to read; ");
            }
        };
        let (id, result) = match protocol::parse_answer(&line.text) {
            Answer::Result { id, text } => (id, Ok(text)),
            Answer::Error { id, message } => (id, Err(message)),
            Answer::Invalid(why) => {
                let shown: String = line.text.chars().take(80).collect();
                return self.pool_error(
                    pool,
                    format!("`{worker}` wrote a line that is not a jsonl answer ({why}); ignored: {shown}"),
                );
            }
        };
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        // The id names the input and its attempt: a late answer to an
        // earlier attempt is not the answer to this one.
        let (input, attempt) = protocol::split_id(id);
        let current = run.attempts.get(input).copied();
        let flight = &mut run.workers[index].in_flight;
        let at = flight
            .iter()
            .position(|&(i, _)| i == input)
            .filter(|_| current == Some(attempt));
        let Some(at) = at else {
            return self.pool_error(
                pool,
                format!(
                    "`{worker}` answered request {id} (input {input}, attempt {attempt}), which is not one it holds (never sent, answered already, or an earlier attempt); ignored"
                ),
            );
        };
        let Some((input, started)) = flight.remove(at) else {
            return;
        };
        let duration = answer_duration(&mut run.workers[index].last_answer, started);
        run.fruitless_deaths = 0;
        match result {
            Ok(text) => {
                let line = Line {
                    text,
                    bytes: None,
                    complete: true,
                };
                self.input_done(pool, key, input, 0, line, duration)
            }
            Err(message) => self.input_failed(pool, key, input, None, message, duration),
        }
        self.after_answer(pool, key, index);
    }

    /// A retiring worker with nothing left in flight gets its stdin closed.
    fn after_answer(&mut self, pool: usize, key: usize, index: usize) {
        let retiring = self
            .pools
            .get(pool)
            .is_some_and(|r| r.workers[index].retiring && r.workers[index].in_flight.is_empty());
        if retiring {
            self.close_stdin(key);
        }
    }

    /// An error about a pool as a whole (not one of its inputs).
    fn pool_error(&mut self, pool: usize, message: String) {
        let e = self.pool_event(pool, EventKind::Error { message }, None);
        self.emit(e);
    }

    pub(super) fn input_done(
        &mut self,
        pool: usize,
        key: usize,
        input: usize,
        exit_code: i32,
        result: Line,
        duration: f64,
    ) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        run.state[input] = InputState::Done;
        run.done += 1;
        run.busy += duration;
        let (name, pid) = self
            .procs
            .get(key)
            .map(|p| (p.name.clone(), p.pid().or(p.pgid.map(|g| g as u32))))
            .unwrap_or_default();
        let e = self
            .pool_event(
                pool,
                EventKind::TaskDone {
                    exit_code,
                    result: result.text,
                    duration,
                    result_bytes: result.bytes,
                },
                Some(input),
            )
            .process(&name, pid);
        let spec_name = self.pools.get(pool).map(|r| r.spec.name.clone());
        self.emit(Event {
            pool: spec_name,
            input: Some(input as u64),
            ..e
        });
    }

    pub(super) fn input_failed(
        &mut self,
        pool: usize,
        key: usize,
        input: usize,
        exit_code: Option<i32>,
        message: String,
        duration: f64,
    ) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        run.busy += duration;
        let retry = !run.life.stopping() && !self.shutting_down && !super::pool_remote::all_down(run);
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
        let (name, pid) = self
            .procs
            .get(key)
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
    /// `exit_code`: the input's own (spawn mode), if it came back.
    pub(super) fn input_cancelled(
        &mut self,
        pool: usize,
        input: usize,
        duration: f64,
        exit_code: Option<i32>,
    ) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        run.busy += duration;
        run.state[input] = InputState::Cancelled;
        run.cancelled += 1;
        let e = self.pool_event(
            pool,
            EventKind::TaskCancelled {
                exit_code,
                duration: Some(duration),
            },
            Some(input),
        );
        self.emit(e);
    }

    /// An input cancelled before it started (dropped from the queue, or
    /// its worker stopped while its Slurm step was pending): no time, no
    /// code.
    pub(super) fn input_cancelled_unstarted(&mut self, pool: usize, input: usize) {
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        run.state[input] = InputState::Cancelled;
        run.cancelled += 1;
        let e = self.pool_event(pool, never_started(), Some(input));
        self.emit(e);
    }

    pub(super) fn pool_worker_exited(
        &mut self,
        key: usize,
        pid: i32,
        exit_code: i32,
        runtime: f64,
        usage: Option<Usage>,
        proctor_stop: bool,
    ) {
        let Some(Origin::Worker { pool, index }) = self.proc(key).map(|p| p.origin.clone()) else {
            return;
        };
        let (name, stopped) = self
            .proc(key)
            .map(|p| (p.name.clone(), p.life.stopped_by_user()))
            .unwrap_or_default();
        let spec_name = self
            .pools
            .get(pool)
            .map(|r| r.spec.name.clone())
            .unwrap_or_default();
        let refused = self.slot_refused(pool, index, stopped);
        // A remote worker's code is the remote command's (see `pool_remote`).
        let end = self.remote_outcome(pool, index, exit_code, stopped, proctor_stop);
        let (exit_code, lost) = (end.code, end.lost);
        self.emit(
            Event::now(EventKind::Exited {
                exit_code,
                runtime,
                restart_in: None,
                usage,
                stopped,
            })
            .process(&name, Some(pid as u32))
            .pool(&spec_name, None),
        );
        let Some(run) = self.pools.get_mut(pool) else {
            return;
        };
        let w = &mut run.workers[index];
        w.timer_armed = false;
        // A persistent worker's input began when it was sent, or when the
        // one before it was answered if that came later (it waited in the
        // pipe meanwhile), as an answered input is timed.
        let last_answer = w.last_answer.take();
        // A worker we retired (stdin closed on purpose) did not die.
        let retired = w.retiring;
        let in_flight: Vec<(usize, Instant)> = w.in_flight.drain(..).collect();
        let output = std::mem::take(&mut w.output);
        if refused {
            let why = lost.unwrap_or_default();
            return self.session_refused(pool, key, index, in_flight, why);
        }
        match run.spec.mode {
            PoolMode::Spawn => {
                if let Some(&(input, started)) = in_flight.first() {
                    // A Slurm step that never ran was busy for no time.
                    let duration = if end.never_ran {
                        0.0
                    } else {
                        started.elapsed().as_secs_f64()
                    };
                    if let Some(why) = lost.filter(|_| !stopped) {
                        self.input_failed(pool, key, input, None, why, duration);
                    } else if exit_code == 0 && !(stopped && end.no_code) {
                        self.input_done(
                            pool,
                            key,
                            input,
                            0,
                            Line {
                                text: output,
                                bytes: None,
                                complete: true,
                            },
                            duration,
                        );
                    } else if stopped && end.never_ran {
                        self.input_cancelled_unstarted(pool, input);
                    } else if stopped {
                        let code = (!end.no_code).then_some(exit_code);
                        self.input_cancelled(pool, input, duration, code);
                    } else {
                        let msg = format!("exited with {}", crate::event::exit::describe_exit(exit_code));
                        self.input_failed(pool, key, input, Some(exit_code), msg, duration);
                    }
                }
            }
            PoolMode::Persistent => {
                let mut iter = in_flight.into_iter();
                if let Some((input, started)) = iter.next() {
                    let begun = last_answer.map_or(started, |t| t.max(started));
                    let duration = begun.elapsed().as_secs_f64();
                    if stopped && end.never_ran {
                        // A Slurm step still pending: it never ran.
                        self.input_cancelled_unstarted(pool, input);
                    } else if stopped {
                        self.input_cancelled(pool, input, duration, None);
                    } else {
                        let msg = lost.unwrap_or_else(|| {
                            format!(
                                "the worker died with {} during this input",
                                crate::event::exit::describe_exit(exit_code)
                            )
                        });
                        self.input_failed(pool, key, input, Some(exit_code), msg, duration);
                    }
                    // The others go back to the queue, in order, without
                    // counting as an attempt.
                    let Some(run) = self.pools.get_mut(pool) else {
                        return;
                    };
                    let rest: Vec<usize> = iter.map(|(i, _)| i).collect();
                    let mut cancelled = Vec::new();
                    for &i in rest.iter().rev() {
                        run.attempts[i] = run.attempts[i].saturating_sub(1);
                        run.state[i] = InputState::Queued;
                        if run.life.stopping() || self.shutting_down {
                            cancelled.push(i);
                        } else {
                            run.queue.push_front(i);
                        }
                    }
                    if !stopped {
                        run.fruitless_deaths += 1;
                    }
                    for i in cancelled.into_iter().rev() {
                        self.input_cancelled_unstarted(pool, i);
                    }
                    self.reschedule = true;
                } else if !run.queue.is_empty() && !run.life.stopping() && !retired {
                    run.fruitless_deaths += 1;
                }
                let Some(run) = self.pools.get_mut(pool) else {
                    return;
                };
                if run.fruitless_deaths >= MAX_FRUITLESS_DEATHS && !run.queue.is_empty() {
                    let why = format!("workers keep dying without finishing an input ({} in a row); the rest of the queue is failed", run.fruitless_deaths);
                    self.error(format!("pool `{spec_name}`: {why}"));
                    self.fail_all_queued(pool, &why);
                }
            }
        }
        self.schedule_pool(pool);
    }
}

/// How long an answered input took: from when it was sent, or from the
/// worker's previous answer if that came later (it waited in the pipe
/// meanwhile). Records this answer's time.
fn answer_duration(last: &mut Option<Instant>, sent: Instant) -> f64 {
    let now = Instant::now();
    let begun = last.map_or(sent, |t| t.max(sent));
    *last = Some(now);
    now.saturating_duration_since(begun).as_secs_f64()
}

/// The `task_cancelled` of an input dropped before it started.
pub(super) fn never_started() -> EventKind {
    EventKind::TaskCancelled {
        exit_code: None,
        duration: None,
    }
}
