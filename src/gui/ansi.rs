//! ANSI colours in a child's output: SGR sequences (`ESC [ … m`) become
//! colours, bold, italics and underline when drawn; every other escape
//! sequence is dropped and a lone control character drawn escaped (`\r`),
//! never acted on (a line cannot move the cursor, clear the log, retitle
//! the window or ring a bell). `strip` gives the plain text, for exports
//! on request.

use egui::text::{LayoutJob, TextFormat};
use egui::{Color32, FontId};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Paint {
    #[default]
    Default,
    /// One of the 256 indexed colours (0–15: the standard and bright ones).
    Indexed(u8),
    Rgb(u8, u8, u8),
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub fg: Paint,
    pub bg: Paint,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub style: Style,
}

/// The text as styled spans, escapes removed (see `crate::ansi`); a tab
/// is drawn as four spaces.
pub fn parse(text: &str) -> Vec<Span> {
    use crate::ansi::Piece;
    let mut out: Vec<Span> = Vec::new();
    let mut style = Style::default();
    let mut cur = String::new();
    for p in crate::ansi::pieces(text) {
        match p {
            Piece::Text(t) => cur.push_str(t),
            Piece::Tab => cur.push_str("    "),
            // Shown, never obeyed, as the terminal shows it (`\r`,
            // `\x00`): a NUL or a carriage return does not vanish.
            Piece::Control('\n') => cur.push_str("\\n"),
            Piece::Control('\r') => cur.push_str("\\r"),
            Piece::Control(c) => cur.push_str(&format!("\\x{:02x}", c as u32)),
            Piece::Sgr(params) => {
                if !cur.is_empty() {
                    out.push(Span {
                        text: std::mem::take(&mut cur),
                        style,
                    });
                }
                apply_sgr(&mut style, params);
            }
        }
    }
    if !cur.is_empty() {
        out.push(Span { text: cur, style });
    }
    out
}

/// The text without any escape or control sequence, tabs kept.
pub fn strip(text: &str) -> String {
    crate::ansi::strip(text)
}

fn apply_sgr(s: &mut Style, params: &str) {
    let nums: Vec<u16> = if params.is_empty() {
        vec![0]
    } else {
        params
            .split([';', ':'])
            .map(|p| p.parse::<u16>().unwrap_or(0))
            .collect()
    };
    let mut i = 0;
    while i < nums.len() {
        match nums[i] {
            0 => *s = Style::default(),
            1 => s.bold = true,
            2 => s.dim = true,
            3 => s.italic = true,
            4 => s.underline = true,
            22 => {
                s.bold = false;
                s.dim = false;
            }
            23 => s.italic = false,
            24 => s.underline = false,
            n @ 30..=37 => s.fg = Paint::Indexed((n - 30) as u8),
            39 => s.fg = Paint::Default,
            n @ 40..=47 => s.bg = Paint::Indexed((n - 40) as u8),
            49 => s.bg = Paint::Default,
            n @ 90..=97 => s.fg = Paint::Indexed((n - 90 + 8) as u8),
            n @ 100..=107 => s.bg = Paint::Indexed((n - 100 + 8) as u8),
            n @ (38 | 48) => {
                let (paint, used) = extended(&nums[i + 1..]);
                if let Some(p) = paint {
                    if n == 38 {
                        s.fg = p;
                    } else {
                        s.bg = p;
                    }
                }
                i += used;
            }
            _ => {}
        }
        i += 1;
    }
}

/// `5;N` or `2;R;G;B` after 38/48: the colour and how many numbers it took.
fn extended(rest: &[u16]) -> (Option<Paint>, usize) {
    let byte = |v: u16| u8::try_from(v).unwrap_or(u8::MAX);
    match rest {
        [5, n, ..] => (Some(Paint::Indexed(byte(*n))), 2),
        [2, r, g, b, ..] => (Some(Paint::Rgb(byte(*r), byte(*g), byte(*b))), 4),
        _ => (None, rest.len()),
    }
}

/// The 16 standard colours, readable on a dark and on a light background.
fn base16(i: u8, dark: bool) -> Color32 {
    const DARK: [(u8, u8, u8); 16] = [
        (0x6e, 0x76, 0x81),
        (0xff, 0x7b, 0x72),
        (0x3f, 0xb9, 0x50),
        (0xd2, 0x99, 0x22),
        (0x58, 0xa6, 0xff),
        (0xbc, 0x8c, 0xff),
        (0x39, 0xc5, 0xcf),
        (0xb1, 0xba, 0xc4),
        (0x8b, 0x94, 0x9e),
        (0xff, 0xa1, 0x98),
        (0x56, 0xd3, 0x64),
        (0xe3, 0xb3, 0x41),
        (0x79, 0xc0, 0xff),
        (0xd2, 0xa8, 0xff),
        (0x56, 0xd4, 0xdd),
        (0xff, 0xff, 0xff),
    ];
    const LIGHT: [(u8, u8, u8); 16] = [
        (0x24, 0x29, 0x2f),
        (0xcf, 0x22, 0x2e),
        (0x11, 0x63, 0x29),
        (0x7d, 0x4e, 0x00),
        (0x09, 0x69, 0xda),
        (0x82, 0x50, 0xdf),
        (0x1b, 0x7c, 0x83),
        (0x6e, 0x77, 0x81),
        (0x57, 0x60, 0x6a),
        (0xa4, 0x0e, 0x26),
        (0x1a, 0x7f, 0x37),
        (0x63, 0x3c, 0x01),
        (0x21, 0x8b, 0xff),
        (0xa4, 0x75, 0xf9),
        (0x31, 0x92, 0xaa),
        (0x8c, 0x95, 0x9f),
    ];
    let (r, g, b) = if dark { DARK } else { LIGHT }[usize::from(i & 15)];
    Color32::from_rgb(r, g, b)
}

pub fn color(p: Paint, dark: bool) -> Option<Color32> {
    match p {
        Paint::Default => None,
        Paint::Indexed(i) if i < 16 => Some(base16(i, dark)),
        Paint::Indexed(i) if i >= 232 => {
            let v = 8 + (i - 232) * 10;
            Some(Color32::from_rgb(v, v, v))
        }
        Paint::Indexed(i) => {
            let i = i - 16;
            let level = |x: u8| if x == 0 { 0 } else { 55 + x * 40 };
            Some(Color32::from_rgb(level(i / 36), level((i / 6) % 6), level(i % 6)))
        }
        Paint::Rgb(r, g, b) => Some(Color32::from_rgb(r, g, b)),
    }
}

/// The text laid out with its colours; `base` for uncoloured text;
/// `wrap` at `width` or one line.
pub fn layout_job(text: &str, base: Color32, font: FontId, dark: bool, wrap: Option<f32>) -> LayoutJob {
    let mut job = LayoutJob::default();
    for span in parse(text) {
        let s = span.style;
        let mut fg = color(s.fg, dark).unwrap_or(base);
        if s.dim {
            fg = fg.gamma_multiply(0.7);
        }
        let mut f = TextFormat {
            font_id: font.clone(),
            color: fg,
            italics: s.italic,
            ..Default::default()
        };
        if let Some(bg) = color(s.bg, dark) {
            f.background = bg;
        }
        if s.underline {
            f.underline = egui::Stroke::new(1.0, fg);
        }
        if s.bold {
            // No bold monospace face is bundled: a brighter colour stands in.
            f.color = fg.gamma_multiply(1.2);
        }
        job.append(&span.text, 0.0, f);
    }
    match wrap {
        Some(w) => job.wrap.max_width = w,
        None => {
            job.wrap.max_width = f32::INFINITY;
            job.wrap.max_rows = 1;
        }
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sgr_colours_become_styles_and_other_sequences_are_dropped() {
        let spans = parse("plain \u{1b}[1;31mred\u{1b}[0m and \u{1b}[38;5;82mgreen\u{1b}[m.");
        let texts: Vec<&str> = spans.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["plain ", "red", " and ", "green", "."]);
        assert_eq!(spans[1].style.fg, Paint::Indexed(1));
        assert!(spans[1].style.bold);
        assert_eq!(spans[2].style, Style::default());
        assert_eq!(spans[3].style.fg, Paint::Indexed(82));
        assert_eq!(
            parse("\u{1b}[38;2;1;2;300mx")[0].style.fg,
            Paint::Rgb(1, 2, 255),
            "out-of-range parts saturate"
        );
    }

    #[test]
    fn control_sequences_are_never_acted_on() {
        let evil =
            "a\u{1b}[2J\u{1b}[H\u{1b}]0;title\u{7}b\u{1b}]8;;http://x\u{1b}\\c\u{7}\r\u{8}d\u{1b}[?25l";
        assert_eq!(strip(evil), "abcd");
        assert_eq!(strip("tab\there"), "tab\there");
        let drawn: String = parse("tab\there").into_iter().map(|s| s.text).collect();
        assert_eq!(drawn, "tab    here");
        // Drawn escaped, as on the terminal: never obeyed, never gone.
        let drawn: String = parse("nul\0x\rcr\u{7}\u{1b}[2J!")
            .into_iter()
            .map(|s| s.text)
            .collect();
        assert_eq!(drawn, "nul\\x00x\\rcr\\x07!");
        assert_eq!(strip("no escapes"), "no escapes");
        // A sequence cut off at the end of the line is dropped too.
        assert_eq!(strip("x\u{1b}[31"), "x");
        assert_eq!(strip("x\u{1b}"), "x");
        assert_eq!(strip("\u{1b}[99999999999999999999m!"), "!");
    }

    #[test]
    fn every_indexed_colour_has_a_value() {
        for i in 0..=255u8 {
            assert!(color(Paint::Indexed(i), true).is_some());
        }
        assert_eq!(color(Paint::Default, false), None);
    }
}
