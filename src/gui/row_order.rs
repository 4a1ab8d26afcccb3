//! The process table's columns and the order of its rows.

use super::rows::Row;
use std::cmp::Ordering;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Col {
    Name,
    Pid,
    State,
    /// Where it runs: an SSH host or Slurm node (shown when any row has one).
    Host,
    Exit,
    Cpu,
    Memory,
    Started,
    Runtime,
    Restarts,
    /// CPU and memory of the last minute or so, as a sparkline.
    OverTime,
}

impl Col {
    pub const ALL: [Col; 11] = [
        Col::Name,
        Col::Pid,
        Col::State,
        Col::Host,
        Col::Exit,
        Col::Cpu,
        Col::Memory,
        Col::Started,
        Col::Runtime,
        Col::Restarts,
        Col::OverTime,
    ];
    pub fn title(self) -> &'static str {
        match self {
            Col::Name => "Name",
            Col::Pid => "PID",
            Col::State => "State",
            Col::Host => "Host",
            Col::Exit => "Exit",
            Col::Cpu => "CPU %",
            Col::Memory => "Memory",
            Col::Started => "Started",
            Col::Runtime => "Runtime",
            Col::Restarts => "Restarts",
            Col::OverTime => "Over time",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub col: Col,
    pub ascending: bool,
}

fn cmp_opt<T: PartialOrd>(a: &Option<T>, b: &Option<T>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Sorts rows by `s`, ties by name (natural order: `w2` before `w10`).
pub fn sort_rows(out: &mut [Row], s: Sort) {
    out.sort_by(|a, b| {
        let o = match s.col {
            Col::Name => super::natural::natural_cmp(&a.name, &b.name),
            Col::Pid => cmp_opt(&a.pid, &b.pid),
            Col::State => a.status.cmp(&b.status),
            Col::Host => cmp_opt(&a.host, &b.host),
            Col::Exit => cmp_opt(&a.exit_code, &b.exit_code),
            Col::Cpu => cmp_opt(&a.cpu, &b.cpu),
            Col::Memory => cmp_opt(&a.rss, &b.rss),
            Col::Started => cmp_opt(&a.started, &b.started),
            Col::Runtime => cmp_opt(&a.runtime, &b.runtime),
            Col::Restarts => a.restarts.cmp(&b.restarts),
            // Sorted as the memory it shows last.
            Col::OverTime => cmp_opt(&a.rss, &b.rss),
        };
        let o = if s.ascending { o } else { o.reverse() };
        o.then_with(|| super::natural::natural_cmp(&a.name, &b.name))
    });
}
