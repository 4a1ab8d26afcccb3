//! The timeline picture from the command line: `proctor run --timeline
//! out.svg` draws the run's journal when it ends, `proctor export J out.svg`
//! any journal (a past session). Both fold the journal's events, as the
//! app does, and write the same SVG as File ▸ Export picture….

use crate::event::Event;
use crate::journal::export::AtomicFile;
use crate::pictures::Pictures;
use anyhow::{Context, Result};
use std::io::Write as _;
use std::path::Path;

/// Whether `out` asks for the picture (an `.svg` file).
pub fn is_picture(out: &Path) -> bool {
    out.extension().is_some_and(|x| x.eq_ignore_ascii_case("svg"))
}

/// The SVG of a session's events (light background: it is for documents).
pub fn svg_of_events(events: &[Event]) -> String {
    let mut p = Pictures::default();
    for e in events {
        p.apply(e);
    }
    crate::pictures::svg::svg(&p, false)
}

/// Writes `text` to `out` in one piece (a failed write leaves no file).
pub fn write(out: &Path, text: &str) -> Result<()> {
    let mut f = AtomicFile::create(out).with_context(|| format!("cannot write {}", out.display()))?;
    f.writer()
        .write_all(text.as_bytes())
        .and_then(|_| f.commit())
        .with_context(|| format!("cannot write {}", out.display()))
}

/// Draws the journal at `journal` into `out`; returns how many events it read.
pub fn journal_to_svg(journal: &Path, out: &Path) -> Result<usize> {
    // Folded one event at a time: the pictures keep runs and samples, not
    // the events (nor their output).
    let mut p = Pictures::default();
    let mut n = 0;
    let bad = crate::journal::for_each_event(journal, |e| {
        p.apply(&e);
        n += 1;
    })
    .with_context(|| format!("cannot read {}", journal.display()))?;
    if !bad.is_empty() {
        say!("warning: skipped {} line(s) that are not events", bad.len());
    }
    write(out, &crate::pictures::svg::svg(&p, false))?;
    Ok(n)
}
