//! Colours that mean something, for the dark and the light theme, and the
//! app's spacing. Every panel takes its colours from here.

use crate::event::exit::{classify_exit, ExitClass};
use egui::{Color32, FontFamily, FontId, TextStyle};

/// What a colour says about a process or an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Alive and working.
    Running,
    /// Ended with exit code 0, or a pool input that succeeded.
    Success,
    /// Exit code > 0, failed to start, an error.
    Failure,
    /// Ended by a signal (killed, terminated).
    Signalled,
    /// A stop signal was sent; SIGKILL may follow.
    Stopping,
    /// Waiting: starting, restart pending, queued.
    Waiting,
    /// Secondary text.
    Muted,
    /// Text the process wrote to stderr.
    Stderr,
}

/// The colour of a tone in the current theme.
pub fn color(dark: bool, tone: Tone) -> Color32 {
    // GitHub Primer's functional colours: they stay readable on both
    // backgrounds and keep the same meaning in each.
    let (d, l) = match tone {
        Tone::Running => ((0x58, 0xa6, 0xff), (0x09, 0x69, 0xda)),
        Tone::Success => ((0x3f, 0xb9, 0x50), (0x1a, 0x7f, 0x37)),
        Tone::Failure => ((0xf8, 0x51, 0x49), (0xcf, 0x22, 0x2e)),
        Tone::Signalled => ((0xdb, 0x8b, 0x2b), (0xbc, 0x4c, 0x00)),
        Tone::Stopping => ((0xd2, 0x99, 0x22), (0x9a, 0x67, 0x00)),
        Tone::Waiting => ((0xa3, 0x71, 0xf7), (0x82, 0x50, 0xdf)),
        Tone::Muted => ((0x8b, 0x94, 0x9e), (0x59, 0x63, 0x6e)),
        Tone::Stderr => ((0xff, 0x9b, 0x85), (0xa4, 0x0e, 0x26)),
    };
    let (r, g, b) = if dark { d } else { l };
    Color32::from_rgb(r, g, b)
}

/// The tone of an exit code: 0, N, or -SIGNUM.
pub fn exit_tone(code: i32) -> Tone {
    match classify_exit(code) {
        ExitClass::Success => Tone::Success,
        ExitClass::Failure => Tone::Failure,
        ExitClass::Signalled => Tone::Signalled,
    }
}

/// A faint background for rows that need attention (errors in the log).
pub fn problem_background(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgba_unmultiplied(0xf8, 0x51, 0x49, 0x22)
    } else {
        Color32::from_rgba_unmultiplied(0xcf, 0x22, 0x2e, 0x18)
    }
}

/// Spacing and text sizes used throughout the app (both themes).
pub fn apply_style(ctx: &egui::Context) {
    // Hack (the monospace font) has arrows and shapes (● ▶ ↓) that
    // Ubuntu-Light lacks: let proportional text fall back to it.
    let mut fonts = egui::FontDefinitions::default();
    if let Some(f) = fonts.families.get_mut(&FontFamily::Proportional) {
        let at = f.len().min(1);
        f.insert(at, "Hack".to_owned());
    }
    ctx.set_fonts(fonts);
    ctx.all_styles_mut(|style| {
        style.spacing.item_spacing = egui::vec2(8.0, 5.0);
        style.spacing.button_padding = egui::vec2(8.0, 3.0);
        style.spacing.interact_size.y = 22.0;
        style
            .text_styles
            .insert(TextStyle::Monospace, FontId::new(12.5, FontFamily::Monospace));
        style
            .text_styles
            .insert(TextStyle::Body, FontId::new(13.5, FontFamily::Proportional));
        style
            .text_styles
            .insert(TextStyle::Button, FontId::new(13.5, FontFamily::Proportional));
        style
            .text_styles
            .insert(TextStyle::Small, FontId::new(11.0, FontFamily::Proportional));
        style
            .text_styles
            .insert(TextStyle::Heading, FontId::new(17.0, FontFamily::Proportional));
    });
}

/// Rich text for numbers and other aligned values.
pub fn mono(text: impl Into<String>) -> egui::RichText {
    egui::RichText::new(text).monospace()
}

/// Bytes as KiB / MiB / GiB with one decimal.
pub fn format_bytes(bytes: u64) -> String {
    const K: f64 = 1024.0;
    let b = bytes as f64;
    if b < K * K {
        format!("{:.1} KiB", b / K)
    } else if b < K * K * K {
        format!("{:.1} MiB", b / K / K)
    } else {
        format!("{:.2} GiB", b / K / K / K)
    }
}

/// Seconds as `4.2s`, `3m 07s`, `2h 05m`.
pub fn format_duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "-".to_string();
    }
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else if secs < 3600.0 {
        let s = secs as u64;
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        let s = secs as u64;
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_well() {
        assert_eq!(format_duration(4.25), "4.2s");
        assert_eq!(format_duration(187.0), "3m 07s");
        assert_eq!(format_duration(7500.0), "2h 05m");
        assert_eq!(format_bytes(2048), "2.0 KiB");
        assert_eq!(format_bytes(5 * 1024 * 1024), "5.0 MiB");
    }

    #[test]
    fn exit_codes_have_distinct_tones() {
        assert_eq!(exit_tone(0), Tone::Success);
        assert_eq!(exit_tone(1), Tone::Failure);
        assert_eq!(exit_tone(-15), Tone::Signalled);
        assert_ne!(color(true, Tone::Success), color(true, Tone::Failure));
        assert_ne!(color(false, Tone::Success), color(false, Tone::Failure));
    }
}
