//! The desktop app (eframe/egui). `run` opens the window; `app` holds the
//! state and applies intents; each panel lives in its own file.

mod app;
mod apply;
mod definitions;
mod engine_failure;
mod export_dialog;
mod export_job;
mod files;
mod form_ui;
mod forms;
mod history;
mod intent;
mod log;
mod menu;
mod pools;
mod processes;
mod quit;
mod rows;
mod session_io;
mod settings;
mod stats;
mod status;
mod theme;

pub use app::{ProctorApp, QuitState, Tab};
pub use export_job::{export_log, Exported, LogExport};
pub use forms::{Errors, PoolDraft, TaskDraft};
pub use history::PastSession;
pub use intent::Intent;
pub use log::{Log, LogFilter, ProcessFilter, LOG_CAPACITY};
pub use processes::{rows, Col, Row, Sort, Status};
pub use settings::{AppDirs, Settings};
pub use status::Notice;

use std::path::PathBuf;

/// Opens the window, with `session` loaded if given; starts its autostart
/// tasks and pools only with `start`.
pub fn run(session: Option<PathBuf>, start: bool) -> anyhow::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Proctor")
            .with_app_id("proctor")
            .with_inner_size([1440.0, 900.0])
            .with_min_inner_size([800.0, 500.0])
            .with_icon(icon()),
        ..Default::default()
    };
    eframe::run_native(
        "Proctor",
        options,
        Box::new(move |cc| {
            let app = ProctorApp::open(&cc.egui_ctx, session.as_deref(), start)?;
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// A small generated icon: a rounded square with three process bars.
fn icon() -> egui::IconData {
    let n = 64usize;
    let mut rgba = vec![0u8; n * n * 4];
    for y in 0..n {
        for x in 0..n {
            let i = (y * n + x) * 4;
            let (fx, fy) = (x as f32, y as f32);
            let r = 12.0;
            let cx = fx.clamp(r, n as f32 - 1.0 - r);
            let cy = fy.clamp(r, n as f32 - 1.0 - r);
            let inside = (fx - cx).powi(2) + (fy - cy).powi(2) <= r * r;
            if !inside {
                continue;
            }
            let mut c = [0x1f, 0x29, 0x37, 0xff];
            let bars = [
                (16usize, 48usize, [0x58, 0xa6, 0xff]),
                (28, 38, [0x3f, 0xb9, 0x50]),
                (40, 28, [0xdb, 0x8b, 0x2b]),
            ];
            for (top, len, col) in bars {
                if (top..top + 7).contains(&y) && (12..12 + len).contains(&x) {
                    c = [col[0], col[1], col[2], 0xff];
                }
            }
            rgba[i..i + 4].copy_from_slice(&c);
        }
    }
    egui::IconData {
        rgba,
        width: n as u32,
        height: n as u32,
    }
}
