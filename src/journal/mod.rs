//! The session journal: every event of a session appended as JSON Lines to
//! a file under `$XDG_STATE_HOME/proctor/sessions/` (default
//! `~/.local/state/proctor/sessions/`), mode 0600, flushed at least every
//! 100 ms. The supervisor writes it as it emits events, so the app and
//! `proctor run` both keep one, and a crash loses the last 100 ms (more
//! on a disk slower than the events come: see docs/journal.md).
//! Old journals are removed, oldest first, beyond a total size. The format,
//! its versions and these guarantees: docs/journal.md.

pub mod export;
pub mod output;

mod frame_stream;
mod frame_writer;
mod reader;
mod rotate;
mod summary;
mod summary_cache;
mod writer;

pub use reader::{check_format, for_each_event, open_journal, read_journal, JournalText, Problems};
pub use rotate::{is_journal_name, is_live, removed_note, rotate};
pub use summary::{list_journals, summarize, JournalSummary, UNFINISHED};
pub use summary_cache::CACHE_NAME;
pub use writer::{Journal, END_WAIT, STALL_WAIT};

use std::path::PathBuf;
use std::time::Duration;

/// The journal format this version writes, carried by the first event
/// (`session_started`'s `format`); a journal without it is format 1. What
/// changed in each is in docs/journal.md.
pub const FORMAT: u32 = 3;

/// The longest an event waits in memory before it is written.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(100);
/// Default total size of kept journals.
pub const DEFAULT_MAX_TOTAL: u64 = 1024 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct JournalConfig {
    pub dir: PathBuf,
    /// Journals beyond this total size are removed, oldest first.
    pub max_total_bytes: u64,
}

impl JournalConfig {
    /// The default folder, and the total size from
    /// `PROCTOR_JOURNAL_MAX_BYTES` if set (an error if it is not a whole
    /// number of bytes: a value that is ignored would surprise).
    pub fn default_location() -> Result<Self, String> {
        let max_total_bytes = match std::env::var("PROCTOR_JOURNAL_MAX_BYTES") {
            Err(std::env::VarError::NotPresent) => DEFAULT_MAX_TOTAL,
            Ok(v) if v.trim().is_empty() => DEFAULT_MAX_TOTAL,
            Err(std::env::VarError::NotUnicode(v)) => {
                return Err(format!(
                    "PROCTOR_JOURNAL_MAX_BYTES={v:?} is not a whole number of bytes"
                ))
            }
            Ok(v) => v.trim().parse().map_err(|_| {
                format!(
                    // `{v:?}`: as written, control characters escaped.
                    "PROCTOR_JOURNAL_MAX_BYTES={v:?} is not a whole number of bytes (0 to {})",
                    u64::MAX
                )
            })?,
        };
        Ok(Self {
            dir: default_dir(),
            max_total_bytes,
        })
    }
}

/// `$XDG_STATE_HOME/proctor/sessions`, else `~/.local/state/proctor/sessions`.
pub fn default_dir() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| std::env::temp_dir().join("proctor-state"));
    state.join("proctor").join("sessions")
}

/// Whether an event says something of the session beyond its start, its
/// end and resource samples: a journal without one is a session in which
/// nothing ran (removed at its end, not listed in the app's History).
pub fn says_something(kind: &crate::event::EventKind) -> bool {
    use crate::event::EventKind;
    !matches!(
        kind,
        EventKind::SessionStarted { .. } | EventKind::SessionEnded { .. } | EventKind::Samples { .. }
    )
}

#[cfg(test)]
mod tests;
