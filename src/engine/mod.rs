//! Everything about processes. No GUI code lives here: the supervisor owns
//! every child and talks to the rest of the program by messages only.

pub mod command;
pub mod error;
pub mod event;
pub mod event_schema;
pub mod exit;
pub mod export;
pub mod journal;
pub mod lines;
pub mod restart;
pub mod signal;
pub mod spec;
pub mod supervisor;

mod child;
mod handle;
mod pool;
mod pool_control;
mod reactor;
pub mod sched;
mod spawn;
mod stopping;
mod streams;
mod tasks;
mod timers;
pub mod tree;

pub use command::{Command, PoolAction, StopHow};
pub use error::EngineError;
pub use event::{Event, EventKind};
pub use supervisor::{Engine, EngineConfig};
