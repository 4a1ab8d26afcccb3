//! The journal writer thread's side: compresses each frame and appends it
//! to the file, keeping only whole frames, and says a hole in the journal
//! (frames a full or stalled disk lost) in the frame written after it.

use super::writer::{FRAME_BYTES, STALL_WAIT};
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The writer thread's side: compresses each frame and appends it.
pub(super) struct FrameWriter {
    path: PathBuf,
    file: File,
    /// Bytes of whole frames in the file: a write that fails part way (a
    /// full disk) is cut back to this, so only whole frames are ever kept.
    whole: u64,
    out: Vec<u8>,
    error: Arc<Mutex<Option<String>>>,
    failed: Arc<AtomicBool>,
    /// Frames that could not be written since the last one that was, and
    /// why: said in the journal itself once it can be written again, so
    /// the hole is never silent.
    lost: u64,
    lost_why: String,
    /// Frames the journal dropped while this writer was stalled.
    dropped: Arc<AtomicU64>,
}

impl FrameWriter {
    pub(super) fn new(
        path: PathBuf,
        file: File,
        error: Arc<Mutex<Option<String>>>,
        failed: Arc<AtomicBool>,
        dropped: Arc<AtomicU64>,
    ) -> Self {
        Self {
            path,
            file,
            whole: 0,
            out: Vec::new(),
            error,
            failed,
            lost: 0,
            lost_why: String::new(),
            dropped,
        }
    }

    /// Syncs what was written to the disk (at the journal's end).
    pub(super) fn sync(&mut self) {
        let _ = self.file.sync_all();
    }

    pub(super) fn write_frame(&mut self, zstd: Option<&mut zstd::bulk::Compressor<'static>>, frame: &[u8]) {
        let dropped = self.dropped.swap(0, Ordering::SeqCst);
        if dropped > 0 {
            self.lost += dropped;
            self.lost_why = format!("the disk took no write for {} s", STALL_WAIT.as_secs());
        }
        if self.lost == 0 {
            if !self.write_one(zstd, frame) {
                self.lost += 1;
            }
            return;
        }
        // The hole is said in the same frame as the events after it: both
        // are written or neither (a disk that fills again between them
        // would otherwise get a note for every frame it refused).
        let note = crate::event::Event::now(crate::event::EventKind::Error {
            message: format!(
                "the journal could not be written for a while ({}): {} frame{} of events are missing here (their `seq` numbers are skipped); the events before and after are whole",
                self.lost_why,
                self.lost,
                if self.lost == 1 { "" } else { "s" },
            ),
        });
        let mut both = serde_json::to_vec(&note).unwrap_or_default();
        both.push(b'\n');
        both.extend_from_slice(frame);
        if self.write_one(zstd, &both) {
            self.lost = 0;
        } else {
            self.lost += 1;
        }
    }

    /// Compresses and appends one frame; false when it could not.
    fn write_one(&mut self, zstd: Option<&mut zstd::bulk::Compressor<'static>>, frame: &[u8]) -> bool {
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
            Ok(n) => {
                self.whole += n as u64;
                if self.out.capacity() > 4 * FRAME_BYTES {
                    // Grown by a backlog's frame: not kept.
                    self.out = Vec::new();
                }
                true
            }
            Err(e) => {
                let _ = self.file.set_len(self.whole);
                self.lost_why = e.to_string();
                if !self.failed.swap(true, Ordering::SeqCst) {
                    if let Ok(mut slot) = self.error.lock() {
                        *slot = Some(format!("cannot write the journal {}: {e}", self.path.display()));
                    }
                }
                false
            }
        }
    }
}
