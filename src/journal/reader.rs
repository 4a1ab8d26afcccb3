//! Reading a journal back (export, History, past sessions): bounded lines,
//! bad lines skipped and counted with their numbers, the format checked
//! first.

use super::FORMAT;
use crate::event::{parse_json_line, Event};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
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
    let mut events = Vec::new();
    let errors = for_each_event(path, |e| events.push(e))?;
    Ok((events, errors.into_list()))
}

/// `read_journal` one event at a time, in bounded memory: `f` gets each
/// event as it is read. Returns the lines skipped, as `read_journal` does.
pub fn for_each_event(path: &Path, mut f: impl FnMut(Event)) -> io::Result<Problems> {
    let mut reader = BufReader::new(open_journal(path)?);
    let mut errors = Problems::default();
    let mut first = true;
    let mut line = Vec::new();
    for i in 0.. {
        let (read, whole) = read_line_bounded(&mut reader, &mut line, MAX_LINE)?;
        if read == 0 {
            let r = reader.get_ref();
            if r.damaged > 0 {
                errors.at_end(format!(
                    "{}: {} damaged part{} of the journal skipped ({} bytes that do not decode); the events before and after {} are read",
                    path.display(),
                    r.damaged,
                    if r.damaged == 1 { "" } else { "s" },
                    r.skipped,
                    if r.damaged == 1 { "it" } else { "them" }
                ));
            }
            if r.torn {
                errors.at_end(format!(
                    "{}: the last frame is cut short (a crash, a full disk or a session still writing it); everything before it is read",
                    path.display()
                ));
            }
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
            Ok(e) => f(e),
            Err(e) => errors.push(format!("{}:{}: {e}", path.display(), i + 1)),
        }
    }
    errors.path = path.display().to_string();
    Ok(errors)
}

/// The problems a read found: the first [`PROBLEMS_KEPT`] in full, the
/// rest counted (a file of random bytes has a problem a line, and
/// millions of messages would cost more than the events).
#[derive(Debug, Default)]
pub struct Problems {
    kept: Vec<String>,
    more: usize,
    end: Vec<String>,
    path: String,
}

/// Problems a read keeps word for word.
const PROBLEMS_KEPT: usize = 1000;

impl Problems {
    fn push(&mut self, problem: String) {
        if self.kept.len() < PROBLEMS_KEPT {
            self.kept.push(problem);
        } else {
            self.more += 1;
        }
    }

    /// A note on the whole file (a damaged part, a torn end): always kept.
    fn at_end(&mut self, problem: String) {
        self.end.push(problem);
    }

    /// How many problems there were, listed or not.
    pub fn len(&self) -> usize {
        self.kept.len() + self.more + self.end.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lines skipped (those that do not parse, or are too long): the
    /// problems but the notes on the whole file (a damaged part, a torn
    /// end).
    pub fn lines(&self) -> usize {
        self.kept.len() + self.more
    }

    /// The notes on the whole file, word for word.
    pub fn notes(&self) -> &[String] {
        &self.end
    }

    /// The first problem, word for word.
    pub fn first(&self) -> Option<&String> {
        self.kept.first().or(self.end.first())
    }

    /// The problems as lines to show: those kept, a line counting the
    /// rest, and the notes on the whole file.
    pub fn into_list(mut self) -> Vec<String> {
        if self.more > 0 {
            self.kept.push(format!(
                "{}: {} more lines skipped (not listed)",
                self.path, self.more
            ));
        }
        self.kept.append(&mut self.end);
        self.kept
    }
}

/// zstd's frame magic number, little-endian: how a compressed journal
/// starts (plain JSON Lines start with `{`).
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// A journal's text, whichever way it is stored: JSON Lines as they are
/// (format 1 and 2 journals, exports), or in zstd frames (`.jsonl.zst`,
/// format 3 on), decoded a whole frame at a time. A compressed file that
/// ends inside a frame (the tail a crash tore, or a frame a live session
/// is still writing) reads to the last whole frame and sets `torn`; it is
/// not an error, and reading again later goes on if the frame was
/// completed meanwhile.
pub struct JournalText {
    file: File,
    /// Known once the file holds its first 4 bytes (a live journal may be
    /// empty when it is opened).
    compressed: Option<bool>,
    /// Compressed bytes read from the file and not yet decoded.
    raw: Vec<u8>,
    /// The frame being read out, and how far.
    text: Vec<u8>,
    at: usize,
    pub torn: bool,
    /// Damaged stretches skipped (a frame that does not decode, or bytes
    /// that are no frame) and their bytes: reading goes on at the next
    /// frame's start.
    pub damaged: u32,
    pub skipped: u64,
    /// Inside a damaged stretch, looking for the next frame.
    skipping: bool,
    /// A frame too big to decode whole, being decoded a piece at a time.
    streamed: Option<super::frame_stream::StreamedFrame>,
}

/// What the bytes held make of the next frame.
enum Next {
    Frame,
    /// More bytes are needed (a frame still being written, or torn).
    More,
    Damaged,
}

/// A compressed frame larger than this is damage: no writer makes one
/// (Proctor's frames hold about 1 MiB of text).
const MAX_FRAME: usize = 256 << 20;
/// A frame of at most this much text is decoded whole; a bigger one (made
/// by other tools) a piece at a time, in bounded memory.
const WHOLE_FRAME: usize = 16 << 20;

impl JournalText {
    /// Decodes the next whole frame held in `raw`, if there is one.
    fn next_frame(&mut self) -> Next {
        let n = match zstd::zstd_safe::find_frame_compressed_size(&self.raw) {
            Ok(n) if n <= self.raw.len() => n,
            Ok(_) => return Next::More,
            // Too few bytes for the frame so far: it may yet be written.
            Err(code) if zstd::zstd_safe::get_error_name(code) == "Src size is incorrect" => {
                return if self.raw.len() > MAX_FRAME {
                    Next::Damaged
                } else {
                    Next::More
                };
            }
            Err(_) => return Next::Damaged,
        };
        self.text.clear();
        self.at = 0;
        let frame = &self.raw[..n];
        let size = zstd::zstd_safe::get_frame_content_size(frame).ok().flatten();
        let text = match size {
            // Decoded whole, its checksum checked before any of its text
            // is read: damage never reads as other lines.
            Some(size) if (size as usize) <= WHOLE_FRAME => zstd::bulk::decompress(frame, size as usize),
            // Bigger, or of a size not said: a piece at a time, twice.
            _ => {
                // Checked whole first (a pass that keeps nothing): a
                // damaged one is skipped whole, never read in part.
                if !super::frame_stream::verify(&self.raw[..n]) {
                    return Next::Damaged;
                }
                let frame = self.raw.drain(..n).collect();
                self.streamed = Some(super::frame_stream::StreamedFrame::new(frame));
                return self.next_piece();
            }
        };
        match text {
            Ok(t) => {
                self.text = t;
                self.raw.drain(..n);
                Next::Frame
            }
            Err(_) => Next::Damaged,
        }
    }

    /// The next piece of the frame being streamed into `text`.
    fn next_piece(&mut self) -> Next {
        use super::frame_stream::Piece;
        let Some(s) = self.streamed.as_mut() else {
            return Next::Frame;
        };
        self.at = 0;
        match s.next_piece(&mut self.text) {
            Piece::More => Next::Frame,
            Piece::Done => {
                self.streamed = None;
                Next::Frame
            }
            Piece::Damaged { left } => {
                // The rest of the frame is skipped (it is out of `raw`
                // already: the next frame is next).
                self.streamed = None;
                // A line the pieces before left open ends here (and does
                // not parse): the next frame starts a line of its own.
                self.text.clear();
                self.text.push(b'\n');
                self.damaged += 1;
                self.skipped += left as u64;
                Next::Frame
            }
        }
    }

    /// At the end of what the file holds, a frame that is not whole yet
    /// is a tail still being written, or torn, unless a whole frame
    /// follows it: then it is damage (a length inside it spoiled), skipped.
    fn whole_frame_after_damage(&mut self) -> bool {
        let at = (1..self.raw.len().saturating_sub(3)).find(|&i| {
            self.raw[i..].starts_with(&ZSTD_MAGIC)
                && zstd::zstd_safe::find_frame_compressed_size(&self.raw[i..])
                    .is_ok_and(|n| n <= self.raw.len() - i)
        });
        let Some(at) = at else { return false };
        if !self.skipping {
            self.damaged += 1;
        }
        self.skipping = true;
        self.skipped += at as u64;
        self.raw.drain(..at);
        true
    }

    /// Skips damage: drops bytes up to the next frame's magic number after
    /// the first byte. False when none is held yet (the last 3 bytes are
    /// kept: a magic number may be cut between reads).
    fn resync(&mut self) -> bool {
        if !self.skipping {
            self.skipping = true;
            self.damaged += 1;
        }
        let found = self
            .raw
            .windows(4)
            .skip(1)
            .position(|w| w == ZSTD_MAGIC)
            .map(|i| i + 1);
        let cut = found.unwrap_or(self.raw.len().saturating_sub(3));
        self.skipped += cut as u64;
        self.raw.drain(..cut);
        found.is_some()
    }
}

impl Read for JournalText {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.compressed.is_none() {
            let mut chunk = [0u8; 4];
            while self.raw.len() < 4 {
                match self.file.read(&mut chunk[..4 - self.raw.len()]) {
                    Ok(0) => break,
                    Ok(n) => self.raw.extend_from_slice(&chunk[..n]),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            if self.raw.len() >= 4 {
                self.compressed = Some(self.raw[..4] == ZSTD_MAGIC);
            } else if self.raw.first().is_some_and(|&b| b != ZSTD_MAGIC[0]) {
                self.compressed = Some(false);
            } else {
                // Nothing yet (or too little to tell): nothing to read yet.
                return Ok(0);
            }
        }
        if self.compressed == Some(false) {
            if !self.raw.is_empty() {
                let n = buf.len().min(self.raw.len());
                buf[..n].copy_from_slice(&self.raw[..n]);
                self.raw.drain(..n);
                return Ok(n);
            }
            return self.file.read(buf);
        }
        loop {
            if self.at < self.text.len() {
                let n = buf.len().min(self.text.len() - self.at);
                buf[..n].copy_from_slice(&self.text[self.at..self.at + n]);
                self.at += n;
                return Ok(n);
            }
            let next = if self.streamed.is_some() {
                self.next_piece()
            } else {
                self.next_frame()
            };
            match next {
                Next::Frame => {
                    self.torn = false;
                    self.skipping = false;
                    continue;
                }
                // A frame not yet whole (still being written, or torn).
                Next::More if self.raw.len() < 4 || self.raw.starts_with(&ZSTD_MAGIC) => {}
                // Damage, or bytes after damage that are no frame: go on
                // at the next frame (with a checksum in every frame,
                // damage inside one does not decode).
                Next::More | Next::Damaged => {
                    if self.resync() {
                        continue;
                    }
                }
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.file.read(&mut chunk) {
                Ok(0) => {
                    if self.whole_frame_after_damage() {
                        continue;
                    }
                    if self.skipping && !self.raw.starts_with(&ZSTD_MAGIC) {
                        // Damage up to the end: what is left is skipped.
                        self.skipped += self.raw.len() as u64;
                        self.raw.clear();
                    }
                    self.torn = !self.raw.is_empty();
                    return Ok(0);
                }
                Ok(n) => self.raw.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Opens a journal (or export) for reading its JSON Lines text.
pub fn open_journal(path: &Path) -> io::Result<JournalText> {
    Ok(JournalText {
        file: File::open(path)?,
        compressed: None,
        raw: Vec::new(),
        text: Vec::new(),
        at: 0,
        torn: false,
        damaged: 0,
        skipped: 0,
        skipping: false,
        streamed: None,
    })
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
