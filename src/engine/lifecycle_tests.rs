//! The lifecycle rules as transitions, with no process spawned.

use super::*;

fn rules(policy: RestartPolicy) -> Rules {
    Rules {
        policy,
        max_restarts: 3,
        backoff: Duration::from_millis(500),
        backoff_max: Duration::from_secs(30),
    }
}

fn ctx(policy: Option<RestartPolicy>, restarts: u32) -> Ctx {
    Ctx {
        now: Instant::now(),
        rules: policy.map(rules),
        restarts,
        shutting_down: false,
    }
}

/// The leader was seen stopped and not since continued.
fn paused(s: &Life) -> bool {
    matches!(
        s,
        Life::Running { paused: true } | Life::Stopping { paused: true, .. }
    )
}

const RUNNING: Life = Life::Running { paused: false };
const TERM: Input = Input::Stop {
    kill: false,
    by_user: true,
};
const TERM_BY_RULE: Input = Input::Stop {
    kill: false,
    by_user: false,
};
const KILL: Input = Input::Stop {
    kill: true,
    by_user: true,
};
const KILL_BY_RULE: Input = Input::Stop {
    kill: true,
    by_user: false,
};
const SEND_TERM: Action = Action::Signal {
    kill: false,
    resume: false,
};
const SEND_KILL: Action = Action::Signal {
    kill: true,
    resume: false,
};

/// Runs `inputs` from `state`; returns the last state and every action.
fn run(mut state: Life, inputs: &[Input], c: &Ctx) -> (Life, Vec<Action>) {
    let mut all = Vec::new();
    for &i in inputs {
        let (s, a) = on(state, i, c);
        state = s;
        all.extend(a);
    }
    (state, all)
}

#[test]
fn a_failure_backs_off_by_the_policy_and_the_timer_restarts() {
    let c = ctx(Some(RestartPolicy::OnFailure), 0);
    let (s, a) = on(RUNNING, Input::Exited { code: 1 }, &c);
    assert!(s.backing_off());
    assert_eq!(a, vec![Action::ArmRestart(Duration::from_millis(500))]);
    let (s, a) = on(s, Input::RestartTimer, &c);
    assert_eq!(s, Life::Starting { retry: true });
    assert_eq!(a, vec![Action::Spawn { by_user: false }]);
    assert_eq!(on(s, Input::Spawned, &c).0, RUNNING);
    // A success is not restarted on failure only.
    let (s, a) = on(RUNNING, Input::Exited { code: 0 }, &c);
    assert_eq!(
        (s, a),
        (
            Life::Exited {
                code: 0,
                stopped: false
            },
            vec![]
        )
    );
}

#[test]
fn backoff_doubles_caps_and_stops_at_max_restarts() {
    let delay = |restarts| match on(
        RUNNING,
        Input::Exited { code: 1 },
        &ctx(Some(RestartPolicy::Always), restarts),
    )
    .1[..]
    {
        [Action::ArmRestart(d)] => Some(d),
        _ => None,
    };
    assert_eq!(delay(1), Some(Duration::from_secs(1)));
    assert_eq!(delay(2), Some(Duration::from_secs(2)));
    assert_eq!(delay(3), None, "max_restarts reached");
    let mut c = ctx(Some(RestartPolicy::Always), 0);
    c.rules = Some(Rules {
        backoff: Duration::MAX,
        backoff_max: Duration::MAX,
        ..rules(RestartPolicy::Always)
    });
    // A huge backoff is capped, never a panic.
    let (s, a) = on(RUNNING, Input::Exited { code: 1 }, &c);
    assert!(s.backing_off());
    assert_eq!(a, vec![Action::ArmRestart(MAX_DELAY)]);
}

#[test]
fn a_user_stop_ends_as_stopped_and_is_never_restarted() {
    let c = ctx(Some(RestartPolicy::Always), 0);
    let (s, a) = run(RUNNING, &[TERM, Input::Exited { code: -15 }], &c);
    assert_eq!(
        s,
        Life::Exited {
            code: -15,
            stopped: true
        }
    );
    assert_eq!(a, vec![SEND_TERM]);
    assert!(s.stopped_by_user());
}

#[test]
fn a_timeout_stop_is_a_failure_and_follows_the_policy() {
    let c = ctx(Some(RestartPolicy::OnFailure), 0);
    let (s, _) = run(RUNNING, &[TERM_BY_RULE, Input::Exited { code: -15 }], &c);
    assert!(s.backing_off(), "{s:?}");
    assert!(!s.stopped_by_user());
}

#[test]
fn stop_escalation_terminates_once_then_kills() {
    let c = ctx(None, 0);
    let (s, a) = run(RUNNING, &[TERM, TERM, KILL_BY_RULE], &c);
    assert_eq!(a, vec![SEND_TERM, SEND_KILL], "a second Terminate sends nothing");
    // The escalation (not the user) does not undo the user's stop.
    assert!(s.stopped_by_user());
}

#[test]
fn stopping_a_paused_process_continues_it_after_the_stop_signal() {
    let c = ctx(None, 0);
    let (s, a) = on(RUNNING, Input::JobStopped, &c);
    assert!(paused(&s));
    assert_eq!(a, vec![Action::Paused(true)]);
    let (s, a) = on(s, TERM, &c);
    assert_eq!(
        a,
        vec![Action::Signal {
            kill: false,
            resume: true
        }]
    );
    // SIGKILL needs no SIGCONT.
    let (_, a) = on(Life::Running { paused: true }, KILL, &c);
    assert_eq!(a, vec![SEND_KILL]);
    let (s, a) = on(s, Input::JobContinued, &c);
    assert!(!paused(&s));
    assert_eq!(a, vec![Action::Paused(false)]);
}

#[test]
fn pause_and_continue_are_reported_once_each() {
    let c = ctx(None, 0);
    let (s, a) = run(
        RUNNING,
        &[
            Input::JobStopped,
            Input::JobStopped,
            Input::JobContinued,
            Input::JobContinued,
        ],
        &c,
    );
    assert_eq!(s, RUNNING);
    assert_eq!(a, vec![Action::Paused(true), Action::Paused(false)]);
    // An ended process has no job state.
    let ended = Life::Exited {
        code: 0,
        stopped: false,
    };
    assert_eq!(on(ended, Input::JobStopped, &c), (ended, vec![]));
}

#[test]
fn a_user_stop_cancels_a_scheduled_restart() {
    let c = ctx(Some(RestartPolicy::Always), 0);
    let (s, _) = on(RUNNING, Input::Exited { code: 1 }, &c);
    let (s, a) = on(s, TERM, &c);
    assert_eq!(
        s,
        Life::Exited {
            code: 1,
            stopped: true
        }
    );
    assert_eq!(a, vec![Action::RestartCancelled]);
    // The restart timer that was armed finds nothing to do.
    assert_eq!(on(s, Input::RestartTimer, &c), (s, vec![]));
}

#[test]
fn restart_stops_then_starts_at_the_exit_and_not_during_shutdown() {
    let c = ctx(Some(RestartPolicy::Never), 0);
    let (s, a) = on(RUNNING, Input::Restart, &c);
    assert_eq!(a, vec![SEND_TERM]);
    let (s2, a) = on(s, Input::Exited { code: -15 }, &c);
    assert_eq!(s2, Life::Starting { retry: false });
    assert_eq!(a, vec![Action::Spawn { by_user: true }]);
    // The session ends meanwhile: it stays stopped.
    let (s3, _) = on(s, Input::Shutdown, &c);
    let mut ending = c;
    ending.shutting_down = true;
    let (s3, a) = on(s3, Input::Exited { code: -15 }, &ending);
    assert_eq!(
        (s3, a),
        (
            Life::Exited {
                code: -15,
                stopped: true
            },
            vec![]
        )
    );
    // Restart of an ended process starts it now.
    let ended = Life::Exited {
        code: 0,
        stopped: false,
    };
    assert_eq!(
        on(ended, Input::Restart, &c).1,
        vec![Action::Spawn { by_user: true }]
    );
}

#[test]
fn a_failed_restart_is_retried_after_backoff_but_a_first_start_is_not() {
    let c = ctx(Some(RestartPolicy::Always), 1);
    let (s, a) = on(Life::Starting { retry: true }, Input::SpawnFailed, &c);
    assert!(s.backing_off());
    assert_eq!(a, vec![Action::ArmRestart(Duration::from_secs(1))]);
    let (s, a) = on(Life::Starting { retry: false }, Input::SpawnFailed, &c);
    assert_eq!((s, a), (Life::FailedToStart, vec![]));
}

#[test]
fn shutdown_cancels_backoff_and_nothing_restarts() {
    let c = ctx(Some(RestartPolicy::Always), 0);
    let (s, _) = on(RUNNING, Input::Exited { code: 1 }, &c);
    let (s, a) = on(s, Input::Shutdown, &c);
    assert!(!s.backing_off());
    assert!(a.is_empty());
    let mut ending = c;
    ending.shutting_down = true;
    let (s, a) = on(RUNNING, Input::Exited { code: 1 }, &ending);
    assert_eq!(
        (s, a),
        (
            Life::Exited {
                code: 1,
                stopped: false
            },
            vec![]
        )
    );
}

#[test]
fn workers_have_no_restart_rules() {
    let c = ctx(None, 0);
    let (s, a) = on(RUNNING, Input::Exited { code: 1 }, &c);
    assert_eq!(
        (s, a),
        (
            Life::Exited {
                code: 1,
                stopped: false
            },
            vec![]
        )
    );
}

#[test]
fn a_pool_pauses_resumes_stops_and_finishes() {
    use PoolInput as I;
    let run = |inputs: &[I]| inputs.iter().fold(PoolLife::Running, |s, &i| s.on(i));
    assert_eq!(run(&[I::Pause]), PoolLife::Paused);
    assert!(!run(&[I::Pause]).runs_inputs());
    assert_eq!(run(&[I::Pause, I::Resume]), PoolLife::Running);
    // A stop is final: no resume, no new inputs, failures not retried.
    let stopped = run(&[I::Pause, I::Stop, I::Resume, I::Added]);
    assert_eq!(stopped, PoolLife::Stopping);
    assert!(!stopped.takes_new_inputs());
    let done = stopped.on(I::Done);
    assert!(done.finished() && done.stopping() && !done.takes_new_inputs());
    assert_eq!(done.on(I::Added), done);
    // A finished pool that was paused stays paused when inputs are added.
    let f = run(&[I::Pause, I::Done]);
    assert!(f.finished() && f.paused());
    assert_eq!(f.on(I::Added), PoolLife::Paused);
    assert_eq!(f.on(I::Resume).on(I::Added), PoolLife::Running);
}

#[test]
fn an_unreachable_host_is_tried_again_while_a_policy_restarts() {
    let unreachable = |tries| Input::HostUnreachable { tries };
    // With a policy: backoff doubled per try, capped, whatever the
    // restarts made so far (max_restarts is 3 here).
    for (tries, ms) in [(1, 500), (2, 1000), (3, 2000), (40, 30_000)] {
        let (s, a) = on(
            Life::Starting { retry: true },
            unreachable(tries),
            &ctx(Some(RestartPolicy::Always), 3),
        );
        assert!(s.backing_off(), "{tries}: {s:?}");
        assert_eq!(a, vec![Action::ArmRestart(Duration::from_millis(ms))]);
    }
    // A run its host refused a session (see `task_refused`) too.
    let (s, a) = on(
        Life::Running { paused: false },
        unreachable(2),
        &ctx(Some(RestartPolicy::OnFailure), 1),
    );
    assert!(s.backing_off(), "{s:?}");
    assert_eq!(a, vec![Action::ArmRestart(Duration::from_millis(1000))]);
    // The first start too.
    let (s, _) = on(
        Life::Idle,
        unreachable(1),
        &ctx(Some(RestartPolicy::OnFailure), 0),
    );
    assert!(s.backing_off());
    // No policy, or the session ending: it failed to start.
    let (s, a) = on(Life::Idle, unreachable(1), &ctx(Some(RestartPolicy::Never), 0));
    assert_eq!((s, a), (Life::FailedToStart, vec![]));
    let mut c = ctx(Some(RestartPolicy::Always), 0);
    c.shutting_down = true;
    assert_eq!(
        on(Life::Starting { retry: true }, unreachable(1), &c).0,
        Life::FailedToStart
    );
}
