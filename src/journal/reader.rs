//! Reading a journal back (export, History, past sessions): bounded lines,
//! bad lines skipped and counted with their numbers, the format checked
//! first.

use super::FORMAT;
use crate::event::{parse_json_line, Event};
use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

/// The format of a journal (or JSON Lines export) from its first line:
/// `session_started`'s `format`, else 1 (older journals, and exports that
/// filtered the first event out). A format newer than [`FORMAT`] is an
/// error that says so.
pub fn check_format(first_line: &str) -> Result<u32, String> {
    #[derive(serde::Deserialize)]
    struct Head {
        kind: Option<serde_json::Value>,
        format: Option<serde_json::Value>,
    }
    let Ok(head) = serde_json::from_str::<Head>(first_line) else {
        return Ok(1);
    };
    if head.kind.as_ref().and_then(|k| k.as_str()) != Some("session_started") {
        return Ok(1);
    }
    let format = match head.format {
        None => return Ok(1),
        Some(f) => f,
    };
    match format.as_u64() {
        Some(f) if f <= FORMAT as u64 => Ok(f.max(1) as u32),
        Some(f) => Err(format!(
            "journal format {f} is newer than this Proctor ({}) reads (formats 1 to {FORMAT}); open it with a newer Proctor",
            env!("CARGO_PKG_VERSION")
        )),
        None => Err(format!("unknown journal format `{format}` in the first event")),
    }
}

/// Reads a journal (or any JSON Lines export). Lines that do not parse are
/// reported, with their line numbers, and skipped; a last line cut short by
/// a crash is one of them. A journal of a newer format than this version
/// reads is an error (`InvalidData`), before any event is read.
pub fn read_journal(path: &Path) -> io::Result<(Vec<Event>, Vec<String>)> {
    let file = File::open(path)?;
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let mut first = true;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    for i in 0.. {
        let (read, whole) = read_line_bounded(&mut reader, &mut line, MAX_LINE)?;
        if read == 0 {
            break;
        }
        if !whole {
            errors.push(format!(
                "{}:{}: a line longer than {} MiB (skipped)",
                path.display(),
                i + 1,
                MAX_LINE >> 20
            ));
            continue;
        }
        let text = String::from_utf8_lossy(&line);
        if text.trim().is_empty() {
            continue;
        }
        if std::mem::take(&mut first) {
            check_format(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        }
        match parse_json_line(&text) {
            Ok(e) => events.push(e),
            Err(e) => errors.push(format!("{}:{}: {e}", path.display(), i + 1)),
        }
    }
    Ok((events, errors))
}

/// The longest journal line read; no event comes near it (an output line
/// is at most 64 KiB), so a longer one is damage, skipped without holding
/// it in memory.
const MAX_LINE: usize = 16 << 20;

/// Reads one line (without its newline) into `buf`, keeping at most `max`
/// bytes. Returns the bytes consumed (0 at the end) and whether the line
/// fit whole.
pub(super) fn read_line_bounded(
    r: &mut impl BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<(usize, bool)> {
    buf.clear();
    let mut consumed = 0;
    let mut whole = true;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((consumed, whole));
        }
        let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(n) => (&chunk[..n], Some(n + 1)),
            None => (chunk, None),
        };
        if whole && buf.len() + part.len() <= max {
            buf.extend_from_slice(part);
        } else {
            whole = false;
            buf.clear();
        }
        let used = done.unwrap_or(part.len());
        r.consume(used);
        consumed += used;
        if done.is_some() {
            return Ok((consumed, whole));
        }
    }
}
