//! Which journals are kept: the oldest go beyond a total size, never one a
//! running session still writes (its writer holds a lock on it).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub(super) fn lock(file: &File, how: libc::c_int) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor we own.
    if unsafe { libc::flock(file.as_raw_fd(), how | libc::LOCK_NB) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Whether a session (of this or another Proctor) is still writing the
/// journal at `path`: its writer holds an exclusive lock on it.
pub fn is_live(path: &Path) -> bool {
    // Only a file is a journal being written (opening a FIFO would wait
    // for a writer).
    if !std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return false;
    }
    match File::open(path) {
        Ok(f) => lock(&f, libc::LOCK_SH).is_err_and(|e| e.kind() == io::ErrorKind::WouldBlock),
        Err(_) => false,
    }
}

/// A journal's file name: `.jsonl` (format 1 and 2) or `.jsonl.zst`.
pub fn is_journal_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".jsonl") || name.ends_with(".jsonl.zst")
}

/// Removes the oldest `.jsonl` and `.jsonl.zst` journals until the total is at most `max`
/// (never `keep`, the one being written, nor any journal a running session
/// still writes).
pub fn rotate(dir: &Path, max: u64, keep: Option<&Path>) -> Vec<PathBuf> {
    let mut files = journal_files(dir);
    let mut total: u64 = files.iter().map(|f| f.2).sum();
    files.sort_by_key(|f| f.1);
    let mut removed = Vec::new();
    for (path, _, size) in files {
        if total <= max {
            break;
        }
        if Some(path.as_path()) == keep || is_live(&path) {
            continue;
        }
        if std::fs::remove_file(&path).is_ok() {
            total = total.saturating_sub(size);
            removed.push(path);
        }
    }
    removed
}

/// What to say of the journals `rotate` removed: how many, which (the
/// first few), and why. None when it removed none.
pub fn removed_note(removed: &[PathBuf], max: Option<u64>) -> Option<String> {
    let first = removed.first()?;
    let names: Vec<String> = removed
        .iter()
        .take(3)
        .map(|p| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    let more = removed.len().saturating_sub(names.len());
    let limit = max.map_or(String::new(), |m| match m {
        m if m >= 1 << 30 => format!(" of {:.1} GiB", m as f64 / (1u64 << 30) as f64),
        m if m >= 1 << 20 => format!(" of {:.1} MiB", m as f64 / (1u64 << 20) as f64),
        m => format!(" of {m} bytes"),
    });
    Some(format!(
        "removed {} older journal{} to keep the journals within their limit{limit} (PROCTOR_JOURNAL_MAX_BYTES), oldest first: {}{} in {}",
        removed.len(),
        if removed.len() == 1 { "" } else { "s" },
        names.join(", "),
        if more > 0 { format!(" and {more} more") } else { String::new() },
        first.parent().map(|d| d.display().to_string()).unwrap_or_default()
    ))
}

pub(super) fn journal_files(dir: &Path) -> Vec<(PathBuf, SystemTime, u64)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.flatten()
        .filter(|e| is_journal_name(&e.path()))
        .filter_map(|e| {
            // Regular files only (the entry's own type, links not
            // followed): opening a FIFO or a link to a device would block
            // or never end.
            let m = e.metadata().ok()?;
            if !m.file_type().is_file() {
                return None;
            }
            Some((e.path(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
        })
        .collect()
}
