//! Appending a session's events to its journal: JSON Lines in zstd frames,
//! one frame per flush (at least every `FLUSH_INTERVAL`), under an
//! exclusive lock that tells rotation and other sessions the journal is
//! live. Compressing and writing happen on a thread of the journal's own,
//! so the supervisor only serialises; a writer that falls behind holds the
//! supervisor back (a bounded queue) rather than dropping events.

use super::rotate::{lock, rotate};
use super::{JournalConfig, FLUSH_INTERVAL};
use crate::event::Event;
use crossbeam_channel::{bounded, Receiver, Sender};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

/// The compression level: zstd's fastest levels compress JSON Lines of
/// output about tenfold at several hundred MB/s.
const LEVEL: i32 = 1;
/// A frame is written once this much is pending, whatever the time.
const FRAME_BYTES: usize = 1 << 20;
/// Frames waiting for the writer thread before the supervisor waits.
const QUEUE: usize = 4;

pub struct Journal {
    path: PathBuf,
    buf: Vec<u8>,
    last_flush: Instant,
    /// Frames to compress and write, and the buffers coming back.
    frames: Option<Sender<Vec<u8>>>,
    spare: Receiver<Vec<u8>>,
    /// The writer's answer to an empty frame: everything before it is written.
    settled: Receiver<()>,
    thread: Option<JoinHandle<()>>,
    /// The first write error's message, until it is taken.
    error: Arc<Mutex<Option<String>>>,
    /// Set for good at the first failed write; the engine's owner reads it
    /// (a run whose journal failed does not end in success).
    failed: Arc<AtomicBool>,
}

impl Journal {
    /// Creates a new journal file named by the start time.
    pub fn create(config: &JournalConfig) -> io::Result<Self> {
        std::fs::create_dir_all(&config.dir)?;
        let stamp = chrono::Local::now().format("%Y-%m-%dT%H-%M-%S%.3f");
        let path = config
            .dir
            .join(format!("{stamp}-{}.jsonl.zst", std::process::id()));
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .mode(0o600)
            .open(&path)?;
        // Held while the journal is written: rotation never removes a
        // journal whose session is still running (see `is_live`).
        lock(&file, libc::LOCK_EX)?;
        rotate(&config.dir, config.max_total_bytes, Some(&path));
        let (frames, todo) = bounded::<Vec<u8>>(QUEUE);
        let (give_back, spare) = bounded::<Vec<u8>>(QUEUE + 1);
        let (settle, settled) = bounded::<()>(1);
        let error = Arc::new(Mutex::new(None));
        let failed = Arc::new(AtomicBool::new(false));
        let mut w = FrameWriter {
            path: path.clone(),
            file,
            whole: 0,
            out: Vec::new(),
            error: error.clone(),
            failed: failed.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("proctor-journal".into())
            .spawn(move || {
                // Every frame carries a checksum of its text: damage inside
                // a frame does not decode (into wrong lines), and the
                // reader goes on at the next frame.
                let mut zstd = zstd::bulk::Compressor::new(LEVEL).ok().map(|mut c| {
                    let _ = c.set_parameter(zstd::zstd_safe::CParameter::ChecksumFlag(true));
                    c
                });
                for mut frame in todo {
                    if frame.is_empty() {
                        let _ = settle.send(());
                        continue;
                    }
                    w.write_frame(zstd.as_mut(), &frame);
                    frame.clear();
                    let _ = give_back.try_send(frame);
                }
                let _ = w.file.sync_all();
            })?;
        Ok(Self {
            path,
            buf: Vec::with_capacity(64 * 1024),
            last_flush: Instant::now(),
            frames: Some(frames),
            spare,
            settled,
            thread: Some(thread),
            error,
            failed,
        })
    }

    /// A flag that turns true at the first failed write.
    pub fn failed_flag(&self) -> Arc<AtomicBool> {
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
        if self.buf.len() >= FRAME_BYTES {
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

    /// Hands everything pending to the writer as one frame (waiting while
    /// the writer's queue is full). Only whole frames are ever kept.
    pub fn flush(&mut self) {
        self.last_flush = Instant::now();
        if self.buf.is_empty() {
            return;
        }
        let next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(self.buf.capacity()));
        let frame = std::mem::replace(&mut self.buf, next);
        if let Some(tx) = &self.frames {
            let _ = tx.send(frame);
        }
    }

    /// Hands over what is pending and waits until the writer has written
    /// it (a write error is then ready for `take_error`).
    pub fn settle(&mut self) {
        self.flush();
        if let Some(tx) = &self.frames {
            if tx.send(Vec::new()).is_ok() {
                let _ = self.settled.recv();
            }
        }
    }

    /// The first write error, once (to report it as an event).
    pub fn take_error(&mut self) -> Option<String> {
        self.error.lock().ok().and_then(|mut e| e.take())
    }

    /// Hands over what is pending and waits until the writer has written
    /// and synced everything.
    fn close(&mut self) {
        self.flush();
        self.frames = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.close();
    }
}

/// The writer thread's side: compresses each frame and appends it.
struct FrameWriter {
    path: PathBuf,
    file: File,
    /// Bytes of whole frames in the file: a write that fails part way (a
    /// full disk) is cut back to this, so only whole frames are ever kept.
    whole: u64,
    out: Vec<u8>,
    error: Arc<Mutex<Option<String>>>,
    failed: Arc<AtomicBool>,
}

impl FrameWriter {
    fn write_frame(&mut self, zstd: Option<&mut zstd::bulk::Compressor<'static>>, frame: &[u8]) {
        let written = match zstd {
            Some(z) => {
                self.out.clear();
                self.out.reserve(zstd::zstd_safe::compress_bound(frame.len()));
                z.compress_to_buffer(frame, &mut self.out)
                    .and_then(|_| self.file.write_all(&self.out))
                    .map(|()| self.out.len())
            }
            None => Err(io::Error::other("the compressor could not be set up")),
        };
        match written {
            Ok(n) => self.whole += n as u64,
            Err(e) => {
                let _ = self.file.set_len(self.whole);
                if !self.failed.swap(true, Ordering::SeqCst) {
                    if let Ok(mut slot) = self.error.lock() {
                        *slot = Some(format!("cannot write the journal {}: {e}", self.path.display()));
                    }
                }
            }
        }
    }
}
