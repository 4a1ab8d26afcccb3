//! Everything about processes. No GUI code lives here: the supervisor owns
//! every child and talks to the rest of the program by messages only.

pub mod branch;
pub mod command;
pub mod dispositions;
mod elsewhere;
pub mod error;
pub mod lines;
pub mod restart;
pub mod supervisor;

mod cgroup;
mod child;
mod contain;
mod fd_wait;
mod handle;
mod lifecycle;
mod lifecycle_steps;
mod os_limits;
mod outbox;
mod pausing;
mod peak;
mod pool;
mod pool_control;
mod pool_refused;
mod pool_remote;
mod pool_remote_stop;
mod pool_results;
mod pool_slurm_kill;
mod pool_table;
mod pool_timers;
mod pool_workers;
mod procs;
mod protocol;
mod pty;
mod reactor;
mod remote;
pub mod sampler;
mod scancel;
pub mod sched;
mod slurm_outcome;
mod slurm_watch;
mod spawn;
mod stopping;
mod streams;
mod task_refused;
mod task_remote;
mod task_remote_signal;
mod tasks;
mod timers;
mod tracking;
pub mod tree;

pub use command::{Command, PoolAction, StopHow};
pub use error::EngineError;
pub use outbox::{weight as queue_weight, QUEUED_BYTES};
pub use supervisor::{Engine, EngineConfig};
