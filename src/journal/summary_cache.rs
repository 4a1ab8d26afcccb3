//! The summaries of a folder's journals, kept in `.summaries.json` beside
//! them: a journal whose size and modification time are unchanged is not
//! read again (reading a 150 MB journal takes tens of seconds). A journal a
//! session still writes is never cached. The cache is only a cache: one
//! that is missing, damaged, of another version or not writable is read
//! as empty, and never an error.

use super::rotate::is_live;
use super::summary::JournalSummary;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::SystemTime;

/// The cache's file name in the journal folder.
pub const CACHE_NAME: &str = ".summaries.json";

/// The version of the cache's layout (and of what a summary counts): a
/// cache of another version is read as empty.
const VERSION: u32 = 5;

/// A cache larger than this is damage (an entry is a few hundred bytes).
const MAX_CACHE_BYTES: u64 = 64 << 20;

#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    version: u32,
    entries: BTreeMap<String, Entry>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    size: u64,
    /// Modification time: seconds and nanoseconds since the epoch.
    modified: (u64, u32),
    /// The inode and its change time, which no one can set back (`touch`
    /// restores a modification time, not this).
    inode: u64,
    changed: (i64, i64),
    summary: JournalSummary,
}

/// What says a journal changed: its size, modification time, inode and
/// change time.
type Identity = (u64, (u64, u32), u64, (i64, i64));

fn identity(path: &Path, modified: SystemTime, size: u64) -> Option<Identity> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some((size, stamp(modified), m.ino(), (m.ctime(), m.ctime_nsec())))
}

/// The cache of one folder, as loaded, and what this listing used of it.
pub struct SummaryCache {
    old: BTreeMap<String, Entry>,
    new: BTreeMap<String, Entry>,
    changed: bool,
}

fn stamp(t: SystemTime) -> (u64, u32) {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| (d.as_secs(), d.subsec_nanos()))
        .unwrap_or((0, 0))
}

impl SummaryCache {
    /// The cache of `dir` (empty if it cannot be read).
    pub fn load(dir: &Path) -> Self {
        let path = dir.join(CACHE_NAME);
        let old = std::fs::symlink_metadata(&path)
            .ok()
            .filter(|m| m.file_type().is_file() && m.len() <= MAX_CACHE_BYTES)
            .and_then(|_| std::fs::read(&path).ok())
            .and_then(|bytes| serde_json::from_slice::<CacheFile>(&bytes).ok())
            .filter(|c| c.version == VERSION)
            .map(|c| c.entries)
            .unwrap_or_default();
        Self {
            old,
            new: BTreeMap::new(),
            changed: false,
        }
    }

    /// The summary of the journal at `path` from the cache if it is
    /// unchanged since, else `read()` (kept for next time unless a session
    /// still writes it or it could not be read).
    pub fn get_or(
        &mut self,
        path: &Path,
        modified: SystemTime,
        size: u64,
        read: impl FnOnce() -> JournalSummary,
    ) -> JournalSummary {
        let Some(key) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            return read();
        };
        let Some(id) = identity(path, modified, size) else {
            return read();
        };
        if let Some(e) = self.old.remove(&key) {
            if (e.size, e.modified, e.inode, e.changed) == id && !is_live(path) {
                let mut summary = e.summary.clone();
                summary.path = path.to_path_buf();
                summary.size = size;
                self.new.insert(key, e);
                return summary;
            }
            self.changed = true;
        }
        let summary = read();
        if summary.problem.is_none() && !is_live(path) {
            self.changed = true;
            let (size, modified, inode, changed) = id;
            self.new.insert(
                key,
                Entry {
                    size,
                    modified,
                    inode,
                    changed,
                    summary: summary.clone(),
                },
            );
        }
        summary
    }

    /// Writes the cache back if it changed: the entries of the journals
    /// listed (those of journals gone are dropped). Best effort: a folder
    /// that cannot be written keeps listing, only more slowly.
    pub fn save(self, dir: &Path) {
        if !self.changed && self.old.is_empty() {
            return;
        }
        let file = CacheFile {
            version: VERSION,
            entries: self.new,
        };
        let Ok(bytes) = serde_json::to_vec(&file) else {
            return;
        };
        let tmp = dir.join(format!(
            "{CACHE_NAME}.{}.{:x}.tmp",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        // Mode 0600, as the journals: it names their tasks.
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .and_then(|mut f| f.write_all(&bytes).and_then(|()| f.sync_data()));
        if written.is_err() || std::fs::rename(&tmp, dir.join(CACHE_NAME)).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        remove_stale_temps(dir);
    }
}

/// Removes temporary files of saves that never finished (a listing killed
/// between the write and the rename), once they are a minute old.
fn remove_stale_temps(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!("{CACHE_NAME}.");
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(&prefix) && name.ends_with(".tmp")) {
            continue;
        }
        let old = e
            .metadata()
            .ok()
            .filter(|m| m.file_type().is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_secs(60));
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::list_journals;
    use super::*;
    use crate::event::{Event, EventKind};

    fn spawned(name: &str) -> Event {
        Event::now(EventKind::Spawned {
            command: "true".into(),
        })
        .process(name, Some(7))
    }

    fn write_journal(path: &Path, names: &[&str]) {
        let mut text = String::from(
            "{\"seq\":0,\"time\":\"2026-11-26T12:00:00.000+00:00\",\"kind\":\"session_started\",\"format\":2}\n",
        );
        for n in names {
            text.push_str(&serde_json::to_string(&spawned(n)).unwrap());
            text.push('\n');
        }
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn an_unchanged_journal_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("a.jsonl");
        write_journal(&j, &["x", "y"]);
        let first = list_journals(dir.path());
        assert_eq!((first[0].processes, first[0].rows), (2, 2));
        let cache = dir.path().join(CACHE_NAME);
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
            0o600
        );
        // What the cache says is what is listed while the journal is as it
        // was: marked here so that a read of the journal would show.
        let mut c: CacheFile = serde_json::from_slice(&std::fs::read(&cache).unwrap()).unwrap();
        c.entries.get_mut("a.jsonl").unwrap().summary.names = vec!["from the cache".into()];
        std::fs::write(&cache, serde_json::to_vec(&c).unwrap()).unwrap();
        let again = list_journals(dir.path());
        assert_eq!(again[0].names, vec!["from the cache"]);
        assert_eq!(again[0].path, j);
        // Rewritten with the same size and its modification time set back:
        // its change time differs, so it is read again.
        let when = std::fs::metadata(&j).unwrap().modified().unwrap();
        write_journal(&j, &["p", "q"]);
        std::fs::File::options()
            .write(true)
            .open(&j)
            .unwrap()
            .set_modified(when)
            .unwrap();
        assert_eq!(list_journals(dir.path())[0].names, vec!["p", "q"]);
        // Grown: read again.
        write_journal(&j, &["p", "q", "r"]);
        assert_eq!(list_journals(dir.path())[0].names, vec!["p", "q", "r"]);
    }

    #[test]
    fn a_save_that_never_finished_leaves_no_file_for_long() {
        let dir = tempfile::tempdir().unwrap();
        write_journal(&dir.path().join("a.jsonl"), &["x"]);
        let stale = dir.path().join(format!("{CACHE_NAME}.1.2.tmp"));
        let fresh = dir.path().join(format!("{CACHE_NAME}.3.4.tmp"));
        std::fs::write(&stale, b"{").unwrap();
        std::fs::write(&fresh, b"{").unwrap();
        let hour_ago = SystemTime::now() - std::time::Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
        list_journals(dir.path());
        assert!(!stale.exists(), "an hour-old temporary file is removed");
        assert!(fresh.exists(), "one that may be another listing's save is not");
    }

    #[test]
    fn a_damaged_cache_is_read_as_empty_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        write_journal(&dir.path().join("a.jsonl"), &["x"]);
        std::fs::write(
            dir.path().join(CACHE_NAME),
            b"{\"version\":1,\"entries\":{\"a.jsonl\":",
        )
        .unwrap();
        let l = list_journals(dir.path());
        assert_eq!(l[0].processes, 1);
        let c: CacheFile =
            serde_json::from_slice(&std::fs::read(dir.path().join(CACHE_NAME)).unwrap()).unwrap();
        assert!(c.entries.contains_key("a.jsonl"));
        // Nothing else is left behind (no temporary file).
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn entries_of_removed_journals_are_dropped() {
        let dir = tempfile::tempdir().unwrap();
        write_journal(&dir.path().join("a.jsonl"), &["x"]);
        write_journal(&dir.path().join("b.jsonl"), &["y"]);
        list_journals(dir.path());
        std::fs::remove_file(dir.path().join("a.jsonl")).unwrap();
        list_journals(dir.path());
        let c: CacheFile =
            serde_json::from_slice(&std::fs::read(dir.path().join(CACHE_NAME)).unwrap()).unwrap();
        assert_eq!(c.entries.keys().collect::<Vec<_>>(), vec!["b.jsonl"]);
    }

    #[test]
    fn a_journal_still_written_is_not_cached() {
        let dir = tempfile::tempdir().unwrap();
        let j = dir.path().join("live.jsonl");
        write_journal(&j, &["x"]);
        let f = std::fs::File::open(&j).unwrap();
        super::super::rotate::lock(&f, libc::LOCK_EX).unwrap();
        assert_eq!(list_journals(dir.path())[0].processes, 1);
        assert!(!dir.path().join(CACHE_NAME).exists());
        drop(f);
        list_journals(dir.path());
        assert!(dir.path().join(CACHE_NAME).exists());
    }

    #[test]
    fn an_unwritable_folder_still_lists() {
        let dir = tempfile::tempdir().unwrap();
        write_journal(&dir.path().join("a.jsonl"), &["x"]);
        // A directory where the cache would go: it cannot be replaced.
        std::fs::create_dir(dir.path().join(CACHE_NAME)).unwrap();
        assert_eq!(list_journals(dir.path())[0].processes, 1);
        assert_eq!(list_journals(dir.path())[0].processes, 1);
        assert!(dir.path().join(CACHE_NAME).is_dir());
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .collect();
        assert!(left.is_empty());
    }
}
