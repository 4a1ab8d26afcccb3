//! Proctor: a process manager for Linux. `engine` runs processes and pools
//! and reports events; `model` folds events into tables; `cli` and `gui`
//! are the two front ends.

pub mod ansi;
pub mod cli;
pub mod engine;
pub mod event;
pub mod gui;
pub mod journal;
pub mod model;
pub mod pictures;
pub mod session;
