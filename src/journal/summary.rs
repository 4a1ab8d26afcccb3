//! What the History view lists of each past journal: read once, in one
//! pass in bounded memory, and kept in the folder's summary cache (see
//! `summary_cache`) so that listing again reads only what changed.

use super::for_each_event;
use super::rotate::journal_files;
use super::summary_cache::SummaryCache;
use crate::event::EventKind;
use crate::model::SessionModel;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the History view shows of one past journal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JournalSummary {
    #[serde(skip)]
    pub path: PathBuf,
    pub size: u64,
    pub started: Option<String>,
    pub events: u64,
    pub processes: u64,
    pub failures: u64,
    /// Processes ended by a stop the user asked for (not failures).
    pub stopped: u64,
    pub names: Vec<String>,
    /// The rows its session showed (processes and pool workers).
    #[serde(default)]
    pub rows: u64,
    /// Why the journal could not be read (a newer format, an I/O error).
    pub problem: Option<String>,
    /// What of it could not be read (lines or damaged parts skipped, a
    /// torn end): the counts are of the rest.
    #[serde(default)]
    pub damage: Option<String>,
    /// Events beyond the session's start, end and samples
    /// (`journal::says_something`): none, and nothing ran in it.
    #[serde(default)]
    pub telling: u64,
    /// Its session's end (`session_ended`) was read: without it, the
    /// session was killed, its machine stopped or its disk stopped taking
    /// writes, or it is still running (`live`).
    #[serde(default)]
    pub ended: bool,
    /// A session (of this or another Proctor) still writes it: read when
    /// listed, never cached.
    #[serde(skip)]
    pub live: bool,
}

impl JournalSummary {
    /// It ends without its session's end, and no session writes it any
    /// more (one that cannot be read at all is a problem of its own, and
    /// one without any event was no session).
    pub fn unfinished(&self) -> bool {
        !self.ended && !self.live && self.problem.is_none() && self.events > 0
    }
}

/// What a journal without its session's end is told by.
pub const UNFINISHED: &str = "it ends without its session's end: the session was killed, its machine stopped, or its disk stopped taking writes, so its last events may be missing";

/// Lists the journals in `dir`, newest first, with counts read from each
/// (or from the folder's summary cache, for a journal unchanged since).
pub fn list_journals(dir: &Path) -> Vec<JournalSummary> {
    let mut files = journal_files(dir);
    files.sort_by_key(|f| std::cmp::Reverse(f.1));
    let mut cache = SummaryCache::load(dir);
    let list = files
        .into_iter()
        .map(|(path, modified, size)| {
            let mut s = cache.get_or(&path, modified, size, || summarize(&path, size));
            s.live = super::is_live(&path);
            s
        })
        .collect();
    cache.save(dir);
    list
}

/// A summary with nothing counted yet.
fn empty(path: &Path, size: u64) -> JournalSummary {
    JournalSummary {
        path: path.to_path_buf(),
        size,
        started: None,
        events: 0,
        processes: 0,
        failures: 0,
        stopped: 0,
        names: Vec::new(),
        rows: 0,
        problem: None,
        damage: None,
        telling: 0,
        ended: false,
        live: false,
    }
}

pub fn summarize(path: &Path, size: u64) -> JournalSummary {
    let mut s = empty(path, size);
    let mut names = std::collections::BTreeSet::new();
    let mut model = SessionModel::default();
    let read = for_each_event(path, |e| {
        count(&mut s, &mut names, &e);
        // The rows are all that is wanted of the fold: a pool input's
        // events (its results, up to 64 KiB each) and output make none,
        // and kept they would grow with the journal.
        if e.input.is_none() && !matches!(e.kind, EventKind::Stdout { .. } | EventKind::Stderr { .. }) {
            model.apply(&e);
        }
    });
    let skipped = match read {
        Ok(skipped) => skipped,
        Err(e) => {
            // Counts of a journal read only in part would mislead.
            return JournalSummary {
                problem: Some(e.to_string()),
                ..empty(path, size)
            };
        }
    };
    if let Some(first) = skipped.first() {
        s.damage = Some(match skipped.len() {
            1 => first.clone(),
            n => format!("{n} problems, the first: {first}"),
        });
    }
    s.rows = model.processes.len() as u64;
    s.names = names.into_iter().take(8).collect();
    s
}

/// Counts one event into the summary.
fn count(s: &mut JournalSummary, names: &mut std::collections::BTreeSet<String>, e: &crate::event::Event) {
    {
        s.events += 1;
        if super::says_something(&e.kind) {
            s.telling += 1;
        }
        if s.started.is_none() {
            s.started = Some(e.time.format("%Y-%m-%d %H:%M:%S").to_string());
        }
        match &e.kind {
            EventKind::Spawned { .. } => {
                s.processes += 1;
                if let Some(n) = &e.process {
                    names.insert(n.split('/').next().unwrap_or(n).to_string());
                }
            }
            EventKind::SpawnFailed { .. }
            | EventKind::TaskFailed {
                will_retry: false, ..
            } => s.failures += 1,
            EventKind::Exited {
                restart_in: None,
                stopped: true,
                ..
            } if e.pool.is_none() => s.stopped += 1,
            // A pool's inputs stopped by the user (Stop, Cancel rest, the
            // session's end) are its stopped work; its workers' exits are not
            // counted (they would count the same stop twice).
            EventKind::TaskCancelled { .. } => s.stopped += 1,
            EventKind::SessionEnded { .. } => s.ended = true,
            EventKind::Exited {
                exit_code,
                restart_in: None,
                stopped: false,
                ..
            } if *exit_code != 0 && e.pool.is_none() => s.failures += 1,
            _ => {}
        }
    }
}
