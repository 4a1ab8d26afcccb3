//! Commands into the supervisor. Everything that changes engine state is
//! one of these; the supervisor thread applies them in order.

use crate::session::{PoolSpec, TaskSpec};
use nix::sys::signal::Signal;

/// How to stop a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopHow {
    /// The process's stop signal to its group, then SIGKILL after its stop
    /// timeout if any of the group is still alive.
    Terminate,
    /// SIGKILL to the group at once.
    Kill,
    /// Any signal, once, to the group (does not mark the process stopped).
    Signal(Signal),
}

#[derive(Clone, Debug, PartialEq)]
pub enum PoolAction {
    Pause,
    Resume,
    /// Drop the inputs not yet started.
    CancelPending,
    AddInputs(Vec<String>),
    /// Grow (workers start at once) or shrink (workers retire when their
    /// current input ends).
    Resize(usize),
    /// Stop every worker by the pool's stop policy; pending inputs are cancelled.
    Terminate,
    Kill,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Start every instance of a task. A process of the same name that is
    /// still alive is left alone (an `error` event says so).
    Start {
        task: TaskSpec,
    },
    /// Start a pool over its inputs.
    StartPool {
        pool: PoolSpec,
    },
    /// Stop one process by name.
    Stop {
        process: String,
        how: StopHow,
    },
    /// Stop one branch of a process's tree: `pid` (a descendant, wherever
    /// it went) and everything under it, by `how`. Terminate sends SIGTERM
    /// and, after the task's stop timeout, SIGKILL to what of the branch
    /// still runs (each member pinned by a pidfd and its start time). The
    /// leader's own pid stops the whole process, as `Stop`.
    StopBranch {
        process: String,
        pid: u32,
        how: StopHow,
    },
    /// Stop every process (tasks and pools).
    StopAll {
        how: StopHow,
    },
    /// Stop a process (if alive) and start it again with the same spec.
    Restart {
        process: String,
    },
    /// Pause a process's whole tree (SIGSTOP to its group and tagged
    /// descendants). The row says `paused` once the leader is stopped.
    Pause {
        process: String,
    },
    /// Resume a paused tree (SIGCONT).
    Resume {
        process: String,
    },
    Pool {
        pool: String,
        action: PoolAction,
    },
    /// Write a line (a newline is added) to the stdin of a task started
    /// with `stdin = true`.
    WriteStdin {
        process: String,
        line: String,
    },
    /// Forget processes and pools that have ended.
    ClearEnded,
    /// SIGKILL every process this session started whose named process has
    /// ended (grandchildren left behind).
    KillLeftovers,
    /// Stop everything by its stop policy, wait for it, end the session.
    Shutdown,
    /// Tests only: makes the supervisor thread panic with this message, to
    /// show that a panic strands nothing (see `contain`).
    #[doc(hidden)]
    TestPanic(String),
}
