//! Whether and when a process that ended is started again. Pure: unit-tested
//! without spawning anything.

use crate::session::{RestartPolicy, TaskSpec};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RestartInput {
    pub policy: RestartPolicy,
    pub exit_code: i32,
    /// Restarts already made.
    pub restarts: u32,
    pub max_restarts: u32,
    /// The user stopped it (Terminate, Kill, Stop all): never restart.
    pub stopped_by_user: bool,
    /// The session is ending: never restart.
    pub shutting_down: bool,
    pub backoff: Duration,
    pub backoff_max: Duration,
}

impl RestartInput {
    /// The input for a task's process that ended with `exit_code`.
    pub fn for_task(
        spec: &TaskSpec,
        exit_code: i32,
        restarts: u32,
        stopped_by_user: bool,
        shutting_down: bool,
    ) -> Self {
        Self {
            policy: spec.restart,
            exit_code,
            restarts,
            max_restarts: spec.max_restarts.get(),
            stopped_by_user,
            shutting_down,
            backoff: spec.backoff.get(),
            backoff_max: spec.backoff_max.get(),
        }
    }
}

/// `Some(delay)` if the process is to be restarted.
pub fn restart_delay(i: &RestartInput) -> Option<Duration> {
    if i.stopped_by_user || i.shutting_down || i.restarts >= i.max_restarts {
        return None;
    }
    let wanted = match i.policy {
        RestartPolicy::Never => false,
        RestartPolicy::OnFailure => i.exit_code != 0,
        RestartPolicy::Always => true,
    };
    wanted.then(|| backoff_delay(i.backoff, i.backoff_max, i.restarts))
}

/// `base * 2^n`, capped at `max` (saturating: no `n` overflows).
pub fn backoff_delay(base: Duration, max: Duration, n: u32) -> Duration {
    let factor = 1u32.checked_shl(n).unwrap_or(u32::MAX);
    base.saturating_mul(factor).min(max.max(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn input(policy: RestartPolicy, exit_code: i32, restarts: u32) -> RestartInput {
        RestartInput {
            policy,
            exit_code,
            restarts,
            max_restarts: 3,
            stopped_by_user: false,
            shutting_down: false,
            backoff: ms(500),
            backoff_max: ms(30_000),
        }
    }

    #[test]
    fn on_failure_restarts_only_failures() {
        assert_eq!(restart_delay(&input(RestartPolicy::OnFailure, 0, 0)), None);
        assert_eq!(
            restart_delay(&input(RestartPolicy::OnFailure, 1, 0)),
            Some(ms(500))
        );
        assert_eq!(
            restart_delay(&input(RestartPolicy::OnFailure, -9, 0)),
            Some(ms(500))
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(restart_delay(&input(RestartPolicy::Always, 0, 1)), Some(ms(1000)));
        assert_eq!(restart_delay(&input(RestartPolicy::Always, 0, 2)), Some(ms(2000)));
        assert_eq!(backoff_delay(ms(500), ms(30_000), 10), ms(30_000));
        assert_eq!(backoff_delay(ms(500), ms(30_000), 1000), ms(30_000));
        assert_eq!(backoff_delay(ms(500), ms(30_000), u32::MAX), ms(30_000));
        let year = Duration::from_secs(365 * 86_400);
        assert_eq!(backoff_delay(year, year, u32::MAX), year);
        assert_eq!(backoff_delay(ms(0), ms(0), 40), ms(0));
    }

    #[test]
    fn stops_at_max_restarts_and_never_after_a_user_stop() {
        assert_eq!(restart_delay(&input(RestartPolicy::Always, 1, 3)), None);
        let mut i = input(RestartPolicy::Always, 1, 0);
        i.stopped_by_user = true;
        assert_eq!(restart_delay(&i), None);
        let mut i = input(RestartPolicy::Always, 1, 0);
        i.shutting_down = true;
        assert_eq!(restart_delay(&i), None);
        assert_eq!(restart_delay(&input(RestartPolicy::Never, 1, 0)), None);
    }
}
