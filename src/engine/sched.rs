//! Pool scheduling decisions, as pure functions: which input goes to which
//! worker next, what a failed input becomes, how an input becomes a command.

use std::collections::VecDeque;

/// What the scheduler needs to know of one worker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WorkerView {
    /// Can take inputs (not retiring, not being stopped, not failed).
    pub accepting: bool,
    /// Inputs it holds now.
    pub in_flight: usize,
}

/// Hands queued inputs to workers: each goes to the accepting worker with
/// the fewest inputs in flight (lowest index on ties), up to `depth` each.
/// Returns `(worker index, input index)` in the order to dispatch them.
pub fn assign(
    queue: &mut VecDeque<usize>,
    workers: &[WorkerView],
    depth: usize,
    paused: bool,
) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if paused || depth == 0 {
        return out;
    }
    let mut load: Vec<Option<usize>> = workers
        .iter()
        .map(|w| w.accepting.then_some(w.in_flight))
        .collect();
    while !queue.is_empty() {
        let best = load
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.filter(|&n| n < depth).map(|n| (n, i)))
            .min();
        let Some((_, w)) = best else { break };
        let input = queue.pop_front().expect("queue not empty");
        out.push((w, input));
        if let Some(l) = load[w].as_mut() {
            *l += 1;
        }
    }
    out
}

/// What becomes of an input whose attempt failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    /// Queue it again (front of the queue): `attempt` is the next attempt.
    Retry {
        attempt: u32,
    },
    Fail,
}

/// `attempts_made` counts the attempt that just failed.
pub fn after_failure(attempts_made: u32, retries: u32) -> AfterFailure {
    if attempts_made <= retries {
        AfterFailure::Retry {
            attempt: attempts_made + 1,
        }
    } else {
        AfterFailure::Fail
    }
}

/// The command for one input in spawn mode: every `{}` in any argument is
/// replaced by the input; with no `{}` anywhere the input is appended.
pub fn substitute(template: &[String], input: &str) -> Vec<String> {
    if template.iter().any(|a| a.contains("{}")) {
        template.iter().map(|a| a.replace("{}", input)).collect()
    } else {
        let mut v = template.to_vec();
        v.push(input.to_string());
        v
    }
}

/// The workers a pool should have running now, given the work left.
pub fn workers_wanted(target: usize, queued: usize, in_flight: usize, paused: bool) -> usize {
    let work = if paused { in_flight } else { queued + in_flight };
    target.min(work.max(in_flight))
}

/// A pool is done when every input has reached an end state and no worker
/// is alive.
pub fn pool_done(unresolved: usize, workers_alive: usize) -> bool {
    unresolved == 0 && workers_alive == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(accepting: bool, in_flight: usize) -> WorkerView {
        WorkerView { accepting, in_flight }
    }

    #[test]
    fn assigns_in_queue_order_to_least_loaded() {
        let mut q: VecDeque<usize> = (0..5).collect();
        let a = assign(&mut q, &[w(true, 0), w(true, 0)], 1, false);
        assert_eq!(a, vec![(0, 0), (1, 1)]);
        assert_eq!(q, VecDeque::from(vec![2, 3, 4]));
    }

    #[test]
    fn pipelines_up_to_depth_and_skips_non_accepting() {
        let mut q: VecDeque<usize> = (0..10).collect();
        let a = assign(&mut q, &[w(false, 0), w(true, 1), w(true, 0)], 2, false);
        assert_eq!(a, vec![(2, 0), (1, 1), (2, 2)]);
        assert_eq!(q.len(), 7);
    }

    #[test]
    fn paused_assigns_nothing() {
        let mut q: VecDeque<usize> = (0..3).collect();
        assert!(assign(&mut q, &[w(true, 0)], 1, true).is_empty());
        assert_eq!(q.len(), 3);
    }

    #[test]
    fn no_input_is_lost_or_duplicated() {
        let mut q: VecDeque<usize> = (0..1000).collect();
        let mut seen = Vec::new();
        let mut workers = vec![w(true, 0); 3];
        while !q.is_empty() {
            for (wi, input) in assign(&mut q, &workers, 4, false) {
                workers[wi].in_flight += 1;
                seen.push(input);
            }
            // Every worker finishes one input.
            for x in workers.iter_mut() {
                x.in_flight = x.in_flight.saturating_sub(1);
            }
        }
        assert_eq!(seen, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn retries_then_fails() {
        assert_eq!(after_failure(1, 2), AfterFailure::Retry { attempt: 2 });
        assert_eq!(after_failure(2, 2), AfterFailure::Retry { attempt: 3 });
        assert_eq!(after_failure(3, 2), AfterFailure::Fail);
        assert_eq!(after_failure(1, 0), AfterFailure::Fail);
    }

    #[test]
    fn substitutes_or_appends() {
        let t: Vec<String> = vec!["sh".into(), "-c".into(), "echo $(({} * {}))".into()];
        assert_eq!(substitute(&t, "3")[2], "echo $((3 * 3))");
        let t: Vec<String> = vec!["echo".into()];
        assert_eq!(substitute(&t, "x y"), vec!["echo", "x y"]);
    }

    #[test]
    fn wanted_workers_follow_the_work() {
        assert_eq!(workers_wanted(4, 10, 0, false), 4);
        assert_eq!(workers_wanted(4, 1, 0, false), 1);
        assert_eq!(workers_wanted(4, 10, 1, true), 1);
        assert_eq!(workers_wanted(4, 0, 0, false), 0);
        assert!(pool_done(0, 0));
        assert!(!pool_done(1, 0));
        assert!(!pool_done(0, 1));
    }
}
