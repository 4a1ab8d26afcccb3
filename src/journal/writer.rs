//! Appending a session's events to its journal: JSON Lines in zstd frames,
//! one frame per flush (at least every `FLUSH_INTERVAL`), under an
//! exclusive lock that tells rotation and other sessions the journal is
//! live. Compressing and writing happen on a thread of the journal's own,
//! so the supervisor only serialises. A writer that falls behind (a slow
//! disk) leaves events waiting in memory, up to `BACKLOG_BYTES`, and is
//! said; past that it holds the supervisor back (a bounded queue) rather
//! than dropping events, for `STALL_WAIT` at most a write.

use super::frame_writer::FrameWriter;
use super::rotate::{lock, rotate};
use super::{JournalConfig, FLUSH_INTERVAL};
use crate::event::Event;
use crossbeam_channel::{bounded, Receiver, Sender};
use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The compression level: zstd's fastest levels compress JSON Lines of
/// output about tenfold at several hundred MB/s.
const LEVEL: i32 = 1;
/// A frame is written once this much is pending, whatever the time.
pub(super) const FRAME_BYTES: usize = 1 << 20;
/// Frames waiting for the writer thread; events after them wait in the
/// journal's buffer, written as one frame when the writer has room.
const QUEUE: usize = 2;
/// Bytes of events handed to the writer or waiting for it past which the
/// supervisor waits for the disk ([`STALL_WAIT`] at most a flush): below
/// it, a disk slower than the events come costs memory, not the engine's
/// pace.
const BACKLOG_BYTES: usize = 16 << 20;
/// A write that has not finished in this long makes the disk slow: said
/// once, as an error event.
const SLOW_WRITE: Duration = Duration::from_secs(1);
/// How long the session's end waits for the journal's last writes: a disk
/// that takes longer (a hung network mount, a stalled device) is said to
/// have stalled and the session ends without it.
pub const END_WAIT: Duration = Duration::from_secs(10);
/// How long a flush waits for room in the writer's full queue: a disk
/// that writes no frame (1 MiB at most) in that time has stalled. Short,
/// because the engine waits with it (it reaps no child, obeys no stop).
pub const STALL_WAIT: Duration = Duration::from_secs(2);

pub struct Journal {
    path: PathBuf,
    /// Older journals removed to keep the folder within its limit when
    /// this one was made (said at the session's start).
    pub removed: Vec<PathBuf>,
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
    /// An event other than the session's start, end and samples was
    /// appended: a journal without one is removed at the end.
    eventful: bool,
    /// The writer took no frame within [`STALL_WAIT`]: nothing waits for it
    /// until it takes one again, and frames it has no room for are dropped
    /// (counted in `dropped`; the writer says the hole in the journal when
    /// it can write again, as after a full disk).
    stalled: bool,
    dropped: Arc<AtomicU64>,
    /// How the writer thread is getting on.
    progress: Arc<Progress>,
    /// What to say of a slow disk (taken with the errors), and whether
    /// each thing was said already.
    notes: VecDeque<String>,
    slow_said: bool,
    paced_said: bool,
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
        let removed = rotate(&config.dir, config.max_total_bytes, Some(&path));
        Self::start(path, file, removed)
    }

    /// A journal appending to `file` (named `path`), written on a thread
    /// of its own.
    fn start(path: PathBuf, file: File, removed: Vec<PathBuf>) -> io::Result<Self> {
        let (frames, todo) = bounded::<Vec<u8>>(QUEUE);
        let (give_back, spare) = bounded::<Vec<u8>>(QUEUE + 1);
        let (settle, settled) = bounded::<()>(1);
        let error = Arc::new(Mutex::new(None));
        let failed = Arc::new(AtomicBool::new(false));
        let dropped = Arc::new(AtomicU64::new(0));
        let progress = Arc::new(Progress::new());
        let p = progress.clone();
        let mut w = FrameWriter::new(path.clone(), file, error.clone(), failed.clone(), dropped.clone());
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
                    let began = Instant::now();
                    p.writing_since.store(p.now(), Ordering::SeqCst);
                    w.write_frame(zstd.as_mut(), &frame);
                    p.writing_since.store(0, Ordering::SeqCst);
                    p.last_done.store(p.now(), Ordering::SeqCst);
                    p.slowest
                        .fetch_max(began.elapsed().as_millis() as u64, Ordering::SeqCst);
                    p.in_flight.fetch_sub(frame.len(), Ordering::SeqCst);
                    // A buffer grown by a backlog is not kept for reuse.
                    if frame.capacity() <= 2 * FRAME_BYTES {
                        frame.clear();
                        let _ = give_back.try_send(frame);
                    }
                }
                w.sync();
            })?;
        Ok(Self {
            path,
            removed,
            buf: Vec::with_capacity(64 * 1024),
            last_flush: Instant::now(),
            frames: Some(frames),
            spare,
            settled,
            thread: Some(thread),
            error,
            failed,
            eventful: false,
            stalled: false,
            dropped,
            progress,
            notes: VecDeque::new(),
            slow_said: false,
            paced_said: false,
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
        if !self.eventful {
            self.eventful = super::says_something(&e.kind);
        }
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
        self.check_slow();
        if self.pending() && self.last_flush.elapsed() >= FLUSH_INTERVAL {
            self.flush();
        }
    }

    /// Hands everything pending to the writer as one frame. While the
    /// writer's queue is full (a slow disk), events stay in the buffer,
    /// [`BACKLOG_BYTES`] at most with those handed over; past that, waits
    /// for room ([`STALL_WAIT`] at most: a disk that takes no write for that
    /// long has stalled, and from then on a frame it has no room for is
    /// dropped and counted, never waited for, so that a hung disk cannot
    /// hang the engine). Only whole frames are ever kept.
    pub fn flush(&mut self) {
        self.last_flush = Instant::now();
        self.check_slow();
        if self.buf.is_empty() {
            return;
        }
        let Some(tx) = &self.frames else {
            self.buf.clear();
            return;
        };
        if tx.is_full() {
            let backlog = self.buf.len() + self.progress.in_flight.load(Ordering::SeqCst);
            if backlog < BACKLOG_BYTES {
                // Written with the next frame the writer has room for.
                return;
            }
            // Said only of a slow disk: past the backlog a fast child on a
            // healthy one waits for the compression, as it waits for a
            // slow reader of the events.
            if !self.stalled && !self.paced_said && self.slow_said {
                self.paced_said = true;
                self.notes.push_back(format!(
                    "the journal {} is {} MiB of events behind its slow disk: from now on the engine waits for its writes, up to {} s each, so events are late and processes wait on their output",
                    self.path.display(),
                    backlog >> 20,
                    STALL_WAIT.as_secs()
                ));
            }
        }
        let next = self
            .spare
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(64 * 1024));
        let frame = std::mem::replace(&mut self.buf, next);
        let len = frame.len();
        self.progress.in_flight.fetch_add(len, Ordering::SeqCst);
        let sent = if self.stalled {
            // Waited for again only once the writer has taken every frame
            // queued: a disk that is slow rather than dead (a write now and
            // then) would otherwise freeze the engine again after each.
            let caught_up = tx.is_empty();
            let sent = tx.try_send(frame).is_ok();
            self.stalled = !(sent && caught_up);
            sent
        } else {
            let sent = tx.send_deadline(frame, Instant::now() + STALL_WAIT).is_ok();
            self.stalled = !sent;
            sent
        };
        if !sent {
            self.progress.in_flight.fetch_sub(len, Ordering::SeqCst);
            self.dropped.fetch_add(1, Ordering::SeqCst);
            self.say_stalled();
        }
    }

    /// The disk took no write for [`STALL_WAIT`]: said once (the journal
    /// has failed), and nothing waits for it from then on.
    fn say_stalled(&mut self) {
        self.stalled = true;
        self.slow_said = true;
        if !self.failed.swap(true, Ordering::SeqCst) {
            if let Ok(mut slot) = self.error.lock() {
                *slot = Some(format!(
                    "the journal {} took no write for {} s (a stalled disk?): events wait in memory for it, up to {} MiB, and past that are not journaled until it takes writes again (the app's log and the terminal still show them); the session's end does not wait for it",
                    self.path.display(),
                    STALL_WAIT.as_secs(),
                    BACKLOG_BYTES >> 20
                ));
            }
        }
    }

    /// Says, once, that a write has taken [`SLOW_WRITE`] or longer (one
    /// finished, or the one under way); one under way for [`STALL_WAIT`]
    /// is a stalled disk (see `say_stalled`).
    fn check_slow(&mut self) {
        let since = self.progress.writing_since.load(Ordering::SeqCst);
        let now = self.progress.now();
        let current = if since == 0 { 0 } else { now.saturating_sub(since) };
        if !self.stalled && current >= STALL_WAIT.as_millis() as u64 {
            self.say_stalled();
            return;
        }
        if self.slow_said {
            return;
        }
        let longest = current.max(self.progress.slowest.load(Ordering::SeqCst));
        if longest >= SLOW_WRITE.as_millis() as u64 {
            self.slow_said = true;
            self.notes.push_back(format!(
                "the journal {} is on a slow disk (one write has taken over {} s): events wait in memory for it and reach it late; past {} MiB waiting, the engine waits for the disk",
                self.path.display(),
                SLOW_WRITE.as_secs(),
                BACKLOG_BYTES >> 20
            ));
        }
    }

    /// Hands over what is pending and waits until the writer has written
    /// it (a write error is then ready for `take_error`), until `deadline`
    /// at the latest. False if the writes did not finish by then: the
    /// journal has stalled, and nothing waits for it from then on.
    pub fn settle_by(&mut self, deadline: Instant) -> bool {
        if self.stalled {
            // Unless the disk takes writes again, if slowly: the writer is
            // idle, not yet STALL_WAIT into its write, or finished one
            // lately. A disk that does not is not waited for.
            let now = self.progress.now();
            let ago = |t: u64| (t != 0).then(|| now.saturating_sub(t));
            let stall = STALL_WAIT.as_millis() as u64;
            let writing = ago(self.progress.writing_since.load(Ordering::SeqCst));
            let done = ago(self.progress.last_done.load(Ordering::SeqCst));
            let alive = writing.is_none_or(|w| w < stall) || done.is_some_and(|d| d < 2 * stall);
            if !alive {
                return false;
            }
            self.stalled = false;
        }
        self.last_flush = Instant::now();
        let Some(tx) = &self.frames else { return true };
        let frame = std::mem::take(&mut self.buf);
        let len = frame.len();
        self.progress.in_flight.fetch_add(len, Ordering::SeqCst);
        let handed = frame.is_empty() || tx.send_deadline(frame, deadline).is_ok();
        if !handed {
            self.progress.in_flight.fetch_sub(len, Ordering::SeqCst);
        }
        let done = handed
            && tx.send_deadline(Vec::new(), deadline).is_ok()
            && self.settled.recv_deadline(deadline).is_ok();
        if !done {
            // What it did not take may be missing from it.
            self.stalled = true;
            self.failed.store(true, Ordering::SeqCst);
        }
        done
    }

    /// Whether an event other than the session's start, end and samples
    /// was appended.
    pub fn eventful(&self) -> bool {
        self.eventful
    }

    /// The first write error, once, then what there is to say of a slow
    /// disk, one at a time (to report each as an event).
    pub fn take_error(&mut self) -> Option<String> {
        self.error
            .lock()
            .ok()
            .and_then(|mut e| e.take())
            .or_else(|| self.notes.pop_front())
    }

    /// Ends the journal and removes its file: a session in which nothing
    /// ran leaves no journal for History to list.
    pub fn discard(mut self) {
        self.buf.clear();
        self.close();
        let _ = std::fs::remove_file(&self.path);
    }

    /// Hands over what is pending and waits until the writer has written
    /// and synced everything ([`END_WAIT`] at most; not at all once the
    /// journal has stalled: its thread then finishes, or not, on its own).
    fn close(&mut self) {
        let deadline = Instant::now() + END_WAIT;
        if !self.stalled {
            let frame = std::mem::take(&mut self.buf);
            if let Some(tx) = &self.frames {
                self.progress.in_flight.fetch_add(frame.len(), Ordering::SeqCst);
                if !frame.is_empty() && tx.send_deadline(frame, deadline).is_err() {
                    self.stalled = true;
                }
            }
        }
        self.frames = None;
        let Some(t) = self.thread.take() else { return };
        while !self.stalled && !t.is_finished() {
            if Instant::now() >= deadline {
                self.stalled = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        if t.is_finished() {
            let _ = t.join();
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.close();
    }
}

/// What the writer thread says of its work, for the journal to judge the
/// disk by. Times are milliseconds since `epoch`, plus one; 0 is none.
struct Progress {
    /// Bytes handed to the writer and not written yet.
    in_flight: AtomicUsize,
    /// When it began the frame it is writing; 0 while it waits for one.
    writing_since: AtomicU64,
    /// When it last finished a write.
    last_done: AtomicU64,
    /// The longest write it finished, in milliseconds.
    slowest: AtomicU64,
    epoch: Instant,
}

impl Progress {
    fn new() -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            writing_since: AtomicU64::new(0),
            last_done: AtomicU64::new(0),
            slowest: AtomicU64::new(0),
            epoch: Instant::now(),
        }
    }

    /// Now, as the times above are.
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64 + 1
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;
