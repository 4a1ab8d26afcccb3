//! The pictures of a session (issue "pictures where people would rather look
//! than read"): the timeline of processes and pool inputs, each pool's
//! speedup, CPU and memory over time, and the SVG of it all. Everything
//! here is folded from events or computed from what was folded, so a live
//! session and a past one (its journal) are drawn the same way.

pub mod fold;
pub mod host_lanes;
pub mod series;
pub mod speedup;
pub mod stacked;
pub mod svg;
pub mod svg_lanes;
pub mod timeline;

pub use fold::{Outcome, Pictures, PoolPicture, ProcLane, Span};
