//! The window's size, position and panel sizes, kept in the settings so
//! that the next start looks like the last one left off.

use serde::{Deserialize, Serialize};

/// Panel sizes the app uses when none was saved.
pub const DEFAULT_DEFINITIONS_WIDTH: f32 = 340.0;
pub const DEFAULT_LOG_HEIGHT: f32 = 230.0;
/// The smallest window the app opens (points).
pub const MIN_SIZE: [f32; 2] = [800.0, 500.0];
const DEFAULT_SIZE: [f32; 2] = [1440.0, 900.0];
/// Larger than any screen: a bigger saved value is not honoured.
const MAX_EXTENT: f32 = 16_384.0;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Layout {
    /// The window's inner size when it was last not maximized (points).
    pub size: Option<[f32; 2]>,
    /// Its outer position (points). Wayland compositors place windows
    /// themselves and ignore it.
    pub position: Option<[f32; 2]>,
    pub maximized: bool,
    /// The definitions panel's width (points).
    pub definitions_width: Option<f32>,
    /// The event log panel's height (points).
    pub log_height: Option<f32>,
}

impl Layout {
    /// Drops values that cannot be a window on a screen (NaN, infinite,
    /// negative, huge) and brings sizes within what the app allows.
    pub fn sanitized(self) -> Self {
        let finite = |v: f32| v.is_finite().then_some(v);
        let size = self.size.and_then(|[w, h]| {
            let (w, h) = (finite(w)?, finite(h)?);
            Some([w.clamp(MIN_SIZE[0], MAX_EXTENT), h.clamp(MIN_SIZE[1], MAX_EXTENT)])
        });
        let position = self.position.and_then(|[x, y]| {
            let (x, y) = (finite(x)?, finite(y)?);
            (x.abs() <= MAX_EXTENT && y.abs() <= MAX_EXTENT).then_some([x, y])
        });
        Self {
            size,
            position,
            maximized: self.maximized,
            definitions_width: self
                .definitions_width
                .and_then(finite)
                .map(|w| w.clamp(100.0, MAX_EXTENT)),
            log_height: self
                .log_height
                .and_then(finite)
                .map(|h| h.clamp(60.0, MAX_EXTENT)),
        }
    }

    /// The window as it was left (or the defaults).
    pub fn viewport(&self, builder: egui::ViewportBuilder) -> egui::ViewportBuilder {
        let mut b = builder
            .with_inner_size(self.size.unwrap_or(DEFAULT_SIZE))
            .with_min_inner_size(MIN_SIZE)
            .with_maximized(self.maximized);
        if let Some(p) = self.position {
            b = b.with_position(p);
        }
        b
    }

    /// Takes what the window looks like now. While it is maximized or full
    /// screen the size and position it had before are kept.
    pub fn observe(&mut self, info: &egui::ViewportInfo) {
        if info.minimized == Some(true) {
            return;
        }
        if let Some(m) = info.maximized {
            self.maximized = m;
        }
        if info.maximized == Some(true) || info.fullscreen == Some(true) {
            return;
        }
        if let Some(r) = info.inner_rect {
            self.size = Some([r.width(), r.height()]);
        }
        if let Some(r) = info.outer_rect {
            self.position = Some([r.min.x, r.min.y]);
        }
    }

    pub fn definitions_width(&self) -> f32 {
        self.definitions_width.unwrap_or(DEFAULT_DEFINITIONS_WIDTH)
    }

    pub fn log_height(&self) -> f32 {
        self.log_height.unwrap_or(DEFAULT_LOG_HEIGHT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::{pos2, Rect};

    fn info(x: f32, y: f32, w: f32, h: f32) -> egui::ViewportInfo {
        egui::ViewportInfo {
            inner_rect: Some(Rect::from_min_size(pos2(x + 2.0, y + 30.0), egui::vec2(w, h))),
            outer_rect: Some(Rect::from_min_size(pos2(x, y), egui::vec2(w + 4.0, h + 32.0))),
            maximized: Some(false),
            ..Default::default()
        }
    }

    #[test]
    fn a_maximized_window_keeps_its_normal_size_and_place() {
        let mut l = Layout::default();
        l.observe(&info(100.0, 50.0, 1000.0, 700.0));
        assert_eq!(l.size, Some([1000.0, 700.0]));
        assert_eq!(l.position, Some([100.0, 50.0]));
        assert!(!l.maximized);

        let mut max = info(0.0, 0.0, 1920.0, 1050.0);
        max.maximized = Some(true);
        l.observe(&max);
        assert!(l.maximized);
        assert_eq!(l.size, Some([1000.0, 700.0]));
        assert_eq!(l.position, Some([100.0, 50.0]));

        let mut min = info(0.0, 0.0, 1.0, 1.0);
        min.minimized = Some(true);
        min.maximized = Some(false);
        l.observe(&min);
        assert!(l.maximized, "minimizing says nothing about maximized");
        assert_eq!(l.size, Some([1000.0, 700.0]));
    }

    #[test]
    fn impossible_values_are_dropped_or_brought_in_range() {
        let l = Layout {
            size: Some([f32::NAN, 700.0]),
            position: Some([f32::INFINITY, 0.0]),
            maximized: true,
            definitions_width: Some(-5.0),
            log_height: Some(f32::NEG_INFINITY),
        }
        .sanitized();
        assert_eq!(
            l,
            Layout {
                maximized: true,
                definitions_width: Some(100.0),
                ..Default::default()
            }
        );
        let l = Layout {
            size: Some([10.0, 1e9]),
            position: Some([-200.0, 1e9]),
            ..Default::default()
        }
        .sanitized();
        assert_eq!(l.size, Some([MIN_SIZE[0], MAX_EXTENT]));
        assert_eq!(l.position, None);
        assert_eq!(l.definitions_width(), DEFAULT_DEFINITIONS_WIDTH);
        assert_eq!(l.log_height(), DEFAULT_LOG_HEIGHT);
    }
}
