//! Splitting a byte stream into lines without unbounded buffering.
//!
//! A line is emitted without its newline. A line longer than `max` bytes is
//! emitted in pieces of `max` bytes (cut back to a UTF-8 boundary when one is
//! near), so a child that never writes a newline cannot make us buffer
//! without bound. A line that is not UTF-8 is shown lossily and carried
//! exactly too (`Line::bytes`), never dropped.

use crate::event::raw::text_and_raw;

pub const MAX_LINE: usize = 64 * 1024;

/// One line (or piece of a long one) of a child's output.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    /// What a person sees: the text, U+FFFD where a byte was not UTF-8.
    pub text: String,
    /// The exact bytes in base64 when they are not the text's.
    pub bytes: Option<String>,
    /// It ended with a newline; `false` for a piece of a line longer than
    /// the splitter holds, and for what a stream left unterminated at its
    /// end (a persistent worker that died mid-answer did not answer).
    pub complete: bool,
}

/// What a chunk of output became: the complete lines it ended, joined, or
/// one line (or piece) that needs its own event.
#[derive(Clone, Debug, PartialEq)]
pub enum Piece {
    /// `count` complete lines, joined by `\n` (no newline at the end): what
    /// one read brought, carried as one event. `bytes` holds them exactly,
    /// in base64, when they are not all UTF-8 (`text` shows them lossily;
    /// a newline is never part of a byte that is not UTF-8, so the lines
    /// of the text and of the bytes are the same lines).
    Lines {
        text: String,
        bytes: Option<String>,
        count: u32,
    },
    /// A line that is not UTF-8, a piece of an over-long line, or a last
    /// line without its newline.
    One(Line),
}

#[derive(Debug)]
pub struct LineSplitter {
    pending: Vec<u8>,
    max: usize,
}

impl Default for LineSplitter {
    fn default() -> Self {
        Self::new(MAX_LINE)
    }
}

impl LineSplitter {
    pub fn new(max: usize) -> Self {
        Self {
            pending: Vec::new(),
            max: max.max(4),
        }
    }

    /// Feeds a chunk; calls `emit` once per complete line (or full piece).
    pub fn push(&mut self, mut chunk: &[u8], emit: &mut impl FnMut(Line)) {
        while !chunk.is_empty() {
            match memchr(b'\n', chunk) {
                Some(nl) => {
                    let (head, rest) = chunk.split_at(nl);
                    self.append_bounded(head, emit);
                    let line = std::mem::take(&mut self.pending);
                    emit(to_text(&line, true));
                    self.pending = line;
                    self.pending.clear();
                    chunk = &rest[1..];
                }
                None => {
                    self.append_bounded(chunk, emit);
                    chunk = &[];
                }
            }
        }
    }

    /// Feeds a chunk and emits its complete lines joined in one piece (the
    /// common case: no allocation or event per line; lines that are not
    /// UTF-8 carry their exact bytes). A line longer than `max` is cut
    /// into pieces of its own as [`push`] does, and the lines after it are
    /// joined again. What follows the last newline waits for the next
    /// chunk.
    pub fn push_joined(&mut self, mut chunk: &[u8], emit: &mut impl FnMut(Piece)) {
        loop {
            let Some(last) = memrchr(b'\n', chunk) else {
                self.push(chunk, &mut |l| emit(Piece::One(l)));
                return;
            };
            // The first complete line longer than `max` (what is pending
            // counts towards the first line), if any.
            let mut start = 0;
            let mut carried = self.pending.len();
            let mut long = None;
            for (i, &b) in chunk[..=last].iter().enumerate() {
                if b == b'\n' {
                    if i - start + carried > self.max {
                        long = Some((start, i));
                        break;
                    }
                    carried = 0;
                    start = i + 1;
                }
            }
            match long {
                None => {
                    self.emit_joined(&chunk[..last], emit);
                    self.push(&chunk[last + 1..], &mut |l| emit(Piece::One(l)));
                    return;
                }
                Some((line_start, newline)) => {
                    if line_start > 0 {
                        // The lines before it, joined; it, cut in pieces.
                        self.emit_joined(&chunk[..line_start - 1], emit);
                    }
                    self.push(&chunk[line_start..=newline], &mut |l| emit(Piece::One(l)));
                    chunk = &chunk[newline + 1..];
                }
            }
        }
    }

    /// Emits what is pending and `body` (complete lines joined by newlines,
    /// none longer than `max`, without the last newline): one piece of
    /// them all, or the line itself when there is one.
    fn emit_joined(&mut self, body: &[u8], emit: &mut impl FnMut(Piece)) {
        let count = 1 + body.iter().filter(|&&b| b == b'\n').count() as u32;
        if count == 1 {
            self.pending.extend_from_slice(body);
            let line = std::mem::take(&mut self.pending);
            emit(Piece::One(to_text(&line, true)));
            self.pending = line;
            self.pending.clear();
            return;
        }
        let piece = match (std::str::from_utf8(body), std::str::from_utf8(&self.pending)) {
            (Ok(text), Ok(pending)) => {
                let mut joined = String::with_capacity(pending.len() + text.len());
                joined.push_str(pending);
                joined.push_str(text);
                Piece::Lines {
                    text: joined,
                    bytes: None,
                    count,
                }
            }
            _ => {
                // Not all UTF-8: still one event, with the exact bytes.
                self.pending.extend_from_slice(body);
                let (text, bytes) = text_and_raw(&self.pending);
                Piece::Lines { text, bytes, count }
            }
        };
        self.pending.clear();
        emit(piece);
    }

    /// Emits what is left (a last line without a newline).
    pub fn finish(&mut self, emit: &mut impl FnMut(Line)) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            emit(to_text(&line, false));
        }
        self.pending = Vec::new();
    }

    /// Bytes held waiting for a newline.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    fn append_bounded(&mut self, mut bytes: &[u8], emit: &mut impl FnMut(Line)) {
        while self.pending.len() + bytes.len() > self.max {
            let room = self.max - self.pending.len();
            self.pending.extend_from_slice(&bytes[..room]);
            bytes = &bytes[room..];
            let cut = utf8_cut(&self.pending);
            let tail = self.pending.split_off(cut);
            emit(to_text(&self.pending, false));
            self.pending.clear();
            self.pending.extend_from_slice(&tail);
        }
        self.pending.extend_from_slice(bytes);
    }
}

/// Where to cut a full buffer so that a multi-byte character is not split:
/// at most 3 bytes back, else at the end.
fn utf8_cut(buf: &[u8]) -> usize {
    let len = buf.len();
    for back in 1..=3.min(len) {
        let b = buf[len - back];
        if b & 0xC0 == 0xC0 {
            // A lead byte: is its sequence complete?
            let need = if b >= 0xF0 {
                4
            } else if b >= 0xE0 {
                3
            } else {
                2
            };
            return if back >= need { len } else { len - back };
        }
        if b & 0x80 == 0 {
            return len;
        }
    }
    len
}

fn to_text(bytes: &[u8], complete: bool) -> Line {
    let (text, bytes) = text_and_raw(bytes);
    Line {
        text,
        bytes,
        complete,
    }
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

fn memrchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().rposition(|&b| b == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split_lines(chunks: &[&[u8]], max: usize) -> Vec<Line> {
        let mut s = LineSplitter::new(max);
        let mut out = Vec::new();
        for c in chunks {
            s.push(c, &mut |l| out.push(l));
        }
        s.finish(&mut |l| out.push(l));
        out
    }

    fn split(chunks: &[&[u8]], max: usize) -> Vec<String> {
        split_lines(chunks, max).into_iter().map(|l| l.text).collect()
    }

    #[test]
    fn a_line_that_is_not_utf8_keeps_its_exact_bytes() {
        let out = split_lines(&[b"ok\n\xff\xfe caf\xe9\n", b"tail \xc3"], 1024);
        assert_eq!(
            out[0],
            Line {
                text: "ok".into(),
                bytes: None,
                complete: true
            }
        );
        assert_eq!(out[1].text, "\u{fffd}\u{fffd} caf\u{fffd}");
        let raw = crate::event::raw::decode(out[1].bytes.as_deref().unwrap()).unwrap();
        assert_eq!(raw, b"\xff\xfe caf\xe9");
        // A last line cut in the middle of a character is kept exactly too.
        let raw = crate::event::raw::decode(out[2].bytes.as_deref().unwrap()).unwrap();
        assert_eq!(raw, b"tail \xc3");
    }

    fn joined(chunks: &[&[u8]], max: usize) -> Vec<Piece> {
        let mut s = LineSplitter::new(max);
        let mut out = Vec::new();
        for c in chunks {
            s.push_joined(c, &mut |p| out.push(p));
        }
        s.finish(&mut |l| out.push(Piece::One(l)));
        out
    }

    /// The lines the pieces stand for, in order.
    fn lines_of(pieces: &[Piece]) -> Vec<String> {
        pieces
            .iter()
            .flat_map(|p| match p {
                Piece::Lines { text, bytes, count } => {
                    let v: Vec<String> = text.split('\n').map(String::from).collect();
                    assert_eq!(v.len(), *count as usize);
                    if let Some(b) = bytes {
                        let raw = crate::event::raw::decode(b).unwrap();
                        assert_eq!(raw.split(|&c| c == b'\n').count(), v.len());
                        assert_eq!(text_and_raw(&raw).0, *text);
                    }
                    v
                }
                Piece::One(l) => vec![l.text.clone()],
            })
            .collect()
    }

    #[test]
    fn joined_lines_are_the_same_lines_in_fewer_pieces() {
        let chunks: &[&[u8]] = &[b"ab", b"c\nde\n\nf", b"g\nh\ni\n", b"j"];
        let pieces = joined(chunks, 100);
        assert_eq!(lines_of(&pieces), split(chunks, 100));
        assert_eq!(lines_of(&pieces), vec!["abc", "de", "", "fg", "h", "i", "j"]);
        assert_eq!(
            pieces[0],
            Piece::Lines {
                text: "abc\nde\n".into(),
                bytes: None,
                count: 3
            }
        );
    }

    /// The exact bytes the pieces stand for (a newline after each line).
    fn bytes_of(pieces: &[Piece]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in pieces {
            let (text, bytes, complete) = match p {
                Piece::Lines { text, bytes, .. } => (text, bytes, true),
                Piece::One(l) => (&l.text, &l.bytes, l.complete),
            };
            match bytes {
                Some(b) => out.extend(crate::event::raw::decode(b).unwrap()),
                None => out.extend_from_slice(text.as_bytes()),
            }
            if complete {
                out.push(b'\n');
            }
        }
        out
    }

    #[test]
    fn lines_that_are_not_utf8_are_joined_too_with_their_exact_bytes() {
        let pieces = joined(&[b"pre", b"fix\xfe\nok\n\xff\nz\n"], 100);
        assert_eq!(pieces.len(), 1, "{pieces:?}");
        assert_eq!(lines_of(&pieces), vec!["prefix\u{fffd}", "ok", "\u{fffd}", "z"]);
        assert_eq!(bytes_of(&pieces), b"prefix\xfe\nok\n\xff\nz\n");
        // Every cut of a sample gives the same lines and the same bytes.
        let text: &[u8] = b"x\xff\nyy\n\xc3\xa9\xc3\n\n\x9bzz\nw\n";
        for cut in 0..text.len() {
            let chunks: &[&[u8]] = &[&text[..cut], &text[cut..]];
            let pieces = joined(chunks, 5);
            assert_eq!(lines_of(&pieces), split(chunks, 5), "cut at {cut}");
            assert_eq!(bytes_of(&pieces), text, "cut at {cut}");
        }
    }

    #[test]
    fn the_lines_after_a_long_one_are_joined_again() {
        let mut chunk = b"a\nb\n".to_vec();
        chunk.extend_from_slice(&[b'x'; 25]);
        chunk.push(b'\n');
        for i in 0..100 {
            chunk.extend_from_slice(format!("{i}\n").as_bytes());
        }
        let pieces = joined(&[&chunk], 10);
        // a and b joined, the long line in 3 pieces, the 100 lines joined.
        assert_eq!(pieces.len(), 5, "{pieces:?}");
        assert!(matches!(&pieces[4], Piece::Lines { count: 100, .. }));
        assert_eq!(lines_of(&pieces), split(&[&chunk], 10));
        assert_eq!(bytes_of(&pieces), chunk);
        // What was pending counts towards the first line's length.
        let pieces = joined(&[b"xxxxxxx", b"xxxxxxx\n1\n2\n3\n"], 10);
        assert!(
            matches!(pieces.last(), Some(Piece::Lines { count: 3, .. })),
            "{pieces:?}"
        );
        assert_eq!(lines_of(&pieces), vec!["xxxxxxxxxx", "xxxx", "1", "2", "3"]);
    }

    #[test]
    fn joined_falls_back_to_lines_for_long_lines() {
        // A lone line: one piece with its bytes.
        let pieces = joined(&[b"\xff\n"], 100);
        assert!(matches!(&pieces[..], [Piece::One(l)] if l.bytes.is_some()));
        // A line longer than max is cut as before.
        let chunks: &[&[u8]] = &[b"aaaaaaaaaa\nb\nc\n"];
        assert_eq!(lines_of(&joined(chunks, 4)), split(chunks, 4));
        // The same whatever the chunking, for every cut of a sample.
        let text: &[u8] = "x\nyy\n\u{e9}\u{e9}\n\nzzzzzzz\nw".as_bytes();
        for cut in 0..text.len() {
            let chunks: &[&[u8]] = &[&text[..cut], &text[cut..]];
            assert_eq!(lines_of(&joined(chunks, 5)), split(chunks, 5), "cut at {cut}");
        }
    }

    #[test]
    fn joins_lines_across_chunks() {
        assert_eq!(split(&[b"ab", b"c\nde", b"f\n"], 100), vec!["abc", "def"]);
    }

    #[test]
    fn keeps_empty_lines_and_last_partial_line() {
        assert_eq!(split(&[b"\n\nx"], 100), vec!["", "", "x"]);
    }

    #[test]
    fn splits_long_lines_at_max() {
        let out = split(&[b"aaaaaaaaaa\n"], 4);
        assert_eq!(out, vec!["aaaa", "aaaa", "aa"]);
    }

    #[test]
    fn long_line_never_buffers_more_than_max() {
        let mut s = LineSplitter::new(8);
        let mut n = 0;
        for _ in 0..1000 {
            s.push(b"xxxxx", &mut |_| n += 1);
            assert!(s.pending_len() <= 8);
        }
        // 5000 bytes: 624 full pieces out, the last 8 bytes still waiting
        // (a piece is cut only when more arrives, so a line of exactly `max`
        // bytes followed by a newline is not followed by an empty line).
        assert_eq!(n, 624);
        assert_eq!(s.pending_len(), 8);
        let mut out = Vec::new();
        s.push(b"\n", &mut |l| out.push(l.text));
        assert_eq!(out, vec!["xxxxxxxx"]);
    }

    #[test]
    fn invalid_utf8_is_lossy_not_dropped() {
        assert_eq!(split(&[b"a\xffb\n"], 100), vec!["a\u{fffd}b"]);
    }

    #[test]
    fn does_not_cut_inside_a_character() {
        // "é" is 2 bytes; max 4 with "abcé" = 5 bytes: cut before é.
        let out = split(&["abcé\n".as_bytes()], 4);
        assert_eq!(out, vec!["abc", "é"]);
    }
}
