//! Everything about processes. No GUI code lives here: the supervisor owns
//! every child and talks to the rest of the program by messages only.

pub mod branch;
pub mod command;
pub mod dispositions;
pub mod error;
pub mod event;
pub mod event_schema;
pub mod exit;
pub mod export;
pub mod journal;
pub mod lines;
pub mod output;
pub mod restart;
pub mod signal;
pub mod spec;
pub mod supervisor;

mod cgroup;
mod child;
mod contain;
mod handle;
mod lifecycle;
mod lifecycle_steps;
mod pausing;
mod peak;
mod pool;
mod pool_control;
mod reactor;
pub mod sampler;
pub mod sched;
mod spawn;
mod stopping;
mod streams;
mod tasks;
mod timers;
mod tracking;
pub mod tree;

pub use command::{Command, PoolAction, StopHow};
pub use error::EngineError;
pub use event::{Event, EventKind};
pub use supervisor::{Engine, EngineConfig};
