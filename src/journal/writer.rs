//! Appending a session's events to its journal: whole lines, flushed at
//! least every `FLUSH_INTERVAL`, under an exclusive lock that tells rotation
//! and other sessions the journal is live.

use super::rotate::{lock, rotate};
use super::{JournalConfig, FLUSH_INTERVAL};
use crate::event::Event;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
