//! A zstd frame too big to decode whole (no writer of Proctor makes one:
//! its frames hold about 1 MiB of text; `zstd` of a whole journal, or
//! `zstdcat … | zstd`, makes one frame of it all), decoded a piece at a
//! time so that memory stays bounded whatever its size.

use zstd::zstd_safe::{DCtx, InBuffer, OutBuffer};

/// Text decoded per piece.
pub const PIECE: usize = 1 << 20;

pub struct StreamedFrame {
    frame: Vec<u8>,
    pos: usize,
    dctx: DCtx<'static>,
}

/// What one piece of a streamed frame gave.
pub enum Piece {
    /// Text in `out`; more follows.
    More,
    /// Text in `out` (maybe none), and the frame is done.
    Done,
    /// The frame does not decode from here on (its checksum, checked at its
    /// end, included); the bytes of it left undecoded.
    Damaged { left: usize },
}

impl StreamedFrame {
    /// `frame`: one whole compressed frame.
    pub fn new(frame: Vec<u8>) -> Self {
        Self {
            frame,
            pos: 0,
            dctx: DCtx::create(),
        }
    }

    /// Decodes up to [`PIECE`] bytes of text into `out` (cleared first).
    pub fn next_piece(&mut self, out: &mut Vec<u8>) -> Piece {
        out.clear();
        out.reserve(PIECE);
        loop {
            let before = (self.pos, out.len());
            let mut output = OutBuffer::around(&mut *out);
            let mut input = InBuffer::around(&self.frame[self.pos..]);
            let r = self.dctx.decompress_stream(&mut output, &mut input);
            self.pos += input.pos();
            match r {
                Err(_) => {
                    return Piece::Damaged {
                        left: self.frame.len() - self.pos,
                    }
                }
                Ok(0) => return Piece::Done,
                Ok(_) if out.len() >= PIECE.min(out.capacity()) => return Piece::More,
                // Neither input taken nor output made: the frame ends
                // before its end (a frame whose size read whole, so damage).
                Ok(_) if before == (self.pos, out.len()) => {
                    return Piece::Damaged {
                        left: self.frame.len() - self.pos,
                    }
                }
                Ok(_) => {}
            }
        }
    }
}

/// Whether a whole compressed frame decodes to its end, its checksum
/// included, decoding it a piece at a time and keeping nothing: the first
/// of two passes, so that damage in a frame too big to decode whole never
/// reads as other lines (zstd finds it only at the frame's end).
pub fn verify(frame: &[u8]) -> bool {
    let mut dctx = DCtx::create();
    let mut scratch: Vec<u8> = Vec::with_capacity(PIECE);
    let mut pos = 0;
    loop {
        scratch.clear();
        let before = pos;
        let mut output = OutBuffer::around(&mut scratch);
        let mut input = InBuffer::around(&frame[pos..]);
        let r = dctx.decompress_stream(&mut output, &mut input);
        pos += input.pos();
        match r {
            Err(_) => return false,
            Ok(0) => return true,
            // Nothing taken, nothing made: the frame ends before its end.
            Ok(_) if pos == before && scratch.is_empty() => return false,
            Ok(_) => {}
        }
    }
}
