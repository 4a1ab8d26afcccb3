//! The session journal: every event of a session appended as JSON Lines to
//! a file under `$XDG_STATE_HOME/proctor/sessions/` (default
//! `~/.local/state/proctor/sessions/`), mode 0600, flushed at least every
//! 100 ms. The supervisor writes it as it emits events, so the app and
//! `proctor run` both keep one, and a crash loses at most the last 100 ms.
//! Old journals are removed, oldest first, beyond a total size. The format,
//! its versions and these guarantees: docs/journal.md.

pub mod export;
pub mod output;

use crate::event::{parse_json_line, Event, EventKind};
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// The journal format this version writes, carried by the first event
/// (`session_started`'s `format`); a journal without it is format 1. What
/// changed in each is in docs/journal.md.
pub const FORMAT: u32 = 2;

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
    pub fn default_location() -> Self {
        Self {
            dir: default_dir(),
            max_total_bytes: std::env::var("PROCTOR_JOURNAL_MAX_BYTES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(DEFAULT_MAX_TOTAL),
        }
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

pub struct Journal {
    path: PathBuf,
    file: File,
    buf: Vec<u8>,
    last_flush: Instant,
    error: Option<String>,
    /// Set for good at the first failed write; the engine's owner reads it
    /// (a run whose journal failed does not end in success).
    failed: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// Bytes of whole lines in the file: a write that fails part way (a
    /// full disk) is cut back to this, so only whole lines are ever kept.
    whole: u64,
}

impl Journal {
    /// Creates a new journal file named by the start time.
    pub fn create(config: &JournalConfig) -> io::Result<Self> {
        std::fs::create_dir_all(&config.dir)?;
        let stamp = chrono::Local::now().format("%Y-%m-%dT%H-%M-%S%.3f");
        let path = config.dir.join(format!("{stamp}-{}.jsonl", std::process::id()));
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .mode(0o600)
            .open(&path)?;
        // Held while the journal is written: rotation never removes a
        // journal whose session is still running (see `is_live`).
        lock(&file, libc::LOCK_EX)?;
        rotate(&config.dir, config.max_total_bytes, Some(&path));
        Ok(Self {
            path,
            file,
            buf: Vec::with_capacity(64 * 1024),
            last_flush: Instant::now(),
            error: None,
            failed: Default::default(),
            whole: 0,
        })
    }

    /// A flag that turns true at the first failed write.
    pub fn failed_flag(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.failed.clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends an event (buffered; see `flush_due`).
    pub fn append(&mut self, e: &Event) {
        if serde_json::to_writer(&mut self.buf, e).is_ok() {
            self.buf.push(b'\n');
        }
        if self.buf.len() >= 256 * 1024 {
            self.flush();
        }
    }

    /// Whether there is something to write.
    pub fn pending(&self) -> bool {
        !self.buf.is_empty()
    }

    /// When the pending events must be written by.
    pub fn deadline(&self) -> Option<Instant> {
        self.pending().then(|| self.last_flush + FLUSH_INTERVAL)
    }

    pub fn flush_if_due(&mut self) {
        if self.pending() && self.last_flush.elapsed() >= FLUSH_INTERVAL {
            self.flush();
        }
    }

    /// Writes everything pending. Only whole lines are ever written.
    pub fn flush(&mut self) {
        self.last_flush = Instant::now();
        if self.buf.is_empty() {
            return;
        }
        if let Err(e) = self.file.write_all(&self.buf) {
            let _ = self.file.set_len(self.whole);
            let first = !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst);
            if first {
                self.error = Some(format!("cannot write the journal {}: {e}", self.path.display()));
            }
        } else {
            self.whole += self.buf.len() as u64;
        }
        self.buf.clear();
    }

    /// The first write error, once (to report it as an event).
    pub fn take_error(&mut self) -> Option<String> {
        self.error.take()
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.flush();
        let _ = self.file.sync_all();
    }
}

fn lock(file: &File, how: libc::c_int) -> io::Result<()> {
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
    match File::open(path) {
        Ok(f) => lock(&f, libc::LOCK_SH).is_err_and(|e| e.kind() == io::ErrorKind::WouldBlock),
        Err(_) => false,
    }
}

/// Removes the oldest `.jsonl` journals until the total is at most `max`
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

fn journal_files(dir: &Path) -> Vec<(PathBuf, SystemTime, u64)> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((e.path(), m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
        })
        .collect()
}

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
fn read_line_bounded(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> io::Result<(usize, bool)> {
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

/// What the History view shows of one past journal.
#[derive(Clone, Debug, PartialEq)]
pub struct JournalSummary {
    pub path: PathBuf,
    pub size: u64,
    pub started: Option<String>,
    pub events: u64,
    pub processes: u64,
    pub failures: u64,
    /// Processes ended by a stop the user asked for (not failures).
    pub stopped: u64,
    pub names: Vec<String>,
    /// Why the journal could not be read (a newer format, an I/O error).
    pub problem: Option<String>,
}

/// Lists the journals in `dir`, newest first, with counts read from each.
pub fn list_journals(dir: &Path) -> Vec<JournalSummary> {
    let mut files = journal_files(dir);
    files.sort_by_key(|f| std::cmp::Reverse(f.1));
    files
        .into_iter()
        .map(|(path, _, size)| summarize(&path, size))
        .collect()
}

pub fn summarize(path: &Path, size: u64) -> JournalSummary {
    let mut s = JournalSummary {
        path: path.to_path_buf(),
        size,
        started: None,
        events: 0,
        processes: 0,
        failures: 0,
        stopped: 0,
        names: Vec::new(),
        problem: None,
    };
    let events = match read_journal(path) {
        Ok((events, _)) => events,
        Err(e) => {
            s.problem = Some(e.to_string());
            return s;
        }
    };
    let mut names = std::collections::BTreeSet::new();
    for e in &events {
        s.events += 1;
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
            EventKind::Exited {
                exit_code,
                restart_in: None,
                stopped: false,
                ..
            } if *exit_code != 0 && e.pool.is_none() => s.failures += 1,
            _ => {}
        }
    }
    s.names = names.into_iter().take(8).collect();
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn writes_whole_lines_with_mode_0600_and_reads_them_back() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = JournalConfig {
            dir: dir.path().to_path_buf(),
            max_total_bytes: u64::MAX,
        };
        let path;
        {
            let mut j = Journal::create(&cfg).unwrap();
            path = j.path().to_path_buf();
            for i in 0..1000 {
                let mut e = Event::now(EventKind::Stdout {
                    line: format!("line {i}, \"quoted\""),
                })
                .process("p", Some(1));
                e.seq = i + 1;
                j.append(&e);
            }
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let (events, errors) = read_journal(&path).unwrap();
        assert!(errors.is_empty());
        assert_eq!(events.len(), 1000);
        assert_eq!(events[999].text(), "line 999, \"quoted\"");
    }

    #[test]
    fn the_summary_counts_user_stops_apart_from_failures() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let exited = |name: &str, exit_code, stopped| {
            Event::now(EventKind::Exited {
                exit_code,
                runtime: 1.0,
                restart_in: None,
                usage: None,
                stopped,
            })
            .process(name, Some(1))
        };
        let events = [
            exited("a", -15, true),
            exited("b", 1, false),
            exited("c", 0, false),
        ];
        let text: String = events
            .iter()
            .map(|e| serde_json::to_string(e).unwrap() + "\n")
            .collect();
        std::fs::write(&p, text).unwrap();
        let s = summarize(&p, 0);
        assert_eq!((s.failures, s.stopped), (1, 1));
    }

    #[test]
    fn a_cut_last_line_is_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let mut e = Event::now(EventKind::Stdout { line: "x".into() });
        e.seq = 1;
        let line = serde_json::to_string(&e).unwrap();
        std::fs::write(&p, format!("{line}\n{}", &line[..10])).unwrap();
        let (events, errors) = read_journal(&p).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains(":2:"));
    }

    fn started(format: Option<u32>) -> String {
        let mut e = Event::now(EventKind::SessionStarted {
            message: "m".into(),
            format,
        });
        e.seq = 1;
        serde_json::to_string(&e).unwrap()
    }

    #[test]
    fn the_format_is_read_from_the_first_event() {
        assert_eq!(check_format(&started(None)), Ok(1));
        assert_eq!(check_format(&started(Some(FORMAT))), Ok(FORMAT));
        // Not a session start (a filtered export), or not JSON: format 1,
        // and the line parser says what is wrong with it.
        assert_eq!(check_format(r#"{"seq":5,"kind":"stdout","format":99}"#), Ok(1));
        assert_eq!(check_format("{not json"), Ok(1));
        let newer = check_format(&started(Some(FORMAT + 1))).unwrap_err();
        assert!(newer.contains(&format!("format {}", FORMAT + 1)), "{newer}");
        assert!(newer.contains("newer Proctor"), "{newer}");
        assert!(check_format(r#"{"kind":"session_started","format":"two"}"#).is_err());
        assert!(check_format(r#"{"kind":"session_started","format":1e99}"#).is_err());
    }

    #[test]
    fn a_newer_journal_is_refused_whole_an_older_one_loads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("j.jsonl");
        let mut out = Event::now(EventKind::Stdout { line: "x".into() });
        out.seq = 2;
        let out = serde_json::to_string(&out).unwrap();
        for (format, ok) in [(None, true), (Some(FORMAT), true), (Some(FORMAT + 1), false)] {
            std::fs::write(&p, format!("\n{}\n{out}\n", started(format))).unwrap();
            match read_journal(&p) {
                Ok((events, errors)) => {
                    assert!(ok, "{format:?} read");
                    assert_eq!((events.len(), errors.len()), (2, 0));
                }
                Err(e) => {
                    assert!(!ok, "{format:?}: {e}");
                    assert_eq!(e.kind(), io::ErrorKind::InvalidData);
                    assert!(e.to_string().contains("newer Proctor"), "{e}");
                }
            }
        }
    }

    #[test]
    fn rotation_removes_the_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for i in 0..5 {
            let p = dir.path().join(format!("{i}.jsonl"));
            std::fs::write(&p, vec![b'x'; 100]).unwrap();
            let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + i * 10);
            File::options()
                .write(true)
                .open(&p)
                .unwrap()
                .set_modified(t)
                .unwrap();
            paths.push(p);
        }
        let removed = rotate(dir.path(), 300, Some(&paths[0]));
        // 500 bytes, max 300: two removed, the oldest that are not kept.
        assert_eq!(removed, vec![paths[1].clone(), paths[2].clone()]);
        assert!(paths[0].exists() && paths[3].exists() && paths[4].exists());
    }

    #[test]
    fn a_journal_of_a_newer_format_says_why_in_its_summary() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("future.jsonl");
        std::fs::write(
            &p,
            "{\"seq\":1,\"time\":\"2026-11-26T12:00:00.000+00:00\",\"kind\":\"session_started\",\"format\":99}\n",
        )
        .unwrap();
        let s = summarize(&p, 10);
        assert!(s.problem.as_deref().is_some_and(|m| m.contains("newer")), "{s:?}");
        assert_eq!(s.events, 0);
    }

    #[test]
    fn an_endless_line_is_skipped_in_bounded_memory() {
        let mut data = b"first\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 100));
        data.extend_from_slice(b"\nlast");
        let mut r = std::io::Cursor::new(data);
        let mut buf = Vec::new();
        assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap(), (6, true));
        assert_eq!(buf, b"first");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap(), (101, false));
        assert!(buf.len() <= 10);
        assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap(), (4, true));
        assert_eq!(buf, b"last");
        assert_eq!(read_line_bounded(&mut r, &mut buf, 10).unwrap().0, 0);
    }

    #[test]
    fn rotation_never_removes_a_live_journal() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = JournalConfig {
            dir: dir.path().to_path_buf(),
            max_total_bytes: 1,
        };
        let mut live = Journal::create(&cfg).unwrap();
        live.append(&Event::now(EventKind::Stdout {
            line: "x".repeat(500),
        }));
        live.flush();
        assert!(is_live(live.path()));
        std::thread::sleep(Duration::from_millis(5));
        let second = Journal::create(&cfg).unwrap();
        assert!(live.path().exists(), "the live journal is kept");
        let first = live.path().to_path_buf();
        drop(live);
        assert!(!is_live(&first));
        let removed = rotate(dir.path(), 1, Some(second.path()));
        assert_eq!(removed, vec![first], "an ended journal can go");
    }

    #[test]
    fn default_dir_follows_xdg_state_home() {
        assert!(default_dir().ends_with("proctor/sessions"));
    }
}
