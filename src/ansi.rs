//! Escape and control sequences in a child's output (ECMA-48), split from
//! its text. Pure: the log and the details pane draw SGR colours from the
//! pieces, exports and the plain log keep only the text (`strip`), and the
//! terminal of `proctor run` gets the text with the colours or without
//! them (`for_terminal`). No other sequence is ever passed on: a line
//! cannot move a cursor, retitle a window, ring a bell or hide its text.
//!
//! Recognised, and removed whole: CSI sequences (`ESC [` and the 8-bit
//! U+009B) up to their final byte; control strings (OSC `ESC ]` / U+009D,
//! DCS `ESC P` / U+0090, SOS `ESC X` / U+0098, PM `ESC ^` / U+009E, APC
//! `ESC _` / U+009F) up to BEL, `ESC \` or U+009C (or the end of the
//! line); escapes with intermediates (`ESC ( B`, `ESC ) 0`, `ESC # 8`);
//! two-character escapes (`ESC =`, `ESC >`, `ESC 7`, `ESC 8`, `ESC M`,
//! `ESC c`, ...); other C1 controls; a lone ESC at the end.

/// A piece of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text without any control character.
    Text(&'a str),
    /// A Select Graphic Rendition sequence's parameters (`1;31` of
    /// `ESC [ 1 ; 3 1 m`).
    Sgr(&'a str),
    Tab,
    /// Another C0 control character or DEL (a carriage return, a bell, a
    /// backspace): never acted on.
    Control(char),
}

/// The pieces of `text`, in order; escape sequences other than SGR are
/// left out.
pub fn pieces(text: &str) -> Pieces<'_> {
    Pieces { rest: text }
}

pub struct Pieces<'a> {
    rest: &'a str,
}

const ESC: char = '\u{1b}';
const BEL: char = '\u{7}';
const ST: char = '\u{9c}';

fn is_c1(c: char) -> bool {
    ('\u{80}'..='\u{9f}').contains(&c)
}

/// A control string (OSC, DCS, SOS, PM, APC) starts with this after ESC.
fn string_introducer(c: char) -> bool {
    matches!(c, ']' | 'P' | 'X' | '^' | '_')
}

impl<'a> Pieces<'a> {
    /// Skips a CSI sequence whose introducer is already consumed; its
    /// parameters if it is SGR.
    fn csi(&mut self) -> Option<&'a str> {
        let s = self.rest;
        for (i, c) in s.char_indices() {
            match c {
                // Parameter and intermediate bytes.
                '\u{20}'..='\u{3f}' => {}
                '\u{40}'..='\u{7e}' => {
                    self.rest = &s[i + 1..];
                    let params = &s[..i];
                    let sgr = c == 'm'
                        && params
                            .bytes()
                            .all(|b| b.is_ascii_digit() || b == b';' || b == b':');
                    return sgr.then_some(params);
                }
                // Anything else cuts the sequence short; it starts over there.
                _ => {
                    self.rest = &s[i..];
                    return None;
                }
            }
        }
        self.rest = "";
        None
    }

    /// Skips a control string up to its terminator (BEL, ESC \ or ST).
    fn control_string(&mut self) {
        let s = self.rest;
        let mut it = s.char_indices().peekable();
        while let Some((i, c)) = it.next() {
            match c {
                BEL | ST => {
                    self.rest = &s[i + c.len_utf8()..];
                    return;
                }
                ESC => {
                    if let Some(&(j, '\\')) = it.peek() {
                        self.rest = &s[j + 1..];
                    } else {
                        // An ESC that is not ST ends the string and starts anew.
                        self.rest = &s[i..];
                    }
                    return;
                }
                _ => {}
            }
        }
        self.rest = "";
    }

    /// After an ESC: skips what it introduces; the SGR parameters if any.
    fn escape(&mut self) -> Option<&'a str> {
        let mut chars = self.rest.chars();
        match chars.next() {
            None => None,
            Some('[') => {
                self.rest = &self.rest[1..];
                self.csi()
            }
            Some(c) if string_introducer(c) => {
                self.rest = &self.rest[1..];
                self.control_string();
                None
            }
            // nF: intermediates, then one final byte (ESC ( B, ESC # 8).
            Some('\u{20}'..='\u{2f}') => {
                let s = self.rest;
                for (i, c) in s.char_indices() {
                    match c {
                        '\u{20}'..='\u{2f}' => {}
                        '\u{30}'..='\u{7e}' => {
                            self.rest = &s[i + 1..];
                            return None;
                        }
                        _ => {
                            self.rest = &s[i..];
                            return None;
                        }
                    }
                }
                self.rest = "";
                None
            }
            // Fp, Fe, Fs: one character (ESC 7, ESC =, ESC M, ESC c).
            Some('\u{30}'..='\u{7e}') => {
                self.rest = &self.rest[1..];
                None
            }
            // ESC before anything else is dropped alone.
            Some(_) => None,
        }
    }
}

impl<'a> Iterator for Pieces<'a> {
    type Item = Piece<'a>;

    fn next(&mut self) -> Option<Piece<'a>> {
        loop {
            let s = self.rest;
            let c = s.chars().next()?;
            if !c.is_control() {
                let end = s.find(|c: char| c.is_control()).unwrap_or(s.len());
                self.rest = &s[end..];
                return Some(Piece::Text(&s[..end]));
            }
            self.rest = &s[c.len_utf8()..];
            match c {
                '\t' => return Some(Piece::Tab),
                ESC => {
                    if let Some(p) = self.escape() {
                        return Some(Piece::Sgr(p));
                    }
                }
                '\u{9b}' => {
                    if let Some(p) = self.csi() {
                        return Some(Piece::Sgr(p));
                    }
                }
                '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => self.control_string(),
                c if is_c1(c) => {}
                c => return Some(Piece::Control(c)),
            }
        }
    }
}

/// The text alone: every escape sequence and control character removed,
/// tabs kept.
pub fn strip(text: &str) -> String {
    if !text.contains(|c: char| c.is_control() && c != '\t') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    for p in pieces(text) {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Tab => out.push('\t'),
            Piece::Sgr(_) | Piece::Control(_) => {}
        }
    }
    out
}

/// Whether `proctor run` colours what it prints: `auto` when standard
/// output is a terminal and `NO_COLOR` is unset or empty.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Colours on a terminal (`is_terminal`) with `no_color`, the value of
    /// `NO_COLOR`, if set.
    pub fn on_terminal(self, is_terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            Self::Always => true,
            Self::Never => false,
            Self::Auto => is_terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }

    /// Colour codes kept in a file (an export is not a terminal: `auto`
    /// strips them).
    pub fn in_file(self) -> bool {
        self == Self::Always
    }
}

/// The longest SGR passed on (its parameters, in bytes; 256 with `ESC [`
/// and `m`): a longer one is dropped, not sent to a terminal.
pub const MAX_SGR_PARAMS: usize = 253;

/// A line for a terminal: its text, its colours (SGR) when `colour`, reset
/// at the end; every other control character written as an escape (`\r`,
/// `\x07`) and every other sequence removed.
pub fn for_terminal(text: &str, colour: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut coloured = false;
    for p in pieces(text) {
        match p {
            Piece::Text(t) => {
                for c in t.chars() {
                    if is_bidi_control(c) {
                        out.push_str(&format!("\\u{{{:x}}}", c as u32));
                    } else {
                        out.push(c);
                    }
                }
            }
            Piece::Tab => out.push('\t'),
            Piece::Sgr(params) if colour && params.len() <= MAX_SGR_PARAMS => {
                out.push_str("\u{1b}[");
                out.push_str(params);
                out.push('m');
                coloured = true;
            }
            Piece::Sgr(_) => {}
            Piece::Control('\n') => out.push_str("\\n"),
            Piece::Control('\r') => out.push_str("\\r"),
            Piece::Control(c) => out.push_str(&format!("\\x{:02x}", c as u32)),
        }
    }
    if coloured {
        out.push_str("\u{1b}[0m");
    }
    out
}

/// The invisible marks that reorder what a terminal shows after them
/// (right-to-left overrides and isolates).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csi_in_seven_and_eight_bits() {
        assert_eq!(strip("a\u{1b}[2Jb\u{1b}[?25lc\u{1b}[1;31md"), "abcd");
        assert_eq!(strip("a\u{9b}1;31mred\u{9b}0m"), "ared");
        assert_eq!(strip("a\u{9b}2Kb"), "ab");
        // Cut off at the end of the line.
        assert_eq!(strip("x\u{1b}[31"), "x");
        assert_eq!(strip("x\u{9b}31"), "x");
        assert_eq!(strip("\u{1b}[99999999999999999999m!"), "!");
        // Interrupted by another escape: both go.
        assert_eq!(strip("a\u{1b}[3\u{1b}[0mb"), "ab");
    }

    #[test]
    fn control_strings_go_whole_with_bel_or_st() {
        assert_eq!(strip("a\u{1b}]0;title\u{7}b"), "ab");
        assert_eq!(
            strip("a\u{1b}]8;;http://x\u{1b}\\link\u{1b}]8;;\u{1b}\\b"),
            "alinkb"
        );
        assert_eq!(strip("a\u{9d}0;t\u{9c}b"), "ab");
        assert_eq!(strip("a\u{1b}Pq#0;2;0;0;0\u{1b}\\b"), "ab");
        assert_eq!(strip("a\u{90}dcs\u{7}b"), "ab");
        assert_eq!(
            strip("a\u{1b}_apc\u{1b}\\b\u{1b}^pm\u{7}c\u{1b}Xsos\u{9c}d"),
            "abcd"
        );
        assert_eq!(strip("a\u{9f}apc\u{9c}b\u{9e}pm\u{9c}c\u{98}s\u{9c}d"), "abcd");
        // Unterminated: to the end of the line.
        assert_eq!(strip("a\u{1b}]0;never ends"), "a");
    }

    #[test]
    fn short_escapes_and_a_lone_esc() {
        // What `tput sgr0` prints: SGR 0 then ESC ( B.
        assert_eq!(strip("\u{1b}[1mbold\u{1b}(B\u{1b}[mplain"), "boldplain");
        assert_eq!(strip("a\u{1b})0b\u{1b}#8c"), "abc");
        assert_eq!(
            strip("a\u{1b}=b\u{1b}>c\u{1b}7d\u{1b}8e\u{1b}Mf\u{1b}cg"),
            "abcdefg"
        );
        assert_eq!(strip("x\u{1b}"), "x");
        assert_eq!(strip("x\u{1b}("), "x");
        assert_eq!(strip("a\u{1b}\u{1b}[0mb"), "ab");
        // Other C1 and C0 controls go, tabs stay.
        assert_eq!(strip("a\u{85}b\u{7}c\u{8}d\re\u{7f}f"), "abcdef");
        assert_eq!(strip("tab\there"), "tab\there");
        assert_eq!(strip("no escapes, ünïcödé 漢字"), "no escapes, ünïcödé 漢字");
    }

    #[test]
    fn sgr_pieces_carry_their_parameters() {
        let p: Vec<Piece> = pieces("\u{1b}[1;31mred\u{1b}(B\u{1b}[0m\tx\u{7}").collect();
        assert_eq!(
            p,
            [
                Piece::Sgr("1;31"),
                Piece::Text("red"),
                Piece::Sgr("0"),
                Piece::Tab,
                Piece::Text("x"),
                Piece::Control('\u{7}')
            ]
        );
        // A CSI ending in m with intermediates or private marks is not SGR.
        assert_eq!(pieces("\u{1b}[>4;2m").count(), 0);
    }

    #[test]
    fn the_terminal_gets_colours_or_none_and_nothing_else() {
        let line = "\u{1b}]0;pwned\u{7}\u{1b}[31mred\u{1b}[0m\u{7}\r\u{202e}x\u{1b}(B";
        assert_eq!(
            for_terminal(line, true),
            "\u{1b}[31mred\u{1b}[0m\\x07\\r\\u{202e}x\u{1b}[0m"
        );
        assert_eq!(for_terminal(line, false), "red\\x07\\r\\u{202e}x");
        assert_eq!(for_terminal("plain\ttext", true), "plain\ttext");
    }

    #[test]
    fn auto_colours_only_a_terminal_without_no_color() {
        use std::ffi::OsStr;
        assert!(ColorChoice::Auto.on_terminal(true, None));
        assert!(ColorChoice::Auto.on_terminal(true, Some(OsStr::new(""))));
        assert!(!ColorChoice::Auto.on_terminal(true, Some(OsStr::new("1"))));
        assert!(!ColorChoice::Auto.on_terminal(false, None));
        assert!(ColorChoice::Always.on_terminal(false, Some(OsStr::new("1"))));
        assert!(!ColorChoice::Never.on_terminal(true, None));
        assert!(!ColorChoice::Auto.in_file());
        assert!(ColorChoice::Always.in_file());
    }
}
