//! File ▸ Export picture…: `.svg` is drawn from the shown session's events
//! (the same document as `proctor export J out.svg`); `.png` is the Timeline
//! tab as it is on screen, taken with a screenshot of the window and cut to
//! the tab.

use super::app::{ProctorApp, Tab};
use crate::journal::export::AtomicFile;
use egui::{ColorImage, Rect};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The Timeline tab's area on screen (points), set each frame it is shown.
#[derive(Default)]
pub struct PngState {
    pub pending: Option<(PathBuf, crossbeam_channel::Receiver<Arc<ColorImage>>)>,
    pub area: Option<Rect>,
    /// Frames waited for the screenshot.
    waited: u32,
}

pub fn is_svg(p: &Path) -> bool {
    p.extension().is_some_and(|x| x.eq_ignore_ascii_case("svg"))
}

/// `image` cut to `area` (points, at `ppp` pixels per point) as PNG bytes.
pub fn encode_png(image: &ColorImage, area: Option<Rect>, ppp: f32) -> Result<Vec<u8>, String> {
    let [w, h] = image.size;
    let (x0, y0, x1, y1) = match area {
        Some(r) => (
            ((r.left() * ppp).max(0.0) as usize).min(w),
            ((r.top() * ppp).max(0.0) as usize).min(h),
            ((r.right() * ppp).max(0.0) as usize).min(w),
            ((r.bottom() * ppp).max(0.0) as usize).min(h),
        ),
        None => (0, 0, w, h),
    };
    if x1 <= x0 || y1 <= y0 {
        return Err("nothing to save: the picture is empty".into());
    }
    let mut rgba = Vec::with_capacity((x1 - x0) * (y1 - y0) * 4);
    for y in y0..y1 {
        for px in &image.pixels[y * w + x0..y * w + x1] {
            rgba.extend_from_slice(&px.to_array());
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, (x1 - x0) as u32, (y1 - y0) as u32);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().map_err(|e| e.to_string())?;
        w.write_image_data(&rgba).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

impl ProctorApp {
    /// The SVG for `path` if it names one (else `None`: a PNG).
    pub(super) fn picture_svg(&self, path: &Path) -> Option<String> {
        if !is_svg(path) {
            return None;
        }
        let model = self.past.as_ref().map_or(&self.model, |p| &p.model);
        let mut pictures = model.pictures.clone();
        if self.past.is_none() && !pictures.ended {
            pictures.last = super::pictures_tab::now_secs(model, super::app::now(), false);
        }
        Some(crate::pictures::svg::svg(
            &pictures,
            self.ctx.theme() == egui::Theme::Dark,
        ))
    }

    /// A PNG of the Timeline tab: shown, then taken on a later frame.
    pub(super) fn request_png(&mut self, path: PathBuf) {
        let png = path.extension().is_some_and(|x| x.eq_ignore_ascii_case("png"));
        if !png {
            return self.error(format!("{}: a picture is saved as .svg or .png", path.display()));
        }
        if let Some(why) = self.protected_path(&path) {
            return self.error(why);
        }
        self.tab = Tab::Timeline;
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.png.pending = Some((path, rx));
        self.png.waited = 0;
        let repaint = self.ctx.clone();
        self.ctx.request_screenshot(move |image| {
            let _ = tx.send(image);
            repaint.request_repaint();
        });
    }

    /// Saves a screenshot that arrived, if one was asked for.
    pub(super) fn poll_png(&mut self, ui: &egui::Ui) {
        let Some((path, rx)) = self.png.pending.as_ref() else {
            return;
        };
        let path = path.clone();
        let Ok(image) = rx.try_recv() else {
            self.png.waited += 1;
            if self.png.waited > 600 {
                self.png.pending = None;
                self.error("no screenshot came from the window: the PNG was not saved".into());
            } else {
                ui.ctx().request_repaint();
            }
            return;
        };
        self.png.pending = None;
        let ppp = ui.ctx().pixels_per_point();
        let result = encode_png(&image, self.png.area, ppp).and_then(|bytes| {
            let mut f = AtomicFile::create(&path).map_err(|e| e.to_string())?;
            f.writer()
                .write_all(&bytes)
                .and_then(|_| f.commit())
                .map_err(|e| e.to_string())
        });
        match result {
            Ok(()) => self.info(format!(
                "exported the timeline picture (PNG) to {}",
                path.display()
            )),
            Err(e) => self.error(format!("cannot save {}: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_is_cut_to_the_area_and_decodes() {
        let mut img = ColorImage::filled([40, 30], egui::Color32::RED);
        img.pixels[10 * 40 + 10] = egui::Color32::BLUE;
        let area = Rect::from_min_max(egui::pos2(5.0, 5.0), egui::pos2(15.0, 20.0));
        let bytes = encode_png(&img, Some(area), 1.0).unwrap();
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut r = dec.read_info().unwrap();
        let mut buf = vec![0; r.output_buffer_size().unwrap()];
        let info = r.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (10, 15));
        assert_eq!(&buf[(5 * 10 + 5) * 4..][..4], &[0, 0, 255, 255]);
        assert!(encode_png(
            &img,
            Some(Rect::from_min_max(egui::pos2(50.0, 0.0), egui::pos2(60.0, 5.0))),
            1.0
        )
        .is_err());
    }
}
